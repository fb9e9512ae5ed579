"""Insights: a week and a month of a person's own entries, read in their time zone from
live entries only, the observations each threshold earns (and just under it does not),
and the page over HTTP, scoped to its owner."""
import re
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import Session
from tests.test_pwa import worker_settings
from webapp.extensions import db
from webapp.insights.charts import bar_chart, day_labels, gauge, line_chart
from webapp.models import User
from webapp.services import insights
from webapp.services.clock import utcnow
from webapp.services.sync import CREATED, save_entry

LA = ZoneInfo("America/Los_Angeles")
FRIDAY = date(2026, 11, 20)  # the week is Saturday 14 to Friday 20 November
NOW = datetime.combine(FRIDAY, time(12), tzinfo=LA)
WEEK, MONTH = insights.PERIODS["week"], insights.PERIODS["month"]


@pytest.fixture
def sam(app):
    """Sam, in Los Angeles, with an account; yields the User inside an app context."""
    person = Session(app.test_client())
    assert person.register(timezone="America/Los_Angeles").status_code == 302
    with app.app_context():
        yield db.session.scalar(select(User).where(User.email == "sam@example.org"))


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


def save(user, kind, moment, **fields):
    """One entry through the one writer, as made at `moment`; returns it."""
    stamp = moment.isoformat()
    result = save_entry(user, kind, {"id": str(uuid.uuid4()), "created_at": stamp,
                                     "updated_at": stamp, **fields})
    assert result.status == CREATED, result.errors
    return result.entry


def check_in(user, moment, tank=3, **fields):
    return save(user, "checkin", moment, tank=tank, **fields)


def practice_done(user, moment, practice="water"):
    return save(user, "practice_done", moment, practice=practice)


def delete(user, kind, entry):
    stamp = (entry.updated_at + timedelta(seconds=1)).isoformat()
    fields = {"tank": entry.tank} if kind == "checkin" else {"practice": entry.practice}
    result = save_entry(user, kind, {"id": entry.id, "created_at": entry.created_at.isoformat(),
                                     "updated_at": stamp, "deleted": True, **fields})
    assert result.status == "updated", result.errors


def day_of(found, day):
    return next(each for each in found.days if each.date == day)


MON, TUE, WED, THU = (FRIDAY - timedelta(days=n) for n in (4, 3, 2, 1))


@pytest.fixture
def week(sam):
    """A known week for Sam: eight live check-ins (two of them safety sessions), one
    just before the week by local day, one deleted; three practices done, one undone."""
    check_in(sam, local(MON, 9), tank=2, work_share=70, lean_personal=2)
    check_in(sam, local(MON, 23, 30), tank=4, work_share=40, lean_personal=1)  # Tuesday in UTC
    check_in(sam, local(TUE, 10), tank=4, work_share=60, lean_personal=-1)
    check_in(sam, local(WED, 10), tank=5, work_share=55, lean_client=-2)
    check_in(sam, local(WED, 14), tank=1, work_share=90, safety_session=True)
    check_in(sam, local(THU, 10), tank=2, work_share=49, lean_personal=2)  # at the boundary
    check_in(sam, local(THU, 15), tank=3, work_share=80)
    check_in(sam, local(FRIDAY, 9), tank=4, safety_session=True)
    # Friday 13th, 23:30 in Los Angeles: Saturday 14th in UTC, but not this local week.
    check_in(sam, local(FRIDAY - timedelta(days=7), 23, 30), tank=1, work_share=100)
    delete(sam, "checkin", check_in(sam, local(FRIDAY, 10), tank=1, work_share=100,
                                    safety_session=True))
    practice_done(sam, local(MON, 12))
    practice_done(sam, local(WED, 8), "breaths")
    practice_done(sam, local(WED, 18))
    delete(sam, "practice_done", practice_done(sam, local(THU, 12), "stretch"))
    return sam


# The week and the month ----------------------------------------------------------------


