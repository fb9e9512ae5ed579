"""Writing entries: the one path by which every entry reaches the database.

The HTML routes and the sync API both save through here, so both obey the same rules:
validated by the entry's schema, idempotent on the client's id, the later `updated_at`
wins, and an id that belongs to someone else is refused without a hint of whose it is.
A check-in that comes to mark a safety session (or stops marking one) plans (or cancels)
the gentle checks that follow it here too, in the same transaction (services.follow_ups).

Every change is numbered per user (`seq`), so a device can ask for the changes after
the last one it saw (`changes_since`).
"""
import fcntl
import hashlib
import hmac
import json
import logging
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from marshmallow import ValidationError
from sqlalchemy import bindparam, exists, select, text, update
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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
from webapp.schemas.base import validating_for
from webapp.schemas.care import BreakSchema, SupervisionNoteSchema
from webapp.schemas.checkins import CheckInSchema, PracticeDoneSchema
from webapp.schemas.reflect import PulseSchema, ReflectionSchema, ReframeMarkSchema
from webapp.schemas.sync import CREATED, REJECTED, UNCHANGED, UPDATED
from webapp.services import follow_ups
from webapp.services.clock import utcnow

log = logging.getLogger(__name__)

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
    # Not entries, but kept in the phone's outbox the same way (services.circles)
    "care_nudge": "A care nudge to your circle",
    "debrief_answer": "An answer to a debrief request",
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

    Returns one EntryResult per submission, in order. A new entry is inserted unless its
    id exists, so when two requests create the same id at once, the second finds the
    first's row and the usual update rules apply.
    """
    return _save(user, submissions)[0]


def save_entry(user, kind, payload):
    """Validate and store one entry; see save_entries."""
    return save_entries(user, [(kind, payload)])[0]


def sync_entries(user, submissions, cursor, limit):
    """Save a device's batch (see save_entries), then page through the user's changes
    after the device's cursor, this batch's included: (results, Changes).

    A device that had every change before this batch (the usual case) is answered with
    what the batch just stored, without asking the database again.
    """
    results, before = _save(user, submissions)
    if before is not None and cursor >= before:
        stored = {
            id(result.entry): (kind, result.entry)
            for (kind, _), result in zip(submissions, results, strict=True)
            if result.status in (CREATED, UPDATED)
        }
        entries = sorted(
            (pair for pair in stored.values() if pair[1].seq > cursor), key=lambda p: p[1].seq
        )
        if len(entries) <= limit:
            return results, Changes(entries, entries[-1][1].seq if entries else cursor, False)
    return results, changes_since(user, cursor, limit)


def changes_since(user, cursor, limit):
    """The user's entries of every kind changed after `cursor` (tombstones too), oldest
    change first, as (kind, entry) pairs.

    At most `limit` entries; `more` says whether others follow the returned cursor.
    One query finds the kinds that changed; only those are read.
    """
    params = {"user_id": user.id, "cursor": cursor, "limit": limit + 1}
    changed = db.session.execute(_KINDS_CHANGED, params).one()
    found = []
    for kind, has_changes in zip(ENTRY_KINDS, changed, strict=True):
        if has_changes:
            found += [(kind, row) for row in db.session.scalars(_CHANGES[kind], params)]
    found.sort(key=lambda pair: pair[1].seq)
    entries = found[:limit]
    return Changes(entries, entries[-1][1].seq if entries else cursor, len(found) > limit)


def _changed_after(model):
    return (model.user_id == bindparam("user_id")) & (model.seq > bindparam("cursor"))


# Built once, so that each request only binds its values.
_KINDS_CHANGED = select(
    *(exists().where(_changed_after(model)) for model, _ in ENTRY_KINDS.values())
)
_CHANGES = {
    kind: select(model).where(_changed_after(model)).order_by(model.seq).limit(bindparam("limit"))
    for kind, (model, _) in ENTRY_KINDS.items()
}


def dump_entry(kind, entry):
    """An entry in the format the sync API carries: its kind's fields, and the kind."""
    schema = _schema(kind)
    return schema.dump(entry) | {"kind": kind}


def _save(user, submissions):
    """Store a batch in one transaction: (results, the user's latest change number before
    it, or None for an empty batch).

    Whatever needs no database (validating new entries) is done before the transaction,
    so the write lock is held as briefly as the writing itself.
    """
    if not submissions:
        return [], None
    with validating_for(user):
        prepared = [_prepare(kind, payload) for kind, payload in submissions]
        with _one_writer():
            try:
                results, before = _apply_batch(user, prepared)
                db.session.commit()
            except OperationalError:
                raise  # the database busy: the whole batch comes again (a 503)
            except _UNSTORABLE:
                # One entry the database would not take, though it passed its schema:
                # each then goes on its own, so only that one is refused.
                db.session.rollback()
                log.warning("A batch of %d could not be stored whole", len(prepared),
                            exc_info=True)
                results, before = [_save_alone(user, entry) for entry in prepared], None
    return results, before


