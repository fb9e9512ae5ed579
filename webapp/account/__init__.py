"""The user's own settings: name and time zone, password, the devices signed in,
deleting the account."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from marshmallow import ValidationError

from webapp.api import per_person
from webapp.extensions import limiter
from webapp.forms import form_fields
from webapp.schemas.account import ChangePasswordSchema, DeleteAccountSchema, ProfileSchema
from webapp.services.accounts import (
    delete_account,
    end_session,
    end_sessions,
    password_matches,
    sessions_of,
    set_password,
    update_profile,
)
from webapp.services.sync import user_tag

WRONG_PASSWORD = "That is not your current password."  # noqa: S105 - a message, not a secret

bp = Blueprint("account", __name__, url_prefix="/account")

# Checking the password behind a session (to change it, or to delete the account) is
# limited as signing in is: wrong answers count, per person, across both pages.
password_checks = limiter.shared_limit(
    lambda: current_app.config["SIGNIN_RATE_LIMIT"], scope="password-check",
    key_func=per_person, methods=["POST"],
    deduct_when=lambda response: response.status_code == 422,
)


@bp.route("", methods=["GET", "POST"])
@login_required
def settings():
    """Name and time zone; signing out."""
    values = {"display_name": current_user.display_name, "timezone": current_user.timezone}
    errors = {}
    if request.method == "POST":
        values = form_fields(request.form, ProfileSchema().fields)
        try:
            data = ProfileSchema().load(values)
        except ValidationError as error:
            errors = error.normalized_messages()
        else:
            update_profile(current_user, data["display_name"], data["timezone"])
            flash("Saved.")
            return redirect(url_for("account.settings"))
    status = 422 if errors else 200
    return render_template("account/settings.html", values=values, errors=errors), status


@bp.route("/password", methods=["GET", "POST"])
@login_required
@password_checks
def password():
    """A new password; every other device it was signed in on is signed out."""
    errors = {}
    if request.method == "POST":
        try:
            schema = ChangePasswordSchema()
            data = schema.load(form_fields(request.form, schema.fields))
        except ValidationError as error:
            errors = error.normalized_messages()
        else:
            if password_matches(current_user, data["current_password"]):
                set_password(current_user, data["password"])  # this device stays in
                flash("Password changed. Any other device that was signed in is signed out.")
                return redirect(url_for("account.settings"))
            errors = {"current_password": [WRONG_PASSWORD]}
    return render_template("account/password.html", errors=errors), 422 if errors else 200


@bp.get("/devices")
@login_required
def devices():
    """Where the person is signed in: each device, when it was last seen, and a way to
    sign it out from here."""
    return render_template("account/devices.html", sign_ins=sessions_of(current_user))


@bp.post("/devices/<int:sign_in_id>/sign-out")
@login_required
def sign_out_device(sign_in_id):
    """Sign out another device of the person's (this one signs out from Account)."""
    if not end_session(current_user, sign_in_id):
        abort(404)
    flash("That device is signed out. It will need the password, or a passkey, again.")
    return redirect(url_for("account.devices"))


@bp.post("/devices/sign-out-others")
@login_required
def sign_out_others():
    """Sign out every device but this one."""
    end_sessions(current_user, keep=current_user.session_key)
    flash("Every other device is signed out.")
    return redirect(url_for("account.devices"))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@password_checks
def delete():
    """Delete the account and everything in it, after the password confirms it."""
    errors = {}
    if request.method == "POST":
        try:
            data = DeleteAccountSchema().load(form_fields(request.form, ["password"]))
        except ValidationError as error:
            errors = error.normalized_messages()
        else:
            if password_matches(current_user, data["password"]):
                tag = user_tag(current_user, current_app.secret_key)
                delete_account(current_user)
                logout_user()
                return render_template("account/deleted.html", forget_user=tag)
            errors = {"password": [WRONG_PASSWORD]}
    return render_template("account/delete.html", errors=errors), 422 if errors else 200
from webapp.account import data  # noqa: E402, F401
