"""Reminders from plan to push: the settings page, claiming each slot exactly once (also
with dispatchers racing), sending through the fake push service, 'Later', and back-off."""
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, func, select

from tests.conftest import race
from tests.push_service import Answer
from tests.test_push_api import Phone
from webapp.extensions import db
from webapp.models import (
    CheckIn,
    PracticeDone,
    PushSubscription,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from webapp.services import reminders
from webapp.services.clock import utcnow
from webapp.services.push import RETRY, Delivery, VapidKey, push_session, record_deliveries

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


def form(**fields):
    """The settings form as the page posts it: fixed times every day, unless changed."""
    return {
        "enabled": "1", "mode": "fixed_times", "times": "9:00, 13:30",
        "workdays": [str(day) for day in range(7)], "practices": ["breaths", "water"],
    } | fields


def errors_in(response):
    return response.get_data(as_text=True)


def test_the_plan_is_saved_and_the_next_reminder_named(member):
    response = member.post("/reminders", form())
    assert response.status_code == 200
    assert "Saved. The next reminder comes" in response.get_data(as_text=True)
    with member.client.application.app_context():
        stored = db.session.scalar(select(ReminderSettings))
        assert (stored.enabled, stored.times, stored.practices) == (
            True, "09:00,13:30", "breaths,water"
        )
        assert stored.next_due_at is not None and stored.next_slot_key.startswith("fixed_times:")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"times": "25:00"}, "Write times like 9:00, 13:30 (24-hour clock)."),
        ({"times": ""}, "Needed for this kind of reminder."),
        ({"mode": "between_sessions", "first_session": "09:00"}, "Needed for this kind"),
        ({"mode": "between_sessions", "first_session": "17:00", "last_session_end": "09:00"},
         "The last session ends after the first begins."),
        ({"quiet_start": "21:00"}, "Give both ends of the quiet hours, or neither."),
        ({"quiet_start": "21:00", "quiet_end": "21:00"}, "Quiet hours end at another time"),
        ({"daily_cap": "0"}, "Between 1 and 24 a day, or leave it empty."),
        ({"daily_cap": "many"}, "Not a valid integer."),
        ({"skip_if_checked_in_minutes": "999"}, "Between 1 and 240 minutes"),
        ({"paused_until": "someday"}, "Not a valid date."),
        ({"practices": ["nap"]}, "Pick practices from the list."),
        ({"mode": "sometimes"}, "Choose when reminders come."),
    ],
)
def test_bad_plans_are_explained_next_to_the_field_and_nothing_saved(member, fields, message):
    response = member.post("/reminders", form(**fields))
    assert response.status_code == 422
    assert message in errors_in(response)
    with member.client.application.app_context():
        stored = db.session.scalar(select(ReminderSettings))
        assert stored is None or not stored.enabled


# A Monday morning, before the working day.
MONDAY_MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def preview_line(html):
    """The words of the plan's preview line."""
    found = re.search(r'id="plan-preview"[^>]*>(.*?)</p>', html, re.S) or re.search(
        r"\A(.*)\Z", html, re.S)
    return " ".join(found.group(1).split())


