"""What every schema shares: blank text as missing, entries' ids and times, whole
numbers, practice keys, and loading on a person's behalf (validating_for)."""
import re
from datetime import UTC, datetime, timedelta

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)
from marshmallow.experimental.context import Context

from webapp.services.checkins import PRACTICES
from webapp.services.clock import utcnow
from webapp.services.practices import known_keys

# How far ahead of the server a device's clock may be before its times are refused.
CLOCK_SKEW = timedelta(days=1)
# Nothing of Tend's is older: days before it overflow the arithmetic of zones and weeks.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
TOO_EARLY = "This is before 1970; check the date, or the device's clock."


def _required(message):
    """Error messages for a field that must be filled in."""
    return {"required": message, "null": message}


def validating_for(user):
    """Load schemas on `user`'s behalf (`with validating_for(user): ...`), so that a
    practice key is checked against that person's own practices."""
    return Context({"user": user})


def practice_key(message):
    """A validator for a practice key: one of the seeds, or a practice the person (see
    validating_for) added, archived ones included so that old entries still sync."""

    def validate_key(key):
        if key in PRACTICES:
            return
        context = Context.get({})
        if "user" not in context:
            raise ValidationError(message)
        if "practice_keys" not in context:
            context["practice_keys"] = known_keys(context["user"])
        if key not in context["practice_keys"]:
            raise ValidationError(message)

    return validate_key


class WholeNumber(fields.Integer):
    """An integer that may arrive as text from a form, but is never silently rounded.

    marshmallow's non-strict Integer turns 3.5 into 3; a JSON client sending 3.5
    made a mistake and should hear about it.
    """

    def _validated(self, value):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        return super()._validated(value)


UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE = ("This text holds a character that cannot be kept (half of an emoji, or a "
               "control character). Type it again.")


def _storable(value, depth=0):
    """Whether every text in a value (however nested, up to a sane depth) can be stored
    on both databases: valid Unicode without lone surrogates, and no NUL, which
    PostgreSQL refuses in text."""
    if isinstance(value, str):
        return UNSTORABLE_CHARACTER.search(value) is None
    if depth > 20:
        return not isinstance(value, dict | list)
    if isinstance(value, dict):
        return all(_storable(k, depth + 1) and _storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(item, depth + 1) for item in value)
    return True


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
        cleaned, unstorable = {}, {}
        for key, value in data.items():
            if isinstance(value, str):
                value = (value if key in self.verbatim else value.strip()) or None
            if not _storable(value):
                unstorable[key] = [UNSTORABLE]
            cleaned[key] = value
        if unstorable:
            raise ValidationError(unstorable)
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
            if data.get(name) and data[name] < EARLIEST:
                raise ValidationError(TOO_EARLY, name)

    @post_load
    def id_as_text(self, data, **kwargs):
        """Store ids in their canonical text form."""
        data["id"] = str(data["id"])
        return data


def from_1970(value):
    """A validator for a day or a moment of an entry: from 1970 on."""
    earliest = EARLIEST if isinstance(value, datetime) else EARLIEST.date()
    if value < earliest:
        raise ValidationError(TOO_EARLY)


def by_tomorrow(value):
    """A validator for a day an entry is about: no later than tomorrow (in any zone)."""
    if value > utcnow().date() + CLOCK_SKEW:
        raise ValidationError("This day is still to come; check the date.")


def within_a_year(value):
    """A validator for a day planned ahead (a break): no more than a year from now."""
    if value > utcnow().date() + timedelta(days=366):
        raise ValidationError("This day is more than a year away; check the date.")


def _kind_field(kind):
    """The `kind` an entry carries through the sync API, which must be this one."""
    return fields.String(
        required=True,
        validate=validate.OneOf([kind]),
        dump_default=kind,
        metadata={"description": "What sort of entry this is."},
    )
