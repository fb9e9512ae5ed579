"""After a safety session: the debrief the card offers, and the gentle checks a day and
three days later, planned where every entry is written and sent exactly once by the
reminder dispatcher, through the fake push service."""
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from tests.conftest import race
from tests.test_checkins import update
from tests.test_push_api import Phone
from tests.test_reminders import send_due
from tests.test_sync_api import Device, entry
from webapp.extensions import db
from webapp.models import CheckIn, ReminderDelivery, ReminderSettings, User
from webapp.services import follow_ups, reminders, schedule, sync
from webapp.services.reframes import SITUATIONS

# A safety session's check-in a few hours ago (the member's time zone is UTC): its
# follow-ups are due a day and three days on, at the same minute, still to come. It is
# made before 21:00, so that the hours around them (quiet hours, "later") stay on their
# day: two hours before a run just after midnight, they crossed into the next one.
_RECENT = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
SESSION_AT = (_RECENT if 1 <= _RECENT.hour < 21
              else _RECENT - timedelta(hours=(_RECENT.hour - 20) % 24))
DAY_ONE = SESSION_AT + timedelta(days=1)
DAY_THREE = SESSION_AT + timedelta(days=3)
MARK = {"safety_session": ["0", "1"]}  # the switch on, as the form sends it
UNMARK = {"safety_session": "0"}
DEBRIEF = "/reflect/reframes?situation=safety"


def the_user(email="sam@example.org"):
    return db.session.scalar(select(User).where(User.email == email))


def reminders_on(app, member, push_service, **plan):
    """The member's reminders on, with one phone. The plan sends no reminders of its own
    (fixed times, none given), so that only follow-ups go out, unless `plan` says so."""
    phone = Phone(member.client, push_service)
    assert phone.subscribe().status_code == 201
    with app.app_context():
        user = the_user()
        settings = reminders.settings_for(user)
        values = {"enabled": True, "mode": "fixed_times", "times": "", "workdays": "0,1,2,3,4,5,6",
                  "quiet_start": None, "quiet_end": None, "daily_cap": None,
                  "paused_until": None, "skip_if_checked_in_minutes": None}
        for name, value in (values | plan).items():
            setattr(settings, name, value)
        reminders.reschedule(settings, user, SESSION_AT)
        db.session.commit()
    return phone


def synced_checkin(member, at=SESSION_AT, **fields):
    """A check-in sent from the phone's outbox through the sync API; its id."""
    entry_id = str(uuid.uuid4())
    answer = Device(member.client).sync(entry(entry_id, at=at, **fields))
    assert [result["status"] for result in answer["results"]] == ["created"]
    return entry_id


def planned(app):
    """Every delivery as (slot key, status, due time), soonest first."""
    with app.app_context():
        rows = db.session.scalars(
            select(ReminderDelivery).order_by(ReminderDelivery.due_at, ReminderDelivery.slot_key)
        )
        return [(row.slot_key, row.status, row.due_at) for row in rows]


def waiting(entry_id, at=SESSION_AT):
    """The two follow-ups of a check-in made at `at` (UTC), both still to come."""
    return [(f"safety:{entry_id}:{days}", "follow_up", at + timedelta(days=days))
            for days in (1, 3)]


def pushes(push_service, phone):
    return [push.notification for push in push_service.delivered(phone.browser)]


# Planning and cancelling -------------------------------------------------------------------


def test_marking_a_safety_session_plans_a_check_a_day_and_three_days_on(app, member):
    _, entry_id = member.check_in()
    assert planned(app) == []  # a check-in without the mark plans nothing
    assert update(member, entry_id, "safety", MARK).status_code == 200
    with app.app_context():
        made = db.session.get(CheckIn, entry_id).created_at.replace(second=0, microsecond=0)
    assert planned(app) == waiting(entry_id, made)


def test_marking_again_never_doubles_them_and_clearing_cancels_those_not_sent(app, member):
    _, entry_id = member.check_in()
    update(member, entry_id, "safety", MARK)
    first = planned(app)
    update(member, entry_id, "safety", MARK)  # the same mark saved again
    assert planned(app) == first

    update(member, entry_id, "safety", UNMARK)
    assert [status for _, status, _ in planned(app)] == ["cancelled", "cancelled"]
    update(member, entry_id, "safety", {"clear": "1"})  # cleared twice: nothing changes
    assert [status for _, status, _ in planned(app)] == ["cancelled", "cancelled"]

    update(member, entry_id, "safety", MARK)  # marked again: the same two, back
    assert planned(app) == first


