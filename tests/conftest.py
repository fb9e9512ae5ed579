"""Shared fixtures: the app on each database, HTTP clients, users, and a live server.

Every test that uses `app` runs once on SQLite and once on PostgreSQL. PostgreSQL is
reached through TEND_TEST_DATABASE_URL; without it those runs skip with the reason,
except in CI (CI=true), where a missing component fails the run instead.
"""
import os
import re
import threading
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from tests.push_service import push_service  # noqa: F401 - a fixture for every test module
from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db, limiter

PASSWORD = "a calm long password"  # noqa: S105 - test data


def require(component, reason):
    """Skip when a test's component is missing; in CI, fail instead."""
    message = f"{component} is not available: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (mandatory in CI)")
    pytest.skip(message)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A fresh, empty database for this test run."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'tend.db'}"
        return
    base = os.environ.get("TEND_TEST_DATABASE_URL")
    if not base:
        require("PostgreSQL", "set TEND_TEST_DATABASE_URL")
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    # A schema of our own, so concurrent runs and leftovers never collide.
    schema = f"tend_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as error:
        require("PostgreSQL", str(error).splitlines()[0])
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def session_app(database_url, tmp_path_factory):
    """One app per database, migrated to the newest schema by the real migrations."""
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(TestConfig(str(instance), database_url))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(session_app):
    """The app, with every table emptied and rate limits reset after each test."""
    yield session_app
    with session_app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        limiter.reset()


@pytest.fixture
def client(app):
    """A browser-like HTTP client that keeps cookies."""
    return app.test_client()


def csrf_token(response):
    """The CSRF token a page carries."""
    match = re.search(rb'"X-CSRFToken": "([^"]+)"', response.data)
    assert match, "page has no CSRF token"
    return match.group(1).decode()


class Session:
    """A signed-in (or not yet) person using the app through the test client."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def fetch_token(self, path="/support"):
        """Load a page and remember its CSRF token, as a browser would."""
        self.token = csrf_token(self.client.get(path))
        return self.token

    def post(self, path, data=None, htmx=False, **kwargs):
        """POST with the CSRF token (in the form, or in the header as htmx sends it)."""
        if self.token is None:
            self.fetch_token()
        data = dict(data or {})
        headers = kwargs.pop("headers", {})
        if htmx:
            headers |= {"HX-Request": "true", "X-CSRFToken": self.token}
        else:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, headers=headers, **kwargs)

    def register(self, email="sam@example.org", password=PASSWORD, timezone="UTC", **extra):
        """Create an account through the form; the client is then signed in."""
        self.fetch_token("/register")
        response = self.post(
            "/register", {"email": email, "password": password, "timezone": timezone, **extra}
        )
        if response.status_code == 302:
            self.token = None
        return response

    def sign_in(self, email="sam@example.org", password=PASSWORD, **extra):
        """Sign in through the form."""
        self.fetch_token("/sign-in")
        response = self.post("/sign-in", {"email": email, "password": password, **extra})
        self.token = None
        return response

    def sign_out(self):
        """Sign out through the form."""
        self.fetch_token("/account")
        return self.post("/sign-out")

    def check_in(self, tank=3, entry_id=None, htmx=True):
        """Tap a tank level on the home screen; return the response and the entry id."""
        self.fetch_token("/")
        entry_id = entry_id or str(uuid.uuid4())
        return self.post("/checkins", {"id": entry_id, "tank": tank}, htmx=htmx), entry_id


@pytest.fixture
def person(client):
    """Someone using the app, not yet registered."""
    return Session(client)


@pytest.fixture
def member(app):
    """Someone with an account, signed in."""
    session = Session(app.test_client())
    assert session.register().status_code == 302
    return session


@pytest.fixture
def other_member(app):
    """A second, unrelated account, signed in on another device."""
    session = Session(app.test_client())
    assert session.register(email="alex@example.org").status_code == 302
    return session


def _closing(app):
    """The app, with every response closed even when the browser went away mid-answer.

    werkzeug's development server skips close() when writing to a dropped connection (a
    page navigating away from a half-sent icon), leaving the file to the garbage
    collector; gunicorn does close it. Ending this generator closes it here as well.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


def race(work, count=4, timeout=30):
    """Run `work` in `count` threads released at the same moment; what they raised."""
    errors = []
    start = threading.Barrier(count)

    def racer():
        try:
            start.wait()
            work()
        except Exception as error:  # reported to the caller
            errors.append(error)

    threads = [threading.Thread(target=racer) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors


class LiveServer:
    """The app served over real HTTP on 127.0.0.1 from a background thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        app.config["PUBLIC_URL"] = self.url  # where the reminders it sends lead
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(session_app):
    """A real HTTP server for the browser tests."""
    server = LiveServer(session_app)
    yield server
    server.stop()
