"""The check-in card: one tap to save, optional extras, and the history."""
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.extensions import htmx
from webapp.forms import form_fields, identifiers_to_confirm, phone_stamp, write_time
from webapp.pages import personal_pages
from webapp.services.checkins import find_checkin, recent_days
from webapp.services.clock import utcnow
from webapp.services.sync import FOREIGN_ID_ERRORS, REJECTED, change_entry, save_entry

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
# Parts whose wording depends on another part, sent along with that part's answer.
DEPENDENT_PARTS = {"safety": ("share",)}


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
        return render_template("checkins/_card.html", entry=result.entry, saved="tank", errors={})
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
