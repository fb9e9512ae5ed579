// Reminders: every push shows a notification, and its buttons do what they say.
// Check in (or a tap on the notification) opens the check-in, in a Tend window already
// open if there is one; Done records the practice through the outbox, so it works with
// no signal; Later asks the server to bring the reminder back in half an hour.
"use strict";

const TendPush = (() => {
  const settings = self.TEND;
  // What a push that cannot be read shows: browsers stop sending the pushes of a site
  // that shows nothing for them.
  const GENERIC = { title: "Tend", body: "A moment for yourself, whenever you're ready." };

  // A reminder comes as a declarative push message (webapp/services/push.py): the
  // notification, whose data holds every button and where a tap leads. One sent before
  // that format (kept by the push service for up to 12 hours) had them at the top.
  function read(data) {
    try {
      const message = data && data.json();
      const shown = message && message.web_push === 8030 ? message.notification : message;
      if (shown && typeof shown.title === "string" && shown.title) {
        const { actions = shown.actions, url = shown.url, ...rest } = shown.data || {};
        return { title: shown.title, body: shown.body, tag: shown.tag, actions, url, data: rest };
      }
    } catch (error) {
      // Not JSON: the generic notification below.
    }
    return GENERIC;
  }

  async function onPush(data) {
    const message = read(data);
    const options = {
      body: message.body || "",
      icon: settings.notificationIcon,
      renotify: false,
      actions: buttons(message.actions || []),
      data: { ...(message.data || {}), url: message.url || settings.homeUrl },
    };
    if (message.tag) options.tag = message.tag;
    try {
      await self.registration.showNotification(message.title, options);
    } catch (error) {
      // Malformed actions or data: still show something rather than nothing.
      await self.registration.showNotification(GENERIC.title, { body: GENERIC.body, icon: options.icon });
    }
  }

  // The buttons the browser has room for (Chromium shows two). A tap on the notification
  // itself checks in, so "Check in" is the button to spare.
  function buttons(actions) {
    const room = self.Notification && Notification.maxActions;
    if (!room || actions.length <= room) return actions;
    return actions.filter((action) => action.action !== "checkin").slice(0, room);
  }

  async function onClick(notification, action) {
    notification.close();
    const data = notification.data || {};
    if (action === "done") return recordDone(data);
    if (action === "later") return snooze(data);
    return openApp(data.url);
  }

  async function recordDone(data) {
    if (!data.practice) return; // a reminder that suggested no practice: nothing to record
    const user = await TendOutbox.getMeta("user");
    if (!user) return openApp(); // nobody has signed in on this phone yet: let them
    const now = new Date().toISOString();
    await TendOutbox.keep(user, "practice_done", self.crypto.randomUUID(), {
      practice: data.practice,
      delivery: data.delivery ?? null,
      created_at: now,
      updated_at: now,
      deleted: false,
    });
    await TendSync.askForSync();
  }

  async function snooze(data) {
    const url = ownUrl(data.later_url);
    if (!url) return;
    try {
      const session = await TendSync.fetchSession();
      if (!session) return;
      await TendNetwork.fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": session.csrf_token },
      });
    } catch (error) {
      // No network, or no answer in time: the next reminder comes at its usual time.
    }
  }

  async function openApp(url) {
    const target = ownUrl(url) || ownUrl(settings.homeUrl);
    // Only windows this worker controls can be sent to another page.
    const windows = await self.clients.matchAll({ type: "window" });
    const open = windows.find((client) => client.focused) || windows[0];
    if (!open) return self.clients.openWindow(target);
    // A browser may refuse focus; the window still goes to the check-in for next time.
    await open.focus().catch(() => {});
    if (open.url === target) return undefined;
    // The window may have closed or left the site since it was listed: open a new one.
    return open.navigate(target).catch(() => self.clients.openWindow(target));
  }

  // An address on this site, or null: a push never sends the phone's session elsewhere.
  function ownUrl(url) {
    if (!url) return null;
    try {
      const parsed = new URL(url, self.location.origin);
      return parsed.origin === self.location.origin ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  return { onPush, onClick };
})();
