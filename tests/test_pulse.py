"""The weekly pulse: its page and form over HTTP, its scoring, one pulse per local week,
the trend that Insights draws (weekly_pulse), and the sync API as the outbox uses it."""
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import Session
from tests.test_pwa import worker_settings
from tests.test_sync_api import Device
from webapp.extensions import db
from webapp.models import Pulse, User
from webapp.services.pulse import (
    AREAS,
    SCALE,
    STATEMENTS,
    area_scores,
    overall_score,
    week_of,
    weekly_pulse,
)
from webapp.services.sync import FOREIGN_ID_ERRORS, save_entries

PAGE = "/reflect/pulse"
# Satisfaction 4 + 5 = 9; wear 2 + (6 - 4) = 4 (kept_up is worded the other way round);
# carried 1 + 3 = 4; overall 9 + (12 - 4) + (12 - 4) = 25.
ANSWERS = {"gave_back": 4, "made_difference": 5, "worn_out": 2, "kept_up": 4,
           "stories_followed": 1, "on_edge": 3}
HEAVY = {"gave_back": 1, "made_difference": 2, "worn_out": 5, "kept_up": 1,
         "stories_followed": 4, "on_edge": 5}  # 3; 5 + 5 = 10; 9; 3 + 2 + 3 = 8
# Tuesday 24 November 2026, 09:00 UTC: its week (UTC) began on Monday 23 November.
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def as_form(answers):
    """Answers as the form sends them: one "answers.<key>" field each, as text."""
    return {f"answers.{key}": str(value) for key, value in answers.items()}


def take(member, answers=ANSWERS, htmx=True, **fields):
    """Take the pulse from its page, as the form sends it; the response and the id used."""
    member.fetch_token(PAGE)
    entry_id = fields.pop("id", str(uuid.uuid4()))
    data = {"entry_kind": "pulse", "id": entry_id} | as_form(answers) | fields
    return member.post(PAGE, data, htmx=htmx), entry_id


def pulses(app):
    """Every pulse row, as plain values."""
    with app.app_context():
        return [
            {"id": row.id, "user_id": row.user_id, "answers": row.answers, "note": row.note,
             "week_start": row.week_start, "created_at": row.created_at,
             "updated_at": row.updated_at, "deleted": row.deleted}
            for row in db.session.scalars(select(Pulse).order_by(Pulse.created_at))
        ]


def user(email="sam@example.org"):
    return db.session.scalar(select(User).where(User.email == email))


def at(moment):
    return moment.isoformat()


@pytest.fixture
def clock(monkeypatch):
    """Set the moment the pulse pages see: clock(datetime)."""

    def set_now(moment):
        monkeypatch.setattr("webapp.reflect.utcnow", lambda: moment)

    return set_now


# The page ---------------------------------------------------------------------------------


def test_the_page_says_plainly_what_it_is_and_needs_a_sign_in(client, member):
    assert client.get(PAGE).status_code == 302
    page = member.client.get(PAGE).get_data(as_text=True)
    assert "A quick look at your week, not a test or a diagnosis." in page
    assert "not a validated questionnaire" in page
    for statement in STATEMENTS:
        assert statement.text.replace("'", "&#39;") in page
        for level in SCALE:
            assert f'name="answers.{statement.key}" value="{level}" required' in page
    assert all(word in page for word in SCALE.values())
    assert 'name="entry_kind" value="pulse"' in page and "data-new-entry" in page
    assert "Your weeks will show here once you've taken the pulse" in page
    for clinical in ("burnout", "cut-off", "risk", "ProQOL"):
        assert clinical.lower() not in page.lower()
    hub = member.client.get("/reflect").get_data(as_text=True)
    assert f'href="{PAGE}"' in hub and "Weekly pulse" in hub


def test_the_phone_keeps_the_pulse_page_for_offline_use(member):
    assert PAGE in worker_settings(member.client)["laterPages"]


