"""A person's own practices: seeded, added, renamed, archived, reordered, and "done" in
one tap; and every place that offers practices offers theirs."""
import html
import re
import uuid

import pytest
from sqlalchemy import func, select

from tests.test_reminders import NOON, send_due, sign_up_for_reminders
from webapp.extensions import db
from webapp.models import CheckIn, Practice, PracticeDone, ReminderSettings, User
from webapp.services.checkins import MICRO_PRACTICES, PRACTICES
from webapp.services.clock import utcnow
from webapp.services.practices import find_practice, practice_list
from webapp.services.schedule import CHECK_IN_INVITATIONS, INVITATIONS, reminder_copy

MICRO_PRACTICES_ORDER = [key for key in PRACTICES if key in MICRO_PRACTICES]
MICRO = ["Three slow breaths", "A glass of water", "A stretch", "A step outside",
         "One line written down"]


def page_of(response):
    return response.get_data(as_text=True)


def add(member, name, micro=False, **extra):
    member.fetch_token("/practices")
    form = {"name": name, "micro": ["0", "1"] if micro else "0"} | extra
    return member.post("/practices", form)


def added_key(app, name):
    with app.app_context():
        return db.session.scalar(select(Practice.key).where(Practice.name == name))


def stored(app, **where):
    with app.app_context():
        query = select(Practice).filter_by(**where).order_by(Practice.position)
        return [(p.key, p.name, p.micro, p.archived) for p in db.session.scalars(query)]


def practice_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Practice))


def section(page, title):
    """The part of the practices page under one heading, up to the next."""
    start = page.index(f">{title}</h2>")
    end = page.find("<h2", start)
    return page[start:end if end != -1 else None]


def names_in(fragment):
    return re.findall(r'<span class="practice-name">([^<]+)</span>', fragment)


def quick_row(member):
    page = page_of(member.client.get("/"))
    start = page.index('class="card quick-done"')
    return page[start:page.index("</section>", start)]


def log_done(member, practice, entry_id=None, htmx=True):
    member.fetch_token("/")
    entry_id = entry_id or str(uuid.uuid4())
    form = {"entry_kind": "practice_done", "id": entry_id, "practice": practice}
    return member.post("/practices/done", form, htmx=htmx), entry_id


def done_rows(app):
    with app.app_context():
        return [(row.id, row.practice, row.deleted)
                for row in db.session.scalars(select(PracticeDone))]


# The list ----------------------------------------------------------------------------


def test_the_list_starts_with_the_seeded_practices_without_storing_anything(app, member):
    page = page_of(member.client.get("/practices"))
    assert names_in(section(page, "For a 10-minute gap")) == MICRO
    longer = names_in(section(page, "When there&#39;s more time"))
    assert longer == [name for key, name in PRACTICES.items() if key not in MICRO_PRACTICES]
    assert len(longer) == 10
    assert "Archived</h2>" not in page
    assert practice_count(app) == 0, "reading the list should not write it"


def test_the_seed_keeps_the_keys_entries_already_store():
    assert {"breaths", "water", "stretch", "outside", "write", "colleague"} <= set(PRACTICES)
    assert {"breaths", "water", "stretch", "outside", "write"} == MICRO_PRACTICES


def test_the_practices_page_needs_a_sign_in(client):
    response = client.get("/practices")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_adding_a_practice_stores_the_seed_and_it_lands_at_the_end_of_its_group(app, member):
    response = add(member, "  Coffee on the balcony ", micro=True)
    key = added_key(app, "Coffee on the balcony")
    assert key.startswith("own-") and "coffee" not in key
    assert response.status_code == 302
    assert response.headers["Location"] == f"/practices#practice-{key}"
    assert len(stored(app)) == len(PRACTICES) + 1
    page = page_of(member.client.get("/practices"))
    assert "Added: Coffee on the balcony." in page
    assert names_in(section(page, "For a 10-minute gap")) == [*MICRO, "Coffee on the balcony"]
    assert "Coffee on the balcony" in quick_row(member)


