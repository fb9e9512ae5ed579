"""The one writer of entries: idempotent ids, later-wins, tombstones, foreign ids, races."""
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import race
from webapp.extensions import db
from webapp.models import CheckIn, User
from webapp.services.accounts import register_user
from webapp.services.sync import (
    CREATED,
    FOREIGN_ID_ERRORS,
    REJECTED,
    UNCHANGED,
    UPDATED,
    Changes,
    changes_since,
    save_entries,
    save_entry,
    sync_entries,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def checkin(entry_id=None, at=T0, updated=None, **fields):
    """A check-in payload as a client would send it."""
    return {
        "id": entry_id or str(uuid.uuid4()),
        "created_at": at.isoformat(),
        "updated_at": (updated or at).isoformat(),
        "tank": 3,
        **fields,
    }


@pytest.fixture
def users(app):
    with app.app_context():
        yield (
            register_user("a@example.org", "password one two", "UTC"),
            register_user("b@example.org", "password one two", "UTC"),
        )


def rows(user_id=None):
    query = select(func.count()).select_from(CheckIn)
    if user_id is not None:
        query = query.where(CheckIn.user_id == user_id)
    return db.session.scalar(query)


def test_create_then_same_payload_is_unchanged(users):
    alice, _ = users
    payload = checkin()
    assert save_entry(alice, "checkin", payload).status == CREATED
    assert save_entry(alice, "checkin", payload).status == UNCHANGED
    assert rows() == 1


def test_later_update_wins_and_earlier_is_ignored(users):
    alice, _ = users
    entry_id = str(uuid.uuid4())
    save_entry(alice, "checkin", checkin(entry_id, tank=2))
    later = checkin(entry_id, updated=T0 + timedelta(minutes=5), tank=5, note="later")
    assert save_entry(alice, "checkin", later).status == UPDATED
    earlier = checkin(entry_id, updated=T0 + timedelta(minutes=1), tank=1)
    result = save_entry(alice, "checkin", earlier)
    assert result.status == UNCHANGED
    entry = db.session.get(CheckIn, entry_id)
    assert (entry.tank, entry.note) == (5, "later")
    assert entry.updated_at == T0 + timedelta(minutes=5)


@pytest.mark.parametrize("order", [(2, 4), (4, 2)])
def test_two_versions_with_the_same_time_end_the_same_whichever_comes_first(users, order):
    alice, _ = users
    entry_id = str(uuid.uuid4())
    save_entry(alice, "checkin", checkin(entry_id, tank=1))
    same_time = T0 + timedelta(minutes=5)
    for tank in order:
        save_entry(alice, "checkin", checkin(entry_id, updated=same_time, tank=tank))
    assert db.session.get(CheckIn, entry_id).tank == 4


def test_created_at_never_moves(users):
    alice, _ = users
    entry_id = str(uuid.uuid4())
    save_entry(alice, "checkin", checkin(entry_id))
    moved = checkin(entry_id, at=T0 + timedelta(hours=1), updated=T0 + timedelta(hours=2))
    save_entry(alice, "checkin", moved)
    assert db.session.get(CheckIn, entry_id).created_at == T0


def test_tombstone_is_an_update(users):
    alice, _ = users
    entry_id = str(uuid.uuid4())
    save_entry(alice, "checkin", checkin(entry_id))
    result = save_entry(
        alice, "checkin", checkin(entry_id, updated=T0 + timedelta(seconds=1), deleted=True)
    )
    assert result.status == UPDATED and db.session.get(CheckIn, entry_id).deleted


def test_times_keep_their_instant_across_offsets(users):
    alice, _ = users
    entry_id = str(uuid.uuid4())
    payload = checkin(entry_id)
    payload["created_at"] = payload["updated_at"] = "2026-11-02T04:00:00-05:00"
    save_entry(alice, "checkin", payload)
    db.session.expire_all()
    assert db.session.get(CheckIn, entry_id).created_at == T0


def test_foreign_id_is_rejected_without_a_trace(users):
    alice, bob = users
    entry_id = str(uuid.uuid4())
    save_entry(alice, "checkin", checkin(entry_id, note="alice's"))
    result = save_entry(bob, "checkin", checkin(entry_id, updated=T0 + timedelta(days=1)))
    assert result.status == REJECTED
    assert result.errors == FOREIGN_ID_ERRORS
    assert result.entry is None
    assert "alice" not in str(result.errors)
    assert db.session.get(CheckIn, entry_id).note == "alice's"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "nope"}, "id"),
        ({"id": None}, "id"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"created_at": "2026-11-02T09:00:00"}, "created_at"),  # no offset
        ({"updated_at": (T0 - timedelta(seconds=1)).isoformat()}, "updated_at"),
        ({"updated_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "updated_at"),
        ({"tank": None}, "tank"),
        ({"tank": 3.5}, "tank"),
        ({"tank": True}, "tank"),
        ({"work_share": 100.5}, "work_share"),
        ({"deleted": "perhaps"}, "deleted"),
        ({"note": 42}, "note"),
        ({"owner": "someone"}, "owner"),
        ({"user_id": 1}, "user_id"),
    ],
)
def test_invalid_payloads_are_rejected_with_field_errors(users, change, field):
    alice, _ = users
    result = save_entry(alice, "checkin", checkin() | change)
    assert result.status == REJECTED
    assert field in result.errors
    assert rows() == 0


