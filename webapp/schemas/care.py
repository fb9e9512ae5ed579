"""Supervision notes, the next supervision's date, and breaks for the leave clock."""
from marshmallow import ValidationError, fields, post_load, validate, validates_schema
from marshmallow.experimental.context import Context

from webapp.schemas.base import (
    EntrySchema,
    FormSchema,
    _kind_field,
    _required,
    from_1970,
    within_a_year,
)
from webapp.services.care import (
    ABOUT_KINDS,
    BREAK_NOTE_LENGTH,
    SUPERVISION_NOTE_LENGTH,
    owns_entry,
    year_after,
)


class SupervisionNoteSchema(EntrySchema):
    """A thought for supervision, perhaps about one of the person's own entries (a
    check-in, a reflection or a weekly pulse); from the HTML forms, the outbox or the
    sync API."""

    text = fields.String(
        required=True,
        validate=validate.Length(
            max=SUPERVISION_NOTE_LENGTH,
            error=f"Keep the note to {SUPERVISION_NOTE_LENGTH} characters.",
        ),
        error_messages=_required("Write the thought you want to bring."),
    )
    about_kind = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(
            ABOUT_KINDS, error="A note can be about a check-in, a reflection or a weekly pulse."
        ),
    )
    about_id = fields.UUID(
        allow_none=True,
        load_default=None,
        error_messages={"invalid_uuid": "This entry cannot be found."},
    )
    discussed_at = fields.AwareDateTime(
        allow_none=True,
        load_default=None,
        validate=from_1970,
        error_messages={"invalid": "When was it discussed? Send a time with its offset."},
    )

    @validates_schema
    def validate_about(self, data, **kwargs):
        """A note names both the kind and the id of what it is about, and it is the
        person's own entry of that kind (see validating_for); someone else's reads as
        missing, so nothing about it is given away."""
        kind, entry_id = data.get("about_kind"), data.get("about_id")
        if kind is None and entry_id is None:
            return
        if kind is None or entry_id is None:
            raise ValidationError("Say both what kind of entry this is about and its id.",
                                  "about_id")
        user = Context.get({}).get("user")
        if user is None or not owns_entry(user, kind, entry_id):
            raise ValidationError("This entry cannot be found.", "about_id")

    @post_load
    def about_id_as_text(self, data, **kwargs):
        """Store the referenced id in its canonical text form, like every entry id."""
        if data.get("about_id") is not None:
            data["about_id"] = str(data["about_id"])
        return data


class BreakSchema(EntrySchema):
    """A real break from work, from its first day to its last (both included)."""

    first_day = fields.Date(
        required=True,
        validate=[from_1970, within_a_year],
        error_messages=_required("When did the break begin?")
        | {"invalid": "Give the first day as a date, e.g. 2026-07-01."},
    )
    last_day = fields.Date(
        required=True,
        validate=[from_1970, within_a_year],
        error_messages=_required("When was the last day of the break?")
        | {"invalid": "Give the last day as a date, e.g. 2026-07-14."},
    )
    note = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(
            max=BREAK_NOTE_LENGTH, error=f"Keep the note to {BREAK_NOTE_LENGTH} characters."
        ),
    )

    @validates_schema
    def validate_days(self, data, **kwargs):
        """The last day is not before the first, and a break lasts at most a year."""
        first, last = data.get("first_day"), data.get("last_day")
        if first is None or last is None:
            return
        if last < first:
            raise ValidationError("The last day cannot come before the first.", "last_day")
        if last >= year_after(first):
            raise ValidationError("A break here lasts a year at most; check the dates.",
                                  "last_day")


class SupervisionNoteEntrySchema(SupervisionNoteSchema):
    """A supervision note as the sync API carries it both ways: its fields and its kind."""

    kind = _kind_field("supervision_note")


class BreakEntrySchema(BreakSchema):
    """A break as the sync API carries it both ways: its fields and its kind."""

    kind = _kind_field("break")


class SupervisionDateSchema(FormSchema):
    """The next supervision's date, and whether to be reminded the day before."""

    supervision_on = fields.Date(
        allow_none=True,
        load_default=None,
        error_messages={"invalid": "Give the date as a day, e.g. 2026-12-03."},
    )
    supervision_reminder = fields.Boolean(load_default=False)
