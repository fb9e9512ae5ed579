// Every write is kept on the phone first and confirmed at once; the server learns of
// it in the background. A write whose server answers within a moment (a good network)
// gets the server's own answer, which may ask about the text or refuse it (a text that
// may name a client waits up to 3 s for that answer); otherwise the phone answers
// "saved on this phone" and the outbox delivers it (POST /api/v1/sync) on Background
// Sync, when the worker starts, and when a page asks (on load, when back online, "Sync
// now"), trying again with back-off while the network fails.
"use strict";

const TendSync = (() => {
  const SYNC_TAG = "tend-outbox";
  const settings = self.TEND;
  const PARTS = settings.checkinParts;
  const NUMBERS = new Set(settings.numberFields);
  const PART_PATH = /^\/checkins\/([0-9a-f-]{36})\/([a-z]+)$/;
  // After failed deliveries, the pauses before the next tries (about two minutes in
  // all); Background Sync, the next write and the pages take over after that.
  const RETRY_MS = [1000, 2000, 3000, 4000, 5000, 8000, 15000, 30000, 60000];
  // How long a write whose text may identify a client waits for the server to ask about
  // it (service_worker/guard.js), before it is kept on the phone unasked, as offline.
  const GUARD_WAIT_MS = 3000;
  let running = null;
  let again = false;
  let failures = 0;
  let retryTimer = null;
  // The last write's answer came late or not at all: until one comes back in time, a
  // write does not wait for the server before the phone answers (it is still sent).
  let dawdling = false;

  // Answers ---------------------------------------------------------------------------

  // The answer to a write the page makes with htmx, or null to leave the request alone.
  function answerWrite(event) {
    const request = event.request;
    const url = new URL(request.url);
    if (request.method !== "POST" || url.origin !== self.location.origin) return null;
    if (settings.accountUrls.includes(url.pathname)) {
      // Whoever is signed in is about to change: pages kept for the last person go.
      event.waitUntil(TendCaching.forgetPersonalPages());
      return null;
    }
    if (!request.headers.get("HX-Request")) return null;
    return keepFirst(event, url.pathname);
  }

  async function keepFirst(event, path) {
    const request = event.request;
    const form = await request.clone().formData().catch(() => null);
    const write = form && describeWrite(path, form);
    // Other htmx writes (settings, a plan) go to the network as they are.
    if (!write) return TendNetwork.fetch(request);
    if (!write.id) return fragmentProblem("This entry has no id. Reload the page and try again.");
    const user = request.headers.get("X-Tend-User") || (await TendOutbox.getMeta("user"));
    // The shell page has no session: its writes stay with the outbox.
    const online = !request.headers.get("X-Tend-Shell");
    if (online && form.get("confirm_identifiers") !== "1"
        && (await TendGuard.mayIdentify(write.changes)) && !(await TendOutbox.find(write.id))) {
      return askServerFirst(event, write, user);
    }
    const { record, earlier } = await TendOutbox.keep(user, write.kind, write.id, write.changes);
    const ownAnswer = phoneAnswer(write, record); // drawn while the server has its moment
    // An entry still on the phone is unknown to the server: it stays with the outbox.
    if (!earlier && online) {
      const answer = await serverAnswer(event, record.entry);
      if (answer) return answer;
    }
    event.waitUntil(askForSync());
    return ownAnswer;
  }

  // A write whose text the server may ask about is kept on the phone only once the server
  // has not answered in time: kept at once, a sync run meanwhile could deliver it past
  // the question. Nothing was confirmed yet, so nothing is lost if the worker stops.
  async function askServerFirst(event, write, user) {
    const answer = await serverAnswer(event, { id: write.id, ...write.changes }, GUARD_WAIT_MS);
    if (answer) return answer;
    const { record } = await TendOutbox.keep(user, write.kind, write.id, write.changes);
    event.waitUntil(askForSync());
    return phoneAnswer(write, record);
  }

  // What a form write is in the sync API's terms: its kind, id and changes; null for a
  // form that writes no entry. A check-in is written by its card (the tap, its parts,
  // delete and restore); any other entry's form says its kind (entry_kind).
  function describeWrite(path, form) {
    if (path === "/checkins") {
      return { kind: "checkin", id: form.get("id"), action: "create", changes: changesFrom("create", form) };
    }
    const match = PART_PATH.exec(path);
    if (match) {
      const [, id, action] = match;
      if (!(action in PARTS || action === "delete" || action === "restore")) return null;
      return { kind: "checkin", id, action, changes: changesFrom(action, form) };
    }
    const kind = form.get("entry_kind");
    return kind ? { kind, id: form.get("id"), action: "entry", changes: entryChanges(form) } : null;
  }

  // The server's answer when it comes within the answer window and settles the write
  // (saved, or refused with a reason to show); null otherwise. The request goes on in
  // the background with its deadline: when it succeeds late, the outbox lets go of the
  // entry. It carries the phone's stamp, so arriving late it never beats a newer version.
  // `patience` overrides the answer window (a text the server should ask about).
  async function serverAnswer(event, sent, patience) {
    const request = event.request;
    const headers = new Headers(request.headers);
    headers.set("X-Tend-Stamp", sent.updated_at);
    const started = Date.now();
    const sending = TendNetwork.fetch(new Request(request, { headers }));
    sending.then(
      () => { dawdling = Date.now() - started > settings.answerWindowMs; },
      () => { dawdling = true; },
    );
    const wait = patience ?? (dawdling ? 0 : settings.answerWindowMs);
    const first = await Promise.race([
      sending.then((response) => ({ response }), () => ({ failed: true })),
      TendNetwork.later(wait).then(() => ({ late: true })),
    ]);
    if (first.response && !worthKeeping(first.response.status)) {
      // Saved, or refused for good (nothing of it stays on the phone): the server's word.
      await TendOutbox.settle(sent, "answered");
      return first.response;
    }
    if (first.late) {
      dawdling = true;
      event.waitUntil(settleWhenAnswered(sending, sent));
    }
    return null;
  }

  async function settleWhenAnswered(sending, sent) {
    const response = await sending.catch(() => null);
    if (!response || !response.ok) return;
    if (await TendOutbox.settle(sent, "answered")) await tellPages(deliveredMessage([sent]));
    await tellPages();
  }

  // The server has these entries, each as of its version (a later tap's may still wait).
  function deliveredMessage(entries) {
    return { type: "delivered", entries: entries.map(({ id, updated_at }) => ({ id, version: updated_at })) };
  }

  function phoneAnswer(write, record) {
    if (write.kind === "checkin") return queuedAnswer(write.action, record);
    const queued = { id: record.id, kind: write.kind, version: record.entry.updated_at };
    return html(savedOnPhone(record.id), { "tend:queued": queued });
  }

  // Not the entry's own fields: how the form travels, and the page's bookkeeping.
  const FORM_ONLY = new Set(["csrf_token", "entry_kind", "entry_action", "id", "seen", "confirm_identifiers"]);

  // Said where an entry was saved on the phone; the page changes it to "Saved." once the
  // server has the entry (data-queued-id).
  function savedOnPhone(id) {
    return `<p class="saved-offline" role="status" data-queued-id="${id}" data-saved-text="Saved.">Saved
      on this phone. It goes to your account as soon as the connection lets it.</p>`;
  }

  // The entry's fields as the sync API takes them: a name ending in [] is a list (sent
  // without the brackets); a new entry gets its times; an update sends only its fields.
  function entryChanges(form) {
    const now = stamp(form.get("seen"));
    const action = form.get("entry_action") || "create";
    if (action === "delete") return { deleted: true, updated_at: now };
    const changes = action === "create" ? { created_at: now, updated_at: now, deleted: false } : { updated_at: now };
    for (const name of new Set(form.keys())) {
      if (FORM_ONLY.has(name)) continue;
      if (name.endsWith("[]")) changes[name.slice(0, -2)] = form.getAll(name).map(String);
      else changes[name] = String(form.getAll(name).pop());
    }
    return changes;
  }

  // Kept on the phone instead: no network, a server in trouble, or a session or page
  // that expired (the outbox gets a fresh session and token before it sends).
  function worthKeeping(status) {
    return status >= 500 || status === 401 || status === 400 || status === 403;
  }

  function changesFrom(action, form) {
    const now = stamp(form.get("seen"));
    if (action === "create") {
      return { tank: number(form.get("tank")), created_at: now, updated_at: now, deleted: false };
    }
    if (action === "delete" || action === "restore") {
      return { deleted: action === "delete", updated_at: now };
    }
    const changes = { updated_at: now };
    for (const name of PARTS[action]) {
      if (form.has("clear")) {
        changes[name] = name === "safety_session" ? false : null;
      } else if (form.has(name)) {
        changes[name] = value(name, form.getAll(name).pop());
      }
    }
    return changes;
  }

  function value(name, raw) {
    if (name === "safety_session") return raw === "1";
    if (NUMBERS.has(name)) return number(raw);
    const text = raw.trim();
    return text === "" ? null : text;
  }

  // Whole numbers become numbers; anything else is left for the server to explain.
  function number(raw) {
    if (raw === null || raw.trim() === "") return null;
    return /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
  }

  // Now, but always later than the version the page showed: a person changing something
  // means it is the newest intent, even when this phone's clock runs behind.
  function stamp(seen) {
    const now = Date.now();
    const shown = seen ? Date.parse(seen) : NaN;
    return new Date(Number.isNaN(shown) ? now : Math.max(now, shown + 1)).toISOString();
  }

  async function queuedAnswer(action, record) {
    const trigger = { "tend:queued": { id: record.id, part: action, version: record.entry.updated_at } };
    if (action === "create" || (action === "restore" && record.entry.tank)) {
      return html(await withId(settings.cardUrl, record.id), trigger);
    }
    if (action === "delete") return html(await withId(settings.deletedUrl, record.id), trigger);
    return new Response(null, { status: 204, headers: { "HX-Trigger": JSON.stringify(trigger) } });
  }

  async function withId(url, id) {
    const text = await TendCaching.shellText(url);
    if (text === null) return `<section id="checkin" class="card">${savedOnPhone(id)}</section>`;
    return text.replaceAll(settings.placeholderId, id);
  }

  function html(body, trigger) {
    return new Response(body, {
      headers: { "Content-Type": "text/html; charset=utf-8", "HX-Trigger": JSON.stringify(trigger) },
    });
  }

  function fragmentProblem(message) {
    return new Response(message, { status: 422, headers: { "Content-Type": "text/plain" } });
  }

  // Delivering --------------------------------------------------------------------------

  async function askForSync() {
    if (self.registration.sync) {
      try {
        await self.registration.sync.register(SYNC_TAG);
      } catch (error) {
        // Background Sync refused (e.g. not allowed here): the other triggers remain.
      }
    }
    failures = 0; // a new write starts the back-off afresh
    await run();
  }

  // Deliver the outbox once at a time; a request during a run makes it go round again.
  // `strict` makes a failure reject (Background Sync then retries); `pull` asks the
  // server for other devices' changes even when nothing is waiting here.
  function run(options = {}) {
    if (running) {
      again = true;
      return options.strict ? running : running.catch(() => {});
    }
    running = (async () => {
      try {
        do {
          again = false;
          await deliver(options);
        } while (again);
        failures = 0;
      } catch (error) {
        retryLater();
        throw error;
      } finally {
        running = null;
        await tellPages();
        // Asked again while a run failed: that request still deserves its own try.
        if (again) {
          again = false;
          run();
        }
      }
    })();
    return options.strict ? running : running.catch(() => {});
  }

  // After a failed delivery (no network, a stalled request cut at its deadline, a busy
  // server), try again after a growing pause. The timer holds no event open, so a new
  // version of the worker never waits for it.
  function retryLater() {
    if (retryTimer || failures >= RETRY_MS.length) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      run();
    }, RETRY_MS[failures]);
    failures += 1;
  }

  async function deliver(options) {
    const user = await TendOutbox.getMeta("user");
    const waiting = user ? (await TendOutbox.all(user)).filter(isWaiting) : [];
    if (!waiting.length && !options.pull) return;
    const session = await fetchSession();
    if (!session) return;
    const records = (await TendOutbox.all(session.user)).filter(isWaiting);
    let cursor = await TendOutbox.getMeta(`cursor:${session.user}`);
    let changed = 0;
    do {
      const batch = records.splice(0, session.max_batch);
      const answer = await send(session, batch, cursor);
      const delivered = [];
      for (const [index, result] of answer.results.entries()) {
        const sent = batch[index].entry;
        if (await TendOutbox.settle(sent, result.status, result.errors)) delivered.push(sent);
      }
      if (delivered.length) await tellPages(deliveredMessage(delivered));
      const sentIds = new Set(batch.map((record) => record.id));
      changed += answer.changes.filter((entry) => !sentIds.has(entry.id)).length;
      cursor = answer.cursor;
      await TendOutbox.setMeta(`cursor:${session.user}`, cursor);
      if (!answer.more && !records.length) break;
    } while (true);
    await TendOutbox.setMeta(`synced:${session.user}`, new Date().toISOString());
    if (changed) await tellPages({ type: "changed" });
  }

  function isWaiting(record) {
    return record.status === "waiting";
  }

  // Who is signed in, and a token to send with; null when nobody is (the page says
  // "sign in to sync"). A network failure throws.
  async function fetchSession() {
    const response = await TendNetwork.fetch(settings.sessionUrl, {
      credentials: "same-origin",
      cache: "no-store",
    });
    await TendOutbox.setMeta("signedOut", response.status === 401);
    if (response.status === 401) return null;
    if (!response.ok) throw new Error(`session: ${response.status}`);
    const session = await response.json();
    await TendOutbox.setMeta("user", session.user);
    return session;
  }

  async function send(session, batch, cursor) {
    const response = await TendNetwork.fetch(settings.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": session.csrf_token },
      body: JSON.stringify({
        user: session.user,
        cursor: cursor ?? null,
        entries: batch.map((record) => ({ kind: record.kind, ...record.entry })),
      }),
    });
    if (response.status === 401) await TendOutbox.setMeta("signedOut", true);
    if (!response.ok) throw new Error(`sync: ${response.status}`);
    return response.json();
  }

  // Talking to pages ------------------------------------------------------------------

  async function status(user) {
    const records = user ? await TendOutbox.all(user) : [];
    return {
      type: "outbox",
      user,
      records,
      signedOut: Boolean(await TendOutbox.getMeta("signedOut")),
      synced: user ? await TendOutbox.getMeta(`synced:${user}`) : undefined,
      syncing: Boolean(running),
    };
  }

  async function tellPages(message) {
    const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const news = message || (await status(await TendOutbox.getMeta("user")));
    for (const page of pages) page.postMessage(news);
  }

  async function onMessage(message) {
    // A page with nobody signed in speaks for the phone's last user.
    const user = message.user || (await TendOutbox.getMeta("user"));
    if (message.type === "skip-waiting") return self.skipWaiting();
    // A page loaded while this worker was still activating asks to be taken in.
    if (message.type === "claim") return self.clients.claim();
    if (message.type === "hello" && user) {
      await TendOutbox.setMeta("user", user);
      await TendCaching.keepMainPages().catch(() => {});
    }
    if (message.type === "sync") await run({ pull: message.pull });
    if (message.type === "forget") {
      await TendOutbox.forget(user);
      await TendCaching.forgetPersonalPages();
    }
    if (message.type === "discard" || message.type === "entry") {
      const record = await TendOutbox.find(message.id);
      if (!record || record.user !== user) return null;
      if (message.type === "entry") return record;
      await TendOutbox.discard(message.id);
    }
    return status(user);
  }

  return { SYNC_TAG, answerWrite, run, askForSync, fetchSession, onMessage };
})();
