"""Writing entries: the one path by which every entry reaches the database.

The HTML routes and the sync API both save through here, so both obey the same rules:
validated by the entry's schema, idempotent on the client's id, the later `updated_at`
wins, and an id that belongs to someone else is refused without a hint of whose it is.

Every change is numbered per user (`seq`), so a device can ask for the changes after
the last one it saw (`changes_since`).
"""
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from marshmallow import EXCLUDE, ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from webapp.extensions import db
from webapp.models import (
    Break,
    CheckIn,
    PracticeDone,
    Pulse,
    Reflection,
    ReframeMark,
    SupervisionNote,
    User,
)
from webapp.schemas import (
    CREATED,
    REJECTED,
    UNCHANGED,
    UPDATED,
    BreakSchema,
    CheckInSchema,
    PracticeDoneSchema,
    PulseSchema,
    ReflectionSchema,
    ReframeMarkSchema,
    SupervisionNoteSchema,
    validating_for,
)

# Supervision notes come last: exports list, and imports save, the entries a note may be
# about (care.ABOUT_KINDS) before the notes that point at them.
ENTRY_KINDS = {
    "checkin": (CheckIn, CheckInSchema),
    "practice_done": (PracticeDone, PracticeDoneSchema),
    "reflection": (Reflection, ReflectionSchema),
    "reframe_mark": (ReframeMark, ReframeMarkSchema),
    "break": (Break, BreakSchema),
    "pulse": (Pulse, PulseSchema),
    "supervision_note": (SupervisionNote, SupervisionNoteSchema),
}
# How each kind is named where entries still on the phone are listed (history).
ENTRY_LABELS = {
    "checkin": "A check-in",
    "practice_done": "A practice done",
    "reflection": "A reflection on a stuck case",
    "reframe_mark": "A reframe that helped",
    "break": "A break",
    "pulse": "A weekly pulse",
    "supervision_note": "A note for supervision",
}

# The change counter is written on the table rather than through the ORM, whose
# bookkeeping for an UPDATE statement made every save up to a fifth slower; the User
# in memory is told the new number directly (set_committed_value).
USERS = User.__table__

FOREIGN_ID_ERRORS = {"id": ["This id cannot be used; create the entry with a new id."]}
MISSING_KIND_ERRORS = {"kind": ["This entry does not say what kind of entry it is."]}
UNKNOWN_KIND_ERRORS = {"kind": ["This kind of entry is not known here, so it was not saved."]}


@dataclass
class EntryResult:
    """What happened to one submitted entry."""

    status: str
    entry: object = None
    errors: dict = field(default_factory=dict)


@dataclass
class Changes:
    """A page of a user's changes: the entries, the cursor after them, and whether more wait."""

    entries: list
    cursor: int
    more: bool


def save_entries(user, submissions):
    """Validate and store a batch of (kind, payload) pairs for `user` in one transaction.

    Returns one EntryResult per submission, in order. If two requests create the same
    id at once, the loser's transaction fails on the primary key; it is rolled back and
    replayed once, when the row exists and the usual update rules apply.
    """
    if not submissions:
        return []
    with validating_for(user):
        try:
            results = _apply_batch(user, submissions)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            results = _apply_batch(user, submissions)
            db.session.commit()
    return results


def save_entry(user, kind, payload):
    """Validate and store one entry; see save_entries."""
    return save_entries(user, [(kind, payload)])[0]


def changes_since(user, cursor, limit):
    """The user's entries of every kind changed after `cursor` (tombstones too), oldest
    change first, as (kind, entry) pairs.

    At most `limit` entries; `more` says whether others follow the returned cursor.
    """
    found = []
    for kind, (model, _) in ENTRY_KINDS.items():
        rows = db.session.scalars(
            select(model)
            .where(model.user_id == user.id, model.seq > cursor)
            .order_by(model.seq)
            .limit(limit + 1)
        )
        found += [(kind, row) for row in rows]
    found.sort(key=lambda pair: pair[1].seq)
    entries = found[:limit]
    return Changes(entries, entries[-1][1].seq if entries else cursor, len(found) > limit)


def dump_entry(kind, entry):
    """An entry in the format the sync API carries: its kind's fields, and the kind."""
    schema, _ = _schemas(kind)
    return schema.dump(entry) | {"kind": kind}


def _apply_batch(user, submissions):
    """Stage a batch, numbering each change after the user's latest one."""
    numbers = itertools.count(_lock_change_seq(user) + 1)
    results = [_apply(user, kind, payload, numbers) for kind, payload in submissions]
    latest = next(numbers) - 1
    db.session.execute(update(USERS).where(USERS.c.id == user.id).values(change_seq=latest))
    set_committed_value(user, "change_seq", latest)
    return results


