"""Bringing data in: a Tend JSON export (from this account or another), or a Daylio CSV.

A file is read twice: once for the preview, which writes nothing, and again when the
person confirms (the page sends the same text back), so nothing waits on the server
in between. Every entry is saved through services.sync.save_entries, the one writer.

Ids are made for this person from the file's content (uuid5 of their user tag and the
old id, or of the Daylio row), so importing the same file again creates nothing, and
an export can be imported into a fresh account on the same server without its ids
clashing with the first account's.
"""
import csv
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import ValidationError

from webapp.extensions import db
from webapp.models import CareSettings, ReminderSettings
from webapp.schemas.base import validating_for
from webapp.schemas.care import SupervisionDateSchema
from webapp.schemas.checkins import NOTE_LENGTH
from webapp.schemas.practices import PRACTICE_NAME_LENGTH
from webapp.schemas.reminders import ReminderSettingsSchema
from webapp.schemas.support import SupportSettingsSchema
from webapp.services import reminders
from webapp.services.care import save_supervision_date
from webapp.services.clock import utcnow
from webapp.services.exports import FORMAT, VERSION, plan_chosen
from webapp.services.guard import find_identifiers
from webapp.services.practices import add_practice, archive_practice, known_keys, practice_list
from webapp.services.support import save_support_choices
from webapp.services.sync import ENTRY_KINDS, ENTRY_LABELS, save_entries, user_tag

MAX_BYTES = 5 * 1024 * 1024
# Fixed for ever: changing it would give every entry a new id on the next import.
ID_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4c3b-9a51-2f0b7d9e4c11")
DAYLIO_MOODS = {"rad": 5, "good": 4, "meh": 3, "bad": 2, "awful": 1}
DAYLIO_COLUMNS = ("full_date", "time", "mood", "activities", "note_title", "note")
DAYLIO_TIMES = ("%H:%M", "%I:%M %p", "%H:%M:%S")
KIND_NAMES = {
    "checkin": "Check-ins",
    "practice_done": "Practices done",
    "reflection": "Reflections on a stuck case",
    "reframe_mark": "Reframes that helped",
    "supervision_note": "Notes for supervision",
    "break": "Breaks",
    "pulse": "Weekly pulses",
}
UNREADABLE = "This file could not be read as text. Choose the JSON or CSV file Tend or Daylio made."
NOT_KNOWN = ("This is neither a Tend export (JSON) nor a Daylio export (CSV). "
             "Choose the file as it was downloaded.")


class ImportRefused(Exception):
    """The file as a whole cannot be imported; the message says why, for the person."""


@dataclass
class Wanted:
    """A practice the file's entries name: `ref` is how they name it (its key in a Tend
    export, a lower-cased activity name in Daylio's), `key` the key it had, if any."""

    ref: str
    name: str
    key: str | None = None
    micro: bool = False
    archived: bool = False


@dataclass
class Plan:
    """What a file holds, ready to import: entries as (kind, payload) pairs whose
    `practice` fields hold refs still to be turned into the person's keys."""

    source: str
    entries: list = field(default_factory=list)
    practices: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (line, reason)
    notices: list = field(default_factory=list)  # (line, what was changed)
    flagged: list = field(default_factory=list)  # (line, [descriptions])
    rows: int = 0
    reminders: dict | None = None
    care: dict | None = None

    def counts(self):
        """How many entries of each kind, named for the person."""
        found = Counter(kind for kind, _ in self.entries)
        return [(KIND_NAMES.get(kind, kind), found[kind]) for kind in ENTRY_KINDS if found[kind]]


@dataclass
class Report:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list = field(default_factory=list)  # (what, [reasons])
    practices_added: list = field(default_factory=list)
    settings: list = field(default_factory=list)  # sentences about the plan and care settings


def decode(raw):
    """The uploaded bytes as text; ImportRefused when they are not UTF-8 text."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(UNREADABLE) from None


def read(user, text, keep_flagged_notes=False):
    """A Plan for this text: a Tend export or a Daylio CSV (ImportRefused otherwise).

    Line breaks are read alike however they were written (a form sends them as CRLF),
    so the preview and the confirmation see the same rows and make the same ids.
    """
    text = text.replace("\r\n", "\n")
    if text.lstrip().startswith("{"):
        return _read_tend(user, text)
    return _read_daylio(user, text, keep_flagged_notes)


def missing_practices(user, plan):
    """The practices the import would add to the person's list (none are added yet)."""
    return _practice_keys(user, plan.practices, create=False)[1]


