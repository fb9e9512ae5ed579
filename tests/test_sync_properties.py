"""Property tests for the sync merge rules (services.sync.save_entries).

Two devices hold versions of the same entries and send them in any order, in any
batches, interleaved in any way. Whatever the order, the stored entries end the same
(converge), none is lost and none is stored twice.
"""
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import CheckIn, User
from webapp.services.sync import save_entries

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NAMESPACE = uuid.UUID("9f1c0f4e-2b9e-4c55-9a51-6a1d8c0e7b10")
FIELDS = ("tank", "note", "deleted", "work_share")

# One version of entry number `entry`: its time (a few minutes apart, so that two
# versions may share a time) and its content.
versions = st.builds(
    dict,
    entry=st.integers(0, 3),
    minute=st.integers(0, 5),
    tank=st.integers(1, 5),
    note=st.sampled_from([None, "tired", "a good session", "lunch outside"]),
    deleted=st.booleans(),
    work_share=st.one_of(st.none(), st.integers(0, 100)),
)


@st.composite
def deliveries(draw):
    """Versions, each held by device A, B or both; then two different arrival orders,
    each of the two devices' sequences cut into batches and interleaved."""
    held = draw(st.lists(st.tuples(versions, st.sampled_from(["A", "B", "AB"])),
                         min_size=1, max_size=12))
    orders = [draw(arrival(held)) for _ in range(2)]
    return [version for version, _ in held], orders


@st.composite
def arrival(draw, held):
    """One way the versions reach the server: a list of batches."""
    queues = {}
    for device in "AB":
        mine = [version for version, holders in held if device in holders]
        mine = draw(st.permutations(mine))
        cuts = sorted(draw(st.lists(st.integers(0, len(mine)), max_size=3)))
        bounds = [0, *cuts, len(mine)]
        queues[device] = [mine[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    batches = []
    while queues["A"] or queues["B"]:
        ready = [device for device in "AB" if queues[device]]
        batches.append(queues[draw(st.sampled_from(ready))].pop(0))
    return batches


def payload(version, owner):
    """A version as a device sends it: a whole check-in with its kind."""
    return {
        "id": str(uuid.uuid5(NAMESPACE, f"{owner}-{version['entry']}")),
        "created_at": START.isoformat(),
        "updated_at": (START + timedelta(minutes=version["minute"])).isoformat(),
        **{name: version[name] for name in FIELDS},
    }


def stored(user):
    """The user's check-ins by the entry number they were made from."""
    rows = db.session.scalars(select(CheckIn).where(CheckIn.user_id == user.id)).all()
    names = {str(uuid.uuid5(NAMESPACE, f"{user.id}-{n}")): n for n in range(4)}
    return {
        names[row.id]: (row.updated_at, *(getattr(row, name) for name in FIELDS))
        for row in rows
    }


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=deliveries())
def test_any_interleaving_from_two_devices_ends_in_the_same_entries(app, case):
    sent, orders = case
    with app.app_context():
        db.session.execute(CheckIn.__table__.delete())
        db.session.execute(User.__table__.delete())
        people = [User(email=f"p{n}@example.org", password_hash="-") for n in range(2)]
        db.session.add_all(people)
        db.session.commit()
        for person, batches in zip(people, orders, strict=True):
            for batch in batches:
                results = save_entries(
                    person, [("checkin", payload(version, person.id)) for version in batch]
                )
                assert all(result.status != "rejected" for result in results), results
        first, second = (stored(person) for person in people)
        assert first == second  # the same entries, whichever order they came in
        entries = {version["entry"] for version in sent}
        assert set(first) == entries  # none lost
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 2 * len(entries)
        for number, (updated_at, *_) in first.items():  # the latest version won
            latest = max(v["minute"] for v in sent if v["entry"] == number)
            assert updated_at == START + timedelta(minutes=latest)