def test_a_newcomer_finds_a_working_plan_ready_and_sees_when_it_would_nudge(
    member, monkeypatch
):
    monkeypatch.setattr("webapp.reminders.pages.utcnow", lambda: MONDAY_MORNING)
    page = member.client.get("/reminders").get_data(as_text=True)
    for name, value in [("first_session", "09:00"), ("last_session_end", "17:00"),
                        ("session_minutes", "50"), ("gap_minutes", "10"),
                        ("quiet_start", "21:00"), ("quiet_end", "07:00"), ("daily_cap", "6")]:
        assert re.search(rf'name="{name}" value="{value}"', page), name
    assert re.search(r'value="between_sessions" checked', page)
    assert [day for day in range(7) if re.search(rf'value="{day}" checked', page)] == [
        0, 1, 2, 3, 4
    ]
    # Without JavaScript every way's times show (the script hides the others).
    assert page.count("data-mode=") == 3 and "<fieldset data-mode" in page
    assert " hidden" not in re.search(r'<fieldset data-mode="fixed_times"[^>]*>', page).group(0)
    assert preview_line(page) == (
        "Next reminders: Monday 23 November, 9:50 AM, 10:50 AM, 11:50 AM …"
    )


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        ({}, "Next reminders: Monday 23 November, 9:00 AM, 1:30 PM, Tuesday 24 November,"
             " 9:00 AM …"),
        ({"times": "7:30, 22:00", "quiet_start": "21:00", "quiet_end": "07:00"},
         # 22:00 falls in the quiet hours: it waits until they end.
         "Next reminders: Tuesday 24 November, 7:00 AM, 7:30 AM, Wednesday 25 November,"
         " 7:00 AM …"),
        ({"mode": "between_sessions", "first_session": "09:00", "last_session_end": "17:00",
          "daily_cap": "2"},
         "Next reminders: Monday 23 November, 9:50 AM, 10:50 AM, Tuesday 24 November,"
         " 9:50 AM …"),
        ({"times": ""}, "Fill in the times above to see when reminders would come."),
        ({"workdays": []}, "This plan brings no reminders in the next two weeks."),
    ],
)
def test_the_preview_follows_the_form_as_it_changes(member, monkeypatch, fields, line):
    monkeypatch.setattr("webapp.reminders.pages.utcnow", lambda: MONDAY_MORNING)
    response = member.post("/reminders/preview", form(**fields), htmx=True)
    assert response.status_code == 200
    assert preview_line(response.get_data(as_text=True)) == line
    with member.client.application.app_context():  # a preview stores nothing
        assert db.session.scalar(select(func.count()).select_from(ReminderSettings)) <= 1
        assert not db.session.scalar(select(ReminderSettings.enabled))


def test_the_page_needs_a_sign_in(client):
    assert client.get("/reminders").status_code == 302


# Claiming and sending ---------------------------------------------------------------------


def sign_up_for_reminders(app, member, push_service, at=NOON):
    """A member with one device and fixed-time reminders whose next slot is due at `at`."""
    device = Phone(member.client, push_service)
    assert device.subscribe().status_code == 201
    assert member.post("/reminders", form()).status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "sam@example.org"))
        settings = reminders.settings_for(user)
        slot_time = (at - timedelta(minutes=1)).astimezone(UTC)
        settings.times = slot_time.strftime("%H:%M")
        reminders.reschedule(settings, user, slot_time - timedelta(minutes=1))
        db.session.commit()
        assert settings.next_due_at == slot_time.replace(second=0, microsecond=0)
    return device


def sender_for(app):
    """What a worker sends with."""
    return {
        "vapid": VapidKey.from_config(app.config), "session": push_session(),
        "secret": app.secret_key, "url": app.config["PUBLIC_URL"] + "/",
    }


def send_due(app, now):
    """One dispatcher run followed by the sends, as the worker does."""
    with app.app_context():
        claimed = reminders.claim_due(now) + reminders.snoozed_due(now)
        sender = sender_for(app)
        retries = reminders.deliver(claimed, now, **sender)
        sender["session"].close()
    return claimed, retries


def test_a_due_reminder_is_pushed_once_with_its_three_actions(app, member, push_service):
    device = sign_up_for_reminders(app, member, push_service)
    claimed, _ = send_due(app, NOON)
    assert len(claimed) == 1
    [push] = push_service.delivered(device.browser)
    message = push.notification
    assert [action["action"] for action in message["data"]["actions"]] == [
        "checkin", "done", "later"
    ]
    assert message["data"]["practice"] in {"breaths", "water"}
    assert message["data"]["later_url"] == f"/api/v1/reminders/{message['data']['delivery']}/later"
    assert 60 <= int(push.headers["ttl"]) <= 12 * 3600
    assert push.headers["urgency"] == "high" and push.headers["topic"]
    assert "you missed" not in message["body"].lower()

    assert send_due(app, NOON + timedelta(seconds=30))[0] == []  # nothing twice
    assert len(push_service.delivered(device.browser)) == 1