def test_deleting_the_checkin_cancels_them_and_undo_brings_them_back(app, member):
    _, entry_id = member.check_in()
    update(member, entry_id, "safety", MARK)
    first = planned(app)
    member.post(f"/checkins/{entry_id}/delete", htmx=True)
    assert [status for _, status, _ in planned(app)] == ["cancelled", "cancelled"]
    member.post(f"/checkins/{entry_id}/restore", htmx=True)
    assert planned(app) == first


def test_a_checkin_synced_from_the_phone_with_the_mark_plans_them_too(app, member):
    entry_id = synced_checkin(member, safety_session=True)
    assert planned(app) == waiting(entry_id)

    device = Device(member.client)
    device.sync({"kind": "checkin", "id": entry_id, "safety_session": False,
                 "updated_at": (SESSION_AT + timedelta(minutes=5)).isoformat()})
    assert [status for _, status, _ in planned(app)] == ["cancelled", "cancelled"]


def test_a_checkin_that_reaches_the_server_late_plans_only_what_is_still_ahead(app, member):
    two_days_ago = SESSION_AT - timedelta(days=2)
    entry_id = synced_checkin(member, at=two_days_ago, safety_session=True)
    assert planned(app) == waiting(entry_id, two_days_ago)[1:]
    synced_checkin(member, at=SESSION_AT - timedelta(days=4), safety_session=True)
    assert len(planned(app)) == 1  # an old one (an import, say) plans nothing at all


def test_a_deleted_checkin_arriving_with_the_mark_plans_nothing(app, member):
    synced_checkin(member, safety_session=True, deleted=True)
    assert planned(app) == []


def test_the_follow_ups_keep_the_wall_time_across_a_change_of_clocks(app, member):
    # New York springs forward on Sunday 14 March 2027: a day after Saturday 10:52 EST
    # is Sunday 10:52 EDT, 23 hours later (never "+24 h").
    with app.app_context():
        user = the_user()
        user.timezone = "America/New_York"
        session = datetime(2027, 3, 13, 15, 52, tzinfo=UTC)  # 10:52 EST
        checkin = CheckIn(id=str(uuid.uuid4()), created_at=session)
        follow_ups.plan_follow_ups(user, checkin, session)
        db.session.commit()
        dues = db.session.scalars(select(ReminderDelivery.due_at).order_by("due_at")).all()
    assert dues == [datetime(2027, 3, 14, 14, 52, tzinfo=UTC),
                    datetime(2027, 3, 16, 14, 52, tzinfo=UTC)]


def test_someone_elses_checkin_id_plans_nothing_for_anyone(app, member, other_member):
    _, entry_id = member.check_in()
    assert update(other_member, entry_id, "safety", {"safety_session": "1"}).status_code == 404
    answer = Device(other_member.client).sync(entry(entry_id, safety_session=True))
    assert [result["status"] for result in answer["results"]] == ["rejected"]
    assert planned(app) == []
    with app.app_context():
        assert db.session.get(CheckIn, entry_id).safety_session is False


# What a plain check-in costs ---------------------------------------------------------------


class Statements:
    """Every SQL statement the app sends while this is open."""

    def __init__(self, app):
        self.app, self.sent = app, []

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self.sent

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._note)

    def _note(self, conn, cursor, statement, parameters, context, executemany):
        self.sent.append(statement)


def test_a_plain_tap_and_its_extras_ask_nothing_more_of_the_database(
    app, member, monkeypatch
):
    member.fetch_token("/")
    steps = [("tap", None), ("share", {"work_share": "40"}), ("note", {"note": "ok"})]

    def statements(entry_id):
        counts = []
        with Statements(app) as sent:
            member.post("/checkins", {"id": entry_id, "tank": 3}, htmx=True)
            counts.append(len(sent))
            for part, data in steps[1:]:
                update(member, entry_id, part, data)
                counts.append(len(sent) - sum(counts))
        return counts, sent

    statements(str(uuid.uuid4()))  # the first card's parts are drawn once, then kept
    counts, sent = statements(str(uuid.uuid4()))
    assert not [statement for statement in sent if "reminder_deliveries" in statement]
    # The same steps with no follow-ups at all cost exactly as much.
    monkeypatch.setattr(sync, "_follow_through", lambda *args, **kwargs: None)
    assert statements(str(uuid.uuid4()))[0] == counts


