"""Errors: a page for people, JSON for API clients, never a traceback."""
import sqlite3
import uuid

from flask_migrate import upgrade

from tests.conftest import Session
from tests.test_sync_api import Device
from webapp import create_app
from webapp.config import TestConfig


def test_not_found_is_a_friendly_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "There&#39;s nothing here." in response.get_data(as_text=True)


def test_api_clients_get_json_errors(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.get_json() == {"error": response.get_json()["error"], "status": 404}


def test_clients_that_ask_for_json_get_json(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.get_json()["status"] == 404


def test_a_crash_is_a_calm_500_and_the_transaction_is_rolled_back(tmp_path):
    app = create_app(TestConfig(str(tmp_path), f"sqlite:///{tmp_path}/crash.db"))
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_wrong_method_is_405_not_500(client):
    assert client.put("/sign-in").status_code == 405


def test_an_oversized_post_is_refused_with_413(member):
    member.fetch_token("/")
    response = member.post("/checkins", {"tank": "3", "note": "x" * (2 * 1024 * 1024)}, htmx=True)
    assert response.status_code == 413


def test_a_busy_database_is_a_503_to_retry_never_a_500(tmp_path):
    """Another writer holds SQLite's lock past the wait: the phone is told to try again."""
    app = create_app(TestConfig(str(tmp_path), f"sqlite:///{tmp_path}/busy.db",
                                SQLITE_BUSY_MS=100))
    with app.app_context():
        upgrade()
    person = Session(app.test_client())
    assert person.register().status_code == 302
    device = Device(person.client)
    holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of its write
    try:
        response = device.post({"user": device.user, "cursor": None, "entries": [
            {"kind": "checkin", "id": str(uuid.uuid4()), "tank": 3,
             "created_at": "2026-12-07T10:00:00+00:00",
             "updated_at": "2026-12-07T10:00:00+00:00"}]})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    # At least the moment asked for (the rate limiter may stretch it to its window's end)
    assert int(response.headers["Retry-After"]) >= 2
    assert "Nothing was lost" in response.get_json()["error"]
    assert device.sync()["cursor"] == 0  # and the next try goes through