def test_a_longer_practice_is_not_on_the_home_row(app, member):
    add(member, "Swimming on Sunday")
    assert "Swimming on Sunday" not in quick_row(member)
    page = page_of(member.client.get("/practices"))
    assert names_in(section(page, "When there&#39;s more time"))[-1] == "Swimming on Sunday"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the practice a name."),
        ("   ", "Give the practice a name."),
        ("x" * 81, "Keep the name to 80 characters (this one has 81)."),
        ("three SLOW breaths", "You already have a practice called that. Choose another name."),
    ],
)
def test_a_bad_name_is_refused_next_to_the_field_and_nothing_is_saved(app, member, name, message):
    before = stored(app)
    response = add(member, name, micro=True)
    assert response.status_code == 422
    page = page_of(response)
    assert f'<p class="error" id="name-error">{html.escape(message)}</p>' in page
    assert 'id="new-name"' in page and 'aria-invalid="true"' in page
    assert stored(app) == before
    assert "Added:" not in page


def test_eighty_characters_is_fine(app, member):
    assert add(member, "y" * 80).status_code == 302
    assert added_key(app, "y" * 80)


def test_a_name_that_may_identify_someone_is_held_back_until_confirmed(app, member):
    response = add(member, "Debrief after client Sarah", micro=True)
    assert response.status_code == 422
    page = page_of(response)
    assert "<li>what looks like a name: Sarah</li>" in page
    assert 'value="Debrief after client Sarah"' in page
    assert 'aria-describedby="new-name-hint new-name-identifiers"' in page
    assert 'name="confirm_identifiers" value="1">Save anyway</button>' in page
    assert 'value="1" checked> Fits a 10-minute gap' in " ".join(page.split())
    assert added_key(app, "Debrief after client Sarah") is None

    confirmed = add(member, "Debrief after client Sarah", micro=True, confirm_identifiers="1")
    assert confirmed.status_code == 302
    assert stored(app, name="Debrief after client Sarah")[0][2] is True


def test_an_ordinary_name_gets_no_identifier_note(app, member):
    response = add(member, "Walk round the park at lunch")
    assert response.status_code == 302
    assert "identifier-warning" not in page_of(member.client.get("/practices"))


