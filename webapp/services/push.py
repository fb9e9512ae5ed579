"""Sending pushes: a message to one device, or to many, through each device's push service.

Free of Flask. A sender holds a `VapidKey` (the server's signing identity, whose signed
headers it reuses per push service) and a `requests.Session` (so connections to each push
service are reused), and passes both to `send`, `send_all` or `send_each`.

What a push service answers decides what happens next (see `Delivery`): delivered; gone,
when it has forgotten the device, which is then deleted; retry, when it is busy, down or
out of reach, after the delay it asked for or a back-off; failed, for any other refusal.
"""
import base64
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPusher
from sqlalchemy import bindparam, case, delete, update

from webapp.extensions import db
from webapp.models import PushSubscription
from webapp.services.clock import utcnow

log = logging.getLogger(__name__)

# A push service takes a body of at most 4096 bytes. aes128gcm adds an 86-byte header,
# a 16-byte tag and a 1-byte delimiter, which leaves this much for the message.
MAX_PAYLOAD = 3993
# A TTL of 0 asks the push service to drop the message unless the device is online that
# very moment; 28 days is the longest any push service keeps one.
MIN_TTL = 60
MAX_TTL = 28 * 24 * 60 * 60
URGENCIES = ("very-low", "low", "normal", "high")
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
# Seconds to wait for a push service, to connect and then to answer.
TIMEOUT = 10
# Push services refuse a VAPID token that expires more than 24 hours ahead. Tokens are
# made for 12 hours and replaced once less than an hour is left, so none expires in flight.
TOKEN_LIFETIME = timedelta(hours=12)
TOKEN_RENEWAL = timedelta(hours=1)
# The wait before retrying when the push service does not say how long: 1, 2, 4 ... minutes.
BACKOFF_FIRST = 60
BACKOFF_MAX = 60 * 60

DELIVERED, GONE, RETRY, FAILED = "delivered", "gone", "retry", "failed"
# The notification buttons that only open the app (the others need the service worker).
OPENS_THE_APP = frozenset({"checkin"})
APPLE_HOSTS = frozenset({"web.push.apple.com"})


class VapidSettingsError(ValueError):
    """The configured VAPID key or subject cannot be used."""


class PayloadTooLarge(ValueError):
    """A message bigger than a push can carry."""


class Action(NamedTuple):
    """A button on the notification: what the service worker is told, and what it says."""

    action: str
    title: str


@dataclass(frozen=True)
class Message:
    """What a notification shows and where a tap leads (`url`, a full address on the site).

    It travels as a declarative push message (RFC 8030's number as its mark): a phone
    that knows the format (Safari 18.4 and later) can show it with no code of the site's
    at all, so it still shows when the service worker cannot run; "mutable" lets the
    worker show its own instead, as every other browser does with what it reads here.
    Only a button that simply opens a page can work without the worker, so the
    declared buttons are those that lead to `url`; the worker reads all of them, with
    their data, from `data`.
    """

    title: str
    body: str
    tag: str
    url: str
    actions: tuple[Action, ...] = ()
    data: dict = field(default_factory=dict)

    def payload(self):
        """The message as compact UTF-8 JSON; PayloadTooLarge if a push cannot carry it."""
        if urlsplit(self.url).scheme not in ("https", "http"):
            raise ValueError(f"A notification leads to a full address, not {self.url!r}.")
        content = {
            "web_push": 8030,
            "notification": {
                "title": self.title,
                "body": self.body,
                "tag": self.tag,
                "lang": "en",
                "navigate": self.url,
                "actions": [
                    {**action._asdict(), "navigate": self.url}
                    for action in self.actions if action.action in OPENS_THE_APP
                ],
                "data": {
                    **self.data, "url": self.url,
                    "actions": [action._asdict() for action in self.actions],
                },
            },
            "mutable": True,
        }
        encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
        if len(encoded) > MAX_PAYLOAD:
            raise PayloadTooLarge(
                f"This message is {len(encoded)} bytes as JSON; a push carries at most "
                f"{MAX_PAYLOAD}. Shorten its text or its data."
            )
        return encoded


@dataclass(frozen=True)
class Delivery:
    """What became of one push.

    `outcome` is DELIVERED, GONE (delete the subscription), RETRY (try again after
    `retry_after` seconds) or FAILED (refused; retrying the same push will not help).
    `status` is the push service's HTTP status, None when no answer came; `reason` says
    more when there is more to say (e.g. "timeout", or the service's own reason).
    """

    outcome: str
    status: int | None = None
    retry_after: int | None = None
    reason: str | None = None

    @property
    def summary(self):
        """The result in a few words, as a device's last_status keeps it: 'failed: 500'."""
        if self.outcome in (DELIVERED, GONE):
            return self.outcome
        return f"failed: {self.status or self.reason}"