def test_marking_costs_one_statement_and_a_marked_checkin_s_other_extras_none(app, member):
    _, entry_id = member.check_in()
    with Statements(app) as sent:
        update(member, entry_id, "safety", MARK)
    assert len([statement for statement in sent if "reminder_deliveries" in statement]) == 1
    with Statements(app) as sent:
        update(member, entry_id, "share", {"work_share": "80"})
    assert not [statement for statement in sent if "reminder_deliveries" in statement]


# Sending -----------------------------------------------------------------------------------


def test_each_follow_up_is_pushed_once_at_its_moment_with_urgency_high(
    app, member, push_service
):
    phone = reminders_on(app, member, push_service)
    synced_checkin(member, safety_session=True, note="Long call with R. about the bridge")
    assert send_due(app, DAY_ONE - timedelta(minutes=1))[0] == []

    claimed, _ = send_due(app, DAY_ONE)
    assert len(claimed) == 1
    [push] = push_service.delivered(phone.browser)
    shown = push.notification
    assert shown["title"] == "Thinking of you after yesterday"
    assert "minute for yourself" in shown["body"]
    assert [action["action"] for action in shown["data"]["actions"]] == ["checkin", "later"]
    assert shown["data"]["later_url"] == f"/api/v1/reminders/{claimed[0]}/later"
    assert shown["navigate"] == app.config["PUBLIC_URL"] + "/"  # the check-in
    assert push.headers["urgency"] == "high"
    assert 60 <= int(push.headers["ttl"]) <= follow_ups.TTL
    with app.app_context():  # its own Topic: a reminder waiting never replaces it
        assert push.headers["topic"] != reminders.user_topic(the_user().id, app.secret_key)
    words = f"{shown['title']} {shown['body']}".lower()
    for private in ("r.", "bridge", "safety", "risk", "client"):
        assert private not in words

    assert send_due(app, DAY_ONE + timedelta(seconds=30))[0] == []  # nothing twice
    assert send_due(app, DAY_THREE - timedelta(minutes=1))[0] == []
    send_due(app, DAY_THREE)
    assert [shown["title"] for shown in pushes(push_service, phone)] == [
        "Thinking of you after yesterday", "A few days on"
    ]
    assert [status for _, status, _ in planned(app)] == ["follow_up_sent"] * 2


def test_racing_dispatchers_send_a_follow_up_once(app, member, push_service):
    phone = reminders_on(app, member, push_service)
    synced_checkin(member, safety_session=True)
    assert race(lambda: send_due(app, DAY_ONE)) == []
    assert len(pushes(push_service, phone)) == 1
    assert [status for _, status, _ in planned(app)] == ["follow_up_sent", "follow_up"]


def test_follow_ups_leave_the_daily_cap_and_back_off_alone(app, member, push_service):
    # One reminder a day, ten minutes after the day-one follow-up: it still comes.
    nudge = DAY_ONE + timedelta(minutes=10)
    phone = reminders_on(app, member, push_service, times=nudge.strftime("%H:%M"), daily_cap=1)
    with app.app_context():
        reminders.reschedule(db.session.scalar(select(ReminderSettings)), the_user(),
                             DAY_ONE - timedelta(minutes=1))
        db.session.commit()
    synced_checkin(member, safety_session=True)
    send_due(app, DAY_ONE)
    send_due(app, nudge)
    titles = [shown["title"] for shown in pushes(push_service, phone)]
    assert titles[0] == "Thinking of you after yesterday" and len(titles) == 2
    with app.app_context():
        settings = db.session.scalar(select(ReminderSettings))
        assert (settings.sent_today, settings.ignored_in_a_row) == (1, 0)
        follow_up = db.session.scalar(
            select(ReminderDelivery).where(ReminderDelivery.status == "follow_up_sent"))
        assert follow_up.acted is None  # never taken for an ignored reminder


