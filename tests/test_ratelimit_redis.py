"""With REDIS_URL set, sign-in limits are shared by every process serving the app.

Two separate processes (as two gunicorn workers would be) each try wrong passwords;
together they exhaust one budget, which only a shared store can do. Redis is reached
through TEND_TEST_REDIS_URL; without it the test skips, except in CI where it fails.
"""
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent

WORKER = """
import json, sys, tempfile
from flask_migrate import upgrade
from webapp import create_app
from webapp.config import TestConfig

url, prefix, attempts = sys.argv[1], sys.argv[2], int(sys.argv[3])
instance = tempfile.mkdtemp()
app = create_app(TestConfig(instance, f"sqlite:///{instance}/tend.db",
                            RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix,
                            WTF_CSRF_ENABLED=False))
with app.app_context():
    upgrade()
client = app.test_client()
wrong = {"email": "x@example.org", "password": "wrong password"}
statuses = [client.post("/sign-in", data=wrong).status_code for _ in range(attempts)]
print(json.dumps(statuses))
"""


@pytest.fixture
def redis_url():
    url = os.environ.get("TEND_TEST_REDIS_URL")
    if not url:
        require("Redis", "set TEND_TEST_REDIS_URL")
    import redis

    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.RedisError as error:
        require("Redis", str(error))
    yield url, connection
    connection.close()


def sign_in_attempts(url, prefix, attempts):
    """Run one worker process and return the statuses of its sign-in attempts."""
    done = subprocess.run(
        [sys.executable, "-c", WORKER, url, prefix, str(attempts)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_processes_share_one_sign_in_budget(redis_url):
    url, connection = redis_url
    prefix = f"tend-test-{uuid.uuid4().hex[:8]}"
    try:
        first = sign_in_attempts(url, prefix, 6)
        second = sign_in_attempts(url, prefix, 6)
        assert first == [422] * 6
        assert second == [422] * 4 + [429] * 2  # the limit is 10 per minute, shared
        assert list(connection.scan_iter(f"*{prefix}*")), "no limiter keys in Redis"
    finally:
        for key in connection.scan_iter(f"*{prefix}*"):
            connection.delete(key)
