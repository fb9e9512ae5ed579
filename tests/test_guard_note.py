"""The identifier guard on the check-in's note: nothing that may identify a client is
saved silently, and nothing is silently refused."""
import html

import pytest
from werkzeug.datastructures import MultiDict

from webapp.extensions import db
from webapp.forms import identifiers_to_confirm
from webapp.models import CheckIn

NAMED = "Saw client Sarah again, heavy one"


@pytest.fixture
def entry_id(member):
    """A check-in of `member`'s, waiting for its note."""
    _, entry_id = member.check_in(tank=3)
    return entry_id


def stored_note(app, entry_id):
    with app.app_context():
        return db.session.get(CheckIn, entry_id).note


def save_note(member, entry_id, note, htmx=True, confirm=False):
    form = {"note": note} | ({"confirm_identifiers": "1"} if confirm else {})
    return member.post(f"/checkins/{entry_id}/note", form, htmx=htmx)


def assert_warned(page, note, *descriptions):
    """The note is handed back with the gentle warning and a way to save it anyway."""
    assert f'value="{html.escape(note)}"' in page
    assert 'class="identifier-warning" id="note-identifiers"' in page
    assert 'aria-describedby="note-hint note-identifiers"' in page
    for description in descriptions:
        assert f"<li>{html.escape(description)}</li>" in page
    assert 'with initials or something like "my 3 pm client"' in " ".join(page.split())
    assert 'name="confirm_identifiers" value="1">Save anyway</button>' in page
    assert "Saved</span>" not in page


@pytest.mark.parametrize(
    ("note", "descriptions"),
    [
        (NAMED, ["what looks like a name: Sarah"]),
        ("call back on 0412 345 678", ["what looks like a phone number: 0412 345 678"]),
        ("mail from jo.k@example.org upset me", ["an email address: jo.k@example.org"]),
        ("client Tom, DOB 03/04/1987", [
            "what looks like a name: Tom", "what looks like a date of birth: 03/04/1987"]),
        ("file MRN 4471203 still open", ["what looks like a record or case number: 4471203"]),
    ],
)
def test_a_note_that_may_identify_someone_is_held_back_with_a_gentle_warning(
    app, member, entry_id, note, descriptions
):
    response = save_note(member, entry_id, note)
    assert response.status_code == 422
    assert_warned(response.get_data(as_text=True), note, *descriptions)
    assert stored_note(app, entry_id) is None


def test_save_anyway_saves_the_note_as_typed(app, member, entry_id):
    response = save_note(member, entry_id, NAMED, confirm=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "identifier-warning" not in page and "Saved</span>" in page
    assert stored_note(app, entry_id) == NAMED


@pytest.mark.parametrize(
    "note",
    [
        "Long day, proud of how I held it",
        "my 3 pm client was late again",
        "Client was late; I stayed calm",
        "S. cried and I stayed with it",
        "Session 4 of 12 with the group",
    ],
)
def test_a_note_about_me_saves_at_once_without_a_warning(app, member, entry_id, note):
    response = save_note(member, entry_id, note)
    assert response.status_code == 200
    assert "identifier-warning" not in response.get_data(as_text=True)
    assert stored_note(app, entry_id) == note


def test_rewording_after_the_warning_saves_without_one(app, member, entry_id):
    assert save_note(member, entry_id, NAMED).status_code == 422
    response = save_note(member, entry_id, "Saw client S. again, heavy one")
    assert response.status_code == 200
    assert stored_note(app, entry_id) == "Saw client S. again, heavy one"


def test_a_held_back_note_leaves_the_saved_one_as_it_was(app, member, entry_id):
    save_note(member, entry_id, "earlier words")
    assert save_note(member, entry_id, NAMED).status_code == 422
    assert stored_note(app, entry_id) == "earlier words"


def test_without_javascript_the_card_comes_back_with_the_warning(app, member, entry_id):
    response = save_note(member, entry_id, NAMED, htmx=False)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<html" in page and 'id="checkin"' in page
    assert_warned(page, NAMED, "what looks like a name: Sarah")
    assert stored_note(app, entry_id) is None

    response = save_note(member, entry_id, NAMED, htmx=False, confirm=True)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/checkins/{entry_id}?saved=note#part-note"
    assert stored_note(app, entry_id) == NAMED


def test_a_too_long_note_is_still_refused_after_save_anyway(app, member, entry_id):
    note = "client Sarah " + "x" * 280
    response = save_note(member, entry_id, note, confirm=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Keep the note to 280 characters" in page and "identifier-warning" not in page
    assert stored_note(app, entry_id) is None


@pytest.mark.parametrize("confirm", [False, True])
def test_another_user_gets_404_and_no_warning(app, member, entry_id, other_member, confirm):
    response = save_note(other_member, entry_id, NAMED, confirm=confirm)
    assert response.status_code == 404
    assert "Sarah" not in response.get_data(as_text=True)
    assert stored_note(app, entry_id) is None


def test_identifiers_to_confirm_reads_every_value_of_every_named_field():
    form = MultiDict([
        ("problem[]", "client Ana is stuck, as client Ana was"), ("problem[]", "call 0412 345 678"),
        ("why", "client Ana again"), ("ignored", "client Ben"),
    ])
    found = identifiers_to_confirm(form, "problem[]", "why")
    assert [finding.description for finding in found] == [
        "what looks like a name: Ana", "what looks like a phone number: 0412 345 678",
    ]


def test_identifiers_to_confirm_is_empty_once_confirmed_or_when_nothing_is_found():
    assert identifiers_to_confirm(
        MultiDict({"note": "client Ana", "confirm_identifiers": "1"}), "note") == []
    assert identifiers_to_confirm(MultiDict({"note": "a kind day"}), "note") == []
    assert identifiers_to_confirm(MultiDict({}), "note") == []
