"""Page-weight budgets (DESIGN §8): what a phone downloads the first time it opens Tend.

Budgets, in bytes on the wire (compressed bodies plus response headers, as Chromium
counts them):
  (a) the HTML and CSS that draw the check-in: <= 14 KB (14,336 bytes), so the page
      can arrive in the first round trip of a new connection;
  (b) everything the first visit downloads: <= 60 KB (61,440 bytes). The service worker
      installs during the first visit and downloads the offline shell, so what it
      downloads counts too.

What it does, all on 127.0.0.1 and bounded in time:
  1. makes a temporary instance folder (fresh SQLite tend.db) and migrates it;
  2. starts gunicorn as `make run` does (one gthread worker, 8 threads) on a free port;
  3. registers a user over HTTP and keeps the session cookie;
  4. opens "/" (the check-in) in a fresh headless Chromium context at phone size
     (390 x 844, mobile, touch) that holds nothing but that cookie: an empty cache and
     no service worker yet;
  5. records every response, each sized by Network.loadingFinished's encodedDataLength:
     the page's through its own DevTools session, the service worker's through
     Playwright, which attaches to the worker before its first line runs and reads the
     same event there; until the worker is installed and the network has been quiet
     for a second;
  6. prints a table and the two sums, stops the server, and exits 1 if a budget is
     missed (2 if the measurement itself went wrong: an error answer or a failed load).

Chromium reports no transfer size for a service worker's own scripts (sw.js and the
modules it imports). Those few are fetched once more over a plain socket with the
cookie and Accept-Encoding the browser sent, and every byte that comes back is counted;
they are marked * in the table.

Run from the repository root (about 15 s):

    .venv/bin/python bench/page_weight.py
"""
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from http_checkin import (
    REPO,
    VENV_BIN,
    Server,
    bench_env,
    free_port,
    registered_client,
)
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(REPO))

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path  # noqa: E402

DRAW_BUDGET = 14 * 1024
TOTAL_BUDGET = 60 * 1024
# The same server settings as `make run`.
SERVER = SimpleNamespace(workers=1, threads=8, worker_class="gthread")
QUIET_SECONDS = 1.0
SETTLE_TIMEOUT = 30  # seconds for the page and the worker to finish downloading
NETWORK_EVENTS = [
    f"Network.{name}" for name in (
        "requestWillBeSent", "requestWillBeSentExtraInfo", "responseReceived",
        "responseReceivedExtraInfo", "dataReceived", "loadingFinished", "loadingFailed")
]


def register(port):
    """Create an account over HTTP; return the signed-in session's cookies."""
    return dict(registered_client(port).cookies)


class PageDownloads:
    """The responses the page's own DevTools session reports, by request id."""

    def __init__(self, cdp):
        self.items = {}
        self.last_event = time.monotonic()
        for method in NETWORK_EVENTS:
            cdp.on(method, lambda params, method=method: self.on_event(method, params))
        cdp.send("Network.enable")

    def on_event(self, method, params):
        """Take one Network event."""
        self.last_event = time.monotonic()
        item = self.items.setdefault(params["requestId"], {
            "source": "page", "url": None, "type": "", "status": None, "encoding": "",
            "transferred": 0, "header_bytes": 0, "decoded": 0, "done": False, "failed": None,
            "request_headers": {}, "own_script": False,
        })
        if method == "Network.requestWillBeSent":
            item["url"] = params["request"]["url"]
            item["type"] = params.get("type", "")
        elif method == "Network.requestWillBeSentExtraInfo":
            item["request_headers"] = params["headers"]
        elif method == "Network.responseReceivedExtraInfo":
            item["header_bytes"] = len(params.get("headersText", "").encode())
        elif method == "Network.responseReceived":
            response = params["response"]
            item["status"] = response["status"]
            headers = {k.lower(): v for k, v in response["headers"].items()}
            item["encoding"] = headers.get("content-encoding", "")
        elif method == "Network.dataReceived":
            item["decoded"] += params["dataLength"]
        elif method == "Network.loadingFinished":
            item["transferred"] = params["encodedDataLength"]
            item["done"] = True
        elif method == "Network.loadingFailed":
            item["failed"] = params["errorText"]
            item["done"] = True

    def finished(self):
        """Every request the page made so far has finished or failed."""
        return all(item["done"] for item in self.items.values() if item["url"])

    def rows(self):
        """One row per request the page made."""
        return [item for item in self.items.values() if item["url"]]


