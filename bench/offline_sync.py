"""Offline budgets (DESIGN §8), measured through the real service worker in Chromium.

1. Sync: 1,000 check-ins queued offline in the worker's outbox reach the server in
   <= 5 requests and <= 3 s once the network is back.
2. Repeat visit, offline: the check-in page is drawn from the worker in <= 150 ms
   (first contentful paint, headless Chromium, 390x844 phone viewport).

What it does, all on 127.0.0.1 and bounded in time:
  - starts Tend with gunicorn as `make run` does (one worker, eight threads) on a fresh
    SQLite instance, with an access log;
  - registers in headless Debian Chromium, waits for the worker to control the page;
  - cuts the network (Playwright set_offline) and makes 1,000 one-tap check-ins the
    way htmx sends them (POST /checkins with HX-Request), which the worker keeps in
    its IndexedDB outbox; checks 1,000 records are there and none on the server;
  - restores the network and times from that moment until the outbox is empty (the
    page's `online` event starts the sync, as it does for a person), then counts the
    requests the access log shows for /api/v1/ in that window and the rows in SQLite;
  - reloads the check-in page offline several times and reads the first contentful
    paint of each.

Run from the repository root (about 30 s):

    .venv/bin/python bench/offline_sync.py

Exits 1 if a budget is missed, 2 if the measurement is not trustworthy.
"""
import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_checkin import REPO, Server, bench_env, free_port  # noqa: E402

sys.path.insert(0, str(REPO))
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path  # noqa: E402

ENTRIES = 1000
SYNC_REQUESTS_BUDGET = 5
SYNC_SECONDS_BUDGET = 3.0
PAINT_BUDGET_MS = 150
OUTBOX_COUNT = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("tend");
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const counting = opening.result.transaction("outbox").objectStore("outbox").count();
    counting.onsuccess = () => { opening.result.close(); resolve(counting.result); };
  };
})"""
# One tap, as htmx sends it from the home page, each with its own id.
QUEUE_TAPS = """async (count) => {
  const user = document.body.dataset.user;
  for (let n = 0; n < count; n++) {
    const body = new URLSearchParams({ id: crypto.randomUUID(), tank: String(1 + n % 5) });
    const answer = await fetch("/checkins", {
      method: "POST", body,
      headers: { "HX-Request": "true", "X-Tend-User": user },
    });
    if (!answer.ok) throw new Error(`tap ${n} answered ${answer.status}`);
  }
}"""
FIRST_PAINT = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return paint ? paint.startTime : null;
}"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=ENTRIES)
    parser.add_argument("--reloads", type=int, default=7)
    parser.add_argument("--chromium", default=chromium_path())
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="tend-bench-offline-"))
    instance = work / "instance"
    instance.mkdir()
    env = bench_env(instance)
    port = free_port()
    settings = SimpleNamespace(workers=1, threads=8, worker_class="gthread")
    server = Server("tend", REPO, "wsgi:app", port, settings, env, work)
    access_log = work / "access.log"
    server.cmd[-1:-1] = ["--access-logfile", str(access_log)]
    subprocess.run(  # noqa: S603 - fixed argv
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=REPO, env=env, check=True, capture_output=True,
    )
    server.start()
    try:
        server.wait_ready("/support")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=f"http://127.0.0.1:{port}", **PHONE)
            page = context.new_page()
            register(page)
            sync = measure_sync(page, context, access_log, instance / "tend.db", args.entries)
            paints = measure_offline_paint(page, context, args.reloads)
            browser.close()
    finally:
        server.stop()
    return report(args, sync, paints)


def register(page):
    page.goto("/register")
    page.fill("#email", "bench@example.org")
    page.fill("#password", "a calm long password")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_function("() => navigator.serviceWorker.controller && window.htmx")


def measure_sync(page, context, access_log, db_path, entries):
    context.set_offline(True)
    page.evaluate(QUEUE_TAPS, entries)
    queued = page.evaluate(OUTBOX_COUNT)
    before = count_rows(db_path)
    logged = access_log.read_text().count("/api/v1/")
    started = time.perf_counter()
    context.set_offline(False)
    deadline = started + 30
    while page.evaluate(OUTBOX_COUNT) and time.perf_counter() < deadline:
        page.wait_for_timeout(10)
    seconds = time.perf_counter() - started
    time.sleep(0.5)  # let gunicorn flush its access log
    requests = access_log.read_text().count("/api/v1/") - logged
    return SimpleNamespace(
        queued=queued, left=page.evaluate(OUTBOX_COUNT), seconds=seconds,
        requests=requests, rows=count_rows(db_path) - before,
    )


def measure_offline_paint(page, context, reloads):
    page.goto("/")  # the check-in page, kept by the worker on this visit
    page.wait_for_function("() => window.htmx")
    context.set_offline(True)
    paints = []
    for _ in range(reloads):
        page.reload()
        page.wait_for_function("() => window.htmx")
        if page.title() != "Check in · Tend":
            raise RuntimeError(f"offline reload drew {page.title()!r}, not the check-in page")
        paints.append(page.evaluate(FIRST_PAINT))
    context.set_offline(False)
    return paints


def count_rows(db_path):
    with sqlite3.connect(db_path) as connection:
        return connection.execute("SELECT count(*) FROM checkins").fetchone()[0]


def report(args, sync, paints):
    trustworthy = sync.queued == args.entries and sync.rows == args.entries and not sync.left
    sync_ok = sync.requests <= SYNC_REQUESTS_BUDGET and sync.seconds <= SYNC_SECONDS_BUDGET
    median_paint = statistics.median(paints)
    paint_ok = max(paints) <= PAINT_BUDGET_MS
    print(f"sync: {sync.queued} queued offline -> {sync.rows} rows on the server, "
          f"{sync.left} left in the outbox")
    print(f"  {sync.requests} requests to /api/v1/ (budget <= {SYNC_REQUESTS_BUDGET}), "
          f"{sync.seconds:.2f} s (budget <= {SYNC_SECONDS_BUDGET:.0f} s): "
          f"{'met' if sync_ok else 'NOT MET'}")
    print(f"offline check-in page, first contentful paint over {len(paints)} reloads: "
          f"median {median_paint:.0f} ms, max {max(paints):.0f} ms "
          f"(budget <= {PAINT_BUDGET_MS} ms): {'met' if paint_ok else 'NOT MET'}")
    print("  each: " + ", ".join(f"{paint:.0f}" for paint in paints))
    if not trustworthy:
        print("measurement not trustworthy: entries missing or left behind")
        return 2
    return 0 if sync_ok and paint_ok else 1


if __name__ == "__main__":
    sys.exit(main())
