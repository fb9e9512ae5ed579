"""The reminder plan, as the settings form sends it."""
from datetime import time

from marshmallow import ValidationError, fields, validate, validates_schema

from webapp.schemas.base import FormSchema, WholeNumber, _required, practice_key

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
