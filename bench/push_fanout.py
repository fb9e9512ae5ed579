"""Push fan-out budget (DESIGN §8): 10,000 reminders due in the same minute are all
delivered to a local push service within 60 s on this 2-core machine, and scale with
more workers.

What it does, all on 127.0.0.1 and bounded in time (each run stops after --timeout s):
  - for each worker count (1, then 2): a fresh instance folder and database (SQLite by
    default, the embedded setup; --database-url for PostgreSQL), migrated; 10,000 users,
    each with one push subscription (a real P-256 key pair, made by the fake push
    service) and fixed-time reminders whose next slot fell due a minute ago;
  - the fake push service from the test suite, in this process: it checks every VAPID
    token and decrypts every aes128gcm body, like a real one;
  - that many `huey_consumer worker.huey` processes (the queue in SQLite, or Redis with
    --redis-url), each with 8 threads, exactly as production runs them;
  - times from the workers' start until 10,000 distinct subscriptions have received
    their push, checks none received two, and reads the workers' CPU time from /proc;
  - measures, in this process, the bare cost of encrypting one push with pywebpush
    (`WebPusher.encode`, aes128gcm) to compare with the workers' CPU per message;
  - then, on time: --on-time people whose reminder falls due at the start of a minute
    at least 20 s after one worker has started (and gone idle, as it is most of the
    time), and how late after that minute each push reached the push service. Budget:
    every one within 5 s of its minute, sent at Urgency high.

Run from the repository root:

    .venv/bin/python bench/push_fanout.py

Exits 1 when a budget is missed, 2 when a push went missing or came twice.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pywebpush import WebPusher  # noqa: E402
from sqlalchemy import create_engine, insert, make_url, text  # noqa: E402

from tests.push_service import FakePushService  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import Config, driver_url  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import PushSubscription, ReminderSettings, User  # noqa: E402
from webapp.services.push import VapidKey  # noqa: E402
from webapp.services.reminders import reminder_message  # noqa: E402

BUDGET_SECONDS = 60
ON_TIME_SECONDS = 5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--timeout", type=int, default=240)
    parser.add_argument("--on-time", type=int, default=50, metavar="PEOPLE",
                        help="people in the on-time run (0: skip it)")
    parser.add_argument("--database-url", help="a PostgreSQL URL: each run makes (and then "
                        "drops) a database of its own on that server (default: SQLite)")
    parser.add_argument("--redis-url", help="Redis URL for the queue (default: SQLite)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    service = FakePushService()
    try:
        runs = [fan_out(args, service, workers) for workers in args.workers]
        on_time = fan_out(args, service, 1, people=args.on_time) if args.on_time else None
    finally:
        service.stop()
    encrypt_ms = bare_encryption_ms()
    return report(args, runs, on_time, encrypt_ms)


def environment(instance, args, database_url):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        TEND_INSTANCE_PATH=str(instance), TEND_COOKIE_SECURE="0", TEND_PUSH_ALLOW_HTTP="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    return env


def fan_out(args, service, workers, people=None):
    """One run: `people` (all by default) due a minute ago, or, when `people` is given,
    due on a minute that starts after the workers have settled."""
    instance = Path(tempfile.mkdtemp(prefix="tend-bench-push-"))
    with fresh_database(args.database_url) as database_url:
        return fan_out_on(args, service, workers, instance, database_url, people)


@contextmanager
def fresh_database(server_url):
    """A new, empty PostgreSQL database on the server of `server_url`, dropped afterwards
    (nothing in the given database is touched); None, for SQLite, without one."""
    if not server_url:
        yield None
        return
    name = f"tend_fanout_{os.getpid()}"
    server_url = driver_url(server_url)
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def fan_out_on(args, service, workers, instance, database_url, on_time_people):
    env = environment(instance, args, database_url)
    subprocess.run(  # noqa: S603 - fixed argv
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=REPO, env=env, check=True, capture_output=True,
    )
    os.environ.update(env)
    app = create_app(Config(str(instance)))
    if args.redis_url:
        app.extensions["tend_tasks"]["queue"].storage.flush_all()
    service.pushes.clear()
    people = on_time_people or args.people
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    if on_time_people:  # a minute starting 20 s or more from now
        due = (now + timedelta(seconds=80)).replace(second=0, microsecond=0)
    endpoints = make_people(app, service, people, due)
    started = time.monotonic()
    processes = [start_worker(env, args.threads, instance / f"worker-{n}.log")
                 for n in range(workers)]
    cpu = {}
    try:
        while time.monotonic() - started < args.timeout:
            if len({push.endpoint for push in service.delivered()}) >= people:
                break
            for process in processes:
                cpu[process.pid] = cpu_seconds(process.pid) or cpu.get(process.pid, 0)
            time.sleep(0.1)
        seconds = time.monotonic() - started
        for process in processes:
            cpu[process.pid] = cpu_seconds(process.pid) or cpu.get(process.pid, 0)
        time.sleep(2)  # a duplicate, if one were coming
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
    pushes = service.delivered()
    delivered = [push.endpoint for push in pushes]
    with app.app_context():
        db.engine.dispose()
    late = sorted(push.received_at - due.timestamp() for push in pushes)
    return {
        "workers": workers, "people": people, "seconds": seconds,
        "delivered": len(set(delivered)), "duplicates": len(delivered) - len(set(delivered)),
        "missing": len(endpoints - set(delivered)), "cpu": sum(cpu.values()),
        "errors": worker_errors(instance),
        "late_s": {"first": late[0], "median": late[len(late) // 2], "last": late[-1]}
        if late else None,
        "urgencies": sorted({push.headers.get("urgency", "normal") for push in pushes}),
    }


def make_people(app, service, count, due):
    """`count` users, each with a subscription and a fixed-time reminder due at `due`."""
    vapid = VapidKey.from_config(app.config)
    browsers = [service.subscribe(vapid.public_key) for _ in range(count)]
    with app.app_context():
        db.session.execute(insert(User), [
            {"id": n + 1, "email": f"p{n}@example.org", "password_hash": "-",
             "timezone": "UTC", "login_token": f"token-{n}"}
            for n in range(count)
        ])
        db.session.execute(insert(PushSubscription), [
            {"user_id": n + 1, "endpoint": browser.endpoint,
             **{key: value for key, value in browser.to_json()["keys"].items()}}
            for n, browser in enumerate(browsers)
        ])
        db.session.execute(insert(ReminderSettings), [
            {"user_id": n + 1, "enabled": True, "mode": "fixed_times",
             "times": due.strftime("%H:%M"), "workdays": "0,1,2,3,4,5,6",
             "practices": "breaths", "next_due_at": due,
             "next_slot_key": f"fixed_times:{due:%Y-%m-%dT%H:%M}"}
            for n in range(count)
        ])
        db.session.commit()
    return {browser.endpoint for browser in browsers}


def start_worker(env, threads, log):
    """A worker process; what it logs (errors only) goes to `log` in the instance folder."""
    with open(log, "w") as output:
        return subprocess.Popen(  # noqa: S603 - fixed argv
            [str(Path(sys.executable).parent / "huey_consumer"), "worker.huey",
             "--workers", str(threads), "--worker-type", "thread", "--max-delay", "1",
             "--quiet"],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
        )


def worker_errors(instance):
    """How many errors the workers logged (their logs stay in the instance folder)."""
    return sum(log.read_text().count("ERROR") for log in instance.glob("worker-*.log"))


def cpu_seconds(pid):
    """User + system CPU of a live process, from /proc (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bare_encryption_ms(rounds=300):
    """CPU milliseconds to encrypt one reminder for one subscription, and nothing else."""
    service = FakePushService()
    try:
        browser = service.subscribe("unused")
    finally:
        service.stop()
    delivery = type("Delivery", (), {"id": 1, "practice": "breaths", "slot_sequence": 1})()
    message = reminder_message(delivery, "https://tend.example.org/").payload()
    pusher = WebPusher(browser.to_json())
    started = time.process_time()
    for _ in range(rounds):
        pusher.encode(message, content_encoding="aes128gcm")
    return (time.process_time() - started) / rounds * 1000


def report(args, runs, on_time, encrypt_ms):
    ok = trustworthy = True
    for run in runs:
        per_message = run["cpu"] / max(run["delivered"], 1) * 1000
        met = run["seconds"] <= BUDGET_SECONDS and run["delivered"] == run["people"]
        ok &= met
        trustworthy &= not run["duplicates"] and not run["missing"]
        verdict = "met" if met else "NOT MET"
        print(f"{run['workers']} worker(s): {run['delivered']:,} of {run['people']:,} delivered in "
              f"{run['seconds']:.1f} s (budget <= {BUDGET_SECONDS} s: {verdict}), "
              f"{run['duplicates']} duplicates, {run['missing']} missing; workers' CPU "
              f"{run['cpu']:.1f} s = {per_message:.2f} ms per message; "
              f"{run['errors']} errors logged")
    if on_time:
        late = on_time["late_s"] or {"first": 0, "median": 0, "last": float("inf")}
        met = (on_time["delivered"] == on_time["people"] and late["last"] <= ON_TIME_SECONDS
               and on_time["urgencies"] == ["high"])
        ok &= met
        trustworthy &= not on_time["duplicates"] and not on_time["missing"]
        print(f"on time: {on_time['delivered']} of {on_time['people']} reminders due on the "
              f"minute reached the push service {late['first']:.2f} s (first), "
              f"{late['median']:.2f} s (median), {late['last']:.2f} s (last) after it "
              f"(budget <= {ON_TIME_SECONDS} s: {'met' if met else 'NOT MET'}); "
              f"Urgency {', '.join(on_time['urgencies']) or 'none'}")
    print(f"bare aes128gcm encryption of one reminder (pywebpush): {encrypt_ms:.2f} ms CPU")
    if len(runs) > 1:
        print(f"speed-up from {runs[0]['workers']} to {runs[-1]['workers']} workers: "
              f"{runs[0]['seconds'] / runs[-1]['seconds']:.2f}x")
    print(json.dumps({"runs": runs, "on_time": on_time, "encrypt_ms": encrypt_ms}))
    if not trustworthy:
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
