"""Supervision notes (what to bring to the next meeting) and the leave clock.

Notes and breaks are entries: every write goes through services.sync, and each form
carries what the service worker needs to keep it on the phone when there is no
network (`entry_kind`, the entry's `id`, and `entry_action` for a change). An htmx
write answers into a status area next to its form and refreshes the lists out of band,
so the worker's "saved on this phone" lands in the same place as the server's answer.
"""
import uuid
from typing import NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from webapp.extensions import htmx
from webapp.forms import form_fields, identifiers_to_confirm, phone_stamp, write_time
from webapp.pages import personal_pages
from webapp.reflect import render_pulse_page, render_reflection_page
from webapp.schemas.care import SupervisionDateSchema
from webapp.services.care import (
    ABOUT_KINDS,
    ABOUT_NAMES,
    breaks_of,
    care_settings,
    entry_about,
    entry_summary,
    find_break,
    find_note,
    leave_clock_for,
    save_supervision_date,
    supervision_notes,
)
from webapp.services.clock import utcnow
from webapp.services.sync import FOREIGN_ID_ERRORS, REJECTED, change_entry, save_entry

bp = personal_pages(Blueprint("care", __name__))

NOTE_FIELDS = ("id", "text", "about_kind", "about_id")
BREAK_FIELDS = ("id", "first_day", "last_day", "note")
# A note brought from an entry's page after the entry was deleted (in another tab, on
# another device): its page is gone, so the note is not saved as being about it.
ABOUT_DELETED = {"about_id": ["What this note is about has been deleted, so it was not saved."]}

bp.add_app_template_global(ABOUT_NAMES, "ABOUT_NAMES")


class About(NamedTuple):
    """The entry a new note is about, and its kind (one of ABOUT_KINDS)."""

    kind: str
    entry: object


# Supervision notes ------------------------------------------------------------------------


@bp.get("/supervision")
def supervision():
    """The notes to bring, those discussed, and the next supervision's date."""
    return _supervision_page({}, {}, [])


@bp.post("/supervision/notes")
def create_note():
    """Write a thought for supervision, on this page or brought from the page of the
    entry it is about (a check-in, a reflection, this week's pulse)."""
    submitted = form_fields(request.form, NOTE_FIELDS)
    about = _entry_about(submitted)
    findings = identifiers_to_confirm(request.form, "text")
    if findings:
        return _note_refused(submitted, about, {}, findings)
    if about is not None and about.entry.deleted:
        return _note_refused(submitted, about, ABOUT_DELETED)
    result = save_entry(current_user, "supervision_note", _new_entry(submitted))
    if result.status == REJECTED:
        if result.errors == FOREIGN_ID_ERRORS:
            abort(404)
        return _note_refused(submitted, about, result.errors)
    if htmx:
        return _note_answer(about, {}, [], saved=True)
    if about is not None:
        flash("Added to your notes for supervision.")
        return redirect(entry_page(about.kind, about.entry.id))
    return redirect(url_for("care.supervision"))


@bp.post("/supervision/notes/<uuid:note_id>/discussed")
def mark_note(note_id):
    """Mark a note discussed (with the moment it was), or, with no moment, not yet."""
    note = _live_note(note_id)
    changes = form_fields(request.form, ("discussed_at",))
    result = change_entry(current_user, "supervision_note", note, changes, utcnow(), phone_stamp())
    if result.status == REJECTED:
        return _lists_answer("That didn't change: reload the page and try again.", 422)
    return _lists_answer(
        "Moved to discussed." if note.discussed_at else "Back on the list to bring."
    )


@bp.post("/supervision/notes/<uuid:note_id>/delete")
def delete_note(note_id):
    """Delete a note (kept as a tombstone so other devices learn of it)."""
    note = _live_note(note_id)
    change_entry(current_user, "supervision_note", note, {"deleted": True}, utcnow(), phone_stamp())
    return _lists_answer("Note deleted.")


@bp.post("/supervision/date")
def supervision_date():
    """Keep the date of the next supervision, and the reminder the day before."""
    submitted = form_fields(request.form, ("supervision_on", "supervision_reminder"))
    try:
        data = SupervisionDateSchema().load(submitted)
    except ValidationError as error:
        return _supervision_page({}, {}, [], submitted, error.normalized_messages()), 422
    save_supervision_date(current_user, data["supervision_on"], data["supervision_reminder"])
    flash("Supervision date saved." if data["supervision_on"] else "Supervision date cleared.")
    return redirect(url_for("care.supervision", _anchor="next-supervision"))


@bp.app_template_global()
def bring_form(kind, entry):
    """An entry page's "Bring to supervision" form, as it first appears."""
    return _bring_form(About(kind, entry), None)


@bp.app_template_global()
def entry_page(kind, entry_id):
    """Where an entry a note is about is read: its own page; for a pulse, the pulse page."""
    if kind == "pulse":
        return url_for("reflect.pulse")
    endpoint = {"checkin": "checkins.show", "reflection": "reflect.reflection"}[kind]
    return url_for(endpoint, entry_id=entry_id)


@bp.app_template_global()
def utc_now_iso():
    """Now, for a form that records the moment it was sent (e.g. "discussed")."""
    return utcnow().isoformat()


@bp.app_template_filter()
def calendar_day(day):
    """A date with its year, e.g. '1 July 2026'."""
    return f"{day.day} {day:%B %Y}"