def test_a_rejected_entry_does_not_stop_the_rest_of_a_batch(users):
    alice, _ = users
    results = save_entries(
        alice,
        [("checkin", checkin()), ("checkin", checkin(tank=9)), ("checkin", checkin())],
    )
    assert [r.status for r in results] == [CREATED, REJECTED, CREATED]
    assert rows(alice.id) == 2


def test_the_same_id_twice_in_one_batch_makes_one_row(users):
    alice, _ = users
    entry_id = str(uuid.uuid4())
    later = checkin(entry_id, updated=T0 + timedelta(minutes=1), tank=1)
    results = save_entries(alice, [("checkin", checkin(entry_id)), ("checkin", later)])
    assert [r.status for r in results] == [CREATED, UPDATED]
    assert rows() == 1 and db.session.get(CheckIn, entry_id).tank == 1


def test_two_requests_creating_the_same_id_at_once_make_one_row(app, users):
    """The loser of the race on the primary key replays as an update, not an error."""
    alice, _ = users
    entry_id = str(uuid.uuid4())
    outcome = {}

    def second_device():
        with app.app_context():
            user = db.session.get(User, alice.id)
            later = checkin(entry_id, updated=T0 + timedelta(minutes=1), tank=5)
            outcome["result"] = save_entry(user, "checkin", later)

    # The first device's insert is flushed but not yet committed when the second arrives.
    db.session.add(CheckIn(id=entry_id, user_id=alice.id, created_at=T0, updated_at=T0, tank=2))
    db.session.flush()
    racer = threading.Thread(target=second_device)
    racer.start()
    racer.join(timeout=0.5)
    assert racer.is_alive(), "the second insert should be waiting on the first"
    db.session.commit()
    racer.join(timeout=15)
    assert outcome["result"].status == UPDATED
    db.session.expire_all()
    assert rows() == 1 and db.session.get(CheckIn, entry_id).tank == 5


def test_each_stored_change_takes_the_next_number(users):
    alice, bob = users
    first, second = checkin(), checkin()
    save_entries(alice, [("checkin", first), ("checkin", second)])
    save_entries(bob, [("checkin", checkin())])
    save_entries(alice, [("checkin", first), ("checkin", second | {"tank": 9})])
    assert db.session.get(CheckIn, first["id"]).seq == 1
    later = checkin(second["id"], updated=T0 + timedelta(minutes=1), tank=1)
    save_entry(alice, "checkin", later)
    assert db.session.get(CheckIn, second["id"]).seq == 3
    assert (alice.change_seq, bob.change_seq) == (3, 1)


def test_changes_since_pages_through_a_users_changes_in_order(users):
    alice, bob = users
    ids = [checkin()["id"] for _ in range(3)]
    for entry_id in ids:
        save_entry(alice, "checkin", checkin(entry_id))
    save_entry(bob, "checkin", checkin())
    save_entry(alice, "checkin", checkin(ids[0], updated=T0 + timedelta(seconds=1), deleted=True))
    page = changes_since(alice, 0, 2)
    assert ([e.id for _, e in page.entries], page.cursor, page.more) == (ids[1:3], 3, True)
    page = changes_since(alice, page.cursor, 2)
    assert ([e.id for _, e in page.entries], page.cursor, page.more) == (ids[:1], 4, False)
    assert page.entries[0] == ("checkin", page.entries[0][1]) and page.entries[0][1].deleted
    assert changes_since(alice, 4, 2) == Changes([], 4, False)


def run_at_once(app, user_id, work, count):
    """Run `work(user)` on `count` threads at once, each with its own session."""

    def device():
        with app.app_context():
            work(db.session.get(User, user_id))

    assert race(device, count, timeout=60) == []


