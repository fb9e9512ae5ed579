"""The JSON sync API: batches of entries in, per-entry results and other devices' changes out.

Answers are JSON whatever happens, and an expired session hears 401, never a redirect:
a redirect to the sign-in page would look like success to the phone.
"""
from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest

from webapp.extensions import csrf
from webapp.schemas import (
    REJECTED,
    SyncRequestSchema,
    SyncResponseSchema,
    SyncSessionSchema,
)
from webapp.services.sync import changes_since, dump_entry, save_entries, user_tag
from webapp.sync.openapi import build_openapi

bp = Blueprint("sync", __name__, url_prefix="/api/v1")

NOT_JSON = "Send the entries as JSON, with Content-Type: application/json."
BAD_JSON = "The request could not be read as JSON, so nothing was saved."
OTHER_USER = (
    "These entries belong to another account used on this phone, so they were not saved "
    "to this one."
)
TOO_MANY = "That is more entries than one sync takes, so nothing was saved. Send them in parts."


@bp.after_request
def never_store(response):
    """Answers are personal and of the moment: no cache may keep them."""
    response.cache_control.no_store = True
    return response


@bp.get("/session")
@login_required
def session():
    """Who is signed in, a CSRF token to sync with, and the largest batch taken."""
    return SyncSessionSchema().dump(
        {
            "user": _current_tag(),
            "csrf_token": generate_csrf(),
            "max_batch": current_app.config["SYNC_MAX_BATCH"],
        }
    )


@bp.post("/sync")
@csrf.exempt
@login_required
def sync():
    """Save a device's batch of entries and answer with the user's changes since its cursor."""
    _check_csrf()
    batch = _load_batch()
    if batch["user"] != _current_tag():
        return _refusal(409, OTHER_USER)
    limit = current_app.config["SYNC_MAX_BATCH"]
    if len(batch["entries"]) > limit:
        return _refusal(413, TOO_MANY, max_entries=limit)
    results = save_entries(current_user, [_split_kind(entry) for entry in batch["entries"]])
    changes = changes_since(
        current_user, batch["cursor"] or 0, current_app.config["SYNC_MAX_CHANGES"]
    )
    return _answer(batch["entries"], results, changes)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description of this API, generated from its schemas."""
    return build_openapi()


def _current_tag():
    return user_tag(current_user, current_app.secret_key)


def _check_csrf():
    """Check the CSRF token, only once the session is known to be signed in.

    The view is exempt from the global check, which runs before the sign-in check:
    a phone whose session expired must hear 401 (sign in again), not a token error.
    """
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


def _load_batch():
    """The request's batch, validated; otherwise end the request with a 400 or a 422."""
    if not request.is_json:
        abort(_refusal(400, NOT_JSON))
    try:
        body = request.get_json()
    except (BadRequest, RecursionError):  # the parser gives up on deep nesting this way
        abort(_refusal(400, BAD_JSON))
    try:
        return SyncRequestSchema().load(body)
    except ValidationError as error:
        abort(_json(422, {"errors": error.normalized_messages()}))


def _answer(entries, results, changes):
    """The reply to a batch: each entry's outcome in order, then the changes page."""
    outcomes = [_outcome(entry, result) for entry, result in zip(entries, results, strict=True)]
    return SyncResponseSchema().dump(
        {
            "results": outcomes,
            "changes": [dump_entry(kind, entry) for kind, entry in changes.entries],
            "cursor": changes.cursor,
            "more": changes.more,
        }
    )


def _split_kind(entry):
    """An entry as the service takes it: (kind, the entry's own fields)."""
    fields = dict(entry)
    return fields.pop("kind", None), fields


def _outcome(entry, result):
    """One entry's line in the answer: its id as sent, what happened, and why if refused.

    An id that is not text cannot be a valid one, and is not echoed back.
    """
    entry_id = entry.get("id")
    outcome = {"id": entry_id if isinstance(entry_id, str) else None, "status": result.status}
    if result.status == REJECTED:
        outcome["errors"] = result.errors
    return outcome


def _refusal(status, message, **details):
    """A JSON refusal in words for a person."""
    return _json(status, {"error": message, "status": status, **details})


def _json(status, body):
    """A JSON response with this status, ready to return or to abort with."""
    response = jsonify(body)
    response.status_code = status
    return response
