"""Two real Huey workers, as production runs them (separate processes sharing PostgreSQL
and a Redis queue), both dispatching at once: every due reminder arrives exactly once."""
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from tests.conftest import PASSWORD, require
from webapp.extensions import db
from webapp.models import PushSubscription, ReminderSettings, User
from webapp.services.push import VapidKey

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 12
BATCH = 5  # so the two workers share three batches between them


@pytest.fixture
def redis_url():
    url = os.environ.get("TEND_TEST_REDIS_URL")
    if not url:
        require("Redis", "set TEND_TEST_REDIS_URL")
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.ConnectionError as error:
        require("Redis", str(error))
    yield url
    client.flushdb()
    client.close()


def people_due_now(app, push_service):
    """PEOPLE members, each with one device and a reminder due a minute ago."""
    vapid = VapidKey.from_config(app.config)
    now = datetime.now(UTC)
    browsers = []
    with app.app_context():
        for number in range(PEOPLE):
            user = User(email=f"p{number}@example.org", password_hash=PASSWORD, timezone="UTC")
            db.session.add(user)
            db.session.flush()
            browser = push_service.subscribe(vapid.public_key)
            keys = browser.to_json()["keys"]
            db.session.add(PushSubscription(
                user_id=user.id, endpoint=browser.endpoint, p256dh=keys["p256dh"],
                auth=keys["auth"],
            ))
            db.session.add(ReminderSettings(
                user_id=user.id, enabled=True, mode="fixed_times", times="09:00",
                workdays="0,1,2,3,4,5,6", next_due_at=now - timedelta(minutes=1),
                next_slot_key=f"fixed_times:{(now - timedelta(minutes=1)):%Y-%m-%dT%H:%M}",
            ))
            browsers.append(browser)
        db.session.commit()
    return browsers


def worker(app, database_url, redis_url):
    """One `huey_consumer worker.huey`, configured like production."""
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TEND_INSTANCE_PATH": app.instance_path,
        "TEND_VAPID_PRIVATE_KEY": _vapid_pem(app),
        "TEND_PUSH_ALLOW_HTTP": "1",
        "TEND_COOKIE_SECURE": "0",
        "TEND_REMINDER_BATCH": str(BATCH),
    }
    env.pop("TEND_TASKS_IMMEDIATE", None)
    consumer = Path(sys.executable).parent / "huey_consumer"
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [str(consumer), "worker.huey", "--workers", "4", "--worker-type", "thread",
         "--max-delay", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _vapid_pem(app):
    key = app.config["VAPID_PRIVATE_KEY"]
    return key if isinstance(key, str) else key.decode()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_send_each_due_reminder_exactly_once(
    app, database_url, redis_url, push_service
):
    browsers = people_due_now(app, push_service)
    workers = [worker(app, database_url, redis_url) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while len(push_service.delivered()) < PEOPLE and time.monotonic() < deadline:
            assert all(process.poll() is None for process in workers), _errors(workers)
            time.sleep(0.2)
        time.sleep(3)  # long enough for a duplicate to arrive, if one were coming
    finally:
        for process in workers:
            process.terminate()
        errors = _errors(workers)
    delivered = [push.endpoint for push in push_service.delivered()]
    assert sorted(delivered) == sorted(browser.endpoint for browser in browsers), errors
    assert {push.headers["urgency"] for push in push_service.delivered()} == {"high"}
    with app.app_context():
        assert all(
            settings.next_due_at > datetime.now(UTC)
            for settings in db.session.scalars(select(ReminderSettings))
        )


def _errors(workers):
    text = []
    for process in workers:
        try:
            _, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        text.append(err.decode(errors="replace")[-2000:])
    return "\n".join(text)
