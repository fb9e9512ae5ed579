"""The JSON sync API: batches of entries in, per-entry results and other devices' changes out."""
from flask import Blueprint, current_app
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from webapp.api import load_json, never_store, per_person, refusal, signed_in_write
from webapp.circles import queue_push
from webapp.extensions import limiter
from webapp.schemas.sync import REJECTED, SyncRequestSchema, SyncResponseSchema, SyncSessionSchema
from webapp.services.circles import SENT_KINDS, save_sent
from webapp.services.clock import utcnow
from webapp.services.sync import EntryResult, dump_entry, sync_entries, user_tag
from webapp.sync.openapi import build_openapi

bp = Blueprint("sync", __name__, url_prefix="/api/v1")

NOT_JSON = "Send the entries as JSON, with Content-Type: application/json."
BAD_JSON = "The request could not be read as JSON, so nothing was saved."
OTHER_USER = (
    "These entries belong to another account used on this phone, so they were not saved "
    "to this one."
)
TOO_MANY = "That is more entries than one sync takes, so nothing was saved. Send them in parts."


bp.after_request(never_store)

# Built once: building a schema costs more than a one-entry batch's loading with it.
BATCH = SyncRequestSchema()
ANSWER = SyncResponseSchema()


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


def _sync_limit():
    return current_app.config["SYNC_RATE_LIMIT"]


@bp.post("/sync")
@signed_in_write
@limiter.limit(_sync_limit, key_func=per_person)
def sync():
    """Save a device's batch of entries and answer with the user's changes since its cursor."""
    batch = load_json(BATCH, NOT_JSON, BAD_JSON)
    if batch["user"] != _current_tag():
        return refusal(409, OTHER_USER)
    limit = current_app.config["SYNC_MAX_BATCH"]
    if len(batch["entries"]) > limit:
        return refusal(413, TOO_MANY, max_entries=limit)
    submissions = [_split_kind(entry) for entry in batch["entries"]]
    sent = _send_circle_messages(submissions)
    results, changes = sync_entries(
        current_user,
        [submission for submission in submissions if submission[0] not in SENT_KINDS],
        batch["cursor"] or 0,
        current_app.config["SYNC_MAX_CHANGES"],
    )
    stored = iter(results)
    results = [sent[index] if index in sent else next(stored) for index in range(len(submissions))]
    return _answer(batch["entries"], results, changes)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description of this API, generated from its schemas."""
    return build_openapi()


def _current_tag():
    return user_tag(current_user, current_app.secret_key)


def _answer(entries, results, changes):
    """The reply to a batch: each entry's outcome in order, then the changes page."""
    outcomes = [_outcome(entry, result) for entry, result in zip(entries, results, strict=True)]
    return ANSWER.dump(
        {
            "results": outcomes,
            "changes": [dump_entry(kind, entry) for kind, entry in changes.entries],
            "cursor": changes.cursor,
            "more": changes.more,
        }
    )


def _send_circle_messages(submissions):
    """Nudges and debrief answers the phone kept while offline: each stored (once) and
    queued for its push; their results by place in the batch."""
    now, results = utcnow(), {}
    for index, (kind, fields) in enumerate(submissions):
        if kind in SENT_KINDS:
            status, errors, push = save_sent(current_user, kind, fields, now)
            results[index] = EntryResult(status, errors=errors)
            if push:
                queue_push(*push)
    return results


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