class VapidKey:
    """The server's VAPID identity: its public key, and the Authorization headers it signs.

    A header is signed once per push service (its origin is the token's audience) and
    reused until it nears expiry, so thousands of pushes to one service sign once.
    """

    def __init__(self, private_key, subject, clock=utcnow):
        if not subject.startswith(("mailto:", "https://")):
            raise VapidSettingsError(
                f"The VAPID subject must be a mailto: or https: URL, not {subject!r}."
            )
        self._signer = Vapid(private_key=load_private_key(private_key))
        self.subject = subject
        self.public_key = _b64url(
            self._signer.public_key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        self._clock = clock
        self._tokens = {}

    @classmethod
    def from_config(cls, config):
        """The key an app's settings describe (VAPID_PRIVATE_KEY and VAPID_SUBJECT)."""
        return cls(config["VAPID_PRIVATE_KEY"], config["VAPID_SUBJECT"])

    def authorization(self, endpoint):
        """The Authorization header for a push to `endpoint`, reused while it stays fresh."""
        audience = origin(endpoint)
        now = self._clock()
        token = self._tokens.get(audience)
        if token is None or token[0] - now < TOKEN_RENEWAL:
            expires = now.replace(microsecond=0) + TOKEN_LIFETIME
            claims = {"aud": audience, "exp": int(expires.timestamp()), "sub": self.subject}
            token = (expires, self._signer.sign(claims)["Authorization"])
            self._tokens[audience] = token
        return token[1]


def load_private_key(text):
    """A P-256 private key from PEM text, or from the raw 32-byte key in base64url."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = ec.derive_private_key(int.from_bytes(_raw_key(text)), ec.SECP256R1())
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise VapidSettingsError(
            f"The VAPID private key is neither PEM nor a raw base64url P-256 key ({error})."
        ) from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise VapidSettingsError("The VAPID private key must be a P-256 (prime256v1) key.")
    return key


def _raw_key(text):
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 32:
        raise ValueError(f"a raw key is 32 bytes, this one is {len(raw)}")
    return raw


def origin(endpoint):
    """The scheme, host and port of a URL: a push service's identity for VAPID."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def user_topic(user_id, secret, about="reminders"):
    """The Topic of a user's reminders, so a newer one replaces one still waiting
    (`about` names another kind of push that should only replace its own kind).

    Keyed with `secret`, so push services see a steady label, never the user's id.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{about}:{user_id}".encode(), hashlib.sha256).digest()
    return _b64url(digest)[:32]


def clamp_ttl(seconds):
    """A TTL push services accept and that keeps the message: 1 minute to 28 days."""
    return int(min(max(seconds, MIN_TTL), MAX_TTL))


def backoff(attempt):
    """Seconds to wait before try number `attempt` + 1 when the service named no time."""
    return min(BACKOFF_FIRST * 2 ** (max(attempt, 1) - 1), BACKOFF_MAX)


def retry_after_seconds(value):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if unreadable."""
    value = (value or "").strip()
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # HTTP dates are in GMT
        moment = moment.replace(tzinfo=UTC)
    return max(0, round((moment - utcnow()).total_seconds()))


def push_session():
    """An HTTP session for sending pushes: it keeps connections to each push service open.

    Push services never redirect, and following a redirect would let a subscription
    steer the server's requests elsewhere, so a redirect is a failed push.
    """
    session = requests.Session()
    session.max_redirects = 0
    return session


def send(
    subscription,
    message,
    ttl,
    urgency="normal",
    topic=None,
    *,
    vapid,
    session,
    attempt=1,
    timeout=TIMEOUT,
):
    """Push `message` to one device and say what became of it, as a Delivery.

    `subscription` has `endpoint`, `p256dh` and `auth` (a PushSubscription row will do).
    `ttl` is how long in seconds the push service should keep trying (the time until the
    next reminder; see clamp_ttl). `topic` lets a later push with the same topic replace
    this one while it waits. `attempt` counts tries of this message at this device, for
    the back-off. A device that cannot be reached is a RETRY, not an exception; stored
    keys that cannot be encrypted to raise ValueError (send_all records them as failed).
    """
    check_options(urgency, topic)
    headers = {"Authorization": vapid.authorization(subscription.endpoint), "Urgency": urgency}
    if topic is not None:
        headers["Topic"] = topic
    keys = {"p256dh": subscription.p256dh, "auth": subscription.auth}
    pusher = WebPusher({"endpoint": subscription.endpoint, "keys": keys}, requests_session=session)
    try:
        response = pusher.send(
            message.payload(),
            headers,
            ttl=clamp_ttl(ttl),
            content_encoding="aes128gcm",
            timeout=timeout,
        )
    except requests.TooManyRedirects:
        return Delivery(FAILED, reason="redirected")
    except requests.Timeout:
        return Delivery(RETRY, retry_after=backoff(attempt), reason="timeout")
    except requests.RequestException:
        return Delivery(RETRY, retry_after=backoff(attempt), reason="unreachable")
    with response:
        return read_answer(subscription.endpoint, response, attempt)


def check_options(urgency, topic):
    """Refuse an Urgency or Topic no push service would take: a mistake in the caller."""
    if urgency not in URGENCIES:
        raise ValueError(f"Urgency is one of {', '.join(URGENCIES)}, not {urgency!r}.")
    if topic is not None and not TOPIC.fullmatch(topic):
        raise ValueError("A Topic is 1 to 32 characters of base64url (A-Z a-z 0-9 - _).")


def read_answer(endpoint, response, attempt):
    """The Delivery a push service's answer means."""
    status = response.status_code
    if status in (201, 202):
        return Delivery(DELIVERED, status)
    if status in (404, 410) or (status == 403 and _apple_forgot(endpoint, response)):
        return Delivery(GONE, status)
    if status == 429 or status >= 500:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        return Delivery(RETRY, status, backoff(attempt) if wait is None else wait)
    reason = _reason(response)
    log.warning("Push to %s refused: %s %s", origin(endpoint), status, reason or "")
    return Delivery(FAILED, status, reason=reason)


def _apple_forgot(endpoint, response):
    """Apple answers 403 for a device that no longer takes pushes from this server.

    It also answers 403 with BadJwtToken when the server's own token is wrong (a subject
    at localhost, say): that is the server's fault, and deleting every iPhone for it
    would lose them all, so it stays a failure.
    """
    if urlsplit(endpoint).hostname not in APPLE_HOSTS:
        return False
    return "jwt" not in (_reason(response) or "").lower()


def _reason(response):
    """The push service's reason for a refusal, when it gives one as JSON."""
    try:
        reason = response.json().get("reason")
    except (ValueError, AttributeError):
        return None
    return str(reason)[:100] if reason else None


def send_all(
    subscriptions,
    message,
    ttl,
    urgency="normal",
    topic=None,
    *,
    vapid,
    session,
    attempt=1,
    timeout=TIMEOUT,
):
    """Push `message` to each subscription and record each outcome; one Delivery per
    subscription, in order. The caller commits.

    Takes the same arguments as `send`. One device's failure, whatever it is, never
    stops the others; only a mistake common to all (the message, urgency or topic) raises.
    """
    deliveries = send_each(
        subscriptions, message, ttl, urgency, topic,
        vapid=vapid, session=session, attempt=attempt, timeout=timeout,
    )
    record_deliveries(zip(subscriptions, deliveries, strict=True))
    return deliveries


def send_each(subscriptions, message, ttl, urgency="normal", topic=None, **options):
    """`send_all` without touching the database: the Deliveries, for the caller to record.

    Sending takes time; recording every outcome afterwards in one short write keeps the
    database free for other senders meanwhile (SQLite lets one write at a time).
    """
    message.payload()
    check_options(urgency, topic)
    return [
        _send_one(subscription, message, ttl, urgency=urgency, topic=topic, **options)
        for subscription in subscriptions
    ]


def _send_one(subscription, message, ttl, **options):
    try:
        return send(subscription, message, ttl, **options)
    except Exception:
        # Stored keys that no longer load, or a fault no one foresaw: it is logged and
        # kept as this device's status, and the other devices still get their push.
        log.exception("Push to %s could not be sent", origin(subscription.endpoint))
        return Delivery(FAILED, reason="error")


def record_deliveries(outcomes):
    """Keep each push's outcome on its device, or delete the devices their push service
    forgot, from (subscription, Delivery) pairs; the caller commits.

    Statements by endpoint rather than changes to loaded rows, so a device removed in the
    meantime (by its owner, or by another worker) is simply not there.
    """
    now = utcnow()
    gone, kept = [], []
    for subscription, delivery in outcomes:
        if delivery.outcome == GONE:
            gone.append(subscription.endpoint)
        else:
            kept.append({"at": subscription.endpoint, "status": delivery.summary, "when": now})
    table = PushSubscription.__table__
    if gone:
        db.session.execute(delete(table).where(table.c.endpoint.in_(gone)))
    if kept:
        db.session.execute(
            update(table)
            .where(table.c.endpoint == bindparam("at"))
            .values(
                last_status=bindparam("status"), last_attempt_at=bindparam("when"),
                last_delivered_at=case(
                    (bindparam("status") == DELIVERED, bindparam("when")),
                    else_=table.c.last_delivered_at,
                ),
            ),
            kept,
        )


def trial_reminder(url):
    """The push a person asks for, to see that reminders reach their devices."""
    return Message(
        title="Reminders are on",
        body="This is how a gentle nudge from Tend will look on this device.",
        tag="tend-test",
        url=url,
    )


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

