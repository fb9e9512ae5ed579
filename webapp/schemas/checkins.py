"""Check-ins and practices done, as the card, the outbox and the sync API send them."""
from marshmallow import ValidationError, fields, validate, validates
from marshmallow.experimental.context import Context

from webapp.schemas.base import EntrySchema, WholeNumber, _kind_field, _required, practice_key
from webapp.services.reminders import delivery_owner

NOTE_LENGTH = 280
# Row ids are 32-bit integers on PostgreSQL: a larger number can name no reminder.
MAX_ROW_ID = 2**31 - 1
NOT_YOUR_REMINDER = "This is not one of your reminders."


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
        validate=practice_key("Pick one of the practices shown."),
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
        validate=practice_key("Pick one of the practices shown."),
        error_messages=_required("Say which practice was done."),
    )
    delivery = WholeNumber(
        allow_none=True,
        load_default=None,
        validate=validate.Range(1, MAX_ROW_ID, error=NOT_YOUR_REMINDER),
        metadata={"description": "The reminder this answers, if any."},
    )

    @validates("delivery")
    def validate_delivery(self, value, **kwargs):
        """A reminder of the person's own (see validating_for); one no longer stored is
        let be, so a "Done" kept long on the phone still counts."""
        if value is None:
            return
        owner = delivery_owner(value)
        user = Context.get({}).get("user")
        if owner is not None and (user is None or owner != user.id):
            raise ValidationError(NOT_YOUR_REMINDER)


class CheckInEntrySchema(CheckInSchema):
    """A check-in as the sync API carries it both ways: its fields and its kind."""

    kind = _kind_field("checkin")


class PracticeDoneEntrySchema(PracticeDoneSchema):
    """A practice done as the sync API carries it both ways: its fields and its kind."""

    kind = _kind_field("practice_done")
