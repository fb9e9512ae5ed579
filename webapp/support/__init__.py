"""Support when it is needed now: open to everyone, signed in or not."""
from flask import Blueprint, current_app, render_template

bp = Blueprint("support", __name__)


@bp.get("/support")
def crisis():
    """Crisis lines and what to do right now."""
    config = current_app.config
    return render_template(
        "support/crisis.html",
        region=config["CRISIS_REGION"],
        call=config["CRISIS_CALL"],
        text=config["CRISIS_TEXT"],
        emergency=config["CRISIS_EMERGENCY"],
    )
