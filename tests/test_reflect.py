"""Reflect over HTTP: the hub, "Stuck with a case?" and the reframe cards, each saved as
a private entry by the HTML forms and by the outbox's sync alike."""
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from tests.test_sync_api import Device
from webapp.extensions import db
from webapp.models import Reflection, ReframeMark, User
from webapp.services.reflect import MAX_PROBLEMS, ordered_cards
from webapp.services.reframes import CARDS, REFRAMES, SITUATIONS

BLANK = ["", "", "", ""]


def reflection_form(problems=("Keeps cancelling late",), whose=("client",), currency=("",),
                    cultures=("",), next_step="", entry_id=None, **extra):
    """The "Stuck with a case?" form as a browser sends it: four rows, unused ones blank."""

    def column(values):
        return list(values) + [""] * (MAX_PROBLEMS - len(values))

    return {
        "entry_kind": "reflection",
        "id": entry_id or str(uuid.uuid4()),
        "problem[]": column(problems),
        "whose[]": column(whose),
        "currency[]": column(currency),
        "cultures[]": column(cultures),
        "next_step": next_step,
        **extra,
    }


def reflections(app):
    """Every reflection row (deleted ones too), oldest first."""
    with app.app_context():
        rows = db.session.scalars(select(Reflection).order_by(Reflection.created_at))
        return [(row.id, row.problems, row.next_step, row.deleted) for row in rows]


def marks(app):
    """The card of every live reframe mark."""
    with app.app_context():
        return sorted(db.session.scalars(
            select(ReframeMark.card).where(ReframeMark.deleted.is_(False))
        ))


def text(response):
    return response.get_data(as_text=True)


def save(member, form, htmx=False):
    member.fetch_token("/reflect/stuck")
    return member.post("/reflect/stuck", form, htmx=htmx)


def synced(at, kind="reflection", **fields):
    """An entry as the phone's outbox sends it."""
    return {"kind": kind, "id": str(uuid.uuid4()), "created_at": at.isoformat(),
            "updated_at": at.isoformat(), **fields}


# The hub ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/reflect", "/reflect/stuck", "/reflect/reframes", "/reflect/reframes/their-road",
    f"/reflect/reflections/{uuid.uuid4()}",
])
def test_reflect_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_the_hub_lists_the_tools_and_the_other_care_pages(member):
    page = text(member.client.get("/reflect"))
    assert 'href="/reflect/stuck"' in page and "Stuck with a case?" in page
    assert 'href="/reflect/reframes"' in page and "Reframe cards" in page
    assert 'href="/supervision"' in page and 'href="/breaks"' in page
    assert "Nothing yet" in page


def test_the_hub_lists_reflections_newest_first(app, member):
    now = datetime.now(UTC)
    Device(member.client).sync(
        synced(now - timedelta(days=2), problems=[{"problem": "Older worry", "whose": "mine"}]),
        synced(now - timedelta(hours=1), problems=[{"problem": "Newer worry", "whose": "team"}]),
    )
    page = text(member.client.get("/reflect"))
    assert page.index("Newer worry") < page.index("Older worry")
    assert "The team&#39;s or another helper&#39;s" in page


# "Stuck with a case?" -------------------------------------------------------------------


def test_the_form_asks_the_four_questions_for_each_problem(member):
    page = text(member.client.get("/reflect/stuck"))
    for question in ("What is the problem?", "Whose problem is it?",
                     "What is their currency?", "Which cultures are in play?"):
        assert page.count(question) == MAX_PROBLEMS
    assert page.count('name="problem[]"') == MAX_PROBLEMS
    assert page.count("Add another problem") == MAX_PROBLEMS - 1
    assert "<details class=\"another\" open" not in page
    assert 'name="entry_kind" value="reflection"' in page and "data-new-entry" in page


