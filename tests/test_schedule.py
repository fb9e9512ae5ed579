"""The reminder schedule: plan modes, quiet hours, cap, pause, back-off, DST, keys and copy."""
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from webapp.services.checkins import PRACTICES
from webapp.services.schedule import (
    CHECK_IN_INVITATIONS,
    Decision,
    ReminderPlan,
    ReminderState,
    decide,
    is_backed_off,
    next_slot,
    note_ignored,
    reminder_copy,
)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"
WEEKDAYS = frozenset(range(5))
HOURLY = tuple(time(hour) for hour in range(9, 17))  # 09:00 … 16:00, eight a day
NOTHING_YET = ReminderState()
# 23 November 2026 is a Monday.
MONDAY = date(2026, 11, 23)


def at(zone, year, month, day, hour=0, minute=0):
    """The UTC instant of an unambiguous local wall time."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc(year, month, day, hour, minute=0):
    """An instant given in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def sessions_plan(**settings):
    """A London therapist's week: 50-minute sessions from 09:00, ten minutes apart."""
    return ReminderPlan(
        mode="between_sessions", timezone=LONDON, workdays=WEEKDAYS,
        first_session=time(9), last_session_end=time(17), **settings,
    )


def fixed_plan(times, zone=LONDON, **settings):
    """Reminders at the given local times, every day unless workdays say otherwise."""
    return ReminderPlan(mode="fixed_times", timezone=zone, times=times, **settings)


def walk(plan, start, end, state=NOTHING_YET):
    """Every slot from `start` to `end`, each one asked for after the previous one."""
    slots = []
    slot = next_slot(plan, start, state)
    while slot is not None and slot.due < end:
        slots.append(slot)
        slot = next_slot(plan, slot.due, state)
    return slots


def local_times(plan, slots, pattern="%a %H:%M"):
    """The slots as the user's clock shows them."""
    return [format(slot.due.astimezone(plan.zone), pattern) for slot in slots]


# Plan modes

def test_between_sessions_nudges_as_each_session_ends():
    plan = sessions_plan()
    slots = walk(plan, at(LONDON, 2026, 11, 23), at(LONDON, 2026, 11, 24))
    assert local_times(plan, slots, "%H:%M") == [
        "09:50", "10:50", "11:50", "12:50", "13:50", "14:50", "15:50", "16:50",
    ]


@pytest.mark.parametrize(("last_session_end", "last_nudge"), [
    (time(16, 50), "16:50"),
    (time(16, 49), "15:50"),
])
def test_the_last_session_must_end_by_the_last_end(last_session_end, last_nudge):
    plan = ReminderPlan(mode="between_sessions", timezone=LONDON, first_session=time(9),
                        last_session_end=last_session_end)
    slots = walk(plan, at(LONDON, 2026, 11, 23), at(LONDON, 2026, 11, 24))
    assert local_times(plan, slots, "%H:%M")[-1] == last_nudge


def test_nothing_is_due_while_a_session_is_running():
    plan = sessions_plan()
    slot = next_slot(plan, at(LONDON, 2026, 11, 23, 9, 5), NOTHING_YET)
    assert local_times(plan, [slot]) == ["Mon 09:50"]


def test_between_sessions_rests_on_days_off():
    plan = sessions_plan()
    slot = next_slot(plan, at(LONDON, 2026, 11, 27, 17), NOTHING_YET)
    assert local_times(plan, [slot], "%A %d %H:%M") == ["Monday 30 09:50"]


def test_fixed_times_come_every_day_in_order_by_default():
    plan = fixed_plan((time(12, 30), time(9), time(17, 15)))
    slots = walk(plan, at(LONDON, 2026, 11, 28), at(LONDON, 2026, 11, 30))
    assert local_times(plan, slots) == [
        "Sat 09:00", "Sat 12:30", "Sat 17:15", "Sun 09:00", "Sun 12:30", "Sun 17:15",
    ]


def test_fixed_times_keep_to_the_workdays_when_given():
    plan = fixed_plan((time(9), time(14)), workdays=WEEKDAYS)
    slots = walk(plan, at(LONDON, 2026, 11, 27, 10), at(LONDON, 2026, 12, 1))
    assert local_times(plan, slots) == ["Fri 14:00", "Mon 09:00", "Mon 14:00"]


def test_end_of_day_is_once_a_day():
    plan = ReminderPlan(mode="end_of_day", timezone=LONDON, end_of_day=time(18, 30))
    slots = walk(plan, at(LONDON, 2026, 11, 23, 19), at(LONDON, 2026, 11, 26))
    assert local_times(plan, slots) == ["Tue 18:30", "Wed 18:30"]


