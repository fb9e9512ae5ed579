"""The reminders page (the plan, the devices) and the 'Later' answer from a notification."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.api import signed_in_write
from webapp.extensions import csrf, db
from webapp.pages import opened_by_the_person
from webapp.reminders import bp
from webapp.schemas.base import validating_for
from webapp.schemas.reminders import REMINDER_MODES, WEEKDAYS, ReminderSettingsSchema
from webapp.services import calendar_feeds, reminders
from webapp.services.calendar import MAX_BYTES, TOO_LARGE, CalendarError
from webapp.services.clock import utcnow

# An upload's form: the file, its token and a little room.
CALENDAR_FORM_LIMIT = MAX_BYTES + 64 * 1024
NO_CALENDAR = "Choose a calendar file, or paste your calendar's address."

LISTS = ("workdays", "practices")


@bp.route("/reminders", methods=["GET", "POST"])
@login_required
def settings():
    """Choose when reminders come, what they offer, and when they keep quiet."""
    if request.method == "GET":
        return _page()
    try:
        with validating_for(current_user):
            plan = ReminderSettingsSchema().load(_form())
    except ValidationError as error:
        return _page(_flat(error.normalized_messages()))
    reminders.save_plan(current_user, plan, utcnow())
    return _page(saved=True)


def _page(errors=None, saved=False):
    """The reminders page: with what was refused next to its field (422), or as stored."""
    stored = reminders.settings_for(current_user)
    now = utcnow()
    return render_template(
        "reminders/settings.html", settings=stored, errors=errors or {}, saved=saved,
        MODES=REMINDER_MODES, WEEKDAYS=WEEKDAYS,
        upcoming=None if errors else reminders.upcoming(stored, current_user, now),
        feed=calendar_feeds.feed_for(current_user),
        busy_ahead=calendar_feeds.busy_count(current_user.id, now),
    ), 422 if errors else 200


@bp.post("/reminders/calendar")
@csrf.exempt  # checked below, once the larger limit for a file applies
@login_required
def use_calendar():
    """Give Tend a calendar: an uploaded .ics file, read now, or a feed's secret address,
    read by the worker now and again later."""
    request.max_content_length = request.max_form_memory_size = CALENDAR_FORM_LIMIT
    try:
        if current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()
        upload = request.files.get("calendar_file")
        address = request.form.get("calendar_address", "").strip()
        now = utcnow()
        if upload and upload.filename:
            field = "calendar_file"
            calendar_feeds.use_file(current_user, upload.read(MAX_BYTES + 1), now)
            told = "Your calendar is read. Tend keeps only when you're busy."
        elif address:
            field = "calendar_address"
            allow_local = current_app.config["CALENDAR_ALLOW_LOCAL"]
            calendar_feeds.use_address(current_user, address, allow_local=allow_local)
            told = "Tend will read your calendar in a moment, and again every half hour."
        else:
            return _page({"calendar_address": [NO_CALENDAR]})
    except RequestEntityTooLarge:
        return _page({"calendar_file": [TOO_LARGE]})
    except CalendarError as error:
        db.session.rollback()
        return _page({field: [str(error)]})
    reminders.replan(current_user.id, now)
    db.session.commit()
    if address:
        current_app.extensions["tend_tasks"]["read_calendar"](current_user.id)
    flash(told)
    return redirect(url_for("reminders.settings", _anchor="calendar"))


@bp.post("/reminders/calendar/forget")
@login_required
def forget_calendar():
    """Stop using the person's calendar; Tend drops all it kept of it."""
    calendar_feeds.forget(current_user)
    reminders.replan(current_user.id, utcnow())
    db.session.commit()
    flash("Tend no longer reads your calendar, and has let go of what it kept.")
    return redirect(url_for("reminders.settings", _anchor="calendar"))


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
    """For every signed-in page: whether it tells the person reminders went quieter today.

    Said once, so only to a page a person opens: not to one the service worker fetches
    to keep for later, where no one would see it.
    """
    if not opened_by_the_person():
        return False
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