@pytest.mark.parametrize("htmx", [True, False])
def test_taking_the_pulse_saves_it_for_this_week_and_shows_it_in_the_trend(app, member, htmx,
                                                                          clock):
    clock(NOW)
    response, entry_id = take(member, htmx=htmx, note="A kind week, mostly.")
    if htmx:
        assert response.status_code == 200
        answer = response.get_data(as_text=True)
        assert "Saved. Thank you for checking in with yourself." in answer
        assert 'id="pulse-form"' in answer and 'hx-swap-oob="true"' in answer
        assert f'name="id" value="{entry_id}"' in answer  # now it changes this pulse
        assert 'id="pulse-trend"' in answer
    else:
        assert response.status_code == 302 and response.location.endswith(PAGE)
    [row] = pulses(app)
    assert row["id"] == entry_id and row["answers"] == ANSWERS
    assert row["week_start"] == date(2026, 11, 23) and row["note"] == "A kind week, mostly."
    page = member.client.get(PAGE).get_data(as_text=True)
    if not htmx:
        assert "This week&#39;s pulse is saved." in page
    assert "You took this week's pulse on Tuesday 24 November." in page
    assert 'name="answers.kept_up" value="4" required checked' in page
    assert 'value="A kind week, mostly."' in page
    this_week = page[page.index("<th scope=\"row\">This week</th>"):]
    cells = this_week[:this_week.index("</tr>")]
    assert [part.split("</span>")[0] for part in cells.split('"pulse-number">')[1:]] == [
        "9", "4", "4"]


# Scoring ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "scores", "overall"),
    [
        (ANSWERS, {"satisfaction": 9, "wear": 4, "carried": 4}, 25),
        (HEAVY, {"satisfaction": 3, "wear": 10, "carried": 9}, 8),
        (dict.fromkeys(ANSWERS, 1), {"satisfaction": 2, "wear": 6, "carried": 2}, 18),
        (dict.fromkeys(ANSWERS, 5), {"satisfaction": 10, "wear": 6, "carried": 10}, 18),
        ({"gave_back": 5, "made_difference": 5, "worn_out": 1, "kept_up": 5,
          "stories_followed": 1, "on_edge": 1}, {"satisfaction": 10, "wear": 2, "carried": 2},
         30),
        ({"gave_back": 1, "made_difference": 1, "worn_out": 5, "kept_up": 1,
          "stories_followed": 5, "on_edge": 5}, {"satisfaction": 2, "wear": 10, "carried": 10},
         6),
    ],
)
def test_each_area_is_the_sum_of_its_answers_and_the_overall_score_is_how_light(
    answers, scores, overall
):
    assert area_scores(answers) == scores
    assert overall_score(scores) == overall


def test_two_statements_in_each_of_three_areas_with_keys_that_stay():
    assert [(s.key, s.area) for s in STATEMENTS] == [
        ("gave_back", "satisfaction"), ("made_difference", "satisfaction"),
        ("worn_out", "wear"), ("kept_up", "wear"),
        ("stories_followed", "carried"), ("on_edge", "carried"),
    ]
    assert list(AREAS) == ["satisfaction", "wear", "carried"]
    assert [s.key for s in STATEMENTS if s.reverse] == ["kept_up"]


# Refusals -------------------------------------------------------------------------------

MISSING = "Choose an answer for this one, from 1 (not at all) to 5 (very much)."
NOT_A_STEP = "Answer with a whole number from 1 (not at all) to 5 (very much)."
UNKNOWN = "This is not one of the pulse's statements."
LONG_NOTE = "Keep the note to 280 characters."
NOT_AN_OBJECT = "Send the answers as an object of statements and answers from 1 to 5."
BAD_ID = "This entry's id is not valid. Reload the page and try again."
BAD_FORMS = [
    ({k: v for k, v in ANSWERS.items() if k != "on_edge"}, {}, "answers.on_edge", MISSING),
    (ANSWERS | {"worn_out": 0}, {}, "answers.worn_out", NOT_A_STEP),
    (ANSWERS | {"gave_back": 6}, {}, "answers.gave_back", NOT_A_STEP),
    (ANSWERS | {"kept_up": "3x"}, {}, "answers.kept_up", NOT_A_STEP),
    (ANSWERS | {"kept_up": "3.5"}, {}, "answers.kept_up", NOT_A_STEP),
    (ANSWERS | {"sleep": 3}, {}, "answers.sleep", UNKNOWN),
    (ANSWERS, {"note": "x" * 281}, "note", LONG_NOTE),
    (ANSWERS, {"id": "not-a-uuid"}, "id", BAD_ID),
]