@pytest.mark.parametrize("plan", [
    fixed_plan(()),
    fixed_plan((time(9),), workdays=frozenset()),
    fixed_plan((time(9),), daily_cap=0),
    ReminderPlan(mode="between_sessions", timezone=LONDON, first_session=time(9),
                 last_session_end=time(9, 30)),
])
def test_a_plan_that_can_never_remind_has_no_next_slot(plan):
    assert next_slot(plan, at(LONDON, 2026, 11, 23), NOTHING_YET) is None


@pytest.mark.parametrize("settings", [
    {"mode": "hourly"},
    {"mode": "end_of_day"},
    {"mode": "between_sessions", "first_session": time(9)},
    {"mode": "fixed_times", "quiet_start": time(22)},
    {"mode": "fixed_times", "quiet_start": time(22), "quiet_end": time(22)},
    {"mode": "fixed_times", "session_minutes": 0},
])
def test_an_unclear_plan_is_refused(settings):
    with pytest.raises(ValueError):
        ReminderPlan(timezone=LONDON, **settings)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ZoneInfoNotFoundError):
        ReminderPlan(mode="fixed_times", timezone="Europe/Atlantis")


# Quiet hours

def night_owl_plan(**settings):
    """Reminders at 06:00, 12:00, 22:00 and 23:00, quiet from 21:30 to 07:00."""
    return fixed_plan((time(6), time(12), time(22), time(23)),
                      quiet_start=time(21, 30), quiet_end=time(7), **settings)


def test_quiet_hours_across_midnight_defer_to_their_end_as_one_reminder():
    plan = night_owl_plan()
    slots = walk(plan, at(LONDON, 2026, 11, 23, 20), at(LONDON, 2026, 11, 24, 23, 59))
    assert local_times(plan, slots) == ["Tue 07:00", "Tue 12:00"]


def test_a_deferred_reminder_is_the_same_slot_whenever_it_is_computed():
    plan = night_owl_plan(practices=("breaths", "water", "stretch"))
    slots = {
        next_slot(plan, after, NOTHING_YET)
        for after in (at(LONDON, 2026, 11, 23, 21, 45), at(LONDON, 2026, 11, 23, 22, 30),
                      at(LONDON, 2026, 11, 24, 6, 30))
    }
    assert len(slots) == 1
    (slot,) = slots
    assert slot.key == "fixed_times:2026-11-24T07:00"
    assert slot.day == MONDAY


def test_quiet_hours_within_one_day():
    plan = fixed_plan((time(11), time(12), time(12, 30)), quiet_start=time(12),
                      quiet_end=time(13))
    slots = walk(plan, at(LONDON, 2026, 11, 23), at(LONDON, 2026, 11, 24))
    assert local_times(plan, slots) == ["Mon 11:00", "Mon 13:00"]


@pytest.mark.parametrize(("quiet_end", "morning"), [
    (time(8, 20), ["08:50"]),  # inside the 08:00-08:50 session
    (time(8), ["08:50"]),  # just as that session begins
    (time(7, 55), ["07:55", "08:50"]),  # in the gap between sessions
])
def test_a_deferred_nudge_waits_for_the_session_to_end(quiet_end, morning):
    # Sessions 07:00-07:50, 08:00-08:50, …; the 07:50 nudge falls in quiet hours.
    plan = ReminderPlan(mode="between_sessions", timezone=LONDON, first_session=time(7),
                        last_session_end=time(12), quiet_start=time(22), quiet_end=quiet_end)
    slots = walk(plan, at(LONDON, 2026, 11, 23), at(LONDON, 2026, 11, 23, 12))
    assert local_times(plan, slots, "%H:%M") == [*morning, "09:50", "10:50", "11:50"]


# Daily cap

@pytest.mark.parametrize(("state", "expected"), [
    (ReminderState(today=MONDAY, sent_today=2), "Mon 13:00"),
    (ReminderState(today=MONDAY, sent_today=3), "Tue 09:00"),
    (ReminderState(today=date(2026, 11, 22), sent_today=5), "Mon 13:00"),
])
def test_the_daily_cap_counts_the_reminders_of_the_local_day(state, expected):
    plan = fixed_plan(HOURLY, daily_cap=3)
    slot = next_slot(plan, at(LONDON, 2026, 11, 23, 12, 30), state)
    assert local_times(plan, [slot]) == [expected]


