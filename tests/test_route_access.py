"""Every route, read from the app's own URL map: a person who is not signed in gets a
sign-in redirect or a 401, and another person gets a 404 for anything of someone
else's. A new route with a parameter this file does not know fails here until it is
added below, so no route escapes the check."""
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    Break,
    CheckIn,
    Circle,
    CircleBlock,
    CircleInvitation,
    CircleMember,
    DebriefRequest,
    Passkey,
    Practice,
    PracticeDone,
    Pulse,
    PushSubscription,
    Reflection,
    ReminderDelivery,
    SignIn,
    SupervisionNote,
    User,
)
from webapp.services.pulse import STATEMENT_KEYS
from webapp.services.reframes import REFRAMES

# Open to everyone: signing in and up, the support page, the app shell (the guard's
# rules with it), the API's description and the public push key. Nothing personal is
# behind any of them.
PUBLIC = {
    "static", "auth.register", "auth.sign_in", "auth.sign_in_challenge",
    "auth.sign_in_with_passkey", "support.crisis", "pwa.manifest", "pwa.service_worker",
    "pwa.offline", "pwa.offline_card", "pwa.offline_deleted", "pwa.guard_rules",
    "sync.openapi", "reminders.public_key",
}
# Parameters that name shared things, not anyone's data: the same for everyone.
SHARED = {("reflect.reframes", "key"), ("reflect.mark_helpful", "key"),
          ("checkins.update", "part"),
          # An invitation link opens its circle to whoever has it: that is what it is for
          # (tests/test_circles.py checks forged, used, expired and revoked ones).
          ("circles.join", "secret"), ("circles.accept", "secret")}
INVITATION = "sams-invitation-to-a-colleague"
SHARED_VALUES = {"key": None, "part": "tank", "secret": INVITATION}
PROBLEM = {"problem": "stuck on the plan", "whose": "mine", "currency": None, "cultures": None}


