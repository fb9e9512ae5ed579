"""Server budget (DESIGN §8): both check-in writes against the framework's own floor.

Budget: each check-in write holds >= 50 % of the throughput of the floor
(bench/floor.py: a signed-in htmx POST that does nothing), measured in one run beside
it and beside a bare Flask "hello world", and its p99 is <= 50 ms at 8 connections.
The two writes are

  - POST /checkins: one tap on the card, as htmx sends it;
  - POST /api/v1/sync with one check-in: what the phone's outbox sends, which is the
    path most taps take since writes are kept on the phone first.

What it does, all on 127.0.0.1 and bounded in time:
  1. makes a temporary instance folder (fresh SQLite tend.db) and migrates it;
  2. starts gunicorn three times with identical settings, for bench/hello.py, for
     Tend (wsgi:app) and for bench/floor.py, each on a free port;
  3. registers eight people over HTTP (one a connection: the load of eight people
     tapping at once), and keeps each one's session cookie, CSRF token and user tag;
  4. warms the servers up, then for each round loads hello (GET /), the tap, the floor
     and the sync with wrk, for the same duration and the same number of connections;
     every write carries a fresh uuid4; each sync load starts with every phone up to
     date, and each sync carries the cursor its person's last answer gave back, as the
     outbox does;
  5. checks every response was 200 and that every check-in row reached the database
     once, prints a table and the ratios, stops the servers, and exits 1 if the budget
     fails (2 if the measurement itself is not trustworthy).

Every request but the sync says `Accept-Encoding: gzip, deflate, br`, as browsers do,
so answers are compressed as they are for a person (the floor's tiny answer is not; nor
is hello's). The sync's answers are read for their cursor, so they come uncompressed; a
one-entry answer at a current cursor is below the 500 bytes Tend compresses anyway.

Needs wrk (Debian: `apt-get install -y wrk`): a load generator in Python would eat the
same two cores as the servers it measures. wrk runs with one thread and a Lua script
that builds every request and counts the status of every answer.

Server settings (the same for all three apps): gunicorn's default `sync` worker class,
one worker per core (`-w 2`), no threads. The repository has no production gunicorn
config, so gunicorn's defaults apply; Tend is CPU-bound Python on SQLite, which takes
one writer at a time, so threads add GIL and lock contention (worse tails, no more
throughput) and more processes than cores only add SQLite lock waits. Eight connections
keep both workers busy. Other settings can be compared with --worker-class/--workers/
--threads.

Run from the repository root (about two minutes):

    .venv/bin/python bench/http_checkin.py

which is the same as

    .venv/bin/python bench/http_checkin.py --duration 10 --warmup 3 --rounds 3 \
        --connections 8 --people 8 --workers 2 --threads 1 --worker-class sync

Medians of the rounds are compared. The floor is the most any check-in could reach on
this stack: it pays for the session, the sign-in, CSRF and the response hooks, and
nothing else. The table also shows the CPU each side used: if other processes were
busy during a load ("other" column), the script says so, because then the throughputs
are low and noisy. bench/profile_write.py shows where a write's time goes.
"""
import argparse
import contextlib
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
VENV_BIN = REPO / ".venv" / "bin" if (REPO / ".venv" / "bin").is_dir() else Path(
    sys.executable).parent
BUDGET = 0.50  # each write's throughput over the floor's
P99_BUDGET_MS = 50
USER_AGENT = "tend-bench/1"
PASSWORD = "bench-password-1234"  # noqa: S105 - throwaway accounts in a temp database
STARTUP_TIMEOUT = 60  # seconds for gunicorn to answer its first request
STOP_TIMEOUT = 15  # seconds for gunicorn to exit after SIGTERM
MARKER = "BENCH_JSON "
NOISY_CPU = 0.25  # cores used by anything but the server and wrk that make a run suspect
ACCEPT_ENCODING = "gzip, deflate, br"  # what Chromium sends
TARGETS = ("hello", "checkin", "floor", "sync")
WRITES = ("checkin", "sync")
LABELS = {"hello": "GET / (hello.py)", "checkin": "POST /checkins",
          "floor": "POST no-op (floor.py)", "sync": "POST /api/v1/sync"}