def test_the_week_is_the_last_seven_local_days_of_live_entries(week):
    found = insights.overview(week, WEEK, NOW)
    assert [day.date for day in found.days] == [
        FRIDAY - timedelta(days=n) for n in range(6, -1, -1)]
    assert found.checkins == 8
    assert found.tank == pytest.approx(25 / 8)  # 2+4+4+5+1+2+3+4
    assert [day.tank for day in found.days] == [None, None, 3.0, 4.0, 3.0, 2.5, 4.0]
    assert [day.checkins for day in found.days] == [0, 0, 2, 1, 2, 2, 1]


def test_a_check_in_at_half_past_eleven_at_night_counts_for_that_local_day(week):
    found = insights.overview(week, WEEK, NOW)
    assert day_of(found, MON).checkins == 2
    assert day_of(found, TUE).checkins == 1
    assert found.days[0].date == date(2026, 11, 14) and found.days[0].checkins == 0


def test_sessions_over_the_boundary_leave_safety_sessions_apart(week):
    found = insights.overview(week, WEEK, NOW)
    # 70, 40, 60, 55, 49, 80: four over 49 %; 49 itself is within. Two safety sessions.
    assert (found.sessions.counted, found.sessions.over, found.sessions.safety) == (6, 4, 2)
    assert [(day.sessions.within, day.sessions.over, day.sessions.safety)
            for day in found.days] == [(0, 0, 0), (0, 0, 0), (1, 1, 0), (0, 1, 0), (0, 1, 1),
                                       (1, 1, 0), (0, 0, 1)]


def test_care_leans_are_averaged_per_day_and_over_the_week(week):
    found = insights.overview(week, WEEK, NOW)
    assert found.leans == {"lean_personal": 1.0, "lean_client": -2.0, "lean_community": None}
    assert found.lean_days == {"lean_personal": 3, "lean_client": 1, "lean_community": 0}
    assert [day.leans["lean_personal"] for day in found.days] == [
        None, None, 1.5, -1.0, None, 2.0, None]


def test_practices_done_are_counted_and_a_check_ins_next_practice_is_not(week):
    check_in(week, local(THU, 16), tank=3, practice="music")  # a plan, not a practice done
    found = insights.overview(week, WEEK, NOW)
    assert found.practices == 3
    assert found.practice_counts == [("water", 2), ("breaths", 1)]
    assert [day.practices for day in found.days] == [0, 0, 1, 0, 2, 0, 0]


def test_the_month_reaches_thirty_local_days_back(week):
    check_in(week, local(FRIDAY - timedelta(days=29), 8), tank=5)  # the month's first day
    check_in(week, local(FRIDAY - timedelta(days=30), 23, 59), tank=5)  # the day before it
    found = insights.overview(week, MONTH, NOW)
    assert len(found.days) == 30 and found.days[0].date == date(2026, 10, 22)
    assert found.checkins == 10
    assert found.tank == pytest.approx((25 + 1 + 5) / 10)
    assert (found.sessions.counted, found.sessions.over, found.sessions.safety) == (7, 5, 2)


def test_nothing_yet_is_an_empty_overview(sam):
    found = insights.overview(sam, WEEK, NOW)
    assert found.empty and found.tank is None and found.observations == []
    assert found.sessions == insights.Sessions(0, 0, 0)


# Observations: each threshold, and just under it ----------------------------------------


def kinds(user, now=NOW):
    return [observation.kind for observation in insights.observations(user, now)]


def noticed(user, kind, now=NOW):
    return next(observation for observation in insights.observations(user, now)
                if observation.kind == kind)


def workdays_back(count, start=FRIDAY):
    """The last `count` Monday-to-Friday days up to `start`, newest first."""
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


def test_a_lean_on_one_side_on_seven_of_the_last_ten_workdays_is_pointed_out(sam):
    for n, day in enumerate(workdays_back(10)):
        check_in(sam, local(day, 17), lean_personal=1 if n < 7 else 0)
    observation = noticed(sam, "lean_personal_right")
    assert observation.noticed == (
        "You leaned toward pushing through on 7 of the last 10 workdays you noted it.")
    assert observation.steps[0].endpoint == "practices.index"
    assert "Any step counts" in observation.offer


