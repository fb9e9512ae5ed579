"""Property tests for the peer circle's rules (services.circles), on SQLite and PostgreSQL.

Any sequence of invitations, joins, revocations, leaves, removals, blocks and nudges
among a few people ends where a small model of the rules says it should: a circle never
holds more than its limit, an invitation lets one person in at most, only the circle's
maker removes anyone, nudges go only between members within the day's limits, and
nothing from a blocked person reaches the one who blocked them. The limit is lowered
to three here, so that short sequences reach it.
"""
import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CareNudge, Circle, CircleInvitation, CircleMember, User
from webapp.services import circles

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PEOPLE = 5
LIMIT = 3
person = st.integers(0, PEOPLE - 1)
operations = st.lists(
    st.tuples(
        # joining weighs most: a circle has to fill before its limit is tried
        st.sampled_from(["invite", "invite", "join", "join", "join", "revoke", "leave",
                         "remove", "block", "nudge", "nudge"]),
        person, person,
    ),
    min_size=20,
    max_size=50,
)


class Model:
    """What the rules say, kept in plain Python beside the database."""

    def __init__(self):
        self.members = {0}
        self.invitations = []  # [used or revoked?]
        self.blocks = set()
        self.sent = {}  # (sender, recipient) -> nudges today
        self.exists = True

    def total_sent(self, sender):
        return sum(count for (who, _), count in self.sent.items() if who == sender)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_sequence_keeps_the_circle_rules(app, steps, monkeypatch):
    monkeypatch.setattr(circles, "MAX_MEMBERS", LIMIT)
    with app.app_context():
        for table in ("circles", "circle_blocks", "users"):
            db.session.execute(db.metadata.tables[table].delete())
        people = [User(email=f"p{n}@example.org", password_hash="-") for n in range(PEOPLE)]
        db.session.add_all(people)
        db.session.commit()
        ids = [user.id for user in people]
        circle_id = circles.create_circle(people[0], "Peers", "P0").id
        model, secrets = Model(), []
        for step in steps:
            run_step(step, people, ids, circle_id, model, secrets)
            members = set(db.session.scalars(
                select(CircleMember.user_id).where(CircleMember.circle_id == circle_id)))
            assert members == {ids[n] for n in model.members} if model.exists else not members
            assert len(members) <= LIMIT
            assert (db.session.get(Circle, circle_id) is not None) == model.exists
        for blocker, blocked in model.blocks:  # nothing from the blocked reaches the blocker
            shown = circles.nudges_for(people[blocker], NOW, seen=False)
            assert all(nudge.sender_id != ids[blocked] for nudge, _, _ in shown)


def run_step(step, people, ids, circle_id, model, secrets):
    """One step; people are picked among the members (by index, in turn) for everything
    but joining, which anyone may try with any link made so far."""
    kind, first, second = step
    members = sorted(model.members) if model.exists else []
    if kind == "join":
        join(people[first], first, second, model, secrets)
        return
    if not members:
        assert circles.find_circle(people[first], circle_id) is None
        return
    who, other = members[first % len(members)], members[second % len(members)]
    user = people[who]
    circle = circles.find_circle(user, circle_id)
    assert circle is not None
    if kind == "invite":
        invitation, secret = circles.invite(user, circle, NOW)
        secrets.append((invitation.id, secret))
        model.invitations.append(False)
    elif kind == "revoke":
        if secrets:
            index = second % len(secrets)
            taken = circles.revoke(user, circle, secrets[index][0], NOW)
            allowed = who == 0 or _maker(secrets[index][0]) == user.id
            assert taken == (allowed and not model.invitations[index])
            model.invitations[index] = model.invitations[index] or taken
    elif kind == "leave":
        circles.leave(user, circle)
        model.members.discard(who)
        model.exists = bool(model.members)
    elif kind == "remove":
        removed = circles.remove(user, circle, ids[other])
        assert removed == (who == 0 and other != 0)
        model.members -= {other} if removed else set()
    elif kind == "block":
        blocked = circles.block(user, circle, ids[other])
        assert blocked == (other != who)
        if blocked:
            model.blocks.add((who, other))
    else:
        nudge(user, who, circle, other, ids, model)


def join(user, who, index, model, secrets):
    if not secrets:
        return
    index %= len(secrets)  # one of the links made so far
    member_before = model.exists and who in model.members
    try:
        circles.join(user, secrets[index][1], f"P{who}", NOW)
    except circles.Refused:
        joined = False
    else:
        joined = True
    # A member following any link to their own circle is simply in it
    can = member_before or (model.exists and not model.invitations[index]
                            and len(model.members) < LIMIT)
    assert joined == can, (who, index, model.members, model.invitations)
    if joined and not member_before:
        model.members.add(who)
        model.invitations[index] = True


def nudge(user, who, circle, to, ids, model):
    try:
        sent = circles.send_nudge(user, circle, str(uuid.uuid4()), ids[to], "proud", NOW)
    except circles.Refused:
        sent = None
    can = (to != who
           and model.sent.get((who, to), 0) < circles.NUDGES_TO_ONE_A_DAY
           and model.total_sent(who) < circles.NUDGES_A_DAY)
    assert (sent is not None) == can
    if sent is not None:
        model.sent[(who, to)] = model.sent.get((who, to), 0) + 1
        assert (sent.status == "dropped") == ((to, who) in model.blocks)


def _maker(invitation_id):
    return db.session.get(CircleInvitation, invitation_id).created_by


def test_nudges_counted_are_the_senders_own(app):
    """The day's limits count what one person sent, never another's nudges."""
    with app.app_context():
        people = [User(email=f"q{n}@example.org", password_hash="-") for n in range(3)]
        db.session.add_all(people)
        db.session.commit()
        circle = circles.create_circle(people[0], "Peers", "Q0")
        for other in people[1:]:
            db.session.add(CircleMember(circle_id=circle.id, user_id=other.id, name="Q"))
        db.session.commit()
        for _ in range(circles.NUDGES_TO_ONE_A_DAY):
            circles.send_nudge(people[1], circle, str(uuid.uuid4()), people[0].id, "here", NOW)
        sent = circles.send_nudge(people[2], circle, str(uuid.uuid4()), people[0].id, "here", NOW)
        assert sent.status == "pending"
        assert db.session.scalar(select(db.func.count()).select_from(CareNudge)) == 4
