"""The reminders page (the plan, the devices) and the 'Later' answer from a notification."""
from flask import abort, render_template, request
from flask_login import current_user, login_required
from marshmallow import ValidationError

from webapp.api import signed_in_write
from webapp.extensions import db
from webapp.reminders import bp
from webapp.schemas import REMINDER_MODES, WEEKDAYS, ReminderSettingsSchema, validating_for
from webapp.services import reminders
from webapp.services.clock import utcnow

LISTS = ("workdays", "practices")


@bp.route("/reminders", methods=["GET", "POST"])
@login_required
def settings():
    """Choose when reminders come, what they offer, and when they keep quiet."""
    stored = reminders.settings_for(current_user)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with validating_for(current_user):
                plan = ReminderSettingsSchema().load(_form())
            stored = reminders.save_plan(current_user, plan, utcnow())
        except ValidationError as error:
            db.session.rollback()
            stored = reminders.settings_for(current_user)
            errors, status = _flat(error.normalized_messages()), 422
    return render_template(
        "reminders/settings.html", settings=stored, errors=errors, submitted=_form(),
        saved=request.method == "POST" and not errors, MODES=REMINDER_MODES, WEEKDAYS=WEEKDAYS,
        upcoming=None if errors else reminders.upcoming(stored, current_user, utcnow()),
    ), status


@bp.post("/reminders/preview")
@login_required
def preview():
    """The line under the plan that says when its next reminders would come, drawn
    again as the person changes the form (htmx); none while the form is not a plan."""
    try:
        with validating_for(current_user):
            plan = ReminderSettingsSchema().load(_form())
    except ValidationError:
        return render_template("reminders/_preview.html", upcoming=None)
    upcoming = reminders.preview(current_user, plan, utcnow())
    return render_template("reminders/_preview.html", upcoming=upcoming)


@bp.app_template_global()
def quieter_notice():
    """For every signed-in page: whether it tells the person reminders went quieter today."""
    return reminders.tell_if_quieter(current_user, utcnow())


@bp.app_template_global()
def reminders_standing():
    """For the check-in page: (whether the person has reminders on, why they may not be
    reaching them or None)."""
    return reminders.standing(current_user, utcnow())


@bp.post("/api/v1/reminders/<int:delivery_id>/later")
@signed_in_write
def later(delivery_id):
    """'Later' on a notification: the same nudge again in half an hour."""
    if reminders.snooze(current_user, delivery_id, utcnow()) is None:
        abort(404)
    return "", 204


def _form():
    """The form as the schema takes it: lists for the checkboxes, text for the rest."""
    if request.method != "POST":
        return {}
    data = {key: value for key, value in request.form.items() if key != "csrf_token"}
    for name in LISTS:
        data[name] = request.form.getlist(name)
    return data


def _flat(errors):
    """A list field's messages, whichever item they were about, shown next to the field."""
    return {
        name: sorted({m for item in found.values() for m in item})
        if isinstance(found, dict) else found
        for name, found in errors.items()
    }
