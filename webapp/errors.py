"""One error renderer for every status: JSON for API clients, a page for people."""
from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from webapp.extensions import db

FRIENDLY = {
    400: "Something in that request didn't make sense to us.",
    401: "Please sign in to continue.",
    403: "That isn't available to you.",
    404: "There's nothing here. It may have been removed, or the link is wrong.",
    405: "That action isn't available here.",
    413: "That was more than we can take in one go.",
    429: "Too many attempts in a short time. Please wait a little and try again.",
    503: "We're busy for a moment. Nothing was lost; please try again in a few seconds.",
    500: "Something went wrong on our side. What you saved before is safe; please try again.",
}


# How long a busy database asks the phone (or person) to wait before trying again.
BUSY_RETRY_SECONDS = 2


def wants_json():
    """API clients get JSON errors; people get pages."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_error(error):
    """Render an HTTPException for whoever asked."""
    status = error.code or 500
    message = FRIENDLY.get(status, error.description)
    if isinstance(error, CSRFError):
        message = "This page was open too long or came from elsewhere. Reload it and try again."
    if wants_json():
        response = jsonify({"error": message, "status": status})
    else:
        response = render_template("errors/error.html", status=status, message=message)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return response, status, headers


def register_error_handlers(app):
    """Route every HTTP error and any unhandled exception through render_error."""

    @app.errorhandler(HTTPException)
    def handle_http_error(error):
        return render_error(error)

    @app.errorhandler(OperationalError)
    def handle_busy_database(error):
        """SQLite busy past its wait (one writer at a time): a 503 to try again after a
        moment, which the phone's outbox honours; anything else is unexpected."""
        db.session.rollback()
        if "database is locked" not in str(error.orig):
            return handle_unexpected(error)
        app.logger.warning("Database busy on %s %s", request.method, request.path)
        return render_error(ServiceUnavailable(retry_after=BUSY_RETRY_SECONDS))

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError())