class WorkerDownloads:
    """What the service worker downloads, from Playwright's view of its requests.

    Playwright attaches to the worker before its first line runs and sizes each
    response from the worker's own Network.loadingFinished (encodedDataLength).
    """

    def __init__(self, context):
        self.pending = set()
        self.done = []
        self.last_event = time.monotonic()
        context.on("request", self._started)
        context.on("requestfinished", self._ended)
        context.on("requestfailed", self._ended)

    def _started(self, request):
        if request.service_worker:
            self.last_event = time.monotonic()
            self.pending.add(request)

    def _ended(self, request):
        if request.service_worker:
            self.last_event = time.monotonic()
            self.pending.discard(request)
            self.done.append(request)

    def finished(self):
        """Every request the worker made so far has finished or failed."""
        return not self.pending

    def rows(self):
        """One row per request the worker made; its own scripts are marked."""
        rows = []
        for request in self.done:
            response = request.response()
            sizes = request.sizes()
            rows.append({
                "source": "worker", "url": request.url, "type": request.resource_type,
                "status": response.status if response else None,
                "encoding": (response and response.header_value("content-encoding")) or "",
                "transferred": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                "header_bytes": sizes["responseHeadersSize"], "decoded": None,
                "failed": request.failure,
                # Its own script and what that imports; everything else is its fetch().
                "own_script": request.resource_type != "fetch",
            })
        return rows


class Visit:
    """One first visit in Chromium: the page's downloads and its service worker's."""

    def __init__(self, context, page):
        self.page = page
        self.page_downloads = PageDownloads(context.new_cdp_session(page))
        self.worker_downloads = WorkerDownloads(context)

    def open(self, path):
        """Load `path` and wait until the page and its service worker have downloaded all."""
        self.page.goto(path, wait_until="load")
        watched = (self.page_downloads, self.worker_downloads)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(200)
            quiet = all(d.finished() for d in watched) and time.monotonic() - max(
                d.last_event for d in watched) >= QUIET_SECONDS
            worker_ready = self.page.evaluate(
                "() => navigator.serviceWorker.getRegistration()"
                ".then(found => !found || Boolean(found.active))")
            if quiet and worker_ready:
                return self.page_downloads.rows() + self.worker_downloads.rows()
        raise RuntimeError(f"still downloading after {SETTLE_TIMEOUT} s")