def test_later_on_a_follow_up_brings_it_back_and_clearing_the_mark_cancels_that(
    app, member, push_service, monkeypatch
):
    phone = reminders_on(app, member, push_service)
    entry_id = synced_checkin(member, safety_session=True)
    send_due(app, DAY_ONE)
    [first] = pushes(push_service, phone)
    monkeypatch.setattr("webapp.reminders.pages.utcnow", lambda: DAY_ONE)
    answer = member.client.post(first["data"]["later_url"], headers={"X-CSRFToken": phone.token})
    assert answer.status_code == 204
    send_due(app, DAY_ONE + timedelta(minutes=30))
    again = pushes(push_service, phone)[1]
    assert (again["title"], len(again["data"]["actions"])) == (first["title"], 2)

    answer = member.client.post(again["data"]["later_url"], headers={"X-CSRFToken": phone.token})
    assert answer.status_code == 204
    update(member, entry_id, "safety", UNMARK)
    send_due(app, DAY_ONE + timedelta(hours=1))
    assert len(pushes(push_service, phone)) == 2
    assert [status for key, status, _ in planned(app) if key.startswith("later:later:")] == [
        "cancelled"
    ]


def test_a_follow_up_due_in_quiet_hours_arrives_when_they_end(app, member, push_service):
    ends = DAY_ONE + timedelta(hours=2)
    phone = reminders_on(app, member, push_service,
                         quiet_start=(DAY_ONE - timedelta(hours=1)).time(), quiet_end=ends.time())
    synced_checkin(member, safety_session=True)
    send_due(app, DAY_ONE)
    assert pushes(push_service, phone) == []
    assert planned(app)[0][1:] == ("follow_up", ends)  # waiting, not dropped
    assert send_due(app, ends - timedelta(minutes=1))[0] == []
    send_due(app, ends)
    assert [shown["title"] for shown in pushes(push_service, phone)] == [
        "Thinking of you after yesterday"
    ]


def test_a_follow_up_due_while_reminders_are_paused_is_skipped(app, member, push_service):
    back = DAY_ONE.date() + timedelta(days=1)
    phone = reminders_on(app, member, push_service, paused_until=back)
    synced_checkin(member, safety_session=True)
    send_due(app, DAY_ONE)
    send_due(app, DAY_THREE)  # after the pause
    assert [shown["title"] for shown in pushes(push_service, phone)] == ["A few days on"]
    assert [status for _, status, _ in planned(app)] == ["skip_paused", "follow_up_sent"]


@pytest.mark.parametrize("settings", ["off", "never set up"])
def test_with_reminders_off_no_follow_up_is_sent(app, member, push_service, settings):
    phone = Phone(member.client, push_service)
    assert phone.subscribe().status_code == 201
    if settings == "off":
        with app.app_context():
            reminders.settings_for(the_user())  # there, and off
            db.session.commit()
    synced_checkin(member, safety_session=True)
    send_due(app, DAY_ONE)
    assert push_service.delivered(phone.browser) == []
    assert [status for _, status, _ in planned(app)] == ["skip_off", "follow_up"]


# The rules, without a database -------------------------------------------------------------


def plan(**fields):
    return schedule.ReminderPlan(**({"mode": "fixed_times", "timezone": "Europe/Berlin"} | fields))


MONDAY = date(2026, 11, 23)


def berlin(day, hour, minute=0):
    return schedule.to_utc(day, time(hour, minute), plan().zone)


