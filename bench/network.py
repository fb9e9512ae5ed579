"""Instant on any network (DESIGN §8), measured through the real service worker in Chromium.

Budget: every write a person makes shows its confirmation <= 100 ms after the tap (p95,
headless Chromium, phone viewport) whether the network is good, slow (>= 1.5 s a round
trip), stalled (connected, nothing answers: "lie-fi"), gone, or just back from a stall;
and it reaches the server exactly once within 10 s of the network being good again; and
every tab opens <= 500 ms on a stalled network, from the phone's kept copy.

What it does, all on 127.0.0.1 and bounded in time:
  - starts Tend with gunicorn as `make run` does (one worker, eight threads) on a fresh
    SQLite instance, and puts the lie-fi proxy (tests/lie_fi.py) in front of it;
  - drives headless Debian Chromium at a phone's size at the PROXY's address, so the
    pages and the service worker both go through it; registers an account and waits
    until the worker controls the page;
  - for each mode: good, slow (the proxy holds every chunk to the server 1.5 s),
    stalled (nothing moves, not even a close), recovered (good again right after >= 5 s
    of stall in which one write of the same kind was made) and offline (Playwright
    set_offline, the proxy good), and for each kind of write:
      tap        on the home page, "Some left": `#checkin-title` starts with "Saved";
      extra      on the card a tap leaves, a step of "Where am I leaning?" (a different
                 one each time): a new `#part-leans .saved-mark` saying "Saved...";
      practice   on the home page, a chip under "Did something for yourself?":
                 `#practice-done-status` gets text;
      reflection "Stuck with a case?", a problem and whose it is, then "Save
                 reflection": a status in `#stuck-answer` starting with "Saved";
    taps with Playwright's tap() and measures tap -> confirmation in the page (a
    capturing pointerdown/click listener and a MutationObserver, read with evaluate);
    a page that must be opened again (the tank form and the reflection form are
    replaced by their answers) is opened in the same mode, and its time is reported;
  - reads the server's SQLite database (read-only, every 50 ms, in a thread) to time
    each entry from the moment the network is good again (or from its tap, if that is
    later) until the server holds it, and checks that every entry is there exactly
    once: the ids the forms sent, no more and no fewer rows; an extra's check-in must
    end with the lean that was tapped last.

Then it opens each tab of the bottom bar (visited once on a good network) four times on
a stalled network and reads each page's first contentful paint, from the start of its
navigation, and whether the worker drew it from the kept copy (<body data-kept-at>).

Every wait is capped: a tap not confirmed within 5 s is a miss (counted as 5,000 ms), a
page that does not open within 10 s is reported (the tap it was for is a miss). A cell
whose taps take seconds (median > 1 s: a slow or a stalled network) and whose budget is
already lost after 5 taps (more than 5 % of its planned taps over 100 ms) stops there
and says so; --all-taps makes every planned tap regardless.

Run from the repository root (about 2.5 minutes with the local-first worker; about
5.5 minutes with the worker before it, whose slow and stalled taps take seconds):

    .venv/bin/python bench/network.py

--quick makes 3 taps per cell (a smoke run: about 1 minute, 3.5 with the worker before);
--json PATH writes every measurement. Exits 1 if a budget is missed, 2 if the
measurement is not trustworthy (the worker never controlled the page, the proxy saw no
traffic, a page said "saved" before its tap, the database could not be read).
"""
import argparse
import contextlib
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_checkin import REPO, Server, bench_env, free_port  # noqa: E402

sys.path.insert(0, str(REPO))
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path  # noqa: E402
from tests.browser.people import LEAN_STEP, lean_step, register, tank_button  # noqa: E402
from tests.lie_fi import LieFiProxy  # noqa: E402

