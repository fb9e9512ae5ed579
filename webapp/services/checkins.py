"""Check-ins: the vocabulary of the card, and reading a user's history."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CheckIn
from webapp.services.clock import utcnow

TANK_LEVELS = {
    1: "Empty",
    2: "Running low",
    3: "Some left",
    4: "Mostly full",
    5: "Full",
}

# The helper's side of the 49 / 51 boundary: above this, I carried more than the client.
WORK_SHARE_BOUNDARY = 49


@dataclass(frozen=True)
class Lean:
    """One of the three care spectra; -2 leans fully left, +2 fully right."""

    field: str
    title: str
    left: str
    right: str


LEANS = (
    Lean("lean_personal", "Caring for myself", "Tending to my needs", "Pushing through"),
    Lean("lean_client", "Caring for clients", "Absorbed in their struggle", "Stepping back"),
    Lean("lean_community", "Caring for my community", "Showing up for others",
         "Guarding my health"),
)

LEAN_STEPS = {
    -2: "well toward",
    -1: "a little toward",
    0: "in the middle",
    1: "a little toward",
    2: "well toward",
}

# The practices every person starts with (services.practices makes them their own list):
# first the small ones that fit in the gap before the next session, then the longer ones.
# Entries store these keys, so a key never changes once given.
PRACTICES = {
    "breaths": "Three slow breaths",
    "water": "A glass of water",
    "stretch": "A stretch",
    "outside": "A step outside",
    "write": "One line written down",
    "colleague": "A word with a colleague",
    "music": "Live music",
    "nature": "Time in nature",
    "reading": "A book that lifts me",
    "joy": "Time with people who bring me joy",
    "unclaimed": "Time that asks nothing of me",
    "breathing": "Mindful breathing",
    "movement": "Moving my body",
    "consultation": "Peer supervision or consultation",
    "therapy": "My own therapy",
}
MICRO_PRACTICES = frozenset({"breaths", "water", "stretch", "outside", "write"})

HISTORY_DAYS = 14


def lean_description(lean, value):
    """Plain words for a lean value, e.g. 'a little toward Pushing through'."""
    if value is None:
        return None
    if value == 0:
        return "in the middle"
    side = lean.left if value < 0 else lean.right
    return f"{LEAN_STEPS[value]} {side.lower()}"


def day_label(day):
    """A calendar day the way people say it: 'Monday 16 November'."""
    return f"{day:%A} {day.day} {day:%B}"


def find_checkin(user, entry_id):
    """The user's check-in with this id, or None: other users' entries do not exist here."""
    return db.session.scalar(
        select(CheckIn).where(CheckIn.id == str(entry_id), CheckIn.user_id == user.id)
    )


@dataclass
class Day:
    """Check-ins of one local calendar day, newest first."""

    date: date
    label: str
    checkins: list


def relative_day_label(day, today):
    """'Today', 'Yesterday', or the date in words."""
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return day_label(day)


def recent_days(user, days=HISTORY_DAYS, now=None):
    """The user's live check-ins of the last `days` local days, grouped by day, newest first."""
    zone = ZoneInfo(user.timezone)
    today = (now or utcnow()).astimezone(zone).date()
    first_day = today - timedelta(days=days - 1)
    since = datetime.combine(first_day, time.min, tzinfo=zone)
    rows = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.user_id == user.id, CheckIn.deleted.is_(False), CheckIn.created_at >= since)
        .order_by(CheckIn.created_at.desc())
    )
    grouped = []
    for checkin in rows:
        local_day = checkin.created_at.astimezone(zone).date()
        if not grouped or grouped[-1].date != local_day:
            grouped.append(Day(local_day, relative_day_label(local_day, today), []))
        grouped[-1].checkins.append(checkin)
    return grouped
