// The offer to keep Tend on the home screen (templates/pwa/_install.html): Chromium's own
// install prompt where the browser has one, the "Add to Home Screen" steps in iPhone
// Safari, which has none. "Not now" keeps it away for months; an installed app never
// sees it.
"use strict";

(() => {
  const banner = document.getElementById("install-banner");
  if (!banner) return;

  const DISMISSED_AT = "tend:install-dismissed-at";
  const QUIET_MS = 120 * 24 * 60 * 60 * 1000;
  const accept = banner.querySelector("[data-install-accept]");
  let offer = null; // the browser's deferred beforeinstallprompt event

  function standalone() {
    return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  }

  function iphoneSafari() {
    const agent = navigator.userAgent;
    // iPad Safari says it is a Mac; a Mac has no touch screen.
    const apple = /iPhone|iPad|iPod/.test(agent)
      || (/Macintosh/.test(agent) && navigator.maxTouchPoints > 1);
    // Other iOS browsers name themselves; in-app views leave out "Safari/".
    return apple && /Safari\//.test(agent) && !/CriOS|FxiOS|EdgiOS|OPiOS|GSA\//.test(agent);
  }

  function quiet() {
    try {
      return Date.now() - Number(localStorage.getItem(DISMISSED_AT)) < QUIET_MS;
    } catch (error) {
      return true; // no storage, no way to remember "Not now": better never to ask
    }
  }

  function rememberDismissal() {
    try {
      localStorage.setItem(DISMISSED_AT, String(Date.now()));
    } catch (error) {
      // Storage is full or blocked: the banner still goes away for this page.
    }
  }

  function show(way) {
    for (const part of banner.querySelectorAll("[data-install-way]")) {
      part.hidden = part.dataset.installWay !== way;
    }
    accept.hidden = way !== "prompt";
    banner.hidden = false;
  }

  function hide() {
    // The button that had focus disappears with the banner; keep keyboard users in place.
    const hadFocus = banner.contains(document.activeElement);
    banner.hidden = true;
    if (hadFocus) document.getElementById("main").focus({ preventScroll: true });
  }

  window.addEventListener("beforeinstallprompt", (event) => {
    // Instead of Chromium's own bar, the banner asks once, more quietly.
    event.preventDefault();
    offer = event;
    if (!standalone() && !quiet()) show("prompt");
  });

  window.addEventListener("appinstalled", () => {
    offer = null;
    hide();
  });

  accept.addEventListener("click", async () => {
    const chosen = offer;
    offer = null; // the browser shows an event's prompt only once
    hide();
    if (!chosen) return;
    await chosen.prompt();
    const { outcome } = await chosen.userChoice;
    if (outcome === "dismissed") rememberDismissal();
  });

  banner.querySelector("[data-install-dismiss]").addEventListener("click", () => {
    rememberDismissal();
    hide();
  });

  if (iphoneSafari() && !standalone() && !quiet()) show("ios");
})();
