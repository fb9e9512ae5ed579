"""Server budget (DESIGN §8): the check-in write vs a bare Flask "hello world".

Budget: the check-in write (POST /checkins, one tap, HTMX) holds >= 40 % of the
throughput of bench/hello.py served the same way on the same machine, measured in
one run.

What it does, all on 127.0.0.1 and bounded in time:
  1. makes a temporary instance folder (fresh SQLite tend.db) and migrates it;
  2. starts gunicorn three times with identical settings, for bench/hello.py, for
     Tend (wsgi:app) and for bench/floor.py, each on a free port;
  3. registers a user over HTTP and keeps the session cookie and CSRF token;
  4. warms both servers up, then for each round loads hello (GET /) and then the
     check-in write (POST /checkins, a fresh uuid4 per request) with wrk for the
     same duration and the same number of connections;
  5. checks every response was 200 and that the check-in rows really reached the
     database, prints a table and the ratio, stops both servers, and exits 1 if the
     budget fails (2 if the measurement itself is not trustworthy).

Needs wrk (Debian: `apt-get install -y wrk`): a load generator in Python would eat the
same two cores as the servers it measures. wrk runs with one thread and a Lua script
that builds every check-in with a new uuid4 and counts the status of every answer.

Server settings (the same for both apps): gunicorn's default `sync` worker class, one
worker per core (`-w 2`), no threads. The repository has no production gunicorn config,
so gunicorn's defaults apply; Tend is CPU-bound Python on SQLite, which takes one writer
at a time, so threads add GIL and lock contention (worse tails, no more throughput) and
more processes than cores only add SQLite lock waits. Eight connections keep both
workers busy. Other settings can be compared with --worker-class/--workers/--threads.

Run from the repository root (about 75 s):

    .venv/bin/python bench/http_checkin.py

which is the same as

    .venv/bin/python bench/http_checkin.py --duration 10 --warmup 3 --rounds 3 \
        --connections 8 --workers 2 --threads 1 --worker-class sync

Rounds alternate hello, the check-in and a floor (bench/floor.py: Tend with one route
that accepts the same signed-in htmx POST and does nothing with it), and the medians are
compared. The floor is the most any check-in could reach on this stack: it pays for the
session, the sign-in, CSRF and the response hooks, and nothing else. The table also shows
the CPU each side used: if other processes were busy during a load ("other" column),
the script says so, because then the throughputs are low and noisy.
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
VENV_BIN = REPO / ".venv" / "bin" if (REPO / ".venv" / "bin").is_dir() else Path(
    sys.executable).parent
BUDGET = 0.40
USER_AGENT = "tend-bench/1"
EMAIL = "bench@example.com"
PASSWORD = "bench-password-1234"  # noqa: S105 - throwaway account in a temp database
STARTUP_TIMEOUT = 60  # seconds for gunicorn to answer its first request
STOP_TIMEOUT = 15  # seconds for gunicorn to exit after SIGTERM
MARKER = "BENCH_JSON "
NOISY_CPU = 0.25  # cores used by anything but the server and wrk that make a run suspect

# One Lua script for both targets, so wrk does the same work per request for each:
# request() builds the request, response() counts 200s and everything else per
# thread, and done() prints one JSON line that this script parses.
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
  if MODE == "checkin" then
    local body = "id=" .. uuid4() .. "&tank=" .. math.random(1, 5)
    return wrk.format("POST", PATH, HEADERS, body)
  end
  return wrk.format("GET", PATH, HEADERS)
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
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


def write_lua(path, mode, target_path, headers):
    """The wrk script for one target: the shared LUA body with its settings on top."""
    lines = [
        f"MODE = {lua_string(mode)}",
        f"PATH = {lua_string(target_path)}",
        f"MARKER = {lua_string(MARKER)}",
        "HEADERS = {",
        *(f"  [{lua_string(k)}] = {lua_string(v)}," for k, v in headers.items()),
        "}",
    ]
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

    def request(self, method, path, fields=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        head = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookies:
            head["Cookie"] = self.cookie_header()
        body = None
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


def registered_client(port):
    """A Client that has just registered over HTTP, so it holds a signed-in session."""
    client = Client(port)
    status, _, page = client.request("GET", "/register")
    if status != 200:
        raise RuntimeError(f"GET /register answered {status}")
    fields = {"email": EMAIL, "password": PASSWORD, "timezone": "UTC",
              "csrf_token": csrf_token(page)}
    status, _, _ = client.request("POST", "/register", fields)
    if status != 302:
        raise RuntimeError(f"POST /register answered {status}, expected 302")
    return client


def sign_up(port):
    """Register over HTTP; return (cookie header, CSRF token) for the signed-in session."""
    client = registered_client(port)
    status, _, page = client.request("GET", "/")
    if status != 200:
        raise RuntimeError(f"GET / after registering answered {status}; not signed in?")
    token = csrf_token(page)
    # One check-in by hand, to fail early and clearly if the request shape is wrong.
    status, _, fragment = client.request(
        "POST", "/checkins", {"id": "00000000-0000-4000-8000-000000000000", "tank": "3"},
        {"HX-Request": "true", "X-CSRFToken": token},
    )
    if status != 200:
        raise RuntimeError(f"probe check-in answered {status}: {fragment[:300]}")
    return client.cookie_header(), token


def busy_cores_seconds():
    """CPU seconds the whole machine has spent busy so far (all cores, from /proc/stat)."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


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
                        help="alternate hello/check-in this many times; medians are compared")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk", help="path to wrk")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (wrk -t)")
    parser.add_argument("--request-timeout", type=int, default=10,
                        help="seconds before wrk counts a request as timed out")
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="minimum check-in/hello throughput ratio")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp folder (database, logs, wrk scripts)")
    args = parser.parse_args(argv)
    for name in ("duration", "connections", "workers", "threads", "rounds", "wrk_threads"):
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
        floor = Server("floor", BENCH, "floor:app", free_port(), args, env, tmp)
        servers = [hello, tend, floor]
        for server in servers:
            server.start()
        hello.wait_ready("/")
        tend.wait_ready("/register")
        floor.wait_ready("/register")

        cookie, token = sign_up(tend.port)
        common = {"User-Agent": USER_AGENT}
        signed_in = common | {
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "X-CSRFToken": token,
            "Cookie": cookie,
        }
        hello_lua, checkin_lua = tmp / "hello.lua", tmp / "checkin.lua"
        floor_lua = tmp / "floor.lua"
        write_lua(hello_lua, "hello", "/", common)
        write_lua(checkin_lua, "checkin", "/checkins", signed_in)
        # The same request body as a check-in, to a route that does nothing with it.
        write_lua(floor_lua, "checkin", "/bench/noop", signed_in)

        db_path = instance / "tend.db"
        if args.warmup:
            run_wrk(hello_lua, hello, args, args.warmup)
            run_wrk(checkin_lua, tend, args, args.warmup)
            run_wrk(floor_lua, floor, args, args.warmup)

        results = {"hello": [], "checkin": [], "floor": []}
        problems = []
        for _ in range(args.rounds):
            results["hello"].append(run_wrk(hello_lua, hello, args, args.duration))
            time.sleep(1)  # let in-flight writes from warm-up land before counting
            before = count_checkins(db_path)
            result = run_wrk(checkin_lua, tend, args, args.duration)
            time.sleep(2)  # requests still in flight when wrk stopped may yet commit
            result["rows_written"] = count_checkins(db_path) - before
            results["checkin"].append(result)
            results["floor"].append(run_wrk(floor_lua, floor, args, args.duration))
            # Every counted 200 must be a new row; at most one in-flight request per
            # connection can have landed after wrk stopped counting.
            if not result["ok"] <= result["rows_written"] <= result["ok"] + args.connections:
                problems.append(
                    f"check-in: {result['ok']} answered 200 but {result['rows_written']} "
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
    hello_rps = statistics.median(r["rps"] for r in results["hello"])
    checkin_rps = statistics.median(r["rps"] for r in results["checkin"])
    ratio = checkin_rps / hello_rps
    verdict = "PASS" if ratio >= args.budget else "FAIL"
    pairs = zip(results["hello"], results["checkin"], strict=True)
    per_round = ", ".join(f"{c['rps'] / h['rps']:.1%}" for h, c in pairs)
    print(f"\nratio per round: {per_round}")
    print(f"ratio check-in / hello (medians) = {checkin_rps:.0f} / {hello_rps:.0f} = {ratio:.1%} "
          f"(budget >= {args.budget:.0%}): {verdict}")
    floor_rps = statistics.median(r["rps"] for r in results["floor"])
    print(f"floor: a signed-in POST that does nothing / hello = {floor_rps:.0f} / "
          f"{hello_rps:.0f} = {floor_rps / hello_rps:.1%} (the most any check-in on this stack "
          "could reach)")
    cost = (statistics.median(r["cpu_ms_per_req"] for r in results["hello"])
            / statistics.median(r["cpu_ms_per_req"] for r in results["checkin"]))
    print(f"server CPU per request, hello / check-in = {cost:.1%} (the ratio a CPU-bound "
          "server tends to; less sensitive to other load on the machine; not the budget)")
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
    return 0 if verdict == "PASS" else 1


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
          f"{args.rounds} round(s) of hello, check-in, then the no-op floor")
    if kept:
        print(f"kept: {kept}")
    header = (f"{'target':<22}{'round':>6}{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}"
              f"{'p99 ms':>8}{'max ms':>8}{'requests':>9}{'non-200':>8}{'errors':>7}"
              f"{'rows':>7}{'srv cpu':>8}{'wrk cpu':>8}{'ms cpu/req':>11}{'other':>6}")
    print(header)
    print("-" * len(header))
    labels = {"hello": "GET / (hello.py)", "checkin": "POST /checkins (Tend)",
              "floor": "POST no-op (floor.py)"}
    for name, runs in results.items():
        for i, run in enumerate(runs, 1):
            rows = run.get("rows_written", "")
            print(f"{labels[name]:<22}{i:>6}{run['rps']:>8.0f}{fmt_ms(run['p50_us']):>8}"
                  f"{fmt_ms(run['p90_us']):>8}{fmt_ms(run['p99_us']):>8}"
                  f"{fmt_ms(run['max_us']):>8}{run['requests']:>9}{run['bad']:>8}"
                  f"{run['errors']:>7}{rows!s:>7}{run['server_cpu']:>8.2f}"
                  f"{run['wrk_cpu']:>8.2f}{run['cpu_ms_per_req']:>11.3f}"
                  f"{run['other_cpu']:>6.2f}")
        if len(runs) > 1:
            med = {k: statistics.median(r[k] for r in runs)
                   for k in ("rps", "p50_us", "p90_us", "p99_us", "max_us", "cpu_ms_per_req")}
            print(f"{labels[name]:<22}{'median':>6}{med['rps']:>8.0f}{fmt_ms(med['p50_us']):>8}"
                  f"{fmt_ms(med['p90_us']):>8}{fmt_ms(med['p99_us']):>8}"
                  f"{fmt_ms(med['max_us']):>8}{'':>39}{med['cpu_ms_per_req']:>11.3f}")
    print("srv cpu / wrk cpu / other: cores kept busy during the load by the server, by wrk "
          "and by anything else;\nms cpu/req: server CPU time per request.")


if __name__ == "__main__":
    sys.exit(main())
