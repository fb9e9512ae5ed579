"""The peer circle's pages: circles and their members, invitations, care nudges and
debrief requests. Thin routes: the rules are in services.circles.

Every page and form about a circle, a member, an invitation or a request answers 404
to anyone not in that circle, the same as for something that does not exist.
"""
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from marshmallow import ValidationError

from webapp.extensions import htmx
from webapp.forms import form_fields
from webapp.pages import opened_by_the_person, personal_pages
from webapp.schemas.circles import (
    DebriefAnswerSchema,
    DebriefRequestSchema,
    MemberNameSchema,
    NewCircleSchema,
    NudgeSchema,
    NudgeSettingSchema,
)
from webapp.services import circles
from webapp.services.circles import NUDGE_SETTINGS, NUDGES, Refused
from webapp.services.clock import utcnow

bp = personal_pages(Blueprint("circles", __name__, url_prefix="/circles"))
# The invitation link just made, on its way to the page that shows it once.
NEW_LINK = "circle_link"
bp.add_app_template_global(NUDGES, "NUDGES")


@bp.get("")
def index():
    """The person's circles, the care they received lately, and a new circle's form."""
    return _index_page({}, {})


@bp.post("")
def create():
    values = form_fields(request.form, ("name", "member_name"))
    try:
        data = NewCircleSchema().load(values)
    except ValidationError as error:
        return _index_page(error.messages, values), 422
    circle = circles.create_circle(current_user, data["name"], data["member_name"])
    flash(f"{circle.name} is ready. Invite a colleague with a link below.")
    return redirect(url_for("circles.show", circle_id=circle.id))


@bp.get("/debrief")
def debrief():
    """Where the card's "ask your peer circle" leads: the one circle's requests, or the
    list to choose from (or to start one). Nothing is asked until the person asks."""
    mine = circles.circles_of(current_user)
    if len(mine) == 1:
        return redirect(url_for("circles.show", circle_id=mine[0][0].id, _anchor="debrief-title"))
    return redirect(url_for("circles.index"))


@bp.get("/<int:circle_id>")
def show(circle_id):
    circle = _circle(circle_id)
    link = session.pop(NEW_LINK, None) if opened_by_the_person() else None
    return _circle_page(circle, new_link=link)


@bp.post("/<int:circle_id>/invitations")
def invite(circle_id):
    """A new one-time link. Only its digest is kept, so the link itself is shown once:
    carried in the session to the circle's page the redirect opens (a reload there
    makes no second link)."""
    circle = _circle(circle_id)
    _, secret = circles.invite(current_user, circle, utcnow())
    session[NEW_LINK] = url_for("circles.join", secret=secret, _external=True)
    return redirect(url_for("circles.show", circle_id=circle.id, _anchor="invite-title"))


@bp.post("/<int:circle_id>/invitations/<int:invitation_id>/revoke")
def revoke(circle_id, invitation_id):
    circle = _circle(circle_id)
    if not circles.revoke(current_user, circle, invitation_id, utcnow()):
        abort(404)
    flash("That invitation link no longer works.")
    return redirect(url_for("circles.show", circle_id=circle.id))


@bp.get("/join/<secret>")
def join(secret):
    """What an invitation link opens: the circle's name, and the name to join it with."""
    _, circle, problem = circles.invitation_for(secret, utcnow(), current_user)
    if problem:
        return _join_problem(problem)
    if circles.membership(circle.id, current_user.id):
        return redirect(url_for("circles.show", circle_id=circle.id))
    values = {"member_name": current_user.display_name or ""}
    return render_template("circles/join.html", circle=circle, secret=secret, values=values,
                           errors={})


@bp.post("/join/<secret>")
def accept(secret):
    values = form_fields(request.form, ("member_name",))
    try:
        data = MemberNameSchema().load(values)
    except ValidationError as error:
        _, circle, problem = circles.invitation_for(secret, utcnow(), current_user)
        if problem:
            return _join_problem(problem)
        return render_template("circles/join.html", circle=circle, secret=secret,
                               values=values, errors=error.messages), 422
    try:
        circle = circles.join(current_user, secret, data["member_name"], utcnow())
    except Refused as refused:
        return render_template("circles/join.html", circle=None, problem=refused.message), 409
    flash(f"You're in {circle.name}.")
    return redirect(url_for("circles.show", circle_id=circle.id))


@bp.post("/<int:circle_id>/leave")
def leave(circle_id):
    circle = _circle(circle_id)
    circles.leave(current_user, circle)
    flash(f"You left {circle.name}.")
    return redirect(url_for("circles.index"))


@bp.post("/<int:circle_id>/members/<int:member_id>/remove")
def remove(circle_id, member_id):
    circle = _circle(circle_id)
    if not circles.remove(current_user, circle, member_id):
        abort(404)
    flash("They are no longer in the circle.")
    return redirect(url_for("circles.show", circle_id=circle.id))


@bp.post("/<int:circle_id>/members/<int:member_id>/block")
def block(circle_id, member_id):
    circle = _circle(circle_id)
    if not circles.block(current_user, circle, member_id):
        abort(404)
    flash("Blocked. You won't see them or hear from them; they are not told.")
    return redirect(url_for("circles.show", circle_id=circle.id))


@bp.post("/blocked/<int:blocked_id>/unblock")
def unblock(blocked_id):
    if blocked_id not in dict(circles.blocked_by(current_user)):
        abort(404)
    circles.unblock(current_user, blocked_id)
    flash("Unblocked.")
    return redirect(url_for("circles.settings"))


