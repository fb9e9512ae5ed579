"""The check-in card in a real phone-sized Chromium: one tap, the extras, history, undo.

Each test does what a person would do (taps, typing, the keyboard) and then checks
both what the screen shows and what the database holds.
"""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.people import (
    LEAN_STEP,
    answered,
    check_in,
    eventually,
    focus_ring,
    focused,
    has_focus,
    lean_step,
    phone_page,
    ready,
    register,
    saving,
    settled,
    stored_checkins,
    stored_users,
    tab_bar_link,
    tab_to,
    tank_button,
    tap_share,
    the_checkin,
)
from tests.browser.test_offline import controlled, kept_pages
from webapp.services.checkins import day_label

pytestmark = pytest.mark.browser

# UTC+14: its clock never matches UTC, and its calendar day differs from UTC's for
# 14 hours of every 24, so a time or a day computed in the wrong zone shows up.
FAR_ZONE = "Pacific/Kiritimati"


def local(moment, zone):
    """A stored UTC moment on the wall clock of `zone`."""
    return moment.astimezone(ZoneInfo(zone))


def test_one_tap_saves_a_checkin_that_history_shows_under_today(browser, live_server, app):
    """Register, tap one tank level: the card says saved, one row exists, history lists it."""
    with phone_page(browser, live_server, timezone_id=FAR_ZONE) as page:
        register(page)
        browser_zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
        assert browser_zone == FAR_ZONE
        [user] = stored_users(app)
        assert user.timezone == browser_zone, "registration should keep the detected time zone"

        tank_button(page, "Some left").tap()

        title = page.locator("#checkin-title")
        expect(title).to_contain_text("Saved: some left")
        # The heading says it once; the tank part's own mark is for later changes.
        expect(page.locator("#checkin .saved-mark")).to_have_count(0)
        expect(tank_button(page, "Some left")).to_have_attribute("aria-pressed", "true")
        entry = the_checkin(app)
        assert (entry.tank, entry.user_id, entry.deleted) == (3, user.id, False)
        shown_time = local(entry.created_at, FAR_ZONE).strftime("%-I:%M %p")
        expect(title).to_have_text(f"Saved: some left, at {shown_time}")

        tab_bar_link(page, "History").tap()
        expect(page).to_have_url(re.compile(r"/history$"))
        # The day is the browser's (the user's) today, not the server's UTC day.
        today = datetime.now(ZoneInfo(FAR_ZONE)).date()
        day = page.locator(f"section.day[aria-labelledby='day-{today.isoformat()}']")
        expect(day).to_have_count(1)
        # Headings name the day in words: "Today" (or the date written out).
        expect(day.get_by_role("heading", level=2)).to_have_text(
            re.compile(rf"^\s*(Today|{day_label(today)})\s*$")
        )
        listed = day.locator("a.entry")
        expect(listed).to_have_count(1)
        expect(listed.locator(".entry-tank")).to_have_text("Some left")
        expect(listed.locator(".entry-time")).to_have_text(shown_time)
        expect(listed).to_have_attribute("href", f"/checkins/{entry.id}")