def settings_to_import(user, plan):
    """Sentences saying whether the file's reminder plan and care settings will be taken."""
    said = []
    if plan.reminders is not None:
        if plan_chosen(db.session.get(ReminderSettings, user.id)):
            said.append("Your reminder plan stays as it is (you already have one).")
        else:
            said.append("The reminder plan in the file will be yours.")
    if plan.care is not None:
        if db.session.get(CareSettings, user.id) is not None:
            said.append("Your supervision date and support lines stay as they are.")
        else:
            said.append("The supervision date and support lines in the file will be yours.")
    return said


def apply(user, plan):
    """Import a plan: practices first, then the entries, then the settings if none yet."""
    report = Report(settings=settings_to_import(user, plan))
    keys, report.practices_added = _practice_keys(user, plan.practices, create=True)
    submissions = [(kind, _with_keys(payload, keys)) for kind, payload in plan.entries]
    for (kind, payload), result in zip(submissions, save_entries(user, submissions), strict=True):
        if result.status == "rejected":
            report.refused.append((_described(kind, payload), _reasons(result.errors)))
        else:
            setattr(report, result.status, getattr(report, result.status) + 1)
    _import_settings(user, plan, keys, report)
    return report


# Tend's own export ------------------------------------------------------------------------


def _read_tend(user, text):
    try:
        document = json.loads(text)
    except ValueError:
        raise ImportRefused("This looks like JSON but is not complete or valid JSON.") from None
    except RecursionError:  # lists or objects nested thousands deep: no export is
        raise ImportRefused(NOT_KNOWN) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportRefused(NOT_KNOWN)
    if document.get("version") != VERSION:
        raise ImportRefused("This export comes from a newer Tend; it cannot be read here yet.")
    plan = Plan("tend")
    plan.practices = [
        Wanted(str(item["key"]), str(item["name"])[:PRACTICE_NAME_LENGTH], str(item["key"]),
               bool(item.get("micro")), bool(item.get("archived")))
        for item in _list(document.get("practices"))
        if isinstance(item, dict) and item.get("key") and item.get("name")
    ]
    tag = user_tag(user, current_app.secret_key)
    entries = _list(document.get("entries"))
    order = list(ENTRY_KINDS)
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            plan.skipped.append((number, "This entry has no id, so it cannot be told apart."))
            continue
        payload = dict(entry)
        kind = payload.pop("kind", None)
        if not isinstance(kind, str):
            plan.skipped.append((number, "This entry does not say what kind of entry it is."))
            continue
        payload["id"] = _new_id(tag, payload["id"])
        if isinstance(payload.get("about_id"), str):
            payload["about_id"] = _new_id(tag, payload["about_id"])
        plan.entries.append((kind, payload))
    # Entries others point at (a note's check-in, reflection or pulse) are saved first.
    plan.entries.sort(key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order))
    plan.reminders = _dict(document.get("reminders"))
    plan.care = _dict(document.get("care"))
    return plan


def _new_id(tag, old_id):
    return str(uuid.uuid5(ID_NAMESPACE, f"{tag}:{old_id}"))


def _list(value):
    return value if isinstance(value, list) else []


def _dict(value):
    return value if isinstance(value, dict) else None


# Daylio -----------------------------------------------------------------------------------


def _read_daylio(user, text, keep_flagged_notes):
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [name.strip() for name in reader.fieldnames or []]
    if not all(column in header for column in DAYLIO_COLUMNS):
        raise ImportRefused(NOT_KNOWN)
    reader.fieldnames = header
    plan = Plan("daylio")
    tag = user_tag(user, current_app.secret_key)
    zone = ZoneInfo(user.timezone)
    wanted = {}
    line = reader.line_num + 1
    try:
        for row in reader:
            _read_row(plan, row, line, tag, zone, wanted, keep_flagged_notes)
            line = reader.line_num + 1
    except csv.Error as error:
        raise ImportRefused(f"Line {line} of this CSV cannot be read ({error}).") from None
    plan.practices = list(wanted.values())
    return plan


def _read_row(plan, row, line, tag, zone, wanted, keep_flagged_notes):
    """One Daylio row: a check-in, and a practice done for each of its activities."""
    plan.rows += 1
    values = {name: (row.get(name) or "").strip() for name in DAYLIO_COLUMNS}
    mood = values["mood"].lower()
    if mood not in DAYLIO_MOODS:
        plan.skipped.append((line, f"mood '{values['mood']}' is not one of Daylio's five"))
        return
    moment = _moment(values["full_date"], values["time"], zone)
    if moment is None:
        plan.skipped.append(
            (line, f"the date '{values['full_date']}' and time '{values['time']}' "
                   "cannot be read (expected e.g. 2024-03-05 and 21:30)")
        )
        return
    content = "|".join(values[name] for name in DAYLIO_COLUMNS)
    stamp = moment.isoformat()
    checkin = {"id": _new_id(tag, f"daylio:{content}"), "created_at": stamp,
               "updated_at": stamp, "tank": DAYLIO_MOODS[mood],
               "note": _note(plan, line, values, keep_flagged_notes)}
    plan.entries.append(("checkin", checkin))
    for activity in filter(None, (part.strip() for part in values["activities"].split(" | "))):
        name = activity[:PRACTICE_NAME_LENGTH]
        wanted.setdefault(name.lower(), Wanted(name.lower(), name))
        plan.entries.append(("practice_done", {
            "id": _new_id(tag, f"daylio:{content}:{name.lower()}"), "created_at": stamp,
            "updated_at": stamp, "practice": name.lower(),
        }))