def _supervision_page(submitted, errors, findings, date_values=None, date_errors=None):
    """The supervision page, with the new-note form and the date form as typed (and
    what stopped each saving)."""
    settings = care_settings(current_user)
    dates = date_values or {
        "supervision_on": settings.supervision_on.isoformat()
        if settings and settings.supervision_on else "",
        "supervision_reminder": settings.supervision_reminder if settings else False,
    }
    return render_template(
        "care/supervision.html", notes=supervision_notes(current_user),
        form={"prefix": "new-note", "text": submitted.get("text"), "errors": errors,
              "findings": findings, "new_id": uuid.uuid4()},
        dates=dates, settings=settings,
        date_errors=date_errors or {},
    )


def _entry_about(submitted):
    """The person's entry (deleted or not) a new note says it is about, or None: also
    for someone else's, which the note's schema then refuses as not found."""
    kind = submitted.get("about_kind")
    if kind not in ABOUT_KINDS or not submitted.get("about_id"):
        return None
    try:
        entry_id = uuid.UUID(submitted["about_id"])
    except ValueError:
        return None
    entry = entry_about(current_user, kind, entry_id)
    return About(kind, entry) if entry is not None else None


def _note_refused(submitted, about, errors, findings=()):
    """A note not saved (bad input, text to confirm, its entry deleted): the form again,
    as typed; without JavaScript on the entry's page, or on this one once it is gone."""
    text = submitted.get("text")
    if htmx:
        return _note_answer(about, errors, findings, text=text), 422
    if about is not None and not about.entry.deleted:
        return _entry_page_with(about, _bring_form(about, text, errors, findings)), 422
    return _supervision_page(submitted, errors, findings), 422


def _entry_page_with(about, bring):
    """The page of the entry a note is about, with its "Bring to supervision" form as given."""
    if about.kind == "checkin":
        return render_template("checkins/show.html", entry=about.entry, errors={}, saved=None,
                               bring=bring)
    if about.kind == "reflection":
        return render_reflection_page(about.entry, bring)
    return render_pulse_page(bring)


def _note_answer(about, errors, findings, text=None, saved=False):
    """An htmx answer to a new note: a word in the status area, and the field again."""
    if about is not None:
        form = _bring_form(about, text, errors, findings)
    else:
        form = {"prefix": "new-note", "text": text, "errors": errors, "findings": findings,
                "new_id": uuid.uuid4()}
    return render_template(
        "care/_note_answer.html", form=form, saved=saved, held_back=bool(errors or findings),
        notes=supervision_notes(current_user) if saved and about is None else None,
    )


def _bring_form(about, text, errors=None, findings=()):
    """What an entry page's "Bring to supervision" form shows: at first, a short
    summary of the entry for the person to edit."""
    if text is None:
        text = entry_summary(about.kind, about.entry, current_user.timezone)
    return {"prefix": "bring", "about": about, "errors": errors or {}, "findings": findings,
            "text": text, "new_id": uuid.uuid4()}


def _lists_answer(message, status=200):
    """After a change to a note: its status word, and the lists again (htmx), or the page."""
    if htmx:
        return render_template(
            "care/_lists_answer.html", message=message, notes=supervision_notes(current_user)
        ), status
    flash(message)
    return redirect(url_for("care.supervision"))


def _live_note(note_id):
    """The person's live note, or 404 for anything missing, deleted or not theirs."""
    note = find_note(current_user, note_id)
    if note is None:
        abort(404)
    return note


# The leave clock --------------------------------------------------------------------------


@bp.get("/breaks")
def breaks():
    """Days since the last real break, the form to log one, and the breaks logged."""
    return _breaks_page({}, {}, [])


@bp.post("/breaks")
def create_break():
    """Log a real break."""
    submitted = form_fields(request.form, BREAK_FIELDS)
    findings = identifiers_to_confirm(request.form, "note")
    if findings:
        return _break_refused(submitted, {}, findings)
    result = save_entry(current_user, "break", _new_entry(submitted))
    if result.status == REJECTED:
        if result.errors == FOREIGN_ID_ERRORS:
            abort(404)
        return _break_refused(submitted, result.errors)
    return _breaks_answer("Break added.", empty_form=True)


@bp.post("/breaks/<uuid:break_id>/delete")
def delete_break(break_id):
    """Delete a break (kept as a tombstone so other devices learn of it)."""
    entry = find_break(current_user, break_id)
    if entry is None:
        abort(404)
    change_entry(current_user, "break", entry, {"deleted": True}, utcnow(), phone_stamp())
    return _breaks_answer("Break deleted.", empty_form=False)


def _breaks_page(submitted, errors, findings):
    """The leave-clock page, with the new-break form as typed (and its errors)."""
    logged = breaks_of(current_user)
    return render_template(
        "care/breaks.html", breaks=logged, clock=leave_clock_for(current_user, logged, utcnow()),
        new_id=uuid.uuid4(), submitted=submitted, errors=errors, findings=findings,
    )


def _break_refused(submitted, errors, findings=()):
    """A break not saved: the form again as typed, with what to change next to the field."""
    if htmx:
        return render_template(
            "care/_break_answer.html", submitted=submitted, errors=errors, findings=findings,
            message="Not saved yet.", lists=False,
        ), 422
    return _breaks_page(submitted, errors, findings), 422


def _breaks_answer(message, empty_form):
    """After a change: a word in the status area, the clock and list again, and the
    form emptied if it was just saved; or the page again without htmx."""
    if not htmx:
        flash(message)
        return redirect(url_for("care.breaks"))
    logged = breaks_of(current_user)
    return render_template(
        "care/_break_answer.html", message=message, lists=True, breaks=logged,
        clock=leave_clock_for(current_user, logged, utcnow()),
        submitted={} if empty_form else None, errors={}, findings=[],
    )


def _new_entry(submitted):
    """A new entry's payload: the fields as sent, stamped with the server's time."""
    now = write_time().isoformat()
    return submitted | {"created_at": now, "updated_at": now}