def test_batches_from_many_devices_at_once_number_changes_once_each(app, users):
    alice, _ = users

    def send_batches(user):
        for _ in range(3):
            save_entries(user, [("checkin", checkin()) for _ in range(4)])

    run_at_once(app, alice.id, send_batches, count=4)
    db.session.expire_all()
    seqs = db.session.scalars(select(CheckIn.seq).where(CheckIn.user_id == alice.id)).all()
    assert sorted(seqs) == list(range(1, 49))
    assert db.session.get(User, alice.id).change_seq == 48


def test_changes_to_one_entry_from_many_devices_at_once_keep_the_latest(app, users):
    """Each batch waits for the one before it, so none compares with a stale version."""
    alice, _ = users
    entry_id = str(uuid.uuid4())
    save_entry(alice, "checkin", checkin(entry_id))
    minutes = iter([3, 8, 1, 6, 2, 7, 5, 4])
    lock = threading.Lock()

    def change(user):
        with lock:
            minute = next(minutes)
        stamp = T0 + timedelta(minutes=minute)
        save_entry(user, "checkin", checkin(entry_id, updated=stamp, tank=1 + minute % 5))

    run_at_once(app, alice.id, change, count=8)
    db.session.expire_all()
    entry = db.session.get(CheckIn, entry_id)
    assert (entry.updated_at, entry.tank) == (T0 + timedelta(minutes=8), 4)


def test_a_device_that_had_every_change_hears_of_the_batch_as_the_database_tells_it(users):
    """sync_entries answers a current device from the batch itself; the answer is what
    reading the changes would give, for new, changed, repeated, unchanged and refused
    entries alike."""
    alice, bob = users
    kept = checkin()
    save_entries(alice, [("checkin", kept)])
    save_entries(bob, [("checkin", checkin())])
    cursor = alice.change_seq
    twice = checkin()
    batch = [
        ("checkin", twice),
        ("checkin", checkin(updated=T0 + timedelta(minutes=1))),
        ("checkin", kept),  # the same again: unchanged
        ("checkin", checkin(tank=9)),  # refused
        ("checkin", twice | {"updated_at": (T0 + timedelta(minutes=2)).isoformat(), "tank": 1}),
        ("break", {"id": str(uuid.uuid4())}),  # refused
    ]
    results, changes = sync_entries(alice, batch, cursor, 1000)
    assert [r.status for r in results] == [CREATED, CREATED, UNCHANGED, REJECTED, UPDATED, REJECTED]
    read = changes_since(alice, cursor, 1000)
    assert [(k, e.id, e.seq) for k, e in changes.entries] == [
        (k, e.id, e.seq) for k, e in read.entries]
    assert (changes.cursor, changes.more) == (read.cursor, read.more) == (alice.change_seq, False)
    assert [e.id for _, e in changes.entries] == [batch[1][1]["id"], twice["id"]]


def test_a_device_behind_or_ahead_gets_the_changes_the_database_has(users):
    alice, _ = users
    save_entries(alice, [("checkin", checkin()) for _ in range(3)])
    for cursor in (0, 2, 3, 50):
        results, changes = sync_entries(alice, [("checkin", checkin())], cursor, 2)
        assert results[0].status == CREATED
        read = changes_since(alice, cursor, 2)
        assert [(k, e.id) for k, e in changes.entries] == [(k, e.id) for k, e in read.entries]
        assert (changes.cursor, changes.more) == (read.cursor, read.more)


def test_a_request_that_has_written_is_not_kept_waiting_by_one_that_waits_for_it(app, users):
    """On SQLite, batches take turns through a lock file; one whose request already holds
    the database's write lock goes on, or the two would wait for each other (until the
    one waiting for the database gave up, 10 s later)."""
    alice, bob = users
    db.session.execute(update(User).where(User.id == alice.id).values(display_name="A"))
    waiting = {}

    def other_device():
        with app.app_context():
            user = db.session.get(User, bob.id)
            started = time.monotonic()
            waiting["result"] = save_entry(user, "checkin", checkin())
            waiting["seconds"] = time.monotonic() - started

    racer = threading.Thread(target=other_device)
    racer.start()
    racer.join(timeout=0.5)
    if db.engine.url.get_backend_name() == "sqlite":  # PostgreSQL locks rows, not the file
        assert racer.is_alive(), "the other batch should be waiting for this request's write"
    assert save_entry(alice, "checkin", checkin()).status == CREATED
    racer.join(timeout=15)
    assert waiting["result"].status == CREATED and waiting["seconds"] < 5
