// Tend's page behaviour: small enhancements on top of server-rendered HTML and htmx.
// Everything here is optional; the pages work without it.
"use strict";

document.documentElement.classList.replace("no-js", "js");

function detectTimezone(root) {
  const select = root.querySelector("select[data-detect-timezone]");
  if (!select) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && [...select.options].some((option) => option.value === zone)) {
    select.value = zone;
  }
}

function describeShare(input) {
  const output = input.form.querySelector("output");
  if (output) output.textContent = `${input.value} %`;
}

function countCharacters(input) {
  const counter = input.form.querySelector(`[data-counter-for="${input.id}"]`);
  if (!counter) return;
  const limit = Number(input.dataset.countTo);
  const left = limit - input.value.length;
  counter.textContent = left < 0
    ? `${-left} characters over the ${limit} limit`
    : left <= 40 ? `${left} characters left` : "";
  counter.classList.toggle("over", left < 0);
}

function showRequestProblem(message) {
  const box = document.getElementById("request-problem");
  if (!box) return;
  box.textContent = message;
  box.hidden = false;
}

document.addEventListener("input", (event) => {
  const target = event.target;
  if (target.matches("input[type=range][name=work_share]")) describeShare(target);
  if (target.matches("[data-count-to]")) countCharacters(target);
});

document.addEventListener("DOMContentLoaded", () => detectTimezone(document));

// Each check-in gets its id on the phone, so a tap sent twice (or kept offline and sent
// later) is still one entry. The server's id stands in when scripts don't run.
function newEntryId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The same for any form that makes a new entry (data-new-entry): a fresh id when it
// appears, and again after each save, so the next one is a new entry too.
function freshIds(root) {
  const forms = [root, ...root.querySelectorAll("form")].filter((form) => form.matches("form#checkin, form[data-new-entry]"));
  for (const form of forms) {
    const id = form.querySelector("input[name=id]");
    if (id) id.value = newEntryId();
  }
}

document.addEventListener("htmx:load", (event) => freshIds(event.detail.elt));

document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt.closest && event.detail.elt.closest("form[data-new-entry]");
  if (form && event.detail.successful) freshIds(form);
});

// Every part of the card carries the newest version it has seen, whichever part saved last.
document.addEventListener("htmx:afterSettle", () => {
  const seen = [...document.querySelectorAll("#checkin input[name=seen]")];
  const newest = seen.reduce((best, input) => (Date.parse(input.value) > Date.parse(best) ? input.value : best), "");
  seen.forEach((input) => { input.value = newest; });
});

document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  showRequestProblem(status === 403 || status === 400
    ? "That didn't save: the page had expired. Reload it and try again."
    : "That didn't save. Please try again in a moment.");
});

document.addEventListener("htmx:timeout", () => {
  showRequestProblem("That took too long: the connection is very slow. Try again in a moment.");
});

document.addEventListener("htmx:sendError", () => {
  showRequestProblem("That didn't save: no connection. Try again when you're back online.");
});

document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.successful) {
    const box = document.getElementById("request-problem");
    if (box) box.hidden = true;
  }
});

// A link to pass on (an invitation into a circle): one tap copies it, or opens the
// phone's share sheet where there is one. The button shows only when either works.
function offerCopy(root) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    const canShare = Boolean(navigator.share);
    if (!canShare && !navigator.clipboard) continue;
    if (canShare) button.textContent = "Share the link";
    button.hidden = false;
  }
}

document.addEventListener("DOMContentLoaded", () => offerCopy(document));

document.addEventListener("click", async (event) => {
  const button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) return;
  const link = document.getElementById(button.dataset.copy).value;
  const status = document.getElementById(`${button.dataset.copy}-status`);
  try {
    if (navigator.share) await navigator.share({ url: link });
    else await navigator.clipboard.writeText(link);
    if (!navigator.share && status) status.textContent = button.dataset.copied;
  } catch (error) {
    // Share sheet closed, or copying refused: the link stays there to long-press.
  }
});
