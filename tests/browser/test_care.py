"""Supervision notes and the leave clock on a phone: writing, marking and deleting notes,
bringing a check-in or a reflection to supervision, logging breaks, and both kept offline until the
network returns."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.people import (
    check_in,
    eventually,
    phone_page,
    ready,
    register,
    settled,
    tab_to,
    the_checkin,
)
from tests.browser.test_offline import controlled, outbox
from webapp.extensions import db
from webapp.models import Break, Reflection, SupervisionNote
from webapp.services.clock import utcnow

pytestmark = pytest.mark.browser

THOUGHT = "How do I hold the line on session length with my 3 pm client?"


def rows(app, model):
    """Every row of `model` as (text or dates, discussed or deleted) tuples."""
    with app.app_context():
        found = db.session.scalars(select(model)).all()
        if model is SupervisionNote:
            return [(row.text, row.discussed_at is not None, row.deleted, row.about_id)
                    for row in found]
        return [(row.first_day, row.last_day, row.note, row.deleted) for row in found]


def open_page(page, path):
    page.goto(path)
    ready(page)


def fits_the_screen(page):
    """Nothing sticks out sideways at phone width."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def add_note(page, text):
    page.get_by_label("A thought for supervision").fill(text)
    page.get_by_role("button", name="Add to the list").tap()
    settled(page)


def test_notes_are_written_marked_discussed_brought_back_and_deleted(phone, app, color_scheme):
    phone.emulate_media(color_scheme=color_scheme)
    register(phone)
    open_page(phone, "/supervision")
    add_note(phone, THOUGHT)
    expect(phone.locator("#new-note-status")).to_have_text("Added to the list.")
    expect(phone.get_by_label("A thought for supervision")).to_have_value("")
    to_bring = phone.locator(".supervision-notes").first
    expect(to_bring).to_contain_text(THOUGHT)
    expect(phone.get_by_role("heading", name="To bring (1)")).to_be_visible()
    fits_the_screen(phone)

    add_note(phone, "Second thought")  # a fresh id: a second note, not the first again
    expect(phone.get_by_role("heading", name="To bring (2)")).to_be_visible()
    assert {text for text, *_ in rows(app, SupervisionNote)} == {"Second thought", THOUGHT}

    note = phone.locator(".supervision-note", has_text=THOUGHT)
    mark = note.get_by_role("button", name="Mark discussed")
    assert mark.bounding_box()["height"] >= 44
    mark.tap()
    expect(phone.locator("#notes-status")).to_have_text("Moved to discussed.")
    discussed = phone.locator(".supervision-notes.discussed")
    expect(discussed).to_contain_text(THOUGHT)
    expect(discussed).to_contain_text("Discussed ")
    assert (THOUGHT, True, False, None) in rows(app, SupervisionNote)

    discussed.get_by_role("button", name="Not yet discussed").tap()
    expect(phone.locator("#notes-status")).to_have_text("Back on the list to bring.")
    expect(phone.locator(".supervision-notes.discussed")).to_have_count(0)

    phone.locator(".supervision-note", has_text="Second thought").get_by_role(
        "button", name="Delete").tap()
    expect(phone.locator("#notes-status")).to_have_text("Note deleted.")
    expect(phone.locator(".supervision-note")).to_have_count(1)
    assert ("Second thought", False, True, None) in rows(app, SupervisionNote)


def test_a_note_naming_a_client_is_pointed_out_then_saved_anyway(phone, app):
    register(phone)
    open_page(phone, "/supervision")
    add_note(phone, "Client Sarah rang twice again")
    warning = phone.locator("#new-note-identifiers")
    expect(warning).to_contain_text("what looks like a name: Sarah")
    expect(phone.get_by_label("A thought for supervision")).to_have_value(
        "Client Sarah rang twice again")
    assert rows(app, SupervisionNote) == []
    warning.get_by_role("button", name="Save anyway").tap()
    settled(phone)
    expect(phone.locator("#new-note-identifiers")).to_have_count(0)
    expect(phone.locator(".supervision-notes")).to_contain_text("Client Sarah rang twice again")
    assert [text for text, *_ in rows(app, SupervisionNote)] == ["Client Sarah rang twice again"]


def test_a_check_in_is_brought_to_supervision_from_its_page(phone, app):
    register(phone)
    check_in(phone, "Running low")
    checkin = the_checkin(app)
    open_page(phone, f"/checkins/{checkin.id}")
    text = phone.get_by_label("Bring to supervision")
    expect(text).to_have_value(f"Check-in, {_shown_day(phone)}: running low", timeout=2000)
    text.fill("Running low after the 2 pm; what am I carrying?")
    phone.get_by_role("button", name="Add to my supervision notes").tap()
    settled(phone)
    status = phone.locator("#bring-status")
    expect(status).to_contain_text("Added to your notes for supervision.")
    assert rows(app, SupervisionNote) == [
        ("Running low after the 2 pm; what am I carrying?", False, False, checkin.id)
    ]
    status.get_by_role("link", name="notes for supervision").tap()
    expect(phone.get_by_role("link", name="the check-in")).to_have_attribute(
        "href", f"/checkins/{checkin.id}")


