// The app shell and the personal pages the phone keeps for when there is no network.
//
// The shell (CSS, scripts, icons, the offline page and card, the crisis page) is
// precached under a versioned name, and old versions are deleted on activate. Personal
// pages are kept as they are visited, in a cache that sign-out and sign-in empty.
"use strict";

const TendCaching = (() => {
  const SHELL = `tend-shell-${self.TEND.version}`;
  const PAGES = "tend-pages";
  // On a bad connection, show the kept copy of a page after this long, so that a tab
  // opens within half a second whatever the network does (DESIGN §8).
  const PATIENCE_MS = 250;
  // A page the phone has no copy of waits longer for a slow network before the offline
  // page (which still takes a check-in) stands in.
  const NO_COPY_PATIENCE_MS = 4000;
  // When a kept page was fetched, written on its copy, so the page can say how fresh it is.
  const KEPT_AT = "X-Tend-Kept-At";
  const KEEPING = "X-Tend-Keep"; // on a page fetched to keep (webapp/pages.py)
  // Counts sign-ins and sign-outs: a page fetched before one is never kept after it.
  let generation = 0;
  const shellTexts = new Map();

  async function install() {
    const cache = await caches.open(SHELL);
    await cache.addAll(self.TEND.precache.map(shellRequest));
  }

  // "no-cache" revalidates: a file the page has just loaded costs a 304, not a copy.
  // A shell page that shows a signed-in person their own numbers (the support page) is
  // fetched as nobody: the shell outlives sign-out, and the person's own copy is kept
  // with their pages, which keptPage prefers.
  function shellRequest(url) {
    const credentials = self.TEND.anonymousShell.includes(url) ? "omit" : "same-origin";
    return new Request(url, { cache: "no-cache", credentials });
  }

  async function activate() {
    const names = await caches.keys();
    await Promise.all(
      names.filter((name) => name.startsWith("tend-shell-") && name !== SHELL)
        .map((name) => caches.delete(name)),
    );
  }

  // The person's main pages, kept as soon as they are signed in (a sign-in lands on a
  // redirect, which the worker never sees), so the app opens offline before they were
  // visited; the others (and the files those need) from the next page load on, so that
  // the first visit stays small.
  async function keepMainPages() {
    const started = generation;
    const firstVisit = !(await caches.match(self.TEND.mainPages[0], { cacheName: PAGES }));
    await keepPages(self.TEND.mainPages, started);
    if (firstVisit) return;
    await keepPages(self.TEND.laterPages, started);
    const shell = await caches.open(SHELL);
    for (const url of self.TEND.laterFiles) {
      if (!(await shell.match(url))) await shell.add(shellRequest(url));
    }
  }

  // Pages are kept for the person signed in when keeping began (`started`): once they
  // sign out, the rest are not even fetched, for the server may not have ended the
  // session yet and would still answer with their pages.
  async function keepPages(urls, started) {
    for (const url of urls) {
      if (started !== generation) return;
      if (await caches.match(url, { cacheName: PAGES })) continue;
      // Marked, so the server keeps what it says only once for a page someone opens.
      const response = await TendNetwork.fetch(url, { credentials: "same-origin", headers: { [KEEPING]: "1" } });
      await keepPage(url, response, started);
    }
  }

  async function keepPage(request, response, started) {
    if (!response.ok || !isPersonalPage(response) || started !== generation) return false;
    const headers = new Headers(response.headers);
    headers.set(KEPT_AT, new Date().toISOString());
    // The body is kept as it was decoded.
    headers.delete("Content-Encoding");
    headers.delete("Content-Length");
    const copy = new Response(await response.blob(), { status: response.status, headers });
    const pages = await caches.open(PAGES);
    if (started !== generation) return false;
    await pages.put(request, copy);
    return true;
  }

  function forgetPersonalPages() {
    generation += 1;
    return caches.delete(PAGES);
  }

  function isOwnGet(request) {
    return request.method === "GET" && new URL(request.url).origin === self.location.origin;
  }

  // The answer to a read, or null to let the browser fetch it as usual.
  function answerRead(event) {
    const request = event.request;
    if (!isOwnGet(request)) return null;
    const path = new URL(request.url).pathname;
    if (path.startsWith("/api/") || path === "/sw.js") return null;
    if (request.mode === "navigate") return navigate(event);
    if (request.headers.get("HX-Request")) return fragment(request);
    return shellFirst(request);
  }

  // Pages: the network first, so they are fresh; the kept copy when it fails or dawdles,
  // marked with when it was kept. A page shown from its copy is told when the network
  // has answered after all, and the fresh page is kept, so it can refresh in place.
  async function navigate(event) {
    const request = event.request;
    const started = generation;
    let showedCopy = false;
    const fromNetwork = TendNetwork.fetch(request).then((response) => {
      const keeping = keepPage(request, response.clone(), started)
        .then((kept) => kept && showedCopy && tellFresh(event.resultingClientId, request));
      event.waitUntil(keeping.catch(() => {}));
      return response;
    });
    event.waitUntil(fromNetwork.catch(() => {}));
    const kept = keptPage(request);
    try {
      const first = await Promise.race([fromNetwork, TendNetwork.later(PATIENCE_MS).then(() => kept)]);
      if (first && first === (await kept)) {
        showedCopy = true;
        return markedCopy(first);
      }
      if (first) return first;
      const last = await Promise.race([fromNetwork, TendNetwork.later(NO_COPY_PATIENCE_MS - PATIENCE_MS)]);
      if (last) return last;
      return (await caches.match(self.TEND.offlinePage)) || offlineText();
    } catch (error) {
      const copy = await kept;
      if (copy) return markedCopy(copy);
      return (await caches.match(self.TEND.offlinePage)) || offlineText();
    }
  }

  // A kept page with the time it was kept written on its <body> (data-kept-at).
  async function markedCopy(response) {
    const keptAt = response.headers.get(KEPT_AT);
    if (!keptAt) return response;
    const page = (await response.text()).replace("<body", `<body data-kept-at="${keptAt}"`);
    return new Response(page, { status: response.status, headers: response.headers });
  }

  async function tellFresh(clientId, request) {
    const page = clientId && (await self.clients.get(clientId));
    const copy = page && (await caches.match(request, { cacheName: PAGES }));
    if (copy) page.postMessage({ type: "fresh", url: request.url, html: await copy.text() });
  }

  // A page of the signed-in app; the sign-in and registration forms are never kept.
  function isPersonalPage(response) {
    const type = response.headers.get("Content-Type") || "";
    const path = new URL(response.url).pathname;
    return type.startsWith("text/html") && !response.redirected
      && !self.TEND.accountUrls.includes(path);
  }

  async function keptPage(request) {
    // The kept page was stored without HX-Request, so Vary keeps fragments out of it.
    // The person's own copy comes first: for the support page it holds their numbers.
    const pages = await caches.open(PAGES);
    return (await pages.match(request)) || (await caches.match(request, { cacheName: SHELL }));
  }

  // htmx fetches (GET): never stored, and never answered with a page.
  async function fragment(request) {
    try {
      return await TendNetwork.fetch(request);
    } catch (error) {
      return (await caches.match(request)) || offlineText();
    }
  }

  // Static files and the shell: the kept copy of this version, else the network.
  async function shellFirst(request) {
    return (await caches.match(request, { cacheName: SHELL })) || TendNetwork.fetch(request);
  }

  // A shell fragment's text, read from this version's cache once per worker start: a
  // tap answered from the phone should not wait for the cache each time.
  async function shellText(url) {
    if (!shellTexts.has(url)) {
      const response = await caches.match(url, { cacheName: SHELL });
      if (!response) return null;
      shellTexts.set(url, await response.text());
    }
    return shellTexts.get(url);
  }

  function offlineText() {
    return new Response("You're offline, and this isn't kept on the phone.", {
      status: 503,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  }

  return { install, activate, answerRead, keepMainPages, forgetPersonalPages, shellText };
})();
