"""A person's data, whole, for them to keep: a JSON document Tend can import again,
and a spreadsheet of their entries.

The JSON export holds the account's name and time zone, the practice list, the reminder
plan, the care settings, what the person made in peer circles (not imported again: a
circle is other people's too) and every entry of every kind in ENTRY_KINDS (deleted
ones too, as tombstones), each exactly as the sync API carries it. Nothing that opens the account
is in it: no password hash, passkeys or push subscriptions.

The CSV has one row per live entry and always these columns, in this order:

    kind, id, created_at, updated_at,
    tank, work_share, safety_session, lean_personal, lean_client, lean_community,
    practice, note, delivery,              (check-ins; practice done; breaks share note)
    problems, next_step,                   (reflections)
    card,                                  (reframe marks)
    text, about_kind, about_id, discussed_at,  (supervision notes)
    first_day, last_day,                   (breaks)
    week_start, pulse_<key> ...            (weekly pulses: one column per statement, in
                                           services.pulse.STATEMENTS order, answers 1-5)

A kind leaves the columns it does not have empty. Numbers stay numbers (tank 1-5,
leans -2..2, work_share 0-100), true/false are written so, and lists or objects (a
reflection's problems) are compact JSON text. Text that a spreadsheet would run as a
formula (starting with = + - @) gets a leading apostrophe.
"""
import csv
import io
import json

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ReminderSettings
from webapp.schemas.reminders import ReminderSettingsSchema
from webapp.services import circles
from webapp.services.care import care_settings
from webapp.services.practices import practice_list
from webapp.services.pulse import STATEMENT_KEYS, csv_cells
from webapp.services.sync import ENTRY_KINDS, dump_entry

FORMAT, VERSION = "tend-export", 1
CSV_COLUMNS = (
    "kind", "id", "created_at", "updated_at",
    "tank", "work_share", "safety_session", "lean_personal", "lean_client", "lean_community",
    "practice", "note", "delivery",
    "problems", "next_step",
    "card",
    "text", "about_kind", "about_id", "discussed_at",
    "first_day", "last_day",
    "week_start", *(f"pulse_{key}" for key in STATEMENT_KEYS),
)
FORMULA_STARTS = ("=", "+", "-", "@")
# Reminder plan fields stored as comma-separated text, read back as lists.
REMINDER_LISTS = {"workdays": int, "practices": str}


def export_document(user, now):
    """Everything the person keeps in Tend, as one JSON-ready object."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(),
        "account": {"display_name": user.display_name, "timezone": user.timezone},
        "practices": _practices(user),
        "reminders": reminder_plan(user),
        "care": _care(user),
        "circles": circles.export_of(user),
        "entries": [dump_entry(kind, entry) for kind, entry in all_entries(user)],
    }


def export_csv(user):
    """The person's live entries as CSV text, one row each, header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for kind, entry in all_entries(user):
        if not entry.deleted:
            row = dump_entry(kind, entry)
            if kind == "pulse":
                row |= csv_cells(row["answers"])
            writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


def all_entries(user):
    """Every entry of the person's, of every kind, tombstones too, as (kind, entry) pairs:
    kind by kind, oldest first (the entries notes may be about before the notes)."""
    pairs = []
    for kind, (model, _) in ENTRY_KINDS.items():
        rows = db.session.scalars(
            select(model).where(model.user_id == user.id).order_by(model.created_at, model.id)
        )
        pairs += [(kind, row) for row in rows]
    return pairs


def reminder_plan(user):
    """The person's reminder plan as the reminder form's schema reads it, or None when
    they never saved one."""
    settings = db.session.get(ReminderSettings, user.id)
    if not plan_chosen(settings):
        return None
    schema = ReminderSettingsSchema()
    values = {name: getattr(settings, name) for name in schema.fields}
    for name, kind in REMINDER_LISTS.items():
        values[name] = [kind(part) for part in values[name].split(",") if part]
    return schema.dump(values)


def plan_chosen(settings):
    """Whether a reminder plan was ever saved: every way of reminding needs times, so a
    row without any was only created (off) by a visit to the page."""
    return settings is not None and bool(
        settings.first_session or settings.times or settings.end_of_day
    )


def _practices(user):
    listed = practice_list(user)
    return [
        {"key": practice.key, "name": practice.name, "micro": practice.micro,
         "archived": practice.archived, "position": practice.position}
        for practice in sorted(listed.active + listed.archived, key=lambda p: p.position)
    ]


def _care(user):
    settings = care_settings(user)
    if settings is None:
        return None
    return {
        "supervision_on": settings.supervision_on and settings.supervision_on.isoformat(),
        "supervision_reminder": settings.supervision_reminder,
        "support_region": settings.support_region,
        "support_lines": settings.support_lines or [],
    }


def _cell(value):
    """One CSV cell: numbers as numbers, lists and objects as compact JSON, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
