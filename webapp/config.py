"""Configuration read from the environment, with safe defaults."""
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# Milliseconds the worker waits for the server's own answer to a tap (see Config).
ANSWER_WINDOW_MS = 50


def _flag(name, default):
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret(instance_path, filename, make):
    """Return a secret kept in the instance folder, creating it on first use.

    Secrets must stay stable across restarts (a new SECRET_KEY signs everyone out),
    so they are generated once and written with owner-only permissions.
    """
    path = Path(instance_path) / filename
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def new_vapid_private_key():
    """A new P-256 private key for signing pushes, as PKCS#8 PEM text."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class Config:
    """Settings for a deployment; every value can come from the environment."""

    def __init__(self, instance_path, database_url=None):
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY") or instance_secret(
            instance_path, "secret_key", lambda: secrets.token_urlsafe(48)
        )
        self.SQLALCHEMY_DATABASE_URI = driver_url(
            database_url
            or env.get("DATABASE_URL")
            or f"sqlite:///{Path(instance_path) / 'tend.db'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = _engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.REDIS_URL = env.get("REDIS_URL")
        # How long a SQLite write waits for another's before giving up (a 503 to retry).
        self.SQLITE_BUSY_MS = int(env.get("TEND_SQLITE_BUSY_MS", "10000"))
        # No form or payload of Tend's comes near this; anything bigger is refused (413).
        self.MAX_CONTENT_LENGTH = 1024 * 1024

        secure = _flag("TEND_COOKIE_SECURE", True)
        self.SESSION_COOKIE_SECURE = secure
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * int(env.get("TEND_REMEMBER_DAYS", "90"))

        # A CSRF token that expires would turn a tap on a page left open between
        # sessions into an error; the token lives as long as the session instead.
        self.WTF_CSRF_TIME_LIMIT = None
        self.WTF_CSRF_SSL_STRICT = False

        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_ENABLED = _flag("TEND_RATELIMIT_ENABLED", True)
        self.SIGNIN_RATE_LIMIT = env.get("TEND_SIGNIN_RATE_LIMIT", "10 per minute;50 per hour")
        self.REGISTER_RATE_LIMIT = env.get("TEND_REGISTER_RATE_LIMIT", "5 per minute;20 per hour")
        self.PASSKEY_RATE_LIMIT = env.get("TEND_PASSKEY_RATE_LIMIT", "20 per minute;100 per hour")
        # The address people open Tend at. A reminder carries it, so that a phone that
        # shows it without Tend's own code (Safari's declarative push) opens the right page.
        self.PUBLIC_URL = env.get("TEND_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
        # Calendar feed addresses over plain http and on this machine: only for local
        # development and tests (services.calendar; public https addresses otherwise).
        self.CALENDAR_ALLOW_LOCAL = _flag("TEND_CALENDAR_ALLOW_LOCAL", False)
        # The site passkeys belong to (a host name, e.g. tend.example.org) and the origin
        # browsers report (https://tend.example.org). Unset: taken from each request.
        self.WEBAUTHN_RP_ID = env.get("TEND_WEBAUTHN_RP_ID")
        self.WEBAUTHN_ORIGIN = env.get("TEND_WEBAUTHN_ORIGIN")

        # argon2id cost; the defaults follow argon2-cffi's recommended profile.
        self.ARGON2_TIME_COST = int(env.get("TEND_ARGON2_TIME_COST", "3"))
        self.ARGON2_MEMORY_COST = int(env.get("TEND_ARGON2_MEMORY_KIB", "65536"))

        # The sync API's page sizes: entries taken in one batch, changes sent back in one answer.
        self.SYNC_MAX_BATCH = int(env.get("TEND_SYNC_MAX_BATCH", "500"))
        self.SYNC_MAX_CHANGES = int(env.get("TEND_SYNC_MAX_CHANGES", "1000"))
        # Sync requests a person may make (a phone sends a few per page load at most; a
        # refused one stays in the outbox and goes later).
        self.SYNC_RATE_LIMIT = env.get("TEND_SYNC_RATE_LIMIT", "120 per minute")

        self.TRUSTED_PROXIES = int(env.get("TEND_TRUSTED_PROXIES", "0"))

        # Reminders claimed and sent by one task: larger batches cost fewer queries per
        # reminder, smaller ones spread a busy minute over more workers sooner.
        self.REMINDER_BATCH = int(env.get("TEND_REMINDER_BATCH", "100"))

        # Run queued tasks at once, in the calling process (tests; or no worker at all).
        self.TASKS_IMMEDIATE = env.get("TEND_TASKS_IMMEDIATE") == "1"

        # The key that signs every push (PEM, or the raw 32-byte key in base64url). Push
        # services tie each subscription to its public half, so a new key silently ends
        # every device's reminders: it is generated once and kept.
        self.VAPID_PRIVATE_KEY = env.get("TEND_VAPID_PRIVATE_KEY") or instance_secret(
            instance_path, "vapid_private.pem", new_vapid_private_key
        )
        # Who push services may contact about this server's pushes: a mailto: or https: URL.
        # Set a real one in production: Apple's service refuses a subject at localhost
        # (403 BadJwtToken), so iPhones get no reminders until it is set.
        self.VAPID_SUBJECT = env.get("TEND_VAPID_SUBJECT", "mailto:admin@localhost")
        # Every push service is reached over https. Allowing http lets a page make the
        # server post to any plain-http address, so it is for a local push service only.
        self.PUSH_ALLOW_HTTP = _flag("TEND_PUSH_ALLOW_HTTP", False)
        # Test reminders a person may ask for; each one is a push to every device they have.
        self.PUSH_TEST_RATE_LIMIT = env.get("TEND_PUSH_TEST_RATE_LIMIT", "6 per minute")

        # How long the service worker waits for the server's own answer to a tap before
        # it confirms the tap from the phone and sends it on in the background. On a good
        # network the server's answer (which may ask about the text) comes well inside
        # it; on a slow or stalled one the tap is still confirmed at once (DESIGN §8).
        self.ANSWER_WINDOW_MS = int(env.get("TEND_ANSWER_WINDOW_MS", ANSWER_WINDOW_MS))

        # Compressed answers, so a first visit fits a slow connection (DESIGN §8). Every
        # answer is compressed afresh, so brotli stays at a fast level: 5 is under 0.1 ms
        # for a page here and 6-8 % smaller than 4; 9 and up are 50 times slower.
        # Flask sends static files as streams, and Flask-Compress only gzips a stream
        # when gzip is named for streams too.
        self.COMPRESS_ALGORITHM = ["br", "gzip"]
        self.COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]
        self.COMPRESS_BR_LEVEL = 5
        self.COMPRESS_LEVEL = 6
        self.COMPRESS_MIMETYPES = [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/manifest+json",
            "image/svg+xml",
        ]
        # Below this, the encoding's own framing eats most of the saving.
        self.COMPRESS_MIN_SIZE = 500
        # Streamed files still answer "304 Not Modified" to a matching If-None-Match.
        self.COMPRESS_STREAMING_ENDPOINT_CONDITIONAL = ["static"]

        self.CRISIS_REGION = env.get("TEND_CRISIS_REGION", "United States")
        self.CRISIS_CALL = env.get("TEND_CRISIS_CALL", "988")
        self.CRISIS_TEXT = env.get("TEND_CRISIS_TEXT", "988")
        self.CRISIS_EMERGENCY = env.get("TEND_CRISIS_EMERGENCY", "911")


def _engine_options(url):
    """A network connection can go stale while pooled; a SQLite file cannot."""
    return {"pool_pre_ping": not url.startswith("sqlite")}


def driver_url(url):
    """Use the psycopg 3 driver for plain postgres URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class TestConfig(Config):
    """Settings for the test suite: cheap hashing, plain-HTTP cookies, the given database."""

    __test__ = False  # not a pytest test class

    def __init__(self, instance_path, database_url, **overrides):
        super().__init__(instance_path, database_url)
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key"  # noqa: S105 - test only
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_SECURE = False
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 1024
        self.PUSH_ALLOW_HTTP = True  # the fake push service listens on http://127.0.0.1
        self.CALENDAR_ALLOW_LOCAL = True  # so do the tests' calendar feeds
        self.TASKS_IMMEDIATE = True
        # A busy test machine may take longer than a phone's window to answer; the tests
        # of bad networks set the window back to the default.
        self.ANSWER_WINDOW_MS = 2000
        for key, value in overrides.items():
            setattr(self, key, value)
