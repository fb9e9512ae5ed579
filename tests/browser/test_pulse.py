"""The weekly pulse on a phone: taken by tapping, seen in the trend, changed the same
week, and taken with no network, arriving exactly once when the network returns."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.people import eventually, phone_page, ready, register, settled
from tests.browser.test_offline import controlled, outbox
from webapp.extensions import db
from webapp.models import Pulse

pytestmark = pytest.mark.browser

# Satisfaction 4 + 5 = 9; wear 2 + (6 - 4) = 4; carried 1 + 3 = 4.
ANSWERS = {"gave_back": 4, "made_difference": 5, "worn_out": 2, "kept_up": 4,
           "stories_followed": 1, "on_edge": 3}


def rows(app):
    """Every pulse row as (answers, note, deleted)."""
    with app.app_context():
        return [(row.answers, row.note, row.deleted) for row in db.session.scalars(select(Pulse))]


def choice(page, key, level):
    """The big labelled choice for one answer."""
    return page.locator(f"label[for=pulse-{key}-{level}]")


def answer_all(page, answers):
    for key, level in answers.items():
        choice(page, key, level).tap()


def trend_row(page, week="This week"):
    """The numbers in one week's row of the trend table."""
    row = page.locator(".pulse-table tbody tr", has=page.locator("th", has_text=week))
    return row.locator(".pulse-number").all_inner_texts()


def test_the_pulse_is_taken_by_tapping_saved_and_shown_in_the_trend(phone, app):
    register(phone)
    phone.goto("/reflect")
    phone.get_by_role("link", name="Weekly pulse").tap()
    ready(phone)
    expect(phone.get_by_role("heading", name="Weekly pulse", level=1)).to_be_visible()
    disclaimer = "A quick look at your week, not a test or a diagnosis."
    expect(phone.get_by_text(disclaimer)).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    first = choice(phone, "gave_back", 1).bounding_box()
    assert first["width"] >= 44 and first["height"] >= 44  # a thumb's worth each
    answer_all(phone, ANSWERS)
    expect(phone.get_by_role("radio", name="Quite a bit").first).to_be_checked()
    phone.get_by_label("One line about the week (optional)").fill("Lighter than last week.")
    phone.get_by_role("button", name="Save this week's pulse").tap()
    settled(phone)
    expect(phone.locator("#pulse-status")).to_have_text(
        "Saved. Thank you for checking in with yourself.")
    expect(phone.locator(".pulse-taken")).to_contain_text("You took this week's pulse")
    assert trend_row(phone) == ["9", "4", "4"]
    assert rows(app) == [(ANSWERS, "Lighter than last week.", False)]

    # Changed the same week: still one pulse, with the new answer.
    choice(phone, "on_edge", 5).tap()
    phone.get_by_role("button", name="Save this week's pulse").tap()
    settled(phone)
    eventually(phone, lambda: rows(app)[0][0]["on_edge"] == 5, "the change was saved")
    assert trend_row(phone) == ["9", "4", "6"]
    assert len(rows(app)) == 1

    # Deleted: the page starts afresh, and the pulse is a tombstone for other devices.
    phone.get_by_role("button", name="Delete this week's pulse").tap()
    expect(phone.get_by_text("That week's pulse is deleted.")).to_be_visible()
    expect(phone.locator(".pulse-taken")).to_have_count(0)
    expect(phone.get_by_role("radio", name="Quite a bit").first).not_to_be_checked()
    expect(phone.get_by_role("button", name="Delete this week's pulse")).to_have_count(0)
    assert [deleted for _, _, deleted in rows(app)] == [True]


def test_a_pulse_taken_offline_waits_on_the_phone_then_arrives_once(browser, live_server, app):
    with phone_page(browser, live_server) as phone:
        register(phone)
        phone.goto("/reflect/pulse")  # visited once, so the phone keeps it
        controlled(phone)
        phone.context.set_offline(True)
        phone.goto("/reflect/pulse")  # opens from the phone, with no network
        ready(phone)
        expect(phone.get_by_role("heading", name="Weekly pulse", level=1)).to_be_visible()
        answer_all(phone, ANSWERS)
        phone.get_by_role("button", name="Save this week's pulse").tap()
        settled(phone)
        expect(phone.locator("#pulse-status")).to_contain_text("Saved on this phone")
        assert [record["kind"] for record in outbox(phone)] == ["pulse"]
        assert rows(app) == []

        phone.context.set_offline(False)  # the page hears `online` and asks the worker to sync
        eventually(phone, lambda: rows(app), "the pulse reached the server", 15000)
        eventually(phone, lambda: outbox(phone) == [], "the outbox emptied", 10000)
        phone.wait_for_timeout(500)  # a second delivery, were there one, would land here
        assert rows(app) == [(ANSWERS, None, False)]

        phone.goto("/reflect/pulse")  # now showing the synced pulse, which can be deleted
        controlled(phone)
        phone.context.set_offline(True)
        phone.get_by_role("button", name="Delete this week's pulse").tap()
        expect(phone.locator("#pulse-status")).to_contain_text("Saved on this phone")
        phone.context.set_offline(False)
        eventually(phone, lambda: rows(app)[0][2], "the delete reached the server", 15000)
        eventually(phone, lambda: outbox(phone) == [], "the outbox emptied", 10000)
    assert rows(app) == [(ANSWERS, None, True)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pulse_page_reads_well_in_both_schemes(browser, live_server, app, scheme):
    with phone_page(browser, live_server, color_scheme=scheme) as phone:
        register(phone)
        phone.goto("/reflect/pulse")
        ready(phone)
        answer_all(phone, ANSWERS)
        phone.get_by_role("button", name="Save this week's pulse").tap()
        settled(phone)
        expect(phone.locator("#pulse-status")).to_contain_text("Saved.")
        phone.goto("/reflect/pulse")
        ready(phone)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.screenshot(path=f"/tmp/pulse-{scheme}.png")
        phone.screenshot(path=f"/tmp/pulse-{scheme}-full.png", full_page=True)
        phone.locator("#pulse-trend").scroll_into_view_if_needed()
        phone.screenshot(path=f"/tmp/pulse-{scheme}-trend.png")