def test_six_of_ten_is_not_enough_and_weekends_and_older_days_do_not_count(sam):
    recent = workdays_back(12)
    for n, day in enumerate(recent):
        # The newest ten: seven pushing through; the two before them pushing through too.
        check_in(sam, local(day, 17), lean_personal=1 if n < 7 or n >= 10 else 0)
    # But the newest day also leaned the other way: it averages to the middle.
    check_in(sam, local(recent[0], 9), lean_personal=-1)
    for weekend in (date(2026, 11, 14), date(2026, 11, 15)):
        check_in(sam, local(weekend, 12), lean_personal=2)
    assert not [kind for kind in kinds(sam) if kind.startswith("lean_")]


def test_the_reminder_plans_workdays_decide_which_days_count(app, sam):
    for n, day in enumerate(workdays_back(10)):
        check_in(sam, local(day, 17), lean_client=-1 if n < 5 else 0)
    for weekend in (date(2026, 11, 14), date(2026, 11, 15)):
        check_in(sam, local(weekend, 12), lean_client=-2)
    assert "lean_client_left" not in kinds(sam)
    member = Session(app.test_client())
    member.sign_in()
    member.fetch_token("/reminders")
    every_day = [str(day) for day in range(7)]
    plan = {"mode": "fixed_times", "times": "9:00", "workdays": every_day}
    assert member.post("/reminders", plan).status_code == 200
    db.session.commit()  # end this context's read, so it sees the plan the request saved
    assert insights.workdays_of(sam) == frozenset(range(7))
    # Now the weekend counts: 5 + 2 of the last 10 days (the 10 newest of 12).
    observation = noticed(sam, "lean_client_left")
    assert observation.noticed == (
        "You leaned toward absorbed in their struggle on 7 of the last 10 workdays you noted it.")
    assert observation.steps[0].args == {"situation": "fix"}


def test_more_than_half_of_three_or_more_sessions_over_the_boundary(week):
    observation = noticed(week, "work_share")
    assert observation.noticed == ("In 4 of your 6 sessions this week, you carried more than "
                                   "49 % of the work (safety sessions aside).")
    assert observation.steps[0].args == {"situation": "carrying"}


@pytest.mark.parametrize("shares", [
    (70, 60, 50, 40, 30, 20),  # exactly half is not most
    (90, 80),                  # most, but only two sessions
    (49, 49, 49, 70),          # 49 % is within the boundary
])
def test_not_most_or_too_few_sessions_is_not_remarked_on(sam, shares):
    for n, share in enumerate(shares):
        check_in(sam, local(THU, 8 + n), work_share=share)
    for n in range(3):  # safety sessions over the boundary never tip it
        check_in(sam, local(WED, 8 + n), work_share=95, safety_session=True)
    assert "work_share" not in kinds(sam)


def test_safety_sessions_this_week_suggest_a_debrief(sam):
    check_in(sam, local(FRIDAY - timedelta(days=7), 10), safety_session=True)  # last week
    assert "safety" not in kinds(sam)
    check_in(sam, local(FRIDAY - timedelta(days=6), 10), safety_session=True)
    observation = noticed(sam, "safety")
    assert observation.noticed == "You had a safety session in the last 7 days."
    assert [step.endpoint for step in observation.steps] == ["care.supervision", "reflect.reframes"]
    check_in(sam, local(FRIDAY, 8), work_share=80, safety_session=True)
    assert noticed(sam, "safety").noticed == "You had 2 safety sessions in the last 7 days."


