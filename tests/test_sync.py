"""The one writer of entries: idempotent ids, later-wins, tombstones, foreign ids, races."""
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import CheckIn, User
from webapp.services.accounts import register_user
from webapp.services.sync import (
    CREATED,
    FOREIGN_ID_ERRORS,
    REJECTED,
    UNCHANGED,
    UPDATED,
    save_entries,
    save_entry,
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
