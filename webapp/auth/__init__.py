"""Registering, signing in and signing out."""
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError

from webapp.extensions import htmx, limiter
from webapp.forms import form_fields, safe_next
from webapp.schemas.account import RegisterSchema, SignInSchema
from webapp.services.accounts import (
    EmailTaken,
    authenticate,
    device_label,
    end_session,
    register_user,
    start_session,
)
from webapp.services.clock import utcnow

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "That email and password don't match an account."


def _signin_limit():
    return current_app.config["SIGNIN_RATE_LIMIT"]


def _register_limit():
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    """Create an account and sign straight in."""
    if current_user.is_authenticated:
        return redirect(url_for("checkins.home"))
    values, errors = {"timezone": "UTC"}, {}
    if request.method == "POST":
        values = form_fields(request.form, RegisterSchema().fields)
        try:
            data = RegisterSchema().load(values)
            user = register_user(
                data["email"], data["password"], data["timezone"], data["display_name"]
            )
        except ValidationError as error:
            errors = error.normalized_messages()
        except EmailTaken:
            errors = {"email": ["An account with this email already exists. Sign in instead?"]}
        else:
            sign_in_as(user, remember=data["remember"])
            return redirect(url_for("checkins.home"))
    values.pop("password", None)
    status = 422 if errors else 200
    return render_template("auth/register.html", values=values, errors=errors), status


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def sign_in():
    """Sign in with email and password."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("checkins.home"))
    values, errors = {}, {}
    if request.method == "POST":
        values = form_fields(request.form, SignInSchema().fields)
        try:
            data = SignInSchema().load(values)
        except ValidationError as error:
            errors = error.normalized_messages()
        else:
            user = authenticate(data["email"], data["password"])
            if user is None:
                errors = {"_form": [SIGN_IN_FAILED]}
            else:
                sign_in_as(user, remember=data["remember"])
                return redirect(next_url or url_for("checkins.home"))
    values.pop("password", None)
    status = 422 if errors else 200
    return (
        render_template("auth/sign_in.html", values=values, errors=errors, next=next_url),
        status,
    )


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    """End this device's sign-in on the server, and forget its cookies."""
    end_session(current_user)
    logout_user()
    flash("You're signed out. Take care.")
    return redirect(url_for("auth.sign_in"))


def sign_in_as(user, remember):
    """Sign `user` in on this device: a new sign-in the server keeps, named in the
    session cookie (and the remember-me cookie when asked)."""
    start_session(user, device_label(request.user_agent.string), utcnow())
    login_user(user, remember=remember)


def unauthorized():
    """What an anonymous request gets: JSON 401 for APIs, a sign-in page for people.

    An htmx request is told to load the sign-in page in full, rather than having the
    sign-in form swapped into the middle of a card.
    """
    if request.path.startswith("/api/"):
        return jsonify({"error": "Please sign in to continue.", "status": 401}), 401
    target = url_for("auth.sign_in", next=_return_path())
    if htmx:
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _return_path():
    """Where to come back to after signing in: the page, not the fragment, for htmx."""
    if htmx and htmx.current_url:
        page = urlsplit(htmx.current_url)
        return safe_next(page.path + (f"?{page.query}" if page.query else ""))
    return safe_next(request.full_path.rstrip("?"))


from webapp.auth import passkeys  # noqa: E402, F401 - the passkey routes share this blueprint