def test_a_slot_reached_by_the_cap_meanwhile_is_not_sent():
    plan = fixed_plan(HOURLY, daily_cap=3)
    slot = next_slot(plan, at(LONDON, 2026, 11, 23, 12, 30),
                     ReminderState(today=MONDAY, sent_today=2))
    now = slot.due
    assert decide(plan, ReminderState(today=MONDAY, sent_today=2), slot, now) == Decision.SEND
    assert decide(plan, ReminderState(today=MONDAY, sent_today=3), slot,
                  now) == Decision.SKIP_CAP


@pytest.mark.parametrize(("minutes_behind", "decision"), [
    (0, Decision.SEND),
    (10, Decision.SEND),
    (11, Decision.SKIP_LATE),
    (180, Decision.SKIP_LATE),
])
def test_a_reminder_that_missed_its_moment_is_not_sent(minutes_behind, decision):
    plan = sessions_plan()  # late, the end-of-session nudge would land in the next session
    slot = next_slot(plan, at(LONDON, 2026, 11, 23, 12, 30), NOTHING_YET)
    assert decide(plan, NOTHING_YET, slot, slot.due + timedelta(minutes=minutes_behind)) == decision


# Pause: reminders come back on the paused_until day itself

@pytest.mark.parametrize(("after", "expected"), [
    (at(LONDON, 2026, 11, 23, 8), "Thu 26 09:00"),
    (at(LONDON, 2026, 11, 26), "Thu 26 09:00"),
    (at(LONDON, 2026, 11, 26, 10), "Fri 27 09:00"),
])
def test_no_reminder_before_the_day_the_pause_ends(after, expected):
    plan = fixed_plan((time(9),), paused_until=date(2026, 11, 26))
    assert local_times(plan, [next_slot(plan, after, NOTHING_YET)], "%a %d %H:%M") == [expected]


def test_a_long_pause_is_found_however_far_away_it_ends():
    plan = fixed_plan((time(9),), paused_until=date(2027, 1, 4))
    slot = next_slot(plan, at(LONDON, 2026, 11, 23), NOTHING_YET)
    assert local_times(plan, [slot], "%Y-%m-%d %H:%M") == ["2027-01-04 09:00"]


def test_a_paused_evening_is_not_deferred_into_the_first_day_back():
    plan = fixed_plan((time(6), time(22)), quiet_start=time(21, 30), quiet_end=time(7),
                      paused_until=date(2026, 11, 26))
    slot = next_slot(plan, at(LONDON, 2026, 11, 24), NOTHING_YET)
    assert local_times(plan, [slot], "%a %d %H:%M") == ["Thu 26 07:00"]
    assert slot.day == date(2026, 11, 26)  # Thursday's 06:00, not Wednesday's 22:00
    assert decide(plan, NOTHING_YET, slot, slot.due) == Decision.SEND


def test_a_pause_set_after_the_slot_was_computed_still_holds():
    slot = next_slot(fixed_plan((time(9),)), at(LONDON, 2026, 11, 24), NOTHING_YET)
    paused = fixed_plan((time(9),), paused_until=date(2026, 11, 26))
    assert decide(paused, NOTHING_YET, slot, slot.due) == Decision.SKIP_PAUSED


# Skip if checked in recently: decided at send time, not when the slot is computed

@pytest.mark.parametrize(("minutes_ago", "decision"), [
    (5, Decision.SKIP_RECENT_CHECKIN),
    (30, Decision.SKIP_RECENT_CHECKIN),
    (31, Decision.SEND),
])
def test_a_recent_check_in_skips_the_reminder(minutes_ago, decision):
    plan = fixed_plan((time(10),), skip_if_checked_in_minutes=30)
    now = at(LONDON, 2026, 11, 23, 10)
    state = ReminderState(last_checkin_at=now - timedelta(minutes=minutes_ago))
    slot = next_slot(plan, at(LONDON, 2026, 11, 23, 9), state)
    assert slot.due == now
    assert decide(plan, state, slot, now) == decision


def test_a_check_in_counts_only_when_the_user_asked_for_it():
    plan = fixed_plan((time(10),))
    now = at(LONDON, 2026, 11, 23, 10)
    state = ReminderState(last_checkin_at=at(LONDON, 2026, 11, 23, 9, 55))
    slot = next_slot(plan, at(LONDON, 2026, 11, 23, 9), state)
    assert decide(plan, state, slot, now) == Decision.SEND


# Back-off after three ignored reminders

