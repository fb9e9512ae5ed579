"""The support page's numbers: the configured default, a chosen place, a person's own
lines, and the settings form that chooses them."""
import html

import pytest

from tests.test_pwa import worker_settings
from webapp.extensions import db
from webapp.models import CareSettings
from webapp.services.support import REGIONS

SUPERVISOR = {"line_name[]": "Team lead on call", "line_number[]": "+44 (0)20 7946-0000",
              "line_note[]": "Weekdays"}


def choose(session, region="", **form):
    """Send the numbers form as a browser would (each line's fields as lists)."""
    session.fetch_token("/support/numbers")
    return session.post("/support/numbers", {"region": region, **form})


def stored_settings(app):
    with app.app_context():
        rows = db.session.scalars(db.select(CareSettings)).all()
        return [(row.support_region, row.support_lines) for row in rows]


def test_nobody_chose_anything_so_the_configured_numbers_show_emergency_first(member):
    page = member.client.get("/support").get_data(as_text=True)
    assert page.index('href="tel:911">Emergency: 911</a>') < page.index('href="tel:988">Call 988')
    assert 'href="sms:988">Text 988</a>' in page
    assert "Outside United States?" in page
    assert "Choose where you are, or add your own lines" in page


def test_a_chosen_place_shows_its_emergency_number_and_lines(app, member):
    response = choose(member, "GB")
    assert response.status_code == 302 and response.headers["Location"] == "/support"
    page = member.client.get("/support").get_data(as_text=True)
    assert page.index('href="tel:999">Emergency: 999</a>') < page.index("Samaritans")
    assert 'href="tel:116123">Call 116 123</a>' in page
    assert 'href="sms:85258">Text 85258</a>' in page and "Call 85258" not in page
    assert "check each number on its service" in page
    assert "988" not in page
    assert stored_settings(app) == [("GB", [])]


@pytest.mark.parametrize(
    ("code", "emergency", "first_line"),
    [("US", "911", "988"), ("CA", "911", "988"), ("GB", "999", "116 123"),
     ("IE", "112", "116 123"), ("AU", "000", "13 11 14"), ("NZ", "111", "1737")],
)
def test_every_built_in_place_has_its_emergency_number_and_a_crisis_line(
    member, code, emergency, first_line
):
    assert REGIONS[code].emergency == emergency
    choose(member, code)
    page = member.client.get("/support").get_data(as_text=True)
    assert f">Emergency: {emergency}</a>" in page
    assert f">Call {first_line}</a>" in page


def test_own_lines_show_with_tap_to_call_links(app, member):
    response = choose(member, "", **SUPERVISOR)
    assert response.status_code == 302
    page = member.client.get("/support").get_data(as_text=True)
    assert "Your own lines" in page and "Team lead on call" in page and "Weekdays" in page
    assert 'href="tel:+4402079460000">Call +44 (0)20 7946-0000</a>' in page
    assert 'href="tel:988"' in page  # the configured line stays when no place is chosen
    assert stored_settings(app) == [
        (None, [{"name": "Team lead on call", "number": "+44 (0)20 7946-0000", "note": "Weekdays"}])
    ]


def test_the_form_shows_what_was_chosen_and_one_empty_line_more(member):
    choose(member, "NZ", **SUPERVISOR)
    page = member.client.get("/support/numbers").get_data(as_text=True)
    assert 'value="NZ" checked' in page
    assert 'value="Team lead on call"' in page
    assert page.count('name="line_number[]"') == 2


def test_up_to_five_lines_and_a_cleared_line_is_removed(app, member):
    form = {"line_name[]": [f"Friend {n}" for n in range(5)],
            "line_number[]": [f"0400 000 00{n}" for n in range(5)],
            "line_note[]": [""] * 5}
    assert choose(member, "AU", **form).status_code == 302
    page = member.client.get("/support/numbers").get_data(as_text=True)
    assert page.count('name="line_number[]"') == 5 and "clear one to add another" in page

    form["line_name[]"][2] = form["line_number[]"][2] = " "
    assert choose(member, "AU", **form).status_code == 302
    [(_, lines)] = stored_settings(app)
    assert [line["name"] for line in lines] == ["Friend 0", "Friend 1", "Friend 3", "Friend 4"]


