"""The person's practices in a real phone-sized Chromium: one tap "done" with Undo (online
and offline), and the list kept by taps and by keyboard."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.people import (
    check_in,
    eventually,
    phone_page,
    ready,
    register,
    saving,
    settled,
    tab_to,
)
from tests.browser.test_offline import controlled, outbox, wait_for_empty_outbox
from webapp.extensions import db
from webapp.models import CheckIn, Practice, PracticeDone

pytestmark = pytest.mark.browser

TAP = 44


def done_rows(app):
    """(practice, deleted) of every practice done, oldest first, and their ids."""
    with app.app_context():
        rows = db.session.scalars(select(PracticeDone).order_by(PracticeDone.created_at)).all()
        return [(row.practice, row.deleted) for row in rows], [row.id for row in rows]


def quick_chip(page, name):
    return page.locator(".quick-done").get_by_role("button", name=name, exact=True)


def status(page):
    return page.locator("#practice-done-status")


def assert_tappable(locator):
    """Every element the locator finds is at least 44 × 44 px."""
    for box in (element.bounding_box() for element in locator.all()):
        assert box["width"] >= TAP - 0.5 and box["height"] >= TAP - 0.5, box


def add_practice(page, name):
    """On the practices page, add a practice that fits a 10-minute gap."""
    form = page.locator(".add-practice")
    form.get_by_label("What helps you?").fill(name)
    form.get_by_label("Fits a 10-minute gap").check()
    form.get_by_role("button", name="Add").tap()
    expect(page.get_by_role("status").first).to_have_text(f"Added: {name}.")


def practice_row(page, name):
    return page.locator(".practice-row").filter(has=page.locator(".practice-name", has_text=name))


def group_names(page, title):
    section = page.locator(".practice-group").filter(has=page.get_by_role("heading", name=title))
    return section.locator(".practice-name").all_text_contents()


def test_one_tap_logs_a_practice_and_undo_takes_it_back(browser, live_server, app, color_scheme):
    with phone_page(browser, live_server, color_scheme=color_scheme) as page:
        register(page)
        row = page.locator(".quick-done")
        expect(row.get_by_role("heading", name="Did something for yourself?")).to_be_visible()
        assert_tappable(row.locator("button.chip"))
        assert_tappable(row.get_by_role("link", name="All my practices"))

        quick_chip(page, "A glass of water").tap()
        expect(status(page)).to_contain_text("Logged: A glass of water.")
        eventually(page, lambda: done_rows(app)[0] == [("water", False)], "the tap was saved")

        status(page).get_by_role("button", name="Undo").tap()
        expect(status(page)).to_have_text("Undone. Nothing is logged.")
        eventually(page, lambda: done_rows(app)[0] == [("water", True)], "the undo was saved")

        settled(page)
        quick_chip(page, "A stretch").tap()  # the form took a fresh id after the first save
        expect(status(page)).to_contain_text("Logged: A stretch.")
        eventually(page, lambda: len(done_rows(app)[0]) == 2, "a second entry was saved")
        [first, second] = done_rows(app)[1]
        assert first != second


def test_a_tap_with_no_network_waits_on_the_phone_and_arrives_once(phone, app):
    register(phone)
    controlled(phone)
    phone.reload()  # opened once through the worker, so the phone keeps this page
    controlled(phone)
    phone.context.set_offline(True)
    phone.goto("/")
    ready(phone)
    quick_chip(phone, "Three slow breaths").tap()
    expect(status(phone).locator(".saved-offline")).to_contain_text("Saved on this phone")
    [record] = outbox(phone)
    assert record["kind"] == "practice_done"
    assert done_rows(app) == ([], [])

    phone.context.set_offline(False)
    wait_for_empty_outbox(phone)
    rows, [entry_id] = done_rows(app)
    assert rows == [("breaths", False)] and entry_id == record["id"]


def test_without_scripts_a_tap_still_logs_and_can_be_undone(browser, live_server, app):
    with phone_page(browser, live_server, java_script_enabled=False) as page:
        register(page, scripts=False)
        quick_chip(page, "A step outside").tap()
        expect(page.get_by_role("heading", name="A practice, logged")).to_be_visible()
        expect(status(page)).to_contain_text("Logged: A step outside.")
        page.get_by_role("button", name="Undo").tap()
        expect(page.get_by_role("status").first).to_contain_text("Undone")
    assert done_rows(app)[0] == [("outside", True)]


def test_a_person_adds_renames_moves_archives_and_restores_a_practice(phone, app):
    register(phone)
    phone.locator(".quick-done").get_by_role("link", name="All my practices").tap()
    expect(phone.get_by_role("heading", name="My practices")).to_be_visible()

    add_practice(phone, "Hum a song")
    assert group_names(phone, "For a 10-minute gap")[-1] == "Hum a song"

    practice_row(phone, "Hum a song").get_by_role("button", name="Move Hum a song up").tap()
    expect(phone.get_by_role("status").first).to_be_hidden()
    assert group_names(phone, "For a 10-minute gap")[-2:] == ["Hum a song", "One line written down"]

    row = practice_row(phone, "Hum a song")
    row.locator("summary").tap()
    row.get_by_label("Name").fill("Hum a tune")
    row.get_by_role("button", name="Save").tap()
    expect(phone.get_by_role("status").first).to_have_text("Saved: Hum a tune.")

    practice_row(phone, "Hum a tune").locator("summary").tap()
    practice_row(phone, "Hum a tune").get_by_role("button", name="Archive").tap()
    expect(phone.get_by_role("status").first).to_contain_text("Archived: Hum a tune.")
    assert "Hum a tune" not in group_names(phone, "For a 10-minute gap")
    assert group_names(phone, "Archived") == ["Hum a tune"]

    phone.get_by_role("button", name="Restore Hum a tune").tap()
    expect(phone.get_by_role("status").first).to_have_text("Back in your list: Hum a tune.")
    assert group_names(phone, "For a 10-minute gap")[-2:] == ["Hum a tune", "One line written down"]

    with app.app_context():
        [key] = db.session.scalars(select(Practice.key).where(Practice.name == "Hum a tune"))
    phone.goto("/")
    quick_chip(phone, "Hum a tune").tap()
    expect(status(phone)).to_contain_text("Logged: Hum a tune.")
    eventually(phone, lambda: done_rows(app)[0] == [(key, False)], "the added practice logged")


def test_a_name_that_may_identify_someone_asks_before_saving(phone, app):
    register(phone)
    phone.goto("/practices")
    phone.get_by_label("What helps you?").fill("Debrief after client Sarah")
    phone.get_by_role("button", name="Add").tap()
    warning = phone.locator("#new-name-identifiers")
    expect(warning).to_contain_text("what looks like a name: Sarah")
    expect(phone.get_by_label("What helps you?")).to_have_value("Debrief after client Sarah")
    phone.get_by_label("What helps you?").fill("Debrief after my 3 pm")
    phone.get_by_role("button", name="Add").tap()
    expect(phone.get_by_role("status").first).to_have_text("Added: Debrief after my 3 pm.")


def test_the_list_works_from_the_keyboard(phone, app):
    register(phone)
    phone.goto("/practices")
    ready(phone)
    summary = practice_row(phone, "A stretch").locator("summary")
    tab_to(phone, summary)
    phone.keyboard.press("Enter")
    name = practice_row(phone, "A stretch").get_by_label("Name")
    expect(name).to_be_visible()
    phone.keyboard.press("Tab")
    expect(name).to_be_focused()
    name.fill("A long stretch")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("status").first).to_have_text("Saved: A long stretch.")
    assert_tappable(phone.locator(".icon-button"))
    assert_tappable(phone.locator(".practice-edit > summary"))


def test_the_checkin_card_offers_an_added_practice(phone, app):
    register(phone)
    phone.goto("/practices")
    add_practice(phone, "Hum a song")
    phone.goto("/")
    check_in(phone)
    with saving(phone, "practice"):
        phone.locator("#part-practice").get_by_text("Hum a song", exact=True).tap()
    with app.app_context():
        [checkin] = db.session.scalars(select(CheckIn)).all()
        assert checkin.practice.startswith("own-")
