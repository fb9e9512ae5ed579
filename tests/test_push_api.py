"""The push API over HTTP, as the page uses it: the key, this device's subscription, a test."""
import base64
import stat

import pytest
from sqlalchemy import select, text

from tests.conftest import Session
from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.models import PushSubscription, RemovedDevice, User
from webapp.services.push import VapidKey

KEY_URL = "/api/v1/push/key"
SUBSCRIPTIONS_URL = "/api/v1/push/subscriptions"
TEST_URL = "/api/v1/push/test"
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
RAW_KEY = base64.urlsafe_b64encode(bytes(range(1, 33))).decode().rstrip("=")
MAC_FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:132.0) Gecko/20100101 Firefox/132.0"


class Phone:
    """A signed-in browser's page, turning reminders on and off as its script would."""

    def __init__(self, client, push_service, user_agent=ANDROID_CHROME):
        self.client = client
        self.push_service = push_service
        self.user_agent = user_agent
        self.token = client.get("/api/v1/session").get_json()["csrf_token"]
        self.browser = None

    def subscribe(self):
        """pushManager.subscribe() with the server's key, then send the subscription."""
        key = self.client.get(KEY_URL).get_json()["public_key"]
        self.browser = self.push_service.subscribe(key)
        return self.send(self.browser.to_json())

    def send(self, body, **kwargs):
        """POST a subscription body (or anything) the way the page does."""
        return self.client.post(SUBSCRIPTIONS_URL, json=body, headers=self.headers(), **kwargs)

    def devices(self):
        """The devices list, as the page reads it."""
        response = self.client.get(SUBSCRIPTIONS_URL)
        assert response.status_code == 200
        return response.get_json()["subscriptions"]

    def remove(self, device_id):
        """Stop reminders to a device."""
        return self.client.delete(f"{SUBSCRIPTIONS_URL}/{device_id}", headers=self.headers())

    def test(self):
        """Ask for a test reminder."""
        return self.client.post(TEST_URL, headers=self.headers())

    def headers(self):
        return {"X-CSRFToken": self.token, "User-Agent": self.user_agent}


@pytest.fixture
def phone(member, push_service):
    """The member's phone."""
    return Phone(member.client, push_service)


@pytest.fixture
def laptop(app, member, push_service):
    """The same member, signed in on a laptop."""
    session = Session(app.test_client())
    assert session.sign_in().status_code == 302
    return Phone(session.client, push_service, user_agent=MAC_FIREFOX)


@pytest.fixture
def other_phone(other_member, push_service):
    """Another person's phone."""
    return Phone(other_member.client, push_service, user_agent=IPHONE_SAFARI)


def phone_owner(app):
    """The id of the member (sam@example.org)."""
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == "sam@example.org"))


def stored(app):
    """Every stored subscription, by endpoint."""
    with app.app_context():
        rows = db.session.scalars(select(PushSubscription)).all()
        return {row.endpoint: row for row in rows}


# The key ------------------------------------------------------------------------------


def test_the_public_key_is_for_anyone_and_matches_the_signing_key(app, client):
    response = client.get(KEY_URL)
    assert response.status_code == 200
    key = response.get_json()["public_key"]
    assert key == VapidKey.from_config(app.config).public_key
    point = base64.urlsafe_b64decode(key + "=")
    assert len(point) == 65 and point[0] == 4


def test_the_key_is_made_once_and_kept_across_restarts(monkeypatch, tmp_path):
    monkeypatch.delenv("TEND_VAPID_PRIVATE_KEY", raising=False)
    monkeypatch.setenv("TEND_INSTANCE_PATH", str(tmp_path))
    keys = [served_key(tmp_path) for _ in range(2)]
    assert keys[0] == keys[1]
    assert stat.S_IMODE((tmp_path / "vapid_private.pem").stat().st_mode) == 0o600


def test_a_key_from_the_environment_is_used_and_none_is_made(monkeypatch, tmp_path):
    expected = VapidKey(RAW_KEY, "mailto:care@example.org").public_key
    monkeypatch.setenv("TEND_VAPID_PRIVATE_KEY", RAW_KEY)
    monkeypatch.setenv("TEND_INSTANCE_PATH", str(tmp_path))
    assert served_key(tmp_path) == expected
    assert not (tmp_path / "vapid_private.pem").exists()