MODES = ("good", "slow", "stalled", "recovered", "offline")
KINDS = ("tap", "extra", "practice", "reflection")
TAPS = 20
QUICK_TAPS = 3
MIN_TAPS = 5  # a slow cell whose budget is lost stops after this many
SLOW_CELL_MS = 1000  # a cell is slow when its median tap takes longer
CONFIRM_BUDGET_MS = 100  # p95
DELIVERY_BUDGET_S = 10.0
MISS_MS = 5000  # a tap not confirmed within this is a miss
PAGE_TIMEOUT_MS = 10_000
TAB_BUDGET_MS = 500  # p95, each tab opened on a stalled network
TAB_ROUNDS = 4  # times each of the five tabs is opened
# The first contentful paint of the page, in ms from the navigation's start, and whether
# the worker drew it from the phone's kept copy (which marks the <body>).
TAB_PAINT = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return paint ? { ms: paint.startTime, kept: Boolean(document.body.dataset.keptAt) } : null;
}"""
STALL_SECONDS = 5.0  # before "recovered"
SLOW_SECONDS = 1.5
DELIVERY_WAIT_S = DELIVERY_BUDGET_S + 2  # after each cell, before the next one
FINAL_WAIT_S = 15.0  # at the end, for anything still missing
POLL_S = 0.05
TABLES = {"tap": "checkins", "practice": "practices_done", "reflection": "reflections"}
PAGES = {"tap": "/", "practice": "/", "reflection": "/reflect/stuck"}
# What must be on a page before its write can be tapped.
READY = {
    "tap": "form#checkin .tank-button",
    "practice": ".quick-done form[data-new-entry] .chip",
    "reflection": "#stuck-form #stuck-save",
}
ENTRY_ID = {
    "tap": "form#checkin input[name=id]",
    "practice": ".quick-done form[data-new-entry] input[name=id]",
    "reflection": "#stuck-form input[name=id]",
}
PROBLEM = "I keep wanting to fix everything for them"

# Runs in every page before its own scripts: times a tap and its confirmation.
# arm(kind) readies one measurement: the next pointerdown (or click) is the tap, and a
# MutationObserver notes the first moment the kind's confirmation is in the page.
INSTRUMENT = """
(() => {
  const bench = { kind: null, tapAt: null, doneAt: null, early: false, observer: null };
  Object.defineProperty(window, "__tendBench", { value: bench });
  const saysSaved = (node) => node.textContent.trim().startsWith("Saved");
  const confirmed = {
    tap: () => {
      const title = document.getElementById("checkin-title");
      return Boolean(title) && saysSaved(title);
    },
    extra: () => [...document.querySelectorAll("#part-leans .saved-mark:not([data-bench-old])")]
      .some(saysSaved),
    practice: () => {
      const status = document.getElementById("practice-done-status");
      return Boolean(status) && status.textContent.trim() !== "";
    },
    reflection: () => [...document.querySelectorAll(
      "#stuck-answer [role=status], #stuck-answer .reflect-done-title")].some(saysSaved),
  };
  function tagOldMarks() {
    document.querySelectorAll("#part-leans .saved-mark").forEach((mark) => {
      mark.dataset.benchOld = "yes";
    });
  }
  function check() {
    if (!bench.kind || bench.doneAt !== null || !confirmed[bench.kind]()) return;
    if (bench.tapAt === null) {
      // Only what comes after the tap answers it. A part of the card can be answered
      // late for an earlier tap (one held by a stall): that mark is old too.
      if (bench.kind === "extra") tagOldMarks();
      else bench.early = true;
      return;
    }
    bench.doneAt = performance.now();
    bench.observer.disconnect();
  }
  function tapped() {
    if (bench.kind && bench.tapAt === null) bench.tapAt = performance.now();
  }
  addEventListener("pointerdown", tapped, true);
  addEventListener("click", tapped, true);
  bench.arm = (kind) => {
    if (bench.observer) bench.observer.disconnect();
    if (kind === "extra") tagOldMarks();
    if (kind === "practice") document.getElementById("practice-done-status")?.replaceChildren();
    Object.assign(bench, { kind, tapAt: null, doneAt: null, early: false });
    if (confirmed[kind]()) return "confirmed before the tap";
    bench.observer = new MutationObserver(check);
    bench.observer.observe(document.documentElement,
      { subtree: true, childList: true, characterData: true });
    return null;
  };
  bench.read = () => ({ tapAt: bench.tapAt, doneAt: bench.doneAt, early: bench.early });
})();
"""
DONE = "() => window.__tendBench && window.__tendBench.doneAt !== null"
PAGE_READY = """(selector) => document.readyState !== "loading" && window.htmx
  && document.querySelector(selector)"""
SETTLED = "() => !document.querySelector('.htmx-swapping, .htmx-settling')"
CHECKED_LEAN = """() => {
  const checked = document.querySelector("#part-leans input[name=lean_personal]:checked");
  return checked ? Number(checked.value) : null;
}"""
CARD_ID = """() => {
  const form = document.getElementById("part-leans");
  const match = form && /\\/checkins\\/([0-9a-f-]{36})\\//.exec(form.getAttribute("action"));
  return match ? match[1] : null;
}"""


# Bookkeeping -----------------------------------------------------------------------------


@dataclass
class Tap:
    ms: float  # tap -> confirmation; MISS_MS for a miss
    miss: bool
    note: str = ""


@dataclass
class Cell:
    mode: str
    kind: str
    planned: int
    taps: list = field(default_factory=list)
    stopped_early: bool = False

    def values(self):
        return [tap.ms for tap in self.taps]

    def misses(self):
        return sum(tap.miss for tap in self.taps)

    def lost(self):
        """More taps over budget than the planned taps' p95 allows."""
        allowed = self.planned - math.ceil(0.95 * self.planned)
        return sum(ms > CONFIRM_BUDGET_MS for ms in self.values()) > allowed

    def met(self):
        return bool(self.taps) and percentile(self.values(), 95) <= CONFIRM_BUDGET_MS