def test_extras_save_into_the_same_entry_without_reloading(phone, app):
    """Slider, safety switch, three leans, a practice and a note all land in one row."""
    register(phone)
    phone.evaluate("window.__marker = 1")  # a full page load would wipe this
    check_in(phone, "Running low")
    entry_id = the_checkin(app).id

    with saving(phone, "share"):
        tap_share(phone, 62)
    expect(phone.locator("#share-meaning output")).to_have_text("62 %")
    expect(phone.locator("#share-meaning")).to_contain_text("more than my share")

    with saving(phone, "safety"):
        phone.locator("label.switch").tap()
    expect(phone.get_by_role("checkbox", name=re.compile("safety session"))).to_be_checked()

    choices = {"lean_personal": 1, "lean_client": 5, "lean_community": 3}
    for field, n in choices.items():
        with saving(phone, "leans"):
            lean_step(phone, field, n).tap()
        expect(phone.locator(f"#{field}-{n}")).to_be_checked()

    with saving(phone, "practice"):
        phone.locator("#part-practice").get_by_text("A glass of water").tap()
    expect(phone.locator("#practice-water")).to_be_checked()

    note = phone.get_by_label("One line for myself")
    note.fill("Slow morning, better after lunch.")
    with saving(phone, "note"):
        note.press("Enter")
    expect(note).to_have_value("Slow morning, better after lunch.")

    assert phone.evaluate("window.__marker") == 1, "the page was reloaded"
    expect(phone).to_have_url(re.compile(r"/$"))
    row = the_checkin(app)
    assert row.id == entry_id
    assert (row.tank, row.work_share, row.safety_session) == (2, 62, True)
    leans = (row.lean_personal, row.lean_client, row.lean_community)
    assert leans == tuple(LEAN_STEP[n] for n in choices.values()) == (-2, 2, 0)
    assert (row.practice, row.note) == ("water", "Slow morning, better after lunch.")

    tab_bar_link(phone, "History").tap()
    listed = phone.locator("a.entry")
    expect(listed).to_have_count(1)
    expect(listed.locator(".tag")).to_have_text(
        [
            "carried 62 %",
            "safety session",
            "well toward tending to my needs",
            "well toward stepping back",
            "A glass of water",
        ]
    )
    expect(listed.locator(".entry-note")).to_have_text("Slow morning, better after lunch.")


def test_a_too_long_note_shows_its_error_in_place_and_keeps_the_text(phone, app):
    """A 300-character note: the error sits in the note part, the typing survives, no save."""
    register(phone)
    check_in(phone)
    note = phone.get_by_label("One line for myself")
    note.fill("A short walk helped.")
    with saving(phone, "note"):
        note.press("Enter")

    long_note = "Today I noticed " + "x" * 284  # 300 characters
    note.fill(long_note)
    expect(phone.locator("[data-counter-for=note]")).to_have_text(
        "20 characters over the 280 limit"
    )
    with answered(phone, "note"):
        phone.locator("#part-note").get_by_role("button", name="Save").tap()

    part = phone.locator("#part-note")
    error = part.locator("#note-error")
    expect(error).to_have_text("Keep the note to 280 characters (this one has 300).")
    expect(part.locator(".saved-mark")).to_have_count(0)
    expect(note).to_have_value(long_note)
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(note).to_have_attribute("aria-describedby", re.compile(r"\bnote-error\b"))
    expect(phone.locator("#request-problem")).to_be_hidden()
    assert the_checkin(app).note == "A short walk helped."


def test_a_checkin_made_with_the_keyboard_alone(phone, app):
    """Tab reaches the tank buttons, lean steps and chips; Space, Enter and arrows work them."""
    register(phone)
    phone.goto("/")

    some_left = tank_button(phone, "Some left")
    tab_to(phone, some_left)
    outline = some_left.evaluate("button => getComputedStyle(button).outlineStyle")
    assert outline == "solid", "the focused tank button shows no focus ring"
    phone.keyboard.press("Space")
    expect(phone.locator("#checkin-title")).to_contain_text("Saved: some left")
    settled(phone)
    assert the_checkin(app).tank == 3

    # A lean: Tab into the radio group, Space picks the focused step, arrows move along.
    choose_with_keys(phone, "leans", "lean_personal-1", "lean_personal-2")
    assert the_checkin(app).lean_personal == LEAN_STEP[2]

    # A practice chip the same way.
    choose_with_keys(phone, "practice", "practice-breaths", "practice-water")

    # Changing the tank level on the card, with Enter this time.
    full = tank_button(phone, "Full")
    tab_to(phone, full)
    with saving(phone, "tank"):
        phone.keyboard.press("Enter")
    expect(tank_button(phone, "Full")).to_have_attribute("aria-pressed", "true")

    row = the_checkin(app)
    assert (row.tank, row.lean_personal, row.practice) == (5, -1, "water")


