"""The user's own settings."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError

from webapp.forms import form_fields
from webapp.schemas import ProfileSchema
from webapp.services.accounts import update_profile

bp = Blueprint("account", __name__, url_prefix="/account")


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
