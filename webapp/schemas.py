"""marshmallow schemas: every form and API payload is validated here, once.

Messages are written for the person reading them next to the field.
"""
import base64
import binascii
import itertools
import re
from datetime import UTC, time, timedelta
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
from marshmallow.experimental.context import Context

from webapp.services.care import (
    ABOUT_KINDS,
    BREAK_NOTE_LENGTH,
    SUPERVISION_NOTE_LENGTH,
    owns_entry,
    year_after,
)
from webapp.services.checkins import PRACTICES
from webapp.services.clock import utcnow
from webapp.services.practices import known_keys
from webapp.services.pulse import HIGHEST, LOWEST, STATEMENT_KEYS, week_of
from webapp.services.pulse import NOTE_LENGTH as PULSE_NOTE_LENGTH
from webapp.services.reflect import ANSWER_LENGTH, MAX_PROBLEMS, NEXT_STEP_LENGTH, WHOSE
from webapp.services.reframes import CARDS
from webapp.services.support import MAX_OWN_LINES, REGIONS

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
        metadata={"description": "The reminder this answers, if any."},
    )


PRACTICE_NAME_LENGTH = 80


class PracticeSchema(FormSchema):
    """A practice as the person names it, when adding or changing it."""

    name = fields.String(
        required=True, error_messages=_required("Give the practice a name.")
    )
    micro = fields.Boolean(load_default=False)

    @validates("name")
    def validate_name(self, value, **kwargs):
        """Names are short enough to sit on a button."""
        if len(value) > PRACTICE_NAME_LENGTH:
            raise ValidationError(
                f"Keep the name to {PRACTICE_NAME_LENGTH} characters (this one has {len(value)})."
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
    """A new password, however it is set (the admin command, the account page)."""

    password = _new_password()


class ChangePasswordSchema(NewPasswordSchema):
    """Changing one's password: the current one, then the new one twice."""

    verbatim = frozenset({"password", "current_password", "confirm"})
    current_password = fields.String(
        required=True, error_messages=_required("Enter your current password.")
    )
    confirm = fields.String(
        required=True, error_messages=_required("Enter the new password again.")
    )

    @validates_schema
    def validate_same(self, data, **kwargs):
        """Typed twice, the same both times."""
        if data.get("password") and data.get("confirm") and data["password"] != data["confirm"]:
            raise ValidationError("The two new passwords are not the same.", "confirm")


class DeleteAccountSchema(FormSchema):
    """Deleting the account: the password says it is really the person."""

    verbatim = frozenset({"password"})
    password = fields.String(required=True, error_messages=_required("Enter your password."))


PASSKEY_ANSWER = "Send the browser's answer as it gives it (credential.toJSON())."


class PasskeySignInSchema(Schema):
    """A browser's answer to a passkey challenge, as PublicKeyCredential.toJSON() gives it."""

    class Meta:
        unknown = RAISE

    credential = fields.Dict(
        required=True, error_messages=_required(PASSKEY_ANSWER) | {"invalid": PASSKEY_ANSWER}
    )


class PasskeySchema(PasskeySignInSchema):
    """A new passkey, and what to call it in the list."""

    name = fields.String(
        load_default="Passkey",
        validate=validate.Length(1, 80, error="Give the passkey a name of up to 80 characters."),
    )


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


# Reflect: "Stuck with a case?" and the reframe cards --------------------------------


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


# Supervision notes and the leave clock ----------------------------------------------


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
        error_messages=_required("When did the break begin?")
        | {"invalid": "Give the first day as a date, e.g. 2026-07-01."},
    )
    last_day = fields.Date(
        required=True,
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


class SupervisionDateSchema(FormSchema):
    """The next supervision's date, and whether to be reminded the day before."""

    supervision_on = fields.Date(
        allow_none=True,
        load_default=None,
        error_messages={"invalid": "Give the date as a day, e.g. 2026-12-03."},
    )
    supervision_reminder = fields.Boolean(load_default=False)


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
    use_calendar = fields.Boolean(load_default=False)
    times = ClockTimes(allow_none=True, load_default=None)
    end_of_day = fields.Time(allow_none=True, load_default=None)
    practices = fields.List(
        fields.String(validate=practice_key("Pick practices from the list.")),
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
        elif data.get("quiet_start") and data["quiet_start"] == data["quiet_end"]:
            missing["quiet_end"] = ["Quiet hours end at another time than they start."]
        if missing:
            raise ValidationError(missing)
        if mode == "between_sessions" and data["first_session"] >= data["last_session_end"]:
            raise ValidationError("The last session ends after the first begins.",
                                  "last_session_end")


# The support page's numbers ---------------------------------------------------------

# What a phone number may be written with: digits, spaces, +, - and brackets.
PHONE_NUMBER = re.compile(r"[0-9 +()-]+")


class SupportLineSchema(FormSchema):
    """A line of a person's own on the support page: who it reaches, and how to call."""

    name = fields.String(
        required=True,
        validate=validate.Length(max=60, error="Keep the name to 60 characters."),
        error_messages=_required("Say who this reaches, e.g. \"My supervisor\"."),
    )
    number = fields.String(
        required=True,
        validate=validate.Length(max=30, error="Keep the number to 30 characters."),
        error_messages=_required("Add the number to call."),
    )
    note = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=80, error="Keep the note to 80 characters."),
    )

    @validates("number")
    def validate_number(self, value, **kwargs):
        """A number a phone can dial: digits and the usual separators, at least 3 digits."""
        if not PHONE_NUMBER.fullmatch(value) or len(re.findall("[0-9]", value)) < 3:
            raise ValidationError(
                "Write the number with digits, spaces, +, - and brackets only, "
                "e.g. +44 20 7946 0000."
            )


class SupportSettingsSchema(FormSchema):
    """Where a person is (for the built-in crisis lines), and their own lines."""

    region = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(REGIONS, error="Choose a place from the list."),
    )
    lines = fields.List(
        fields.Nested(SupportLineSchema),
        load_default=list,
        validate=validate.Length(
            max=MAX_OWN_LINES, error=f"Keep up to {MAX_OWN_LINES} lines of your own."
        ),
    )