def _lock_change_seq(user):
    """Hold the user's row until the transaction ends, and return their latest change number.

    A second batch for the same user then waits until the first commits: its numbers
    come after the first's, and it compares `updated_at` with what the first stored.
    This is an UPDATE, not SELECT ... FOR UPDATE, because SQLite ignores that clause and
    takes its write lock only at a transaction's first write: reads made before then
    could already be stale. Writing first takes the lock before anything is read.
    """
    return db.session.execute(
        update(USERS)
        .where(USERS.c.id == user.id)
        .values(change_seq=USERS.c.change_seq)
        .returning(USERS.c.change_seq)
    ).scalar_one()


def _apply(user, kind, payload, numbers):
    """Stage one entry in the session and say what will happen to it."""
    kind_errors = _kind_errors(kind)
    if kind_errors:
        return EntryResult(REJECTED, errors=kind_errors)
    model, _ = ENTRY_KINDS[kind]
    schema, id_schema = _schemas(kind)
    existing = _stored_entry(model, id_schema, payload)
    if existing is not None and existing.user_id != user.id:
        return EntryResult(REJECTED, errors=FOREIGN_ID_ERRORS)
    try:
        data = _load(schema, existing, payload)
    except ValidationError as error:
        return EntryResult(REJECTED, errors=error.normalized_messages())
    if existing is None:
        return _create(user, model, data, numbers)
    return _update(existing, data, numbers, schema)


def _kind_errors(kind):
    """Why an entry's kind cannot be saved, or None when it can."""
    if not kind:
        return MISSING_KIND_ERRORS
    if not isinstance(kind, str) or kind not in ENTRY_KINDS:
        return UNKNOWN_KIND_ERRORS
    return None


def _load(schema, existing, payload):
    """Validate a payload; for a stored entry, the fields it leaves out keep their values.

    Only `updated_at` must always be sent, as it decides which change wins.
    """
    if existing is not None:
        stored = schema.dump(existing)
        del stored["updated_at"]
        payload = stored | payload
    return schema.load(payload)


def _create(user, model, data, numbers):
    entry = model(user_id=user.id, seq=next(numbers), **data)
    db.session.add(entry)
    db.session.flush()
    return EntryResult(CREATED, entry)


def _update(existing, data, numbers, schema):
    if not _newer(schema, data, existing):
        return EntryResult(UNCHANGED, existing)
    data.pop("created_at")  # an entry's creation time never moves
    for name, value in data.items():
        setattr(existing, name, value)
    existing.seq = next(numbers)
    return EntryResult(UPDATED, existing)


def _newer(schema, data, existing):
    """Whether `data` wins over the stored entry: the later `updated_at` wins.

    Two devices may stamp different versions with the same time; then the one whose
    content sorts last wins, whichever arrives first, so every order of arrival ends
    in the same entry. The same content again is no change.
    """
    if data["updated_at"] != existing.updated_at:
        return data["updated_at"] > existing.updated_at
    return _content(schema, data) > _content(schema, existing)


def _content(schema, entry):
    return json.dumps(schema.dump(entry), sort_keys=True, default=str)


@cache
def _schemas(kind):
    """A kind's schema, and one that reads only the id.

    Built once: building a schema costs more than loading an entry with it.
    """
    _, schema_class = ENTRY_KINDS[kind]
    return schema_class(), schema_class(only=("id",), unknown=EXCLUDE)


def _stored_entry(model, id_schema, payload):
    """The stored entry whose id the payload gives, or None (also when the id is not valid)."""
    try:
        entry_id = id_schema.load(payload)["id"]
    except ValidationError:
        return None  # loading the whole payload will say what is wrong with the id
    return db.session.get(model, entry_id)


def change_entry(user, kind, entry, changes, now, stamped_at=None):
    """Apply `changes` (raw field values) to one of the user's entries, as of `now`.

    The whole entry is validated again, so a change can never leave half an entry.
    The change is stamped later than the stored version even if another device's
    clock ran ahead, because a person editing here means this is the newest intent.
    A change the phone stamped itself (`stamped_at`, see forms.phone_stamp) keeps its
    stamp instead: it may have been held up on the way, and the later version wins.
    """
    _, schema_class = ENTRY_KINDS[kind]
    payload = schema_class().dump(entry)
    payload.update(changes)
    stamp = stamped_at or max(now, entry.updated_at + timedelta(microseconds=1))
    payload["updated_at"] = stamp.isoformat()
    return save_entry(user, kind, payload)


def user_tag(user, secret):
    """A stable, opaque name for a user that the phone stores with their waiting entries.

    The worker only uploads entries whose tag matches the signed-in user, so the next
    person signing in on the same phone never sends someone else's entries.
    """
    return hmac.new(secret.encode(), f"user:{user.id}".encode(), hashlib.sha256).hexdigest()[:32]