@pytest.mark.parametrize(("answers", "fields", "field", "message"), BAD_FORMS)
@pytest.mark.parametrize("htmx", [True, False])
def test_a_bad_pulse_form_is_explained_next_to_the_field_and_nothing_is_saved(
    app, member, answers, fields, field, message, htmx
):
    response, _ = take(member, answers, htmx=htmx, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in page
    if field.startswith("answers.") and field != "answers.sleep":
        key = field.split(".")[1]
        block = page[page.index(f'name="answers.{key}"'):]
        block = block[:block.index("</fieldset>")]
        assert f'id="{field}-error"' in block and message in block  # next to its statement
        assert 'aria-invalid="true"' in block
    elif field == "note":
        assert 'id="pulse-note-error"' in page and 'value="' + "x" * 281 + '"' in page
    if htmx:
        assert "Not saved yet" in page and 'id="pulse-form"' in page
    assert 'name="answers.made_difference" value="5" required checked' in page  # as chosen
    assert pulses(app) == []


@pytest.mark.parametrize(("answers", "fields", "field", "message"), BAD_FORMS)
def test_the_sync_api_refuses_a_bad_pulse_with_field_errors(app, member, answers, fields,
                                                            field, message):
    device = Device(member.client)
    entry = {"kind": "pulse", "id": str(uuid.uuid4()), "created_at": at(NOW),
             "updated_at": at(NOW), "answers": answers} | fields
    [result] = device.sync(entry)["results"]
    assert result["status"] == "rejected"
    assert result["errors"] == {field: [message]}
    assert pulses(app) == []


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ("lots", {"answers": [NOT_AN_OBJECT]}),
        ([4, 5, 2, 4, 1, 3], {"answers": [NOT_AN_OBJECT]}),
        (None, {"answers": ["Answer each statement, from 1 (not at all) to 5 (very much)."]}),
        (ANSWERS | {"on_edge": True}, {"answers.on_edge": [NOT_A_STEP]}),
        (ANSWERS | {"on_edge": 2.5}, {"answers.on_edge": [NOT_A_STEP]}),
        (ANSWERS | {"on_edge": [3]}, {"answers.on_edge": [NOT_A_STEP]}),
        ({}, {f"answers.{key}": [MISSING] for key in ANSWERS}),
    ],
)
def test_odd_answers_through_the_sync_api_are_refused_never_crash(app, member, answers, errors):
    device = Device(member.client)
    entry = {"kind": "pulse", "id": str(uuid.uuid4()), "created_at": at(NOW),
             "updated_at": at(NOW), "answers": answers}
    [result] = device.sync(entry)["results"]
    assert (result["status"], result["errors"]) == ("rejected", errors)
    assert pulses(app) == []


def test_a_week_start_that_is_no_monday_of_that_week_is_refused(app, member):
    device = Device(member.client)
    base = {"kind": "pulse", "created_at": at(NOW), "updated_at": at(NOW), "answers": ANSWERS}
    wrong = [date(2026, 11, 24), date(2026, 11, 9)]  # a Tuesday; a Monday weeks before
    results = device.sync(*({"id": str(uuid.uuid4()), "week_start": day.isoformat()} | base
                            for day in wrong))["results"]
    assert [r["errors"] for r in results] == [
        {"week_start": ["The week starts on the Monday of the week the pulse was taken."]}] * 2
    assert pulses(app) == []


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "0001-01-01T03:00:00+05:00"])
def test_a_time_too_far_back_to_have_a_week_is_refused_not_crashed(app, member, moment):
    [result] = Device(member.client).sync({"kind": "pulse", "id": str(uuid.uuid4()),
                                           "created_at": moment, "updated_at": moment,
                                           "answers": ANSWERS})["results"]
    assert result["status"] == "rejected" and list(result["errors"]) == ["created_at"]
    assert pulses(app) == []