# What storing a valid entry may still raise: the database refusing a value, or the
# driver failing to send it.
_UNSTORABLE = (StatementError, ValueError, ArithmeticError)
NOT_STORED = {"entry": ["This entry could not be stored as it is. Check it, or leave it out."]}


def _save_alone(user, submission):
    """One entry of a batch that failed as a whole, in its own transaction (so the change
    numbers stay gap-free): its result, or refused if it fails on its own too."""
    try:
        [result], _ = _apply_batch(user, [submission])
        db.session.commit()
    except OperationalError:
        raise
    except _UNSTORABLE:
        db.session.rollback()
        log.warning("An entry of kind %s could not be stored", submission.kind, exc_info=True)
        return EntryResult(REJECTED, errors=NOT_STORED)
    return result


@dataclass
class _Submission:
    """One entry of a batch as far as it is known before the write: its kind, what was
    sent, the stored entry when this request already has it, and the fields it would
    have as a new entry (None when it is not a whole, valid entry on its own, or is
    checked in its turn)."""

    kind: str
    payload: dict
    existing: object = None
    whole: dict = None


# A note's check looks up the entry it is about, which the batch may store (or delete)
# before it: a note is checked in its turn, inside the write.
_CHECKED_IN_TURN = frozenset({"supervision_note"})


def _prepare(kind, payload):
    if _kind_errors(kind):
        return _Submission(kind, payload)
    model, _ = ENTRY_KINDS[kind]
    existing = _entry_in_session(model, payload)
    if existing is not None or kind in _CHECKED_IN_TURN:
        return _Submission(kind, payload, existing)
    try:
        return _Submission(kind, payload, whole=_schema(kind).load(payload))
    except ValidationError:
        return _Submission(kind, payload)


@contextmanager
def _one_writer():
    """On SQLite, batches take turns at writing through a lock file beside the database.

    SQLite has one writer at a time, and a writer that finds the database busy sleeps
    and tries again, for longer each time; under a steady stream of writes some wait
    far longer than the write they wait for. Waiting on the lock file instead, each one
    goes as soon as the one before is done. A request that has written already holds
    SQLite's lock and does not wait (waiting then could keep a writer that holds the
    file but waits for SQLite from going on). PostgreSQL queues writers itself.
    """
    path = _writer_lock_path(db.engine.url)
    if path is None or db.session.connection().connection.dbapi_connection.in_transaction:
        yield
        return
    lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)  # and with it, the lock


@cache
def _writer_lock_path(url):
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return f"{url.database}-writer"


def _apply_batch(user, prepared):
    """Stage a batch, numbering each change after the user's latest one; returns the
    results and that latest number."""
    reserved = len(prepared)
    before = _reserve_change_seq(user, reserved) - reserved
    numbers = _Numbers(before + 1)
    results = [_apply(user, submission, numbers) for submission in prepared]
    latest = numbers.next - 1
    if numbers.used < reserved:  # give back the numbers no change took
        db.session.execute(update(USERS).where(USERS.c.id == user.id).values(change_seq=latest))
    set_committed_value(user, "change_seq", latest)
    return results, before


class _Numbers:
    """The change numbers a batch reserved, taken in turn by the changes it stores."""

    def __init__(self, first):
        self.next, self.used = first, 0

    def take(self):
        number = self.next
        self.next, self.used = number + 1, self.used + 1
        return number


def _reserve_change_seq(user, count):
    """Hold the user's row until the transaction ends, and take `count` numbers after
    their latest change; returns the last of them.

    A second batch for the same user then waits until the first commits: its numbers
    come after the first's, and it compares `updated_at` with what the first stored.
    This is an UPDATE, not SELECT ... FOR UPDATE, because SQLite ignores that clause and
    takes its write lock only at a transaction's first write: reads made before then
    could already be stale. Writing first takes the lock before anything is read.
    """
    taken = db.session.connection().execute(_RESERVE, {"user_id": user.id, "count": count})
    return taken.scalar_one()


_RESERVE = (
    update(USERS)
    .where(USERS.c.id == bindparam("user_id"))
    .values(change_seq=USERS.c.change_seq + bindparam("count"))
    .returning(USERS.c.change_seq)
)


