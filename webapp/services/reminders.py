"""Reminders end to end: a person's plan as stored, claiming each due slot exactly once,
and sending it (or, gently, not).

`services.schedule` says when; this module reads and writes the database around it.
Any number of dispatchers may run at once: a slot becomes a `ReminderDelivery` row whose
(user, slot) key is unique, and only the dispatcher whose insert succeeded sends it.
"""
from datetime import datetime, time, timedelta
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import (
    CareSettings,
    CheckIn,
    PracticeDone,
    PushSubscription,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from webapp.services import follow_ups, schedule
from webapp.services.calendar_feeds import calendar_times
from webapp.services.care import notes_to_bring
from webapp.services.practices import added_practice_names
from webapp.services.push import (
    Action,
    Message,
    record_deliveries,
    send,
    send_each,
    user_topic,
)

SNOOZE = timedelta(minutes=30)
# A claimed reminder still pending this long after its claim is queued again.
STALLED = timedelta(minutes=2)
ACTIONS = (Action("checkin", "Check in"), Action("done", "Done"), Action("later", "Later"))
# A reminder still unseen when the next is due has missed its moment.
LONGEST_TTL = timedelta(hours=12)
# Reminders going out this long with none reaching any device: something is wrong there.
UNHEARD_FOR = timedelta(days=3)
# Why reminders may not be reaching a person (see standing).
NO_DEVICE, NOT_REACHING = "no_device", "not_reaching"
# What a delivery that went out is marked: a reminder, or a follow-up after a safety session.
SENT_STATUSES = ("sent", follow_ups.SENT)
# A reminder is for now: Android holds back pushes below "high" while the phone dozes,
# sometimes until the moment has passed. (The note about tomorrow's supervision can wait.)
DUE_URGENCY = "high"


# What the reminders page offers a newcomer: a working day of 50-minute sessions, quiet
# evenings and nights, and a few nudges a day at most.
FIRST_PLAN = {
    "mode": "between_sessions", "workdays": "0,1,2,3,4", "first_session": time(9, 0),
    "session_minutes": 50, "gap_minutes": 10, "last_session_end": time(17, 0),
    "quiet_start": time(21, 0), "quiet_end": time(7, 0), "daily_cap": 6,
}
PREVIEW_COUNT = 3


def settings_for(user):
    """The user's reminder settings, created (off, with FIRST_PLAN) on first use."""
    settings = db.session.get(ReminderSettings, user.id)
    if settings is None:
        settings = ReminderSettings(user_id=user.id, **FIRST_PLAN)
        db.session.add(settings)
        db.session.flush()
    return settings


def plan_for(settings, timezone):
    """The schedule's view of stored settings."""
    return schedule.ReminderPlan(
        mode=settings.mode,
        timezone=timezone,
        practices=_split(settings.practices),
        workdays=planned_workdays(settings),
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
        calendar=calendar_times(settings.user_id) if _follows_calendar(settings) else None,
    )


def _follows_calendar(settings):
    return bool(settings.use_calendar) and settings.mode == "between_sessions"


def planned_workdays(settings):
    """The weekdays (Monday is 0) a reminder plan names as workdays."""
    return frozenset(int(day) for day in _split(settings.workdays))


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


def tell_if_quieter(user, now):
    """Whether to tell the person that reminders went quieter today: once, on the first
    page they open after back-off began."""
    settings = db.session.get(ReminderSettings, user.id)
    if settings is None or settings.backoff_told or not quieter_today(settings, user, now):
        return False
    settings.backoff_told = True
    db.session.commit()
    return True


def standing(user, now):
    """(Whether the person has reminders on, why they may not be reaching them or None).

    NO_DEVICE: no device is left to send them to (its push service forgot it, or it was
    removed). NOT_REACHING: they have been going out for UNHEARD_FOR, and none has
    reached a device in that time.
    """
    settings = db.session.get(ReminderSettings, user.id)
    if settings is None or not settings.enabled:
        return False, None
    return True, _why_unheard(user, now)


def _why_unheard(user, now):
    devices = db.session.execute(
        select(func.count(), func.max(PushSubscription.last_delivered_at))
        .where(PushSubscription.user_id == user.id)
    ).one()
    if devices[0] == 0:
        return NO_DEVICE
    since = now - UNHEARD_FOR
    if devices[1] is not None and devices[1] > since:
        return None
    sent = select(ReminderDelivery.id).where(
        ReminderDelivery.user_id == user.id, ReminderDelivery.status == "sent"
    )
    going_that_long = db.session.scalar(
        select(sent.where(ReminderDelivery.sent_at <= since).exists())
    )
    going_still = db.session.scalar(select(sent.where(ReminderDelivery.sent_at > since).exists()))
    return NOT_REACHING if going_that_long and going_still else None


def save_plan(user, data, now):
    """Store a plan as ReminderSettingsSchema loaded it and point it at its next slot."""
    settings = settings_for(user)
    _write_plan(settings, data)
    reschedule(settings, user, now)
    db.session.commit()
    return settings


def upcoming(settings, user, now):
    """The next few reminders (Slots) the stored plan brings, whether or not it is on;
    None when it is not a whole plan yet."""
    try:
        plan = plan_for(settings, user.timezone)
    except ValueError:  # a mode without its times, say
        return None
    return schedule.upcoming(plan, now, PREVIEW_COUNT)


def preview(user, data, now):
    """The next few reminders (Slots) a plan as ReminderSettingsSchema loaded it would
    bring, whether or not it is on; nothing is stored."""
    settings = ReminderSettings(user_id=user.id)  # never added to the session
    _write_plan(settings, data)
    return schedule.upcoming(plan_for(settings, user.timezone), now, PREVIEW_COUNT)


def _write_plan(settings, data):
    """Loaded plan fields onto settings (lists as comma-separated text)."""
    for name, value in data.items():
        if name == "times":
            value = ",".join(moment.strftime("%H:%M") for moment in value or ())
        elif isinstance(value, list | tuple | set | frozenset):
            value = ",".join(str(item) for item in value)
        setattr(settings, name, value)


def replan(user_id, now):
    """Point a person's reminders at their next slot again, after something their plan
    reads changed (their calendar); the caller commits."""
    settings = db.session.get(ReminderSettings, user_id)
    if settings is not None:
        reschedule(settings, db.session.get(User, user_id), now)


def reschedule(settings, user, now):
    """Point the settings at their next slot after `now` (none when reminders are off)."""
    slot = None
    if settings.enabled:
        slot = schedule.next_slot(plan_for(settings, user.timezone), now, state_for(settings))
    settings.next_due_at = slot.due if slot else None
    settings.next_slot_key = slot.key if slot else None


# Claiming --------------------------------------------------------------------------------


def claim_due(now, limit=100):
    """Turn up to `limit` slots due by `now` into delivery rows, once; return their ids.

    Each person's settings move on to their next slot with a compare-and-set on the slot
    key, and the delivery insert skips a (user, slot) already there: dispatchers racing
    over the same person claim the slot once between them. On PostgreSQL they also skip
    the people another dispatcher has locked, so each takes its own share.
    """
    due = db.session.execute(
        select(ReminderSettings, User)
        .join(User, User.id == ReminderSettings.user_id)
        .where(ReminderSettings.enabled, ReminderSettings.next_due_at <= now)
        .order_by(ReminderSettings.next_due_at)
        .limit(limit)
        .with_for_update(of=ReminderSettings, skip_locked=True)
    ).all()
    slots = [(user.id, slot) for settings, user in due if (slot := _move_on(settings, user, now))]
    claimed = _insert_deliveries(slots, now)
    db.session.commit()
    return claimed


def _move_on(settings, user, now):
    """The slot that fell due, if this dispatcher moved the person on from it; else None."""
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
    return slot if moved.rowcount == 1 else None  # 0: another dispatcher moved them first


def _insert_deliveries(slots, now):
    """Insert a delivery per (user id, slot), skipping any already claimed; their ids."""
    if not slots:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ReminderDelivery)
        .on_conflict_do_nothing(index_elements=["user_id", "slot_key"])
        .returning(ReminderDelivery.id)
    )
    rows = [
        {"user_id": user_id, "slot_key": slot.key, "due_at": slot.due, "practice": slot.practice,
         "slot_day": slot.day, "slot_sequence": slot.sequence, "status": "pending",
         "created_at": now}
        for user_id, slot in slots
    ]
    return list(db.session.scalars(statement, rows))


