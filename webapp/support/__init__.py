"""Support when it is needed now: open to everyone, signed in or not.

A signed-in person can choose where they are and add lines of their own; the page then
shows their numbers, on the phone too when there is no network (the service worker
keeps their copy of the page, which wins over the shell's generic one).
"""
from itertools import zip_longest

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError

from webapp.forms import identifiers_to_confirm
from webapp.schemas.support import SupportSettingsSchema
from webapp.services.support import (
    MAX_OWN_LINES,
    REGIONS,
    configured_region,
    save_support_choices,
    support_choices,
    support_numbers,
)

bp = Blueprint("support", __name__)

LINE_FIELDS = ("name", "number", "note")


@bp.get("/support")
def crisis():
    """Crisis lines and what to do right now: the emergency number first."""
    user = current_user if current_user.is_authenticated else None
    return render_template(
        "support/crisis.html", numbers=support_numbers(user, current_app.config)
    )


@bp.route("/support/numbers", methods=["GET", "POST"])
@login_required
def numbers():
    """Choose where you are, and add up to five lines of your own."""
    values, errors, findings = support_choices(current_user), {}, []
    if request.method == "POST":
        values = {"region": request.form.get("region"), "lines": _typed_lines(request.form)}
        findings = identifiers_to_confirm(request.form, "line_name[]", "line_note[]")
        try:
            data = SupportSettingsSchema().load(values)
        except ValidationError as error:
            errors = error.normalized_messages()
        else:
            if not findings:
                # No flash: the page is kept on the phone as it is shown now, and the
                # numbers on it are the confirmation.
                save_support_choices(current_user, data["region"], data["lines"])
                return redirect(url_for("support.crisis"))
    return render_template(
        "support/numbers.html", values=values, errors=errors, findings=findings,
        regions=REGIONS, configured=configured_region(current_app.config),
        max_lines=MAX_OWN_LINES,
    ), 422 if errors or findings else 200


def _typed_lines(form):
    """The own lines as typed, row by row; a row left empty is not a line."""
    columns = (form.getlist(f"line_{name}[]") for name in LINE_FIELDS)
    rows = (dict(zip(LINE_FIELDS, row, strict=True)) for row in zip_longest(*columns, fillvalue=""))
    return [row for row in rows if any(value.strip() for value in row.values())]