# One Lua script for every target, so wrk does the same work per request for each:
# request() builds the request (people take turns), response() counts 200s and
# everything else and, for a sync, keeps the cursor each person's answer gives back;
# done() prints one JSON line that this script parses.
LUA = r"""
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  bad = 0
  turn = 0
  cursors = {}
  waiting = {}
  for i, person in ipairs(PEOPLE) do cursors[i] = person.cursor end
  math.randomseed(os.time() * 1000 + tid * 7919)
  for _ = 1, 10 do math.random() end
end

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  if MODE == "hello" then
    return wrk.format("GET", PATH, COMMON)
  end
  turn = turn % #PEOPLE + 1
  local person = PEOPLE[turn]
  local id = uuid4()
  if MODE == "form" then
    return wrk.format("POST", PATH, person.headers, "id=" .. id .. "&tank=" .. math.random(1, 5))
  end
  waiting[id] = turn
  local now = os.date("!%Y-%m-%dT%H:%M:%S+00:00")
  local body = string.format(
    '{"user":"%s","cursor":%d,"entries":[{"kind":"checkin","id":"%s","tank":%d,' ..
    '"created_at":"%s","updated_at":"%s","deleted":false}]}',
    person.tag, cursors[turn], id, math.random(1, 5), now, now)
  return wrk.format("POST", PATH, person.headers, body)
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
  if MODE == "sync" and status == 200 then
    local id = string.match(body, '"results":%s*%[%s*{%s*"id":%s*"([%x-]+)"')
    local cursor = tonumber(string.match(body, '"cursor":%s*(%d+)'))
    local who = id and waiting[id]
    if who then
      waiting[id] = nil
      if cursor and cursor > cursors[who] then cursors[who] = cursor end
    end
  end
end

function done(summary, latency, requests)
  local good, wrong = 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    wrong = wrong + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,"ok":%d,"bad":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    MARKER, summary.requests, summary.duration, summary.bytes, good, wrong,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def lua_string(value):
    """A Lua string literal for `value` (which holds no newlines)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua_table(headers):
    return "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"


def write_lua(path, mode, target_path, people, content_type=None):
    """The wrk script for one target: the shared LUA body with its settings on top.

    Each person's requests carry their own session cookie and CSRF token (and, for a
    form write, the htmx header a tap sends).
    """
    common = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
    lines = [
        f"MODE = {lua_string(mode)}",
        f"PATH = {lua_string(target_path)}",
        f"MARKER = {lua_string(MARKER)}",
        f"COMMON = {lua_table(common)}",
        "PEOPLE = {",
    ]
    for person in people:
        headers = common | {"Cookie": person.cookie, "X-CSRFToken": person.token}
        if mode == "form":
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
        else:
            # The load reads each answer's cursor, which it could not in a compressed
            # one; a one-entry answer is under the 500 bytes worth compressing anyway.
            headers |= {"Content-Type": "application/json", "Accept-Encoding": "identity"}
        lines.append(f"  {{tag = {lua_string(person.tag)}, cursor = {person.cursor}, "
                     f"headers = {lua_table(headers)}}},")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n" + LUA)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(instance):
    """Environment for migrating and serving Tend on plain HTTP from a temp instance."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "TEND_TRUSTED_PROXIES"}}
    env.update(
        TEND_INSTANCE_PATH=str(instance),
        TEND_COOKIE_SECURE="0",
        TEND_RATELIMIT_ENABLED="0",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


class Server:
    """One gunicorn master (and its workers), started and stopped by this script only."""

    def __init__(self, name, chdir, app, port, args, env, log_dir, extra=()):
        self.name, self.port = name, port
        self.log_path = log_dir / f"gunicorn-{name}.log"
        self.cmd = [
            str(VENV_BIN / "gunicorn"), "--chdir", str(chdir),
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.workers), "--threads", str(args.threads),
            "--worker-class", args.worker_class,
            "--backlog", "2048", "--timeout", "30", "--graceful-timeout", "5",
            "--log-level", "warning",
            *extra,
            app,
        ]
        self.env = env
        self.proc = None

    def start(self):
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv
            self.cmd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited; see {self.log_text()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path, headers={"User-Agent": USER_AGENT})
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name}: not answering after {STARTUP_TIMEOUT}s")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # The master did not go: end its process group (this server's own workers).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self._log.close()

    def cpu_seconds(self):
        """CPU time used so far by this server's master and live workers (from /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # After the ")" closing the command: state ppid pgrp ... utime(12) stime(13).
            if int(fields[2]) == self.proc.pid:
                total += int(fields[11]) + int(fields[12])
        return total / ticks

    def log_text(self):
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-4000:]
        return ""