def test_the_third_ignored_reminder_in_a_row_starts_back_off_for_that_day():
    plan = fixed_plan(HOURLY)
    state = NOTHING_YET
    for hour in (9, 10):
        state = note_ignored(plan, state, at(LONDON, 2026, 11, 23, hour, 59))
        assert state.backoff_day is None
    state = note_ignored(plan, state, at(LONDON, 2026, 11, 23, 11, 59))
    assert state == ReminderState(ignored_in_a_row=0, backoff_day=MONDAY)
    assert is_backed_off(plan, state, at(LONDON, 2026, 11, 23, 23, 59))
    assert not is_backed_off(plan, state, at(LONDON, 2026, 11, 24))


def test_back_off_starts_on_the_users_local_day():
    plan = fixed_plan(HOURLY, zone=NEW_YORK)
    state = NOTHING_YET
    for _ in range(3):
        state = note_ignored(plan, state, utc(2026, 11, 24, 3))  # 22:00 Monday in New York
    assert state.backoff_day == MONDAY


def test_back_off_halves_the_rest_of_the_day_then_tomorrow_is_normal():
    plan = fixed_plan(HOURLY)
    state = ReminderState(backoff_day=MONDAY)
    slots = walk(plan, at(LONDON, 2026, 11, 23, 11, 30), at(LONDON, 2026, 11, 25), state)
    assert local_times(plan, slots) == [
        "Mon 13:00", "Mon 15:00",
        "Tue 09:00", "Tue 10:00", "Tue 11:00", "Tue 12:00",
        "Tue 13:00", "Tue 14:00", "Tue 15:00", "Tue 16:00",
    ]


def test_a_slot_computed_before_back_off_began_is_thinned_at_send_time():
    plan = fixed_plan(HOURLY)
    noon = next_slot(plan, at(LONDON, 2026, 11, 23, 11, 30), NOTHING_YET)
    one = next_slot(plan, noon.due, NOTHING_YET)
    backed_off = ReminderState(backoff_day=MONDAY)
    assert decide(plan, backed_off, noon, noon.due) == Decision.SKIP_BACKED_OFF
    assert decide(plan, backed_off, one, one.due) == Decision.SEND


# Daylight saving: the wall clock holds, never "+24 h"

@pytest.mark.parametrize(("zone", "days", "utc_hours"), [
    (NEW_YORK, (date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)), [14, 13, 13]),
    (NEW_YORK, (date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)), [13, 14, 14]),
    (LONDON, (date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)), [9, 8, 8]),
    (LONDON, (date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)), [8, 9, 9]),
])
def test_a_nine_oclock_reminder_stays_at_nine_across_the_change(zone, days, utc_hours):
    plan = fixed_plan((time(9),), zone=zone)
    first, *_, last = days
    slots = walk(plan, at(zone, first.year, first.month, first.day),
                 at(zone, last.year, last.month, last.day, 23))
    assert [slot.due.astimezone(plan.zone).date() for slot in slots] == list(days)
    assert local_times(plan, slots, "%H:%M") == ["09:00"] * 3
    assert [slot.due.hour for slot in slots] == utc_hours


def test_session_ends_keep_their_wall_time_across_the_change():
    plan = ReminderPlan(mode="between_sessions", timezone=NEW_YORK, first_session=time(9),
                        last_session_end=time(10))
    slots = walk(plan, at(NEW_YORK, 2026, 10, 30), at(NEW_YORK, 2026, 11, 3))
    assert local_times(plan, slots, "%a %H:%M") == [
        "Fri 09:50", "Sat 09:50", "Sun 09:50", "Mon 09:50",
    ]
    assert [slot.due for slot in slots] == [
        utc(2026, 10, 30, 13, 50), utc(2026, 10, 31, 13, 50),
        utc(2026, 11, 1, 14, 50), utc(2026, 11, 2, 14, 50),
    ]


def local_day_walk(plan, day):
    """The slots from noon the day before `day` to noon the day after."""
    zone = plan.timezone
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    return walk(plan, at(zone, before.year, before.month, before.day, 12),
                at(zone, after.year, after.month, after.day, 12))


@pytest.mark.parametrize(("zone", "wall", "later", "change_day", "due", "expected"), [
    (NEW_YORK, time(2, 30), time(3, 15), date(2026, 3, 8), utc(2026, 3, 8, 7),
     ["08 03:00", "08 03:15", "09 02:30", "09 03:15"]),
    (LONDON, time(1, 30), time(2, 15), date(2026, 3, 29), utc(2026, 3, 29, 1),
     ["29 02:00", "29 02:15", "30 01:30", "30 02:15"]),
])
def test_a_time_skipped_by_spring_forward_fires_when_the_gap_ends(
        zone, wall, later, change_day, due, expected):
    plan = fixed_plan((wall, later), zone=zone)
    slots = local_day_walk(plan, change_day)
    assert local_times(plan, slots, "%d %H:%M") == expected
    assert slots[0].due == due
    assert slots[0].key == f"fixed_times:{change_day}T{expected[0][3:]}"


