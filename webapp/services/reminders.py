"""Reminders end to end: a person's plan as stored, claiming each due slot exactly once,
and sending it (or, gently, not).

`services.schedule` says when; this module reads and writes the database around it.
Any number of dispatchers may run at once: a slot becomes a `ReminderDelivery` row whose
(user, slot) key is unique, and only the dispatcher whose insert succeeded sends it.
"""
from datetime import time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import (
    CheckIn,
    PracticeDone,
    PushSubscription,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from webapp.services import schedule
from webapp.services.push import Action, Message, record_delivery, send, send_all, user_topic

SNOOZE = timedelta(minutes=30)
ACTIONS = (Action("checkin", "Check in"), Action("done", "Done"), Action("later", "Later"))
# A reminder still unseen when the next is due has missed its moment.
LONGEST_TTL = timedelta(hours=12)


def settings_for(user):
    """The user's reminder settings, created (off) on first use."""
    settings = db.session.get(ReminderSettings, user.id)
    if settings is None:
        settings = ReminderSettings(user_id=user.id)
        db.session.add(settings)
        db.session.flush()
    return settings


def plan_for(settings, timezone):
    """The schedule's view of stored settings."""
    return schedule.ReminderPlan(
        mode=settings.mode,
        timezone=timezone,
        practices=_split(settings.practices),
        workdays=frozenset(int(day) for day in _split(settings.workdays)),
        first_session=settings.first_session,
        session_minutes=settings.session_minutes,
        gap_minutes=settings.gap_minutes,
        last_session_end=settings.last_session_end,
        times=tuple(sorted(_times(settings.times))),
        end_of_day=settings.end_of_day,
        quiet_start=settings.quiet_start,
        quiet_end=settings.quiet_end,
        daily_cap=settings.daily_cap,
        paused_until=settings.paused_until,
        skip_if_checked_in_minutes=settings.skip_if_checked_in_minutes,
    )


def state_for(settings, last_checkin_at=None):
    """The schedule's view of what has happened so far."""
    return schedule.ReminderState(
        today=settings.sent_day,
        sent_today=settings.sent_today,
        ignored_in_a_row=settings.ignored_in_a_row,
        last_checkin_at=last_checkin_at,
        backoff_day=settings.backoff_day,
    )


def quieter_today(settings, user, now):
    """Whether back-off has thinned today's reminders (so the page can say so once)."""
    if settings.backoff_day is None:
        return False
    return schedule.is_backed_off(plan_for(settings, user.timezone), state_for(settings), now)


def reschedule(settings, user, now):
    """Point the settings at their next slot after `now` (none when reminders are off)."""
    slot = None
    if settings.enabled:
        slot = schedule.next_slot(plan_for(settings, user.timezone), now, state_for(settings))
    settings.next_due_at = slot.due if slot else None
    settings.next_slot_key = slot.key if slot else None


# Claiming --------------------------------------------------------------------------------


def claim_due(now, limit=1000):
    """Turn every slot due by `now` into a delivery row, once; return their ids to send.

    Each person's settings move on to their next slot with a compare-and-set on the slot
    key, and the delivery insert is guarded by the unique key: two dispatchers racing
    over the same person claim the slot once between them.
    """
    due = db.session.execute(
        select(ReminderSettings, User)
        .join(User, User.id == ReminderSettings.user_id)
        .where(ReminderSettings.enabled, ReminderSettings.next_due_at <= now)
        .order_by(ReminderSettings.next_due_at)
        .limit(limit)
    ).all()
    claimed = []
    for settings, user in due:
        delivery = _claim(settings, user, now)
        if delivery is not None:
            claimed.append(delivery.id)
    db.session.commit()
    return claimed


def _claim(settings, user, now):
    plan, state = plan_for(settings, user.timezone), state_for(settings)
    slot = schedule.next_slot(plan, settings.next_due_at - timedelta(seconds=1), state)
    following = schedule.next_slot(plan, max(now, settings.next_due_at), state)
    moved = db.session.execute(
        update(ReminderSettings)
        .where(
            ReminderSettings.user_id == settings.user_id,
            ReminderSettings.next_slot_key == settings.next_slot_key,
        )
        .values(
            next_due_at=following.due if following else None,
            next_slot_key=following.key if following else None,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1 or slot is None:
        return None  # another dispatcher moved this person on first
    try:
        with db.session.begin_nested():
            delivery = ReminderDelivery(
                user_id=user.id, slot_key=slot.key, due_at=slot.due, practice=slot.practice,
                slot_day=slot.day, slot_sequence=slot.sequence,
            )
            db.session.add(delivery)
        return delivery
    except IntegrityError:
        return None  # this slot was already claimed


# Sending ---------------------------------------------------------------------------------


def deliver(delivery_id, now, *, vapid, session, secret, url):
    """Send one claimed reminder to every device of its person, if it should still go.

    Returns the deliveries to try again as (subscription id, seconds) pairs. A delivery
    that is no longer pending (a retry, a second worker) is left alone.
    """
    delivery = db.session.get(ReminderDelivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return []
    user = db.session.get(User, delivery.user_id)
    settings = settings_for(user)
    plan = plan_for(settings, user.timezone)
    _note_unanswered(settings, plan, delivery, now)
    state = state_for(settings, _last_checkin(user))
    slot = schedule.Slot(
        delivery.due_at, delivery.slot_key, delivery.practice, delivery.slot_day,
        delivery.slot_sequence,
    )
    decision = schedule.decide(plan, state, slot, now)
    if decision != schedule.Decision.SEND:
        delivery.status = decision.value
        db.session.commit()
        return []
    delivery.status, delivery.sent_at = "sent", now
    _count_sent(settings, plan, now)
    db.session.commit()
    message = reminder_message(delivery, url)
    ttl = _ttl(settings, now)
    subscriptions = _subscriptions(user)
    results = send_all(
        subscriptions, message, ttl, "normal", user_topic(user.id, secret),
        vapid=vapid, session=session,
    )
    return [
        (subscription.id, result.retry_after)
        for subscription, result in zip(subscriptions, results, strict=True)
        if result.outcome == "retry"
    ]


def reminder_message(delivery, url):
    """The notification for a delivery: warm words, the three actions, what they need."""
    words = schedule.reminder_copy(delivery.practice, delivery.slot_sequence)
    return Message(
        title=words.title,
        body=words.body,
        tag=f"tend-reminder-{delivery.id}",
        url=url,
        # "Done" needs a practice to record; without one, only check in or later.
        actions=ACTIONS if delivery.practice else (ACTIONS[0], ACTIONS[2]),
        data={
            "delivery": delivery.id,
            "practice": delivery.practice,
            "later_url": f"/api/v1/reminders/{delivery.id}/later",
        },
    )


def snooze(user, delivery_id, now):
    """'Later': the same practice again in 30 minutes, as a slot of its own. False if unknown."""
    delivery = db.session.scalar(
        select(ReminderDelivery).where(
            ReminderDelivery.id == delivery_id, ReminderDelivery.user_id == user.id
        )
    )
    if delivery is None:
        return None
    delivery.acted = "later"
    settings = settings_for(user)
    settings.ignored_in_a_row = 0
    key = f"later:{delivery.slot_key}"
    exists = db.session.scalar(
        select(func.count()).where(
            ReminderDelivery.user_id == user.id, ReminderDelivery.slot_key == key
        )
    )
    if not exists:
        db.session.add(ReminderDelivery(
            user_id=user.id, slot_key=key, due_at=now + SNOOZE, practice=delivery.practice,
            slot_day=delivery.slot_day, slot_sequence=delivery.slot_sequence, status="snoozed",
        ))
    db.session.commit()
    return delivery


def snoozed_due(now):
    """Snoozed reminders whose half hour is up, made pending; returns their ids to send."""
    rows = db.session.scalars(
        select(ReminderDelivery).where(
            ReminderDelivery.status == "snoozed", ReminderDelivery.due_at <= now
        )
    ).all()
    woken = []
    for delivery in rows:
        moved = db.session.execute(
            update(ReminderDelivery)
            .where(ReminderDelivery.id == delivery.id, ReminderDelivery.status == "snoozed")
            .values(status="pending")
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            woken.append(delivery.id)
    db.session.commit()
    return woken


def deliver_again(delivery_id, subscription_id, attempt, *, vapid, session, secret, url):
    """Try one device again after a 429/5xx; returns the seconds to wait before the next
    try, or None when done (delivered, gone, refused, or nothing left to send)."""
    delivery = db.session.get(ReminderDelivery, delivery_id)
    subscription = db.session.get(PushSubscription, subscription_id)
    if delivery is None or subscription is None or delivery.status != "sent":
        return None
    settings = settings_for(db.session.get(User, delivery.user_id))
    result = send(
        subscription, reminder_message(delivery, url), _ttl(settings, delivery.sent_at),
        "normal", user_topic(delivery.user_id, secret),
        vapid=vapid, session=session, attempt=attempt,
    )
    record_delivery(subscription, result)
    return result.retry_after if result.outcome == "retry" else None


def _note_unanswered(settings, plan, delivery, now):
    """If the reminder sent before this one got no answer, count it as ignored.

    A practice marked done from it, or any check-in since it was sent, is an answer.
    """
    previous = db.session.scalar(
        select(ReminderDelivery)
        .where(
            ReminderDelivery.user_id == delivery.user_id,
            ReminderDelivery.status == "sent",
            ReminderDelivery.id != delivery.id,
        )
        .order_by(ReminderDelivery.sent_at.desc())
        .limit(1)
    )
    if previous is None or previous.acted is not None:
        return
    answer = _answer_to(previous)
    if answer:
        previous.acted = answer
        settings.ignored_in_a_row = 0
        return
    previous.acted = "ignored"
    state = schedule.note_ignored(plan, state_for(settings), now)
    if state.backoff_day != settings.backoff_day:
        settings.backoff_told = False
    settings.ignored_in_a_row, settings.backoff_day = state.ignored_in_a_row, state.backoff_day


def _answer_to(delivery):
    """'done' or 'checkin' when the person answered this reminder, else None."""
    done = db.session.scalar(
        select(func.count()).where(
            PracticeDone.user_id == delivery.user_id, PracticeDone.delivery == delivery.id
        )
    )
    if done:
        return "done"
    checked_in = db.session.scalar(
        select(func.count()).where(
            CheckIn.user_id == delivery.user_id, CheckIn.created_at >= delivery.sent_at
        )
    )
    return "checkin" if checked_in else None


def _count_sent(settings, plan, now):
    today = now.astimezone(plan.zone).date()
    if settings.sent_day != today:
        settings.sent_day, settings.sent_today = today, 0
    settings.sent_today += 1


def _ttl(settings, now):
    """Seconds the push may wait: until the next reminder, at most LONGEST_TTL."""
    limit = now + LONGEST_TTL
    until = min(settings.next_due_at or limit, limit)
    return max(int((until - now).total_seconds()), 60)


def _last_checkin(user):
    return db.session.scalar(
        select(func.max(CheckIn.created_at)).where(
            CheckIn.user_id == user.id, CheckIn.deleted.is_(False)
        )
    )


def _subscriptions(user):
    return db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user.id)
    ).all()


def _split(text):
    return tuple(part for part in (text or "").split(",") if part)


def _times(text):
    return (time.fromisoformat(part) for part in _split(text))
