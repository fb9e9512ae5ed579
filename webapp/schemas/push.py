"""Push subscriptions: what a browser sends to get reminders, and the devices listed."""
import base64
import binascii
import re

from cryptography.hazmat.primitives.asymmetric import ec
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates

from webapp.schemas.base import _required

PUSH_ENDPOINT_LENGTH = 2048
RESUBSCRIBE = "Turn reminders off and on again on this device."
BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def base64url_bytes(text):
    """The bytes behind base64url text (padded or not), or None if it is not base64url."""
    if not BASE64URL.fullmatch(text):
        return None
    unpadded = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except binascii.Error:
        return None


class PushKeysSchema(Schema):
    """The keys a browser made for its subscription, in base64url."""

    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": f"The subscription's keys should be an object. {RESUBSCRIBE}"}

    p256dh = fields.String(
        required=True,
        error_messages=_required(f"The subscription has no public key (p256dh). {RESUBSCRIBE}")
        | {"invalid": f"The public key (p256dh) should be text in base64url. {RESUBSCRIBE}"},
    )
    auth = fields.String(
        required=True,
        error_messages=_required(f"The subscription has no auth secret. {RESUBSCRIBE}")
        | {"invalid": f"The auth secret should be text in base64url. {RESUBSCRIBE}"},
    )

    @validates("p256dh")
    def validate_p256dh(self, value, **kwargs):
        """An uncompressed point on the P-256 curve: 65 bytes starting 0x04."""
        raw = base64url_bytes(value)
        if raw is None or len(raw) != 65 or raw[0] != 4 or not _on_p256(raw):
            raise ValidationError(
                "This is not the public key a browser gives (65 bytes of P-256, "
                f"in base64url). {RESUBSCRIBE}"
            )

    @validates("auth")
    def validate_auth(self, value, **kwargs):
        """A 16-byte secret."""
        raw = base64url_bytes(value)
        if raw is None or len(raw) != 16:
            raise ValidationError(
                "This is not the auth secret a browser gives (16 bytes, in base64url). "
                + RESUBSCRIBE
            )

    @post_load
    def unpadded(self, data, **kwargs):
        """Keep keys in the unpadded form browsers give."""
        return {name: value.rstrip("=") for name, value in data.items()}


def _on_p256(raw):
    """Whether these bytes are a point on the P-256 curve."""
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True


class PushSubscriptionSchema(Schema):
    """A browser's push subscription, as PushSubscription.toJSON() gives it.

    Anything else a browser may add later is ignored rather than refused, so a newer
    browser can still turn reminders on. Plain http endpoints are refused unless
    `allow_http` (for tests with a local push service): push services all use https,
    and the server should post only to them.
    """

    class Meta:
        unknown = EXCLUDE

    error_messages = {
        "type": "Send the subscription as the browser gives it: an object with endpoint and keys."
    }

    endpoint = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(
            max=PUSH_ENDPOINT_LENGTH,
            error=f"This endpoint is longer than any push service gives "
            f"({PUSH_ENDPOINT_LENGTH} characters at most).",
        ),
        error_messages=_required(f"The subscription has no endpoint. {RESUBSCRIBE}")
        | {"invalid": "The endpoint should be the push service's web address (https://...)."},
    )
    # Checked but not kept: browsers send null in practice, and a subscription that
    # expires is reported by its push service (404 or 410) and deleted then.
    expiration_time = fields.Float(
        data_key="expirationTime",
        allow_none=True,
        load_default=None,
        error_messages={"invalid": "The expiry time should be a number of milliseconds, or null."},
    )
    keys = fields.Nested(
        PushKeysSchema,
        required=True,
        error_messages=_required(f"The subscription has no keys. {RESUBSCRIBE}"),
    )
    # Not the browser's: the page adds it when the person turns reminders on with a tap,
    # which takes this device back even if it was removed before.
    renew = fields.Boolean(load_default=False)

    def __init__(self, *, allow_http=False, **kwargs):
        super().__init__(**kwargs)
        self.allow_http = allow_http

    @validates("endpoint")
    def validate_scheme(self, value, **kwargs):
        """Push services are reached over https."""
        if not self.allow_http and not value.lower().startswith("https://"):
            raise ValidationError("The endpoint should be a secure (https://) web address.")


class PushDeviceSchema(Schema):
    """A device that receives reminders, as the page lists it."""

    id = fields.Integer()
    label = fields.String(allow_none=True, metadata={"description": "e.g. 'Chrome on Android'"})
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(
        metadata={"description": "When the device last sent its subscription."}
    )
    last_status = fields.String(
        allow_none=True,
        metadata={"description": "The latest push's result: delivered, or 'failed: <why>'."},
    )
    last_attempt_at = fields.AwareDateTime(allow_none=True)