@pytest.mark.parametrize(("zone", "change_day", "first_occurrence", "next_day"), [
    (NEW_YORK, date(2026, 11, 1), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),
    (LONDON, date(2026, 10, 25), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),
])
def test_a_time_repeated_by_fall_back_fires_once(zone, change_day, first_occurrence, next_day):
    plan = fixed_plan((time(1, 30),), zone=zone)
    assert [slot.due for slot in local_day_walk(plan, change_day)] == [
        first_occurrence, next_day,
    ]
    assert next_slot(plan, first_occurrence, NOTHING_YET).due == next_day


# Slot keys

def test_a_slot_key_names_the_mode_and_the_local_minute():
    slot = next_slot(sessions_plan(), at(LONDON, 2026, 11, 23, 10), NOTHING_YET)
    assert slot.key == "between_sessions:2026-11-23T10:50"
    fixed = next_slot(fixed_plan((time(10, 50),)), at(LONDON, 2026, 11, 23, 10), NOTHING_YET)
    assert fixed.due == slot.due and fixed.key != slot.key


def test_a_slot_key_is_the_same_however_often_it_is_computed():
    keys = {
        next_slot(sessions_plan(), after, NOTHING_YET).key
        for after in (at(LONDON, 2026, 11, 23, 9, 49), at(LONDON, 2026, 11, 23, 9),
                      at(LONDON, 2026, 11, 22, 20))
    }
    assert keys == {"between_sessions:2026-11-23T09:50"}


def test_slot_keys_are_unique_through_both_changes():
    plan = fixed_plan((time(1, 30), time(2, 30), time(9)), zone=NEW_YORK)
    for start, end in ((at(NEW_YORK, 2026, 3, 1), at(NEW_YORK, 2026, 3, 15)),
                       (at(NEW_YORK, 2026, 10, 25), at(NEW_YORK, 2026, 11, 8))):
        slots = walk(plan, start, end)
        assert len(slots) == 14 * 3
        assert len({slot.key for slot in slots}) == len(slots)
        assert len({slot.due for slot in slots}) == len(slots)


# Practices rotate

def test_practices_rotate_in_order_from_one_day_to_the_next():
    practices = ("breaths", "water", "stretch")
    plan = fixed_plan(HOURLY, practices=practices)
    slots = walk(plan, at(LONDON, 2026, 11, 23), at(LONDON, 2026, 11, 25))
    assert len(slots) == 16
    offered = [slot.practice for slot in slots]
    start = practices.index(offered[0])
    assert offered == [practices[(start + n) % 3] for n in range(16)]


def test_the_practice_of_a_slot_does_not_depend_on_when_it_is_asked_for():
    plan = fixed_plan(HOURLY, practices=("breaths", "water", "stretch"))
    asked_directly = next_slot(plan, at(LONDON, 2026, 11, 20, 11, 30), NOTHING_YET)
    walked = walk(plan, at(LONDON, 2026, 11, 19, 8), at(LONDON, 2026, 11, 20, 12, 30))
    assert walked[-1] == asked_directly


def test_without_chosen_practices_a_reminder_invites_a_check_in():
    slot = next_slot(fixed_plan((time(9),)), at(LONDON, 2026, 11, 23), NOTHING_YET)
    assert slot.practice is None
    assert reminder_copy(slot.practice, 0).body in CHECK_IN_INVITATIONS


# Copy

GUILT = re.compile(
    r"\b(clients?|streaks?|scores?|miss(ed|ing)?|forg[eo]t(ten)?|should|must|late|behind"
    r"|fail(ed|ing)?|lazy|guilty?|sorry|again|overdue)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("practice", [*PRACTICES, None])
def test_reminder_copy_is_warm_short_and_varied(practice):
    copies = {reminder_copy(practice, index) for index in range(64)}
    assert len(copies) >= 8
    for copy in copies:
        text = f"{copy.title}: {copy.body}"
        assert len(text) < 120
        assert not GUILT.search(text), text


def test_every_practice_has_its_own_invitation():
    for practice, label in PRACTICES.items():
        body = reminder_copy(practice, 0).body
        assert body not in CHECK_IN_INVITATIONS, label


def test_the_guilt_list_would_catch_a_guilty_line():
    assert GUILT.search("You missed your streak")
    assert GUILT.search("Your clients can wait")