# One pulse a week ------------------------------------------------------------------------


def test_taking_it_again_the_same_week_changes_that_weeks_pulse(app, member, clock):
    clock(NOW)
    _, first_id = take(member)
    clock(NOW + timedelta(days=2))
    # A fresh form (another tab, or a page kept from before) still changes this week's.
    response, _ = take(member, HEAVY, note="Harder after Thursday.")
    assert response.status_code == 200
    [row] = pulses(app)
    assert row["id"] == first_id and row["answers"] == HEAVY
    assert row["note"] == "Harder after Thursday."
    assert row["created_at"] == NOW and row["updated_at"] == NOW + timedelta(days=2)

    clock(NOW + timedelta(days=3))
    page = member.client.get(PAGE).get_data(as_text=True)
    assert f'name="id" value="{first_id}"' in page and 'name="entry_action" value="update"' in page
    # The pulse form changes this week's; "Bring to supervision" is a new entry's form.
    assert "data-new-entry" not in re.search(r'<form id="pulse-form"[^>]*>', page).group()
    response, _ = take(member, ANSWERS, id=first_id, entry_action="update", note="")
    assert response.status_code == 200
    [row] = pulses(app)
    assert (row["answers"], row["note"]) == (ANSWERS, None)


@pytest.mark.parametrize("htmx", [True, False])
def test_this_weeks_pulse_can_be_deleted_and_taken_afresh(app, member, clock, htmx):
    clock(NOW)
    _, entry_id = take(member, note="Not a week to keep")
    page = member.client.get(PAGE).get_data(as_text=True)
    delete_url = f"/reflect/pulse/{entry_id}/delete"
    assert f'action="{delete_url}"' in page and "Delete this week's pulse" in page

    clock(NOW + timedelta(hours=1))
    response = member.post(delete_url, {"entry_kind": "pulse", "entry_action": "delete",
                                        "id": entry_id}, htmx=htmx)
    if htmx:  # the whole page changes, so htmx is told to load it again
        assert (response.status_code, response.headers["HX-Redirect"]) == (200, PAGE)
    else:
        assert (response.status_code, response.headers["Location"]) == (302, PAGE)
    [row] = pulses(app)  # a tombstone, so other devices learn of it
    assert row["deleted"] is True and row["updated_at"] == NOW + timedelta(hours=1)
    page = member.client.get(PAGE).get_data(as_text=True)
    assert "That week&#39;s pulse is deleted." in page
    assert "You took this week" not in page and "Not a week to keep" not in page
    assert delete_url not in page and "data-new-entry" in page
    with app.app_context():
        assert weekly_pulse(user(), 1, NOW)[-1].score is None
    assert member.post(delete_url, {}, htmx=htmx).status_code == 404  # gone is gone

    _, again = take(member, HEAVY)  # and a new one can be taken the same week
    assert [row["deleted"] for row in pulses(app)] == [True, False]


def test_nobody_else_can_delete_my_pulse(app, member, other_member, clock):
    clock(NOW)
    _, entry_id = take(member)
    other_member.fetch_token(PAGE)
    response = other_member.post(f"/reflect/pulse/{entry_id}/delete", {}, htmx=True)
    assert response.status_code == 404
    assert [row["deleted"] for row in pulses(app)] == [False]


def test_next_week_is_a_new_pulse(app, member, clock):
    clock(NOW)
    _, first_id = take(member)
    clock(NOW + timedelta(days=6))  # Monday 30 November
    page = member.client.get(PAGE).get_data(as_text=True)
    assert "You took this week" not in page and "data-new-entry" in page
    _, second_id = take(member, HEAVY)
    assert [(row["id"], row["week_start"], row["answers"]) for row in pulses(app)] == [
        (first_id, date(2026, 11, 23), ANSWERS), (second_id, date(2026, 11, 30), HEAVY)]


