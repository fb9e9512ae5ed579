"""When a user's next gentle reminder is due, and whether to send it when it comes.

Pure rules: no Flask, no database, no clock. Every time is built as a local wall time on
a local date in the user's IANA zone and only then converted to UTC, so a 09:00
reminder stays at 09:00 across daylight-saving changes (never "+24 h" on a UTC time).

The work is split in two on purpose:

- `next_slot` answers *when* the next reminder is due. The app stores its UTC time and
  key; the key becomes the database's unique key for exactly-once delivery.
- `decide` answers, at send time, *whether* that stored slot should still go out. A
  check-in, a new pause or the day's cap can arrive between the two moments.

Choices, each one deliberate:

- Workdays apply to every mode; by default every day of the week is a workday.
- A wall time skipped by spring-forward fires at the first instant after the gap
  (02:30 in New York on the change day fires at 03:00 EDT). A wall time that occurs
  twice at fall-back fires once, at its first occurrence (fold=0).
- `paused_until` is the day reminders come back: nothing is planned for any earlier
  local day, and that day itself has its reminders again. A paused day's reminders
  are dropped, never deferred into the first day back.
- A reminder planned inside quiet hours is deferred to the end of the quiet period.
  All reminders deferred to the same moment share one due time and one key, and
  `next_slot` only looks strictly after a due time, so waking up brings one gentle
  reminder, not a burst. In between-sessions mode, if the quiet period ends during a
  session, the deferred reminder waits for that session's end.
- Back-off: the third ignored reminder in a row marks that local day; for the rest of
  it every other reminder (odd `sequence`) is left out. The next day is normal again.
- The daily cap counts reminders by the local day on which they are due.
- Between sessions from a calendar (`plan.calendar`): a reminder comes as a busy block
  ends, unless the next block starts less than `gap_minutes` later (no time for a
  breath); nothing comes inside a block (a reminder deferred by quiet hours into one
  waits for its end) or on a day off. Workdays and quiet hours still apply.
"""
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MODES = ("between_sessions", "fixed_times", "end_of_day")
REQUIRED_TIMES = {
    "between_sessions": ("first_session", "last_session_end"),
    "fixed_times": (),
    "end_of_day": ("end_of_day",),
}
EVERY_DAY = frozenset(range(7))
IGNORED_BEFORE_BACKOFF = 3
# How far behind its time a reminder may still go out (see decide).
LATE = timedelta(minutes=10)

# Quiet hours last less than a day, so a deferred reminder was planned at most two local
# days before its due time; looking back that far always finds the first reminder of a
# deferred group, so its practice is the same whenever it is computed.
LOOKBACK = timedelta(days=2)
# The plan repeats weekly; one more week covers a day lost to the cap or to back-off.
SEARCH_DAYS = timedelta(days=16)
# A calendar does not repeat: its next block may be weeks away (a holiday).
CALENDAR_SEARCH_DAYS = timedelta(days=40)


@dataclass(frozen=True)
class CalendarTimes:
    """What a person's calendar says: busy blocks as (start, end) aware UTC instants,
    sorted and not overlapping, and the local days they are away."""

    blocks: tuple[tuple[datetime, datetime], ...] = ()
    days_off: frozenset[date] = frozenset()


@dataclass(frozen=True)
class ReminderPlan:
    """A user's reminder settings. Times are naive local wall times in `timezone`."""

    mode: str
    timezone: str
    practices: tuple[str, ...] = ()
    workdays: frozenset[int] = EVERY_DAY  # Monday is 0
    first_session: time | None = None
    session_minutes: int = 50
    gap_minutes: int = 10
    last_session_end: time | None = None
    times: tuple[time, ...] = ()
    end_of_day: time | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None
    daily_cap: int | None = None
    paused_until: date | None = None
    skip_if_checked_in_minutes: int | None = None
    calendar: CalendarTimes | None = None  # between sessions from the calendar

    def __post_init__(self):
        """Refuse a plan that could be read more than one way."""
        ZoneInfo(self.timezone)  # an unknown zone raises here, not at send time
        if self.mode not in MODES:
            raise ValueError(f"Unknown reminder mode {self.mode!r}.")
        needed = () if self.from_calendar else REQUIRED_TIMES[self.mode]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"A {self.mode} plan needs {', '.join(missing)}.")
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("Quiet hours need both a start and an end.")
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise ValueError("Quiet hours cannot start and end at the same time.")
        if self.session_minutes < 1 or self.gap_minutes < 0:
            raise ValueError("Sessions last at least a minute and gaps are not negative.")

    @property
    def zone(self):
        """The user's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def from_calendar(self):
        """Whether reminders between sessions follow the person's calendar."""
        return self.mode == "between_sessions" and self.calendar is not None


