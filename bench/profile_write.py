"""Where a write's server time goes: the check-in paths and the floor, profiled in-process.

Not a budget (bench/http_checkin.py is): this is the tool for finding what to cut.
It builds the app on a temporary SQLite instance, registers a person, then calls the
WSGI app directly (no HTTP, no test client in the measured part) for

  - the floor: a signed-in, CSRF-checked htmx POST that does nothing (bench/floor.py);
  - POST /checkins: one tap, htmx;
  - POST /api/v1/sync: one check-in, as the phone's outbox sends it;

and prints the mean server time of each and the functions that cost the most under
cProfile (cumulative, Tend's and the libraries' alike).

    .venv/bin/python bench/profile_write.py                 # 1,000 requests a target
    .venv/bin/python bench/profile_write.py -n 3000 --top 40 --only checkin
"""
import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import re
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(Path(__file__).resolve().parent)]


def prepare(instance):
    """Environment like bench/http_checkin.py's servers: a temp instance, plain HTTP."""
    for name in ("DATABASE_URL", "SECRET_KEY", "REDIS_URL", "TEND_TRUSTED_PROXIES"):
        os.environ.pop(name, None)
    os.environ.update(TEND_INSTANCE_PATH=str(instance), TEND_COOKIE_SECURE="0",
                      TEND_RATELIMIT_ENABLED="0")


# Who the requests come from: a session is bound to its browser and address
# (Flask-Login's session protection), so every request says the same as the sign-up.
BROWSER = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "tend-profile/1"}


def sign_up(app):
    """Register through the pages; return (cookie header, CSRF token, user tag)."""
    client = app.test_client()
    client.environ_base.update(BROWSER)
    page = client.get("/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/register", data={
        "email": "profile@example.com", "password": "profile-password-1234",
        "timezone": "UTC", "csrf_token": token})
    assert answer.status_code == 302, answer.status_code
    session = client.get("/api/v1/session").get_json()
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    return cookie, session["csrf_token"], session["user"]


def environ(app, path, cookie, token, body, content_type, extra=None):
    """A WSGI environ for one request, built outside the measured part."""
    from flask.testing import EnvironBuilder

    headers = {"Cookie": cookie, "X-CSRFToken": token, "HX-Request": "true",
               "Accept-Encoding": "br, gzip", **(extra or {})}
    builder = EnvironBuilder(app, path=path, method="POST", headers=headers,
                             data=body, content_type=content_type, environ_base=BROWSER)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def requests_for(target, app, cookie, token, tag, count):
    """`count` ready environs for one target, each with a fresh entry id.

    Each sync carries the cursor the one before it would have given the phone, as the
    outbox does, so its answer holds the changes since then (its own), not all of them.
    """
    made = []
    cursor = latest_change(app)
    for _ in range(count):
        entry_id = str(uuid.uuid4())
        if target == "sync":
            now = datetime.now(UTC).isoformat()
            body = json.dumps({"user": tag, "cursor": cursor, "entries": [{
                "kind": "checkin", "id": entry_id, "tank": 3, "created_at": now,
                "updated_at": now, "deleted": False}]})
            cursor += 1
            made.append(environ(app, "/api/v1/sync", cookie, token, body,
                                "application/json", {"HX-Request": ""}))
        else:
            path = "/bench/noop" if target == "floor" else "/checkins"
            made.append(environ(app, path, cookie, token, f"id={entry_id}&tank=3",
                                "application/x-www-form-urlencoded"))
    return made


def latest_change(app):
    """The person's latest change number (one person in this database)."""
    from webapp.extensions import db
    from webapp.models import User

    with app.app_context():
        return db.session.scalar(db.select(User.change_seq))


def call(app, env):
    status = []
    body = app(env, lambda code, headers, exc_info=None: status.append(code))
    b"".join(body)
    if hasattr(body, "close"):
        body.close()
    if not status[0].startswith("200"):
        raise RuntimeError(f"{env['PATH_INFO']} answered {status[0]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=1000, help="requests per target")
    parser.add_argument("--top", type=int, default=25, help="functions listed per target")
    parser.add_argument("--only", choices=("floor", "checkin", "sync"), action="append")
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"),
                        help="order of the functions listed")
    parser.add_argument("--callers", metavar="PATTERN",
                        help="also list who calls the functions matching this pattern")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="tend-profile-") as tmp:
        prepare(tmp)
        import floor
        from flask_migrate import upgrade

        app = floor.app
        logging.disable(logging.INFO)  # the migrations' progress lines
        with app.app_context():
            upgrade(directory=str(REPO / "migrations"))
        cookie, token, tag = sign_up(app)
        for target in args.only or ("floor", "checkin", "sync"):
            for env in requests_for(target, app, cookie, token, tag, 200):  # warm up
                call(app, env)
            envs = requests_for(target, app, cookie, token, tag, args.n)
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            for env in envs:
                call(app, env)
            profile.disable()
            took = time.perf_counter() - started
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out).sort_stats(args.sort)
            stats.print_stats(args.top)
            if args.callers:
                stats.print_callers(args.callers)
            print(f"=== {target}: {took / args.n * 1000:.3f} ms a request under cProfile "
                  f"({args.n} requests)")
            print(out.getvalue().split("\n", 5)[-1])
            plain = requests_for(target, app, cookie, token, tag, args.n)
            started, cpu = time.perf_counter(), time.process_time()
            for env in plain:
                call(app, env)
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"=== {target}: {took / args.n * 1000:.3f} ms a request without the profiler, "
                  f"{cpu / args.n * 1000:.3f} ms of it CPU\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