def choose_with_keys(phone, part, first, second):
    """Tab to radio `first`, pick it with Space, then move to `second` with an arrow key.

    Each key saves the part; focus must stay on the radio after the part is swapped.
    """
    tab_to(phone, phone.locator(f"#{first}"))
    assert focus_ring(phone, first) == "solid", f"the focused {first} shows no ring"
    with saving(phone, part):
        phone.keyboard.press("Space")
    with saving(phone, part):
        phone.keyboard.press("ArrowRight")
    expect(phone.locator(f"#{second}")).to_be_checked()
    assert has_focus(phone.locator(f"#{second}")), f"focus moved to {focused(phone)}"


def test_after_a_keyboard_save_the_next_tab_stays_on_the_card(phone, app):
    """Saving by keyboard must not throw focus away: the next Tab continues on the card.

    The card replaces the tank form; if focus is left on the removed button, Chromium
    falls back to <body> and the next Tab skips the whole card (the extras) and lands
    on the bottom navigation.
    """
    register(phone)
    tab_to(phone, tank_button(phone, "Mostly full"))
    phone.keyboard.press("Enter")
    expect(phone.locator("#checkin-title")).to_contain_text("Saved: mostly full")
    settled(phone)
    assert the_checkin(app).tank == 4

    phone.keyboard.press("Tab")
    in_card = phone.evaluate("() => Boolean(document.activeElement.closest('#checkin'))")
    assert in_card, f"after saving, Tab went to {focused(phone)!r}, past the card"


def test_the_share_meaning_follows_the_safety_switch(phone, app):
    """Turning 'safety session' on re-words the share, as a fresh load of the card does.

    Over 49 % reads 'more than my share', but in a safety session carrying more is
    right, and the card says so on reload. The live card must not say both at once.
    """
    register(phone)
    check_in(phone)
    with saving(phone, "share"):
        tap_share(phone, 70)
    meaning = phone.locator("#share-meaning")
    expect(meaning).to_contain_text("more than my share")

    with saving(phone, "safety"):
        phone.locator("label.switch").tap()
    assert the_checkin(app).safety_session is True
    live = meaning.inner_text()

    phone.goto(f"/checkins/{the_checkin(app).id}")
    reloaded = phone.locator("#share-meaning").inner_text()
    assert "a safety session, where carrying more is right" in reloaded
    assert live == reloaded, f"live card says {live!r}, but the saved card says {reloaded!r}"


def test_a_second_tap_while_the_first_is_still_saving_is_kept(browser, live_server, app):
    """On a slow connection, tapping two leans in a row must save both.

    The first save is held in the network (a slow phone connection) while the person
    taps the next lean; then it is let through, late. Both taps must reach the
    database and both must still show as chosen, whichever answer arrives last.
    Playwright can hold a page's request only when no service worker answers it, so
    this phone runs without one (the worker passes these saves through anyway).
    """
    with phone_page(browser, live_server, service_workers="block") as phone:
        _two_quick_lean_taps(phone, app)


def _two_quick_lean_taps(phone, app):
    register(phone)
    check_in(phone)
    held = []

    def hold_the_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    phone.route("**/leans", hold_the_first)
    lean_step(phone, "lean_personal", 1).tap()
    eventually(phone, lambda: held, "the first lean save was sent")
    lean_step(phone, "lean_client", 5).tap()
    expect(phone.locator("#lean_client-5")).to_be_checked()
    held[0].continue_()

    def both_saved():
        row = the_checkin(app)
        return (row.lean_personal, row.lean_client) == (-2, 2)

    eventually(phone, both_saved, "both leans reached the database", timeout_ms=3000)
    settled(phone)
    expect(phone.locator("#part-leans .saved-mark")).to_have_text("Saved")
    expect(phone.locator("#lean_personal-1")).to_be_checked()
    expect(phone.locator("#lean_client-5")).to_be_checked()