@bp.post("/<int:circle_id>/nudges")
def nudge(circle_id):
    """One tap on a pre-written nudge for one member."""
    circle = _circle(circle_id)
    values = form_fields(request.form, ("id", "recipient", "message"))
    try:
        data = NudgeSchema().load(values)
        sent = circles.send_nudge(current_user, circle, str(data["id"]), data["recipient"],
                                  data["message"], utcnow())
    except ValidationError as error:
        return _nudge_answer(circle, values, error.messages), 422
    except Refused as refused:
        return _nudge_answer(circle, values, refused.errors), 422
    queue_push("nudge", sent)
    return _nudge_answer(circle, values, {})


@bp.get("/nudges")
def nudges():
    """The care nudges the person received in the last month (seen by being listed)."""
    received = circles.nudges_for(current_user, utcnow(), seen=opened_by_the_person())
    return render_template("circles/nudges.html", received=received)


@bp.post("/<int:circle_id>/debriefs")
def ask(circle_id):
    circle = _circle(circle_id)
    try:
        data = DebriefRequestSchema().load(form_fields(request.form, ("id",)))
        asked = circles.ask_for_debrief(current_user, circle, str(data["id"]), utcnow())
    except ValidationError as error:
        return _circle_page(circle, errors=error.messages), 422
    except Refused as refused:
        return _circle_page(circle, errors=refused.errors), 422
    queue_push("request", asked)
    flash("Asked. The circle will see it and can answer with one tap.")
    return redirect(url_for("circles.show", circle_id=circle.id))


@bp.post("/debriefs/<uuid:request_id>/answer")
def answer(request_id):
    asked = _request(request_id)
    circle = circles.find_circle(current_user, asked.circle_id)
    values = form_fields(request.form, ("id", "talk_at", "not_today"))
    try:
        data = DebriefAnswerSchema().load(values)
        given = circles.answer(current_user, asked, str(data["id"]),
                               None if data["not_today"] else data["talk_at"], utcnow())
    except ValidationError as error:
        return _answer_refused(circle, asked, error.messages)
    except Refused as refused:
        return _answer_refused(circle, asked, refused.errors)
    queue_push("answer", given)
    if htmx:
        return render_template("circles/_answer_status.html", given=given, errors={})
    flash("Answered. They'll see it with the request.")
    return redirect(url_for("circles.show", circle_id=circle.id, _anchor=f"request-{asked.id}"))


@bp.post("/debriefs/<uuid:request_id>/close")
def close(request_id):
    asked = _request(request_id)
    if not circles.close_request(current_user, asked, utcnow()):
        abort(404)
    flash("Request closed.")
    return redirect(url_for("circles.show", circle_id=asked.circle_id))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """How nudges reach the person, and whom they blocked."""
    errors = {}
    if request.method == "POST":
        try:
            data = NudgeSettingSchema().load(form_fields(request.form, ("nudges",)))
        except ValidationError as error:
            errors = error.messages
        else:
            circles.save_nudge_setting(current_user, data["nudges"])
            flash("Saved.")
            return redirect(url_for("circles.settings"))
    return render_template(
        "circles/settings.html", setting=circles.nudge_setting(current_user),
        options=NUDGE_SETTINGS, blocked=circles.blocked_by(current_user), errors=errors,
    ), 422 if errors else 200


def _circle(circle_id):
    circle = circles.find_circle(current_user, circle_id)
    if circle is None:
        abort(404)
    return circle


def _request(request_id):
    asked = circles.find_request(current_user, str(request_id), utcnow())
    if asked is None:
        abort(404)
    return asked


def queue_push(kind, thing):
    """Queue the push of a nudge, request or answer just stored (not one stored before,
    nor a nudge dropped for a block): the worker sends it once."""
    if thing.status == "pending":
        current_app.extensions["tend_tasks"]["circle_push"](kind, thing.id)


def _index_page(errors, values):
    return render_template(
        "circles/index.html", circles=circles.circles_of(current_user),
        unseen=circles.unseen_nudges(current_user), errors=errors,
        values=values or {"member_name": current_user.display_name or ""},
    )


def _circle_page(circle, errors=None, new_link=None, answering=None):
    now = utcnow()
    return render_template(
        "circles/circle.html", circle=circle, now=now,
        members=circles.members_of(circle, current_user),
        invitations=circles.open_invitations(circle, now),
        requests=circles.open_requests(circle, current_user, now),
        nudges_off=circles.nudges_off_among(circle),
        errors=errors or {}, new_link=new_link, answering=answering, new_id=uuid.uuid4,
    )


def _nudge_answer(circle, values, errors):
    """A nudge's answer: for htmx, a few words beside the member; otherwise the page."""
    if htmx:
        return render_template("circles/_nudge_status.html", errors=errors,
                               recipient=values.get("recipient"),
                               message=values.get("message"))
    if errors:
        return _circle_page(circle, errors=errors)
    flash("Sent. It arrives as a short note of care.")
    return redirect(url_for("circles.show", circle_id=circle.id))


def _answer_refused(circle, asked, errors):
    if htmx:
        return render_template("circles/_answer_status.html", given=None, errors=errors), 422
    return _circle_page(circle, errors=errors, answering=asked.id), 422


def _join_problem(problem):
    return render_template("circles/join.html", circle=None,
                           problem=circles.INVITATION_PROBLEMS[problem]), 404
