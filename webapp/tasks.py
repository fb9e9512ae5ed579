"""Background jobs on Huey: the reminder dispatcher (every minute), the sending tasks,
reading people's calendar feeds (every half hour each), and the pushes of the peer
circle (care nudges, debrief requests and their answers).

The queue lives in SQLite under instance/ by default, and in Redis when REDIS_URL is
set. Any number of worker processes may run, on any number of machines with Redis:
every dispatcher claims slots through the database's unique key, so none is sent twice.
`make run` starts one worker next to the web server; in production run
`huey_consumer worker.huey --max-delay 1` as often as needed.

A reminder leaves on its minute. Huey's own once-a-minute tick counts minutes from the
worker's start, so a reminder could wait up to a minute for it: each dispatch therefore
books the next one for the start of the next minute, once among all workers. The
once-a-minute tick stays as the safety net that starts this chain again if it breaks.
With the queue in SQLite an idle worker looks for work at most `--max-delay` seconds
apart (10 by default, hence 1); Redis hands it over at once.
"""
import os
from datetime import timedelta

from huey import RedisHuey, SqliteHuey, crontab

from webapp.extensions import db
from webapp.services import calendar_feeds, circles, reminders
from webapp.services.clock import utcnow
from webapp.services.push import VapidKey, push_session


def make_queue(config, instance_path):
    """The Huey instance for this configuration."""
    if config.get("REDIS_URL"):
        return RedisHuey("tend", url=config["REDIS_URL"], immediate=config["TASKS_IMMEDIATE"])
    return SqliteHuey(
        "tend", filename=os.path.join(instance_path, "tasks.sqlite3"),
        immediate=config["TASKS_IMMEDIATE"],
    )


def init_tasks(app):
    """Create the queue and its tasks for `app`; they run inside the app's context."""
    queue = make_queue(app.config, app.instance_path)
    size = app.config["REMINDER_BATCH"]
    sender = {}

    def sending():
        """One VAPID signer and one HTTP session per worker process, reused for every push."""
        if not sender:
            sender.update(vapid=VapidKey.from_config(app.config), session=push_session())
        return sender | {"secret": app.secret_key, "url": app.config["PUBLIC_URL"] + "/"}

    @queue.periodic_task(crontab(minute="*"))
    def dispatch_reminders():
        """Once a minute, by Huey's clock: dispatch, and keep the on-the-minute chain going."""
        dispatch()

    @queue.task()
    def dispatch_on_the_minute(key):
        """The dispatch booked for the start of a minute."""
        queue.get(key)  # its booking is used up
        dispatch()

    def dispatch():
        """Claim every slot that has come due, and queue each batch for sending as it goes;
        then book the next minute's dispatch, unless a dispatch has booked it already."""
        next_minute = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)
        key = f"reminders-dispatch:{next_minute:%Y-%m-%dT%H:%M}"
        if queue.put_if_empty(key, "booked"):
            dispatch_on_the_minute.schedule((key,), eta=next_minute)
        with app.app_context():
            now = utcnow()
            waiting = reminders.stalled(now) + reminders.snoozed_due(now)
            for start in range(0, len(waiting), size):
                send_reminders(waiting[start:start + size])
            # Batch after batch until nothing is left to claim (another dispatcher may be
            # taking its share at the same time).
            while claimed := reminders.claim_due(now, size):
                send_reminders(claimed)
            # The day before supervision: few people, sent here, each once.
            sender = sending()
            reminders.remind_of_supervision(
                now, vapid=sender["vapid"], session=sender["session"], url=sender["url"]
            )

    # A failure (the database busy past its timeout, say) is tried again shortly; a
    # reminder already sent is never sent twice (see reminders.deliver).
    @queue.task(retries=2, retry_delay=5)
    def send_reminders(delivery_ids):
        """Send a batch of claimed reminders; devices that asked us to wait get a retry."""
        with app.app_context():
            retries = reminders.deliver(delivery_ids, utcnow(), **sending())
        for delivery_id, subscription_id, delay in retries:
            send_again.schedule((delivery_id, subscription_id, 2), delay=delay)

    @queue.task()
    def send_again(delivery_id, subscription_id, attempt):
        """Try one device again, with back-off, up to five times."""
        with app.app_context():
            delay = reminders.deliver_again(delivery_id, subscription_id, attempt, **sending())
        if delay is not None and attempt < 5:
            send_again.schedule((delivery_id, subscription_id, attempt + 1), delay=delay)

    @queue.task(retries=1, retry_delay=60)
    def read_calendar(user_id):
        """Read a person's calendar feed (just given, or due again) and replan."""
        with app.app_context():
            now = utcnow()
            allow_local = app.config["CALENDAR_ALLOW_LOCAL"]
            if calendar_feeds.refresh(user_id, now, allow_local=allow_local):
                reminders.replan(user_id, now)
            db.session.commit()

    @queue.periodic_task(crontab(minute="*/15"))
    def read_calendars():
        """Queue a read of every calendar feed not read for a while."""
        with app.app_context():
            due = calendar_feeds.feeds_to_refresh(utcnow())
        for user_id in due:
            read_calendar(user_id)

    @queue.task(retries=2, retry_delay=5)
    def send_circle_push(kind, object_id):
        """Push a care nudge, a debrief request or an answer to whom it is for, once."""
        with app.app_context():
            circles.push(kind, object_id, utcnow(), **sending())

    @queue.periodic_task(crontab(minute="*"))
    def send_stalled_circle_pushes():
        """Queue again any circle push that was stored but never queued (a worker down)."""
        with app.app_context():
            waiting = circles.stalled(utcnow())
        for kind, object_id in waiting:
            send_circle_push(kind, object_id)

    app.extensions["tend_tasks"] = {
        "circle_push": send_circle_push, "stalled_circle_pushes": send_stalled_circle_pushes,
        "queue": queue, "dispatch": dispatch_reminders, "on_the_minute": dispatch_on_the_minute,
        "send": send_reminders, "read_calendar": read_calendar, "read_calendars": read_calendars,
    }
    return queue
