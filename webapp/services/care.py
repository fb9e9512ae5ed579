"""Supervision notes and the leave clock: reading a person's notes and breaks, and the
days since their last real break.

Notes and breaks are entries, written only through services.sync; this module reads
them, and keeps the one setting that is not an entry (the next supervision date).
"""
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Break, CareSettings, CheckIn, Pulse, Reflection, SupervisionNote
from webapp.services.checkins import LEANS, PRACTICES, TANK_LEVELS, day_label, lean_description
from webapp.services.pulse import AREA_MAX, AREAS, area_scores

# What a supervision note may be about: an entry kind, and the model holding it.
ABOUT_KINDS = {"checkin": CheckIn, "reflection": Reflection, "pulse": Pulse}
# How the note list names the entry a note is about, in its link back.
ABOUT_NAMES = {"checkin": "the check-in", "reflection": "the reflection",
               "pulse": "that week's pulse"}
SUPERVISION_NOTE_LENGTH = 500
BREAK_NOTE_LENGTH = 280
# Past this many days since the last real break, the leave clock (and insights) gently
# suggest planning the next one: about a season of work without time off.
LONG_STRETCH_DAYS = 90


def local_today(user, now):
    """The person's calendar day at `now`, in their own time zone."""
    return now.astimezone(ZoneInfo(user.timezone)).date()


# Supervision notes ------------------------------------------------------------------------


@dataclass
class NoteLists:
    """A person's live notes: those still to bring (newest first), those discussed
    (most recently discussed first), and which referenced entries can still be opened,
    as (about_kind, about_id) pairs."""

    to_bring: list
    discussed: list
    linkable: frozenset

    def links_back(self, note):
        """Whether the entry this note is about still exists, so a link to it works."""
        return (note.about_kind, note.about_id) in self.linkable


def supervision_notes(user):
    """The person's notes for supervision, split into still to bring and discussed."""
    notes = db.session.scalars(
        select(SupervisionNote)
        .where(SupervisionNote.user_id == user.id, SupervisionNote.deleted.is_(False))
        .order_by(SupervisionNote.created_at.desc())
    ).all()
    to_bring = [note for note in notes if note.discussed_at is None]
    discussed = sorted(
        (note for note in notes if note.discussed_at is not None),
        key=lambda note: note.discussed_at, reverse=True,
    )
    return NoteLists(to_bring, discussed, _live_references(user, notes))


def _live_references(user, notes):
    """The (kind, id) of the entries these notes are about that still exist (so a link
    works): one query for each kind the notes refer to."""
    live = set()
    for kind, model in ABOUT_KINDS.items():
        about = {note.about_id for note in notes if note.about_kind == kind}
        if about:
            live.update((kind, entry_id) for entry_id in db.session.scalars(
                select(model.id).where(
                    model.user_id == user.id, model.id.in_(about), model.deleted.is_(False)
                )
            ))
    return frozenset(live)


def notes_to_bring(user):
    """How many notes the person has not yet discussed."""
    return len(supervision_notes(user).to_bring)


def find_note(user, note_id):
    """The person's live note with this id, or None (others' notes do not exist here)."""
    return db.session.scalar(
        select(SupervisionNote).where(
            SupervisionNote.id == str(note_id),
            SupervisionNote.user_id == user.id,
            SupervisionNote.deleted.is_(False),
        )
    )


def entry_about(user, kind, entry_id):
    """The person's entry of an about-kind with this id, deleted or not, or None (for an
    unknown kind, and for others' entries, which do not exist here)."""
    model = ABOUT_KINDS.get(kind)
    if model is None:
        return None
    return db.session.scalar(
        select(model).where(model.id == str(entry_id), model.user_id == user.id)
    )


def owns_entry(user, kind, entry_id):
    """Whether `user` has an entry of this kind with this id (deleted ones included, so
    that a note about an entry deleted since still syncs, and still changes)."""
    return entry_about(user, kind, entry_id) is not None


def entry_summary(kind, entry, timezone):
    """A short line about an entry, for a supervision note about it the person can edit."""
    summaries = {"checkin": checkin_summary, "reflection": reflection_summary,
                 "pulse": pulse_summary}
    return summaries[kind](entry, timezone)


