"""Reflect at phone size: working through "Stuck with a case?", tapping through reframe
cards, with and without JavaScript, online and off."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.people import (
    eventually,
    phone_page,
    ready,
    register,
    settled,
    tab_to,
)
from tests.browser.test_offline import controlled, outbox, wait_for_empty_outbox
from webapp.extensions import db
from webapp.models import Reflection, ReframeMark
from webapp.services.reframes import REFRAMES

pytestmark = pytest.mark.browser


def stored_reflections(app):
    """(problems, next_step, deleted) of every reflection row."""
    with app.app_context():
        return [(row.problems, row.next_step, row.deleted)
                for row in db.session.scalars(select(Reflection))]


def stored_marks(app):
    with app.app_context():
        return list(db.session.scalars(select(ReframeMark.card)))


def assert_tappable(locator):
    box = locator.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box


def fill_first_problem(page):
    page.get_by_label("What is the problem?").first.fill("Keeps cancelling, then wants more")
    page.locator("#whose-0").select_option(label="The client's")
    page.locator("#currency-0").fill("Feeling in control")


def test_a_stuck_case_is_worked_through_and_read_again(phone, app):
    register(phone)
    phone.goto("/reflect")
    phone.get_by_role("link", name="Stuck with a case?").tap()
    ready(phone)
    expect(phone.get_by_role("heading", name="Stuck with a case?")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    fill_first_problem(phone)
    add = phone.locator("#stuck-form summary").first
    assert_tappable(add)
    expect(phone.locator("#problem-1")).to_be_hidden()
    add.tap()
    expect(phone.locator("#problem-1")).to_be_visible()
    phone.locator("#problem-1").fill("I feel I have to rescue")
    phone.locator("#whose-1").select_option("mine")
    phone.get_by_label("What I'll do next").fill("Bring it to supervision")
    save = phone.get_by_role("button", name="Save reflection")
    assert_tappable(save)
    save.tap()

    expect(phone.get_by_text("Saved, just for you.")).to_be_visible()
    settled(phone)
    assert stored_reflections(app) == [([
        {"problem": "Keeps cancelling, then wants more", "whose": "client",
         "currency": "Feeling in control", "cultures": None},
        {"problem": "I feel I have to rescue", "whose": "mine", "currency": None,
         "cultures": None},
    ], "Bring it to supervision", False)]

    phone.get_by_role("link", name="Read it").tap()
    expect(phone.get_by_role("heading", name="I feel I have to rescue")).to_be_visible()
    expect(phone.locator("#reflection")).to_contain_text("Feeling in control")
    ready(phone)
    phone.get_by_role("button", name="Delete this reflection").tap()
    expect(phone.get_by_text("Reflection deleted.")).to_be_visible()
    assert stored_reflections(app)[0][2] is True
    settled(phone)
    phone.get_by_role("button", name="Undo").tap()
    expect(phone.get_by_role("heading", name="I feel I have to rescue")).to_be_visible()
    assert stored_reflections(app)[0][2] is False
    settled(phone)
    phone.get_by_role("button", name="Delete this reflection").tap()
    expect(phone.get_by_text("Reflection deleted.")).to_be_visible()
    phone.get_by_role("link", name="Back to Reflect").tap()
    expect(phone.get_by_text("Nothing yet.")).to_be_visible()


def test_a_missing_answer_is_shown_next_to_its_field(phone, app):
    register(phone)
    phone.goto("/reflect/stuck")
    ready(phone)
    phone.locator("#problem-0").fill("Going round in circles")
    phone.get_by_role("button", name="Save reflection").tap()
    error = phone.locator("#problems\\.0\\.whose-error")
    expect(error).to_contain_text("Problem 1: Choose whose problem it is.")
    expect(phone.locator("#whose-0")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#problem-0")).to_have_value("Going round in circles")
    assert stored_reflections(app) == []

    phone.locator("#whose-0").select_option("shared")
    phone.get_by_role("button", name="Save reflection").tap()
    expect(phone.get_by_text("Saved, just for you.")).to_be_visible()
    assert len(stored_reflections(app)) == 1


def test_a_name_is_pointed_out_and_can_be_saved_anyway_with_the_keyboard(phone, app):
    register(phone)
    phone.goto("/reflect/stuck")
    ready(phone)
    fill_first_problem(phone)
    phone.get_by_label("What I'll do next").fill("Ask client Maria what she wants")
    phone.get_by_role("button", name="Save reflection").tap()
    warning = phone.locator("#next_step-identifiers")
    expect(warning).to_contain_text("what looks like a name: Maria")
    assert stored_reflections(app) == []
    save_anyway = warning.get_by_role("button", name="Save anyway")
    assert_tappable(save_anyway)
    tab_to(phone, save_anyway)
    phone.keyboard.press("Enter")
    expect(phone.get_by_text("Saved, just for you.")).to_be_visible()
    assert stored_reflections(app)[0][1] == "Ask client Maria what she wants"


def test_the_reflection_works_without_javascript(browser, live_server, app):
    with phone_page(browser, live_server, java_script_enabled=False) as page:
        register(page, scripts=False)
        page.goto("/reflect/stuck")
        fill_first_problem(page)
        page.locator("#stuck-form summary").first.tap()
        page.locator("#problem-1").fill("Second thing")
        page.get_by_role("button", name="Save reflection").tap()
        expect(page.locator("#problems\\.1\\.whose-error")).to_be_visible()
        expect(page.locator("#problem-1")).to_be_visible()  # the row in use stays open
        page.locator("#whose-1").select_option("system")
        page.get_by_role("button", name="Save reflection").tap()
        expect(page.get_by_text("Reflection saved.")).to_be_visible()
        expect(page.get_by_role("heading", name="Second thing")).to_be_visible()
        page.get_by_role("button", name="Delete this reflection").tap()
        expect(page.get_by_text("Reflection deleted.")).to_be_visible()
    assert stored_reflections(app)[0][2] is True


def test_offline_a_reflection_waits_on_the_phone_then_arrives(phone, app):
    register(phone)
    controlled(phone)
    phone.goto("/reflect/stuck")
    controlled(phone)
    phone.context.set_offline(True)
    fill_first_problem(phone)
    phone.get_by_role("button", name="Save reflection").tap()
    expect(phone.locator("#stuck-answer .saved-offline")).to_contain_text("Saved on this phone")
    assert stored_reflections(app) == []
    waiting = outbox(phone)
    assert [record["kind"] for record in waiting] == ["reflection"]

    phone.context.set_offline(False)
    wait_for_empty_outbox(phone)
    assert stored_reflections(app) == [([
        {"problem": "Keeps cancelling, then wants more", "whose": "client",
         "currency": "Feeling in control", "cultures": None},
    ], None, False)]


# Reframe cards ---------------------------------------------------------------------------


def test_tapping_through_the_cards_and_marking_one(phone, app, color_scheme):
    phone.emulate_media(color_scheme=color_scheme)
    register(phone)
    phone.goto("/reflect")
    phone.get_by_role("link", name="Reframe cards").tap()
    ready(phone)
    title = phone.locator("#reframe-title")
    expect(title).to_have_text(REFRAMES[0].title)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    card_bottom = phone.locator("#reframe .helped").bounding_box()
    assert card_bottom["y"] + card_bottom["height"] <= 844 - 56  # above the tab bar

    next_link = phone.get_by_role("link", name="Next →")
    assert_tappable(next_link)
    next_link.tap()
    expect(title).to_have_text(REFRAMES[1].title)
    phone.get_by_role("link", name="← Previous").tap()
    expect(title).to_have_text(REFRAMES[0].title)
    ready(phone)

    helped = phone.get_by_role("button", name="This helped")
    assert_tappable(helped)
    helped.tap()
    expect(phone.locator("#helped-status")).to_contain_text("Helpful 1 time so far")
    settled(phone)
    helped.tap()
    expect(phone.locator("#helped-status")).to_contain_text("Helpful 2 times so far")
    assert stored_marks(app) == [REFRAMES[0].key] * 2


def test_the_situation_filter_and_the_order_of_helpful_cards(phone, app):
    register(phone)
    relapse = [card for card in REFRAMES if card.situation == "relapse"]
    phone.goto("/reflect/reframes")
    ready(phone)
    filters = phone.get_by_role("navigation", name="Situations")
    filters.get_by_role("link", name="After a relapse").tap()
    expect(phone.locator("#reframe-title")).to_have_text(relapse[0].title)
    expect(phone.get_by_text(f"1 of {len(relapse)}")).to_be_visible()
    phone.get_by_role("link", name="Next →").tap()
    expect(phone.locator("#reframe-title")).to_have_text(relapse[1].title)
    ready(phone)
    phone.get_by_role("button", name="This helped").tap()
    expect(phone.locator("#helped-status")).to_contain_text("Helpful 1 time")

    phone.goto("/reflect/reframes?situation=relapse")
    expect(phone.locator("#reframe-title")).to_have_text(relapse[1].title)


def test_the_cards_work_without_javascript(browser, live_server, app):
    with phone_page(browser, live_server, java_script_enabled=False) as page:
        register(page, scripts=False)
        page.goto("/reflect/reframes")
        page.get_by_role("link", name="Next →").tap()
        expect(page.locator("#reframe-title")).to_have_text(REFRAMES[1].title)
        page.get_by_role("button", name="This helped").tap()
        expect(page.get_by_text("Marked as helpful.")).to_be_visible()
        expect(page.locator("#reframe-title")).to_have_text(REFRAMES[1].title)
        expect(page.locator("#helped-status")).to_contain_text("Helpful 1 time")
    assert stored_marks(app) == [REFRAMES[1].key]


def test_offline_a_mark_waits_on_the_phone_then_arrives(phone, app):
    register(phone)
    controlled(phone)
    phone.goto("/reflect/reframes")
    controlled(phone)
    phone.context.set_offline(True)
    phone.get_by_role("button", name="This helped").tap()
    expect(phone.locator("#helped-status .saved-offline")).to_contain_text("Saved on this phone")
    settled(phone)
    phone.get_by_role("button", name="This helped").tap()
    eventually(phone, lambda: len(outbox(phone)) == 2, "two marks waiting")
    assert stored_marks(app) == []
    phone.context.set_offline(False)
    wait_for_empty_outbox(phone)
    assert stored_marks(app) == [REFRAMES[0].key] * 2
