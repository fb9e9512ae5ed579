"""What every area of personal pages shares."""
from flask import request
from flask_login import login_required

# Marks a page the service worker fetches to keep for later, not one a person opens.
KEEPING_HEADER = "X-Tend-Keep"


def opened_by_the_person():
    """Whether this page is for the person's eyes now, not fetched by the service worker to
    keep (service_worker/caching.js marks those): what is said once is said only here."""
    return not request.headers.get(KEEPING_HEADER)


def personal_pages(blueprint):
    """Every route of `blueprint` needs a sign-in, and its URLs answer with a page or,
    for htmx, a fragment of it (so caches keep the two apart: Vary: HX-Request)."""

    @blueprint.before_request
    @login_required
    def require_sign_in():
        """Only the signed-in person's own pages are here."""

    @blueprint.after_request
    def vary_on_htmx(response):
        response.vary.add("HX-Request")
        return response

    return blueprint
