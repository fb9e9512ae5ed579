"""Load test (issue 6): 200 simulated people checking in and syncing for 60 s against
gunicorn on PostgreSQL, on 127.0.0.1 only, bounded in time. Budget: zero errors and no
lost entry; p50 and p99 of each kind of request are recorded.

What it does:
  - makes a fresh PostgreSQL database (dropped afterwards) on the server of --database-url
    and migrates it; starts gunicorn (`--workers 2 --threads 8 --keep-alive 10`, rate
    limits off: every simulated person comes from the same address) on a free port;
  - locust, as a library, starts 200 people (20 a second). Each registers through the
    form (a real argon2id hash), then, with 1-3 s of thought between taps: checks in with
    one tap (htmx POST /checkins, weight 3), sends a sync batch of five entries made
    "offline" (POST /api/v1/sync, weight 1), or opens their history (weight 1);
  - every answer is checked (status, and each synced entry "created"); any other answer
    is an error. Each person remembers the ids the server accepted;
  - afterwards counts, in the database, each person's check-ins: every accepted id must
    be there, once.

Run from the repository root (PostgreSQL as in TESTING.md):

    .venv/bin/python bench/load_test.py --database-url postgresql://postgres@127.0.0.1:5432/test

Exits 1 when there were errors or an entry is missing.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from itertools import count  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from locust import HttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from http_checkin import VENV_BIN, Server, bench_env, free_port  # noqa: E402
from push_fanout import fresh_database  # noqa: E402

PASSWORD = "load-test-password-1"  # noqa: S105 - throwaway accounts in a throwaway database
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
people = count()
accepted = {}  # email -> ids the server said it stored


class Person(HttpUser):
    """Someone between sessions: a tap on the tank now and then, a sync, a look back."""

    wait_time = between(1, 3)

    def on_start(self):
        self.email = f"person{next(people)}@example.org"
        accepted[self.email] = set()
        page = self.client.get("/register", name="GET /register")
        form = {"email": self.email, "password": PASSWORD, "timezone": "Europe/London",
                "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]}
        with self.client.post("/register", data=form, name="POST /register",
                              catch_response=True) as home:
            token = TOKEN.search(home.text)
            if home.status_code != 200 or token is None:
                home.failure(f"registration ended at {home.status_code}")
                raise RuntimeError("not registered")
        self.token = token[1]
        self.tag = self.client.get("/api/v1/session", name="GET /api/v1/session").json()["user"]

    @task(3)
    def check_in(self):
        entry_id = str(uuid.uuid4())
        headers = {"HX-Request": "true", "X-CSRFToken": self.token}
        with self.client.post("/checkins", data={"id": entry_id, "tank": "3"}, headers=headers,
                              name="POST /checkins", catch_response=True) as answer:
            if answer.status_code == 200 and entry_id in answer.text:
                accepted[self.email].add(entry_id)
            else:
                answer.failure(f"check-in answered {answer.status_code}")

    @task(1)
    def sync(self):
        now = datetime.now(UTC).isoformat()
        entries = [{"kind": "checkin", "id": str(uuid.uuid4()), "tank": 2, "created_at": now,
                    "updated_at": now} for _ in range(5)]
        body = {"user": self.tag, "cursor": None, "entries": entries}
        with self.client.post("/api/v1/sync", json=body, headers={"X-CSRFToken": self.token},
                              name="POST /api/v1/sync", catch_response=True) as answer:
            results = answer.json().get("results", []) if answer.status_code == 200 else []
            if [result["status"] for result in results] != ["created"] * 5:
                answer.failure(f"sync answered {answer.status_code}: {answer.text[:200]}")
                return
            accepted[self.email].update(entry["id"] for entry in entries)

    @task(1)
    def history(self):
        self.client.get("/history", name="GET /history")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL (a database "
                        "of its own is made on that server and dropped afterwards)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="tend-bench-load-"))
    with fresh_database(args.database_url) as database_url:
        env = bench_env(instance) | {"DATABASE_URL": database_url, "TEND_RATELIMIT_ENABLED": "0"}
        gevent.subprocess.run(  # noqa: S603 - fixed argv
            [str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=BENCH.parent, env=env, check=True, capture_output=True,
        )
        port = free_port()
        # Keep idle connections open longer than a person's pause between taps (1-3 s), as
        # a proxy in front would: gunicorn's default of 2 s closes a connection just as
        # the client reuses it, and a POST sent into that race is lost on the way.
        server = Server("tend", BENCH.parent, "wsgi:app", port, _gunicorn(args), env, instance,
                        extra=("--keep-alive", "10"))
        server.start()
        try:
            server.wait_ready("/support")
            stats = run_people(args, port)
        finally:
            server.stop()
        stored = stored_ids(database_url)
    return report(args, stats, stored, instance)


def _gunicorn(args):
    return argparse.Namespace(workers=args.workers, threads=args.threads, worker_class="gthread")


def run_people(args, port):
    environment = Environment(user_classes=[Person], events=events)
    environment.host = f"http://127.0.0.1:{port}"
    runner = environment.create_local_runner()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    gevent.sleep(args.seconds)
    runner.quit()
    return environment.stats


def stored_ids(database_url):
    """Each person's stored check-in ids, by email, read straight from the database."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT users.email, checkins.id FROM checkins"
            " JOIN users ON users.id = checkins.user_id"
        )).all()
    engine.dispose()
    found = {}
    for email, entry_id in rows:
        found.setdefault(email, []).append(entry_id)
    return found


def report(args, stats, stored, instance):
    missing = sum(len(ids - set(stored.get(email, []))) for email, ids in accepted.items())
    duplicated = sum(len(ids) - len(set(ids)) for ids in stored.values())
    total = stats.total
    print(f"{len(accepted)} people for {args.seconds} s (gunicorn -w {args.workers} "
          f"--threads {args.threads}, PostgreSQL): {total.num_requests:,} requests, "
          f"{total.num_failures} errors, {total.total_rps:.0f} req/s")
    print(f"{'request':<24} {'count':>7} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7}")
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        print(f"{entry.name:<24} {entry.num_requests:>7,} {entry.num_failures:>6} "
              f"{entry.get_response_time_percentile(0.5):>7.0f} "
              f"{entry.get_response_time_percentile(0.99):>7.0f}")
    kept = sum(len(ids) for ids in accepted.values())
    print(f"entries accepted: {kept:,}; missing from the database: {missing}; "
          f"stored twice: {duplicated}")
    for error in list(stats.errors.values())[:5]:
        print(f"error x{error.occurrences}: {error.method} {error.name}: {error.error}")
    print(json.dumps({"requests": total.num_requests, "errors": total.num_failures,
                      "accepted": kept, "missing": missing, "duplicated": duplicated,
                      "server_log": str(instance)}))
    return 0 if total.num_failures == 0 and missing == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