def test_an_unusable_key_stops_the_app_from_starting(monkeypatch, tmp_path):
    monkeypatch.setenv("TEND_VAPID_PRIVATE_KEY", "not-a-key")
    monkeypatch.setenv("TEND_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ValueError, match="VAPID private key"):
        create_app(TestConfig(str(tmp_path), f"sqlite:///{tmp_path / 'tend.db'}"))


def served_key(instance):
    """Build the app on this instance folder and read the key it serves."""
    app = create_app(TestConfig(str(instance), f"sqlite:///{instance / 'tend.db'}"))
    with app.test_client() as client:
        return client.get(KEY_URL).get_json()["public_key"]


# Signed out ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", SUBSCRIPTIONS_URL),
        ("post", SUBSCRIPTIONS_URL),
        ("delete", f"{SUBSCRIPTIONS_URL}/1"),
        ("post", TEST_URL),
    ],
)
def test_signed_out_requests_hear_401_json(client, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401
    assert "Location" not in response.headers
    assert response.get_json()["error"] == "Please sign in to continue."


def test_a_write_without_the_csrf_token_is_refused(app, phone):
    browser = phone.push_service.subscribe(phone.client.get(KEY_URL).get_json()["public_key"])
    response = phone.client.post(SUBSCRIPTIONS_URL, json=browser.to_json())
    assert response.status_code == 400
    assert "Reload it and try again" in response.get_json()["error"]
    assert stored(app) == {}


# Subscribing ------------------------------------------------------------------------


def test_a_new_subscription_is_stored_with_a_device_label(app, phone):
    response = phone.subscribe()
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert answer == {"id": answer["id"], "label": "Chrome on Android"}
    row = stored(app)[phone.browser.endpoint]
    assert (row.id, row.user_id) == (answer["id"], phone_owner(app))
    assert (row.p256dh, row.auth) == (phone.browser.p256dh, phone.browser.auth)


def test_sending_the_same_subscription_again_updates_it(app, phone):
    first = phone.subscribe().get_json()
    used = stored(app)[phone.browser.endpoint].last_used_at
    phone.user_agent = WINDOWS_EDGE
    response = phone.send(phone.browser.to_json())
    assert response.status_code == 200
    assert response.get_json() == {"id": first["id"], "label": "Edge on Windows"}
    row = stored(app)[phone.browser.endpoint]
    assert row.last_used_at > used
    assert len(stored(app)) == 1


def test_padded_keys_are_kept_as_browsers_give_them(app, phone):
    key = phone.client.get(KEY_URL).get_json()["public_key"]
    browser = phone.push_service.subscribe(key)
    body = browser.to_json()
    body["keys"] = {"p256dh": browser.p256dh + "=", "auth": browser.auth + "=="}
    assert phone.send(body).status_code == 201
    row = stored(app)[browser.endpoint]
    assert (row.p256dh, row.auth) == (browser.p256dh, browser.auth)


def test_an_endpoint_subscribed_under_another_account_moves_to_this_one(app, phone, other_phone):
    first = phone.subscribe().get_json()
    phone.test()
    other_phone.browser = phone.browser  # someone else signed in on the same device
    response = other_phone.send(phone.browser.to_json())
    assert response.status_code == 201
    assert response.get_json() == {"id": first["id"], "label": "Safari on iPhone"}
    assert phone.devices() == []
    [device] = other_phone.devices()
    assert device["last_status"] is None and device["last_attempt_at"] is None


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"endpoint": None},
            {"endpoint": ["The subscription has no endpoint. "
                          "Turn reminders off and on again on this device."]},
        ),
        (
            {"endpoint": "not a url"},
            {"endpoint": ["The endpoint should be the push service's web address (https://...)."]},
        ),
        (
            {"endpoint": "ftp://push.example.org/abc"},
            {"endpoint": ["The endpoint should be the push service's web address (https://...)."]},
        ),
        (
            {"endpoint": "https://push.example.org/" + "a" * 2048},
            {"endpoint": ["This endpoint is longer than any push service gives "
                          "(2048 characters at most)."]},
        ),
        (
            {"expirationTime": "tomorrow"},
            {"expirationTime": ["The expiry time should be a number of milliseconds, or null."]},
        ),
        (
            {"keys": None},
            {"keys": ["The subscription has no keys. "
                      "Turn reminders off and on again on this device."]},
        ),
        (
            {"keys": "abc"},
            {"keys": {"_schema": ["The subscription's keys should be an object. "
                                  "Turn reminders off and on again on this device."]}},
        ),
        (
            {"keys": {"auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
            {"keys": {"p256dh": ["The subscription has no public key (p256dh). "
                                 "Turn reminders off and on again on this device."]}},
        ),
        (
            {"keys": {"p256dh": "BAQE", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
            {"keys": {"p256dh": ["This is not the public key a browser gives (65 bytes of "
                                 "P-256, in base64url). Turn reminders off and on again on "
                                 "this device."]}},
        ),
    ],
)
def test_a_bad_subscription_is_refused_with_the_reason(app, phone, change, errors):
    body = valid_body(phone) | change
    response = phone.send(body)
    assert response.status_code == 422
    assert response.get_json() == {"errors": errors}
    assert stored(app) == {}


BAD_P256DH = ["This is not the public key a browser gives (65 bytes of P-256, in base64url). "
              "Turn reminders off and on again on this device."]
BAD_AUTH = ["This is not the auth secret a browser gives (16 bytes, in base64url). "
            "Turn reminders off and on again on this device."]


@pytest.mark.parametrize(
    ("keys", "errors"),
    [
        ({"p256dh": base64.urlsafe_b64encode(b"\x04" * 65).decode()}, {"p256dh": BAD_P256DH}),
        ({"p256dh": "B" + "A" * 85 + "@"}, {"p256dh": BAD_P256DH}),
        ({"p256dh": 42}, {"p256dh": ["The public key (p256dh) should be text in base64url. "
                                     "Turn reminders off and on again on this device."]}),
        ({"auth": "AAAA"}, {"auth": BAD_AUTH}),
        ({"auth": "A" * 21 + "+"}, {"auth": BAD_AUTH}),
        ({"auth": "A"}, {"auth": BAD_AUTH}),
        ({"p256dh": "", "auth": ""}, {"p256dh": BAD_P256DH, "auth": BAD_AUTH}),
    ],
)
def test_keys_of_the_wrong_kind_are_refused(app, phone, keys, errors):
    body = valid_body(phone)
    body["keys"] |= keys
    response = phone.send(body)
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"keys": errors}}