def test_a_busy_device_gets_the_same_reminder_again_and_its_result_is_kept(
    app, member, push_service
):
    device = sign_up_for_reminders(app, member, push_service)
    push_service.answer(device.browser, Answer(429, retry_after="120"))
    claimed, retries = send_due(app, NOON)
    with app.app_context():
        subscription = db.session.scalar(select(PushSubscription))
        assert subscription.last_status == "failed: 429"
        assert retries == [(claimed[0], subscription.id, 120)]
        sender = sender_for(app)
        assert reminders.deliver_again(claimed[0], subscription.id, 2, **sender) is None
    with app.app_context():  # kept, not just held in the worker's session
        assert db.session.scalar(select(PushSubscription.last_status)) == "delivered"
    [push] = push_service.delivered(device.browser)
    assert push.notification["data"]["delivery"] == claimed[0]
    assert push.headers["urgency"] == "high"  # still for now


def test_a_batch_sends_to_each_person_once_and_skips_what_is_not_pending(
    app, member, push_service
):
    device = sign_up_for_reminders(app, member, push_service)
    with app.app_context():
        claimed = reminders.claim_due(NOON)
        sender = sender_for(app)
        # The same batch twice (a retried task, a second worker): the second sends nothing.
        assert reminders.deliver(claimed + claimed + [999_999], NOON, **sender) == []
        assert reminders.deliver(claimed, NOON, **sender) == []
    assert len(push_service.delivered(device.browser)) == 1


def test_a_claimed_reminder_whose_task_never_ran_is_sent_later_and_only_once(
    app, member, push_service
):
    device = sign_up_for_reminders(app, member, push_service)
    with app.app_context():
        claimed = reminders.claim_due(NOON)  # and then the worker died
        assert reminders.stalled(NOON + timedelta(minutes=1)) == []
        assert reminders.stalled(NOON + timedelta(minutes=2)) == claimed
        sender = sender_for(app)
        later = NOON + timedelta(minutes=2)
        reminders.deliver(reminders.stalled(later), later, **sender)
        # The first task turns up after all: nothing goes twice.
        reminders.deliver(claimed, later, **sender)
        assert reminders.stalled(later + timedelta(minutes=5)) == []
    [push] = push_service.delivered(device.browser)
    assert push.notification["data"]["delivery"] == claimed[0]


def test_a_reminder_that_missed_its_moment_is_not_sent_late(app, member, push_service):
    device = sign_up_for_reminders(app, member, push_service)
    with app.app_context():
        claimed = reminders.claim_due(NOON)
        reminders.deliver(claimed, NOON + timedelta(minutes=15), **sender_for(app))
        assert db.session.get(ReminderDelivery, claimed[0]).status == "skip_late"
        assert reminders.stalled(NOON + timedelta(minutes=20)) == []
    assert push_service.delivered(device.browser) == []


def test_racing_dispatchers_claim_each_slot_once(app, member, push_service):
    sign_up_for_reminders(app, member, push_service)
    claimed = []

    def dispatcher():
        with app.app_context():
            claimed.extend(reminders.claim_due(NOON))

    assert race(dispatcher) == []
    assert len(claimed) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReminderDelivery)) == 1


def test_each_dispatch_books_the_next_on_the_start_of_the_next_minute_once(
    app, monkeypatch
):
    # Huey's own minute counts from the worker's start; reminders go on the minute.
    import webapp.tasks

    moment = (datetime.now(UTC) + timedelta(days=1)).replace(second=41, microsecond=5)
    monkeypatch.setattr(webapp.tasks, "utcnow", lambda: moment)
    tasks = app.extensions["tend_tasks"]
    tasks["queue"].flush()  # what earlier tests' dispatches booked (one queue per process)
    tasks["dispatch"]()
    tasks["dispatch"]()  # a second worker, or Huey's tick: no second booking
    [booked] = tasks["queue"].scheduled()
    next_minute = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    assert booked.name == "dispatch_on_the_minute"
    assert booked.eta == next_minute.replace(tzinfo=None)  # Huey keeps UTC, naive

    # That dispatch uses up its booking and books the minute after.
    monkeypatch.setattr(webapp.tasks, "utcnow", lambda: next_minute)
    tasks["on_the_minute"].call_local(*booked.args)
    later = [task.eta for task in tasks["queue"].scheduled()]
    assert later == [booked.eta, booked.eta + timedelta(minutes=1)]
    assert tasks["queue"].get(booked.args[0], peek=True) is None


