"""marshmallow schemas: every form and API payload is validated here, once.

Messages are written for the person reading them next to the field.
"""
import base64
import binascii
import re
from datetime import time, timedelta
from zoneinfo import available_timezones

from cryptography.hazmat.primitives.asymmetric import ec
from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from webapp.services.checkins import PRACTICES
from webapp.services.clock import utcnow

TIMEZONES = frozenset(available_timezones())
NOTE_LENGTH = 280
MIN_PASSWORD = 10
# How far ahead of the server a device's clock may be before its times are refused.
CLOCK_SKEW = timedelta(days=1)
# What the sync API says happened to each entry it was sent.
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
# The largest change number a device can hold (seq is a 32-bit column).
MAX_CURSOR = 2**31 - 1


def _required(message):
    """Error messages for a field that must be filled in."""
    return {"required": message, "null": message}


class WholeNumber(fields.Integer):
    """An integer that may arrive as text from a form, but is never silently rounded.

    marshmallow's non-strict Integer turns 3.5 into 3; a JSON client sending 3.5
    made a mistake and should hear about it.
    """

    def _validated(self, value):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        return super()._validated(value)


class FormSchema(Schema):
    """Treat blank text as missing, so an empty optional field means 'not given'."""

    # Fields taken exactly as typed (only an empty one counts as missing).
    verbatim = frozenset({"password"})

    class Meta:
        unknown = RAISE

    @pre_load
    def blank_to_none(self, data, **kwargs):
        """Strip text and turn empty strings into None."""
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = (value if key in self.verbatim else value.strip()) or None
            cleaned[key] = value
        return cleaned


class EntrySchema(FormSchema):
    """What every entry has: a client-made id, its times, and a tombstone flag."""

    id = fields.UUID(
        required=True,
        error_messages=_required("An entry needs an id.")
        | {"invalid_uuid": "This entry's id is not valid. Reload the page and try again."},
    )
    created_at = fields.AwareDateTime(
        required=True, error_messages=_required("When was this? A time is needed.")
    )
    updated_at = fields.AwareDateTime(
        required=True, error_messages=_required("A time of the last change is needed.")
    )
    deleted = fields.Boolean(load_default=False)

    @validates_schema
    def validate_times(self, data, **kwargs):
        """Times must be in order and not in the future beyond a clock's normal drift."""
        created, updated = data.get("created_at"), data.get("updated_at")
        if created and updated and updated < created:
            raise ValidationError("The last change cannot come before the entry.", "updated_at")
        latest = utcnow() + CLOCK_SKEW
        for name in ("created_at", "updated_at"):
            if data.get(name) and data[name] > latest:
                raise ValidationError(
                    "This time is in the future; check the device's clock.", name
                )

    @post_load
    def id_as_text(self, data, **kwargs):
        """Store ids in their canonical text form."""
        data["id"] = str(data["id"])
        return data


class CheckInSchema(EntrySchema):
    """A check-in entry, as the HTML card and the sync API both send it."""

    tank = WholeNumber(
        required=True,
        validate=validate.Range(1, 5, error="Choose a level from 1 (empty) to 5 (full)."),
        error_messages=_required("Choose how full your tank is.")
        | {"invalid": "Choose a level from 1 (empty) to 5 (full)."},
    )
    work_share = WholeNumber(
        allow_none=True,
        load_default=None,
        validate=validate.Range(0, 100, error="The share of the work is between 0 and 100 %."),
        error_messages={"invalid": "The share of the work is a whole number from 0 to 100."},
    )
    safety_session = fields.Boolean(load_default=False)
    lean_personal = WholeNumber(allow_none=True, load_default=None)
    lean_client = WholeNumber(allow_none=True, load_default=None)
    lean_community = WholeNumber(allow_none=True, load_default=None)
    practice = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(PRACTICES, error="Pick one of the practices shown."),
    )
    note = fields.String(allow_none=True, load_default=None)

    @validates("lean_personal", "lean_client", "lean_community")
    def validate_lean(self, value, data_key, **kwargs):
        """A lean is a step from -2 to +2."""
        if value is not None and not -2 <= value <= 2:
            raise ValidationError("Choose one of the five steps on this scale.")

    @validates("note")
    def validate_note(self, value, **kwargs):
        """Keep notes to one short line."""
        if value is not None and len(value) > NOTE_LENGTH:
            raise ValidationError(
                f"Keep the note to {NOTE_LENGTH} characters (this one has {len(value)})."
            )


