"""What every JSON endpoint shares: sign-in checked before CSRF, bodies read and
validated with a clear 400/422, refusals in words, and nothing kept in any cache.

Answers are JSON whatever happens, and an expired session hears 401, never a redirect:
a redirect to the sign-in page would look like success to the phone.
"""
from functools import wraps

from flask import abort, current_app, jsonify, request
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest

from webapp.extensions import csrf


def signed_in_write(view):
    """Sign-in first, then the CSRF header: an expired session hears 401, not a token error.

    The view is exempt from the global CSRF check, which would run before the sign-in one.
    """

    @wraps(view)
    @login_required
    def checked(*args, **kwargs):
        if current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()
        return view(*args, **kwargs)

    return csrf.exempt(checked)


def load_json(schema, not_json, bad_json):
    """The request's JSON body loaded by `schema`; otherwise end the request with a 400
    (`not_json`: the wrong content type; `bad_json`: unreadable) or a 422 with field errors."""
    if not request.is_json:
        abort(refusal(400, not_json))
    try:
        body = request.get_json()
    except (BadRequest, RecursionError):  # the parser gives up on deep nesting this way
        abort(refusal(400, bad_json))
    try:
        return schema.load(body)
    except ValidationError as error:
        abort(json_response(422, {"errors": error.normalized_messages()}))


def refusal(status, message, **details):
    """A JSON refusal in words for a person."""
    return json_response(status, {"error": message, "status": status, **details})


def json_response(status, body):
    """A JSON response with this status, ready to return or to abort with."""
    response = jsonify(body)
    response.status_code = status
    return response


def never_store(response):
    """API answers are personal and of the moment: no cache may keep them."""
    response.cache_control.no_store = True
    return response


def per_person():
    """The key API rate limits count by: the person, as many may share one network address."""
    return f"user:{current_user.id}"