def test_a_recent_checkin_skips_the_reminder(app, member, push_service):
    device = sign_up_for_reminders(app, member, push_service)
    with app.app_context():
        settings = db.session.scalar(select(ReminderSettings))
        settings.skip_if_checked_in_minutes = 30
        db.session.add(CheckIn(
            id="0b8a4e7e-52f4-4c55-9a3c-6f5b7b0f2a11", user_id=settings.user_id,
            created_at=NOON - timedelta(minutes=10), updated_at=NOON - timedelta(minutes=10),
            tank=3,
        ))
        db.session.commit()
    claimed, _ = send_due(app, NOON)
    assert len(claimed) == 1
    assert push_service.delivered(device.browser) == []
    with app.app_context():
        assert db.session.scalar(select(ReminderDelivery.status)) == "skip_recent_checkin"


def test_later_sends_the_same_nudge_again_in_half_an_hour(app, member, push_service, monkeypatch):
    device = sign_up_for_reminders(app, member, push_service)
    send_due(app, NOON)
    delivery_id = push_service.delivered(device.browser)[0].notification["data"]["delivery"]
    monkeypatch.setattr("webapp.reminders.pages.utcnow", lambda: NOON + timedelta(minutes=1))
    answer = member.client.post(
        f"/api/v1/reminders/{delivery_id}/later", headers={"X-CSRFToken": device.token}
    )
    assert answer.status_code == 204
    assert send_due(app, NOON + timedelta(minutes=20))[0] == []
    claimed, _ = send_due(app, NOON + timedelta(minutes=31))
    assert len(claimed) == 1
    pushes = push_service.delivered(device.browser)
    assert len(pushes) == 2
    assert pushes[1].notification["data"]["practice"] == pushes[0].notification["data"]["practice"]


