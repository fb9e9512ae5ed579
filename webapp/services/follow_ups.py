"""After a safety session: Tend checks in gently a day and three days later.

A check-in that marks a safety session (someone was at risk) plans two follow-ups, each
a reminder delivery of its own with the slot key "safety:<check-in id>:<days after>".
The unique (user, slot) key that sends every reminder once does the same for these,
however often the mark is set, cleared and set again and however many dispatchers run.
A follow-up waits with the status WAITING until its moment; the dispatcher then wakes
it with the snoozed reminders (reminders.snoozed_due), and reminders.deliver asks
`decide` whether it goes. Planning and cancelling happen where every entry is written
(services.sync), in the same transaction as the check-in.

Choices, each one deliberate:

- A follow-up is due at the check-in's wall time one and three local days later (built
  with zoneinfo, never "+24 h"): the check-in was made in a gap, and the same time is
  likely a gap again. One whose moment has passed when the mark arrives (a check-in
  synced days late, an import) is not planned.
- It goes only to someone whose reminders are on. Who never turned them on has no
  device to reach; who turned them off asked for quiet, and gets it (the follow-up is
  kept as skipped, SKIP_OFF). Turned on again before its moment, it comes.
- Quiet hours hold it until they end, and in between-sessions mode a session (from the
  plan, or a busy block of the calendar it follows) holds it until the session ends: it
  waits, it is not dropped. While reminders are paused it is
  skipped (SKIP_PAUSED), as reminders are. A day off work does not stop it.
- It is not one of the plan's reminders: it never counts toward the daily cap, is never
  taken as an ignored reminder towards back-off, and is never the "last reminder" the
  next one looks back at, because once sent its status is SENT here, not "sent".
- Its words name neither the session nor the client, nor quote the person's note: a
  phone's lock screen shows them to whoever is near.
"""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import ReminderDelivery
from webapp.services import schedule
from webapp.services.push import Action, Message

FOLLOW_UP_DAYS = (1, 3)
# A follow-up's statuses: waiting for its moment, sent, its mark cleared before it went,
# and not sent because the person's reminders were off.
WAITING, SENT, CANCELLED, SKIP_OFF = "follow_up", "follow_up_sent", "cancelled", "skip_off"
# The statuses of one not sent yet: waiting, snoozed with "Later", or just woken.
NOT_SENT_YET = (WAITING, "snoozed", "pending")
# A follow-up this late (the workers were down) has missed its day; a reminder's moment
# is shorter (schedule.LATE), but a day after a hard session is a whole afternoon.
LATE = timedelta(hours=6)
# How long a push service may keep one for a phone that is off: the rest of that moment.
TTL = int(timedelta(hours=3).total_seconds())
# Its own Topic (push.user_topic), so that a reminder waiting with it never replaces it.
TOPIC = "follow-ups"
# A tap checks in; "Done" has no practice to record here.
ACTIONS = (Action("checkin", "Check in"), Action("later", "Later"))
_KEY = re.compile(r"(?:later:)*safety:.+")


def slot_key(checkin_id, days):
    """The slot key of a check-in's follow-up `days` after it."""
    return f"safety:{checkin_id}:{days}"


def is_follow_up(key):
    """Whether a delivery's slot key is a follow-up's (or one brought back with "Later")."""
    return _KEY.fullmatch(key) is not None


def plan_follow_ups(user, checkin, now):
    """Plan the follow-ups of `user`'s check-in that has just come to mark a safety
    session: those still ahead of `now`, each once. One cancelled when the mark was
    cleared comes back when it is set again; one sent or skipped stays as it was."""
    zone = ZoneInfo(user.timezone)
    session = checkin.created_at.astimezone(zone)
    wall = session.time().replace(second=0, microsecond=0)
    rows = []
    for days in FOLLOW_UP_DAYS:
        day = session.date() + timedelta(days=days)
        due = schedule.to_utc(day, wall, zone)
        if due > now:
            rows.append({
                "user_id": user.id, "slot_key": slot_key(checkin.id, days), "due_at": due,
                "practice": None, "slot_day": day, "slot_sequence": days, "status": WAITING,
                "created_at": now,
            })
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ReminderDelivery)
    db.session.execute(
        insert.values(rows).on_conflict_do_update(
            index_elements=["user_id", "slot_key"],
            set_={"status": WAITING, "due_at": insert.excluded.due_at},
            where=ReminderDelivery.status == CANCELLED,
        )
    )


def cancel_follow_ups(user, checkin):
    """Cancel the follow-ups not sent yet of `user`'s check-in that no longer marks a
    safety session (the mark cleared, or the check-in deleted), "Later" ones included."""
    keys = [slot_key(checkin.id, days) for days in FOLLOW_UP_DAYS]
    db.session.execute(
        update(ReminderDelivery)
        .where(
            ReminderDelivery.user_id == user.id,
            or_(ReminderDelivery.slot_key.in_(keys),
                ReminderDelivery.slot_key.like(f"later:%safety:{checkin.id}:%")),
            ReminderDelivery.status.in_(NOT_SENT_YET),
        )
        .values(status=CANCELLED)
        .execution_options(synchronize_session=False)
    )


def decide(plan, delivery, now):
    """What becomes of a follow-up that has come due: (status, due time).

    `plan` is the person's reminder plan (schedule.ReminderPlan), None when their
    reminders are off. SENT when it goes now; WAITING, with the moment it may go, when
    quiet hours or a session hold it; else the reason it is skipped.
    """
    if plan is None:
        return SKIP_OFF, delivery.due_at
    if now - delivery.due_at > LATE:
        return schedule.Decision.SKIP_LATE.value, delivery.due_at
    if plan.paused_until is not None and now.astimezone(plan.zone).date() < plan.paused_until:
        return schedule.Decision.SKIP_PAUSED.value, delivery.due_at
    free = schedule.free_from(plan, now)
    if free > now:
        return WAITING, free
    return SENT, delivery.due_at


def follow_up_copy(days):
    """Warm words for a follow-up `days` local days after the session."""
    if days <= 1:
        return schedule.ReminderCopy(
            "Thinking of you after yesterday",
            "Yesterday asked a lot of you. Is there a minute for yourself today?",
        )
    if days == 2:
        return schedule.ReminderCopy(
            "Thinking of you",
            "A couple of days on from a heavy one. Is there a minute for yourself?",
        )
    return schedule.ReminderCopy(
        "A few days on",
        "Hard days can linger. A minute for yourself, whenever it suits?",
    )


def follow_up_message(delivery, url, timezone, now):
    """The notification of a follow-up sent at `now` to someone in `timezone`; a tap
    leads to `url` (the check-in). Its words count the days since the session."""
    session_day = delivery.slot_day - timedelta(days=delivery.slot_sequence)
    words = follow_up_copy((now.astimezone(ZoneInfo(timezone)).date() - session_day).days)
    return Message(
        title=words.title,
        body=words.body,
        tag=f"tend-follow-up-{delivery.id}",
        url=url,
        actions=ACTIONS,
        data={
            "delivery": delivery.id,
            "practice": None,
            "later_url": f"/api/v1/reminders/{delivery.id}/later",
        },
    )