@pytest.fixture
def new_yorker(app):
    """Someone in New York (UTC-5 in winter), signed in."""
    session = Session(app.test_client())
    assert session.register(email="ny@example.org", timezone="America/New_York").status_code == 302
    return session


def test_the_week_is_the_persons_own_sunday_late_evening_included(app, new_yorker, clock):
    sunday_late = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # Sun 29 Nov, 23:30 in New York
    assert week_of(sunday_late, "America/New_York") == date(2026, 11, 23)
    assert week_of(sunday_late, "UTC") == date(2026, 11, 30)
    assert week_of(sunday_late + timedelta(hours=1), "America/New_York") == date(2026, 11, 30)

    clock(sunday_late)
    take(new_yorker)
    clock(sunday_late + timedelta(hours=1))  # Monday 00:30 there: a new week
    page = new_yorker.client.get(PAGE).get_data(as_text=True)
    assert "You took this week" not in page
    take(new_yorker, HEAVY)
    assert [(row["week_start"], row["answers"]) for row in pulses(app)] == [
        (date(2026, 11, 23), ANSWERS), (date(2026, 11, 30), HEAVY)]


def test_the_sync_api_gives_a_new_pulse_the_persons_local_week(app, new_yorker):
    device = Device(new_yorker.client)
    sunday_late = "2026-11-30T04:30:00+00:00"
    [result] = device.sync({"kind": "pulse", "id": str(uuid.uuid4()), "created_at": sunday_late,
                            "updated_at": sunday_late, "answers": ANSWERS})["results"]
    assert result["status"] == "created"
    assert [row["week_start"] for row in pulses(app)] == [date(2026, 11, 23)]


# The trend -------------------------------------------------------------------------------


def fill(app, *entries, email="sam@example.org"):
    """Save pulses as (created_at, answers, extra fields) through the one writer."""
    with app.app_context():
        results = save_entries(user(email), [
            ("pulse", {"id": str(uuid.uuid4()), "created_at": at(moment),
                       "updated_at": at(moment), "answers": answers} | extra)
            for moment, answers, extra in entries
        ])
        assert [r.status for r in results] == ["created"] * len(entries)


def test_weekly_pulse_lists_the_weeks_oldest_first_with_gaps_and_exact_scores(app, member,
                                                                              clock):
    fill(
        app,
        (datetime(2026, 10, 28, 12, tzinfo=UTC), HEAVY, {}),  # before the window
        (datetime(2026, 11, 3, 12, tzinfo=UTC), ANSWERS, {}),  # week of 2 November
        (datetime(2026, 11, 17, 12, tzinfo=UTC), ANSWERS, {"deleted": True}),  # gone
        (datetime(2026, 11, 23, 8, tzinfo=UTC), ANSWERS, {}),  # this week, then ...
        (datetime(2026, 11, 24, 8, tzinfo=UTC), HEAVY, {}),  # ... a second device's, later
    )
    with app.app_context():
        weeks = weekly_pulse(user(), 4, NOW)
    assert [(w.week_start, w.score, w.satisfaction, w.wear, w.carried) for w in weeks] == [
        (date(2026, 11, 2), 25, 9, 4, 4),
        (date(2026, 11, 9), None, None, None, None),
        (date(2026, 11, 16), None, None, None, None),
        (date(2026, 11, 23), 8, 3, 10, 9),  # the one changed last is the week's
    ]
    assert [w.taken for w in weeks] == [True, False, False, True]
    clock(NOW)
    page = member.client.get(PAGE).get_data(as_text=True)
    # Of the last 8 weeks, those from the first one taken (26 October), newest first.
    table = page[page.index('<table class="pulse-table"'):page.index("</table>")]
    assert re.findall(r'<th scope="row">([^<]+)</th>', table) == [
        "This week", "Last week", "Week of 9 Nov", "Week of 2 Nov", "Week of 26 Oct"]
    assert table.count("No pulse that week") == 2


