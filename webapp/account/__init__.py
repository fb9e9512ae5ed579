"""The user's own settings: name and time zone, password, deleting the account."""
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from marshmallow import ValidationError

from webapp.api import per_person
from webapp.extensions import limiter
from webapp.forms import form_fields
from webapp.schemas.account import ChangePasswordSchema, DeleteAccountSchema, ProfileSchema
from webapp.services.accounts import (
    delete_account,
    password_matches,
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
                remembered = _remembered()
                set_password(current_user, data["password"])
                login_user(current_user, remember=remembered)  # this device stays in
                flash("Password changed. Any other device that was signed in is signed out.")
                return redirect(url_for("account.settings"))
            errors = {"current_password": [WRONG_PASSWORD]}
    return render_template("account/password.html", errors=errors), 422 if errors else 200


def _remembered():
    """Whether this device was kept signed in ("remember me"), so it stays so."""
    name = current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE)
    return "_remember" in session or name in request.cookies


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
