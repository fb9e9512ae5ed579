"""Sending pushes through a local push service that checks them as a real one does."""
import base64
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from sqlalchemy import select

from tests.push_service import Answer, FakePushService
from webapp.config import new_vapid_private_key
from webapp.extensions import db
from webapp.models import PushSubscription, User
from webapp.services import push
from webapp.services.clock import utcnow
from webapp.services.push import (
    DELIVERED,
    FAILED,
    GONE,
    MAX_PAYLOAD,
    RETRY,
    Action,
    Message,
    PayloadTooLarge,
    VapidKey,
    VapidSettingsError,
    backoff,
    push_session,
    retry_after_seconds,
    send,
    send_all,
    user_topic,
)

SUBJECT = "mailto:care@example.org"
# 65 bytes shaped like a public key, but no point on P-256: nothing can be encrypted to it.
OFF_THE_CURVE = base64.urlsafe_b64encode(b"\x04" * 65).decode().rstrip("=")
REMINDER = Message(
    title="A breath between sessions",
    body="Three slow breaths before the next client?",
    tag="reminder-2026-11-22T10:50",
    url="https://tend.example.org/",
    actions=(Action("checkin", "Check in"), Action("done", "Done"), Action("later", "Later")),
    data={"practice": "breathing"},
)


@pytest.fixture
def vapid():
    """The server's VAPID key."""
    return VapidKey(new_vapid_private_key(), SUBJECT)


@pytest.fixture
def http():
    """The sender's HTTP session, closed after the test."""
    with push_session() as session:
        yield session


def deliver(subscription, vapid, http, message=REMINDER, ttl=3600, **options):
    """Send one push with the test's key and session."""
    return send(subscription, message, ttl, vapid=vapid, session=http, **options)


def message_of_size(size):
    """A message whose JSON payload is exactly `size` bytes."""
    bare = len(Message("", "", "", "https://t.example/").payload())
    return Message("", "x" * (size - bare), "", "https://t.example/")


# What arrives ------------------------------------------------------------------------


def test_a_push_arrives_signed_readable_and_with_its_headers(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    delivery = deliver(device, vapid, http, ttl=5400, urgency="low", topic="reminders-1")
    assert delivery == push.Delivery(DELIVERED, 201)
    assert push_service.refused == []
    [received] = push_service.delivered(device)
    # A declarative push message: a phone that reads the format (Safari) can show it
    # without the service worker; its only button there is the one that opens a page.
    assert received.message == {
        "web_push": 8030,
        "notification": {
            "title": "A breath between sessions",
            "body": "Three slow breaths before the next client?",
            "tag": "reminder-2026-11-22T10:50",
            "lang": "en",
            "navigate": "https://tend.example.org/",
            "actions": [
                {"action": "checkin", "title": "Check in", "navigate": "https://tend.example.org/"},
            ],
            "data": {
                "practice": "breathing",
                "url": "https://tend.example.org/",
                "actions": [
                    {"action": "checkin", "title": "Check in"},
                    {"action": "done", "title": "Done"},
                    {"action": "later", "title": "Later"},
                ],
            },
        },
        "mutable": True,
    }
    assert received.headers["ttl"] == "5400"
    assert received.headers["urgency"] == "low"
    assert received.headers["topic"] == "reminders-1"
    assert received.headers["content-encoding"] == "aes128gcm"
    assert received.claims["aud"] == push_service.origin
    assert received.claims["sub"] == SUBJECT
    lifetime = received.claims["exp"] - utcnow().timestamp()
    assert timedelta(hours=11) < timedelta(seconds=lifetime) <= timedelta(hours=12)


def test_urgency_is_normal_and_there_is_no_topic_unless_asked(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    deliver(device, vapid, http)
    [received] = push_service.delivered(device)
    assert received.headers["urgency"] == "normal"
    assert "topic" not in received.headers


@pytest.mark.parametrize(
    ("asked", "sent"),
    [(0, 60), (-5, 60), (59.9, 60), (3600.7, 3600), (28 * 86400, 28 * 86400), (10**9, 28 * 86400)],
)
def test_the_ttl_is_never_zero_nor_beyond_28_days(push_service, vapid, http, asked, sent):
    device = push_service.subscribe(vapid.public_key)
    deliver(device, vapid, http, ttl=asked)
    assert push_service.delivered(device)[0].headers["ttl"] == str(sent)


def test_a_message_of_the_largest_size_fits_one_push(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    largest = message_of_size(MAX_PAYLOAD)
    assert deliver(device, vapid, http, message=largest).outcome == DELIVERED
    assert push_service.delivered(device)[0].notification["body"] == largest.body


def test_a_message_too_large_is_refused_before_anything_is_sent(app, push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    with pytest.raises(PayloadTooLarge, match="3994 bytes"):
        deliver(device, vapid, http, message=message_of_size(MAX_PAYLOAD + 1))
    with app.app_context():
        user_id = add_user()
        with pytest.raises(PayloadTooLarge):
            send_all([add_device(user_id, device)], message_of_size(5000), 60,
                     vapid=vapid, session=http)
    assert push_service.pushes == [] and push_service.refused == []


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"urgency": "urgent"}, "Urgency"),
        ({"topic": "x" * 33}, "Topic"),
        ({"topic": "has space"}, "Topic"),
        ({"topic": ""}, "Topic"),
    ],
)
def test_an_urgency_or_topic_no_service_takes_is_a_mistake(push_service, vapid, http, options,
                                                           complaint):
    device = push_service.subscribe(vapid.public_key)
    with pytest.raises(ValueError, match=complaint):
        deliver(device, vapid, http, **options)
    assert push_service.pushes == []