def test_weekly_pulse_of_someone_with_none_is_all_gaps(app, member):
    with app.app_context():
        weeks = weekly_pulse(user(), 12, NOW)
    assert len(weeks) == 12 and {w.score for w in weeks} == {None}
    assert weeks[0].week_start == date(2026, 9, 7) and weeks[-1].week_start == date(2026, 11, 23)


# Whose pulse -----------------------------------------------------------------------------


def test_nobody_else_can_read_or_change_my_pulse(app, member, other_member, clock):
    clock(NOW)
    _, entry_id = take(member, note="Only mine to read")
    theirs = other_member.client.get(PAGE).get_data(as_text=True)
    assert "Only mine to read" not in theirs and entry_id not in theirs
    assert "You took this week" not in theirs

    response, _ = take(other_member, HEAVY, id=entry_id, entry_action="update")
    assert response.status_code == 404
    response, _ = take(other_member, HEAVY, htmx=False, id=entry_id)
    assert response.status_code == 404
    [result] = Device(other_member.client).sync(
        {"kind": "pulse", "id": entry_id, "updated_at": at(NOW + timedelta(hours=1)),
         "answers": HEAVY})["results"]
    assert (result["status"], result["errors"]) == ("rejected", FOREIGN_ID_ERRORS)
    [row] = pulses(app)
    assert row["answers"] == ANSWERS and row["note"] == "Only mine to read"
    with app.app_context():
        assert {w.score for w in weekly_pulse(user("alex@example.org"), 8, NOW)} == {None}


# The identifier guard on the note --------------------------------------------------------


@pytest.mark.parametrize("htmx", [True, False])
def test_a_note_with_a_phone_number_waits_for_a_second_look(app, member, htmx, clock):
    clock(NOW)
    note = "Ring back on 0161 496 0000 after the review"
    response, entry_id = take(member, htmx=htmx, note=note)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "what looks like a phone number: 0161 496 0000" in page
    assert 'name="confirm_identifiers" value="1"' in page and "Save anyway" in page
    assert f'value="{note}"' in page  # kept as typed
    assert 'name="answers.worn_out" value="2" required checked' in page
    assert pulses(app) == []

    response, _ = take(member, htmx=htmx, id=entry_id, note=note, confirm_identifiers="1")
    assert response.status_code in (200, 302)
    assert [row["note"] for row in pulses(app)] == [note]


# The sync API, as the outbox uses it -----------------------------------------------------


def test_the_outbox_creates_updates_and_resends_a_pulse_through_sync(app, member):
    device = Device(member.client)
    entry_id, made = str(uuid.uuid4()), datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    # As the worker sends a form kept offline: the form's fields, as text.
    kept = {"kind": "pulse", "id": entry_id, "created_at": at(made), "updated_at": at(made),
            "deleted": False, "note": ""} | as_form(ANSWERS)
    answer = device.sync(kept)
    assert [result["status"] for result in answer["results"]] == ["created"]
    [change] = answer["changes"]
    assert change["kind"] == "pulse" and change["answers"] == ANSWERS
    assert change["week_start"] == "2026-11-30" and change["note"] is None

    assert device.sync(kept)["results"][0]["status"] == "unchanged"  # sent twice: one pulse

    later = {"kind": "pulse", "id": entry_id, "updated_at": at(made + timedelta(minutes=5)),
             "answers.on_edge": "5"}
    assert device.sync(later)["results"][0]["status"] == "updated"
    whole = {"kind": "pulse", "id": entry_id, "updated_at": at(made + timedelta(minutes=1)),
             "answers": HEAVY}
    assert device.sync(whole)["results"][0]["status"] == "unchanged"  # older: it loses
    [row] = pulses(app)
    assert row["answers"] == ANSWERS | {"on_edge": 5}
    assert row["week_start"] == date(2026, 11, 30)