def _apply(user, submission, numbers):
    """Stage one entry in the session and say what will happen to it.

    A new entry (the usual case) costs one INSERT; its id is looked up only when the
    INSERT finds it taken, or when the payload is not a whole entry (an update that
    sends only what changed).
    """
    kind, payload, existing = submission.kind, submission.payload, submission.existing
    kind_errors = _kind_errors(kind)
    if kind_errors:
        return EntryResult(REJECTED, errors=kind_errors)
    model, _ = ENTRY_KINDS[kind]
    schema = _schema(kind)
    if existing is None:
        if submission.whole is not None:
            created = _create(user, model, submission.whole, numbers)
            if created is not None:
                return created
        existing = _stored_entry(model, payload)
    if existing is not None and existing.user_id != user.id:
        return EntryResult(REJECTED, errors=FOREIGN_ID_ERRORS)
    try:
        data = _load(schema, existing, payload)
    except ValidationError as error:
        return EntryResult(REJECTED, errors=error.normalized_messages())
    if existing is None:  # a new entry checked in its turn
        return _create(user, model, data, numbers) or EntryResult(
            REJECTED, errors=FOREIGN_ID_ERRORS)
    return _update(user, existing, data, numbers, schema)


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
    """Insert a new entry (its validated fields) unless its id is taken, by anyone: the
    result, or None when the id is taken."""
    values = _defaults(model) | data | {"user_id": user.id, "seq": numbers.next}
    if db.session.connection().execute(_insert_if_new(model), values).scalar() is None:
        return None
    numbers.take()
    # The row as stored, known to the session without reading it back.
    entry = model(**values)
    make_transient_to_detached(entry)
    db.session.add(entry)
    _follow_through(user, entry, was_marked=False)
    return EntryResult(CREATED, entry)


@cache
def _insert_if_new(model):
    """INSERT a row of the kind unless its id exists, answering with the id if it did not.

    Written out, because SQLAlchemy compiles its ON CONFLICT constructs anew on every
    use; this is compiled once. SQLite (3.35 and later) and PostgreSQL read it alike.
    """
    columns = model.__table__.columns
    names = ", ".join(f'"{column.name}"' for column in columns)
    values = ", ".join(f":{column.key}" for column in columns)
    # Names from the models only; every value is bound.
    statement = text(
        f'INSERT INTO "{model.__tablename__}" ({names}) VALUES ({values}) '  # noqa: S608
        "ON CONFLICT (id) DO NOTHING RETURNING id"
    )
    return statement.bindparams(*(bindparam(column.key, type_=column.type) for column in columns))


def _defaults(model):
    """Every column of a kind's table with the value a row gets when not given one."""
    return {key: _default_value(default) for key, default in _column_defaults(model)}


def _default_value(default):
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


@cache
def _column_defaults(model):
    return [(column.key, column.default) for column in model.__table__.columns]


def _update(user, existing, data, numbers, schema):
    if not _newer(schema, data, existing):
        return EntryResult(UNCHANGED, existing)
    was_marked = _marks_safety_session(existing)
    data.pop("created_at")  # an entry's creation time never moves
    for name, value in data.items():
        setattr(existing, name, value)
    existing.seq = numbers.take()
    _follow_through(user, existing, was_marked)
    return EntryResult(UPDATED, existing)


def _follow_through(user, entry, was_marked):
    """Tend checks in after a safety session (services.follow_ups): the follow-ups are
    planned when a check-in comes to mark one, and cancelled when it stops (the mark
    cleared, or the check-in deleted). Any other write asks nothing more of the database.
    """
    marked = _marks_safety_session(entry)
    if marked and not was_marked:
        follow_ups.plan_follow_ups(user, entry, utcnow())
    elif was_marked and not marked:
        follow_ups.cancel_follow_ups(user, entry)


def _marks_safety_session(entry):
    """Whether an entry is a live check-in marking a safety session."""
    return isinstance(entry, CheckIn) and bool(entry.safety_session) and not entry.deleted


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
def _schema(kind):
    """A kind's schema, built once: building one costs more than loading an entry with it."""
    _, schema_class = ENTRY_KINDS[kind]
    return schema_class()


def _entry_id(payload):
    """The entry id the payload gives, in its stored form; None when it gives no valid one
    (loading the whole payload will say what is wrong with it)."""
    given = payload.get("id")
    try:
        return str(uuid.UUID(given)) if isinstance(given, str) else None
    except ValueError:
        return None


def _entry_in_session(model, payload):
    """The entry with the payload's id if this request already has it (an entry changed
    from its page, or met earlier in the batch), without asking the database."""
    entry_id = _entry_id(payload)
    if entry_id is None:
        return None
    return db.session.identity_map.get(identity_key(model, entry_id))


def _stored_entry(model, payload):
    """The stored entry whose id the payload gives, or None (also when the id is not valid)."""
    entry_id = _entry_id(payload)
    return None if entry_id is None else db.session.get(model, entry_id)


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
