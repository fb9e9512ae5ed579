"""Reflect: "Stuck with a case?", the reframe cards and the weekly pulse."""
import itertools
import re
from datetime import UTC, timedelta

from marshmallow import ValidationError, fields, post_load, pre_load, validate, validates_schema
from marshmallow.experimental.context import Context

from webapp.schemas.base import (
    EntrySchema,
    FormSchema,
    _kind_field,
    _required,
    by_tomorrow,
    from_1970,
)
from webapp.services.pulse import HIGHEST, LOWEST, STATEMENT_KEYS, week_of
from webapp.services.pulse import NOTE_LENGTH as PULSE_NOTE_LENGTH
from webapp.services.reflect import ANSWER_LENGTH, MAX_PROBLEMS, NEXT_STEP_LENGTH, WHOSE
from webapp.services.reframes import CARDS


class ProblemSchema(FormSchema):
    """One problem named in a reflection, with the filter questions' answers about it."""

    problem = fields.String(
        required=True,
        validate=validate.Length(
            max=ANSWER_LENGTH, error=f"Keep it to {ANSWER_LENGTH} characters."
        ),
        error_messages=_required("Name the problem in a few words."),
    )
    whose = fields.String(
        required=True,
        validate=validate.OneOf(WHOSE, error="Choose whose problem it is from the list."),
        error_messages=_required("Choose whose problem it is."),
    )
    currency = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(
            max=ANSWER_LENGTH, error=f"Keep it to {ANSWER_LENGTH} characters."
        ),
    )
    cultures = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(
            max=ANSWER_LENGTH, error=f"Keep it to {ANSWER_LENGTH} characters."
        ),
    )


# The answers a form (and the outbox) sends as parallel lists, one item per problem.
PROBLEM_LISTS = ("problem", "whose", "currency", "cultures")


class ReflectionSchema(EntrySchema):
    """A "Stuck with a case?" reflection, from the HTML form, the outbox or the sync API.

    Its problems arrive either as the canonical `problems` list of objects, or as the
    parallel lists the form sends (`problem[]`, `whose[]`, `currency[]`, `cultures[]`,
    which the outbox sends without the brackets). Parallel lists, when present, are
    the problems: an update from the outbox sends them in place of the stored ones.
    Errors about one problem are named after it (`problems.1.whose`, "Problem 2: ..."),
    so a form can show them next to the field and a sync client can read them as text.
    """

    problems = fields.List(
        fields.Nested(ProblemSchema),
        required=True,
        validate=[
            validate.Length(min=1, error="Name at least one problem."),
            validate.Length(max=MAX_PROBLEMS, error=f"Name at most {MAX_PROBLEMS} problems."),
        ],
        error_messages=_required("Name at least one problem.")
        | {"invalid": "Send the problems as a list."},
    )
    next_step = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(
            max=NEXT_STEP_LENGTH, error=f"Keep it to {NEXT_STEP_LENGTH} characters."
        ),
    )

    @pre_load
    def problems_from_lists(self, data, **kwargs):
        """Turn parallel lists into problems, leaving out blank rows at the end.

        Only trailing ones: a blank row between two answered ones keeps its place, so
        "Problem 3" in a message is the form's third row.
        """
        if not isinstance(data, dict) or not any(
            name in data or f"{name}[]" in data for name in PROBLEM_LISTS
        ):
            return data
        data = dict(data)
        columns = [_as_list(data.pop(f"{name}[]", data.pop(name, None))) for name in PROBLEM_LISTS]
        rows = [dict(zip(PROBLEM_LISTS, row, strict=True))
                for row in itertools.zip_longest(*columns)]
        while rows and not any(_given(value) for value in rows[-1].values()):
            rows.pop()
        data["problems"] = rows
        return data

    def handle_error(self, error, data, **kwargs):
        """Name each problem's errors after the problem, as flat text messages."""
        messages = dict(error.messages)
        rows = messages.pop("problems", None)
        if isinstance(rows, dict):
            for index, row in rows.items():
                if not isinstance(row, dict):  # the problem itself is not an object
                    row = {"_schema": row}
                for name, found in row.items():
                    key = "problems" if name == "_schema" else f"problems.{index}.{name}"
                    messages[key] = [f"Problem {index + 1}: {message}" for message in found]
        elif rows is not None:
            messages["problems"] = rows
        raise ValidationError(messages) from error


def _as_list(value):
    """A parallel list as sent: one text is a list of one, nothing is an empty list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _given(value):
    """Whether a form value holds an answer (blank text does not)."""
    return value is not None and (not isinstance(value, str) or value.strip() != "")


class ReframeMarkSchema(EntrySchema):
    """"This helped" on a reframe card: each mark is its own entry, so marks add up."""

    card = fields.String(
        required=True,
        validate=validate.OneOf(CARDS, error="This is not one of Tend's reframe cards."),
        error_messages=_required("Say which card helped."),
    )


class ReflectionEntrySchema(ReflectionSchema):
    """A reflection as the sync API carries it both ways: its fields and its kind."""

    kind = _kind_field("reflection")


class ReframeMarkEntrySchema(ReframeMarkSchema):
    """A reframe card's mark as the sync API carries it both ways: its fields and its kind."""

    kind = _kind_field("reframe_mark")


