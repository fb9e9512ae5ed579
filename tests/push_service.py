"""A push service on 127.0.0.1 that checks what it is sent the way a real one does.

It serves real HTTP from a thread. Each push must carry a VAPID token (ES256, signed by
the key the subscription was made for, `aud` this service's origin, `exp` in the future
and at most 24 hours ahead, a `sub`), a TTL, and a body in aes128gcm of at most 4096
bytes that the subscription's private keys decrypt. A push that fails a check is refused
and kept in `refused`; one that passes is kept in `pushes` with its decrypted message,
then answered as the test asked (201 unless told otherwise).

`subscribe()` plays the browser: it makes a subscription as pushManager.subscribe() does
(a P-256 key pair and 16 random auth bytes) and remembers its private half.
"""
import base64
import json
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

MAX_BODY = 4096
MAX_TOKEN_LIFETIME = 24 * 60 * 60
URGENCIES = {"very-low", "low", "normal", "high"}
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserSubscription:
    """A subscription as a browser holds it: what it shares, and its private keys."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    application_server_key: str

    @property
    def p256dh(self):
        """The public key, as the browser shares it."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    @property
    def auth(self):
        """The auth secret, as the browser shares it."""
        return b64url(self.auth_secret)

    def to_json(self):
        """What PushSubscription.toJSON() gives the page."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
        }


class Answer(NamedTuple):
    """How to answer one push: a status, and perhaps a Retry-After, Location, reason, delay."""

    status: int
    retry_after: str | None = None
    reason: str | None = None
    delay: float = 0
    location: str | None = None


@dataclass
class Push:
    """A push that passed every check."""

    endpoint: str
    headers: dict
    message: dict
    claims: dict
    token: str
    client: tuple
    status: int
    received_at: float = field(default_factory=time.time)  # seconds since the epoch

    @property
    def notification(self):
        """What a declarative push message shows (the message itself if it is not one)."""
        return self.message.get("notification", self.message)


class Refused(Exception):
    """A push that fails a check, with the status a push service would answer."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class FakePushService:
    """The push service; see the module's description."""

    def __init__(self):
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.push_service = self
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.pushes = []
        self.refused = []
        self._subscriptions = {}
        self._answers = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self):
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def subscribe(self, application_server_key):
        """A new browser subscription to this service, made for the server's public key."""
        subscription = BrowserSubscription(
            endpoint=f"{self.origin}/push/{secrets.token_urlsafe(16)}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=secrets.token_bytes(16),
            application_server_key=application_server_key,
        )
        self._subscriptions[subscription.endpoint] = subscription
        return subscription

    def answer(self, subscription, *answers):
        """Answer the next pushes to this subscription so, in order; then 201 again."""
        with self._lock:
            self._answers[subscription.endpoint] = [
                answer if isinstance(answer, Answer) else Answer(answer) for answer in answers
            ]

    def delivered(self, subscription=None):
        """The pushes answered 201, to one subscription or to all."""
        wanted = subscription.endpoint if subscription else None
        return [
            push for push in self.pushes
            if push.status == 201 and wanted in (None, push.endpoint)
        ]

    def receive(self, path, headers, body, client):
        """Check a push and decide its answer: (status, headers, body, delay)."""
        endpoint = self.origin + path
        subscription = self._subscriptions.get(endpoint)
        try:
            if subscription is None:
                raise Refused(404, "NoSuchSubscription")
            token, claims = self._check_token(headers, subscription)
            message = self._open(headers, body, subscription)
        except Refused as refusal:
            with self._lock:
                self.refused.append((endpoint, refusal.status, refusal.reason))
            return refusal.status, {}, {"reason": refusal.reason}, 0
        answer = self._next_answer(endpoint)
        with self._lock:
            self.pushes.append(
                Push(endpoint, _lower_case(headers), message, claims, token, client, answer.status)
            )
        extra = {"Retry-After": answer.retry_after} if answer.retry_after else {}
        if answer.status == 201:
            extra["Location"] = f"{self.origin}/message/{secrets.token_urlsafe(8)}"
        if answer.location:
            extra["Location"] = answer.location
        reason = {"reason": answer.reason} if answer.reason else {}
        return answer.status, extra, reason, answer.delay

    def _next_answer(self, endpoint):
        with self._lock:
            planned = self._answers.get(endpoint)
            return planned.pop(0) if planned else Answer(201)

    def _check_token(self, headers, subscription):
        """The VAPID token and its claims, once the header, signature and claims are right."""
        scheme, _, params = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "vapid":
            raise Refused(401, "MissingVapidAuthorization")
        fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
        token, key = fields.get("t"), fields.get("k")
        if not token or not key:
            raise Refused(401, "MalformedVapidAuthorization")
        if key != subscription.application_server_key:
            raise Refused(403, "VapidKeyMismatch")
        claims = _verified_claims(token, key)
        if claims.get("aud") != self.origin:
            raise Refused(403, "BadAudience")
        expires, now = claims.get("exp"), time.time()
        if not isinstance(expires, int) or not now < expires <= now + MAX_TOKEN_LIFETIME:
            raise Refused(403, "BadExpiration")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise Refused(403, "BadSubject")
        return token, claims

    def _open(self, headers, body, subscription):
        """The decrypted message, once TTL, Urgency, Topic and the encoding are right."""
        if not (headers.get("TTL") or "").isdigit():
            raise Refused(400, "MissingTTL")
        if headers.get("Urgency", "normal") not in URGENCIES:
            raise Refused(400, "BadUrgency")
        if "Topic" in headers and not TOPIC.fullmatch(headers["Topic"]):
            raise Refused(400, "BadTopic")
        if headers.get("Content-Encoding") != "aes128gcm":
            raise Refused(415, "NotAes128gcm")
        if len(body) > MAX_BODY:
            raise Refused(413, "PayloadTooLarge")
        try:
            plaintext = http_ece.decrypt(
                body,
                private_key=subscription.private_key,
                auth_secret=subscription.auth_secret,
                version="aes128gcm",
            )
        except (http_ece.ECEException, ValueError) as error:
            raise Refused(400, f"Undecryptable: {error}") from error
        return json.loads(plaintext)


def _verified_claims(token, key):
    """The claims of an ES256 JWT signed by the P-256 public key `key`."""
    try:
        header, claims, signature = token.split(".")
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), b64url_decode(key)
        )
        raw = b64url_decode(signature)
        if len(raw) != 64 or json.loads(b64url_decode(header)).get("alg") != "ES256":
            raise InvalidSignature
        der = utils.encode_dss_signature(
            int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        )
        public_key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        return json.loads(b64url_decode(claims))
    except (InvalidSignature, ValueError) as error:
        raise Refused(401, "BadJwtToken") from error


def _lower_case(headers):
    return {name.lower(): value for name, value in headers.items()}


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that gave up waiting (a timeout test) is expected; anything else is shown."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections open, as push services do, so their reuse can be seen.
    protocol_version = "HTTP/1.1"
    timeout = 5

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, headers, content, delay = self.server.push_service.receive(
            self.path, self.headers, body, self.client_address
        )
        time.sleep(delay)
        data = json.dumps(content).encode() if content else b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        """Quiet: the test looks at `pushes` and `refused` instead."""


@pytest.fixture
def push_service():
    """A fake push service on 127.0.0.1, stopped after the test."""
    service = FakePushService()
    yield service
    service.stop()
