"""The person's own self-care practices: the list to tend, and "done" in one tap."""
import uuid

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from webapp.extensions import htmx
from webapp.forms import form_fields, identifiers_to_confirm, phone_stamp, write_time
from webapp.pages import personal_pages
from webapp.schemas.practices import PracticeSchema
from webapp.services import practices
from webapp.services.clock import utcnow
from webapp.services.sync import FOREIGN_ID_ERRORS, REJECTED, change_entry, save_entry

bp = personal_pages(Blueprint("practices", __name__))

NEW = "new"  # names the "add a practice" form, where the other forms are named by key
NAME_TAKEN = "You already have a practice called that. Choose another name."
NAMED = ("name", "micro")  # what the add and edit forms send
RESTORE_TAKEN = "An active practice already has this name. Rename one of them first."


@bp.app_template_global()
def my_practices():
    """The signed-in person's practices (services.practices.PracticeList), read once a
    request however many parts of the page show them.

    Shell pages, kept on the phone for whoever signs in next, offer the seeded list.
    """
    if g.get("shell") or not current_user.is_authenticated:
        return practices.practice_list()
    if "practice_list" not in g:
        g.practice_list = practices.practice_list(current_user)
    return g.practice_list


@bp.app_template_global()
def stand_in_entry_id():
    """An id for a new entry's form, used only when scripts do not run (app.js gives
    the form its own on load, and a fresh one after each save)."""
    return uuid.uuid4()


@bp.get("/practices")
def index():
    """The person's practices: the small ones, the longer ones, and the archived."""
    return _list_page()


@bp.post("/practices")
def add():
    """Add a practice of the person's own."""
    submitted = form_fields(request.form, NAMED)
    data, refusal = _named_practice(NEW, submitted)
    if refusal:
        return refusal
    try:
        practice = practices.add_practice(current_user, data["name"], data["micro"])
    except practices.NameTaken:
        return _list_page(NEW, {"name": [NAME_TAKEN]}, submitted, status=422)
    flash(f"Added: {practice.name}.")
    return redirect(url_for("practices.index", _anchor=f"practice-{practice.key}"))


@bp.post("/practices/<key>")
def change(key):
    """Rename a practice, or move it in or out of the 10-minute group."""
    practice = _own_practice(key)
    submitted = form_fields(request.form, NAMED)
    data, refusal = _named_practice(key, submitted)
    if refusal:
        return refusal
    try:
        practices.change_practice(practice, data["name"], data["micro"])
    except practices.NameTaken:
        return _list_page(key, {"name": [NAME_TAKEN]}, submitted, status=422)
    flash(f"Saved: {practice.name}.")
    return redirect(url_for("practices.index", _anchor=f"practice-{key}"))


@bp.post("/practices/<key>/archive")
def archive(key):
    """Hide a practice from every choice; entries that name it keep its name."""
    practice = _own_practice(key)
    practices.archive_practice(practice)
    flash(f"Archived: {practice.name}. You can bring it back from the archived list.")
    return redirect(url_for("practices.index"))


@bp.post("/practices/<key>/restore")
def restore(key):
    """Bring an archived practice back into the choices."""
    practice = _own_practice(key)
    try:
        practices.restore_practice(practice)
    except practices.NameTaken:
        return _list_page(key, {"restore": [RESTORE_TAKEN]}, status=422)
    flash(f"Back in your list: {practice.name}.")
    return redirect(url_for("practices.index", _anchor=f"practice-{key}"))


@bp.post("/practices/<key>/move")
def move(key):
    """Move a practice one place up or down within its group."""
    practice = _own_practice(key)
    direction = request.form.get("direction")
    if practice.archived or direction not in (practices.UP, practices.DOWN):
        abort(400)
    practices.move_practice(current_user, practice, direction)
    return redirect(url_for("practices.index", _anchor=f"practice-{key}"))


@bp.post("/practices/done")
def log_done():
    """Log a practice as done, from one tap on the home screen."""
    now = write_time().isoformat()
    payload = form_fields(request.form, ("id", "practice")) | {"created_at": now, "updated_at": now}
    result = save_entry(current_user, "practice_done", payload)
    if result.status == REJECTED:
        if result.errors == FOREIGN_ID_ERRORS:
            abort(404)
        return _done_answer(None, result.errors), 422
    if htmx:
        return _done_answer(result.entry)
    return redirect(url_for("practices.done", entry_id=result.entry.id))


@bp.get("/practices/done/<uuid:entry_id>")
def done(entry_id):
    """A practice just logged (the page a tap leads to without scripts), with its Undo."""
    return render_template("practices/done.html", entry=_live_done(entry_id), errors={})


@bp.post("/practices/done/<uuid:entry_id>/delete")
def undo_done(entry_id):
    """Undo a practice logged by mistake (kept as a tombstone so other devices learn of it)."""
    entry = _live_done(entry_id)
    change_entry(current_user, "practice_done", entry, {"deleted": True}, utcnow(), phone_stamp())
    if htmx:
        return render_template("practices/_done_status.html", entry=None, errors={}, undone=True)
    flash("Undone: that practice is no longer logged.")
    return redirect(url_for("checkins.home"))


def _named_practice(form_name, submitted):
    """The submitted name and group, validated, or (None, the page refusing them).

    A name is typed freely, so the identifier guard reads it before anything is saved.
    """
    try:
        data = PracticeSchema().load(submitted)
    except ValidationError as error:
        return None, _list_page(form_name, error.normalized_messages(), submitted, status=422)
    findings = identifiers_to_confirm(request.form, "name")
    if findings:
        return None, _list_page(form_name, {}, submitted, findings, status=422)
    return data, None


def _list_page(form_name=None, errors=None, submitted=None, findings=(), status=200):
    """The practices page; `form_name` is the form (NEW, or a practice's key) whose
    submission is shown again with its errors or the identifier note."""
    return render_template(
        "practices/index.html", form_name=form_name, errors=errors or {},
        submitted=submitted or {}, findings=findings,
    ), status


def _done_answer(entry, errors=None):
    """The status line under the one-tap row: logged (with Undo), or why not."""
    template = "practices/_done_status.html" if htmx else "practices/done.html"
    return render_template(template, entry=entry, errors=errors or {})


def _own_practice(key):
    """The signed-in person's practice with this key, or 404."""
    practice = practices.find_practice(current_user, key)
    if practice is None:
        abort(404)
    return practice


def _live_done(entry_id):
    """The signed-in person's practice done with this id, or 404 (missing, undone, or not
    theirs)."""
    entry = practices.find_done(current_user, entry_id)
    if entry is None or entry.deleted:
        abort(404)
    return entry