@dataclass
class Entry:
    """One entry a tap made (a row the server must end up holding exactly once)."""
    mode: str
    kind: str
    id: str
    tapped_at: float  # perf_counter
    good_at: float | None = None  # when the network was good again after it


@dataclass
class Lean:
    """The lean an extra's check-in must end with: the one tapped last in a cell."""
    mode: str
    checkin: str
    value: int
    tapped_at: float
    good_at: float | None = None


def percentile(values, q):
    """Nearest-rank percentile (the value at rank ceil(q% of n))."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


class Watcher:
    """Reads the server's SQLite database every 50 ms in a thread: when each entry id
    first appeared, and each check-in's lean (and when it last changed)."""

    def __init__(self, db_path):
        self.db_path = db_path
        self.lock = threading.Lock()
        self.first_seen = {table: {} for table in TABLES.values()}
        self.lean = {}  # check-in id -> (lean_personal, changed_at)
        self.error = None
        self.reads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="db-watcher", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)

    def _run(self):
        uri = f"file:{self.db_path}?mode=ro"
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as connection:
                while not self._stop.is_set():
                    self._read(connection)
                    self._stop.wait(POLL_S)
        except sqlite3.Error as error:
            self.error = f"{type(error).__name__}: {error}"

    def _read(self, connection):
        now = time.perf_counter()
        found = {table: connection.execute(f"SELECT id FROM {table}").fetchall()  # noqa: S608
                 for table in self.first_seen}
        leans = connection.execute("SELECT id, lean_personal FROM checkins").fetchall()
        with self.lock:
            for table, rows in found.items():
                for (entry_id,) in rows:
                    self.first_seen[table].setdefault(entry_id, now)
            for entry_id, value in leans:
                if entry_id not in self.lean or self.lean[entry_id][0] != value:
                    self.lean[entry_id] = (value, now)
            self.reads += 1

    def seen(self, table, entry_id):
        with self.lock:
            return self.first_seen[table].get(entry_id)

    def lean_of(self, checkin):
        with self.lock:
            return self.lean.get(checkin, (None, None))

    def ids(self, table):
        with self.lock:
            return set(self.first_seen[table])


# The run ---------------------------------------------------------------------------------


