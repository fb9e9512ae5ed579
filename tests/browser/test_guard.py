"""The identifier guard on the check-in's note, at phone size: a name is pointed out
before it is saved, "Save anyway" saves it, and a reworded note saves at once. The
phone reads text with the server's rules, to know which writes must wait for the server
to ask about them (on a bad network: tests/browser/test_bad_network.py)."""
import pytest
from playwright.sync_api import expect

from tests.browser.people import (
    answered,
    check_in,
    eventually,
    phone_page,
    register,
    saving,
    tab_to,
    tank_button,
    the_checkin,
)
from tests.browser.test_offline import controlled
from tests.test_guard import IDENTIFYING, ORDINARY
from webapp.services.guard import find_identifiers

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


# Edges of each rule, beyond the server's own test texts.
EDGES = [
    "client Zoë rang twice", "a client named Élodie", "Dr. Patel is the GP", "client i think",
    "the client And then", "plan for 2 Feb 2026", "DOB 2 Feb 2015", "born 2 Feb 2015",
    "file 12ab", "record 1234", "chart # 77-1234 open", "ring 555 0147 99", "on 12/03/88",
    "jo@x.io", "two clients:\nclient Sarah and client Tom", "client’s Mum called",
    "session 12 of 20, 45 minutes", "+1 (555) 010-9999", "Mr Smith's case", "pupil Ana's mum",
]


def phone_with_the_rules(page):
    """Wait until the worker keeps the guard's rules: from the second page on."""
    controlled(page)
    page.goto("/history")
    eventually(page, lambda: page.evaluate("() => caches.match('/guard.json').then(Boolean)"),
               "the worker keeps the guard's rules", 10000)
    return page.context.service_workers[0]


def test_the_phone_reads_text_as_the_server_does(phone):
    register(phone)
    worker = phone_with_the_rules(phone)
    texts = [text for text, _, _ in IDENTIFYING] + [text for text in ORDINARY if text] + EDGES
    read = worker.evaluate(
        "(texts) => Promise.all(texts.map((text) => TendGuard.mayIdentify({ note: text })))",
        texts)
    server = {text: bool(find_identifiers(text)) for text in texts}
    assert dict(zip(texts, read, strict=True)) == server
    # Only typing counts: stamps, dates, numbers and flags are not read; nested text is.
    entries = [
        {"tank": 3, "created_at": "2026-12-07T09:50:00.000Z", "deleted": False},
        {"week_start": "1988-02-29", "answers": {"rest": 2}, "note": None},
        {"problems": [{"problem": "stuck", "whose": "mine"}, {"problem": "client Sarah again"}]},
    ]
    read = worker.evaluate(
        "(entries) => Promise.all(entries.map((entry) => TendGuard.mayIdentify(entry)))", entries)
    assert read == [False, False, True]