# The weekly pulse ----------------------------------------------------------------------

PULSE_SCALE = f"from {LOWEST} (not at all) to {HIGHEST} (very much)"
PULSE_ANSWER_PREFIX = "answers."
FAR_TIME = "This time is too far from today to find its week; check the device's clock."


class PulseAnswers(fields.Dict):
    """A pulse's answers, {statement key: 1..5}: every statement answered, no other key.

    Errors name the statement they are about ({"gave_back": [...]}), which PulseSchema
    spreads out as "answers.gave_back", so a form shows each next to its statement.
    """

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), values=fields.Integer(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        errors = {
            str(key): ["This is not one of the pulse's statements."]
            for key in value if key not in STATEMENT_KEYS
        }
        answers = {}
        for key in STATEMENT_KEYS:
            answer = _pulse_answer(value.get(key))
            if value.get(key) in (None, ""):
                errors[key] = [f"Choose an answer for this one, {PULSE_SCALE}."]
            elif answer is None:
                errors[key] = [f"Answer with a whole number {PULSE_SCALE}."]
            else:
                answers[key] = answer
        if errors:
            raise ValidationError(errors)
        return answers


def _pulse_answer(value):
    """An answer as a whole number 1..5 (it may come as form text), or None if it is not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and LOWEST <= value <= HIGHEST:
        return value
    return None


class PulseSchema(EntrySchema):
    """This week's pulse (services.pulse), from the HTML form, the outbox or the sync API.

    The answers arrive as one `answers` object or, from a form (and the outbox, which
    sends the form's fields), one "answers.<key>" field per statement; those, when
    present, change the answers they name. `week_start` is the Monday of the person's
    local week when the pulse was taken: worked out here from `created_at` and their
    time zone (see validating_for) when not sent, and kept as it was once stored.
    """

    answers = PulseAnswers(
        required=True,
        error_messages=_required(f"Answer each statement, {PULSE_SCALE}.")
        | {"invalid": "Send the answers as an object of statements and answers from 1 to 5."},
    )
    week_start = fields.Date(
        allow_none=True,
        load_default=None,
        validate=[from_1970, by_tomorrow],
        error_messages={"invalid": "Give the week's Monday as a date, e.g. 2026-11-16."},
    )
    note = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(
            max=PULSE_NOTE_LENGTH, error=f"Keep the note to {PULSE_NOTE_LENGTH} characters."
        ),
    )

    @pre_load
    def answers_from_form(self, data, **kwargs):
        """Gather "answers.<key>" fields into the answers, over any answers sent whole."""
        if not isinstance(data, dict):
            return data
        named = [name for name in data if name.startswith(PULSE_ANSWER_PREFIX)]
        if not named:
            return data
        data = dict(data)
        answers = data.get("answers")
        answers = dict(answers) if isinstance(answers, dict) else {}
        for name in named:
            answers[name[len(PULSE_ANSWER_PREFIX):]] = data.pop(name)
        data["answers"] = answers
        return data

    @validates_schema
    def validate_week(self, data, **kwargs):
        """A given week starts on a Monday, around the day the pulse was taken (any zone)."""
        week, created = data.get("week_start"), data.get("created_at")
        if week is None or created is None:
            return
        try:
            day = created.astimezone(UTC).date()
        except OverflowError:
            raise ValidationError(FAR_TIME, "created_at") from None
        if week.weekday() != 0 or not week - timedelta(days=1) <= day <= week + timedelta(days=7):
            raise ValidationError(
                "The week starts on the Monday of the week the pulse was taken.", "week_start"
            )

    @post_load
    def week_from_created(self, data, **kwargs):
        """A new pulse belongs to the person's local week when it was taken."""
        if data.get("week_start") is None and "created_at" in data:  # not when only the id
            user = Context.get({}).get("user")
            try:
                data["week_start"] = week_of(data["created_at"], user.timezone if user else "UTC")
            except OverflowError:
                raise ValidationError(FAR_TIME, "created_at") from None
        return data

    def handle_error(self, error, data, **kwargs):
        """Name each answer's errors after its statement: "answers.gave_back"."""
        messages = dict(error.messages)
        answers = messages.pop("answers", None)
        if isinstance(answers, dict):
            for key, found in answers.items():
                messages[f"{PULSE_ANSWER_PREFIX}{key}"] = found
        elif answers is not None:
            messages["answers"] = answers
        raise ValidationError(messages) from error


class PulseEntrySchema(PulseSchema):
    """A weekly pulse as the sync API carries it both ways: its fields and its kind."""

    kind = _kind_field("pulse")
