"""Insights: a week or a month of a person's own entries at a glance, and the few
plain-language observations that a persistent pattern earns.

Everything is read in the person's own time zone (a check-in at 23:30 belongs to that
evening's day), from live entries only, and from a `now` the caller gives, so every
number can be checked against fixed data. Nothing here is a diagnosis: an observation
names a pattern in the person's own entries and offers one small, real next step.

The thresholds are named below, each with what it means; change them there, and the
tests that pin them (tests/test_insights.py) will say what moved.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CheckIn, PracticeDone, ReminderSettings
from webapp.services import pulse
from webapp.services.care import breaks_of, leave_clock_for
from webapp.services.checkins import LEANS, WORK_SHARE_BOUNDARY
from webapp.services.reminders import planned_workdays


@dataclass(frozen=True)
class Period:
    """A stretch of local days ending today, as the insights page offers it."""

    key: str
    days: int
    label: str
    span: str


PERIODS = {
    "week": Period("week", 7, "Week", "the last 7 days"),
    "month": Period("month", 30, "Month", "the last 30 days"),
}
WEEK, MONTH = PERIODS["week"], PERIODS["month"]

# Thresholds -------------------------------------------------------------------------------

LEAN_WINDOW = 10
"""A care lean is read over the person's last ten workdays on which they recorded that
lean (workdays without one are skipped, not counted as the middle)."""

LEAN_ONE_SIDED = 7
"""A lean is persistent when at least seven of those days (seven of however many there
are, if fewer than ten) sit on the same side."""

LEAN_SIDE = 1
"""A day sits on a side when its average lean is at least +1 (the right pole, e.g.
pushing through) or at most -1 (the left pole, e.g. tending to my needs)."""

LEAN_LOOKBACK_DAYS = 30
"""Only the last thirty local days are read for leans, so an old habit is not news."""

DEFAULT_WORKDAYS = frozenset({0, 1, 2, 3, 4})
"""Monday to Friday: the workdays when the person's reminder plan names none."""

WORK_SHARE_MIN_SESSIONS = 3
"""Work share is only remarked on with at least three sessions this week (safety
sessions aside): one or two heavy sessions are just a day."""

WORK_SHARE_MOST = 0.5
"""...and when the sessions where I carried more than WORK_SHARE_BOUNDARY % (49 %) are
more than half of them; exactly half is not "most"."""

NO_PRACTICE_DAYS = 5
"""No practice done in the last five local days (today and the four before) is
remarked on, but only for someone who checked in during those days and who has used
Tend for longer than that (a check-in before them): a new account is never told off."""

SAFETY_SESSIONS_MIN = 1
"""Any safety session this week (the last seven local days) suggests a debrief and
some care afterwards."""


# What is read -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sessions:
    """After-session check-ins: those counted for the 49 % boundary (safety sessions
    aside), how many of them I carried more than WORK_SHARE_BOUNDARY % in, and the
    safety sessions, counted apart."""

    counted: int = 0
    over: int = 0
    safety: int = 0

    @property
    def within(self):
        """Counted sessions where I carried at most the boundary."""
        return self.counted - self.over


@dataclass(frozen=True)
class Day:
    """One local day of a period: what each chart draws for it."""

    date: date
    checkins: int
    tank: float | None
    leans: dict
    sessions: Sessions
    practices: int


@dataclass(frozen=True)
class Step:
    """A gentle next step: words, and the page of the app it leads to."""

    text: str
    endpoint: str
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    """A pattern worth a kind word: what was noticed, an offer, and where to go next."""

    kind: str
    noticed: str
    offer: str
    steps: tuple


@dataclass(frozen=True)
class Overview:
    """A period at a glance: the days (oldest first) and the period's totals."""

    period: Period
    today: date
    days: list
    checkins: int
    tank: float | None
    leans: dict
    lean_days: dict
    sessions: Sessions
    practices: int
    practice_counts: list
    clock: object
    observations: list

    @property
    def empty(self):
        """Whether the period holds nothing at all to draw."""
        return not self.checkins and not self.practices


def find_period(key):
    """The period named `key` ('week' or 'month'), or None."""
    return PERIODS.get(key)


def overview(user, period, now):
    """The person's `period` up to `now`: daily numbers, totals and observations."""
    history = _History(user, now, max(period.days, LEAN_LOOKBACK_DAYS))
    days = [history.day(history.today - timedelta(days=back))
            for back in range(period.days - 1, -1, -1)]
    checkins = history.checkins_since(period.days)
    done = history.done_since(period.days)
    return Overview(
        period=period,
        today=history.today,
        days=days,
        checkins=len(checkins),
        tank=_mean(entry.tank for entry in checkins),
        leans={lean.field: _mean(getattr(entry, lean.field) for entry in checkins)
               for lean in LEANS},
        lean_days={lean.field: sum(day.leans[lean.field] is not None for day in days)
                   for lean in LEANS},
        sessions=_sessions(checkins),
        practices=len(done),
        practice_counts=Counter(entry.practice for entry in done).most_common(),
        clock=history.clock,
        observations=_observations(history),
    )