def test_renaming_keeps_the_key_so_old_entries_take_the_new_name(app, member):
    _, entry_id = member.check_in(tank=3)
    member.post(f"/checkins/{entry_id}/practice", {"practice": "breaths"}, htmx=True)
    member.fetch_token("/practices")
    response = member.post("/practices/breaths", {"name": "Four slow breaths", "micro": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/practices#practice-breaths"
    assert stored(app, key="breaths") == [("breaths", "Four slow breaths", True, False)]
    history = page_of(member.client.get("/history"))
    assert '<span class="tag">Four slow breaths</span>' in history
    assert "Four slow breaths" in quick_row(member)


def test_unticking_the_gap_moves_a_practice_to_the_longer_group(app, member):
    member.fetch_token("/practices")
    member.post("/practices/water", {"name": "A glass of water", "micro": "0"})
    page = page_of(member.client.get("/practices"))
    assert "A glass of water" not in section(page, "For a 10-minute gap")
    assert "A glass of water" in section(page, "When there&#39;s more time")
    assert "A glass of water" not in quick_row(member)


def test_a_rename_to_another_active_name_is_refused_in_that_practice_s_form(app, member):
    member.fetch_token("/practices")
    response = member.post("/practices/water", {"name": "A Stretch", "micro": "1"})
    assert response.status_code == 422
    page = page_of(response)
    assert '<details class="practice-edit" open>' in page
    assert 'id="name-water" name="name" value="A Stretch"' in page
    assert "You already have a practice called that." in page
    assert "A glass of water" in names_in(page_of(member.client.get("/practices")))


def test_a_rename_that_may_identify_someone_is_held_back(app, member):
    member.fetch_token("/practices")
    response = member.post("/practices/colleague", {"name": "Coffee with client Tom"})
    assert response.status_code == 422
    page = page_of(response)
    assert "<li>what looks like a name: Tom</li>" in page
    assert 'id="name-colleague-identifiers"' in page
    assert "A word with a colleague" in names_in(page_of(member.client.get("/practices")))
    assert "Coffee with client Tom" not in names_in(page_of(member.client.get("/practices")))


def test_archiving_hides_a_practice_from_every_choice_but_keeps_old_entries_named(app, member):
    _, entry_id = member.check_in(tank=3)
    member.post(f"/checkins/{entry_id}/practice", {"practice": "stretch"}, htmx=True)
    member.fetch_token("/practices")
    response = member.post("/practices/stretch/archive")
    assert response.status_code == 302
    page = page_of(member.client.get("/practices"))
    assert "Archived: A stretch." in page
    assert "A stretch" not in section(page, "For a 10-minute gap")
    assert names_in(section(page, "Archived")) == ["A stretch"]
    assert "A stretch" not in quick_row(member)
    assert 'value="stretch"' not in page_of(member.client.get("/reminders"))
    # The check-in that chose it still shows it (and it stays chosen there).
    card = page_of(member.client.get(f"/checkins/{entry_id}"))
    assert re.search(r'id="practice-stretch" name="practice" value="stretch"\s+checked', card)
    _, fresh_id = member.check_in(tank=2)
    assert 'id="practice-stretch"' not in page_of(member.client.get(f"/checkins/{fresh_id}"))
    assert '<span class="tag">A stretch</span>' in page_of(member.client.get("/history"))


def test_restoring_brings_a_practice_back_where_it_was(app, member):
    member.fetch_token("/practices")
    member.post("/practices/stretch/archive")
    response = member.post("/practices/stretch/restore")
    assert response.status_code == 302
    page = page_of(member.client.get("/practices"))
    assert "Back in your list: A stretch." in page
    assert names_in(section(page, "For a 10-minute gap")) == MICRO
    assert "Archived</h2>" not in page


def test_a_restore_whose_name_was_taken_since_says_so(app, member):
    member.fetch_token("/practices")
    member.post("/practices/stretch/archive")
    assert add(member, "A stretch", micro=True).status_code == 302
    response = member.post("/practices/stretch/restore")
    assert response.status_code == 422
    assert "An active practice already has this name. Rename one of them first." in page_of(
        response
    )
    assert stored(app, key="stretch")[0][3] is True


@pytest.mark.parametrize(
    ("key", "direction", "expected"),
    [
        ("water", "up", ["A glass of water", "Three slow breaths", *MICRO[2:]]),
        ("water", "down", ["Three slow breaths", "A stretch", "A glass of water", *MICRO[3:]]),
        ("breaths", "up", MICRO),
        ("write", "down", MICRO),
    ],
)
def test_moving_a_practice_within_its_group(app, member, key, direction, expected):
    member.fetch_token("/practices")
    response = member.post(f"/practices/{key}/move", {"direction": direction})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/practices#practice-{key}"
    page = page_of(member.client.get("/practices"))
    assert names_in(section(page, "For a 10-minute gap")) == expected


def test_the_first_and_last_of_a_group_cannot_move_further(member):
    page = page_of(member.client.get("/practices"))
    assert re.search(r'aria-label="Move Three slow breaths up"\s+disabled', page)
    assert re.search(r'aria-label="Move One line written down down"\s+disabled', page)
    assert not re.search(r'aria-label="Move A stretch up"\s+disabled', page)


@pytest.mark.parametrize("direction", ["", "sideways"])
def test_a_move_without_a_direction_is_a_bad_request(member, direction):
    member.fetch_token("/practices")
    assert member.post("/practices/water/move", {"direction": direction}).status_code == 400


def test_an_unknown_practice_is_not_found(member):
    member.fetch_token("/practices")
    assert member.post("/practices/own-nothere", {"name": "x"}).status_code == 404
    assert member.post("/practices/own-nothere/archive").status_code == 404


# Done in one tap -----------------------------------------------------------------------


def test_the_home_row_offers_the_small_practices_through_the_outbox_contract(member):
    row = quick_row(member)
    assert re.findall(r'name="practice" value="(\w+)">', row) == MICRO_PRACTICES_ORDER
    assert "data-new-entry" in row
    assert '<input type="hidden" name="entry_kind" value="practice_done">' in row
    assert re.search(r'<input type="hidden" name="id" value="[0-9a-f-]{36}">', row)
    assert 'hx-target="#practice-done-status"' in row
    assert 'href="/practices">All my practices</a>' in row


def test_one_tap_logs_a_practice_done_with_an_undo(app, member):
    response, entry_id = log_done(member, "water")
    assert response.status_code == 200
    fragment = page_of(response)
    assert "Logged: A glass of water." in fragment
    assert f'action="/practices/done/{entry_id}/delete"' in fragment
    assert '<input type="hidden" name="entry_action" value="delete">' in fragment
    assert f'<input type="hidden" name="id" value="{entry_id}">' in fragment
    assert done_rows(app) == [(entry_id, "water", False)]


def test_the_same_tap_sent_twice_is_one_entry(app, member):
    _, entry_id = log_done(member, "water")
    again, _ = log_done(member, "water", entry_id)
    assert again.status_code == 200
    assert done_rows(app) == [(entry_id, "water", False)]


def test_undo_leaves_a_tombstone(app, member):
    _, entry_id = log_done(member, "breaths")
    response = member.post(f"/practices/done/{entry_id}/delete", htmx=True)
    assert response.status_code == 200
    assert "Undone. Nothing is logged." in page_of(response)
    assert done_rows(app) == [(entry_id, "breaths", True)]
    assert member.post(f"/practices/done/{entry_id}/delete", htmx=True).status_code == 404


def test_without_scripts_a_tap_leads_to_a_page_with_its_undo(app, member):
    response, entry_id = log_done(member, "outside", htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/practices/done/{entry_id}"
    page = page_of(member.client.get(f"/practices/done/{entry_id}"))
    assert "Logged: A step outside." in page and ">Undo</button>" in page
    member.fetch_token(f"/practices/done/{entry_id}")
    undone = member.post(f"/practices/done/{entry_id}/delete")
    assert undone.status_code == 302 and undone.headers["Location"] == "/"
    assert "Undone: that practice is no longer logged." in page_of(member.client.get("/"))
    assert done_rows(app) == [(entry_id, "outside", True)]


@pytest.mark.parametrize("htmx", [True, False])
def test_an_unknown_practice_is_not_logged(app, member, htmx):
    response, _ = log_done(member, "skydiving", htmx=htmx)
    assert response.status_code == 422
    assert "Pick one of the practices shown." in page_of(response)
    assert done_rows(app) == []


def test_a_tap_without_an_id_is_not_logged(app, member):
    member.fetch_token("/")
    response = member.post("/practices/done", {"practice": "water"}, htmx=True)
    assert response.status_code == 422
    assert "An entry needs an id." in page_of(response)
    assert done_rows(app) == []


def test_an_added_practice_can_be_logged_and_is_named_in_the_answer(app, member):
    add(member, "Hum a song", micro=True)
    key = added_key(app, "Hum a song")
    response, entry_id = log_done(member, key)
    assert "Logged: Hum a song." in page_of(response)
    assert done_rows(app) == [(entry_id, key, False)]


# Everywhere practices are offered -------------------------------------------------------


def test_the_checkin_card_offers_the_person_s_active_practices(app, member):
    add(member, "Hum a song", micro=True)
    key = added_key(app, "Hum a song")
    member.fetch_token("/practices")
    member.post("/practices/colleague/archive")
    _, entry_id = member.check_in(tank=3)
    card = page_of(member.client.get(f"/checkins/{entry_id}"))
    offered = re.findall(r'name="practice" value="([\w-]+)"', card)
    assert offered[:5] == MICRO_PRACTICES_ORDER and offered[5] == key
    assert "colleague" not in offered and "music" in offered
    assert 'class="chip">Hum a song</label>' in card
    response = member.post(f"/checkins/{entry_id}/practice", {"practice": key}, htmx=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(CheckIn, entry_id).practice == key


def test_someone_else_s_practice_is_not_accepted(app, member, other_member):
    add(other_member, "Their own thing", micro=True)
    theirs = added_key(app, "Their own thing")
    _, entry_id = member.check_in(tank=3)
    response = member.post(f"/checkins/{entry_id}/practice", {"practice": theirs}, htmx=True)
    assert response.status_code == 422
    assert "Pick one of the practices shown." in page_of(response)
    response, _ = log_done(member, theirs)
    assert response.status_code == 422
    assert done_rows(app) == []


def sync(member, *entries):
    member.fetch_token("/")
    session = member.client.get("/api/v1/session").get_json()
    return member.client.post(
        "/api/v1/sync", json={"user": session["user"], "cursor": None, "entries": list(entries)},
        headers={"X-CSRFToken": session["csrf_token"]},
    ).get_json()


def done_entry(practice):
    now = utcnow().isoformat()
    return {"kind": "practice_done", "id": str(uuid.uuid4()), "practice": practice,
            "created_at": now, "updated_at": now, "deleted": False}


def test_the_sync_api_takes_the_person_s_own_and_archived_practices(app, member, other_member):
    add(member, "Hum a song", micro=True)
    mine = added_key(app, "Hum a song")
    member.fetch_token("/practices")
    member.post(f"/practices/{mine}/archive")
    add(other_member, "Their own thing")
    theirs = added_key(app, "Their own thing")
    results = sync(member, done_entry(mine), done_entry("therapy"), done_entry(theirs))["results"]
    assert [result["status"] for result in results] == ["created", "created", "rejected"]
    assert results[2]["errors"] == {"practice": ["Pick one of the practices shown."]}


def test_reminder_settings_offer_and_accept_the_person_s_practices(app, member):
    add(member, "Hum a song", micro=True)
    key = added_key(app, "Hum a song")
    page = page_of(member.client.get("/reminders"))
    assert f'name="practices" value="{key}"' in page and ">Hum a song</label>" in page
    member.fetch_token("/reminders")
    form = {"mode": "fixed_times", "times": "9:00", "workdays": ["0"], "practices": [key, "water"]}
    assert member.post("/reminders", form).status_code == 200
    member.fetch_token("/practices")
    member.post(f"/practices/{key}/archive")
    page = page_of(member.client.get("/reminders"))
    assert ">Hum a song (archived)</label>" in page
    member.fetch_token("/reminders")
    refused = member.post("/reminders", form | {"practices": ["own-00000000"]})
    assert refused.status_code == 422
    assert "Pick practices from the list." in page_of(refused)


def test_another_person_sees_none_of_my_practices(app, member, other_member):
    add(member, "Hum a song", micro=True)
    assert "Hum a song" not in page_of(other_member.client.get("/practices"))
    assert "Hum a song" not in quick_row(other_member)


@pytest.mark.parametrize("action", ["", "/archive", "/restore", "/move"])
def test_another_person_cannot_change_my_practices(app, member, other_member, action):
    add(member, "Hum a song", micro=True)
    key = added_key(app, "Hum a song")
    before = stored(app)
    other_member.fetch_token("/practices")
    form = {"name": "Taken over", "direction": "up"}
    assert other_member.post(f"/practices/{key}{action}", form).status_code == 404
    assert stored(app, user_id=_user_id(app, "sam@example.org")) == before


def _user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def test_another_person_cannot_see_or_undo_my_practice_done(app, member, other_member):
    _, entry_id = log_done(member, "water")
    assert other_member.client.get(f"/practices/done/{entry_id}").status_code == 404
    other_member.fetch_token("/")
    assert other_member.post(f"/practices/done/{entry_id}/delete", htmx=True).status_code == 404
    reused, _ = log_done(other_member, "breaths", entry_id)
    assert reused.status_code == 404
    assert done_rows(app) == [(entry_id, "water", False)]


def test_a_missing_practice_done_looks_the_same_as_someone_elses(member, other_member):
    _, entry_id = log_done(member, "water")
    theirs = other_member.client.get(f"/practices/done/{entry_id}")
    missing = other_member.client.get(f"/practices/done/{uuid.uuid4()}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_data() == missing.get_data()


# Reminder words ----------------------------------------------------------------------


def test_seeded_practices_keep_their_own_words():
    for key in PRACTICES:
        assert reminder_copy(key, 0, "ignored").body == INVITATIONS[key][0]


def test_an_added_practice_gets_warm_words_with_its_name():
    bodies = {reminder_copy("own-1a2b3c4d", index, "Hum a song").body for index in range(32)}
    assert len(bodies) == 2
    assert all("Hum a song" in body for body in bodies)
    assert reminder_copy("own-1a2b3c4d", 0).body in CHECK_IN_INVITATIONS


def test_a_reminder_for_an_added_practice_names_it(app, member, push_service):
    add(member, "Hum a song", micro=True)
    key = added_key(app, "Hum a song")
    device = sign_up_for_reminders(app, member, push_service)
    with app.app_context():
        db.session.scalar(select(ReminderSettings)).practices = key
        db.session.commit()
    send_due(app, NOON)
    [push] = push_service.delivered(device.browser)
    assert push.notification["data"]["practice"] == key
    assert "Hum a song" in push.notification["body"]


# The service ---------------------------------------------------------------------------


def test_the_seed_is_stored_once_however_often_a_change_asks_for_it(app, member):
    with app.app_context():
        user = db.session.get(User, _user_id(app, "sam@example.org"))
        assert find_practice(user, "water").name == "A glass of water"
        assert find_practice(user, "own-nothere") is None
        db.session.commit()
    assert len(stored(app)) == len(PRACTICES)


def test_the_list_puts_the_small_practices_first_then_the_person_s_order(app, member):
    add(member, "Swimming on Sunday")
    add(member, "Hum a song", micro=True)
    with app.app_context():
        listed = practice_list(db.session.get(User, _user_id(app, "sam@example.org")))
    assert [p.name for p in listed.active][:6] == [*MICRO, "Hum a song"]
    assert listed.active[-1].name == "Swimming on Sunday"
    assert listed.names["breaths"] == "Three slow breaths" and "Hum a song" in listed.names.values()
    assert [p.name for p in practice_list().active] == list(PRACTICES.values())


def chips_on_a_new_card(member):
    """The practice chips of the card a new tap answers with, in their order."""
    answer, _ = member.check_in()
    part = page_of(answer).split('id="part-practice"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'class="chip">([^<]+)</label>', part)


def test_a_new_card_shows_the_list_as_it_is_after_every_change(app, member):
    """A new check-in's card is drawn once and reused, until the person's list changes."""
    assert chips_on_a_new_card(member)[:2] == ["Three slow breaths", "A glass of water"]
    add(member, "Walk the dog")
    assert chips_on_a_new_card(member)[-1] == "Walk the dog"
    member.fetch_token("/practices")
    member.post("/practices/breaths", {"name": "Four slow breaths", "micro": "1"})
    assert chips_on_a_new_card(member)[0] == "Four slow breaths"
    member.post("/practices/water/move", {"direction": "up"})
    assert chips_on_a_new_card(member)[:2] == ["A glass of water", "Four slow breaths"]
    member.post("/practices/water/archive")
    assert "A glass of water" not in chips_on_a_new_card(member)
    member.post("/practices/water/restore")
    assert "A glass of water" in chips_on_a_new_card(member)
