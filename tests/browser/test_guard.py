"""The identifier guard on the check-in's note, at phone size: a name is pointed out
before it is saved, "Save anyway" saves it, and a reworded note saves at once."""
import pytest
from playwright.sync_api import expect

from tests.browser.people import (
    answered,
    check_in,
    phone_page,
    register,
    saving,
    tab_to,
    tank_button,
    the_checkin,
)

pytestmark = pytest.mark.browser

NAMED = "Saw client Sarah again, heavy one"
REWORDED = "Saw client S. again, heavy one"


def test_a_name_is_pointed_out_then_saved_anyway_or_reworded(phone, app):
    register(phone)
    check_in(phone)
    note = phone.get_by_label("One line for myself")
    note.fill(NAMED)
    with answered(phone, "note"):
        note.press("Enter")

    warning = phone.locator("#part-note .identifier-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("what looks like a name: Sarah")
    expect(warning).to_contain_text('"my 3 pm client"')
    expect(note).to_have_value(NAMED)
    expect(note).to_have_attribute("aria-describedby", "note-hint note-identifiers")
    assert the_checkin(app).note is None
    save_anyway = warning.get_by_role("button", name="Save anyway")
    assert save_anyway.bounding_box()["height"] >= 44

    with saving(phone, "note"):
        save_anyway.tap()
    expect(phone.locator(".identifier-warning")).to_have_count(0)
    expect(note).to_have_value(NAMED)
    assert the_checkin(app).note == NAMED

    note.fill(REWORDED)
    with saving(phone, "note"):
        note.press("Enter")
    expect(phone.locator(".identifier-warning")).to_have_count(0)
    assert the_checkin(app).note == REWORDED


def test_save_anyway_is_reached_and_pressed_with_the_keyboard(phone, app):
    register(phone)
    check_in(phone)
    note = phone.get_by_label("One line for myself")
    note.fill("Call back on 0412 345 678")
    with answered(phone, "note"):
        note.press("Enter")
    save_anyway = phone.get_by_role("button", name="Save anyway")
    tab_to(phone, save_anyway)
    with saving(phone, "note"):
        phone.keyboard.press("Enter")
    assert the_checkin(app).note == "Call back on 0412 345 678"


def test_the_guard_works_without_javascript(browser, live_server, app):
    with phone_page(browser, live_server, java_script_enabled=False) as page:
        register(page, scripts=False)
        tank_button(page, "Some left").tap()
        note = page.get_by_label("One line for myself")
        note.fill(NAMED)
        page.locator("#part-note").get_by_role("button", name="Save", exact=True).tap()
        expect(page.locator(".identifier-warning")).to_contain_text("what looks like a name: Sarah")
        expect(note).to_have_value(NAMED)
        assert the_checkin(app).note is None

        page.get_by_role("button", name="Save anyway").tap()
        expect(page.locator("#part-note .saved-mark")).to_have_text("Saved")
        expect(page.get_by_label("One line for myself")).to_have_value(NAMED)
    assert the_checkin(app).note == NAMED
