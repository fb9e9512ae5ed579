"""Insights: the person's week or month at a glance, drawn on the server as SVG, with
the observations a persistent pattern earns (services.insights)."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from webapp.insights.charts import insight_charts
from webapp.pages import personal_pages
from webapp.services import insights
from webapp.services.care import LONG_STRETCH_DAYS
from webapp.services.clock import utcnow

bp = personal_pages(Blueprint("insights", __name__, url_prefix="/insights"))


@bp.get("")
def overview():
    """The last 7 local days, or with ?period=month the last 30 and the weekly pulse;
    any other period is 404."""
    period = insights.find_period(request.args.get("period", "week"))
    if period is None:
        abort(404)
    now = utcnow()
    found = insights.overview(current_user, period, now)
    weeks = insights.pulse_trend(current_user, now) if period == insights.MONTH else []
    return render_template("insights/overview.html", overview=found, weeks=weeks,
                           charts=insight_charts(found, weeks), PERIODS=insights.PERIODS,
                           LONG_STRETCH_DAYS=LONG_STRETCH_DAYS,
                           PULSE_LOWEST=insights.PULSE_LOWEST, PULSE_HIGHEST=insights.PULSE_HIGHEST)
