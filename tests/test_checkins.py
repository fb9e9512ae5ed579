"""The check-in card over HTTP: one tap, the extras, edits, deletes and history."""
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import Session
from webapp.extensions import db
from webapp.models import CheckIn, User


def stored(app, entry_id):
    """The row as the database has it."""
    with app.app_context():
        return db.session.get(CheckIn, entry_id)


def count_checkins(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CheckIn))


def test_home_offers_the_tank_scale_with_a_fresh_id(member):
    page = member.client.get("/").get_data(as_text=True)
    assert "How full is your tank right now?" in page
    for word in ["Empty", "Running low", "Some left", "Mostly full", "Full"]:
        assert word in page
    assert page.count('name="tank"') == 5
    assert 'name="id" value="' in page


def test_one_tap_saves_a_check_in(app, member):
    response, entry_id = member.check_in(tank=2)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Saved: running low" in page
    assert "Just finished a session?" in page
    entry = stored(app, entry_id)
    assert entry.tank == 2 and not entry.deleted
    assert entry.created_at.tzinfo is not None
    assert abs(entry.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert entry.work_share is None and entry.note is None


def test_one_tap_without_javascript_redirects_to_the_card(app, member):
    response, entry_id = member.check_in(tank=4, htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/checkins/{entry_id}?saved=tank"
    page = member.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved: mostly full" in page


def test_the_same_tap_sent_twice_saves_one_entry(app, member):
    entry_id = str(uuid.uuid4())
    member.check_in(tank=3, entry_id=entry_id)
    member.check_in(tank=3, entry_id=entry_id)
    assert count_checkins(app) == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"tank": "0"}, "Choose a level from 1 (empty) to 5 (full)."),
        ({"tank": "6"}, "Choose a level from 1 (empty) to 5 (full)."),
        ({"tank": "full"}, "Choose a level from 1 (empty) to 5 (full)."),
        ({"tank": ""}, "Choose how full your tank is."),
        ({}, "Choose how full your tank is."),
    ],
)
def test_a_bad_tank_level_is_refused_next_to_the_scale(app, member, form, message):
    member.fetch_token("/")
    response = member.post("/checkins", {"id": str(uuid.uuid4()), **form}, htmx=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<p class="error" id="tank-error">{message}</p>' in page
    assert 'class="tank-scale"' in page
    assert count_checkins(app) == 0


def test_a_bad_id_is_refused(app, member):
    member.fetch_token("/")
    response = member.post("/checkins", {"id": "not-a-uuid", "tank": "3"}, htmx=True)
    assert response.status_code == 422
    assert "id is not valid. Reload the page" in response.get_data(as_text=True)
    assert count_checkins(app) == 0


def update(member, entry_id, part, data, htmx=True, headers=None):
    return member.post(f"/checkins/{entry_id}/{part}", data, htmx=htmx, headers=headers or {})


def test_each_extra_saves_into_the_same_entry(app, member):
    _, entry_id = member.check_in(tank=3)
    steps = [
        ("share", {"work_share": "62"}, "more than my share"),
        ("safety", {"safety_session": ["0", "1"]}, "stays out of your pattern"),
        ("leans", {"lean_personal": "2", "lean_client": "-1", "lean_community": "0"}, "Saved"),
        ("practice", {"practice": "water"}, "Saved"),
        ("note", {"note": "  Long day, kind ending.  "}, "Long day, kind ending."),
        ("tank", {"tank": "4"}, "Saved"),
    ]
    for part, data, visible in steps:
        response = update(member, entry_id, part, data)
        assert response.status_code == 200, part
        page = response.get_data(as_text=True)
        assert f'id="part-{part}"' in page and visible in page
        assert 'class="saved-mark"' in page
    entry = stored(app, entry_id)
    assert (entry.tank, entry.work_share, entry.safety_session) == (4, 62, True)
    assert (entry.lean_personal, entry.lean_client, entry.lean_community) == (2, -1, 0)
    assert entry.practice == "water"
    assert entry.note == "Long day, kind ending."
    assert entry.updated_at > entry.created_at
    assert count_checkins(app) == 1


def test_the_49_percent_line_reads_both_ways(member):
    _, entry_id = member.check_in()
    assert "within the line" in update(member, entry_id, "share", {"work_share": "49"}).get_data(
        as_text=True
    )
    assert "more than my share" in update(
        member, entry_id, "share", {"work_share": "50"}
    ).get_data(as_text=True)


def test_unticking_the_safety_switch(app, member):
    _, entry_id = member.check_in()
    update(member, entry_id, "safety", {"safety_session": ["0", "1"]})
    update(member, entry_id, "safety", {"safety_session": "0"})
    assert stored(app, entry_id).safety_session is False


def test_clear_removes_an_extra(app, member):
    _, entry_id = member.check_in()
    update(member, entry_id, "practice", {"practice": "stretch"})
    update(member, entry_id, "practice", {"clear": "1"})
    assert stored(app, entry_id).practice is None


@pytest.mark.parametrize(
    ("part", "data", "field", "message"),
    [
        ("share", {"work_share": "101"}, "work_share", "between 0 and 100"),
        ("share", {"work_share": "-1"}, "work_share", "between 0 and 100"),
        ("share", {"work_share": "half"}, "work_share", "a whole number from 0 to 100"),
        ("leans", {"lean_personal": "3"}, "lean_personal", "one of the five steps"),
        ("leans", {"lean_client": "-3"}, "lean_client", "one of the five steps"),
        ("leans", {"lean_community": "x"}, "lean_community", "Not a valid integer."),
        ("practice", {"practice": "skydiving"}, "practice", "Pick one of the practices shown."),
        ("note", {"note": "x" * 281}, "note", "Keep the note to 280 characters (this one has 281)"),
        ("safety", {"safety_session": "maybe"}, "safety_session", "Not a valid boolean."),
        ("tank", {"tank": "9"}, "tank", "Choose a level from 1 (empty) to 5 (full)."),
    ],
)
def test_bad_extras_are_refused_next_to_the_field_and_nothing_changes(
    app, member, part, data, field, message
):
    _, entry_id = member.check_in(tank=3)
    update(member, entry_id, "note", {"note": "keep me"})
    before = stored(app, entry_id)
    response = update(member, entry_id, part, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error">' in page and message in page
    after = stored(app, entry_id)
    assert after.updated_at == before.updated_at
    assert (after.tank, after.note, after.work_share) == (3, "keep me", None)


def test_a_note_that_is_too_long_is_handed_back_not_lost(member):
    _, entry_id = member.check_in()
    text = "word " * 60
    page = update(member, entry_id, "note", {"note": text}).get_data(as_text=True)
    assert f'value="{text}"' in page
    assert "saved-mark" not in page


def test_bad_extras_without_javascript_show_the_whole_card(member):
    _, entry_id = member.check_in()
    member.fetch_token(f"/checkins/{entry_id}")
    response = update(member, entry_id, "share", {"work_share": "500"}, htmx=False)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<html" in page and "between 0 and 100" in page


def test_extras_without_javascript_redirect_back_to_the_card(app, member):
    _, entry_id = member.check_in()
    member.fetch_token(f"/checkins/{entry_id}")
    response = update(member, entry_id, "practice", {"practice": "outside"}, htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/checkins/{entry_id}?saved=practice#part-practice"
    assert stored(app, entry_id).practice == "outside"
    page = member.client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<span class="saved-mark" role="status">Saved</span>' in page


def test_an_unknown_part_is_not_found(member):
    _, entry_id = member.check_in()
    assert update(member, entry_id, "diagnosis", {"x": "1"}).status_code == 404


def test_delete_keeps_a_tombstone_and_undo_restores(app, member):
    _, entry_id = member.check_in()
    response = member.post(f"/checkins/{entry_id}/delete", htmx=True)
    assert "Check-in deleted." in response.get_data(as_text=True)
    entry = stored(app, entry_id)
    assert entry.deleted is True
    assert member.client.get(f"/checkins/{entry_id}").status_code == 404
    assert entry_id not in member.client.get("/history").get_data(as_text=True)

    response = member.post(f"/checkins/{entry_id}/restore", htmx=True)
    assert response.status_code == 200
    assert stored(app, entry_id).deleted is False
    assert entry_id in member.client.get("/history").get_data(as_text=True)


def test_delete_without_javascript_goes_to_history(member):
    _, entry_id = member.check_in()
    member.fetch_token(f"/checkins/{entry_id}")
    response = member.post(f"/checkins/{entry_id}/delete")
    assert response.headers["Location"] == "/history"
    assert "Check-in deleted." in member.client.get("/history").get_data(as_text=True)


def test_a_deleted_entry_cannot_be_edited(member):
    _, entry_id = member.check_in()
    member.post(f"/checkins/{entry_id}/delete", htmx=True)
    assert update(member, entry_id, "note", {"note": "late"}).status_code == 404


def add_checkin(app, email, created_at, tank=3, deleted=False):
    """Put a check-in straight into the database at a given moment."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        entry = CheckIn(
            id=str(uuid.uuid4()), user_id=user.id, created_at=created_at,
            updated_at=created_at, tank=tank, deleted=deleted,
        )
        db.session.add(entry)
        db.session.commit()
        return entry.id


def test_history_groups_by_the_users_own_days(app, person):
    person.register(timezone="America/New_York")
    now = datetime.now(UTC)
    today = add_checkin(app, "sam@example.org", now, tank=5)
    two_days_ago = add_checkin(app, "sam@example.org", now - timedelta(days=2), tank=1)
    too_old = add_checkin(app, "sam@example.org", now - timedelta(days=15))
    gone = add_checkin(app, "sam@example.org", now, deleted=True)
    page = person.client.get("/history").get_data(as_text=True)
    assert page.count('<section class="day"') == 2
    assert page.index(today) < page.index(two_days_ago)
    assert too_old not in page and gone not in page


def test_history_day_boundary_follows_the_time_zone(app, person):
    from webapp.services.checkins import recent_days

    person.register(timezone="Asia/Tokyo")
    # 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo.
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    add_checkin(app, "sam@example.org", moment)
    with app.app_context():
        user = db.session.scalar(select(User))
        days = recent_days(user, now=moment + timedelta(hours=1))
    assert [day.date.isoformat() for day in days] == ["2026-03-02"]
    assert days[0].label == "Today"


def test_days_are_named_the_way_people_say_them():
    from datetime import date

    from webapp.services.checkins import relative_day_label

    today = date(2026, 11, 22)
    assert relative_day_label(today, today) == "Today"
    assert relative_day_label(date(2026, 11, 21), today) == "Yesterday"
    assert relative_day_label(date(2026, 11, 16), today) == "Monday 16 November"


def test_history_shows_the_extras_in_words(member):
    _, entry_id = member.check_in(tank=2)
    member.post(f"/checkins/{entry_id}/share", {"work_share": "70"}, htmx=True)
    member.post(f"/checkins/{entry_id}/leans", {"lean_personal": "2", "lean_client": "0"},
                htmx=True)
    member.post(f"/checkins/{entry_id}/practice", {"practice": "outside"}, htmx=True)
    page = member.client.get("/history").get_data(as_text=True)
    assert "carried 70 %" in page
    assert "well toward pushing through" in page
    assert "in the middle" not in page  # a centred lean is not worth a tag
    assert "A step outside" in page


def test_the_first_answer_says_saved_once(member):
    response, _ = member.check_in()
    assert response.get_data(as_text=True).count("Saved") == 1


def test_empty_history_says_so_kindly(member):
    assert "Nothing here yet." in member.client.get("/history").get_data(as_text=True)


def test_pages_and_fragments_vary_on_htmx(member):
    _, entry_id = member.check_in()
    response = member.client.get(f"/checkins/{entry_id}")
    assert "HX-Request" in response.headers["Vary"]


def test_an_edit_wins_over_a_device_whose_clock_ran_ahead(app, member):
    _, entry_id = member.check_in()
    ahead = datetime.now(UTC) + timedelta(hours=3)
    with app.app_context():
        db.session.get(CheckIn, entry_id).updated_at = ahead
        db.session.commit()
    update(member, entry_id, "note", {"note": "newest words"})
    entry = stored(app, entry_id)
    assert entry.note == "newest words" and entry.updated_at > ahead


# Writes the phone stamped (X-Tend-Stamp): the service worker sends the moment of the tap,
# because on a bad connection a request can arrive long after a newer version did.


def stamped(moment):
    """The header the worker adds to a write it forwards, as JavaScript writes times."""
    return {"X-Tend-Stamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def test_a_late_edit_loses_to_the_newer_version_it_was_overtaken_by(app, member):
    _, entry_id = member.check_in()
    tapped = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    newer = tapped + timedelta(seconds=5)
    update(member, entry_id, "note", {"note": "newest words"}, headers=stamped(newer))
    late = update(member, entry_id, "note", {"note": "first words"}, headers=stamped(tapped))
    assert late.status_code == 200
    entry = stored(app, entry_id)
    assert entry.note == "newest words"
    assert entry.updated_at == newer


def test_a_late_tap_that_arrives_after_its_entry_saves_nothing_twice(app, member):
    tapped = datetime.now(UTC) - timedelta(seconds=30)
    entry_id = str(uuid.uuid4())
    member.fetch_token("/")
    first = member.post("/checkins", {"id": entry_id, "tank": 2}, htmx=True,
                        headers=stamped(tapped))
    update(member, entry_id, "tank", {"tank": 4}, headers=stamped(tapped + timedelta(seconds=9)))
    again = member.post("/checkins", {"id": entry_id, "tank": 2}, htmx=True,
                        headers=stamped(tapped))
    assert first.status_code == again.status_code == 200
    assert count_checkins(app) == 1
    entry = stored(app, entry_id)
    assert entry.tank == 4
    assert abs(entry.created_at - tapped) < timedelta(milliseconds=1)


@pytest.mark.parametrize("stamp", ["yesterday", "2026-12-07T10:00:00", "3026-01-01T00:00:00Z"])
def test_a_stamp_that_is_not_a_sane_time_is_ignored(app, member, stamp):
    _, entry_id = member.check_in()
    response = update(member, entry_id, "note", {"note": "as of now"},
                      headers={"X-Tend-Stamp": stamp})
    assert response.status_code == 200
    entry = stored(app, entry_id)
    assert entry.note == "as of now"
    assert abs(entry.updated_at - datetime.now(UTC)) < timedelta(minutes=1)


def card_of(page):
    """The check-in card of a page or fragment, with its CSRF tokens made alike (each
    draw signs the session's token anew)."""
    card = re.search(r'<section id="checkin".*?</section>', page, re.S).group(0)
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="…"', card)


def test_a_taps_card_is_the_card_drawn_afresh_with_its_own_id(app, member):
    """The card's parts are drawn once for a person and reused for their next taps."""
    first, first_id = member.check_in(tank=4)
    second, second_id = member.check_in(tank=4)
    answer = second.get_data(as_text=True)
    assert first_id not in answer and answer.count(second_id) >= 8
    seen = stored(app, second_id).updated_at.isoformat()
    assert answer.count(f'name="seen" value="{seen}"') == 6  # one a part
    drawn = member.client.get(f"/checkins/{second_id}?saved=tank").get_data(as_text=True)
    assert card_of(answer) == card_of(drawn)


def test_each_session_s_card_carries_its_own_token(app, member):
    """Another device of the same person gets forms it can send, not the first one's."""
    member.check_in()
    phone = Session(app.test_client())
    assert phone.sign_in().status_code == 302
    answer, entry_id = phone.check_in()
    token = re.search(r'name="csrf_token" value="([^"]+)"', answer.get_data(as_text=True))
    response = phone.client.post(
        f"/checkins/{entry_id}/note", data={"note": "Slept well", "csrf_token": token.group(1)}
    )
    assert response.status_code == 302 and stored(app, entry_id).note == "Slept well"