def test_the_body_must_be_a_json_object(app, phone):
    response = phone.send(["not", "an", "object"])
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"_schema": [
        "Send the subscription as the browser gives it: an object with endpoint and keys."
    ]}}
    response = phone.client.post(SUBSCRIPTIONS_URL, data="endpoint=x", headers=phone.headers())
    assert response.status_code == 400
    response = phone.client.post(SUBSCRIPTIONS_URL, data="{", headers=phone.headers(),
                                 content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "The subscription could not be read as JSON."


def test_fields_a_newer_browser_may_add_are_ignored(app, phone):
    body = valid_body(phone) | {"unknown": True}
    body["keys"]["future"] = "x"
    assert phone.send(body).status_code == 201


def test_plain_http_endpoints_are_refused_unless_allowed(app, phone, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_ALLOW_HTTP", False)
    response = phone.send(valid_body(phone))
    assert response.status_code == 422
    assert response.get_json() == {
        "errors": {"endpoint": ["The endpoint should be a secure (https://) web address."]}
    }
    https = valid_body(phone) | {"endpoint": "https://fcm.googleapis.com/fcm/send/abc:APA91b"}
    assert phone.send(https).status_code == 201


def valid_body(phone):
    """A good subscription for the phone's browser, ready to be spoiled by a test."""
    key = phone.client.get(KEY_URL).get_json()["public_key"]
    return phone.push_service.subscribe(key).to_json()


# Listing and removing ---------------------------------------------------------------


def test_the_list_shows_each_device_newest_first(app, phone, laptop):
    phone.subscribe()
    laptop.subscribe()
    devices = phone.devices()
    assert [device["label"] for device in devices] == ["Firefox on Mac", "Chrome on Android"]
    assert set(devices[0]) == {
        "id", "label", "created_at", "last_used_at", "last_status", "last_attempt_at"
    }
    assert devices[0]["last_status"] is None
    assert laptop.devices() == devices


def test_removing_a_device_stops_its_reminders(app, phone, laptop):
    device_id = phone.subscribe().get_json()["id"]
    laptop.subscribe()
    response = phone.remove(device_id)
    assert response.status_code == 204
    assert [device["label"] for device in phone.devices()] == ["Firefox on Mac"]
    assert phone.remove(device_id).status_code == 404


def test_a_device_removed_elsewhere_is_not_taken_back_when_its_page_resends(
    app, phone, laptop
):
    device_id = phone.subscribe().get_json()["id"]
    laptop.subscribe()
    assert laptop.remove(device_id).status_code == 204
    # The phone's next page load sends its subscription again, as every load does.
    again = phone.send(phone.browser.to_json())
    assert again.status_code == 410
    assert "removed" in again.get_json()["error"]
    assert [device["label"] for device in laptop.devices()] == ["Firefox on Mac"]
    with app.app_context():  # a digest, not the endpoint, which could push to it
        [removal] = db.session.scalars(select(RemovedDevice)).all()
        assert len(removal.endpoint_digest) == 64
        assert removal.endpoint_digest not in phone.browser.endpoint
    # Turning reminders on there again, with a tap, takes it back.
    renewed = phone.send(phone.browser.to_json() | {"renew": True})
    assert renewed.status_code == 201
    assert phone.send(phone.browser.to_json()).status_code == 200
    assert len(laptop.devices()) == 2


def test_renew_must_be_true_or_false(app, phone):
    phone.subscribe()
    response = phone.send(phone.browser.to_json() | {"renew": "sometimes"})
    assert response.status_code == 422
    assert "renew" in response.get_json()["errors"]


def test_another_persons_devices_are_out_of_reach(app, phone, other_phone):
    device_id = phone.subscribe().get_json()["id"]
    assert other_phone.devices() == []
    response = other_phone.remove(device_id)
    assert response.status_code == 404
    assert response.get_json()["status"] == 404
    assert [device["id"] for device in phone.devices()] == [device_id]
    other_phone.subscribe()
    assert other_phone.test().get_json()["results"][0]["label"] == "Safari on iPhone"
    assert phone.push_service.delivered(phone.browser) == []


def test_deleting_an_account_deletes_its_devices(app, phone):
    phone.subscribe()
    with app.app_context():
        db.session.execute(text("DELETE FROM users"))
        db.session.commit()
    assert stored(app) == {}


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (ANDROID_CHROME, "Chrome on Android"),
        (IPHONE_SAFARI, "Safari on iPhone"),
        (WINDOWS_EDGE, "Edge on Windows"),
        (MAC_FIREFOX, "Firefox on Mac"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
         "Firefox on Linux"),
        ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
         "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
         "Samsung Internet on Android"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
         "Chrome on iPhone"),
        ("curl/8.5.0", None),
        ("", None),
    ],
)
def test_a_device_is_named_by_its_browser_and_system(phone, user_agent, label):
    phone.user_agent = user_agent
    assert phone.subscribe().get_json()["label"] == label