def fetch_raw(port, path, headers):
    """One HTTP/1.1 answer exactly as sent: (status, header bytes, total bytes, encoding)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
             *(f"{name}: {value}" for name, value in headers.items()),
             "Connection: close", "", ""]
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall("\r\n".join(lines).encode())
        while chunk := sock.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status = int(head.split(" ", 2)[1])
    fields = dict(line.lower().split(": ", 1) for line in head.split("\r\n")[1:])
    return status, len(head) + 4, len(answer), fields.get("content-encoding", "")


def measure_own_scripts(rows, port, cookies, accept_encoding):
    """Size the worker's own scripts over HTTP (Chromium reports none for them)."""
    headers = {"Accept-Encoding": accept_encoding,
               "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    for row in rows:
        if row["own_script"]:
            path = urlsplit(row["url"]).path
            row["status"], row["header_bytes"], row["transferred"], row["encoding"] = (
                fetch_raw(port, path, headers))


def first_visit(port, cookies):
    """A first visit to "/": (every download, Chromium's version, its Accept-Encoding)."""
    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(**PHONE)
            context.add_cookies(
                [{"name": name, "value": value, "url": base} for name, value in cookies.items()])
            page = context.new_page()
            rows = Visit(context, page).open(f"{base}/")
            version = browser.version
        finally:
            browser.close()
    document = next(row for row in rows if row["type"] == "Document")
    sent = {name.lower(): value for name, value in document["request_headers"].items()}
    accept_encoding = sent["accept-encoding"]
    measure_own_scripts(rows, port, cookies, accept_encoding)
    return rows, version, accept_encoding


def draws_the_check_in(row):
    """The page's HTML and its stylesheets: what must arrive before the card appears."""
    return row["source"] == "page" and row["type"] in {"Document", "Stylesheet"}


def report(rows):
    """Print the table; return the two sums."""
    header = (f"{'source':<7}{'type':<11}{'status':>6}  {'enc':<5}{'transferred':>12}"
              f"{'of which headers':>17}{'decoded':>9}  url")
    print(header)
    print("-" * (len(header) + 30))
    for row in rows:
        mark = "*" if row["own_script"] else ""
        decoded = "?" if row["decoded"] is None else f"{row['decoded']:,}"
        print(f"{row['source']:<7}{row['type'] or 'Script':<11}{row['status'] or 'fail':>6}  "
              f"{row['encoding'] or '-':<5}{row['transferred']:>11,}{mark:1}"
              f"{row['header_bytes']:>17,}{decoded:>9}  {urlsplit(row['url']).path}")
    draw = sum(row["transferred"] for row in rows if draws_the_check_in(row))
    by_source = {source: sum(row["transferred"] for row in rows if row["source"] == source)
                 for source in ("page", "worker")}
    headers = sum(row["header_bytes"] for row in rows)
    print(f"\n{len(rows)} responses; {headers:,} of their bytes are response headers")
    return draw, by_source


def verdict(passed):
    """PASS or FAIL."""
    return "PASS" if passed else "FAIL"


def main():
    """Measure one first visit; 0 when both budgets hold, 1 when one is missed, 2 on error."""
    tmp = Path(tempfile.mkdtemp(prefix="tend-bench-"))
    instance = tmp / "instance"
    instance.mkdir()
    env = bench_env(instance)
    server, log = None, ""
    try:
        subprocess.run(  # noqa: S603 - fixed argv
            [str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=REPO, env=env, check=True, capture_output=True, timeout=120,
        )
        server = Server("tend", REPO, "wsgi:app", free_port(), SERVER, env, tmp)
        server.start()
        server.wait_ready("/register")
        cookies = register(server.port)
        rows, version, accept_encoding = first_visit(server.port, cookies)
    finally:
        if server:
            server.stop()
            log = server.log_text()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; Chromium {version}, headless, "
          f"390x844 mobile; Accept-Encoding: {accept_encoding}")
    print(f"gunicorn -k {SERVER.worker_class} -w {SERVER.workers} --threads {SERVER.threads}; "
          "GET / signed in, empty cache, no service worker yet\n")
    draw, by_source = report(rows)
    total = sum(by_source.values())
    print("\n* the worker's own script: Chromium reports no size, so it was fetched again "
          "over HTTP and counted byte for byte")
    print(f"\n(a) HTML + CSS that draw the check-in: {draw:,} bytes "
          f"(budget <= {DRAW_BUDGET:,}): {verdict(draw <= DRAW_BUDGET)}")
    print(f"(b) everything on the first visit: page {by_source['page']:,} + service worker "
          f"{by_source['worker']:,} = {total:,} bytes (budget <= {TOTAL_BUDGET:,}): "
          f"{verdict(total <= TOTAL_BUDGET)}")

    problems = [f"{urlsplit(row['url']).path}: {row['failed'] or row['status']}"
                for row in rows if row["failed"] or not 200 <= (row["status"] or 0) < 400]
    if problems:
        print("\nMEASUREMENT PROBLEMS:", *problems, sep="\n  ")
        if log.strip():
            print(f"\n--- gunicorn log (tail) ---\n{log}")
        return 2
    return 0 if draw <= DRAW_BUDGET and total <= TOTAL_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
