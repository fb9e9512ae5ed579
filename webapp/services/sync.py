"""Writing entries: the one path by which every entry reaches the database.

The HTML routes save through here, and so will the sync API, so both obey the same
rules: validated by the entry's schema, idempotent on the client's id, the later
`updated_at` wins, and an id that belongs to someone else is refused without a hint
of whose it is.
"""
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import timedelta

from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import CheckIn
from webapp.schemas import CheckInSchema

ENTRY_KINDS = {"checkin": (CheckIn, CheckInSchema)}

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
FOREIGN_ID_ERRORS = {"id": ["This id cannot be used; create the entry with a new id."]}


@dataclass
class EntryResult:
    """What happened to one submitted entry."""

    status: str
    entry: object = None
    errors: dict = field(default_factory=dict)


def save_entries(user, submissions):
    """Validate and store a batch of (kind, payload) pairs for `user` in one transaction.

    Returns one EntryResult per submission, in order. If two requests create the same
    id at once, the loser's transaction fails on the primary key; it is rolled back and
    replayed once, when the row exists and the usual update rules apply.
    """
    try:
        results = [_apply(user, kind, payload) for kind, payload in submissions]
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        results = [_apply(user, kind, payload) for kind, payload in submissions]
        db.session.commit()
    return results


def save_entry(user, kind, payload):
    """Validate and store one entry; see save_entries."""
    return save_entries(user, [(kind, payload)])[0]


def _apply(user, kind, payload):
    """Stage one entry in the session and say what will happen to it."""
    model, schema_class = ENTRY_KINDS[kind]
    try:
        data = schema_class().load(payload)
    except ValidationError as error:
        return EntryResult(REJECTED, errors=error.normalized_messages())

    existing = db.session.get(model, data["id"])
    if existing is None:
        entry = model(user_id=user.id, **data)
        db.session.add(entry)
        db.session.flush()
        return EntryResult(CREATED, entry)
    if existing.user_id != user.id:
        return EntryResult(REJECTED, errors=FOREIGN_ID_ERRORS)
    if data["updated_at"] <= existing.updated_at:
        return EntryResult(UNCHANGED, existing)
    data.pop("created_at")  # an entry's creation time never moves
    for name, value in data.items():
        setattr(existing, name, value)
    return EntryResult(UPDATED, existing)


def change_entry(user, kind, entry, changes, now):
    """Apply `changes` (raw field values) to one of the user's entries, as of `now`.

    The whole entry is validated again, so a change can never leave half an entry.
    The change is stamped later than the stored version even if another device's
    clock ran ahead, because a person editing here means this is the newest intent.
    """
    _, schema_class = ENTRY_KINDS[kind]
    payload = schema_class().dump(entry)
    payload.update(changes)
    stamp = max(now, entry.updated_at + timedelta(microseconds=1))
    payload["updated_at"] = stamp.isoformat()
    return save_entry(user, kind, payload)


def user_tag(user, secret):
    """A stable, opaque name for a user that the phone stores with their waiting entries.

    The worker only uploads entries whose tag matches the signed-in user, so the next
    person signing in on the same phone never sends someone else's entries.
    """
    return hmac.new(secret.encode(), f"user:{user.id}".encode(), hashlib.sha256).hexdigest()[:32]