def test_a_sixth_line_is_refused(app, member):
    form = {"line_name[]": [f"Friend {n}" for n in range(6)],
            "line_number[]": ["0400 000 000"] * 6}
    response = choose(member, "AU", **form)
    assert response.status_code == 422
    assert "Keep up to 5 lines of your own." in response.get_data(as_text=True)
    assert stored_settings(app) == []


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"line_name[]": "Sam", "line_number[]": "call me"}, "number",
         "Write the number with digits, spaces, +, - and brackets only"),
        ({"line_name[]": "Sam", "line_number[]": "12"}, "number",
         "Write the number with digits, spaces, +, - and brackets only"),
        ({"line_name[]": "Sam", "line_number[]": "555-0100 ext. 2"}, "number",
         "Write the number with digits, spaces, +, - and brackets only"),
        ({"line_name[]": "", "line_number[]": "0400 000 000"}, "name", "Say who this reaches"),
        ({"line_name[]": "Sam", "line_number[]": ""}, "number", "Add the number to call."),
        ({"line_name[]": "x" * 61, "line_number[]": "0400 000 000"}, "name",
         "Keep the name to 60 characters."),
        ({"line_name[]": "Sam", "line_number[]": "0400 000 000", "line_note[]": "n" * 81},
         "note", "Keep the note to 80 characters."),
    ],
)
def test_a_bad_line_is_refused_next_to_its_field_and_kept_as_typed(app, member, line, field,
                                                                    message):
    response = choose(member, "IE", **line)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<p class="error" id="line-0-{field}-error">{html.escape(message)}' in page
    assert 'aria-describedby="' in page and f"line-0-{field}-error" in page
    assert f'value="{html.escape(line["line_number[]"])}"' in page
    assert 'value="IE" checked' in page
    assert "Not saved yet" in page
    assert stored_settings(app) == []


def test_an_unknown_place_is_refused(app, member):
    response = choose(member, "FR")
    assert response.status_code == 422
    assert '<p class="error" id="region-error">Choose a place from the list.</p>' in (
        response.get_data(as_text=True))
    assert stored_settings(app) == []


def test_a_line_that_may_name_a_client_is_held_back_until_confirmed(app, member):
    line = {"line_name[]": "Family of client Sarah", "line_number[]": "0412 345 678",
            "line_note[]": "Her mum"}
    response = choose(member, "AU", **line)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<li>what looks like a name: Sarah</li>" in page
    assert 'name="confirm_identifiers" value="1">Save anyway</button>' in page
    assert page.index(">Save</button>") < page.index("Save anyway")
    assert "0412 345 678" not in page.split('class="identifier-warning"')[1]
    assert stored_settings(app) == []

    assert choose(member, "AU", confirm_identifiers="1", **line).status_code == 302
    assert stored_settings(app)[0][1][0]["name"] == "Family of client Sarah"


def test_a_supervisor_line_saves_without_a_warning(app, member):
    assert choose(member, "US", **SUPERVISOR).status_code == 302


def test_the_numbers_are_personal(app, member, other_member, client):
    choose(member, "NZ", **SUPERVISOR)
    for session in (other_member.client, client):
        page = session.get("/support").get_data(as_text=True)
        assert "Team lead on call" not in page and "1737" not in page and "tel:988" in page
    assert "Team lead on call" not in other_member.client.get("/support/numbers").get_data(
        as_text=True)


def test_choosing_numbers_needs_sign_in(client, person):
    assert client.get("/support/numbers").status_code == 302
    response = person.post("/support/numbers", {"region": "GB"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert "Choose where you are" not in client.get("/support").get_data(as_text=True)


def test_the_worker_keeps_the_support_page_for_the_person_and_as_nobody_in_the_shell(client):
    settings = worker_settings(client)
    assert settings["mainPages"] == ["/"] and "/support" in settings["laterPages"]
    assert settings["anonymousShell"] == ["/support"]