# The test reminder ------------------------------------------------------------------


def test_a_test_reminder_reaches_every_device_and_reports_each(app, phone, laptop):
    phone_id = phone.subscribe().get_json()["id"]
    laptop_id = laptop.subscribe().get_json()["id"]
    phone.push_service.answer(laptop.browser, 410)
    response = phone.test()
    assert response.status_code == 200
    assert response.get_json() == {"results": [
        {"id": laptop_id, "label": "Firefox on Mac", "outcome": "gone", "last_status": "gone"},
        {"id": phone_id, "label": "Chrome on Android", "outcome": "delivered",
         "last_status": "delivered"},
    ]}
    [received] = phone.push_service.delivered(phone.browser)
    assert received.notification["title"] == "Reminders are on"
    assert received.notification["navigate"] == "http://localhost/"  # the test client's site
    assert received.headers["urgency"] == "high"
    assert received.headers["ttl"] == "600"
    assert phone.push_service.refused == []
    [device] = phone.devices()
    assert device["id"] == phone_id
    assert device["last_status"] == "delivered" and device["last_attempt_at"]


def test_a_test_reminder_says_when_a_device_will_be_tried_again(app, phone):
    phone.subscribe()
    phone.push_service.answer(phone.browser, 503)
    [result] = phone.test().get_json()["results"]
    assert (result["outcome"], result["last_status"]) == ("retry", "failed: 503")
    assert phone.devices()[0]["last_status"] == "failed: 503"


def test_a_test_reminder_with_no_devices_reports_none(app, phone):
    response = phone.test()
    assert response.status_code == 200
    assert response.get_json() == {"results": []}


def test_test_reminders_are_limited_per_person(app, phone, other_phone, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_TEST_RATE_LIMIT", "2 per minute")
    assert [phone.test().status_code for _ in range(3)] == [200, 200, 429]
    assert phone.test().get_json()["status"] == 429
    assert other_phone.test().status_code == 200

