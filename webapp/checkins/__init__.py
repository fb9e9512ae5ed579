"""The check-in card: one tap to save, optional extras, and the history."""
import uuid
from datetime import UTC, datetime
from functools import lru_cache

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from webapp.extensions import htmx
from webapp.forms import form_fields, identifiers_to_confirm, phone_stamp, write_time
from webapp.models import CheckIn
from webapp.pages import personal_pages
from webapp.services.checkins import find_checkin, recent_days
from webapp.services.clock import utcnow
from webapp.services.sync import CREATED, FOREIGN_ID_ERRORS, REJECTED, change_entry, save_entry

bp = personal_pages(Blueprint("checkins", __name__))

# The parts of the card that save on their own, and the fields each one sends.
PARTS = {
    "tank": ("tank",),
    "share": ("work_share",),
    "safety": ("safety_session",),
    "leans": ("lean_personal", "lean_client", "lean_community"),
    "practice": ("practice",),
    "note": ("note",),
}
CLEARED = {"safety_session": False}
# Fields a person types freely, which the identifier guard reads before saving.
TYPED = frozenset({"note"})
# Parts whose wording depends on another part, sent along with that part's answer (and
# what the card says after a safety session, with the debrief it offers).
DEPENDENT_PARTS = {"safety": ("share", "after_safety")}
# The id a card is drawn with before its entry's own is written in: by the server for a
# new check-in's parts, and by the worker for the card it keeps (webapp.pwa).
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
# The version a new check-in's parts are drawn with, before the entry's own is written in.
BLANK_VERSION = datetime(2000, 1, 1, tzinfo=UTC)


@bp.get("/")
def home():
    """The check-in card, ready for one tap."""
    return render_template("checkins/home.html", new_id=uuid.uuid4(), errors={})


@bp.post("/checkins")
def create():
    """Save a check-in from one tap on the tank scale."""
    now = write_time().isoformat()
    payload = form_fields(request.form, ("id", "tank")) | {"created_at": now, "updated_at": now}
    result = save_entry(current_user, "checkin", payload)
    if result.status == REJECTED:
        if result.errors == FOREIGN_ID_ERRORS:
            abort(404)
        template = "checkins/_tank_form.html" if htmx else "checkins/home.html"
        return render_template(template, new_id=uuid.uuid4(), errors=result.errors), 422
    if htmx:
        parts = _new_card_parts(result.entry) if result.status == CREATED else None
        return render_template(
            "checkins/_card.html", entry=result.entry, saved="tank", errors={}, parts=parts
        )
    return redirect(url_for("checkins.show", entry_id=result.entry.id, saved="tank"))


@bp.get("/checkins/<uuid:entry_id>")
def show(entry_id):
    """One check-in, to look at, change or delete.

    After a save without JavaScript the redirect names the part just saved, so the page
    confirms it as the htmx answer would.
    """
    entry = _live_checkin(entry_id)
    saved = request.args.get("saved")
    return render_template(
        "checkins/show.html", entry=entry, errors={}, saved=saved if saved in PARTS else None
    )


@bp.post("/checkins/<uuid:entry_id>/<part>")
def update(entry_id, part):
    """Save one part of the card (a lean, the note...) into the same entry."""
    if part not in PARTS:
        abort(404)
    entry = _live_checkin(entry_id)
    fields = PARTS[part]
    if "clear" in request.form:
        changes = {name: CLEARED.get(name) for name in fields}
    else:
        changes = form_fields(request.form, fields)
    findings = identifiers_to_confirm(request.form, *(name for name in fields if name in TYPED))
    if findings:
        return _refused(part, entry, {}, changes, findings)
    result = change_entry(current_user, "checkin", entry, changes, utcnow(), phone_stamp())
    if result.status == REJECTED:
        return _refused(part, entry, result.errors, changes)
    if htmx:
        return _part_fragments(part, result.entry, {}, changes)
    return redirect(
        url_for("checkins.show", entry_id=entry.id, saved=part, _anchor=f"part-{part}")
    )


@bp.post("/checkins/<uuid:entry_id>/delete")
def delete(entry_id):
    """Delete a check-in (kept as a tombstone so other devices learn of it)."""
    entry = _live_checkin(entry_id)
    change_entry(current_user, "checkin", entry, {"deleted": True}, utcnow(), phone_stamp())
    if htmx:
        return render_template("checkins/_deleted.html", entry=entry)
    flash("Check-in deleted.")
    return redirect(url_for("checkins.history"))


@bp.post("/checkins/<uuid:entry_id>/restore")
def restore(entry_id):
    """Undo a delete."""
    entry = find_checkin(current_user, entry_id)
    if entry is None:
        abort(404)
    result = change_entry(current_user, "checkin", entry, {"deleted": False}, utcnow(),
                          phone_stamp())
    if htmx:
        return render_template("checkins/_card.html", entry=result.entry, errors={}, saved=None)
    return redirect(url_for("checkins.show", entry_id=entry.id))


@bp.get("/history")
def history():
    """The last two weeks of check-ins, by day."""
    return render_template("checkins/history.html", days=recent_days(current_user))


def _new_card_parts(entry):
    """The card's parts for a check-in just made from one tap, from the tank down.

    Every new check-in of a person at the same tank level shows them the same, but for
    the entry's id and version in their forms, so they are drawn once and the two are
    written in after.
    """
    if "csrf_token" not in session:
        generate_csrf()  # gives the session its token
    blank = _blank_card_parts(
        current_user.id, current_user.practice_version, session["csrf_token"], entry.tank
    )
    seen = entry.updated_at.isoformat()
    return blank.replace(PLACEHOLDER_ID, entry.id).replace(BLANK_VERSION.isoformat(), seen)


@lru_cache(maxsize=256)
def _blank_card_parts(user_id, practice_version, session_token, tank):
    """The parts of a new check-in's card, drawn for the person signed in now; the
    arguments are everything else they depend on: whose they are, the person's practice
    list, the session whose CSRF token their forms carry, and the tank level."""
    stand_in = CheckIn(
        id=PLACEHOLDER_ID, updated_at=BLANK_VERSION, tank=tank, safety_session=False, deleted=False
    )
    parts = render_template("checkins/_card_parts.html", entry=stand_in, errors={}, saved=None)
    return Markup(parts)  # noqa: S704 - drawn by the template, which escaped what it wrote


def _refused(part, entry, errors, submitted, findings=()):
    """A part not saved (bad input, or text to confirm): the form again, as it was typed."""
    if htmx:
        return _part_fragments(part, entry, errors, submitted, findings), 422
    return render_template(
        "checkins/show.html", entry=entry, errors=errors, saved=None,
        submitted=submitted, findings=findings,
    ), 422


def _part_fragments(part, entry, errors, submitted, findings=()):
    """The answer to an htmx save: the part itself, plus any part whose wording depends on it."""
    held_back = errors or findings
    fragments = [
        render_template(
            f"checkins/_{part}.html", entry=entry, errors=errors,
            saved=None if held_back else part, submitted=submitted, findings=findings,
        )
    ]
    fragments += [
        render_template(f"checkins/_{other}.html", entry=entry, errors={}, oob=True)
        for other in DEPENDENT_PARTS.get(part, ())
    ]
    return "".join(fragments)


def _live_checkin(entry_id):
    """The signed-in user's check-in, or 404 for anything missing, deleted or not theirs."""
    entry = find_checkin(current_user, entry_id)
    if entry is None or entry.deleted:
        abort(404)
    return entry