def observations(user, now):
    """The observations for the person at `now` (the same on the week and month pages)."""
    return _observations(_History(user, now, LEAN_LOOKBACK_DAYS))


PULSE_WEEKS = 5
"""The month view's pulse trend: this week and the four before it (about 30 days)."""

# The overall pulse score's range: the heaviest week and the lightest (services.pulse).
PULSE_LOWEST = pulse.overall_score(
    {"satisfaction": pulse.AREA_MIN, "wear": pulse.AREA_MAX, "carried": pulse.AREA_MAX})
PULSE_HIGHEST = pulse.overall_score(
    {"satisfaction": pulse.AREA_MAX, "wear": pulse.AREA_MIN, "carried": pulse.AREA_MIN})


def pulse_trend(user, now):
    """The person's weekly pulse over the last PULSE_WEEKS local weeks, oldest first
    (services.pulse.WeekPulse: `week_start` and `score`, None where none was taken)."""
    return pulse.weekly_pulse(user, PULSE_WEEKS, now)


def workdays_of(user):
    """The weekdays (Monday is 0) the person works: their reminder plan's, else Mon-Fri."""
    settings = db.session.get(ReminderSettings, user.id)
    return (settings and planned_workdays(settings)) or DEFAULT_WORKDAYS


class _History:
    """The person's live check-ins and practices done of the last `days` local days,
    grouped by local day, with their leave clock and workdays."""

    def __init__(self, user, now, days):
        self.user = user
        self.zone = ZoneInfo(user.timezone)
        self.today = now.astimezone(self.zone).date()
        self.since = self._start_of(self.first_day(days))
        until = self._start_of(self.today + timedelta(days=1))
        self.checkins = self._by_day(CheckIn, until)
        self.done = self._by_day(PracticeDone, until)
        self.clock = leave_clock_for(user, breaks_of(user), now)
        self.workdays = workdays_of(user)

    def _start_of(self, day):
        return datetime.combine(day, time.min, tzinfo=self.zone)

    def _by_day(self, model, until):
        rows = db.session.scalars(
            select(model)
            .where(model.user_id == self.user.id, model.deleted.is_(False),
                   model.created_at >= self.since, model.created_at < until)
            .order_by(model.created_at)
        )
        grouped = defaultdict(list)
        for row in rows:
            grouped[row.created_at.astimezone(self.zone).date()].append(row)
        return grouped

    def first_day(self, days):
        """The first local day of the last `days` days, today included."""
        return self.today - timedelta(days=days - 1)

    def checkins_since(self, days):
        """The check-ins of the last `days` local days, oldest first."""
        first = self.first_day(days)
        return [entry for day in sorted(self.checkins) if day >= first
                for entry in self.checkins[day]]

    def done_since(self, days):
        """The practices done in the last `days` local days, oldest first."""
        first = self.first_day(days)
        return [entry for day in sorted(self.done) if day >= first for entry in self.done[day]]

    def checked_in_before(self, day):
        """Whether the person has a live check-in from before local `day`."""
        return db.session.scalar(
            select(CheckIn.id).where(
                CheckIn.user_id == self.user.id, CheckIn.deleted.is_(False),
                CheckIn.created_at < self._start_of(day),
            ).limit(1)
        ) is not None

    def day(self, local_day):
        """The numbers of one local day."""
        entries = self.checkins.get(local_day, [])
        return Day(
            date=local_day,
            checkins=len(entries),
            tank=_mean(entry.tank for entry in entries),
            leans={lean.field: _mean(getattr(entry, lean.field) for entry in entries)
                   for lean in LEANS},
            sessions=_sessions(entries),
            practices=len(self.done.get(local_day, [])),
        )


def _mean(values):
    values = [value for value in values if value is not None]
    return fmean(values) if values else None


def _sessions(checkins):
    """Sessions among check-ins: a work share or a safety session makes one."""
    counted = [entry for entry in checkins
               if entry.work_share is not None and not entry.safety_session]
    return Sessions(
        counted=len(counted),
        over=sum(entry.work_share > WORK_SHARE_BOUNDARY for entry in counted),
        safety=sum(bool(entry.safety_session) for entry in checkins),
    )


# Observations -----------------------------------------------------------------------------

SUPERVISION = Step("Note it for supervision", "care.supervision")
PRACTICES = Step("Choose a practice", "practices.index")

