// Tend's service worker: only the wiring. The work lives in its modules, which the
// server sends ahead of this file in the same script:
// network (deadlines), caching (the shell and personal pages), outbox (entries kept on
// the phone), sync (every write kept on the phone first, then delivered) and push
// (reminders and their buttons).
// The server writes `self.TEND` (version, addresses) above them.
"use strict";

self.addEventListener("install", (event) => {
  // A new version waits: the page offers to reload when the person is ready.
  event.waitUntil(TendCaching.install());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(TendCaching.activate().then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const answer = TendSync.answerWrite(event) || TendCaching.answerRead(event);
  if (answer) event.respondWith(answer);
});

self.addEventListener("sync", (event) => {
  // Rejecting asks the browser to try again later, with its own back-off.
  if (event.tag === TendSync.SYNC_TAG) event.waitUntil(TendSync.run({ strict: true }));
});

self.addEventListener("message", (event) => {
  const reply = (answer) => event.ports[0] && event.ports[0].postMessage(answer);
  event.waitUntil(TendSync.onMessage(event.data || {}).then(reply, (error) => reply({ error: String(error) })));
});

self.addEventListener("push", (event) => event.waitUntil(TendPush.onPush(event.data)));

self.addEventListener("notificationclick", (event) => {
  event.waitUntil(TendPush.onClick(event.notification, event.action));
});

// Every time the worker starts, deliver whatever is waiting.
TendSync.run().catch(() => {});
