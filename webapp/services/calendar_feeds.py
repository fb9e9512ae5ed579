"""A person's calendar as Tend keeps it for reminders between sessions.

It comes from a file the person uploaded, or from the secret address of its feed, which
the worker reads again every REFRESH (sending back the feed's ETag and Last-Modified,
so an unchanged calendar costs the feed a 304). Of it Tend keeps only the busy blocks
and days off of the weeks around now (services.calendar reads them); never a title, a
person, a place or the file itself. When a feed cannot be read its problem is kept, in
words for the person, until a read goes well; meanwhile `calendar_times` gives nothing,
so reminders follow the manual plan.
"""
from datetime import timedelta

from sqlalchemy import delete, func, or_, select

from webapp.extensions import db
from webapp.models import CalendarBlock, CalendarDayOff, CalendarFeed, ReminderSettings, User
from webapp.services.calendar import CalendarError, busy_blocks, check_feed_url, fetch_feed
from webapp.services.schedule import CalendarTimes

# The stretch of a calendar kept: from a day back (a block that began before now may not
# have ended) to a few weeks ahead, beyond the schedule's own look-ahead.
BEHIND = timedelta(days=1)
AHEAD = timedelta(days=35)
REFRESH = timedelta(minutes=30)
# A feed is read whole again at least this often, even when it says it has not changed,
# so that the kept weeks move on with the calendar.
WHOLE_READ = timedelta(days=7)


def feed_for(user):
    """The person's CalendarFeed, or None."""
    return db.session.get(CalendarFeed, user.id)


def use_file(user, data, now):
    """Keep the busy times of an uploaded calendar (bytes) in place of any before; the
    caller commits. CalendarError says what is wrong with the file (nothing is kept)."""
    found = busy_blocks(data, now - BEHIND, now + AHEAD, user.timezone)
    feed = _fresh_feed(user, address=None)
    _keep(feed, found, now)
    return feed


def use_address(user, address, *, allow_local):
    """Take a pasted feed address for the person, to be read by `refresh` (queue it);
    the caller commits. CalendarError says what is wrong with the address."""
    return _fresh_feed(user, address=check_feed_url(address, allow_local))


def refresh(user_id, now, *, allow_local):
    """Read a person's feed again and keep what it says; the caller commits. Whether
    their busy times may have changed (so their next reminder should be looked at)."""
    feed = db.session.get(CalendarFeed, user_id)
    if feed is None or feed.address is None:
        return False
    feed.tried_at = now
    recent = feed.read_at is not None and now - feed.read_at < WHOLE_READ
    had_problem = feed.problem is not None
    try:
        fetched = fetch_feed(
            feed.address, feed.etag if recent else None, feed.last_modified if recent else None,
            allow_local=allow_local,
        )
        if fetched is None:  # not changed since it was last read whole
            feed.problem = None
            return had_problem
        timezone = db.session.get(User, user_id).timezone
        found = busy_blocks(fetched.body, now - BEHIND, now + AHEAD, timezone)
    except CalendarError as error:
        feed.problem = str(error)[:200]
        return not had_problem
    feed.etag, feed.last_modified = fetched.etag, fetched.last_modified
    _keep(feed, found, now)
    return True


def feeds_to_refresh(now):
    """The people whose feed address is due to be read again."""
    return db.session.scalars(
        select(CalendarFeed.user_id).where(
            CalendarFeed.address.is_not(None),
            or_(CalendarFeed.tried_at.is_(None), CalendarFeed.tried_at <= now - REFRESH),
        ).order_by(CalendarFeed.user_id)
    ).all()


def forget(user):
    """Stop using the person's calendar and drop all Tend kept of it; the caller commits."""
    for model in (CalendarBlock, CalendarDayOff, CalendarFeed):
        db.session.execute(delete(model).where(model.user_id == user.id))
    settings = db.session.get(ReminderSettings, user.id)
    if settings is not None:
        settings.use_calendar = False


def calendar_times(user_id):
    """The person's busy blocks and days off for the schedule, or None when they have no
    calendar that reads well."""
    feed = db.session.get(CalendarFeed, user_id)
    if feed is None or feed.problem is not None or feed.read_at is None:
        return None
    blocks = db.session.execute(
        select(CalendarBlock.starts_at, CalendarBlock.ends_at)
        .where(CalendarBlock.user_id == user_id).order_by(CalendarBlock.starts_at)
    ).all()
    days = db.session.scalars(select(CalendarDayOff.day).where(CalendarDayOff.user_id == user_id))
    return CalendarTimes(tuple((start, end) for start, end in blocks), frozenset(days))


def busy_count(user_id, now):
    """How many busy blocks lie ahead in the person's kept calendar (for the page)."""
    return db.session.scalar(
        select(func.count()).where(CalendarBlock.user_id == user_id, CalendarBlock.ends_at > now)
    )


def _fresh_feed(user, address):
    """The person's feed, reset for a new source (whatever it kept is dropped)."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.address, feed.etag, feed.last_modified = address, None, None
    feed.read_at = feed.tried_at = feed.problem = None
    _drop_times(user.id)
    return feed


def _keep(feed, found, now):
    """Keep a calendar's blocks and days off (services.calendar.Calendar) for the feed's
    person, in place of those before."""
    _drop_times(feed.user_id)
    db.session.add_all(
        CalendarBlock(user_id=feed.user_id, starts_at=block.start, ends_at=block.end)
        for block in found.blocks
    )
    db.session.add_all(CalendarDayOff(user_id=feed.user_id, day=day) for day in found.days_off)
    feed.read_at, feed.problem = now, None


def _drop_times(user_id):
    for model in (CalendarBlock, CalendarDayOff):
        db.session.execute(delete(model).where(model.user_id == user_id))