# For each lean that stays on one side: a word that does not judge the side, and a step.
LEAN_OFFERS = {
    ("lean_personal", "right"): (
        "Pushing through is sometimes what a day asks. If there's a moment, one small "
        "thing for yourself can put a little back in the tank. Any step counts.", PRACTICES),
    ("lean_personal", "left"): (
        "Looking after your own needs may be exactly what these days call for. If it "
        "feels like more than a passing season, it could be worth talking through.",
        SUPERVISION),
    ("lean_client", "left"): (
        "Being fully with the people you work with is part of the work. A card about "
        "the part that isn't yours to carry may lighten it a little.",
        Step("Read a reframe card", "reflect.reframes", {"situation": "fix"})),
    ("lean_client", "right"): (
        "Stepping back can be a healthy boundary, or a sign the tank is low. A "
        "supervisor or a trusted colleague can help you tell which.", SUPERVISION),
    ("lean_community", "left"): (
        "Showing up for others matters, and so do you. Something on your own list, "
        "just for you, helps keep you able to show up.", PRACTICES),
    ("lean_community", "right"): (
        "Guarding your health is care too. If you miss being part of something bigger, "
        "a conversation with a peer can be a gentle way back in.", SUPERVISION),
}


def _observations(history):
    """What stands out, most pressing first: safety sessions, a long time without a
    break, the work share, one-sided leans, and days without a practice."""
    found = [
        _safety_sessions(history),
        _long_stretch(history),
        _work_share(history),
        *(_one_sided_lean(history, lean) for lean in LEANS),
        _no_practice(history),
    ]
    return [observation for observation in found if observation is not None]


def _safety_sessions(history):
    safety = _sessions(history.checkins_since(WEEK.days)).safety
    if safety < SAFETY_SESSIONS_MIN:
        return None
    sessions = "a safety session" if safety == 1 else f"{safety} safety sessions"
    return Observation(
        "safety",
        f"You had {sessions} in the last 7 days.",
        "Doing more was the right call then. Afterwards, a debrief with your supervisor "
        "or a colleague you trust, and something kind for yourself, help it settle.",
        (SUPERVISION,
         Step("A card for after a safety session", "reflect.reframes", {"situation": "safety"})),
    )


def _long_stretch(history):
    clock = history.clock
    if not clock.long_stretch:
        return None
    return Observation(
        "long_stretch",
        f"It has been {clock.days_since} days since your last real break.",
        "That's a long stretch of work. Even a long weekend with no work in it can help: "
        "is there one you could start planning?",
        (Step("Plan a break", "care.breaks"),),
    )


def _work_share(history):
    sessions = _sessions(history.checkins_since(WEEK.days))
    if sessions.counted < WORK_SHARE_MIN_SESSIONS:
        return None
    if sessions.over <= sessions.counted * WORK_SHARE_MOST:
        return None
    return Observation(
        "work_share",
        f"In {sessions.over} of your {sessions.counted} sessions this week, you carried more "
        f"than {WORK_SHARE_BOUNDARY} % of the work (safety sessions aside).",
        "Some sessions lean on you; that happens. When it keeps happening, handing a little "
        "back to the client can protect you both.",
        (Step("Cards for doing more of the work", "reflect.reframes", {"situation": "carrying"}),
         SUPERVISION),
    )


def _one_sided_lean(history, lean):
    """A lean on one side on most of the last LEAN_WINDOW workdays that recorded it."""
    daily = []
    for day in sorted(history.checkins, reverse=True):
        if day.weekday() not in history.workdays:
            continue
        value = _mean(getattr(entry, lean.field) for entry in history.checkins[day])
        if value is not None:
            daily.append(value)
        if len(daily) == LEAN_WINDOW:
            break
    sides = {"right": sum(value >= LEAN_SIDE for value in daily),
             "left": sum(value <= -LEAN_SIDE for value in daily)}
    side = max(sides, key=sides.get)
    if sides[side] < LEAN_ONE_SIDED:
        return None
    pole = lean.right if side == "right" else lean.left
    offer, step = LEAN_OFFERS[(lean.field, side)]
    return Observation(
        f"{lean.field}_{side}",
        f"You leaned toward {_yours(pole)} on {sides[side]} of the last {len(daily)} "
        f"workdays you noted it.",
        offer,
        (step,),
    )


def _yours(pole):
    """A pole's words as said to the person: 'Guarding my health' -> 'guarding your health'."""
    return pole.lower().replace("my ", "your ")


def _no_practice(history):
    if history.done_since(NO_PRACTICE_DAYS):
        return None
    if not history.checkins_since(NO_PRACTICE_DAYS):
        return None
    if not history.checked_in_before(history.first_day(NO_PRACTICE_DAYS)):
        return None
    return Observation(
        "no_practice",
        f"No practice logged in the last {NO_PRACTICE_DAYS} days.",
        "Busy days crowd them out. Three slow breaths or a glass of water counts too: "
        "any step counts.",
        (PRACTICES,),
    )