# VAPID -------------------------------------------------------------------------------


def test_pushes_to_one_service_share_a_token_and_a_connection(push_service, vapid, http):
    devices = [push_service.subscribe(vapid.public_key) for _ in range(3)]
    for device in devices:
        deliver(device, vapid, http)
    pushes = push_service.delivered()
    assert len(pushes) == 3
    assert len({received.token for received in pushes}) == 1
    assert len({received.client for received in pushes}) == 1


def test_each_push_service_gets_a_token_for_itself(push_service, vapid, http):
    other_service = FakePushService()
    try:
        deliver(push_service.subscribe(vapid.public_key), vapid, http)
        deliver(other_service.subscribe(vapid.public_key), vapid, http)
        assert other_service.refused == [] and push_service.refused == []
        assert other_service.pushes[0].claims["aud"] == other_service.origin
        assert other_service.pushes[0].token != push_service.pushes[0].token
    finally:
        other_service.stop()


def test_a_token_is_signed_again_before_it_expires(push_service, http):
    now = [utcnow()]
    vapid = VapidKey(new_vapid_private_key(), SUBJECT, clock=lambda: now[0])
    device = push_service.subscribe(vapid.public_key)
    deliver(device, vapid, http)
    now[0] += timedelta(hours=10, minutes=59)
    deliver(device, vapid, http)
    now[0] += timedelta(minutes=2)  # less than an hour left: a new token
    deliver(device, vapid, http)
    first, reused, renewed = push_service.delivered(device)
    assert reused.token == first.token
    assert renewed.token != first.token
    assert renewed.claims["exp"] > first.claims["exp"]
    assert push_service.refused == []


def test_the_public_key_is_the_uncompressed_point_the_browser_wants(vapid):
    point = base64.urlsafe_b64decode(vapid.public_key + "==")
    assert len(point) == 65 and point[0] == 4
    assert "=" not in vapid.public_key


def test_a_raw_private_key_gives_the_same_identity_as_its_pem():
    pem = new_vapid_private_key()
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    raw = base64.urlsafe_b64encode(key.private_numbers().private_value.to_bytes(32, "big"))
    from_raw = VapidKey(raw.decode().rstrip("="), SUBJECT)
    assert from_raw.public_key == VapidKey(pem, SUBJECT).public_key


