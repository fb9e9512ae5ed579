"""One person's entries are invisible and untouchable to everyone else, on every route."""
import re
import uuid

import pytest

from webapp.extensions import db
from webapp.models import CheckIn

PARTS = {
    "tank": {"tank": "1"},
    "share": {"work_share": "90"},
    "safety": {"safety_session": "1"},
    "leans": {"lean_personal": "2"},
    "practice": {"practice": "water"},
    "note": {"note": "not mine to write"},
}


@pytest.fixture
def owned_entry(app, member):
    """A check-in that belongs to `member`, with a note in it."""
    _, entry_id = member.check_in(tank=4)
    member.post(f"/checkins/{entry_id}/note", {"note": "private words"}, htmx=True)
    with app.app_context():
        return db.session.get(CheckIn, entry_id).updated_at, entry_id


def assert_untouched(app, entry_id, updated_at):
    with app.app_context():
        entry = db.session.get(CheckIn, entry_id)
        assert (entry.tank, entry.note, entry.deleted) == (4, "private words", False)
        assert entry.updated_at == updated_at


def test_another_user_cannot_read_an_entry(owned_entry, other_member):
    _, entry_id = owned_entry
    response = other_member.client.get(f"/checkins/{entry_id}")
    assert response.status_code == 404
    assert "private words" not in response.get_data(as_text=True)


def test_another_users_history_does_not_show_it(owned_entry, other_member):
    _, entry_id = owned_entry
    page = other_member.client.get("/history").get_data(as_text=True)
    assert entry_id not in page and "private words" not in page


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize("part", sorted(PARTS))
def test_another_user_cannot_change_any_part(app, owned_entry, other_member, part, htmx):
    updated_at, entry_id = owned_entry
    response = other_member.post(f"/checkins/{entry_id}/{part}", PARTS[part], htmx=htmx)
    assert response.status_code == 404
    assert "private words" not in response.get_data(as_text=True)
    assert_untouched(app, entry_id, updated_at)


@pytest.mark.parametrize("action", ["delete", "restore"])
def test_another_user_cannot_delete_or_restore(app, owned_entry, other_member, action):
    updated_at, entry_id = owned_entry
    assert other_member.post(f"/checkins/{entry_id}/{action}", htmx=True).status_code == 404
    assert_untouched(app, entry_id, updated_at)


def test_another_user_cannot_overwrite_by_reusing_the_id(app, owned_entry, other_member):
    updated_at, entry_id = owned_entry
    other_member.fetch_token("/")
    response = other_member.post("/checkins", {"id": entry_id, "tank": "1"}, htmx=True)
    assert response.status_code == 404
    assert_untouched(app, entry_id, updated_at)


def test_a_missing_entry_looks_the_same_as_someone_elses(owned_entry, other_member):
    _, entry_id = owned_entry
    theirs = other_member.client.get(f"/checkins/{entry_id}")
    missing = other_member.client.get(f"/checkins/{uuid.uuid4()}")
    assert theirs.status_code == missing.status_code == 404
    assert without_token(theirs.get_data()) == without_token(missing.get_data())


def without_token(page):
    """A page with its CSRF token taken out: each is signed with the second it was made
    in, so two pages a moment apart may carry different ones for the same session."""
    page = re.sub(rb'"X-CSRFToken": "[^"]+"', b'"X-CSRFToken": ""', page)
    return re.sub(rb'name="csrf_token" value="[^"]+"', b'name="csrf_token" value=""', page)


def test_anonymous_people_reach_no_entry(app, owned_entry, client):
    updated_at, entry_id = owned_entry
    assert client.get(f"/checkins/{entry_id}").status_code == 302
    assert client.post(f"/checkins/{entry_id}/note", data={"note": "x"}).status_code in {302, 400}
    assert_untouched(app, entry_id, updated_at)