def test_five_days_without_a_practice_is_noticed_for_someone_who_has_been_around(sam):
    check_in(sam, local(FRIDAY - timedelta(days=10), 9))  # been using Tend a while
    check_in(sam, local(FRIDAY, 9))                         # and still is
    practice_done(sam, local(FRIDAY - timedelta(days=5), 20))  # six local days ago
    observation = noticed(sam, "no_practice")
    assert observation.noticed == "No practice logged in the last 5 days."
    assert observation.steps[0].endpoint == "practices.index"
    practice_done(sam, local(FRIDAY - timedelta(days=4), 0, 5))  # the window's first day
    assert "no_practice" not in kinds(sam)


def test_a_new_account_or_an_absent_one_is_not_told_about_practices(sam):
    for back in range(5):  # checking in every day, but only for these five days
        check_in(sam, local(FRIDAY - timedelta(days=back), 9))
    assert "no_practice" not in kinds(sam)
    # Someone who has been away these five days is not told off either.
    later = NOW + timedelta(days=5)
    assert "no_practice" not in kinds(sam, later)


def save_break(user, last_day):
    save(user, "break", local(last_day, 9), first_day=(last_day - timedelta(days=6)).isoformat(),
         last_day=last_day.isoformat())


def test_more_than_ninety_days_since_a_real_break_is_noticed(sam):
    save_break(sam, FRIDAY - timedelta(days=91))
    observation = noticed(sam, "long_stretch")
    assert observation.noticed == "It has been 91 days since your last real break."
    assert observation.steps[0].endpoint == "care.breaks"


def test_ninety_days_is_not_yet_a_long_stretch(sam):
    save_break(sam, FRIDAY - timedelta(days=90))
    assert insights.overview(sam, WEEK, NOW).clock.days_since == 90
    assert "long_stretch" not in kinds(sam)


def test_no_observation_is_a_diagnosis_or_a_telling_off(week):
    save_break(week, FRIDAY - timedelta(days=120))
    words = " ".join(f"{each.noticed} {each.offer}" for each in insights.observations(week, NOW))
    for harsh in ("burnout", "burned out", "should", "must", "failed", "streak", "disorder"):
        assert harsh not in words.lower()


# The charts' geometry ------------------------------------------------------------------


def test_a_line_chart_breaks_at_days_without_a_value():
    chart = line_chart([1, 5, None, 3, None, None, 2], 1, 5, {1: "Empty"}, [])
    assert [dot.cy for dot in chart.dots] == [104.0, 8.0, 56.0, 80.0]
    assert chart.paths == ["67.9,104.0 111.6,8.0"]  # one run of two days; lone days are dots


def test_bars_stack_from_the_bottom_in_proportion():
    chart = bar_chart([[(1, "bar-within"), (3, "bar-over")], [(0, "bar-within")]], [])
    assert [(box.css, box.y, box.height) for box in chart.boxes] == [
        ("bar-within", 70.0, 20.0), ("bar-over", 10.0, 60.0)]


def test_the_gauge_keeps_its_mark_in_view_however_long_it_has_been():
    short, long = gauge(30, 90, "90 days"), gauge(400, 90, "90 days")
    assert short.lines[0].x1 == 237.3 and short.boxes[1].css == "gauge-fill"
    assert long.boxes[1].width == 344 and long.boxes[1].css == "gauge-fill gauge-long"


def test_a_month_names_every_seventh_day_back_from_today():
    days = [FRIDAY - timedelta(days=n) for n in range(29, -1, -1)]
    assert [text for _, text in day_labels(days)] == [
        "23 Oct", "30 Oct", "6 Nov", "13 Nov", "20 Nov"]
    assert [text for _, text in day_labels(days[-7:])][-1] == "Fri"


# Over HTTP ------------------------------------------------------------------------------