@pytest.mark.parametrize(
    ("private_key", "subject", "complaint"),
    [
        ("not a key", SUBJECT, "neither PEM nor"),
        (base64.urlsafe_b64encode(b"\x01" * 31).decode(), SUBJECT, "32 bytes"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", SUBJECT, "neither PEM"),
        ("P-384", SUBJECT, "must be a P-256"),
        ("P-256", "admin@example.org", "mailto: or https:"),
    ],
)
def test_an_unusable_vapid_setting_is_refused_at_once(private_key, subject, complaint):
    if private_key.startswith("P-"):
        curve = ec.SECP384R1() if private_key == "P-384" else ec.SECP256R1()
        private_key = ec.generate_private_key(curve).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    with pytest.raises(VapidSettingsError, match=complaint):
        VapidKey(private_key, subject)


def test_a_users_topic_is_short_url_safe_steady_and_reveals_nothing():
    topic = user_topic(42, "secret")
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", topic)
    assert user_topic(42, "secret") == topic
    assert user_topic(43, "secret") != topic
    assert user_topic(42, "another secret") != topic
    assert "42" not in topic


# What the push service answers ------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_a_forgotten_device_is_gone(push_service, vapid, http, status):
    device = push_service.subscribe(vapid.public_key)
    push_service.answer(device, status)
    assert deliver(device, vapid, http) == push.Delivery(GONE, status)


def test_too_many_requests_waits_as_long_as_the_service_asks(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    push_service.answer(device, Answer(429, retry_after="120"))
    assert deliver(device, vapid, http) == push.Delivery(RETRY, 429, retry_after=120)


def test_retry_after_may_be_a_date(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    when = datetime.now(UTC) + timedelta(minutes=5)
    push_service.answer(device, Answer(503, retry_after=format_datetime(when, usegmt=True)))
    delivery = deliver(device, vapid, http)
    assert delivery.outcome == RETRY and delivery.status == 503
    assert 295 <= delivery.retry_after <= 300


@pytest.mark.parametrize(("attempt", "wait"), [(1, 60), (2, 120), (3, 240), (7, 3600), (30, 3600)])
def test_a_server_error_backs_off_by_attempt(push_service, vapid, http, attempt, wait):
    device = push_service.subscribe(vapid.public_key)
    push_service.answer(device, 500)
    assert deliver(device, vapid, http, attempt=attempt) == push.Delivery(RETRY, 500, wait)


def test_a_retry_after_a_server_error_is_delivered(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    push_service.answer(device, 500, 201)
    assert deliver(device, vapid, http).outcome == RETRY
    assert deliver(device, vapid, http, attempt=2).outcome == DELIVERED
    assert [received.status for received in push_service.pushes] == [500, 201]
    assert push_service.pushes[0].message == push_service.pushes[1].message


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_another_refusal_fails_without_retry(push_service, vapid, http, status):
    device = push_service.subscribe(vapid.public_key)
    push_service.answer(device, Answer(status, reason="Whatever"))
    delivery = deliver(device, vapid, http)
    assert delivery == push.Delivery(FAILED, status, reason="Whatever")
    assert delivery.summary == f"failed: {status}"


@pytest.mark.parametrize(
    ("reason", "outcome"), [("Unregistered", GONE), (None, GONE), ("BadJwtToken", FAILED)]
)
def test_apple_forbidding_a_device_means_gone_unless_the_token_is_at_fault(
    monkeypatch, push_service, vapid, http, reason, outcome
):
    monkeypatch.setattr(push, "APPLE_HOSTS", frozenset({"127.0.0.1"}))
    device = push_service.subscribe(vapid.public_key)
    push_service.answer(device, Answer(403, reason=reason))
    assert deliver(device, vapid, http).outcome == outcome


def test_a_redirect_is_not_followed(push_service, vapid, http):
    device, elsewhere = (push_service.subscribe(vapid.public_key) for _ in range(2))
    push_service.answer(device, Answer(307, location=elsewhere.endpoint))
    assert deliver(device, vapid, http) == push.Delivery(FAILED, reason="redirected")
    assert [received.endpoint for received in push_service.pushes] == [device.endpoint]


def test_a_service_out_of_reach_is_retried(vapid, http):
    closed = FakePushService()
    device = closed.subscribe(vapid.public_key)
    closed.stop()
    assert deliver(device, vapid, http, attempt=2) == push.Delivery(
        RETRY, retry_after=120, reason="unreachable"
    )


def test_a_service_too_slow_to_answer_is_retried(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    push_service.answer(device, Answer(201, delay=1))
    delivery = deliver(device, vapid, http, timeout=0.2)
    assert delivery == push.Delivery(RETRY, retry_after=60, reason="timeout")
    assert delivery.summary == "failed: timeout"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120), (" 7 ", 7), ("0", 0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0), ("soon", None),
     ("", None), (None, None), ("-5", None)],
)
def test_retry_after_is_read_as_seconds_or_a_date(header, seconds):
    assert retry_after_seconds(header) == seconds


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(attempt) for attempt in (1, 2, 3, 4, 5, 6, 7)] == [
        60, 120, 240, 480, 960, 1920, 3600
    ]


# Sending to many --------------------------------------------------------------------


def add_user(email="sam@example.org"):
    """A user row; returns its id."""
    user = User(email=email, password_hash="-", timezone="UTC")
    db.session.add(user)
    db.session.commit()
    return user.id


def add_device(user_id, browser, **fields):
    """Store a browser's subscription for the user."""
    keys = {"p256dh": browser.p256dh, "auth": browser.auth} | fields
    device = PushSubscription(user_id=user_id, endpoint=browser.endpoint, **keys)
    db.session.add(device)
    db.session.commit()
    return device


def stored_devices():
    """Each stored endpoint with its last status and attempt time."""
    db.session.expire_all()
    return {
        device.endpoint: (device.last_status, device.last_attempt_at)
        for device in db.session.scalars(select(PushSubscription))
    }


def test_one_failing_device_never_stops_the_others(app, push_service, vapid, http):
    browsers = [push_service.subscribe(vapid.public_key) for _ in range(5)]
    first, busy, gone, broken, last = browsers
    push_service.answer(first, 500)
    push_service.answer(busy, Answer(429, retry_after="30"))
    push_service.answer(gone, 410)
    out_of_reach = FakePushService()
    moved = out_of_reach.subscribe(vapid.public_key)
    out_of_reach.stop()
    with app.app_context():
        user_id = add_user()
        devices = [add_device(user_id, browser) for browser in (first, busy, gone)]
        devices.append(add_device(user_id, broken, p256dh=OFF_THE_CURVE))
        devices += [add_device(user_id, moved), add_device(user_id, last)]
        before = utcnow()
        deliveries = send_all(devices, REMINDER, 600, vapid=vapid, session=http, topic="t")
        assert [delivery.outcome for delivery in deliveries] == [
            RETRY, RETRY, GONE, FAILED, RETRY, DELIVERED
        ]
        assert deliveries[1].retry_after == 30
        stored = stored_devices()
    assert gone.endpoint not in stored
    assert {endpoint: status for endpoint, (status, _) in stored.items()} == {
        first.endpoint: "failed: 500",
        busy.endpoint: "failed: 429",
        broken.endpoint: "failed: error",
        moved.endpoint: "failed: unreachable",
        last.endpoint: "delivered",
    }
    assert all(attempted >= before for _, attempted in stored.values())
    assert len(push_service.delivered(last)) == 1
    assert push_service.refused == []


def test_devices_removed_meanwhile_are_simply_skipped(app, push_service, vapid, http):
    gone, delivered = (push_service.subscribe(vapid.public_key) for _ in range(2))
    push_service.answer(gone, 410)
    with app.app_context():
        user_id = add_user()
        devices = [add_device(user_id, gone), add_device(user_id, delivered)]
        db.session.execute(PushSubscription.__table__.delete())
        db.session.commit()
        deliveries = send_all(devices, REMINDER, 600, vapid=vapid, session=http)
        assert [delivery.outcome for delivery in deliveries] == [GONE, DELIVERED]
        assert stored_devices() == {}


def test_sending_to_no_device_sends_nothing(app, push_service, vapid, http):
    with app.app_context():
        assert send_all([], REMINDER, 600, vapid=vapid, session=http) == []
    assert push_service.pushes == []


# The fake push service is as strict as a real one ----------------------------------


def signed(vapid_key, claims):
    """An Authorization header for these claims, signed by a py_vapid key."""
    return vapid_key.sign(claims)["Authorization"]


@pytest.fixture
def signer():
    """A VAPID key whose claims the test chooses."""
    key = Vapid()
    key.generate_keys()
    return key


def raw_public_key(key):
    point = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"aud": "http://127.0.0.1:1"}, "BadAudience"),
        ({"exp": -60}, "BadExpiration"),
        ({"exp": 25 * 3600}, "BadExpiration"),
        ({"sub": "care@example.org"}, "BadSubject"),
    ],
)
def test_the_fake_service_refuses_a_bad_token(push_service, signer, http, change, refusal):
    device = push_service.subscribe(raw_public_key(signer))
    claims = {"aud": push_service.origin, "exp": int(utcnow().timestamp()) + 3600, "sub": SUBJECT}
    if "exp" in change:
        change = {"exp": int(utcnow().timestamp()) + change["exp"]}
    signer.conf["no-strict"] = True
    headers = {"Authorization": signed(signer, claims | change), "TTL": "60"}
    with http.post(device.endpoint, data=b"x", headers=headers, timeout=5) as response:
        assert response.status_code in (401, 403)
    assert push_service.refused == [(device.endpoint, response.status_code, refusal)]