@pytest.mark.parametrize(
    ("fields", "moment", "free"),
    [
        ({}, berlin(MONDAY, 23), berlin(MONDAY, 23)),
        # Quiet hours across midnight, before and after it.
        ({"quiet_start": time(21), "quiet_end": time(7)}, berlin(MONDAY, 23),
         berlin(MONDAY + timedelta(days=1), 7)),
        ({"quiet_start": time(21), "quiet_end": time(7)}, berlin(MONDAY, 6, 30),
         berlin(MONDAY, 7)),
        ({"quiet_start": time(21), "quiet_end": time(7)}, berlin(MONDAY, 7), berlin(MONDAY, 7)),
        ({"quiet_start": time(12), "quiet_end": time(13)}, berlin(MONDAY, 12, 59),
         berlin(MONDAY, 13)),
        # Between sessions: never inside one; a session on a day off does not hold it.
        ({"mode": "between_sessions", "first_session": time(9), "last_session_end": time(17)},
         berlin(MONDAY, 10, 20), berlin(MONDAY, 10, 50)),
        ({"mode": "between_sessions", "first_session": time(9), "last_session_end": time(17)},
         berlin(MONDAY, 10, 55), berlin(MONDAY, 10, 55)),
        ({"mode": "between_sessions", "first_session": time(9), "last_session_end": time(17),
          "workdays": frozenset({1, 2, 3, 4})}, berlin(MONDAY, 10, 20), berlin(MONDAY, 10, 20)),
        # Sessions from the person's calendar: a busy block holds it until its end.
        ({"mode": "between_sessions", "calendar": schedule.CalendarTimes(
            blocks=((berlin(MONDAY, 10, 5), berlin(MONDAY, 11, 35)),))},
         berlin(MONDAY, 10, 20), berlin(MONDAY, 11, 35)),
        ({"mode": "between_sessions", "calendar": schedule.CalendarTimes(
            blocks=((berlin(MONDAY, 10, 5), berlin(MONDAY, 11, 35)),))},
         berlin(MONDAY, 11, 35), berlin(MONDAY, 11, 35)),
        # Quiet hours that end inside a session: then the session's end.
        ({"mode": "between_sessions", "first_session": time(9), "last_session_end": time(17),
          "quiet_start": time(21), "quiet_end": time(9, 30)}, berlin(MONDAY, 8),
         berlin(MONDAY, 9, 50)),
    ],
)
def test_a_follow_up_waits_for_quiet_hours_and_sessions_to_end(fields, moment, free):
    assert schedule.free_from(plan(**fields), moment) == free


def test_the_words_count_the_days_since_the_session():
    assert follow_ups.follow_up_copy(1).title == "Thinking of you after yesterday"
    assert follow_ups.follow_up_copy(2).title == "Thinking of you"
    assert follow_ups.follow_up_copy(3).title == "A few days on"
    for days in (1, 2, 3):
        words = follow_ups.follow_up_copy(days)
        assert "missed" not in words.body and "should" not in words.body


# The card's offer --------------------------------------------------------------------------


def offer_shown(html):
    """Whether the card shows what follows a safety session (drawn on every card, hidden
    when it is not one)."""
    tag = re.search(r'<div class="after-safety"[^>]*>', html).group(0)
    return " hidden" not in tag


def test_the_card_offers_a_debrief_once_the_mark_is_saved_and_not_after_it_is_cleared(
    app, member
):
    response, entry_id = member.check_in()
    assert not offer_shown(response.get_data(as_text=True))

    page = update(member, entry_id, "safety", MARK).get_data(as_text=True)
    assert offer_shown(page)
    assert '<div class="after-safety" id="after-safety" hx-swap-oob="true">' in page
    assert f'href="{DEBRIEF}"' in page
    assert "A short debrief, just for you" in page

    assert not offer_shown(update(member, entry_id, "safety", UNMARK).get_data(as_text=True))


def test_without_javascript_the_page_after_the_save_offers_it(member):
    _, entry_id = member.check_in()
    member.fetch_token(f"/checkins/{entry_id}")
    response = update(member, entry_id, "safety", MARK, htmx=False)
    assert response.status_code == 302
    assert offer_shown(member.client.get(response.headers["Location"]).get_data(as_text=True))


def test_a_new_checkin_s_card_never_shows_the_offer_of_an_earlier_one(member):
    _, marked = member.check_in(tank=2)
    update(member, marked, "safety", MARK)
    for _ in range(2):  # the second card comes from the parts drawn for the first
        response, _ = member.check_in(tank=2)
        assert not offer_shown(response.get_data(as_text=True))


def test_the_card_kept_on_the_phone_has_the_offer_ready_but_hidden(client):
    assert not offer_shown(client.get("/offline/card").get_data(as_text=True))


def test_the_debrief_is_the_reframe_cards_for_after_a_safety_session(member):
    assert "safety" in SITUATIONS
    page = member.client.get(DEBRIEF).get_data(as_text=True)
    assert "After a safety session" in page and "Doing more was right today" in page
    script = member.client.get("/sw.js").get_data(as_text=True)
    assert f'"{DEBRIEF}"' in script  # kept on the phone with the other reflect tools