def test_delete_from_history_then_undo(phone, app):
    """Open the entry from history, delete it (tombstoned), then undo (live again)."""
    register(phone)
    check_in(phone, "Empty")
    tab_bar_link(phone, "History").tap()
    phone.locator("a.entry", has_text="Empty").tap()
    expect(phone.locator("#checkin-title")).to_be_visible()
    entry_id = the_checkin(app).id
    expect(phone).to_have_url(re.compile(rf"/checkins/{entry_id}$"))

    phone.get_by_role("button", name="Delete this check-in").tap()
    expect(phone.locator("#checkin").get_by_role("status")).to_have_text("Check-in deleted.")
    row = the_checkin(app)
    assert (row.id, row.deleted) == (entry_id, True)

    phone.get_by_role("button", name="Undo").tap()
    expect(phone.locator("#checkin-title")).to_be_visible()
    expect(tank_button(phone, "Empty")).to_have_attribute("aria-pressed", "true")
    expect(phone.get_by_role("button", name="Delete this check-in")).to_be_visible()
    row = the_checkin(app)
    assert (row.id, row.deleted, row.tank) == (entry_id, False, 1)

    tab_bar_link(phone, "History").tap()
    expect(phone.locator("a.entry")).to_have_count(1)
    assert len(stored_checkins(app)) == 1


def test_the_card_works_without_javascript(browser, live_server, app):
    """With scripts off, the same forms post and come back: tap, then save an extra."""
    with phone_page(browser, live_server, java_script_enabled=False) as page:
        register(page, scripts=False)
        tank_button(page, "Running low").tap()
        expect(page.locator("#checkin-title")).to_contain_text("Saved: running low")
        page.locator("label[for=practice-water]").tap()
        page.locator("#part-practice").get_by_role("button", name="Save").tap()
        expect(page.locator("#part-practice .saved-mark")).to_have_text("Saved")
        expect(page.locator("#practice-water")).to_be_checked()
    row = the_checkin(app)
    assert (row.tank, row.practice) == (2, "water")


DEBRIEF = "/reflect/reframes?situation=safety"


def debrief_offer(page):
    return page.get_by_role("link", name=re.compile("A short debrief"))


def test_a_safety_session_offers_a_debrief_that_opens_and_goes_when_cleared(phone, app):
    """Marking a safety session offers a short debrief; it leads to the reframe cards for
    after one, and it is gone once the mark is cleared."""
    register(phone)
    check_in(phone)
    expect(debrief_offer(phone)).to_be_hidden()

    with saving(phone, "safety"):
        phone.locator("label.switch").tap()
    expect(debrief_offer(phone)).to_be_visible()
    assert the_checkin(app).safety_session is True

    debrief_offer(phone).tap()
    expect(phone).to_have_url(re.compile(re.escape(DEBRIEF) + "$"))
    expect(phone.get_by_role("heading", name="Doing more was right today")).to_be_visible()

    phone.goto(f"/checkins/{the_checkin(app).id}")  # the check-in, from history
    expect(debrief_offer(phone)).to_be_visible()
    ready(phone)
    with saving(phone, "safety"):
        phone.locator("label.switch").tap()
    expect(debrief_offer(phone)).to_be_hidden()
    assert the_checkin(app).safety_session is False


def test_offline_the_offer_follows_the_switch_and_the_debrief_opens_from_the_phone(phone, app):
    """With no network the switch is saved on the phone: the offer shows all the same,
    and the debrief opens from the copy the phone keeps."""
    register(phone)
    controlled(phone)
    tab_bar_link(phone, "History").tap()  # from the next page on, the phone keeps the rest
    controlled(phone)
    eventually(phone, lambda: any(url.endswith(DEBRIEF) for url in kept_pages(phone)),
               "the debrief kept on the phone", timeout_ms=10000)
    tab_bar_link(phone, "Check in").tap()
    check_in(phone)

    phone.context.set_offline(True)
    phone.locator("label.switch").tap()
    expect(phone.locator("#part-safety .saved-mark")).to_have_text("Saved on this phone")
    expect(debrief_offer(phone)).to_be_visible()
    debrief_offer(phone).tap()
    expect(phone.get_by_role("heading", name="Doing more was right today")).to_be_visible()