def page(member, path="/insights"):
    response = member.client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def recent(app, email="sam@example.org"):
    """A few entries made in the last hours (the page reads the real clock)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        now = utcnow()
        check_in(user, now - timedelta(hours=3), tank=2, work_share=77, lean_personal=2)
        check_in(user, now - timedelta(hours=2), tank=5, safety_session=True)
        practice_done(user, now - timedelta(hours=1))


@pytest.mark.parametrize("path", ["/insights", "/insights?period=month", "/insights?period=x"])
def test_the_insights_need_a_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_the_week_page_draws_each_chart_with_its_words(app, member):
    recent(app)
    html = page(member)
    # The tank, the one lean noted (the other two say so), sessions and practices.
    assert html.count('role="img"') == 4
    assert html.count("Not noted in the last 7 days.") == 2
    for chart in ("tank-chart", "lean_personal-chart", "sessions-chart", "practices-chart"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    summary = "Your tank averaged 3.5 out of 5 (mostly full) over 2 check-ins in the last 7 days."
    assert html.count(summary) == 2  # in the chart's description and next to it
    assert html.count("In 1 of 1 session you carried more than 49 % of the work.") == 2
    assert "1 safety session, where doing more is right, is counted apart." in html
    assert "1 practice done in the last 7 days:" in html and "A glass of water (1)." in html
    assert "↑ Pushing through" in html and "↓ Tending to my needs" in html
    assert '<a href="/insights" aria-current="page">Week</a>' in html
    assert 'href="/insights?period=month">Month</a>' in html
    assert 'href="/insights" aria-current="page">Insights</a>' in html  # tab bar


def test_the_month_page_is_the_last_thirty_days(app, member):
    recent(app)
    html = page(member, "/insights?period=month")
    assert "The last 30 days at a glance" in html
    assert "over 2 check-ins in the last 30 days." in html
    assert 'href="/insights?period=month" aria-current="page">Month</a>' in html


def test_the_pages_carry_no_style_attributes(app, member):
    recent(app)
    for path in ("/insights", "/insights?period=month"):
        assert not re.search(r"\sstyle=", page(member, path))


def test_observations_link_to_real_pages(app, member):
    recent(app)
    html = page(member)
    assert "You had a safety session in the last 7 days." in html
    section = html[html.index('<section class="observations"'):]
    section = section[:section.index("</section>")]
    links = re.findall(r'<a class="button small" href="([^"]+)"', section)
    assert "/supervision" in links and "/reflect/reframes?situation=safety" in links
    for link in set(links):
        assert member.client.get(link).status_code == 200, link


def test_with_nothing_yet_the_page_says_so_kindly(member):
    html = page(member)
    assert "Nothing to show yet" in html and "a check-in is one tap" in html
    assert 'role="img"' not in html
    assert "No break logged yet." in html


@pytest.mark.parametrize("period", ["year", "", "WEEK", "<script>"])
def test_an_unknown_period_is_not_found(member, period):
    response = member.client.get("/insights", query_string={"period": period})
    assert response.status_code == 404


def test_another_person_sees_only_their_own_numbers(app, member, other_member):
    recent(app)
    html = page(other_member)
    assert "Nothing to show yet" in html
    assert "3.5 out of 5" not in html and "safety session" not in html
    assert "3.5 out of 5" in page(member)


def test_the_worker_keeps_the_insights_for_offline(client):
    assert "/insights" in worker_settings(client)["laterPages"]


def test_the_month_draws_the_weekly_pulse_when_there_is_one(app, member):
    week_html = page(member, "/insights?period=month")
    assert "No weekly pulse in these weeks." in week_html and 'id="pulse-chart' not in week_html
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "sam@example.org"))
        answers = dict.fromkeys(("gave_back", "made_difference", "worn_out", "kept_up",
                                 "stories_followed", "on_edge"), 3)
        save(user, "pulse", utcnow() - timedelta(minutes=5), answers=answers)
        weeks = insights.pulse_trend(user, utcnow())
    assert len(weeks) == insights.PULSE_WEEKS and weeks[-1].score is not None
    html = page(member, "/insights?period=month")
    assert 'aria-labelledby="pulse-chart-title pulse-chart-desc"' in html
    this_week = weeks[-1].week_start
    assert f"{this_week.day} {this_week:%b}: {weeks[-1].score}." in html
    assert "Weekly pulse" not in page(member)  # the week view leaves it out
