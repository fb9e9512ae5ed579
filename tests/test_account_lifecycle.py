"""Changing the password (other devices are signed out) and deleting the account (no
row of the person is left anywhere)."""
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, or_, select

from tests.conftest import PASSWORD, Session
from webapp.extensions import db
from webapp.models import (
    Break,
    CalendarBlock,
    CalendarDayOff,
    CalendarFeed,
    CareNudge,
    CareSettings,
    Circle,
    CircleBlock,
    CircleInvitation,
    CircleMember,
    CircleSettings,
    DebriefAnswer,
    DebriefRequest,
    Passkey,
    Practice,
    PracticeDone,
    Pulse,
    PushSubscription,
    Reflection,
    ReframeMark,
    ReminderDelivery,
    ReminderSettings,
    RemovedDevice,
    SupervisionNote,
    User,
)
from webapp.services.sync import user_tag

NEW_PASSWORD = "a much newer passphrase"


def change_password(member, **fields):
    member.fetch_token("/account/password")
    form = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    return member.post("/account/password", form | fields)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"current_password": "not my password"}, "current_password",
     "That is not your current password."),
    ({"confirm": "something else entirely"}, "confirm", "The two new passwords are not the same."),
    ({"password": "short", "confirm": "short"}, "password", "Use at least 10 characters"),
    ({"current_password": ""}, "current_password", "Enter your current password."),
])
def test_a_password_change_that_cannot_be_made_says_why(app, member, fields, field, message):
    response = change_password(member, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error">{message}' in page
    assert NEW_PASSWORD not in page  # passwords are never sent back
    assert Session(app.test_client()).sign_in(password=PASSWORD).status_code == 302


def test_a_new_password_signs_out_every_other_device(app, member):
    laptop = Session(app.test_client())
    assert laptop.sign_in(remember="1").status_code == 302
    assert laptop.client.get("/").status_code == 200

    response = change_password(member)
    assert response.status_code == 302
    assert "Password changed." in member.client.get("/account").get_data(as_text=True)
    assert laptop.client.get("/").status_code == 302  # signed out, remember-me too
    assert Session(app.test_client()).sign_in(password=PASSWORD).status_code == 422
    assert Session(app.test_client()).sign_in(password=NEW_PASSWORD).status_code == 302


def test_the_password_pages_need_a_sign_in(client):
    assert client.get("/account/password").status_code == 302
    assert client.get("/account/delete").status_code == 302


def delete_account(member, password=PASSWORD):
    member.fetch_token("/account/delete")
    return member.post("/account/delete", {"password": password})


def rows_of(user_id):
    """How many rows, in every table, belong to this user: name them in any column that
    refers to a user (a circle's maker, a nudge's sender or receiver...)."""
    counts = {}
    for table in db.metadata.sorted_tables:
        columns = [table.c.id] if table.name == "users" else [
            column for column in table.c
            if any(key.column.table.name == "users" for key in column.foreign_keys)
        ]
        if columns:
            counts[table.name] = db.session.scalar(
                select(func.count()).select_from(table)
                .where(or_(*(column == user_id for column in columns)))
            )
    return counts


def fill_account(app, email):
    """A row of every kind for the person with this email; their id."""
    now = datetime.now(UTC)
    entry = {"created_at": now, "updated_at": now}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.add_all([
            PushSubscription(user_id=user.id, endpoint=f"https://push.example/{email}",
                             p256dh="k", auth="a"),
            RemovedDevice(endpoint_digest=uuid.uuid4().hex, user_id=user.id),
            ReminderSettings(user_id=user.id, enabled=True),
            ReminderDelivery(user_id=user.id, slot_key="fixed_times:x", due_at=now,
                             slot_day=date.today(), slot_sequence=1),
            PracticeDone(id=str(uuid.uuid4()), user_id=user.id, practice="water", **entry),
            Reflection(id=str(uuid.uuid4()), user_id=user.id, problems=[], **entry),
            SupervisionNote(id=str(uuid.uuid4()), user_id=user.id, text="bring", **entry),
            Break(id=str(uuid.uuid4()), user_id=user.id, first_day=date(2026, 8, 1),
                  last_day=date(2026, 8, 14), **entry),
            ReframeMark(id=str(uuid.uuid4()), user_id=user.id, card="small-steps", **entry),
            Pulse(id=str(uuid.uuid4()), user_id=user.id, week_start=date(2026, 11, 23),
                  answers={"gave_back": 3}, **entry),
            Practice(user_id=user.id, key="own-1", name="Feed the ducks"),
            CareSettings(user_id=user.id, supervision_on=date(2026, 12, 3)),
            Passkey(user_id=user.id, credential_id=f"key-{email}", public_key=b"\0",
                    name="Phone"),
            CalendarFeed(user_id=user.id, address="https://calendar.example/secret.ics"),
            CalendarBlock(user_id=user.id, starts_at=now, ends_at=now),
            CalendarDayOff(user_id=user.id, day=date(2026, 12, 24)),
            CircleSettings(user_id=user.id, nudges="quiet"),
        ])
        # A circle of the person's own with a friend in it, and one thing of every kind
        friend = User(email=f"friend-of-{email}", password_hash="x")
        circle = Circle(name="Peers", created_by=user.id)
        db.session.add_all([friend, circle])
        db.session.flush()
        request_id, friends_request = str(uuid.uuid4()), str(uuid.uuid4())
        db.session.add_all([
            CircleMember(circle_id=circle.id, user_id=user.id, name="Me"),
            CircleMember(circle_id=circle.id, user_id=friend.id, name="Friend"),
            CircleInvitation(circle_id=circle.id, digest=uuid.uuid4().hex * 2,
                             created_by=user.id, expires_at=now),
            CircleBlock(user_id=user.id, blocked_id=friend.id),
            CareNudge(id=str(uuid.uuid4()), circle_id=circle.id, sender_id=user.id,
                      recipient_id=friend.id, message="proud"),
            DebriefRequest(id=request_id, circle_id=circle.id, asker_id=user.id),
            DebriefRequest(id=friends_request, circle_id=circle.id, asker_id=friend.id),
        ])
        db.session.flush()
        db.session.add(
            DebriefAnswer(id=str(uuid.uuid4()), request_id=friends_request, user_id=user.id)
        )
        db.session.commit()
        return user.id, user_tag(user, app.secret_key)


def test_deleting_the_account_leaves_no_row_of_it_anywhere(app, member, other_member):
    member.check_in()
    user_id, tag = fill_account(app, "sam@example.org")
    other_id, _ = fill_account(app, "alex@example.org")
    with app.app_context():
        before = rows_of(user_id)
        kept = rows_of(other_id)
    assert all(before.values()), before  # a row in every table that has user rows

    response = delete_account(member)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Your account is deleted" in page
    assert f'data-forget="{tag}"' in page  # the phone clears its outbox and kept pages
    with app.app_context():
        assert set(rows_of(user_id).values()) == {0}, rows_of(user_id)
        assert rows_of(other_id) == kept  # nobody else's
    assert member.client.get("/").status_code == 302  # signed out
    assert Session(app.test_client()).sign_in().status_code == 422  # the account is gone


def test_a_wrong_password_deletes_nothing(app, member):
    user_id, _ = fill_account(app, "sam@example.org")
    with app.app_context():
        before = rows_of(user_id)
    response = delete_account(member, password="not my password")
    assert response.status_code == 422
    assert 'id="password-error">That is not your current password.' in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert rows_of(user_id) == before