class Bench:
    def __init__(self, args, page, context, proxy, watcher):
        self.args, self.page, self.context, self.proxy, self.watcher = (
            args, page, context, proxy, watcher)
        self.cells = []
        self.entries = []
        self.leans = []
        self.opens = {mode: [] for mode in (*MODES, "setup")}  # seconds per page opened
        self.open_failures = {mode: [] for mode in (*MODES, "setup")}
        self.tabs = {}  # path -> [(ms to first paint, from the kept copy)], open_tabs()
        self.problems = []  # reasons the measurement cannot be trusted
        self.mode = "setup"
        self.fresh = None  # the kind whose fresh form the page holds
        self.last_id = None
        self.step = 0  # the lean step tapped last
        self.load = os.getloadavg()

    # The network ---------------------------------------------------------------------

    def network(self, mode):
        """Put the network in `mode`; returns the moment it was set (perf_counter)."""
        if mode == "offline":
            self.proxy.set_mode("good")
            self.context.set_offline(True)
        else:
            self.context.set_offline(False)
            self.proxy.set_mode("good" if mode == "recovered" else mode)
        return time.perf_counter()

    # Pages ---------------------------------------------------------------------------

    def open(self, path, ready):
        """Open `path` in the current network; False when it did not open in time."""
        started = time.perf_counter()
        try:
            self.page.goto(path, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
            left = PAGE_TIMEOUT_MS - (time.perf_counter() - started) * 1000
            self.page.wait_for_function(PAGE_READY, arg=ready, timeout=max(left, 1),
                                        polling=20)
        except Exception as error:  # noqa: BLE001 - Playwright's errors and timeouts alike
            self.open_failures[self.mode].append(f"{path}: {str(error).splitlines()[0]}")
            return False
        self.opens[self.mode].append(time.perf_counter() - started)
        return True

    def open_for(self, kind):
        self.fresh = kind if self.open(PAGES[kind], READY[kind]) else None
        return self.fresh == kind

    # One tap -------------------------------------------------------------------------

    def measure(self, kind, target):
        """Tap `target` and time the confirmation of `kind` in the page."""
        page = self.page
        with contextlib.suppress(Exception):  # htmx wires swapped-in parts on settle
            page.wait_for_function(SETTLED, timeout=1000, polling=20)
        try:
            problem = page.evaluate("kind => window.__tendBench.arm(kind)", kind)
        except Exception as error:  # noqa: BLE001 - not one of the app's pages
            problem = f"could not arm the measurement: {str(error).splitlines()[0]}"
        if problem:
            self.problems.append(f"{self.mode}/{kind}: {problem}")
        note = ""
        try:
            target.tap(timeout=MISS_MS)
        except Exception as error:  # noqa: BLE001
            note = f"could not tap: {str(error).splitlines()[0]}"
        try:
            page.wait_for_function(DONE, timeout=MISS_MS, polling="raf")
        except Exception as error:  # noqa: BLE001 - a timeout, or the page navigated
            note = note or ("not confirmed" if "Timeout" in type(error).__name__
                            else f"the page went: {str(error).splitlines()[0]}")
        try:
            seen = page.evaluate("() => window.__tendBench.read()")
        except Exception:  # noqa: BLE001 - the page navigated away
            seen = {"tapAt": None, "doneAt": None, "early": False}
        if seen["early"]:
            self.problems.append(f"{self.mode}/{kind}: the page said saved before the tap")
        tapped = seen["tapAt"] is not None
        if tapped and seen["doneAt"] is not None:
            ms = seen["doneAt"] - seen["tapAt"]
            if ms <= MISS_MS:
                return Tap(round(ms, 1), False), tapped
            note = "confirmed too late"
        return Tap(MISS_MS, True, note or "the tap never reached the page"), tapped

    def tap_kind(self, kind, timed=True):
        """One write of `kind` from a fresh form (opened if needed); returns a Tap or None."""
        if kind == "extra":
            return self.tap_extra(timed)
        page = self.page
        if (self.fresh != kind or (kind == "practice" and not self.renewed())) and not (
                self.open_for(kind)):
            return Tap(MISS_MS, True, "the page did not open") if timed else None
        if kind == "reflection":
            page.locator("#problem-0").fill(PROBLEM)
            page.locator("#whose-0").select_option(index=1)
        entry_id = page.locator(ENTRY_ID[kind]).input_value()
        target = (tank_button(page, "Some left") if kind == "tap"
                  else page.locator(".quick-done .chip").first if kind == "practice"
                  else page.locator("#stuck-save"))
        started = time.perf_counter()
        result, tapped = self.measure(kind, target)
        if tapped:
            self.entries.append(Entry(self.mode, kind, entry_id, started))
        # The chip row stays after a save (with a new id once the save is answered); the
        # other forms are replaced by their answer, and a form whose save hangs is disabled.
        self.fresh = kind if kind == "practice" and not result.miss else None
        self.last_id = entry_id
        return result if timed else None

    def renewed(self):
        """Whether the chip row has a new id since the last tap (app.js renews it)."""
        try:
            self.page.wait_for_function(
                "([selector, last]) => document.querySelector(selector)?.value !== last",
                arg=[ENTRY_ID["practice"], self.last_id], timeout=1000, polling=20)
        except Exception:  # noqa: BLE001
            return False
        return True

    def tap_extra(self, timed):
        page = self.page
        checkin = page.evaluate(CARD_ID)
        if checkin is None:
            self.problems.append(f"{self.mode}/extra: no check-in card on the page")
            return Tap(MISS_MS, True, "no card") if timed else None
        current = page.evaluate(CHECKED_LEAN)
        self.step = self.step % 5 + 1
        if LEAN_STEP[self.step] == current:
            self.step = self.step % 5 + 1
        started = time.perf_counter()
        result, tapped = self.measure("extra", lean_step(page, "lean_personal", self.step))
        if tapped:
            self.leans.append(Lean(self.mode, checkin, LEAN_STEP[self.step], started))
        return result if timed else None

    def make_card(self):
        """A check-in made on a good network, its card left on the page for the extras."""
        self.network("good")
        mode, self.mode = self.mode, "setup"
        self.tap_kind("tap", timed=False)
        self.mode = mode
        if self.page.evaluate(CARD_ID) is None:
            self.problems.append(f"{mode}/extra: the check-in card did not appear on a good "
                                 "network")

    # Tabs on a stalled network ----------------------------------------------------------

    def open_tabs(self, rounds):
        """Open each tab of the bottom bar `rounds` times on a stalled network; returns
        {path: [(ms to first contentful paint, drawn from the kept copy), ...]}."""
        self.network("good")
        self.mode = "setup"
        self.open(PAGES["tap"], READY["tap"])
        paths = self.page.evaluate(
            "() => [...document.querySelectorAll('nav.tab-bar a')].map(a => a.pathname)")
        if len(paths) != 5:
            self.problems.append(f"tabs: expected the five tabs of the bottom bar, found {paths}")
        for path in paths:  # visited once on a good network, as a person would have
            self.open(path, "main")
        self.network("stalled")
        self.mode = "stalled"
        painted = {path: [] for path in paths}
        for _ in range(rounds):
            for path in paths:
                try:
                    self.page.goto(path, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
                    paint = self.page.wait_for_function(TAB_PAINT, timeout=PAGE_TIMEOUT_MS,
                                                        polling=20).json_value()
                    painted[path].append((paint["ms"], paint["kept"]))
                except Exception as error:  # noqa: BLE001 - Playwright's errors and timeouts
                    self.open_failures["stalled"].append(f"tab {path}: {error}"[:150])
                    painted[path].append((PAGE_TIMEOUT_MS, False))
        self.network("good")
        return painted

    # A cell: one mode, one kind ----------------------------------------------------------

    def cell(self, mode, kind):
        self.mode = mode
        if kind == "extra":
            self.make_card()
        else:
            self.network("good")
            self.mode = "setup"  # a fresh form, opened while the network is good
            self.open_for(kind)
            self.mode = mode
        first_entry, first_lean = len(self.entries), len(self.leans)
        if mode == "recovered":
            stalled_at = self.network("stalled")
            self.tap_kind(kind, timed=False)
            left = STALL_SECONDS - (time.perf_counter() - stalled_at)
            if left > 0:
                self.page.wait_for_timeout(left * 1000)
            good_at = self.network("recovered")
            self.stamp(first_entry, first_lean, good_at)
        else:
            self.network(mode)
        cell = Cell(mode, kind, self.args.taps)
        self.cells.append(cell)
        for _ in range(self.args.taps):
            cell.taps.append(self.tap_kind(kind))
            if (not self.args.all_taps and len(cell.taps) >= min(MIN_TAPS, self.args.taps)
                    and len(cell.taps) < cell.planned and cell.lost()
                    and percentile(cell.values(), 50) > SLOW_CELL_MS):
                cell.stopped_early = True
                break
        good_at = self.network("good")
        if mode in ("slow", "stalled", "offline"):
            # Made while the network was not good: timed from now. (In the good and the
            # recovered modes the network was good at each tap: timed from the tap.)
            self.stamp(first_entry, first_lean, good_at)
        self.wait_delivered(good_at + DELIVERY_WAIT_S, self.entries[first_entry:]
                            + self.leans[first_lean:])
        self.report_cell(cell)

    def stamp(self, first_entry, first_lean, good_at):
        """The network is good from `good_at` for the entries made since these indexes."""
        for item in self.entries[first_entry:] + self.leans[first_lean:]:
            if item.good_at is None:
                item.good_at = good_at

    def delivered(self, item):
        if isinstance(item, Lean):
            last = [lean for lean in self.leans if lean.checkin == item.checkin][-1]
            return item is not last or self.watcher.lean_of(item.checkin)[0] == item.value
        return self.watcher.seen(TABLES[item.kind], item.id) is not None

    def wait_delivered(self, deadline, items=None):
        items = self.entries + self.leans if items is None else items
        while time.perf_counter() < deadline:
            if all(self.delivered(item) for item in items):
                return
            self.page.wait_for_timeout(POLL_S * 1000)

    def report_cell(self, cell):
        values = cell.values()
        print(f"  {cell.mode:<10}{cell.kind:<11}{len(values):>3} taps  "
              f"p50 {percentile(values, 50):>6.0f} ms  p95 {percentile(values, 95):>6.0f} ms  "
              f"misses {cell.misses()}{'  (stopped early)' if cell.stopped_early else ''}",
              flush=True)


# Results -----------------------------------------------------------------------------------


def deliveries(bench, watcher):
    """Per (mode, kind): seconds to the server (max), and entries missing or unexpected."""
    rows = {}
    for entry in bench.entries:
        seen = watcher.seen(TABLES[entry.kind], entry.id)
        start = max(entry.good_at or entry.tapped_at, entry.tapped_at)
        row = rows.setdefault((entry.mode, entry.kind), {"entries": set(), "seconds": [],
                                                        "missing": []})
        row["entries"].add(entry.id)
        if seen is None:
            row["missing"].append(entry.id)
        else:
            row["seconds"].append(max(0.0, seen - start))
    for mode in {lean.mode for lean in bench.leans}:
        cards = {}
        for lean in bench.leans:
            if lean.mode == mode:
                cards[lean.checkin] = lean  # the last tapped on each card
        row = rows.setdefault((mode, "extra"), {"entries": set(), "seconds": [], "missing": []})
        for checkin, lean in cards.items():
            row["entries"].add(checkin)
            value, changed_at = watcher.lean_of(checkin)
            if value != lean.value:
                row["missing"].append(f"{checkin}: lean {value}, tapped {lean.value}")
            else:
                start = max(lean.good_at or lean.tapped_at, lean.tapped_at)
                row["seconds"].append(max(0.0, changed_at - start))
    for row in rows.values():
        row["entries"] = len(row["entries"])
    expected = {table: {e.id for e in bench.entries if TABLES[e.kind] == table}
                for table in TABLES.values()}
    unexpected = {table: sorted(watcher.ids(table) - ids) for table, ids in expected.items()}
    return rows, unexpected


def report(args, bench, rows, unexpected, seconds, proxy):
    print(f"\n{time.strftime('%Y-%m-%d %H:%M:%S %Z')}: tap -> confirmation in the page, ms "
          f"(budget p95 <= {CONFIRM_BUDGET_MS} ms; a miss = not confirmed in {MISS_MS} ms)")
    header = (f"{'mode':<11}{'kind':<12}{'taps':>5}{'p50':>8}{'p95':>8}{'max':>8}"
              f"{'misses':>8}  verdict")
    print(header)
    print("-" * len(header))
    ok = True
    for cell in bench.cells:
        values = cell.values()
        met = cell.met()
        ok &= met
        taps = f"{len(values)}" if len(values) == cell.planned else f"{len(values)}/{cell.planned}"
        print(f"{cell.mode:<11}{cell.kind:<12}{taps:>5}{percentile(values, 50):>8.0f}"
              f"{percentile(values, 95):>8.0f}{max(values):>8.0f}{cell.misses():>8}  "
              f"{'met' if met else 'NOT MET'}"
              f"{' (stopped early: budget already lost)' if cell.stopped_early else ''}")

    print(f"\nto the server: seconds from the network being good again (or the tap, if "
          f"later) until SQLite holds it (budget <= {DELIVERY_BUDGET_S:.0f} s, exactly once)")
    header = f"{'mode':<11}{'kind':<12}{'entries':>8}{'max s':>8}{'missing':>9}  verdict"
    print(header)
    print("-" * len(header))
    for mode in ("setup", *MODES):
        for kind in KINDS:
            row = rows.get((mode, kind))
            if not row:
                continue
            late = max(row["seconds"], default=0.0)
            met = not row["missing"] and late <= DELIVERY_BUDGET_S
            ok &= met
            print(f"{mode:<11}{kind:<12}{row['entries']:>8}{late:>8.2f}{len(row['missing']):>9}"
                  f"  {'met' if met else 'NOT MET'}")
            for missing in row["missing"][:3]:
                print(f"{'':<23}missing: {missing}")
    for table, ids in unexpected.items():
        if ids:
            ok = False
            print(f"UNEXPECTED rows in {table} (not an id any tap sent): {len(ids)}")
    if not any(unexpected.values()):
        print("no row the taps did not send (no duplicates under another id)")

    print("\npages opened for the taps, from goto() until the form can be tapped, s (context "
          "for the tabs' budget below; not part of the verdict):")
    for mode in MODES:
        opened, failed = bench.opens[mode], bench.open_failures[mode]
        if opened or failed:
            shown = (f"p50 {statistics.median(opened):.2f}  max {max(opened):.2f}"
                     if opened else "none opened")
            print(f"  {mode:<10}{len(opened):>3} opened  {shown}  "
                  f"{len(failed)} did not open in {PAGE_TIMEOUT_MS / 1000:.0f} s")
            for failure in failed[:2]:
                print(f"            {failure[:150]}")
    print(f"\ntabs opened on a stalled network: first contentful paint, ms from the tap's "
          f"navigation (budget p95 <= {TAB_BUDGET_MS} ms, from the phone's kept copy)")
    header = f"{'tab':<14}{'opens':>6}{'p50':>8}{'p95':>8}{'max':>8}{'kept':>6}  verdict"
    print(header)
    print("-" * len(header))
    for path, opens in bench.tabs.items():
        values = [ms for ms, _ in opens]
        kept = sum(1 for _, from_copy in opens if from_copy)
        met = percentile(values, 95) <= TAB_BUDGET_MS and kept == len(opens)
        ok &= met
        print(f"{path:<14}{len(values):>6}{percentile(values, 50):>8.0f}"
              f"{percentile(values, 95):>8.0f}{max(values):>8.0f}{kept:>6}  "
              f"{'met' if met else 'NOT MET'}")
    notes = {}
    for cell in bench.cells:
        for tap in cell.taps:
            if tap.note:
                notes[(cell.mode, cell.kind, tap.note[:120])] = notes.get(
                    (cell.mode, cell.kind, tap.note[:120]), 0) + 1
    if notes:
        print("misses, why:")
        for (mode, kind, note), count in notes.items():
            print(f"  {mode}/{kind}: {count} x {note}")
    print(f"\nproxy: {proxy.connections} connections, {proxy.bytes_to_server:,} bytes to the "
          f"server, {proxy.bytes_to_client:,} back; run took {seconds:.0f} s; load average "
          f"{bench.load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          f"({os.cpu_count()} cpus)")
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=TAPS, help="taps per mode and kind")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_TAPS} taps per cell")
    parser.add_argument("--all-taps", action="store_true",
                        help="make every planned tap even in a cell whose budget is lost")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    parser.add_argument("--chromium", default=chromium_path())
    args = parser.parse_args(argv)
    if args.quick:
        args.taps = QUICK_TAPS
    from playwright.sync_api import sync_playwright

    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="tend-bench-network-"))
    instance = work / "instance"
    instance.mkdir()
    env = bench_env(instance)
    port = free_port()
    settings = SimpleNamespace(workers=1, threads=8, worker_class="gthread")
    server = Server("tend", REPO, "wsgi:app", port, settings, env, work)
    subprocess.run(  # noqa: S603 - fixed argv
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=REPO, env=env, check=True, capture_output=True,
    )
    server.start()
    proxy = LieFiProxy(port, SLOW_SECONDS)
    try:
        server.wait_ready("/support")
        proxy.start()
        with (Watcher(instance / "tend.db") as watcher, sync_playwright() as playwright):
            browser = playwright.chromium.launch(executable_path=args.chromium,
                                                 args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=proxy.url, **PHONE)
            context.add_init_script(INSTRUMENT)
            page = context.new_page()
            bench = Bench(args, page, context, proxy, watcher)
            register(page, "bench@example.org", "a calm long password")
            try:
                page.wait_for_function("() => navigator.serviceWorker.controller",
                                       timeout=30_000)
            except Exception:  # noqa: BLE001
                print("the service worker never controlled the page: nothing to measure")
                return 2
            print(f"Tend ({REPO}) at 127.0.0.1:{port}, Chromium at {proxy.url} (lie-fi "
                  f"proxy); {args.taps} taps per mode and kind", flush=True)
            for mode in MODES:
                for kind in KINDS:
                    bench.cell(mode, kind)
            bench.tabs = bench.open_tabs(1 if args.quick else TAB_ROUNDS)
            bench.network("good")
            bench.wait_delivered(time.perf_counter() + FINAL_WAIT_S)
            rows, unexpected = deliveries(bench, watcher)
            browser.close()
    finally:
        proxy.stop()
        server.stop()
    seconds = time.perf_counter() - began
    ok = report(args, bench, rows, unexpected, seconds, proxy)
    if watcher.error or not watcher.reads:
        bench.problems.append(f"the database could not be read: {watcher.error}")
    if not proxy.connections or not proxy.bytes_to_server:
        bench.problems.append("no traffic went through the proxy")
    if args.json:
        args.json.write_text(json.dumps({
            "cells": [asdict(cell) for cell in bench.cells],
            "entries": [asdict(entry) for entry in bench.entries],
            "leans": [asdict(lean) for lean in bench.leans],
            "deliveries": [{"mode": mode, "kind": kind, **row}
                           for (mode, kind), row in rows.items()],
            "unexpected": unexpected,
            "opens": bench.opens, "open_failures": bench.open_failures, "tabs": bench.tabs,
            "problems": bench.problems, "seconds": seconds, "repo": str(REPO),
            "load_average": {"start": bench.load, "end": os.getloadavg()},
        }, indent=1))
    if bench.problems:
        print("\nMEASUREMENT PROBLEMS:", *sorted(set(bench.problems)), sep="\n  ")
        return 2
    print(f"\nbudget (p95 <= {CONFIRM_BUDGET_MS} ms everywhere; on the server exactly once "
          f"within {DELIVERY_BUDGET_S:.0f} s; tabs p95 <= {TAB_BUDGET_MS} ms on a stalled "
          f"network): {'met' if ok else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