def test_the_fake_service_refuses_another_servers_key_or_signature(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    stranger = VapidKey(new_vapid_private_key(), SUBJECT)
    deliver(device, stranger, http)
    forged = stranger.authorization(device.endpoint).replace(
        f"k={stranger.public_key}", f"k={vapid.public_key}"
    )
    with http.post(device.endpoint, data=b"x", headers={"Authorization": forged, "TTL": "60"},
                   timeout=5) as response:
        assert response.status_code == 401
    assert [reason for _, _, reason in push_service.refused] == ["VapidKeyMismatch", "BadJwtToken"]
    assert push_service.pushes == []


def test_the_fake_service_refuses_a_push_without_ttl(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    untimed = {"Authorization": vapid.authorization(device.endpoint),
               "Content-Encoding": "aes128gcm"}
    with http.post(device.endpoint, data=b"x", headers=untimed, timeout=5) as response:
        assert response.status_code == 400
    assert push_service.refused == [(device.endpoint, 400, "MissingTTL")]


def test_the_fake_service_refuses_a_body_it_cannot_decrypt(push_service, vapid, http):
    device = push_service.subscribe(vapid.public_key)
    other = push_service.subscribe(vapid.public_key)
    mixed_up = PushSubscription(endpoint=device.endpoint, p256dh=other.p256dh, auth=other.auth)
    assert deliver(mixed_up, vapid, http).outcome == FAILED
    assert push_service.refused[0][2].startswith("Undecryptable")
