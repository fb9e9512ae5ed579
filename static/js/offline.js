// Tend on a phone with a bad network or none: registers the service worker, keeps the
// page's picture of the outbox true (waiting, needs attention, sign in to sync, "saved on
// this phone" turning into "saved"), says when a page is the phone's kept copy and
// refreshes it in place, and offers "Sync now", the fix or discard of a refused entry,
// and a new version when one is ready.
// The worker owns the outbox; this page only asks it and shows the answers.
"use strict";

(() => {
  const status = document.getElementById("sync-status");
  if (!status || !("serviceWorker" in navigator)) return;
  const user = document.body.dataset.user;
  const onHistory = Boolean(document.getElementById("outbox"));
  let latest = null;
  let lastDrawn = null;
  let discarding = null; // the refused entry whose "Discard" was tapped once
  // Entry id -> the newest version of it the server has taken since this page opened,
  // and the newest version saved on the phone from this page.
  const delivered = new Map();
  const queued = new Map();
  let edited = false; // the person has typed into this page

  // Talking to the worker ---------------------------------------------------------------

  async function ask(message) {
    const registration = await navigator.serviceWorker.ready;
    if (!registration.active) return null;
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data);
      registration.active.postMessage({ user, ...message }, [channel.port2]);
    });
  }

  // Networks come back in stages (the page may see one before its worker does), so
  // after "back online" a failed sync is tried again a few times, further apart.
  const RETRIES_MS = [2000, 5000, 15000, 45000];

  async function syncNow(pull, retry = 0) {
    const answer = await ask({ type: "sync", pull });
    show(answer);
    const waiting = answer && answer.records.some((record) => record.status === "waiting");
    if (waiting && !answer.signedOut && navigator.onLine && retry < RETRIES_MS.length) {
      setTimeout(() => syncNow(false, retry + 1), RETRIES_MS[retry]);
    }
  }

  navigator.serviceWorker.addEventListener("message", (event) => {
    const message = event.data || {};
    // A page with nobody signed in (the offline shell, sign-in) shows the phone's last user.
    if (message.type === "outbox" && (!user || message.user === user)) show(message);
    if (message.type === "changed" && onHistory) refreshHistory();
    if (message.type === "delivered") {
      for (const { id, version } of message.entries) {
        if (version > (delivered.get(id) || "")) delivered.set(id, version);
      }
      markDelivered();
    }
    if (message.type === "fresh") refreshInPlace(message);
  });

  // "Saved on this phone" becomes "Saved" where the server now has that version of the
  // entry (a later change to it still waits). The marks may be drawn just after the
  // worker said so, hence the versions kept here.
  function markDelivered() {
    document.querySelectorAll("[data-queued-id]").forEach((mark) => {
      const id = mark.dataset.queuedId;
      const version = mark.dataset.queuedVersion || queued.get(id);
      if (!delivered.has(id) || (version && delivered.get(id) < version)) return;
      mark.textContent = mark.dataset.savedText;
      delete mark.dataset.queuedId;
    });
  }

  // A page kept on the phone -------------------------------------------------------------

  function showKeptCopy() {
    const keptAt = document.body.dataset.keptAt;
    const notice = document.getElementById("kept-copy");
    if (!keptAt || !notice) return;
    const kept = new Date(keptAt);
    const today = kept.toDateString() === new Date().toDateString();
    notice.querySelector("[data-kept-time]").textContent = today
      ? `at ${clock(keptAt)}`
      : `on ${kept.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long" })}, ${clock(keptAt)}`;
    notice.hidden = false;
  }

  // The network answered after the kept copy was shown: the fresh page takes its place,
  // unless the person has started typing here (then it only says a newer one is ready).
  function refreshInPlace(message) {
    if (!document.body.dataset.keptAt || message.url !== location.href.split("#")[0]) return;
    const notice = document.getElementById("kept-copy");
    const fresh = new DOMParser().parseFromString(message.html, "text/html");
    const content = fresh.getElementById("page-content");
    if (!content || edited) {
      notice.querySelector("[data-kept-next]").textContent = "A newer copy has come in: reload the page to see it.";
      return;
    }
    const adopted = document.adoptNode(content);
    document.getElementById("page-content").replaceWith(adopted);
    const notices = fresh.getElementById("notices");
    if (notices) document.getElementById("notices").replaceWith(document.adoptNode(notices));
    document.body.setAttribute("hx-headers", fresh.body.getAttribute("hx-headers") || "{}");
    document.title = fresh.title;
    delete document.body.dataset.keptAt;
    notice.hidden = true;
    lastDrawn = null; // history's outbox list is new: draw it again
    show(latest);
    if (window.htmx) {
      htmx.process(adopted);
      htmx.trigger(adopted, "htmx:load", { elt: adopted });
    }
  }

  // The outbox on screen ----------------------------------------------------------------

  function show(answer) {
    if (!answer || answer.type !== "outbox") return;
    latest = answer;
    const waiting = answer.records.filter((record) => record.status === "waiting");
    const refused = answer.records.filter((record) => record.status === "rejected");
    showStatus(waiting, refused, answer);
    if (onHistory) showOutbox(waiting, refused);
    markDelivered();
  }

  // Online, a write just made is still on its way (its own card says "saved on this
  // phone"): the banner counts it only after a few seconds, so that a slow network
  // does not make it flash in and out above the card at every tap.
  const ON_ITS_WAY_MS = 5000;
  let recount = null;

  function showStatus(allWaiting, refused, answer) {
    const now = Date.now();
    const young = (record) => navigator.onLine && !answer.signedOut
      && now - Date.parse(record.keptAt) < ON_ITS_WAY_MS;
    const waiting = allWaiting.filter((record) => !young(record));
    clearTimeout(recount);
    if (waiting.length < allWaiting.length) recount = setTimeout(() => show(latest), ON_ITS_WAY_MS / 5);
    const count = status.querySelector("[data-count]");
    const parts = [];
    if (waiting.length) parts.push(`${entries(waiting)} waiting on this phone`);
    if (refused.length) parts.push(`${entries(refused)} need${refused.length === 1 ? "s" : ""} attention`);
    count.textContent = parts.join(" · ");
    const signIn = answer.signedOut && waiting.length > 0;
    status.querySelector("[data-sign-in]").hidden = !signIn;
    status.querySelector("[data-sync-now]").hidden = signIn || !waiting.length;
    status.querySelector("[data-attention]").hidden = !refused.length || onHistory;
    const synced = status.querySelector("[data-synced]");
    synced.textContent = answer.synced ? `Last synced ${clock(answer.synced)}` : "";
    status.hidden = !parts.length;
  }

  function showOutbox(waiting, refused) {
    // Redraw only when something changed, so a tap in the list is never lost to it.
    const drawn = JSON.stringify([waiting, refused, discarding]);
    if (drawn === lastDrawn) return;
    lastDrawn = drawn;
    const box = document.getElementById("outbox");
    fillList(box.querySelector("[data-waiting]"), waiting);
    fillList(box.querySelector("[data-refused]"), refused);
    box.hidden = !waiting.length && !refused.length;
  }

  function fillList(section, records) {
    const list = section.querySelector("ul");
    list.replaceChildren(...records.map(describe));
    section.hidden = !records.length;
  }

  // One waiting entry as a line in history, drawn with the same classes as the server's.
  function describe(record) {
    const words = JSON.parse(document.getElementById("outbox").dataset.words);
    const entry = record.entry;
    const item = element("li", "entry entry-waiting");
    item.dataset.id = record.id;
    item.append(element("span", "entry-time", clock(entry.created_at || entry.updated_at)));
    if (entry.tank) {
      const icon = element("span", `tank-icon level-${entry.tank}`);
      icon.setAttribute("aria-hidden", "true");
      item.append(icon);
    }
    const body = element("span", "entry-body");
    let title = words.kinds[record.kind] || "An entry";
    if (record.kind === "practice_done") title = `Done: ${words.practice[entry.practice] || entry.practice}`;
    if (record.kind === "checkin") title = words.tank[entry.tank] || "Changes to a check-in";
    body.append(element("span", "entry-tank", title));
    const tags = element("span", "entry-tags");
    if (entry.deleted) tags.append(element("span", "tag", "deleted"));
    if (entry.work_share != null) tags.append(element("span", "tag", `carried ${entry.work_share} %`));
    if (entry.safety_session) tags.append(element("span", "tag", "safety session"));
    if (entry.practice && record.kind === "checkin") {
      tags.append(element("span", "tag", words.practice[entry.practice] || entry.practice));
    }
    body.append(tags);
    if (entry.note) body.append(element("span", "entry-note", entry.note));
    if (record.status === "rejected") body.append(reasons(record), fixControls(record));
    item.append(body);
    return item;
  }

  function reasons(record) {
    const text = Object.values(record.errors || {}).flat().join(" ");
    return element("span", "error", text || "The server could not take this entry.");
  }

  function fixControls(record) {
    const row = element("span", "entry-actions");
    const fix = element("button", "button small", "Fix");
    fix.type = "button";
    fix.addEventListener("click", () => openFix(record));
    const sure = discarding === record.id;
    const discard = element("button", "button quiet small", sure ? "Discard for good" : "Discard");
    discard.type = "button";
    discard.addEventListener("click", async () => {
      if (sure) {
        discarding = null;
        show(await ask({ type: "discard", id: record.id }));
      } else {
        discarding = record.id;
        show(latest);
      }
    });
    if (sure) requestAnimationFrame(() => discard.focus()); // the redraw replaced the tapped one
    row.append(fix, discard);
    return row;
  }

  // Fixing opens the check-in card for the entry; its saves go back into the outbox.
  async function openFix(record) {
    const box = document.getElementById("outbox");
    const response = await fetch(box.dataset.cardUrl, { signal: AbortSignal.timeout(8000) });
    const html = (await response.text()).replaceAll(box.dataset.placeholder, record.id);
    const holder = box.querySelector("[data-fix]");
    holder.innerHTML = html; // our own server's card, kept by the worker
    holder.hidden = false;
    htmx.process(holder);
    const card = holder.querySelector("#checkin");
    card.querySelector("#checkin-title").textContent = "Fix this check-in";
    card.querySelector(".hint").textContent = reasons(record).textContent;
    applyEntry(card, record.entry);
    card.scrollIntoView();
  }

  function refreshHistory() {
    if (!window.htmx) return;
    htmx.ajax("GET", location.pathname, { target: "#history-days", select: "#history-days", swap: "outerHTML" });
  }

  // The card's controls set to an entry kept on the phone.
  function applyEntry(card, entry) {
    if (!card) return;
    card.querySelectorAll(".tank-button").forEach((button) => {
      button.setAttribute("aria-pressed", String(Number(button.value) === entry.tank));
    });
    const share = card.querySelector("input[name=work_share]");
    if (share && entry.work_share != null) {
      share.value = entry.work_share;
      share.dispatchEvent(new Event("input", { bubbles: true }));
    }
    const safety = card.querySelector("input[type=checkbox][name=safety_session]");
    if (safety && "safety_session" in entry) safety.checked = Boolean(entry.safety_session);
    showAfterSafety(card);
    for (const name of ["lean_personal", "lean_client", "lean_community", "practice"]) {
      card.querySelectorAll(`input[type=radio][name=${name}]`).forEach((radio) => {
        radio.checked = String(entry[name]) === radio.value;
      });
    }
    const note = card.querySelector("input[name=note]");
    if (note && entry.note != null) note.value = entry.note;
  }

  // The word and the debrief offered after a safety session show while the switch is on,
  // as the server draws them (templates/checkins/_safety.html).
  function showAfterSafety(card) {
    const after = card && card.querySelector(".after-safety");
    const safety = card && card.querySelector("input[type=checkbox][name=safety_session]");
    if (after && safety) after.hidden = !safety.checked;
  }

  // A part saved on the phone no longer has the problems the server last pointed out
  // in it (a question about a name, a field to fix): the server's own answer would have
  // drawn the part again without them.
  function forgetProblems(form) {
    form.querySelectorAll(".identifier-warning, .error").forEach((problem) => {
      form.querySelectorAll(`[aria-describedby~="${problem.id}"]`).forEach((field) => {
        const rest = field.getAttribute("aria-describedby").split(" ").filter((ref) => ref !== problem.id);
        field.setAttribute("aria-describedby", rest.join(" "));
      });
      problem.remove();
    });
    form.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
  }

  // Saved on the phone instead of the server: say so where it was saved.
  document.addEventListener("tend:queued", async (event) => {
    const { id, part, version } = event.detail;
    queued.set(id, version); // for marks drawn from the answer, which follows
    const form = document.getElementById(`part-${part}`);
    if (form) {
      forgetProblems(form);
      const foot = form.querySelector(".part-foot");
      foot.querySelector(".saved-mark")?.remove();
      const mark = element("span", "saved-mark", "Saved on this phone");
      mark.setAttribute("role", "status");
      mark.dataset.queuedId = id;
      mark.dataset.queuedVersion = version;
      mark.dataset.savedText = "Saved";
      foot.prepend(mark);
      if (part === "safety") showAfterSafety(form.closest("#checkin"));
    }
    if (part === "create" || part === "tank" || part === "restore") {
      const record = await ask({ type: "entry", id });
      if (record) applyEntry(document.getElementById("checkin"), record.entry);
    }
    show(await ask({ type: "status" }));
  });

  // Sign-out with entries waiting: say what happens to them before going.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form.sign-out") || form.dataset.asked) return;
    event.preventDefault();
    form.dataset.asked = "yes";
    const answer = await Promise.race([ask({ type: "status" }), pause(2000)]);
    const records = (answer || latest || { records: [] }).records;
    if (!records.length) {
      form.submit();
      return;
    }
    const warning = element("p", "flash flash-problem",
      `${entries(records)} ${records.length === 1 ? "is" : "are"} still on this phone and not in your account yet. `
      + "They stay here and sync the next time you sign in.");
    warning.setAttribute("role", "alert");
    form.prepend(warning);
    form.querySelector("button[type=submit]").textContent = "Sign out anyway";
  });

  // A new version waits until the person says so, then the page reloads once.
  function offerUpdate(registration) {
    const banner = document.getElementById("update-banner");
    const waitingWorker = registration.waiting;
    if (!banner || !waitingWorker || !navigator.serviceWorker.controller) return;
    banner.hidden = false;
    banner.querySelector("button").onclick = () => waitingWorker.postMessage({ type: "skip-waiting" });
  }

  function watchForUpdates(registration) {
    offerUpdate(registration);
    registration.addEventListener("updatefound", () => {
      const incoming = registration.installing;
      incoming?.addEventListener("statechange", () => {
        if (incoming.state === "installed") offerUpdate(registration);
      });
    });
    let reloading = false;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (reloading || document.getElementById("update-banner")?.hidden) return;
      reloading = true;
      location.reload();
    });
  }

  // A phone that gets reminders re-sends its subscription on every page (browsers do not
  // reliably say when it changes); the script that does it is fetched only on such a phone.
  // One that got them and now cannot says so, where the page has room for it.
  async function loadReminders() {
    if (document.getElementById("reminder-devices")) return;
    if (!(await thisPhonesSubscription())) return remindersMayBeOff();
    if (!navigator.onLine) return;
    const script = element("script", "");
    script.src = status.dataset.remindersScript;
    script.dataset.subscriptionsUrl = status.dataset.subscriptionsUrl;
    document.head.append(script);
  }

  async function thisPhonesSubscription() {
    if (!("PushManager" in window) || Notification.permission !== "granted") return null;
    const registration = await navigator.serviceWorker.ready;
    return registration.pushManager.getSubscription();
  }

  // Reminders are on for the person (the notice is on the page), this phone got them
  // (reminders.js remembers), and now it cannot: its notifications were turned off in
  // the phone's settings, or the browser dropped its subscription.
  function remindersMayBeOff() {
    const notice = document.getElementById("reminders-off");
    if (!notice || localStorage.getItem(`tend-reminders:${user}`) !== "this phone") return;
    notice.querySelector("[data-reason]").textContent =
      "Reminders may be off on this phone: it no longer lets Tend show them.";
    notice.hidden = false;
  }

  // Small helpers ------------------------------------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function pause(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // "2 check-ins", "1 practice done", "1 check-in and 1 practice done", "1 check-in and
  // 2 other entries".
  function entries(records) {
    const count = (kind) => records.filter((record) => record.kind === kind).length;
    const checkins = count("checkin");
    const done = count("practice_done");
    const others = records.length - checkins - done;
    const words = [];
    if (checkins) words.push(plural(checkins, "check-in"));
    if (done) words.push(`${plural(done, "practice")} done`);
    if (others) words.push(others === 1 ? `1 ${words.length ? "other " : ""}entry` : `${others} ${words.length ? "other " : ""}entries`);
    return words.join(" and ");
  }

  function plural(count, word) {
    return `${count} ${word}${count === 1 ? "" : "s"}`;
  }

  function clock(iso) {
    return iso ? new Date(iso).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }) : "";
  }

  // Start ------------------------------------------------------------------------------

  status.querySelector("[data-sync-now]").addEventListener("click", () => syncNow(true));
  document.addEventListener("input", () => { edited = true; });
  showKeptCopy();
  window.addEventListener("online", () => syncNow(false));

  // Registering checks the network for a newer worker, which can take seconds on a bad
  // connection; what the phone already holds is shown without waiting for that.
  navigator.serviceWorker.register(status.dataset.worker).then(watchForUpdates).catch(() => {
    // Without a worker the app still works online; nothing to show.
  });
  navigator.serviceWorker.ready.then(async () => {
    if (!navigator.serviceWorker.controller) await ask({ type: "claim" });
    // An account deleted just now: the phone lets go of its entries and kept pages.
    if (document.body.dataset.forget) await ask({ type: "forget", user: document.body.dataset.forget });
    show(await ask({ type: "status" }));
    if (user) {
      loadReminders();
      await ask({ type: "hello" });
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
    }
    syncNow(onHistory);
  });
})();
