"""What every area of personal pages shares."""
from flask_login import login_required


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