# Sending ---------------------------------------------------------------------------------


def deliver(delivery_ids, now, *, vapid, session, secret, url):
    """Send claimed reminders to every device of their people, those that should still go.

    A batch costs a handful of queries and two short writes, whatever its size (nothing is
    written while the pushes go out). Returns the
    pushes to try again as (delivery id, subscription id, seconds) triples. A delivery
    no longer pending (sent by another task, or its person deleted) is left alone.
    """
    # Taken first, in this transaction: a second task sent the same batch (a retry, or the
    # dispatcher's recovery) finds nothing pending here.
    taken = db.session.scalars(
        update(ReminderDelivery)
        .where(ReminderDelivery.id.in_(delivery_ids), ReminderDelivery.status == "pending")
        .values(status="deciding")
        .returning(ReminderDelivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    rows = db.session.execute(
        select(ReminderDelivery, User, ReminderSettings)
        .join(User, User.id == ReminderDelivery.user_id)
        # A follow-up after a safety session may be for someone who never set reminders up.
        .outerjoin(ReminderSettings, ReminderSettings.user_id == User.id)
        .where(ReminderDelivery.id.in_(taken))
        .order_by(ReminderDelivery.due_at, ReminderDelivery.id)
    ).all()
    people = {user.id for _, user, _ in rows}
    previous = _latest_sent(people)
    checkins = _checkin_times(people)
    done_from = _done_from({delivery.id for delivery in previous.values()})
    sending = []
    for delivery, user, settings in rows:
        if follow_ups.is_follow_up(delivery.slot_key):
            if _follow_up_goes(delivery, user, settings, now):
                sending.append((delivery, settings, user))
            continue
        plan = plan_for(settings, user.timezone)
        answered_at, kept_at = checkins.get(user.id, (None, None))
        _note_unanswered(settings, plan, previous.get(user.id), done_from, answered_at, now)
        slot = schedule.Slot(
            delivery.due_at, delivery.slot_key, delivery.practice, delivery.slot_day,
            delivery.slot_sequence,
        )
        decision = schedule.decide(plan, state_for(settings, kept_at), slot, now)
        if decision != schedule.Decision.SEND:
            delivery.status = decision.value
            continue
        delivery.status, delivery.sent_at = "sent", now
        _count_sent(settings, plan, now)
        previous[user.id] = delivery
        sending.append((delivery, settings, user))
    devices = _subscriptions({delivery.user_id for delivery, _, _ in sending})
    names = added_practice_names(
        (delivery.user_id, delivery.practice) for delivery, _, _ in sending
    )
    db.session.commit()  # from here on, only the pushes and what became of them
    outcomes, retries = [], []
    for delivery, settings, user in sending:
        subscriptions = devices.get(delivery.user_id, [])
        message, ttl, topic = _push_for(
            delivery, settings, user, now, url, secret,
            names.get((delivery.user_id, delivery.practice)),
        )
        results = send_each(
            subscriptions, message, ttl, DUE_URGENCY, topic, vapid=vapid, session=session,
        )
        for subscription, result in zip(subscriptions, results, strict=True):
            outcomes.append((subscription, result))
            if result.outcome == "retry":
                retries.append((delivery.id, subscription.id, result.retry_after))
    record_deliveries(outcomes)
    db.session.commit()
    return retries


def _follow_up_goes(delivery, user, settings, now):
    """Decide a follow-up after a safety session (services.follow_ups); True when it
    goes now. The plan's cap, back-off and last reminder are left as they were."""
    reminders_on = settings is not None and settings.enabled
    plan = plan_for(settings, user.timezone) if reminders_on else None
    delivery.status, delivery.due_at = follow_ups.decide(plan, delivery, now)
    if delivery.status != follow_ups.SENT:
        return False
    delivery.sent_at = now
    return True


def _push_for(delivery, settings, user, now, url, secret, practice_name=None):
    """What goes out for a delivery sent at `now`: (message, TTL, Topic); a follow-up
    after a safety session has its own (services.follow_ups)."""
    if follow_ups.is_follow_up(delivery.slot_key):
        message = follow_ups.follow_up_message(delivery, url, user.timezone, now)
        return message, follow_ups.TTL, user_topic(user.id, secret, follow_ups.TOPIC)
    message = reminder_message(delivery, url, practice_name)
    return message, _ttl(settings, now), user_topic(delivery.user_id, secret)


def reminder_message(delivery, url, practice_name=None):
    """The notification for a delivery: warm words, the three actions, what they need.

    `practice_name` is what the person calls the practice, when it is one they added.
    """
    words = schedule.reminder_copy(delivery.practice, delivery.slot_sequence, practice_name)
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


def stalled(now):
    """Claimed reminders still pending after STALLED (their sending task failed, or was
    never queued): their ids, to queue again. Any that are late by now are skipped then."""
    return db.session.scalars(
        select(ReminderDelivery.id).where(
            ReminderDelivery.status == "pending", ReminderDelivery.created_at <= now - STALLED
        ).order_by(ReminderDelivery.id)
    ).all()


def snoozed_due(now):
    """Snoozed reminders whose half hour is up, and follow-ups after a safety session
    whose moment has come (services.follow_ups), made pending; returns their ids to send."""
    rows = db.session.scalars(
        select(ReminderDelivery).where(
            ReminderDelivery.status.in_(("snoozed", follow_ups.WAITING)),
            ReminderDelivery.due_at <= now,
        )
    ).all()
    woken = []
    for delivery in rows:
        moved = db.session.execute(
            update(ReminderDelivery)
            .where(ReminderDelivery.id == delivery.id, ReminderDelivery.status == delivery.status)
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
    if delivery is None or subscription is None or delivery.status not in SENT_STATUSES:
        return None
    user = db.session.get(User, delivery.user_id)
    settings = settings_for(user)
    asked = (delivery.user_id, delivery.practice)
    name = added_practice_names([asked]).get(asked)
    message, ttl, topic = _push_for(delivery, settings, user, delivery.sent_at, url, secret, name)
    result = send(
        subscription, message, ttl, DUE_URGENCY, topic,
        vapid=vapid, session=session, attempt=attempt,
    )
    record_deliveries([(subscription, result)])
    db.session.commit()
    return result.retry_after if result.outcome == "retry" else None


def _note_unanswered(settings, plan, previous, done_from, answered_at, now):
    """If the reminder sent before this one got no answer, count it as ignored.

    A practice marked done from it, or any check-in since it was sent, is an answer.
    """
    if previous is None or previous.acted is not None:
        return
    if previous.id in done_from:
        answer = "done"
    elif answered_at is not None and answered_at >= previous.sent_at:
        answer = "checkin"
    else:
        answer = None
    if answer:
        previous.acted = answer
        settings.ignored_in_a_row = 0
        return
    previous.acted = "ignored"
    state = schedule.note_ignored(plan, state_for(settings), now)
    if state.backoff_day != settings.backoff_day:
        settings.backoff_told = False
    settings.ignored_in_a_row, settings.backoff_day = state.ignored_in_a_row, state.backoff_day


def _latest_sent(people):
    """Each person's most recently sent reminder, by user id."""
    if not people:
        return {}
    latest = (
        select(ReminderDelivery.user_id, func.max(ReminderDelivery.sent_at).label("sent_at"))
        .where(ReminderDelivery.user_id.in_(people), ReminderDelivery.status == "sent")
        .group_by(ReminderDelivery.user_id)
        .subquery()
    )
    found = db.session.scalars(
        select(ReminderDelivery).join(
            latest,
            (ReminderDelivery.user_id == latest.c.user_id)
            & (ReminderDelivery.sent_at == latest.c.sent_at),
        ).where(ReminderDelivery.status == "sent")
    )
    return {delivery.user_id: delivery for delivery in found}


def _checkin_times(people):
    """By user id: when they last checked in at all (an answer to a reminder, even if
    deleted since), and their last check-in still kept (for 'skip if I checked in')."""
    if not people:
        return {}
    rows = db.session.execute(
        select(
            CheckIn.user_id,
            func.max(CheckIn.created_at),
            func.max(case((CheckIn.deleted.is_(False), CheckIn.created_at))),
        )
        .where(CheckIn.user_id.in_(people))
        .group_by(CheckIn.user_id)
    )
    return {user_id: (answered, kept) for user_id, answered, kept in rows}


def _done_from(delivery_ids):
    """Which of these reminders had their practice marked done, by the person each was
    sent to (no one else's "done" answers another person's reminder)."""
    if not delivery_ids:
        return set()
    return set(db.session.scalars(
        select(PracticeDone.delivery)
        .join(ReminderDelivery, (ReminderDelivery.id == PracticeDone.delivery)
              & (ReminderDelivery.user_id == PracticeDone.user_id))
        .where(PracticeDone.delivery.in_(delivery_ids))
    ))


def delivery_owner(delivery_id):
    """Whose reminder this is: a user id, or None for one not (or no longer) stored."""
    return db.session.scalar(
        select(ReminderDelivery.user_id).where(ReminderDelivery.id == delivery_id)
    )


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


def _subscriptions(people):
    """The devices of these people, by user id."""
    devices = {}
    if people:
        found = db.session.scalars(
            select(PushSubscription)
            .where(PushSubscription.user_id.in_(people))
            .order_by(PushSubscription.id)
        )
        for subscription in found:
            devices.setdefault(subscription.user_id, []).append(subscription)
    return devices


def _split(text):
    return tuple(part for part in (text or "").split(",") if part)


def _times(text):
    return (time.fromisoformat(part) for part in _split(text))


# Before supervision ----------------------------------------------------------------------

# When the reminder before supervision comes for someone with no end-of-day time.
SUPERVISION_REMINDER_AT = time(17, 0)
SUPERVISION_URL = "/supervision"


def supervision_reminder_due(supervision_on, end_of_day, timezone):
    """The moment of the reminder before a supervision: the day before, at the person's
    end-of-day time (17:00 without one), on their own wall clock."""
    return datetime.combine(
        supervision_on - timedelta(days=1), end_of_day or SUPERVISION_REMINDER_AT,
        tzinfo=ZoneInfo(timezone),
    )


def claim_supervision_reminders(now):
    """Claim every reminder before supervision due by `now`, once; (user id, day) pairs.

    Due from its moment until the supervision day begins (so one set up late the day
    before still comes). Its slot key, "supervision:<date>", is a delivery like any
    reminder's, so racing dispatchers send it once between them. Its status is its
    own, so it never counts as an unanswered practice reminder.
    """
    today = now.date()
    rows = db.session.execute(
        select(CareSettings.supervision_on, User, ReminderSettings.end_of_day)
        .join(User, User.id == CareSettings.user_id)
        .outerjoin(ReminderSettings, ReminderSettings.user_id == User.id)
        .where(
            CareSettings.supervision_reminder,
            CareSettings.supervision_on.between(today, today + timedelta(days=2)),
        )
    ).all()
    slots = []
    for day, user, end_of_day in rows:
        due = supervision_reminder_due(day, end_of_day, user.timezone)
        if due <= now < datetime.combine(day, time.min, tzinfo=ZoneInfo(user.timezone)):
            slots.append({
                "user_id": user.id, "slot_key": f"supervision:{day.isoformat()}", "due_at": due,
                "slot_day": day - timedelta(days=1), "slot_sequence": 0,
                "status": "supervision", "created_at": now, "sent_at": now,
            })
    claimed = []
    if slots:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        claimed = db.session.execute(
            insert(ReminderDelivery)
            .on_conflict_do_nothing(index_elements=["user_id", "slot_key"])
            .returning(ReminderDelivery.user_id, ReminderDelivery.slot_day),
            slots,
        ).all()
    db.session.commit()
    return [(user_id, slot_day + timedelta(days=1)) for user_id, slot_day in claimed]


def remind_of_supervision(now, *, vapid, session, url):
    """Send the reminders before supervision that fell due: each once, to every device.
    `url` is the site's home address."""
    outcomes = []
    for user_id, day in claim_supervision_reminders(now):
        user = db.session.get(User, user_id)
        subscriptions = _subscriptions({user_id}).get(user_id, [])
        until = datetime.combine(day, time.min, tzinfo=ZoneInfo(user.timezone))
        ttl = max(int((until - now).total_seconds()), 60)
        results = send_each(
            subscriptions, supervision_message(notes_to_bring(user), day, url), ttl, "normal",
            vapid=vapid, session=session,
        )
        outcomes += zip(subscriptions, results, strict=True)
    record_deliveries(outcomes)
    db.session.commit()


def supervision_message(count, day, home_url):
    """The notification the day before supervision: how many notes there are to bring.
    A tap opens the list, on the site whose home is `home_url`."""
    if count == 0:
        title = "Supervision tomorrow"
        body = "Nothing on your list yet: anything from the week to add?"
    else:
        title = f"Supervision tomorrow: {count} {'note' if count == 1 else 'notes'} to bring"
        body = "Your list is ready to look over."
    return Message(title=title, body=body, tag=f"tend-supervision-{day.isoformat()}",
                   url=urljoin(home_url, SUPERVISION_URL))