class Client:
    """A minimal cookie-keeping HTTP client over http.client (no extra dependency)."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, fields=None, headers=None, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        head = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookies:
            head["Cookie"] = self.cookie_header()
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            head["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=head)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return resp.status, dict(resp.getheaders()), text

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def csrf_token(html):
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no csrf_token in the page")
    return match.group(1)


def registered_client(port, email="bench@example.com"):
    """A Client that has just registered over HTTP, so it holds a signed-in session."""
    client = Client(port)
    status, _, page = client.request("GET", "/register")
    if status != 200:
        raise RuntimeError(f"GET /register answered {status}")
    fields = {"email": email, "password": PASSWORD, "timezone": "UTC",
              "csrf_token": csrf_token(page)}
    status, _, _ = client.request("POST", "/register", fields)
    if status != 302:
        raise RuntimeError(f"POST /register answered {status}, expected 302")
    return client


@dataclass
class Person:
    """A signed-in person as the load sends them: cookies, CSRF token, user tag, and the
    cursor their phone starts the next sync load with."""

    email: str
    cookie: str
    token: str
    tag: str
    cursor: int


def sign_up(port, number):
    """Register person `number` over HTTP and try both writes once by hand, to fail early
    and clearly if a request's shape is wrong."""
    email = f"bench-{number}@example.com"
    client = registered_client(port, email)
    status, _, body = client.request("GET", "/api/v1/session")
    if status != 200:
        raise RuntimeError(f"GET /api/v1/session after registering answered {status}")
    session = json.loads(body)
    token, tag = session["csrf_token"], session["user"]
    status, _, fragment = client.request(
        "POST", "/checkins", {"id": str(uuid.uuid4()), "tank": "3"},
        {"HX-Request": "true", "X-CSRFToken": token},
    )
    if status != 200:
        raise RuntimeError(f"probe check-in answered {status}: {fragment[:300]}")
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    batch = {"user": tag, "cursor": None, "entries": [{
        "kind": "checkin", "id": str(uuid.uuid4()), "tank": 2, "created_at": now,
        "updated_at": now, "deleted": False}]}
    status, _, answer = client.request(
        "POST", "/api/v1/sync", body=json.dumps(batch),
        headers={"Content-Type": "application/json", "X-CSRFToken": token})
    if status != 200 or json.loads(answer)["results"][0]["status"] != "created":
        raise RuntimeError(f"probe sync answered {status}: {answer[:300]}")
    return Person(email, client.cookie_header(), token, tag, json.loads(answer)["cursor"])