def test_a_reflection_is_saved_with_several_problems_and_read_again(app, member):
    form = reflection_form(
        problems=("Keeps cancelling late", "I feel I must rescue"),
        whose=("client", "mine"),
        currency=("Feeling in control", ""),
        cultures=("", "Helper culture: always say yes"),
        next_step="Bring it to supervision",
    )
    response = save(member, form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/reflect/reflections/{form['id']}"
    assert reflections(app) == [(form["id"], [
        {"problem": "Keeps cancelling late", "whose": "client",
         "currency": "Feeling in control", "cultures": None},
        {"problem": "I feel I must rescue", "whose": "mine",
         "currency": None, "cultures": "Helper culture: always say yes"},
    ], "Bring it to supervision", False)]

    page = text(member.client.get(response.headers["Location"]))
    for shown in ("Reflection saved", "Keeps cancelling late", "The client&#39;s",
                  "Feeling in control", "I feel I must rescue", "Mine",
                  "Helper culture: always say yes", "Bring it to supervision"):
        assert shown in page


def test_with_htmx_the_answer_is_a_fragment_linking_to_the_reflection(app, member):
    form = reflection_form()
    response = save(member, form, htmx=True)
    assert response.status_code == 200
    assert "Saved" in text(response) and "<html" not in text(response)
    assert f'href="/reflect/reflections/{form["id"]}"' in text(response)
    assert len(reflections(app)) == 1


def test_saving_the_same_id_twice_keeps_one_reflection(app, member):
    form = reflection_form()
    save(member, form, htmx=True)
    save(member, form, htmx=True)
    assert len(reflections(app)) == 1


@pytest.mark.parametrize(("form", "field", "message"), [
    (reflection_form(problems=(), whose=()), "problems", "Name at least one problem."),
    (reflection_form(whose=("",)), "problems.0.whose", "Problem 1: Choose whose problem it is."),
    (reflection_form(whose=("nobody",)), "problems.0.whose",
     "Problem 1: Choose whose problem it is from the list."),
    (reflection_form(problems=("",), currency=("money",)), "problems.0.problem",
     "Problem 1: Name the problem in a few words."),
    (reflection_form(problems=("a", "", "c"), whose=("mine", "", "team")), "problems.1.problem",
     "Problem 2: Name the problem in a few words."),
    (reflection_form(problems=("x" * 201,)), "problems.0.problem",
     "Problem 1: Keep it to 200 characters."),
    (reflection_form(cultures=("x" * 201,)), "problems.0.cultures",
     "Problem 1: Keep it to 200 characters."),
    (reflection_form(next_step="x" * 281), "next_step", "Keep it to 280 characters."),
    (reflection_form(entry_id="not-an-id"), "id", "This entry&#39;s id is not valid."),
])
@pytest.mark.parametrize("htmx", [True, False])
def test_bad_answers_are_explained_next_to_the_field_and_nothing_is_saved(
    app, member, form, field, message, htmx
):
    response = save(member, form, htmx=htmx)
    assert response.status_code == 422
    page = text(response)
    assert re.search(rf'<p class="error" id="{re.escape(field)}-error">[^<]*{re.escape(message)}',
                     page), page
    assert ("<html" in page) is not htmx
    assert reflections(app) == []


def test_what_was_typed_comes_back_with_the_rows_in_use_open(member):
    form = reflection_form(problems=("First", "Second"), whose=("mine", ""))
    page = text(save(member, form, htmx=True))
    assert ">First</textarea>" in page and ">Second</textarea>" in page
    assert '<option value="mine" selected>' in page
    assert page.count('<details class="another" open>') == 1


@pytest.mark.parametrize("field", ["problem[]", "currency[]", "cultures[]", "next_step"])
def test_text_that_may_identify_a_client_is_pointed_out_before_saving(app, member, field):
    form = reflection_form()
    typed = "Spoke with client Sarah about it"
    if field.endswith("[]"):
        form[field] = [typed, "", "", ""]
    else:
        form[field] = typed
    response = save(member, form, htmx=True)
    assert response.status_code == 422
    page = text(response)
    assert "what looks like a name: Sarah" in page
    assert 'name="confirm_identifiers" value="1"' in page
    assert typed in page
    field_id = f"{field[:-2]}-0" if field.endswith("[]") else field
    assert f'id="{field_id}-identifiers"' in page
    assert f'{field_id}-hint {field_id}-identifiers"' in page
    assert reflections(app) == []

    confirmed = save(member, form | {"confirm_identifiers": "1"}, htmx=True)
    assert confirmed.status_code == 200
    assert len(reflections(app)) == 1


def test_plain_words_are_saved_at_once(app, member):
    form = reflection_form(problems=("My 3 pm client keeps testing the limits",),
                           next_step="Ask S. what would help on 12 May")
    assert save(member, form, htmx=True).status_code == 200
    assert len(reflections(app)) == 1


def test_without_javascript_the_guard_shows_the_whole_page(app, member):
    form = reflection_form(next_step="Call 0412 345 678 back")
    response = save(member, form)
    assert response.status_code == 422
    assert "<html" in text(response) and "what looks like a phone number" in text(response)
    assert save(member, form | {"confirm_identifiers": "1"}).status_code == 302
    assert reflections(app)[0][2] == "Call 0412 345 678 back"


def test_the_outbox_sends_parallel_lists_and_the_canonical_form_is_stored(app, member):
    phone = Device(member.client)
    now = datetime.now(UTC)
    from_outbox = synced(now, problem=["A", "B", ""], whose=["mine", "shared", ""],
                         currency=["", "Being heard", ""], cultures=["", "", ""],
                         next_step="Rest", deleted=False)
    canonical = synced(now, problems=[{"problem": "C", "whose": "system"}])
    answer = phone.sync(from_outbox, canonical)
    assert [result["status"] for result in answer["results"]] == ["created", "created"]
    stored = {row[0]: row[1] for row in reflections(app)}
    assert stored[from_outbox["id"]] == [
        {"problem": "A", "whose": "mine", "currency": None, "cultures": None},
        {"problem": "B", "whose": "shared", "currency": "Being heard", "cultures": None},
    ]
    assert stored[canonical["id"]] == [
        {"problem": "C", "whose": "system", "currency": None, "cultures": None}
    ]
    changed = {entry["id"]: entry for entry in answer["changes"]}
    assert changed[from_outbox["id"]]["problems"][1]["currency"] == "Being heard"
    assert changed[from_outbox["id"]]["kind"] == "reflection"
    assert "problem" not in changed[from_outbox["id"]]


def test_a_bad_reflection_from_the_outbox_is_refused_in_words(app, member):
    answer = Device(member.client).sync(
        synced(datetime.now(UTC), problem=["A"], whose=["everyone"])
    )
    assert answer["results"][0]["status"] == "rejected"
    assert answer["results"][0]["errors"] == {
        "problems.0.whose": ["Problem 1: Choose whose problem it is from the list."]
    }
    assert reflections(app) == []


@pytest.mark.parametrize("htmx", [True, False])
def test_a_reflection_can_be_deleted(app, member, htmx):
    form = reflection_form(problems=("Gone soon",))
    save(member, form)
    response = member.post(f"/reflect/reflections/{form['id']}/delete", htmx=htmx)
    if htmx:
        assert response.status_code == 200 and "Reflection deleted." in text(response)
    else:
        assert response.headers["Location"] == "/reflect"
    assert reflections(app)[0][3] is True
    assert member.client.get(f"/reflect/reflections/{form['id']}").status_code == 404
    assert "Gone soon" not in text(member.client.get("/reflect"))


@pytest.mark.parametrize("htmx", [True, False])
def test_a_deleted_reflection_can_be_brought_back(app, member, htmx):
    form = reflection_form(problems=("Back again",))
    save(member, form)
    deleted = member.post(f"/reflect/reflections/{form['id']}/delete", htmx=True)
    assert f'action="/reflect/reflections/{form["id"]}/restore"' in text(deleted)
    response = member.post(f"/reflect/reflections/{form['id']}/restore", htmx=htmx)
    if htmx:
        assert response.status_code == 200 and "Back again" in text(response)
    else:
        assert response.headers["Location"] == f"/reflect/reflections/{form['id']}"
    assert reflections(app)[0][3] is False
    assert "Back again" in text(member.client.get("/reflect"))


def test_the_outbox_can_delete_a_reflection(app, member):
    form = reflection_form()
    save(member, form)
    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    answer = Device(member.client).sync(
        {"kind": "reflection", "id": form["id"], "updated_at": later, "deleted": True}
    )
    assert answer["results"][0]["status"] == "updated"
    assert reflections(app)[0][3] is True


# Reframe cards --------------------------------------------------------------------------


def test_there_are_cards_for_every_situation():
    assert len(REFRAMES) >= 10
    assert len(CARDS) == len(REFRAMES)
    assert {card.situation for card in REFRAMES} == set(SITUATIONS)
    for card in REFRAMES:
        assert card.title and card.body and card.try_this
        assert len(card.key) <= 40  # the column's size


def walk(member, path):
    """Follow the "Next" links from `path`, returning each card's title in order."""
    titles = []
    while path:
        page = text(member.client.get(path))
        titles.append(re.search(r'id="reframe-title">([^<]+)<', page).group(1))
        found = re.search(r'<a class="button" href="([^"]+)" rel="next">', page)
        path = found.group(1).replace("&amp;", "&") if found else None
        assert len(titles) <= len(REFRAMES)
    return titles


def test_tapping_next_goes_through_every_card_once(member):
    titles = walk(member, "/reflect/reframes")
    assert sorted(titles) == sorted(str(escape(card.title)) for card in REFRAMES)
    assert titles[0] == REFRAMES[0].title


def test_previous_goes_back(member):
    second = REFRAMES[1]
    page = text(member.client.get(f"/reflect/reframes/{second.key}"))
    assert f'href="/reflect/reframes/{REFRAMES[0].key}" rel="prev"' in page
    assert f"2 of {len(REFRAMES)}" in page
    first = text(member.client.get("/reflect/reframes"))
    assert 'rel="prev"' not in first


def test_a_situation_shows_only_its_cards(member):
    titles = walk(member, "/reflect/reframes?situation=relapse")
    assert titles == [card.title for card in REFRAMES if card.situation == "relapse"]
    page = text(member.client.get("/reflect/reframes?situation=relapse"))
    assert 'href="/reflect/reframes?situation=relapse" aria-current="page"' in page


def test_an_unknown_situation_shows_them_all(member):
    page = text(member.client.get("/reflect/reframes?situation=nonsense"))
    assert f"1 of {len(REFRAMES)}" in page


def test_a_card_outside_the_filter_is_shown_among_all(member):
    card = next(card for card in REFRAMES if card.situation == "alone")
    page = text(member.client.get(f"/reflect/reframes/{card.key}?situation=relapse"))
    assert escape(card.title) in page and f"of {len(REFRAMES)}" in page


def test_an_unknown_card_is_not_found(app, member):
    assert member.client.get("/reflect/reframes/no-such-card").status_code == 404
    member.fetch_token("/reflect/reframes")
    response = member.post("/reflect/reframes/no-such-card/helped", {"id": str(uuid.uuid4())})
    assert response.status_code == 404
    assert marks(app) == []


def mark(member, key, htmx=False, situation=None, entry_id=None):
    member.fetch_token("/reflect/reframes")
    query = f"?situation={situation}" if situation else ""
    form = {"entry_kind": "reframe_mark", "id": entry_id or str(uuid.uuid4()), "card": key}
    return member.post(f"/reflect/reframes/{key}/helped{query}", form, htmx=htmx)


def test_this_helped_adds_a_mark_each_time(app, member):
    key = REFRAMES[2].key
    response = mark(member, key, situation="frustrated")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/reflect/reframes/{key}?situation=frustrated"
    again = mark(member, key, htmx=True)
    assert again.status_code == 200 and "Helpful 2 times so far" in text(again)
    assert marks(app) == [key, key]
    assert "Helpful 2 times so far" in text(member.client.get(f"/reflect/reframes/{key}"))


def test_this_helped_without_an_id_is_explained(app, member):
    member.fetch_token("/reflect/reframes")
    response = member.post(f"/reflect/reframes/{REFRAMES[0].key}/helped", {}, htmx=True)
    assert response.status_code == 422
    assert "An entry needs an id." in text(response)
    assert marks(app) == []


def test_the_most_helpful_cards_come_first_within_their_situation(app, member):
    frustrated = [card.key for card in REFRAMES if card.situation == "frustrated"]
    relapse = [card.key for card in REFRAMES if card.situation == "relapse"]
    mark(member, frustrated[2])
    mark(member, frustrated[2])
    mark(member, frustrated[1])
    mark(member, relapse[1])
    first_page = text(member.client.get("/reflect/reframes"))
    assert CARDS[frustrated[2]].title in first_page
    with app.test_request_context():
        order = [card.key for card in ordered_cards(_user(app), None)]
    assert order[:3] == [frustrated[2], frustrated[1], frustrated[0]]
    assert order[3:5] == [relapse[1], relapse[0]]
    assert walk(member, "/reflect/reframes?situation=frustrated")[0] == CARDS[frustrated[2]].title


def test_another_persons_marks_do_not_change_my_order(app, member, other_member):
    frustrated = [card.key for card in REFRAMES if card.situation == "frustrated"]
    mark(other_member, frustrated[1])
    page = text(member.client.get("/reflect/reframes"))
    assert CARDS[frustrated[0]].title in page
    assert "Helpful" not in page


def test_marks_from_the_outbox_count_too(app, member):
    key = REFRAMES[5].key
    answer = Device(member.client).sync(
        synced(datetime.now(UTC), kind="reframe_mark", card=key),
        synced(datetime.now(UTC), kind="reframe_mark", card="made-up"),
    )
    assert [result["status"] for result in answer["results"]] == ["created", "rejected"]
    assert answer["results"][1]["errors"] == {"card": ["This is not one of Tend's reframe cards."]}
    assert marks(app) == [key]


def _user(app):
    return db.session.scalar(select(User).where(User.email == "sam@example.org"))


# Another person's entries ---------------------------------------------------------------


@pytest.fixture
def owned_reflection(app, member):
    form = reflection_form(problems=("Private worry",))
    save(member, form)
    return form["id"]


def test_another_person_cannot_read_a_reflection(owned_reflection, other_member):
    response = other_member.client.get(f"/reflect/reflections/{owned_reflection}")
    missing = other_member.client.get(f"/reflect/reflections/{uuid.uuid4()}")
    assert response.status_code == missing.status_code == 404
    assert response.get_data() == missing.get_data()
    assert "Private worry" not in text(other_member.client.get("/reflect"))


@pytest.mark.parametrize("htmx", [True, False])
def test_another_person_cannot_delete_a_reflection(app, owned_reflection, other_member, htmx):
    other_member.fetch_token("/reflect")
    response = other_member.post(f"/reflect/reflections/{owned_reflection}/delete", htmx=htmx)
    assert response.status_code == 404
    assert reflections(app)[0][3] is False


def test_another_person_cannot_restore_a_deleted_reflection(app, member, owned_reflection,
                                                            other_member):
    member.post(f"/reflect/reflections/{owned_reflection}/delete")
    other_member.fetch_token("/reflect")
    response = other_member.post(f"/reflect/reflections/{owned_reflection}/restore", htmx=True)
    assert response.status_code == 404
    assert reflections(app)[0][3] is True


def test_another_person_cannot_overwrite_a_reflection_by_its_id(app, owned_reflection,
                                                                other_member):
    form = reflection_form(problems=("Overwritten",), entry_id=owned_reflection)
    assert save(other_member, form, htmx=True).status_code == 404
    assert reflections(app)[0][1][0]["problem"] == "Private worry"


def test_another_person_cannot_reuse_a_marks_id(app, member, other_member):
    entry_id = str(uuid.uuid4())
    mark(member, REFRAMES[0].key, entry_id=entry_id)
    assert mark(other_member, REFRAMES[1].key, entry_id=entry_id).status_code == 404
    assert marks(app) == [REFRAMES[0].key]
