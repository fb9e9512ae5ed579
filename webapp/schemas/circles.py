"""The peer circle's forms: making a circle and joining one (with the name the circle
will know the person by), nudges, debrief requests and answers, and how nudges arrive."""
from marshmallow import ValidationError, fields, validate, validates_schema

from webapp.schemas.base import FormSchema, _kind_field, _required
from webapp.services.circles import NUDGE_SETTINGS, NUDGES

CIRCLE_NAME_LENGTH = 60
MEMBER_NAME_LENGTH = 40
A_UUID = "Send the id the page gave this form (a UUID)."
NO_ANSWER = "Give a time you can talk, or choose \"Not today\"."


class MemberNameSchema(FormSchema):
    """The name a circle knows a person by: their choice, for each circle."""

    member_name = fields.String(
        required=True,
        validate=validate.Length(max=MEMBER_NAME_LENGTH,
                                 error=f"Keep your name to {MEMBER_NAME_LENGTH} characters."),
        error_messages=_required("Say how the circle will know you: a first name is enough."),
    )


class NewCircleSchema(MemberNameSchema):
    name = fields.String(
        required=True,
        validate=validate.Length(max=CIRCLE_NAME_LENGTH,
                                 error=f"Keep the name to {CIRCLE_NAME_LENGTH} characters."),
        error_messages=_required("Give the circle a name, e.g. \"Tuesday peers\"."),
    )


class NudgeSchema(FormSchema):
    """One tap on a pre-written nudge for one member. The id is made by the page, so the
    same nudge sent twice (a retry, the phone's outbox) is stored once."""

    id = fields.UUID(required=True, error_messages=_required(A_UUID) | {"invalid": A_UUID})
    recipient = fields.Integer(
        required=True, strict=False,
        error_messages=_required("Choose whom to send it to.")
        | {"invalid": "Choose whom to send it to."},
    )
    message = fields.String(
        required=True,
        validate=validate.OneOf(NUDGES, error="Choose one of the nudges offered."),
        error_messages=_required("Choose one of the nudges offered."),
    )


class DebriefRequestSchema(FormSchema):
    id = fields.UUID(required=True, error_messages=_required(A_UUID) | {"invalid": A_UUID})


class DebriefAnswerSchema(FormSchema):
    """"I can talk at …" (a time in the answerer's day), or no time: "Not today, sending care"."""

    id = fields.UUID(required=True, error_messages=_required(A_UUID) | {"invalid": A_UUID})
    talk_at = fields.Time(
        load_default=None, allow_none=True, format="%H:%M",
        error_messages={"invalid": "Give a time, like 14:30."},
    )
    not_today = fields.Boolean(load_default=False)

    @validates_schema
    def a_time_or_not_today(self, data, **kwargs):
        """One of the two answers: a time, or "not today" (which wins over a time)."""
        if data.get("talk_at") is None and not data.get("not_today"):
            raise ValidationError(NO_ANSWER, "talk_at")


class NudgeSettingSchema(FormSchema):
    nudges = fields.String(
        required=True,
        validate=validate.OneOf(NUDGE_SETTINGS, error="Choose one of the options."),
        error_messages=_required("Choose one of the options."),
    )


class _Sent(FormSchema):
    """What a circle message carries through the sync API besides its own fields: the
    times and tombstone every outbox record has. A message is sent, not edited, so the
    server keeps its own time and a deleted one is refused."""

    created_at = fields.String(load_default=None, allow_none=True)
    updated_at = fields.String(load_default=None, allow_none=True)
    deleted = fields.Boolean(
        load_default=False,
        validate=validate.Equal(False, error="A message that was sent cannot be taken back."),
    )


class SentNudgeSchema(NudgeSchema, _Sent):
    """A nudge sent from the phone's outbox: the circle it was sent in, and the nudge."""

    circle = fields.Integer(
        required=True, strict=False,
        error_messages=_required("Say which circle it was sent in.")
        | {"invalid": "Say which circle it was sent in."},
    )


class SentAnswerSchema(DebriefAnswerSchema, _Sent):
    """An answer to a debrief request sent from the phone's outbox."""

    request = fields.UUID(
        required=True,
        error_messages=_required("Say which request it answers.")
        | {"invalid": "Say which request it answers."},
    )


class CareNudgeEntrySchema(SentNudgeSchema):
    """A nudge as the sync API carries it: its fields and its kind."""

    kind = _kind_field("care_nudge")


class DebriefAnswerEntrySchema(SentAnswerSchema):
    """A debrief answer as the sync API carries it: its fields and its kind."""

    kind = _kind_field("debrief_answer")