class PracticeDoneSchema(EntrySchema):
    """A practice done, e.g. from a reminder's "Done" (made offline as easily as online)."""

    practice = fields.String(
        required=True,
        validate=validate.OneOf(PRACTICES, error="Pick one of the practices shown."),
        error_messages=_required("Say which practice was done."),
    )
    delivery = WholeNumber(
        allow_none=True,
        load_default=None,
        metadata={"description": "The reminder this answers, if any."},
    )


class CredentialsSchema(FormSchema):
    """Email and password, shared by sign-in and registration."""

    email = fields.Email(
        required=True,
        validate=validate.Length(max=254, error="That email address is too long."),
        error_messages=_required("Enter your email address.")
        | {"invalid": "Enter an email address like name@example.org."},
    )
    password = fields.String(
        required=True, error_messages=_required("Enter your password.")
    )
    remember = fields.Boolean(load_default=False)

    @post_load
    def normalise_email(self, data, **kwargs):
        """Email addresses are compared without regard to case."""
        data["email"] = data["email"].lower()
        return data


class SignInSchema(CredentialsSchema):
    """The sign-in form."""

    next = fields.String(load_default=None)


class ProfileSchema(FormSchema):
    """What a user can say about themselves: a name to greet them by and their time zone."""

    display_name = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=80, error="Keep the name to 80 characters."),
    )
    timezone = fields.String(
        required=True,
        validate=validate.OneOf(TIMEZONES, error="Choose a time zone from the list."),
        error_messages=_required("Choose your time zone."),
    )


def _new_password():
    return fields.String(
        required=True,
        validate=validate.Length(
            min=MIN_PASSWORD,
            max=1024,
            error=f"Use at least {MIN_PASSWORD} characters (a short phrase works well).",
        ),
        error_messages=_required("Choose a password."),
    )


class RegisterSchema(CredentialsSchema, ProfileSchema):
    """The registration form."""

    password = _new_password()


class NewPasswordSchema(FormSchema):
    """A new password, however it is set (the admin command; later, the account page)."""

    password = _new_password()


def _kind_field(kind):
    """The `kind` an entry carries through the sync API, which must be this one."""
    return fields.String(
        required=True,
        validate=validate.OneOf([kind]),
        dump_default=kind,
        metadata={"description": "What sort of entry this is."},
    )


class CheckInEntrySchema(CheckInSchema):
    """A check-in as the sync API carries it both ways: its fields and its kind."""

    kind = _kind_field("checkin")


class PracticeDoneEntrySchema(PracticeDoneSchema):
    """A practice done as the sync API carries it both ways: its fields and its kind."""

    kind = _kind_field("practice_done")


class EntryObject(fields.Dict):
    """One entry of a sync batch, checked here only for being an object.

    Its fields are checked by its kind's schema when it is saved, so a bad entry is
    refused on its own and never refuses the rest of the batch. `entry_schemas` name
    those schemas, one per kind, for the API's description.
    """

    def __init__(self, entry_schemas, **kwargs):
        super().__init__(**kwargs)
        self.entry_schemas = entry_schemas


BAD_CURSOR = "The cursor is the whole number the last sync gave back."
NO_ENTRY_LIST = "Send the entries as a list (it may be empty)."
NO_USER_TAG = "Say whose entries these are (the user tag)."


class SyncRequestSchema(Schema):
    """A batch from a device: whose entries they are, where its last sync ended, the entries."""

    class Meta:
        unknown = RAISE

    error_messages = {
        "type": "Send an object with user, cursor and entries.",
        "unknown": "This is not part of a sync request.",
    }

    user = fields.String(
        required=True,
        validate=validate.Length(min=1, error=NO_USER_TAG),
        error_messages=_required(NO_USER_TAG)
        | {"invalid": "The user tag is text, as the session gave it."},
        metadata={"description": "The signed-in user's tag, from GET /api/v1/session."},
    )
    cursor = WholeNumber(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(0, MAX_CURSOR, error=BAD_CURSOR),
        error_messages={"invalid": BAD_CURSOR},
        metadata={"description": "The cursor from the last sync; null or absent for all."},
    )
    entries = fields.List(
        EntryObject(
            (CheckInEntrySchema, PracticeDoneEntrySchema),
            error_messages=dict.fromkeys(
                ("invalid", "null"), "Each entry is an object holding its fields."
            ),
        ),
        required=True,
        error_messages=_required(NO_ENTRY_LIST) | {"invalid": NO_ENTRY_LIST},
        metadata={
            "description": "A new entry needs every required field; one the server already "
            "has may carry only its kind, id, updated_at and the fields that changed."
        },
    )


