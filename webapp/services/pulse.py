"""The weekly pulse: six statements about the past week, in Tend's own words.

It is a quick look at the week, not a test: Tend wrote the statements itself, they are
not a validated instrument, and nothing here diagnoses, compares with a cut-off or
grades anyone. (The ProQOL 5 was considered and not shipped: its items may only be
used unchanged and credited, and the app never copies others' sentences.)

Three areas, two statements each, every answer from 1 (not at all) to 5 (very much):

- satisfaction: what the work gave back;
- wear: being worn down, tired or stretched too thin;
- carried: carrying clients' pain home (their stories coming back, feeling on edge).

Scoring. An area's score is the **sum** of its two answers, so it runs from 2 to 10
and stays a whole number ("7 of 10" reads plainly; a mean would give 3.5s). A
statement marked `reverse` is worded the other way round (for wear: "I could keep up
with what the week asked of me"), so its answer counts as 6 - answer: 5 becomes 1.
Every area score is therefore "more of that area" when higher: more given back, more
wear, more carried.

The overall score, for charts, is one number for "how light the week was":
satisfaction + (12 - wear) + (12 - carried), from 6 (heaviest) to 30 (lightest), so
higher is always the easier week. 12 is AREA_MIN + AREA_MAX: it turns an area round.

One pulse per local week. A pulse's `week_start` is the Monday of the person's own
week (their time zone) when it was taken. Taking it again in the same week changes that
week's pulse (the reflect page does so); should two devices each make one while
offline, the one changed last is the week's pulse (`week_pulse`, `weekly_pulse`).

Pulses are written by services.sync (the one writer); this module says what the
answers mean and reads a person's own back.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Pulse


@dataclass(frozen=True)
class Statement:
    """One statement of the pulse. `key` is what entries store: it never changes once given."""

    key: str
    area: str
    text: str
    reverse: bool = False


AREAS = {
    "satisfaction": "What the work gave back",
    "wear": "Wear and tiredness",
    "carried": "Carrying it home",
}
# Shorter names, for the trend's column headings and the CSV reader.
AREA_SHORT = {"satisfaction": "Gave back", "wear": "Worn down", "carried": "Carried home"}
STATEMENTS = (
    Statement("gave_back", "satisfaction",
              "The work gave something back to me this week."),
    Statement("made_difference", "satisfaction",
              "I could see that I made a difference for someone, even a small one."),
    Statement("worn_out", "wear",
              "I felt worn out, running on empty by the end of the day."),
    Statement("kept_up", "wear",
              "I could keep up with what the week asked of me.", reverse=True),
    Statement("stories_followed", "carried",
              "Someone's story followed me home and came back when I didn't want it to."),
    Statement("on_edge", "carried",
              "I felt on edge: tense, jumpy, or quick to startle."),
)
STATEMENT_KEYS = tuple(statement.key for statement in STATEMENTS)
SCALE = {1: "Not at all", 2: "A little", 3: "Somewhat", 4: "Quite a bit", 5: "Very much"}
LOWEST, HIGHEST = min(SCALE), max(SCALE)
AREA_MIN = LOWEST * 2
AREA_MAX = HIGHEST * 2
NOTE_LENGTH = 280
TREND_WEEKS = 8


@dataclass(frozen=True)
class WeekPulse:
    """One week of the trend: its Monday, and the scores (all None if not taken)."""

    week_start: date
    satisfaction: int | None = None
    wear: int | None = None
    carried: int | None = None
    score: int | None = None

    @property
    def taken(self):
        """Whether there is a pulse for this week."""
        return self.score is not None


def week_of(moment, timezone):
    """The Monday of the local week `moment` falls in, in the IANA zone `timezone`."""
    local_day = moment.astimezone(ZoneInfo(timezone)).date()
    return local_day - timedelta(days=local_day.weekday())


def counted(statement, answer):
    """An answer as its area counts it: turned round for a statement worded the other way."""
    return LOWEST + HIGHEST - answer if statement.reverse else answer


def area_scores(answers):
    """Each area's score, the sum of its statements' (counted) answers: {area: 2..10}."""
    scores = dict.fromkeys(AREAS, 0)
    for statement in STATEMENTS:
        scores[statement.area] += counted(statement, answers[statement.key])
    return scores


def overall_score(scores):
    """How light the week was, from 6 to 30: what it gave back, plus wear and what was
    carried home each turned round (so that less of them counts for more)."""
    turn = AREA_MIN + AREA_MAX
    return scores["satisfaction"] + (turn - scores["wear"]) + (turn - scores["carried"])


def scored_week(week_start, pulse):
    """The WeekPulse for a week, from its pulse (or None when it was not taken)."""
    if pulse is None:
        return WeekPulse(week_start)
    scores = area_scores(pulse.answers)
    return WeekPulse(week_start, score=overall_score(scores), **scores)


def week_pulse(user, week_start):
    """The person's pulse for the week starting `week_start`, or None.

    Should there be two (taken on two devices while offline), the one changed last.
    """
    return db.session.scalar(
        select(Pulse)
        .where(Pulse.user_id == user.id, Pulse.deleted.is_(False),
               Pulse.week_start == week_start)
        .order_by(Pulse.updated_at.desc(), Pulse.id.desc())
        .limit(1)
    )


def this_weeks_pulse(user, now):
    """The person's pulse for their current local week, or None."""
    return week_pulse(user, week_of(now, user.timezone))


def find_pulse(user, entry_id):
    """The person's pulse with this id (deleted or not), or None: others' do not exist here."""
    return db.session.scalar(select(Pulse).where(Pulse.id == str(entry_id),
                                                 Pulse.user_id == user.id))


def pulse_id_taken(entry_id):
    """Whether any pulse, whoever's, has this id (to tell a fresh form from a used one)."""
    return db.session.get(Pulse, str(entry_id)) is not None


def weekly_pulse(user, weeks, now):
    """The last `weeks` local weeks up to this one, oldest first, as WeekPulse: each
    with its Monday (`week_start`), the area scores and the overall `score`, all None
    for a week without a pulse."""
    this_week = week_of(now, user.timezone)
    first = this_week - timedelta(weeks=weeks - 1)
    rows = db.session.scalars(
        select(Pulse)
        .where(Pulse.user_id == user.id, Pulse.deleted.is_(False),
               Pulse.week_start >= first, Pulse.week_start <= this_week)
        .order_by(Pulse.updated_at, Pulse.id)
    )
    latest = {pulse.week_start: pulse for pulse in rows}  # the one changed last wins
    return [scored_week(day, latest.get(day))
            for day in (first + timedelta(weeks=n) for n in range(weeks))]


def week_words(week_start, this_week):
    """A week as people say it: 'This week', 'Last week', or 'Week of 9 Nov'."""
    if week_start == this_week:
        return "This week"
    if week_start == this_week - timedelta(weeks=1):
        return "Last week"
    return f"Week of {week_start.day} {week_start:%b}"


def csv_cells(answers):
    """A pulse's answers as the CSV has them: one `pulse_<key>` column per statement."""
    return {f"pulse_{key}": value for key, value in (answers or {}).items()}