def busy_cores_seconds():
    """CPU seconds the whole machine has spent busy so far (all cores, from /proc/stat)."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def load(name, scripts, servers, people, db_path, args, duration):
    """One load of a target. Each sync load starts with every person's phone up to date
    (their cursor at their latest change, the taps of the load before included), as a
    phone that syncs after each write is."""
    if name == "sync":
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
            latest = dict(conn.execute("SELECT email, change_seq FROM users"))
        for person in people:
            person.cursor = latest[person.email]
        write_lua(scripts[name], "sync", "/api/v1/sync", people)
    return run_wrk(scripts[name], servers[name], args, duration)


def run_wrk(script, server, args, duration):
    """One bounded wrk run; returns the parsed numbers and the CPU each side used."""
    port = server.port
    cmd = [
        args.wrk, "--threads", str(args.wrk_threads), "--connections", str(args.connections),
        "--duration", f"{duration}s", "--timeout", f"{args.request_timeout}s",
        "--script", str(script), "--latency", f"http://127.0.0.1:{port}",
    ]
    machine_cpu = busy_cores_seconds()
    server_cpu = server.cpu_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(  # noqa: S603 - fixed argv
        cmd, capture_output=True, text=True, timeout=duration + 60, check=False,
    )
    # wrk is the only child reaped while it runs, so the children's delta is wrk's.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    server_cpu = server.cpu_seconds() - server_cpu
    machine_cpu = busy_cores_seconds() - machine_cpu
    for line in out.stdout.splitlines():
        if line.startswith(MARKER):
            result = json.loads(line[len(MARKER):])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            # Socket-level failures; wrk's err_status (non-2xx/3xx) is covered by "bad".
            result["errors"] = sum(
                result[k] for k in ("err_connect", "err_read", "err_write", "err_timeout"))
            seconds = result["duration_us"] / 1e6
            result["server_cpu"] = server_cpu / seconds  # cores busy, 1.0 = one core
            result["wrk_cpu"] = wrk_cpu / seconds
            # Anything else busy on the machine (other processes, steal) skews the result.
            result["other_cpu"] = max(0.0, (machine_cpu - server_cpu - wrk_cpu) / seconds)
            result["cpu_ms_per_req"] = server_cpu * 1000 / max(result["requests"], 1)
            return result
    raise RuntimeError(f"wrk gave no result (exit {out.returncode}):\n{out.stdout}\n{out.stderr}")


def count_checkins(db_path):
    """Rows in the checkins table, read with a separate read-only connection."""
    uri = f"file:{db_path}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
        return conn.execute("SELECT COUNT(*) FROM checkins").fetchone()[0]


def fmt_ms(us):
    return f"{us / 1000:.2f}"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured load")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=8, help="open connections (wrk -c)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--rounds", type=int, default=3,
                        help="load every target this many times in turn; medians are compared")
    parser.add_argument("--people", type=int, default=8,
                        help="people signed in, taking turns over the requests")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk", help="path to wrk")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (wrk -t)")
    parser.add_argument("--request-timeout", type=int, default=10,
                        help="seconds before wrk counts a request as timed out")
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="minimum write/floor throughput ratio")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp folder (database, logs, wrk scripts)")
    args = parser.parse_args(argv)
    for name in ("duration", "connections", "workers", "threads", "rounds", "wrk_threads",
                 "people"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.duration > 300 or args.rounds > 10 or args.connections > 1000:
        parser.error("keep it bounded: --duration <= 300, --rounds <= 10, --connections <= 1000")
    if args.connections < args.wrk_threads:
        parser.error("--connections must be at least --wrk-threads")
    return args


def main(argv=None):
    args = parse_args(argv)
    if not shutil.which(args.wrk):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="tend-bench-"))
    instance = tmp / "instance"
    instance.mkdir()
    env = bench_env(instance)
    servers = []
    try:
        subprocess.run(  # noqa: S603 - fixed argv
            [str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=REPO, env=env, check=True, capture_output=True, timeout=120,
        )
        hello = Server("hello", BENCH, "hello:app", free_port(), args, env, tmp)
        tend = Server("tend", REPO, "wsgi:app", free_port(), args, env, tmp)
        floor = Server("floor", BENCH, "floor:app", free_port(), args, env, tmp,
                       extra=("--pythonpath", str(REPO)))
        servers = [hello, tend, floor]
        for server in servers:
            server.start()
        hello.wait_ready("/")
        tend.wait_ready("/register")
        floor.wait_ready("/register")

        people = [sign_up(tend.port, n) for n in range(args.people)]
        scripts = {name: tmp / f"{name}.lua" for name in TARGETS}
        write_lua(scripts["hello"], "hello", "/", people)
        write_lua(scripts["checkin"], "form", "/checkins", people)
        # The same request as a tap, to a route that does nothing with it.
        write_lua(scripts["floor"], "form", "/bench/noop", people)
        servers_by_target = {"hello": hello, "checkin": tend, "floor": floor, "sync": tend}

        db_path = instance / "tend.db"
        if args.warmup:
            for name in TARGETS:
                load(name, scripts, servers_by_target, people, db_path, args, args.warmup)

        results = {name: [] for name in TARGETS}
        problems = []
        for _ in range(args.rounds):
            for name in TARGETS:
                if name not in WRITES:
                    results[name].append(
                        load(name, scripts, servers_by_target, people, db_path, args,
                             args.duration))
                    continue
                time.sleep(1)  # let in-flight writes from the load before land first
                before = count_checkins(db_path)
                result = load(name, scripts, servers_by_target, people, db_path, args,
                              args.duration)
                time.sleep(2)  # requests still in flight when wrk stopped may yet commit
                result["rows_written"] = count_checkins(db_path) - before
                results[name].append(result)
                # Every counted 200 must be a new row; at most one in-flight request
                # per connection can have landed after wrk stopped counting.
                if not result["ok"] <= result["rows_written"] <= result["ok"] + args.connections:
                    problems.append(
                        f"{name}: {result['ok']} answered 200 but {result['rows_written']} "
                        "rows were written")

        for name, runs in results.items():
            for run in runs:
                if run["bad"] or run["errors"]:
                    problems.append(
                        f"{name}: {run['bad']} non-200 responses, {run['errors']} socket "
                        f"errors (connect {run['err_connect']}, read {run['err_read']}, "
                        f"write {run['err_write']}, timeout {run['err_timeout']})")
    finally:
        for server in servers:
            server.stop()
        logs = {s.name: s.log_text() for s in servers}
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    report(args, results, tmp if args.keep else None)
    passed = verdicts(args, results)
    busiest = max(r["other_cpu"] for runs in results.values() for r in runs)
    if busiest > NOISY_CPU:
        print(f"WARNING: other processes kept up to {busiest:.2f} cores busy during a load; "
              "the machine was not quiet, so throughputs are low and noisy")
    if problems:
        print("\nMEASUREMENT PROBLEMS:", *problems, sep="\n  ")
        for name, text in logs.items():
            if text.strip():
                print(f"\n--- gunicorn {name} log (tail) ---\n{text}")
        return 2
    return 0 if passed else 1


def median(runs, key):
    return statistics.median(run[key] for run in runs)


def verdicts(args, results):
    """Print each write against the budget; True when both meet it."""
    floor_rps = median(results["floor"], "rps")
    hello_rps = median(results["hello"], "rps")
    print(f"\nfloor / hello = {floor_rps:.0f} / {hello_rps:.0f} = {floor_rps / hello_rps:.1%} "
          "(what the framework itself leaves of a bare hello world)")
    passed = True
    for name in WRITES:
        runs = results[name]
        rps, p99 = median(runs, "rps"), median(runs, "p99_us") / 1000
        ratio = rps / floor_rps
        rounds = ", ".join(f"{run['rps'] / floor['rps']:.1%}"
                           for run, floor in zip(runs, results["floor"], strict=True))
        cpu = median(runs, "cpu_ms_per_req") / median(results["floor"], "cpu_ms_per_req")
        met = ratio >= args.budget and p99 <= P99_BUDGET_MS
        passed = passed and met
        print(f"{LABELS[name]}: {rps:.0f} req/s = {ratio:.1%} of the floor (rounds: {rounds}; "
              f"budget >= {args.budget:.0%}), p99 {p99:.1f} ms (budget <= {P99_BUDGET_MS} ms), "
              f"server CPU {cpu:.2f}x the floor's: {'PASS' if met else 'FAIL'}")
    return passed


def cpu_model():
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def report(args, results, kept):
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} cpus ({cpu_model()}); "
          f"load average at the end {os.getloadavg()[0]:.2f}")
    print(f"gunicorn -k {args.worker_class} -w {args.workers} --threads {args.threads}; "
          f"wrk -t {args.wrk_threads} -c {args.connections} -d {args.duration}s, "
          f"{args.rounds} round(s) of hello, the tap, the no-op floor and the sync; "
          f"{args.people} people taking turns")
    if kept:
        print(f"kept: {kept}")
    header = (f"{'target':<22}{'round':>6}{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}"
              f"{'p99 ms':>8}{'max ms':>8}{'requests':>9}{'non-200':>8}{'errors':>7}"
              f"{'rows':>7}{'srv cpu':>8}{'wrk cpu':>8}{'ms cpu/req':>11}{'other':>6}")
    print(header)
    print("-" * len(header))
    for name, runs in results.items():
        for i, run in enumerate(runs, 1):
            rows = run.get("rows_written", "")
            print(f"{LABELS[name]:<22}{i:>6}{run['rps']:>8.0f}{fmt_ms(run['p50_us']):>8}"
                  f"{fmt_ms(run['p90_us']):>8}{fmt_ms(run['p99_us']):>8}"
                  f"{fmt_ms(run['max_us']):>8}{run['requests']:>9}{run['bad']:>8}"
                  f"{run['errors']:>7}{rows!s:>7}{run['server_cpu']:>8.2f}"
                  f"{run['wrk_cpu']:>8.2f}{run['cpu_ms_per_req']:>11.3f}"
                  f"{run['other_cpu']:>6.2f}")
        if len(runs) > 1:
            med = {k: statistics.median(r[k] for r in runs)
                   for k in ("rps", "p50_us", "p90_us", "p99_us", "max_us", "cpu_ms_per_req")}
            print(f"{LABELS[name]:<22}{'median':>6}{med['rps']:>8.0f}{fmt_ms(med['p50_us']):>8}"
                  f"{fmt_ms(med['p90_us']):>8}{fmt_ms(med['p99_us']):>8}"
                  f"{fmt_ms(med['max_us']):>8}{'':>39}{med['cpu_ms_per_req']:>11.3f}")
    print("srv cpu / wrk cpu / other: cores kept busy during the load by the server, by wrk "
          "and by anything else;\nms cpu/req: server CPU time per request.")


if __name__ == "__main__":
    sys.exit(main())