def _moment(day, clock, zone):
    """The row's local date and time in the person's zone, or None if unreadable."""
    for pattern in DAYLIO_TIMES:
        try:
            local = datetime.strptime(f"{day} {clock.upper()}", f"%Y-%m-%d {pattern}")
        except ValueError:
            continue
        return local.replace(tzinfo=zone)
    return None


def _note(plan, line, values, keep_flagged_notes):
    """The row's title and note as one check-in note: cut to the note's limit, and left
    out when it looks like it names a client, unless the person said to keep those."""
    note = " — ".join(part for part in (values["note_title"], values["note"]) if part)
    if not note:
        return None
    findings = find_identifiers(note)
    if findings:
        plan.flagged.append((line, [finding.description for finding in findings]))
        if not keep_flagged_notes:
            return None
    if len(note) > NOTE_LENGTH:
        plan.notices.append((line, f"the note was cut to {NOTE_LENGTH} characters"))
        note = note[:NOTE_LENGTH].rstrip()
    return note


# Practices and settings -------------------------------------------------------------------


def _practice_keys(user, wanted, create):
    """Each wanted practice's key among the person's practices, matched by key, then by
    name whatever its capitals; those matching none are added when `create`.

    Returns ({ref: key}, [names of the practices added, or to add]).
    """
    listed = practice_list(user)
    keys_known = known_keys(user)
    by_name = {practice.name.lower(): practice.key
               for practice in listed.archived + listed.active}  # an active one wins
    keys, missing = {}, []
    for want in wanted:
        key = want.key if want.key in keys_known else by_name.get(want.name.lower())
        if key is None:
            missing.append(want.name)
            if create:
                practice = add_practice(user, want.name, want.micro)
                if want.archived:
                    archive_practice(practice)
                key = practice.key
            by_name[want.name.lower()] = key
        keys[want.ref] = key
    return keys, missing


def _with_keys(payload, keys):
    if isinstance(payload.get("practice"), str):
        return payload | {"practice": keys.get(payload["practice"], payload["practice"])}
    return payload


def _import_settings(user, plan, keys, report):
    """The file's reminder plan and care settings, each only if the person has none."""
    if plan.reminders is not None and not plan_chosen(db.session.get(ReminderSettings, user.id)):
        values = dict(plan.reminders)
        values["practices"] = [keys.get(key, key) for key in _list(values.get("practices"))]
        try:
            with validating_for(user):
                data = ReminderSettingsSchema().load(values)
        except ValidationError as error:
            report.settings.append(
                "The reminder plan in the file could not be used: " + _reasons(error.messages)[0]
            )
        else:
            reminders.save_plan(user, data, utcnow())
    if plan.care is not None and db.session.get(CareSettings, user.id) is None:
        _import_care(user, plan.care, report)


def _import_care(user, care, report):
    try:
        dates = SupervisionDateSchema().load({
            "supervision_on": care.get("supervision_on"),
            "supervision_reminder": bool(care.get("supervision_reminder")),
        })
        support = SupportSettingsSchema().load(
            {"region": care.get("support_region"), "lines": _list(care.get("support_lines"))}
        )
    except ValidationError as error:
        report.settings.append(
            "The supervision date and support lines in the file could not be used: "
            + _reasons(error.messages)[0]
        )
        return
    save_support_choices(user, support["region"], support["lines"])
    save_supervision_date(user, dates["supervision_on"], dates["supervision_reminder"])


def _described(kind, payload):
    """How a refused entry is named in the report: its kind and when it was made."""
    when = payload.get("created_at") if isinstance(payload, dict) else None
    name = ENTRY_LABELS.get(kind, "An entry of a kind not known here")
    return f"{name} from {str(when)[:16].replace('T', ' ')}" if when else name


def _reasons(errors):
    """Validation messages, however nested, as a flat list of sentences."""
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):
        return [text for value in errors.values() for text in _reasons(value)]
    return [text for value in errors for text in _reasons(value)]
