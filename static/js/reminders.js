// Reminders on this phone. On every signed-in page: this phone's push subscription is
// sent to the server again, because browsers do not reliably say when it changes. On the
// reminder settings (templates/reminders/_devices.html): turning reminders on from a tap,
// the person's devices with how their last reminder went, removing one, a test reminder.
"use strict";

(() => {
  const user = document.body.dataset.user;
  const subscriptionsUrl = document.currentScript.dataset.subscriptionsUrl;
  if (!user || !("serviceWorker" in navigator)) return;

  const box = document.getElementById("reminder-devices");
  let thisDevice = null; // this phone's id on the server, once it gets reminders

  // Talking to the server -----------------------------------------------------------------

  async function request(url, method = "GET", body = undefined) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15000), // a stalled network must not hold the page
    });
    if (!response.ok) {
      throw Object.assign(new Error(`${method} ${url}: ${response.status}`), { status: response.status });
    }
    return response.status === 204 ? null : response.json();
  }

  // The token htmx sends with every request from this page.
  function csrfToken() {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  }

  function problem(error) {
    if (error.status === 401) return "Your session has ended. Sign in again to change reminders.";
    if (error.status === 429) return "That's several test reminders in a short time. Try again in a minute.";
    if (error.status) return "Something went wrong on our side. Please try again in a moment.";
    if (error.name === "TypeError") return "No connection right now. Try again when you're back online.";
    if (error.name === "TimeoutError") return "The connection is too slow right now. Try again in a moment.";
    return "This phone couldn't set up reminders just now. Please try again in a moment.";
  }

  // This phone's subscription -------------------------------------------------------------

  async function currentSubscription() {
    if (!("PushManager" in window) || !("Notification" in window)) return null;
    const registration = await navigator.serviceWorker.getRegistration();
    const subscription = registration && (await registration.pushManager.getSubscription());
    return subscription && Notification.permission === "granted" ? subscription : null;
  }

  async function resend() {
    try {
      const subscription = await currentSubscription();
      if (subscription) thisDevice = (await save(subscription)).id;
      if (thisDevice) remember(true);
    } catch (error) {
      // 410: the person removed this phone from another device, so it lets go of its
      // subscription too. Offline, or the server away: the next page load tries again.
      if (error.status === 410) await forgetThisPhone().catch(() => {});
    }
  }

  // `renew` when the person asked for reminders here with a tap: that takes back an
  // earlier removal of this phone.
  function save(subscription, renew = false) {
    return request(subscriptionsUrl, "POST", { ...subscription.toJSON(), renew });
  }

  async function turnOn() {
    // Asked straight from the tap, before anything else: iPhone allows it no other way.
    const permission = await Notification.requestPermission();
    if (permission === "denied") return showState("denied");
    if (permission !== "granted") return tell("Reminders stay off for now. Tap again whenever you're ready.");
    const { public_key: key } = await request(box.dataset.keyUrl);
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(key),
    });
    thisDevice = (await save(subscription, true)).id;
    remember(true);
    showState("on");
    tell("Send yourself a test reminder to see how one will look.");
    await refreshDevices();
  }

  function keyBytes(base64url) {
    const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(text, (character) => character.charCodeAt(0));
  }

  async function phoneState() {
    if (iphoneSafari() && !standalone()) return "ios";
    if (!("PushManager" in window) || !("Notification" in window)) return "unsupported";
    if (Notification.permission === "denied") return "denied";
    return (await currentSubscription()) ? "on" : "off";
  }

  // The same test as install.js: iPhone and iPad Safari, not another browser's shell.
  function iphoneSafari() {
    const agent = navigator.userAgent;
    const apple = /iPhone|iPad|iPod/.test(agent) || (/Macintosh/.test(agent) && navigator.maxTouchPoints > 1);
    return apple && /Safari\//.test(agent) && !/CriOS|FxiOS|EdgiOS|OPiOS|GSA\//.test(agent);
  }

  function standalone() {
    return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  }

  // The person's devices ------------------------------------------------------------------

  async function refreshDevices() {
    const { subscriptions } = await request(box.dataset.devicesUrl);
    box.querySelector("[data-devices]").replaceChildren(...subscriptions.map(deviceItem));
    box.querySelector("[data-no-devices]").hidden = subscriptions.length > 0;
    box.querySelector("[data-send-test]").hidden = subscriptions.length === 0;
  }

  function deviceItem(device) {
    const item = element("li", "device");
    const body = element("div", "device-body");
    const name = element("span", "device-name", deviceName(device));
    if (device.id === thisDevice) name.append(" ", element("span", "tag", "this phone"));
    body.append(name, element("span", "hint", lastResult(device)));
    const remove = element("button", "button quiet small", "Remove");
    remove.type = "button";
    remove.append(element("span", "visually-hidden", ` ${deviceName(device)}`));
    remove.addEventListener("click", () => act(remove, () => removeDevice(device)));
    item.append(body, remove);
    return item;
  }

  function deviceName(device) {
    return device.label || "A device";
  }

  function lastResult(device) {
    const when = device.last_attempt_at ? ` ${moment(device.last_attempt_at)}` : "";
    if (!device.last_status) return "No reminder sent yet";
    if (device.last_status === "delivered") return `Last reminder sent${when}`;
    return `Last reminder didn't go through (${device.last_status.replace(/^failed: /, "")})${when}`;
  }

  async function removeDevice(device) {
    try {
      await request(deviceUrl(device), "DELETE");
    } catch (error) {
      if (error.status !== 404) throw error; // 404: it was gone already
    }
    if (device.id === thisDevice) await forgetThisPhone();
    tell(`${deviceName(device)} won't get reminders any more.`);
    await refreshDevices();
  }

  // The server no longer sends to this phone: drop its subscription too, or the next page
  // load would send it again.
  async function forgetThisPhone() {
    const subscription = await currentSubscription();
    if (subscription) await subscription.unsubscribe();
    thisDevice = null;
    remember(false);
    if (box) showState(await phoneState());
  }

  // That this phone gets the person's reminders, so that a page can say when it stops
  // (offline.js): notifications turned off in the phone's settings, say.
  function remember(gets) {
    const key = `tend-reminders:${user}`;
    if (gets) localStorage.setItem(key, "this phone");
    else localStorage.removeItem(key);
  }

  // The page is given the address of device 0; a device's own has its id in the 0's place.
  function deviceUrl(device) {
    return new URL(String(device.id), new URL(box.dataset.deviceUrl, location.href));
  }

  // A test reminder -----------------------------------------------------------------------

  async function sendTest() {
    tell("Sending…");
    const { results } = await request(box.dataset.testUrl, "POST");
    const allSent = results.every((result) => result.outcome === "delivered");
    // Each device's row shows how its reminder went; when one failed, the list says so in
    // words (a device its push service forgot has no row any more).
    const list = box.querySelector("[data-test-results]");
    list.replaceChildren(...results.map((result) => element("li", "", testResult(result))));
    list.hidden = allSent;
    if (!results.length) tell("No device gets reminders yet.");
    else if (allSent) tell("Test reminder sent. It should appear in a moment.");
    else tell("The test reminder didn't reach every device:");
    const forgotten = results.some((result) => result.outcome === "gone" && result.id === thisDevice);
    if (forgotten) await forgetThisPhone();
    await refreshDevices();
  }

  function testResult(result) {
    const name = result.label || "A device";
    if (result.outcome === "delivered") return `${name}: sent.`;
    if (result.outcome === "gone") return `${name}: no longer takes reminders, so it was removed.`;
    if (result.outcome === "retry") {
      return `${name}: its notification service is busy. Try again in a few minutes.`;
    }
    return `${name}: couldn't be reached (${result.last_status.replace(/^failed: /, "")}).`;
  }

  // On the page ---------------------------------------------------------------------------

  function showState(name) {
    for (const part of box.querySelectorAll("[data-state]")) part.hidden = part.dataset.state !== name;
  }

  function tell(text) {
    box.querySelector("[data-message]").textContent = text;
  }

  // Run a button's work once at a time, and say in words what went wrong.
  async function act(button, work) {
    if (button.disabled) return;
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      tell(problem(error));
    } finally {
      button.disabled = false;
    }
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // "at 3:04 PM" today, "on May 14 at 3:04 PM" before.
  function moment(iso) {
    const date = new Date(iso);
    const time = `at ${date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" })}`;
    if (date.toDateString() === new Date().toDateString()) return time;
    return `on ${date.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
  }

  // Start -----------------------------------------------------------------------------------

  async function setUp() {
    const turnOnButton = box.querySelector("[data-turn-on]");
    turnOnButton.addEventListener("click", () => act(turnOnButton, turnOn));
    const testButton = box.querySelector("[data-send-test]");
    testButton.addEventListener("click", () => act(testButton, sendTest));
    showState(await phoneState().catch(() => "unsupported"));
    await refreshDevices().catch((error) => tell(problem(error)));
  }

  const sent = resend();
  if (box) sent.then(setUp);
})();
