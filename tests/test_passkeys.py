"""The passkey endpoints over HTTP: challenges, refusals in words, scoping and limits.
(A passkey made and used by a real authenticator: tests/browser/test_passkeys.py.)"""
import pytest
from sqlalchemy import select

from tests.conftest import Session
from webapp.extensions import db
from webapp.models import Passkey, User

OPTIONS = "/api/v1/passkeys/sign-in-options"
SIGN_IN = "/api/v1/passkeys/sign-in"
REGISTRATION_OPTIONS = "/api/v1/passkeys/registration-options"
ADD = "/api/v1/passkeys"
FAKE = {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA"}}


def post_json(session, url, body):
    session.fetch_token("/sign-in" if "sign-in" in url else "/account")
    return session.client.post(url, json=body, headers={"X-CSRFToken": session.token})


def test_sign_in_options_are_a_fresh_challenge_for_this_site(person):
    first = post_json(person, OPTIONS, {}).get_json()
    second = post_json(person, OPTIONS, {}).get_json()
    assert first["rpId"] == "localhost"  # the test client's host
    assert first["challenge"] != second["challenge"]
    assert first["userVerification"] == "preferred"


def test_an_answer_with_no_challenge_asked_is_refused(person):
    response = post_json(person, SIGN_IN, {"credential": FAKE})
    assert response.status_code == 400
    assert response.get_json()["error"] == "This passkey step has expired. Try again."


def test_an_unknown_passkey_is_refused_in_words(person):
    post_json(person, OPTIONS, {})
    response = post_json(person, SIGN_IN, {"credential": FAKE})
    assert response.status_code == 422
    assert "not known here" in response.get_json()["error"]
    assert person.client.get("/").status_code == 302  # still signed out


@pytest.mark.parametrize("body", [{}, {"credential": "text"}, {"credential": FAKE, "more": 1}])
def test_a_malformed_answer_is_422_with_field_errors(person, body):
    post_json(person, OPTIONS, {})
    response = post_json(person, SIGN_IN, body)
    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_a_forged_answer_for_a_known_passkey_is_refused(app, member, person):
    with app.app_context():
        user = db.session.scalar(select(User))
        db.session.add(Passkey(user_id=user.id, credential_id="AAAA", public_key=b"\x00",
                               name="Phone"))
        db.session.commit()
    post_json(person, OPTIONS, {})
    response = post_json(person, SIGN_IN, {"credential": FAKE})
    assert response.status_code == 422
    assert response.get_json()["error"] == "That passkey sign-in could not be checked. Try again."
    assert person.client.get("/").status_code == 302


def test_adding_a_passkey_needs_a_sign_in(client):
    assert client.post(REGISTRATION_OPTIONS).status_code == 401
    assert client.post(ADD, json={"credential": FAKE}).status_code == 401


def test_registration_options_name_the_account_and_leave_out_its_passkeys(app, member):
    with app.app_context():
        user = db.session.scalar(select(User))
        db.session.add(Passkey(user_id=user.id, credential_id="AAAA", public_key=b"\x00",
                               name="Phone"))
        db.session.commit()
    options = post_json(member, REGISTRATION_OPTIONS, {}).get_json()
    assert options["user"]["name"] == "sam@example.org"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert [item["id"] for item in options["excludeCredentials"]] == ["AAAA"]


def test_a_made_up_registration_is_refused(member):
    post_json(member, REGISTRATION_OPTIONS, {})
    response = post_json(member, ADD, {"credential": FAKE, "name": "Phone"})
    assert response.status_code == 422
    assert response.get_json()["error"] == "This passkey could not be checked, so it was not added."


def test_someone_elses_passkey_cannot_be_removed(app, member, other_member):
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == "sam@example.org"))
        passkey = Passkey(user_id=owner.id, credential_id="AAAA", public_key=b"\x00",
                          name="Work phone")
        db.session.add(passkey)
        db.session.commit()
        passkey_id = passkey.id
    other_member.fetch_token("/account/passkeys")
    assert other_member.post(f"/account/passkeys/{passkey_id}/remove").status_code == 404
    assert "Work phone" in member.client.get("/account/passkeys").get_data(as_text=True)
    member.fetch_token("/account/passkeys")
    assert member.post(f"/account/passkeys/{passkey_id}/remove").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Passkey)) is None


def test_passkey_sign_in_is_rate_limited_with_retry_after(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSKEY_RATE_LIMIT", "2 per minute")
    person = Session(app.test_client())
    statuses = [post_json(person, OPTIONS, {}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = post_json(person, OPTIONS, {})
    assert int(refused.headers["Retry-After"]) > 0