def routes(app):
    """(endpoint, rule, method) for every route but HEAD/OPTIONS."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, rule, method


@pytest.fixture
def owned(app, member):
    """One of everything for the member (Sam), by the URL parameter that names it."""
    now = datetime.now(UTC)
    entry = {"created_at": now, "updated_at": now}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "sam@example.org"))
        ids = {name: str(uuid.uuid4()) for name in ("checkin", "done", "reflection", "break",
                                                     "note", "pulse", "request")}
        rows = [
            CheckIn(id=ids["checkin"], user_id=user.id, tank=2, **entry),
            PracticeDone(id=ids["done"], user_id=user.id, practice="water", **entry),
            Reflection(id=ids["reflection"], user_id=user.id, problems=[PROBLEM], **entry),
            Break(id=ids["break"], user_id=user.id, first_day=date(2026, 8, 1),
                  last_day=date(2026, 8, 9), **entry),
            SupervisionNote(id=ids["note"], user_id=user.id, text="bring this", **entry),
            Pulse(id=ids["pulse"], user_id=user.id, week_start=date(2026, 11, 30),
                  answers=dict.fromkeys(STATEMENT_KEYS, 3), **entry),
            Practice(user_id=user.id, key="sams-own", name="Sam's own practice"),
        ]
        extra = [
            Passkey(user_id=user.id, credential_id="sams-key", public_key=b"\0", name="P"),
            PushSubscription(user_id=user.id, endpoint="https://push.example/sam", p256dh="k",
                             auth="a"),
            ReminderDelivery(user_id=user.id, slot_key="fixed_times:x", due_at=now,
                             slot_day=date.today(), slot_sequence=1, status="sent"),
        ]
        db.session.add_all(rows + extra)
        circle = Circle(name="Sam's circle", created_by=user.id)
        db.session.add(circle)
        db.session.flush()
        # Someone Sam blocked, and an invitation Sam made, in Sam's circle
        blocked = User(email="kim@example.org", password_hash="x")
        db.session.add(blocked)
        db.session.flush()
        circle_things = [
            CircleMember(circle_id=circle.id, user_id=user.id, name="Sam"),
            CircleMember(circle_id=circle.id, user_id=blocked.id, name="Kim"),
            CircleBlock(user_id=user.id, blocked_id=blocked.id),
            CircleInvitation(circle_id=circle.id, created_by=user.id,
                             digest=hashlib.sha256(INVITATION.encode()).hexdigest(),
                             expires_at=now + timedelta(days=7)),
            DebriefRequest(id=ids["request"], circle_id=circle.id, asker_id=user.id,
                           created_at=now),
        ]
        db.session.add_all(circle_things)
        db.session.commit()
        return {
            ("account", "sign_in_id"): db.session.scalar(
                select(SignIn.id).where(SignIn.user_id == user.id)),
            ("circles", "circle_id"): circle.id,
            ("circles", "member_id"): blocked.id,
            ("circles", "blocked_id"): blocked.id,
            ("circles", "invitation_id"): circle_things[3].id,
            ("circles", "request_id"): circle_things[4].id,
            ("checkins", "entry_id"): ids["checkin"],
            ("practices", "entry_id"): ids["done"],
            ("reflect", "entry_id"): ids["reflection"],
            ("reflect.delete_pulse", "entry_id"): ids["pulse"],
            ("care", "break_id"): ids["break"],
            ("care", "note_id"): ids["note"],
            ("practices", "key"): "sams-own",
            ("auth", "passkey_id"): extra[0].id,
            ("reminders", "subscription_id"): extra[1].id,
            ("reminders", "delivery_id"): extra[2].id,
        }


def url_for_rule(rule, endpoint, owned):
    """The rule's URL with Sam's things (or shared values) in its parameters."""
    values = {}
    for name in rule.arguments:
        area = endpoint.split(".")[0]
        if (endpoint, name) in SHARED:
            values[name] = SHARED_VALUES[name] or first_card()
        elif (endpoint, name) in owned:
            values[name] = owned[(endpoint, name)]
        elif (area, name) in owned:
            values[name] = owned[(area, name)]
        else:
            pytest.fail(f"{endpoint}: no value for <{name}>; add what it names to `owned`")
    return rule.build(values, append_unknown=False)[1]


def first_card():
    return REFRAMES[0].key


def token_for(client, path="/sign-in"):
    page = client.get(path).get_data(as_text=True)
    start = page.index('"X-CSRFToken": "') + len('"X-CSRFToken": "')
    return page[start:page.index('"', start)]


def test_nobody_signed_out_reaches_anything_personal(app, owned):
    client = app.test_client()
    token = token_for(client)  # a valid token, so the sign-in check is what answers
    checked = 0
    for endpoint, rule, method in routes(app):
        if endpoint in PUBLIC:
            continue
        url = url_for_rule(rule, endpoint, owned)
        response = client.open(url, method=method, headers={"X-CSRFToken": token})
        where = f"{method} {url} ({endpoint}) answered {response.status_code}"
        if url.startswith("/api/"):
            assert response.status_code == 401, where
        else:
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/sign-in"), where
        assert b"Sam" not in response.data and b"bring this" not in response.data, where
        checked += 1
    assert checked >= 40


def test_another_person_gets_404_for_everything_of_someone_elses(app, owned, other_member):
    token = token_for(other_member.client, "/")
    checked = 0
    for endpoint, rule, method in routes(app):
        personal = [name for name in rule.arguments if (endpoint, name) not in SHARED]
        if endpoint in PUBLIC or not personal:
            continue
        url = url_for_rule(rule, endpoint, owned)
        response = other_member.client.open(url, method=method, headers={"X-CSRFToken": token})
        assert response.status_code == 404, f"{method} {url} ({endpoint}): {response.status_code}"
        checked += 1
    assert checked >= 15
    with app.app_context():  # and nothing of Sam's changed
        assert db.session.scalar(select(SupervisionNote.text)) == "bring this"
        assert db.session.scalar(select(CheckIn.deleted)) is False
        assert db.session.scalar(select(Pulse.deleted)) is False
        assert db.session.scalar(select(Passkey.name)) == "P"


def test_the_public_routes_are_what_this_file_says(app):
    endpoints = {endpoint for endpoint, _, _ in routes(app)}
    assert endpoints >= PUBLIC, PUBLIC - endpoints  # none renamed away unnoticed