def checkin_summary(checkin, timezone):
    """A short line about a check-in, for a supervision note the person can then edit:
    'Check-in, Monday 16 November 2:05 PM: running low; carried 70 %; "long day"'."""
    moment = checkin.created_at.astimezone(ZoneInfo(timezone))
    parts = [TANK_LEVELS[checkin.tank].lower()]
    if checkin.work_share is not None:
        parts.append(f"carried {checkin.work_share} % of the session")
    if checkin.safety_session:
        parts.append("a safety session")
    parts += [lean_description(lean, getattr(checkin, lean.field)) for lean in LEANS
              if getattr(checkin, lean.field)]
    if checkin.practice in PRACTICES:
        parts.append(f"next: {PRACTICES[checkin.practice].lower()}")
    if checkin.note:
        parts.append(f"\u201c{checkin.note}\u201d")
    summary = f"Check-in, {day_label(moment.date())} {moment:%-I:%M %p}: {'; '.join(parts)}"
    return summary[:SUPERVISION_NOTE_LENGTH]


def reflection_summary(reflection, timezone):
    """A short line about a "Stuck with a case?" reflection: 'Stuck with a case, Monday
    16 November: no progress; the family's anger; next: ask for a case review'."""
    day = reflection.created_at.astimezone(ZoneInfo(timezone)).date()
    parts = [item["problem"] for item in reflection.problems]
    if reflection.next_step:
        parts.append(f"next: {reflection.next_step}")
    return f"Stuck with a case, {day_label(day)}: {'; '.join(parts)}"[:SUPERVISION_NOTE_LENGTH]


def pulse_summary(pulse, timezone):
    """A short line about a weekly pulse: 'Weekly pulse, week of Monday 16 November:
    what the work gave back 7 of 10; wear and tiredness 6 of 10; ...; "a heavy week"'."""
    parts = [f"{AREAS[area].lower()} {score} of {AREA_MAX}"
             for area, score in area_scores(pulse.answers).items()]
    if pulse.note:
        parts.append(f"\u201c{pulse.note}\u201d")
    summary = f"Weekly pulse, week of {day_label(pulse.week_start)}: {'; '.join(parts)}"
    return summary[:SUPERVISION_NOTE_LENGTH]


def care_settings(user):
    """The person's care settings, or None before they chose any."""
    return db.session.get(CareSettings, user.id)


def care_settings_for(user):
    """The person's care settings, made (empty) on first use."""
    settings = care_settings(user)
    if settings is None:
        settings = CareSettings(user_id=user.id)
        db.session.add(settings)
    return settings


def save_supervision_date(user, supervision_on, reminder):
    """Keep the date of the next supervision, and whether to be reminded the day before."""
    settings = care_settings_for(user)
    settings.supervision_on = supervision_on
    settings.supervision_reminder = reminder and supervision_on is not None
    db.session.commit()


# The leave clock --------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaveClock:
    """Where a person stands with breaks on `today`.

    `on_break` while today is inside a break (`until` is its last day). Otherwise
    `days_since` counts from the day after the most recent break that has ended (the
    first day back is day 1), or is None when no break has ended yet. `next_break` is
    the first day of the nearest break still to come, if one is planned.
    """

    on_break: bool
    days_since: int | None
    until: date | None
    next_break: date | None

    @property
    def long_stretch(self):
        """Whether it has been longer than LONG_STRETCH_DAYS since the last real break."""
        return self.days_since is not None and self.days_since > LONG_STRETCH_DAYS


def leave_clock(spans, today):
    """The leave clock for breaks given as (first_day, last_day) pairs, on `today`.

    Pure: insights can call it with any breaks and any day.
    """
    spans = list(spans)
    current = [last for first, last in spans if first <= today <= last]
    ended = [last for _, last in spans if last < today]
    coming = [first for first, _ in spans if first > today]
    return LeaveClock(
        on_break=bool(current),
        days_since=(today - max(ended)).days if ended and not current else None,
        until=max(current) if current else None,
        next_break=min(coming) if coming else None,
    )


def year_after(day):
    """The same date a year later (1 March after 29 February): a break ends before it."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


def breaks_of(user):
    """The person's live breaks, the latest first."""
    return db.session.scalars(
        select(Break)
        .where(Break.user_id == user.id, Break.deleted.is_(False))
        .order_by(Break.first_day.desc(), Break.created_at.desc())
    ).all()


def find_break(user, break_id):
    """The person's live break with this id, or None (others' breaks do not exist here)."""
    return db.session.scalar(
        select(Break).where(
            Break.id == str(break_id), Break.user_id == user.id, Break.deleted.is_(False)
        )
    )


def leave_clock_for(user, breaks, now):
    """The leave clock of the person's breaks, on their today."""
    return leave_clock(((entry.first_day, entry.last_day) for entry in breaks),
                       local_today(user, now))