def test_later_on_someone_elses_reminder_is_404(app, member, other_member, push_service):
    device = sign_up_for_reminders(app, member, push_service)
    send_due(app, NOON)
    delivery_id = push_service.delivered(device.browser)[0].notification["data"]["delivery"]
    token = other_member.client.get("/api/v1/session").get_json()["csrf_token"]
    answer = other_member.client.post(
        f"/api/v1/reminders/{delivery_id}/later", headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 404
    signed_out = app.test_client().post(f"/api/v1/reminders/{delivery_id}/later")
    assert signed_out.status_code == 401


def test_three_ignored_reminders_make_the_day_quieter_and_the_next_page_says_so_once(
    app, member, push_service, monkeypatch
):
    device = sign_up_for_reminders(app, member, push_service)
    with app.app_context():
        settings = db.session.scalar(select(ReminderSettings))
        settings.times = "12:00,12:10,12:20,12:30,12:40,12:50,13:00"
        user = db.session.get(User, settings.user_id)
        reminders.reschedule(settings, user, NOON - timedelta(minutes=5))
        db.session.commit()
    for minutes in (0, 10, 20, 30):  # the fourth send notices the third one ignored
        send_due(app, NOON + timedelta(minutes=minutes))
    with app.app_context():
        settings = db.session.scalar(select(ReminderSettings))
        assert settings.backoff_day == NOON.date()
    assert len(push_service.delivered(device.browser)) == 4

    monkeypatch.setattr("webapp.reminders.pages.utcnow", lambda: NOON + timedelta(minutes=35))
    quieter = "they'll come less often for the rest of the day"
    page = member.client.get("/").get_data(as_text=True)  # whichever page comes next
    assert quieter in page.replace("&#39;", "'")
    for path in ("/", "/history", "/reminders"):
        assert "less often" not in member.client.get(path).get_data(as_text=True)


def test_a_practice_marked_done_answers_its_reminder(app, member, push_service):
    device = sign_up_for_reminders(app, member, push_service)
    with app.app_context():
        settings = db.session.scalar(select(ReminderSettings))
        settings.times = "12:00,12:10"
        reminders.reschedule(settings, db.session.get(User, settings.user_id),
                             NOON - timedelta(minutes=5))
        db.session.commit()
    send_due(app, NOON)
    delivery_id = push_service.delivered(device.browser)[0].notification["data"]["delivery"]
    with app.app_context():
        db.session.add(PracticeDone(
            id="6f1c1f3e-8a59-4d6e-9a55-1f0b5d9c7a10", user_id=settings.user_id,
            created_at=NOON, updated_at=NOON, practice="breaths", delivery=delivery_id,
        ))
        db.session.commit()
    send_due(app, NOON + timedelta(minutes=10))
    with app.app_context():
        first = db.session.get(ReminderDelivery, delivery_id)
        assert first.acted == "done"
        assert db.session.scalar(select(ReminderSettings.ignored_in_a_row)) == 0


def test_settings_times_are_kept_as_wall_times(app, member):
    member.post("/reminders", form(times="7:05, 21:40, 7:05"))
    with app.app_context():
        assert db.session.scalar(select(ReminderSettings.times)) == "07:05,21:40"
        assert time(7, 5) in reminders.plan_for(
            db.session.scalar(select(ReminderSettings)), "UTC"
        ).times


# Reminders that may not be reaching the person --------------------------------------------


def notice_on_check_in(member):
    """The check-in page's word about reminders: None when there is none, "" when it is
    there but hidden (this phone's own check may still show it), else what it says."""
    page = member.client.get("/").get_data(as_text=True)
    found = re.search(r'<p [^>]*id="reminders-off"[^>]*>(.*?)</p>', page, re.S)
    if found is None:
        return None
    return "" if " hidden>" in found.group(0).split("\n")[0] else " ".join(found.group(1).split())


def test_reminders_that_stop_reaching_any_device_are_named_on_the_check_in_page(
    app, member, push_service
):
    assert notice_on_check_in(member) is None  # reminders off: nothing to say
    sign_up_for_reminders(app, member, push_service)
    assert notice_on_check_in(member) == ""  # on, and nothing wrong yet
    claimed, _ = send_due(app, NOON)
    now = utcnow()
    with app.app_context():
        device = db.session.scalar(select(PushSubscription))
        assert now - timedelta(minutes=1) < device.last_delivered_at <= now
        # Reminders have gone out for four days; the last that reached a device, four
        # days ago.
        first = db.session.get(ReminderDelivery, claimed[0])
        first.sent_at = device.last_delivered_at = now - timedelta(days=4)
        db.session.add(ReminderDelivery(
            user_id=first.user_id, slot_key="fixed_times:yesterday", due_at=now - timedelta(days=1),
            slot_day=(now - timedelta(days=1)).date(), slot_sequence=1, status="sent",
            sent_at=now - timedelta(days=1), practice="water",
        ))
        db.session.commit()
    unheard = notice_on_check_in(member)
    assert "none has reached your phone in three days" in unheard
    assert "Check reminders" in unheard

    with app.app_context():  # one got through since
        db.session.scalar(select(PushSubscription)).last_delivered_at = now - timedelta(days=1)
        db.session.commit()
    assert notice_on_check_in(member) == ""

    with app.app_context():  # its push service forgot the phone (410): it was deleted
        db.session.execute(delete(PushSubscription))
        db.session.commit()
    assert "no phone is set to get them" in notice_on_check_in(member)


def test_a_failed_push_keeps_the_time_one_last_got_through(app, member, push_service):
    sign_up_for_reminders(app, member, push_service)
    send_due(app, NOON)
    with app.app_context():
        reached = db.session.scalar(select(PushSubscription.last_delivered_at))
        assert reached is not None
    with app.app_context():
        subscription = db.session.scalar(select(PushSubscription))
        record_deliveries([(subscription, Delivery(RETRY, 500, 60))])
        db.session.commit()
        stored = db.session.execute(
            select(PushSubscription.last_status, PushSubscription.last_delivered_at)
        ).one()
        assert tuple(stored) == ("failed: 500", reached)