class EntryResultSchema(Schema):
    """What happened to one entry of a batch."""

    id = fields.Raw(
        allow_none=True,
        metadata={"description": "The entry's id as sent (null if it sent no text id)."},
    )
    status = fields.String(validate=validate.OneOf([CREATED, UPDATED, UNCHANGED, REJECTED]))
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Why a rejected entry was refused, field by field."},
    )


class SyncResponseSchema(Schema):
    """The answer to a batch: one result per entry, in order, and the user's changes."""

    results = fields.List(fields.Nested(EntryResultSchema))
    changes = fields.List(
        fields.Dict(),
        metadata={
            "description": "The user's entries changed after the cursor, oldest first, each "
            "in its kind's format (CheckInEntry, PracticeDoneEntry)."
        },
    )
    cursor = fields.Integer(metadata={"description": "Send this as the next cursor."})
    more = fields.Boolean(metadata={"description": "More changes wait: sync again for them."})


class SyncSessionSchema(Schema):
    """What a device needs before it syncs: who is signed in, and a token to send with."""

    user = fields.String(metadata={"description": "The tag of the signed-in user."})
    csrf_token = fields.String(metadata={"description": "Send it in the X-CSRFToken header."})
    max_batch = fields.Integer(metadata={"description": "The most entries one sync takes."})


class ErrorSchema(Schema):
    """A refusal, in words for a person."""

    error = fields.String()
    status = fields.Integer()


class TooManyEntriesSchema(ErrorSchema):
    """A batch with more entries than one sync takes."""

    max_entries = fields.Integer()


class FieldErrorsSchema(Schema):
    """A request of the wrong shape: what is wrong, field by field."""

    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


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


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
REMINDER_MODES = {
    "between_sessions": "Between sessions",
    "fixed_times": "At fixed times",
    "end_of_day": "At the end of the day",
}


class ClockTimes(fields.String):
    """Several times of day typed as text, e.g. "9:00, 13:30" → a sorted tuple of times."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            times = {time.fromisoformat(part.strip().zfill(5)) for part in text.split(",")}
        except ValueError:
            raise ValidationError("Write times like 9:00, 13:30 (24-hour clock).") from None
        if len(times) > 12:
            raise ValidationError("Up to 12 times a day.")
        return tuple(sorted(times))


class ReminderSettingsSchema(FormSchema):
    """The reminder plan as the settings form sends it."""

    enabled = fields.Boolean(load_default=False)
    mode = fields.String(
        required=True,
        validate=validate.OneOf(REMINDER_MODES, error="Choose when reminders come."),
        error_messages=_required("Choose when reminders come."),
    )
    workdays = fields.List(
        WholeNumber(validate=validate.Range(0, 6)), load_default=list,
        error_messages={"invalid": "Choose days from the week."},
    )
    first_session = fields.Time(allow_none=True, load_default=None)
    session_minutes = WholeNumber(
        load_default=50, validate=validate.Range(10, 240, error="Between 10 and 240 minutes.")
    )
    gap_minutes = WholeNumber(
        load_default=10, validate=validate.Range(0, 240, error="Between 0 and 240 minutes.")
    )
    last_session_end = fields.Time(allow_none=True, load_default=None)
    times = ClockTimes(allow_none=True, load_default=None)
    end_of_day = fields.Time(allow_none=True, load_default=None)
    practices = fields.List(
        fields.String(validate=validate.OneOf(PRACTICES, error="Pick practices from the list.")),
        load_default=list,
    )
    quiet_start = fields.Time(allow_none=True, load_default=None)
    quiet_end = fields.Time(allow_none=True, load_default=None)
    daily_cap = WholeNumber(
        allow_none=True, load_default=None,
        validate=validate.Range(1, 24, error="Between 1 and 24 a day, or leave it empty."),
    )
    paused_until = fields.Date(allow_none=True, load_default=None)
    skip_if_checked_in_minutes = WholeNumber(
        allow_none=True, load_default=None,
        validate=validate.Range(1, 240, error="Between 1 and 240 minutes, or leave it empty."),
    )

    @validates_schema
    def validate_plan(self, data, **kwargs):
        """Each way of reminding needs its own times."""
        mode = data.get("mode")
        needed = {
            "between_sessions": ("first_session", "last_session_end"),
            "fixed_times": ("times",),
            "end_of_day": ("end_of_day",),
        }.get(mode, ())
        missing = {name: ["Needed for this kind of reminder."] for name in needed
                   if not data.get(name)}
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            missing["quiet_end"] = ["Give both ends of the quiet hours, or neither."]
        if missing:
            raise ValidationError(missing)
        if mode == "between_sessions" and data["first_session"] >= data["last_session_end"]:
            raise ValidationError("The last session ends after the first begins.",
                                  "last_session_end")
