"""Registering, signing in and out, remember-me, and the sign-in page's defences."""
import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, Session
from webapp.extensions import db
from webapp.models import User


def test_register_signs_in_and_hashes_the_password(app, person):
    response = person.register(email="Sam@Example.org", timezone="America/Chicago",
                               display_name="Sam")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert person.client.get("/").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User))
    assert user.email == "sam@example.org"
    assert user.timezone == "America/Chicago"
    assert user.display_name == "Sam"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"email": ""}, "email", "Enter your email address."),
        ({"email": "not-an-email"}, "email", "Enter an email address like name@example.org."),
        ({"password": "short"}, "password", "Use at least 10 characters"),
        ({"password": ""}, "password", "Choose a password."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Choose a time zone from the list."),
        ({"display_name": "x" * 81}, "display_name", "Keep the name to 80 characters."),
    ],
)
def test_register_shows_each_error_next_to_its_field(app, person, form, field, message):
    values = {"email": "sam@example.org", "password": PASSWORD, "timezone": "UTC"} | form
    person.fetch_token("/register")
    response = person.post("/register", values)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error">{message}' in page
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_register_keeps_what_was_typed_but_never_the_password(person):
    person.fetch_token("/register")
    response = person.post(
        "/register", {"email": "sam@example.org", "password": "short1", "timezone": "UTC"}
    )
    page = response.get_data(as_text=True)
    assert 'value="sam@example.org"' in page
    assert "short1" not in page


def test_register_refuses_a_taken_email(member, person):
    response = person.register(email="SAM@example.org")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_sign_in_with_the_right_password(member):
    member.sign_out()
    response = member.sign_in()
    assert response.status_code == 302
    assert member.client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [("sam@example.org", "the wrong password"), ("nobody@example.org", PASSWORD)],
)
def test_sign_in_failure_does_not_reveal_whether_the_account_exists(member, email, password):
    member.sign_out()
    response = member.sign_in(email=email, password=password)
    assert response.status_code == 422
    assert "That email and password don&#39;t match an account." in response.get_data(as_text=True)
    assert member.client.get("/").status_code == 302


def test_sign_in_validates_the_form(person):
    person.fetch_token()
    response = person.post("/sign-in", {"email": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your email address." in page and "Enter your password." in page


def test_sign_in_returns_to_the_page_asked_for(member):
    member.sign_out()
    assert member.client.get("/history").headers["Location"] == "/sign-in?next=/history"
    response = member.sign_in(next="/history")
    assert response.headers["Location"] == "/history"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
     "http:/evil.example"],
)
def test_sign_in_never_redirects_off_site(member, target):
    member.sign_out()
    response = member.sign_in(next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(member):
    response = member.sign_out()
    assert response.status_code == 302
    assert member.client.get("/").status_code == 302


def test_sign_out_needs_a_post(member):
    assert member.client.get("/sign-out").status_code == 405
    assert member.client.get("/").status_code == 200


def test_remember_me_outlives_the_browser_session(app, member):
    member.sign_out()
    member.sign_in(remember="1")
    cookie = member.client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only
    assert cookie.same_site == "Lax"
    fresh = app.test_client()  # the browser restarted: session cookie gone
    fresh.set_cookie("remember_token", cookie.value)
    assert fresh.get("/").status_code == 200


def test_without_remember_me_no_lasting_cookie(member):
    member.sign_out()
    member.sign_in()
    assert member.client.get_cookie("remember_token") is None


def test_session_cookie_flags(app, person):
    person.register()
    cookie = person.client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_production_cookies_are_secure_by_default(monkeypatch, tmp_path):
    from webapp.config import Config

    monkeypatch.delenv("TEND_COOKIE_SECURE", raising=False)
    config = Config(str(tmp_path))
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE


def test_sign_in_is_rate_limited(member):
    member.sign_out()
    statuses = [member.sign_in(password="the wrong password").status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    limited = member.sign_in()
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many attempts" in limited.get_data(as_text=True)


def test_registration_is_rate_limited(app):
    statuses = []
    for number in range(6):
        session = Session(app.test_client())
        statuses.append(session.register(email=f"new{number}@example.org").status_code)
    assert statuses == [302] * 5 + [429]


def test_forms_without_csrf_token_are_refused(app, person):
    response = person.client.post(
        "/register", data={"email": "sam@example.org", "password": PASSWORD, "timezone": "UTC"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_signed_in_pages_redirect_anonymous_people(client):
    for path in ["/", "/history", "/account"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")


def test_htmx_request_without_session_is_sent_to_sign_in_as_a_page(person):
    person.fetch_token("/sign-in")
    response = person.post(
        "/checkins", {"tank": "3"}, htmx=True,
        headers={"HX-Current-URL": "http://localhost/history"},
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/sign-in?next=/history"
    assert response.data == b""