def test_a_reflection_is_brought_to_supervision_from_its_page(phone, app):
    register(phone)
    open_page(phone, "/reflect/stuck")
    phone.get_by_label("What is the problem?").first.fill("Keeps cancelling, then wants more")
    phone.locator("#whose-0").select_option(label="The client's")
    phone.get_by_label("What I'll do next").fill("Ask about a case review")
    phone.get_by_role("button", name="Save reflection").tap()
    phone.get_by_role("link", name="Read it").tap()
    ready(phone)
    text = phone.get_by_label("Bring to supervision")
    expect(text).to_have_value(re.compile(
        r"^Stuck with a case, \w+ \d+ \w+: Keeps cancelling, then wants more; "
        r"next: Ask about a case review$"))
    text.fill("Why do I take the late cancellations personally?")
    text.scroll_into_view_if_needed()
    fits_the_screen(phone)
    # caret="initial": hiding the caret styles the focused field, which htmx's settle
    # then copies as an inline style, and the page's CSP rightly refuses it.
    phone.screenshot(path="/tmp/bring-reflection.png", caret="initial")
    phone.get_by_role("button", name="Add to my supervision notes").tap()
    settled(phone)
    status = phone.locator("#bring-status")
    expect(status).to_contain_text("Added to your notes for supervision.")
    with app.app_context():
        reflection_id = db.session.scalar(select(Reflection.id))
    assert rows(app, SupervisionNote) == [
        ("Why do I take the late cancellations personally?", False, False, reflection_id)
    ]
    phone.screenshot(path="/tmp/bring-reflection-added.png")
    status.get_by_role("link", name="notes for supervision").tap()
    expect(phone.locator(".supervision-notes")).to_contain_text(
        "Why do I take the late cancellations personally?")
    fits_the_screen(phone)
    phone.screenshot(path="/tmp/bring-reflection-listed.png")
    phone.get_by_role("link", name="the reflection").tap()
    expect(phone.get_by_role("heading", name="Keeps cancelling, then wants more")).to_be_visible()
    assert phone.url.endswith(f"/reflect/reflections/{reflection_id}")


def _shown_day(page):
    """The check-in's heading, which the summary repeats ('Sunday 22 November, 8:13 AM')."""
    return page.locator("#checkin-title").inner_text().replace(",", "")


def test_breaks_are_logged_counted_explained_and_deleted(phone, app, color_scheme):
    phone.emulate_media(color_scheme=color_scheme)
    register(phone)
    open_page(phone, "/breaks")
    expect(phone.get_by_role("heading", name="No break logged yet")).to_be_visible()
    fits_the_screen(phone)

    today = utcnow().date()  # the phone's zone is UTC, as the browser reports it
    tab_to(phone, phone.get_by_label("First day"))
    phone.get_by_label("First day").fill((today - timedelta(days=3)).isoformat())
    phone.get_by_label("Last day").fill((today - timedelta(days=9)).isoformat())
    phone.get_by_role("button", name="Add break").tap()
    settled(phone)
    expect(phone.locator("#last_day-error")).to_have_text(
        "The last day cannot come before the first.")
    expect(phone.get_by_label("Last day")).to_have_attribute("aria-invalid", "true")
    fits_the_screen(phone)
    assert rows(app, Break) == []

    phone.get_by_label("First day").fill((today - timedelta(days=20)).isoformat())
    phone.get_by_label("Note (optional)").fill("Walking in the hills")
    phone.get_by_role("button", name="Add break").tap()
    settled(phone)
    expect(phone.locator("#break-status")).to_have_text("Break added.")
    expect(phone.locator("#leave-clock")).to_contain_text("9 days since your last real break")
    expect(phone.locator(".break")).to_contain_text("Walking in the hills")
    expect(phone.get_by_label("First day")).to_have_value("")

    phone.locator(".break").get_by_role("button", name="Delete").tap()
    settled(phone)
    expect(phone.get_by_role("heading", name="No break logged yet")).to_be_visible()
    assert [deleted for *_, deleted in rows(app, Break)] == [True]


def test_notes_and_breaks_made_offline_arrive_when_the_network_returns(browser, live_server,
                                                                     app):
    today = utcnow().date()
    with phone_page(browser, live_server) as phone:
        register(phone)
        open_page(phone, "/supervision")
        controlled(phone)
        phone.context.set_offline(True)
        add_note(phone, THOUGHT)
        expect(phone.locator("#new-note-status")).to_contain_text("Saved on this phone")
        assert [record["kind"] for record in outbox(phone)] == ["supervision_note"]
        assert rows(app, SupervisionNote) == []
        phone.context.set_offline(False)  # the page hears `online` and asks the worker to sync
        eventually(phone, lambda: rows(app, SupervisionNote), "the note reached the server",
                   15000)

        open_page(phone, "/breaks")
        controlled(phone)
        phone.context.set_offline(True)
        phone.get_by_label("First day").fill((today - timedelta(days=6)).isoformat())
        phone.get_by_label("Last day").fill((today - timedelta(days=2)).isoformat())
        phone.get_by_role("button", name="Add break").tap()
        settled(phone)
        expect(phone.locator("#break-status")).to_contain_text("Saved on this phone")
        assert [record["kind"] for record in outbox(phone)] == ["break"]
        assert rows(app, Break) == []
        phone.context.set_offline(False)
        eventually(phone, lambda: rows(app, Break), "the break reached the server", 15000)
        eventually(phone, lambda: outbox(phone) == [], "the outbox emptied", 10000)
    assert rows(app, SupervisionNote) == [(THOUGHT, False, False, None)]
    assert rows(app, Break) == [(today - timedelta(days=6), today - timedelta(days=2), None,
                                 False)]