@dataclass(frozen=True)
class ReminderState:
    """What the schedule needs to know from outside: sends, check-ins, ignored reminders."""

    today: date | None = None  # the local day that `sent_today` counts
    sent_today: int = 0
    ignored_in_a_row: int = 0
    last_checkin_at: datetime | None = None  # aware
    backoff_day: date | None = None  # the local day on which back-off started


@dataclass(frozen=True)
class Slot:
    """One reminder: when it is due, its exactly-once key, and the practice it offers."""

    due: datetime  # aware UTC
    key: str  # "<mode>:<local due time to the minute>", e.g. "fixed_times:2026-11-23T10:50"
    practice: str | None
    day: date  # the local day the reminder was planned for
    sequence: int  # counts the plan's wall times day after day; rotates practices


class Decision(StrEnum):
    """What to do with a slot that has come due."""

    SEND = "send"
    SKIP_PAUSED = "skip_paused"
    SKIP_CAP = "skip_cap"
    SKIP_BACKED_OFF = "skip_backed_off"
    SKIP_RECENT_CHECKIN = "skip_recent_checkin"
    SKIP_LATE = "skip_late"


def _minutes(wall):
    """Minutes after local midnight."""
    return wall.hour * 60 + wall.minute


def _wall_time(minutes):
    """The wall time this many minutes after local midnight."""
    return time(minutes // 60, minutes % 60)


def sessions(plan):
    """A workday's sessions as (start, end) minutes after midnight, ending by the last end."""
    spans = []
    start = _minutes(plan.first_session)
    while start + plan.session_minutes <= _minutes(plan.last_session_end):
        spans.append((start, start + plan.session_minutes))
        start += plan.session_minutes + plan.gap_minutes
    return spans


def daily_times(plan):
    """The local wall times of one reminder day, earliest first."""
    if plan.mode == "between_sessions":
        return tuple(_wall_time(end) for _, end in sessions(plan))
    if plan.mode == "end_of_day":
        return (plan.end_of_day,)
    return tuple(sorted(set(plan.times)))


def to_utc(day, wall, zone):
    """The UTC instant of a local wall time, resolved as the module docstring describes."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first of two readings
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    return _end_of_gap(local)


def _end_of_gap(local):
    """The first instant after the spring-forward gap that swallowed this wall time."""
    zone = local.tzinfo
    # Read with the later offset the wall time lands before the change, with the earlier
    # offset after it; the change lies between, found to the second.
    before = int(local.replace(fold=1).timestamp())
    after = int(local.timestamp())
    new_offset = datetime.fromtimestamp(after, zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == new_offset:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def _quiet_end(plan, day, wall):
    """The (day, wall time) at which the quiet hours around `wall` end, or None."""
    start, end = plan.quiet_start, plan.quiet_end
    if start is None:
        return None
    if start < end:
        return (day, end) if start <= wall < end else None
    if wall >= start:
        return (day + timedelta(days=1), end)
    return (day, end) if wall < end else None


def _after_any_session(plan, day, wall):
    """`wall`, or the end of the session it falls in: nothing is sent during a session."""
    end = _session_end(plan, to_utc(day, wall, plan.zone))
    return wall if end is None else end.astimezone(plan.zone).time()


def _session_end(plan, moment):
    """When the session the instant `moment` falls in ends (a busy block, when the plan
    follows a calendar), or None outside one or outside between-sessions mode."""
    local = moment.astimezone(plan.zone)
    if plan.mode != "between_sessions" or local.weekday() not in plan.workdays:
        return None
    if plan.from_calendar:
        return next((end for start, end in plan.calendar.blocks if start <= moment < end), None)
    minutes = _minutes(local.time())
    for start, end in sessions(plan):
        if start <= minutes < end:
            return to_utc(local.date(), _wall_time(end), plan.zone)
    return None


def in_quiet_hours(plan, moment):
    """Whether the instant `moment` falls in the plan's quiet hours."""
    local = moment.astimezone(plan.zone)
    return _quiet_end(plan, local.date(), local.time()) is not None


def free_from(plan, moment):
    """The first instant from `moment` on outside the quiet hours and (in between-sessions
    mode) outside a session: when something held back by them may go."""
    for _ in range(4):  # quiet hours may end inside a session, a session inside them
        local = moment.astimezone(plan.zone)
        quiet_end = _quiet_end(plan, local.date(), local.time())
        held = to_utc(*quiet_end, plan.zone) if quiet_end else _session_end(plan, moment)
        if held is None:
            return moment
        moment = held
    return moment


def _due_wall_time(plan, day, wall):
    """Where a planned wall time is actually due: itself, or deferred past quiet hours."""
    quiet_end = _quiet_end(plan, day, wall)
    if quiet_end is None:
        return day, wall
    due_day, due_wall = quiet_end
    return due_day, _after_any_session(plan, due_day, due_wall)


def _practice(plan, sequence):
    """The practice this reminder offers, rotating through the user's chosen ones."""
    if not plan.practices:
        return None
    return plan.practices[sequence % len(plan.practices)]


def _calendar_times(plan, day):
    """The local wall times of a day's reminders from the calendar: each block's end
    followed by a gap of at least `gap_minutes`."""
    if day in plan.calendar.days_off:
        return ()
    blocks = plan.calendar.blocks
    enough = timedelta(minutes=plan.gap_minutes)
    times = []
    for index, (_, end) in enumerate(blocks):
        local = end.astimezone(plan.zone)
        following = blocks[index + 1][0] if index + 1 < len(blocks) else None
        if local.date() == day and (following is None or following - end >= enough):
            times.append(local.time().replace(second=0, microsecond=0))
    return tuple(times)


def _planned(plan, first_day, last_day):
    """Every planned reminder of the local days [first_day, last_day), in time order."""
    times = () if plan.from_calendar else daily_times(plan)
    day = first_day
    while day < last_day:
        if plan.from_calendar:
            times = _calendar_times(plan, day)
        if day.weekday() in plan.workdays:
            for index, wall in enumerate(times):
                sequence = day.toordinal() * len(times) + index
                due = to_utc(*_due_wall_time(plan, day, wall), plan.zone)
                mode = "calendar" if plan.from_calendar else plan.mode
                key = f"{mode}:{due.astimezone(plan.zone):%Y-%m-%dT%H:%M}"
                yield Slot(due, key, _practice(plan, sequence), day, sequence)
        day += timedelta(days=1)


def sent_on(state, day):
    """How many reminders were sent on this local day, as far as the state knows."""
    return state.sent_today if day == state.today else 0


def _blocked(plan, state, slot):
    """Why the plan leaves this slot out (a skip Decision), or None when it stands."""
    if plan.paused_until is not None and slot.day < plan.paused_until:
        return Decision.SKIP_PAUSED
    due_day = slot.due.astimezone(plan.zone).date()
    if plan.daily_cap is not None and sent_on(state, due_day) >= plan.daily_cap:
        return Decision.SKIP_CAP
    if slot.day == state.backoff_day and slot.sequence % 2:
        return Decision.SKIP_BACKED_OFF
    return None


def _search_start(plan, after):
    """The first local day whose reminders might be due after `after`."""
    day = after.astimezone(plan.zone).date()
    if plan.paused_until is not None:
        day = max(day, plan.paused_until)
    return day - LOOKBACK


def next_slot(plan, after, state):
    """The first reminder due strictly after the aware instant `after`, or None if never."""
    first_day = _search_start(plan, after)
    days = CALENDAR_SEARCH_DAYS if plan.from_calendar else SEARCH_DAYS
    for slot in _planned(plan, first_day, first_day + days):
        if slot.due > after and _blocked(plan, state, slot) is None:
            return slot
    return None


def upcoming(plan, after, count, state=ReminderState()):
    """The next `count` reminders after `after` (fewer if the plan has fewer), as the
    plan stands and counting each day's cap: what a preview of a plan shows."""
    slots = []
    while len(slots) < count and (slot := next_slot(plan, after, state)) is not None:
        slots.append(slot)
        day = slot.due.astimezone(plan.zone).date()
        state = replace(state, today=day, sent_today=sent_on(state, day) + 1)
        after = slot.due
    return slots


def checked_in_recently(plan, state, now):
    """True when the user checked in within the plan's skip window before `now`."""
    minutes = plan.skip_if_checked_in_minutes
    if minutes is None or state.last_checkin_at is None:
        return False
    return now - state.last_checkin_at <= timedelta(minutes=minutes)


def decide(plan, state, slot, now):
    """Whether a slot that has come due goes out now, read with the state as it is now.

    A reminder more than LATE behind its time (the workers were down, or swamped) has
    missed its moment: a nudge for the end of one session could land in the next.
    """
    if now - slot.due > LATE:
        return Decision.SKIP_LATE
    reason = _blocked(plan, state, slot)
    if reason is not None:
        return reason
    if checked_in_recently(plan, state, now):
        return Decision.SKIP_RECENT_CHECKIN
    return Decision.SEND


def note_ignored(plan, state, when):
    """The state after one more reminder went unanswered, noticed at `when`.

    The third in a row starts back-off for that local day and starts the count afresh,
    so the next day is normal and back-off only returns after three more.
    """
    ignored = state.ignored_in_a_row + 1
    if ignored < IGNORED_BEFORE_BACKOFF:
        return replace(state, ignored_in_a_row=ignored)
    return replace(state, ignored_in_a_row=0, backoff_day=when.astimezone(plan.zone).date())


def is_backed_off(plan, state, when):
    """True when reminders are thinned on the local day of `when`, so the app can say so."""
    return state.backoff_day == when.astimezone(plan.zone).date()


@dataclass(frozen=True)
class ReminderCopy:
    """The words of one notification."""

    title: str
    body: str


TITLES = (
    "A small pause",
    "Between sessions",
    "A moment for you",
    "Room to breathe",
    "Just for you",
    "A little care",
    "Your own minute",
    "Tending to you",
)

INVITATIONS = {
    "breaths": ("Three slow breaths, whenever you are ready.",
                "Let the next three breaths be slow ones."),
    "water": ("A glass of water might feel good right now.",
              "How about a few sips of water?"),
    "stretch": ("A stretch for your shoulders and back?",
                "Stand and reach up high, if that feels right."),
    "outside": ("A minute outside, just to look at the sky?",
                "Some fresh air at the door, perhaps?"),
    "write": ("One line about how you are, if you like.",
              "A word or two for how you feel right now?"),
    "colleague": ("A friendly word with a colleague, perhaps?",
                  "Is there someone nearby you could say hello to?"),
    "music": ("Is there some live music you could look forward to?",
              "A gig, a choir, a busker: music in the room can refill you."),
    "nature": ("Some time among trees or by the water, when you can?",
               "Where is the nearest bit of green you could wander into?"),
    "reading": ("A few pages of a book that lifts you?",
                "The book on your nightstand might be good company tonight."),
    "joy": ("Who makes you laugh? Maybe some time with them soon.",
            "Time with people who light you up counts as care too."),
    "unclaimed": ("Some time that belongs to nobody but you?",
                  "An hour with nothing to do for anyone, when you can find one."),
    "breathing": ("A minute of noticing your breath, just as it is.",
                  "Breathe in, breathe out, and only notice."),
    "movement": ("A short walk, a dance, a stretch: whatever your body likes.",
                 "How about moving a little, in any way that feels good?"),
    "consultation": ("Is there something to take to a peer or to supervision?",
                     "A colleague's view can lighten what you carry."),
    "therapy": ("Your own therapy is care too. Is a session on the calendar?",
                "Room for your own story matters as well."),
}

CHECK_IN_INVITATIONS = (
    "How full is your tank right now?",
    "A quick check-in with yourself, only if it helps.",
)


def own_invitations(name):
    """Words for a practice the person added, which only its name can say anything about."""
    return (f"From your own list: {name}. Only if it feels right.",
            f"Maybe a good moment for this one: {name}.")


def reminder_copy(practice, index, name=None):
    """Warm words for a reminder offering `practice` (`name`: what the person calls a
    practice they added); `index` varies the wording."""
    if practice in INVITATIONS:
        lines = INVITATIONS[practice]
    else:
        lines = own_invitations(name) if practice and name else CHECK_IN_INVITATIONS
    title = TITLES[index % len(TITLES)]
    return ReminderCopy(title, lines[index // len(TITLES) % len(lines)])
