"""The JSON sync API: its request, its answers and its errors."""
from marshmallow import RAISE, Schema, fields, validate

from webapp.schemas.base import WholeNumber, _required
from webapp.schemas.care import BreakEntrySchema, SupervisionNoteEntrySchema
from webapp.schemas.checkins import CheckInEntrySchema, PracticeDoneEntrySchema
from webapp.schemas.circles import CareNudgeEntrySchema, DebriefAnswerEntrySchema
from webapp.schemas.reflect import PulseEntrySchema, ReflectionEntrySchema, ReframeMarkEntrySchema

# What the sync API says happened to each entry it was sent.
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
# The largest change number a device can hold (seq is a 32-bit column).
MAX_CURSOR = 2**31 - 1


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
            (
                CheckInEntrySchema,
                PracticeDoneEntrySchema,
                ReflectionEntrySchema,
                ReframeMarkEntrySchema,
                SupervisionNoteEntrySchema,
                BreakEntrySchema,
                PulseEntrySchema,
                CareNudgeEntrySchema,
                DebriefAnswerEntrySchema,
            ),
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
