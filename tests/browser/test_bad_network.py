"""On one bar of signal: every tap is confirmed at once, and reaches the server once.

Chromium reaches the app through a lie-fi proxy (tests/lie_fi.py) that can pass
traffic, slow it, or stall it (connected, nothing moving either way, not even the end
of a connection), then deliver what it held when the signal returns. The worker keeps
the answer window a phone has in production, not the suite's longer one.

How fast a tap is confirmed is measured in bench/network.py; these tests only check
that a confirmation never waits for the network (NOT_WAITING_MS is far below any
network wait here, and far above a busy test machine's slowest local answer).
"""
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import PHONE
from tests.browser.people import (
    SYNC_NOW,
    eventually,
    ready,
    register,
    stored_checkins,
    tab_bar_link,
    tank_button,
    the_checkin,
    watch_for_problems,
)
from tests.browser.test_guard import NAMED, REWORDED, phone_with_the_rules
from tests.browser.test_offline import controlled, outbox, wait_for_empty_outbox
from tests.lie_fi import lie_fi
from webapp.config import ANSWER_WINDOW_MS
from webapp.extensions import db
from webapp.models import ReminderSettings, User

pytestmark = pytest.mark.browser

NOT_WAITING_MS = 1000
# Starts timing at the tap, and notes when the element `selector` first says "Saved".
WATCH_TAP = """(selector) => {
  window.tapAt = null;
  window.confirmedAt = null;
  const tapped = () => { if (window.tapAt === null) window.tapAt = performance.now(); };
  addEventListener("pointerdown", tapped, { capture: true });
  addEventListener("touchstart", tapped, { capture: true });
  const check = () => {
    const node = document.querySelector(selector);
    if (window.tapAt !== null && window.confirmedAt === null && node
        && node.textContent.trim().startsWith("Saved")) window.confirmedAt = performance.now();
  };
  const watching = { subtree: true, childList: true, characterData: true };
  new MutationObserver(check).observe(document.body, watching);
}"""
TAP_TO_CONFIRMATION = "() => window.confirmedAt !== null && window.confirmedAt - window.tapAt"


@pytest.fixture
def network(live_server, app, monkeypatch):
    """A lie-fi proxy in front of the live server, passing traffic until told otherwise."""
    monkeypatch.setitem(app.config, "ANSWER_WINDOW_MS", ANSWER_WINDOW_MS)
    with lie_fi(live_server.server.server_port) as proxy:
        yield proxy


@pytest.fixture
def tab(browser, network):
    """A phone-sized page reaching the app only through the proxy (a fresh origin, so a
    fresh worker), failing the test on any page error."""
    context = browser.new_context(base_url=network.url, **PHONE)
    page = context.new_page()
    problems = watch_for_problems(page)
    yield page
    context.close()
    assert not problems, problems


def signed_up(page):
    """Register and wait until the worker controls the check-in page."""
    register(page)
    controlled(page)


def tap_and_time(page, target, selector="#checkin-title"):
    """Tap `target` and return the milliseconds until `selector` said "Saved", measured
    in the page."""
    page.evaluate(WATCH_TAP, selector)
    target.tap()
    return page.wait_for_function(TAP_TO_CONFIRMATION).json_value()


def rows_stored(app, count):
    """A check for `eventually`: the server holds exactly `count` check-ins."""
    return lambda: len(stored_checkins(app)) == count


def held_by_the_server(app, monkeypatch, endpoint):
    """Make the server hold the first request to `endpoint` until `release` is set, as if
    it had spent that long on the way; `finished` is set once it has been handled."""
    real = app.view_functions[endpoint]
    gate = {"arrived": threading.Event(), "release": threading.Event(),
            "finished": threading.Event()}

    def late(*args, **kwargs):
        if gate["arrived"].is_set():
            return real(*args, **kwargs)
        gate["arrived"].set()
        gate["release"].wait(30)
        try:
            return real(*args, **kwargs)
        finally:
            gate["finished"].set()

    monkeypatch.setitem(app.view_functions, endpoint, late)
    return gate


def test_a_tap_on_a_stalled_network_is_confirmed_then_delivered_once(tab, network, app):
    signed_up(tab)
    network.set_mode("stalled")
    took = tap_and_time(tab, tank_button(tab, "Some left"))
    assert took < NOT_WAITING_MS
    title = tab.locator("#checkin-title")
    expect(title).to_have_text("Saved on this phone")
    # The other parts of the card still answer while the first write hangs.
    tab.locator("label[for=lean_personal-2]").tap()
    expect(tab.locator("#part-leans .saved-mark")).to_have_text("Saved on this phone")
    eventually(tab, lambda: network.held_bytes() > 0, "the stall holds the requests")
    assert stored_checkins(app) == []

    network.set_mode("good")
    eventually(tab, lambda: outbox(tab) == [], "the outbox emptied", 10000)
    row = the_checkin(app)
    assert (row.tank, row.lean_personal) == (3, -1)
    expect(title).to_have_text("Saved")
    expect(tab.locator("#part-leans .saved-mark")).to_have_text("Saved")
    expect(tab.locator("#sync-status")).to_be_hidden()


def test_a_late_request_never_adds_a_row_or_beats_a_newer_version(tab, network, app, monkeypatch):
    signed_up(tab)
    tank_button(tab, "Some left").tap()
    expect(tab.locator("#checkin-title")).to_contain_text("Saved")
    eventually(tab, rows_stored(app, 1), "the check-in reached the server")
    wait_for_empty_outbox(tab)

    # The first note's own request is held up on the way; the phone answers, and the
    # outbox delivers the note through the sync API meanwhile.
    gate = held_by_the_server(app, monkeypatch, "checkins.update")
    note = tab.locator("#note")
    note.fill("first draft")
    note.press("Enter")
    expect(tab.locator("#part-note .saved-mark")).to_have_text("Saved")
    assert gate["arrived"].is_set()
    eventually(tab, lambda: the_checkin(app).note == "first draft", "the outbox sent the note")

    # A newer note goes straight through; then the first request finally arrives.
    note.fill("second thoughts")
    note.press("Enter")
    eventually(tab, lambda: the_checkin(app).note == "second thoughts", "the newer note arrived")
    gate["release"].set()
    eventually(tab, gate["finished"].is_set, "the held request was handled")

    row = the_checkin(app)
    assert row.note == "second thoughts"
    assert row.tank == 3
    wait_for_empty_outbox(tab)
    expect(tab.locator("#sync-status")).to_be_hidden()


def test_after_a_stall_a_tap_on_a_good_network_is_confirmed_at_once(tab, network, app):
    signed_up(tab)
    network.set_mode("stalled")
    tank_button(tab, "Running low").tap()
    expect(tab.locator("#checkin-title")).to_have_text("Saved on this phone")
    eventually(tab, lambda: network.held_bytes() > 0, "the stall holds the requests")

    network.set_mode("good")
    tab.goto("/")
    ready(tab)
    took = tap_and_time(tab, tank_button(tab, "Mostly full"))
    assert took < NOT_WAITING_MS
    eventually(tab, rows_stored(app, 2), "both check-ins reached the server", 10000)
    assert sorted(row.tank for row in stored_checkins(app)) == [2, 4]
    wait_for_empty_outbox(tab)


def test_a_write_in_flight_when_the_page_closes_still_arrives(tab, network, app):
    signed_up(tab)
    network.set_mode("slow")
    took = tap_and_time(tab, tank_button(tab, "Empty"))
    assert took < NOT_WAITING_MS
    assert stored_checkins(app) == []
    waiting = tab.context.new_page()  # not on the site: it never asks the worker to sync
    tab.close()
    eventually(waiting, rows_stored(app, 1), "the worker delivered after the page closed", 10000)
    assert the_checkin(app).tank == 1


def test_a_note_that_may_name_a_client_waits_for_the_server_to_ask(tab, network, app):
    signed_up(tab)
    phone_with_the_rules(tab)
    tab.goto("/")
    ready(tab)
    network.set_mode("slow")
    tank_button(tab, "Some left").tap()
    expect(tab.locator("#checkin-title")).to_have_text("Saved on this phone")
    expect(tab.locator("#checkin-title")).to_have_text("Saved")  # the server has it
    wait_for_empty_outbox(tab)

    note = tab.get_by_label("One line for myself")
    note.fill(NAMED)
    save = tab.locator("#part-note").get_by_role("button", name="Save", exact=True)
    save.tap()
    warning = tab.locator("#part-note .identifier-warning")
    expect(warning).to_contain_text("what looks like a name: Sarah")
    assert outbox(tab) == []  # nothing kept unasked
    assert the_checkin(app).note is None

    # Nothing to ask about: saved on the phone at once, and "Saved" only once the server
    # has this version (the entry itself reached it long ago).
    note.fill(REWORDED)
    mark = tab.locator("#part-note .saved-mark")
    took = tap_and_time(tab, save, "#part-note .saved-mark")
    assert took < NOT_WAITING_MS
    expect(mark).to_have_text("Saved on this phone")
    expect(warning).to_have_count(0)  # the question is answered: it goes
    expect(note).to_have_attribute("aria-describedby", "note-hint")
    assert the_checkin(app).note is None
    expect(mark).to_have_text("Saved")
    assert the_checkin(app).note == REWORDED
    wait_for_empty_outbox(tab)


def test_a_sync_run_while_the_server_is_asked_about_a_name_delivers_nothing(
    tab, network, app, monkeypatch
):
    signed_up(tab)
    phone_with_the_rules(tab)
    tab.goto("/")
    ready(tab)
    tank_button(tab, "Some left").tap()
    eventually(tab, rows_stored(app, 1), "the check-in reached the server")
    wait_for_empty_outbox(tab)

    gate = held_by_the_server(app, monkeypatch, "checkins.update")
    tab.get_by_label("One line for myself").fill(NAMED)
    tab.locator("#part-note").get_by_role("button", name="Save", exact=True).tap()
    eventually(tab, gate["arrived"].is_set, "the note reached the server")
    assert tab.evaluate(SYNC_NOW)["type"] == "outbox"  # a whole run, while the server thinks
    assert the_checkin(app).note is None
    gate["release"].set()
    expect(tab.locator("#part-note .identifier-warning")).to_contain_text("Sarah")
    assert the_checkin(app).note is None
    assert outbox(tab) == []


def test_two_tabs_tapping_at_once_each_save_one_entry(tab, network, app):
    signed_up(tab)
    other = tab.context.new_page()
    other.goto("/")
    controlled(other)
    network.set_mode("stalled")
    tank_button(tab, "Some left").tap()
    tank_button(other, "Full").tap()
    for page in (tab, other):
        expect(page.locator("#checkin-title")).to_have_text("Saved on this phone")

    network.set_mode("good")
    eventually(tab, rows_stored(app, 2), "both check-ins reached the server", 10000)
    wait_for_empty_outbox(tab)
    assert sorted(row.tank for row in stored_checkins(app)) == [3, 5]
    for page in (tab, other):
        expect(page.locator("#checkin-title")).to_have_text("Saved")


def test_tabs_open_from_the_kept_copy_on_a_stalled_network_and_refresh_in_place(tab, network, app):
    signed_up(tab)
    tab.locator("#tank-level-3").tap()
    tab.locator("#note").fill("only for Sam")
    tab.locator("#note").press("Enter")
    expect(tab.locator("#part-note .saved-mark")).to_contain_text("Saved")
    wait_for_empty_outbox(tab)
    tabs = {"Check in": "How full is your tank right now?", "Reflect": "Reflect",
            "History": "The last two weeks", "Insights": "Insights", "Account": "Account"}
    for name in tabs:
        tab_bar_link(tab, name).tap()
        expect(tab.get_by_role("heading", level=1).first).to_be_visible()
        ready(tab)

    network.set_mode("stalled")
    notice = tab.locator("#kept-copy")
    for name, heading in tabs.items():
        tab_bar_link(tab, name).tap()
        expect(tab.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
        expect(notice).to_contain_text("Shown from this phone, as it was at")
        ready(tab)
    assert tab.evaluate("() => document.body.dataset.keptAt").startswith("20")

    # The network answers: the kept Account page gives way to the fresh one, in place.
    network.set_mode("good")
    expect(notice).to_be_hidden(timeout=10000)
    assert tab.evaluate("() => document.body.dataset.keptAt") is None
    expect(tab.get_by_role("heading", name="Account", exact=True)).to_be_visible()

    # Signed out, the next person on the phone never sees Sam's kept pages.
    tab.locator("form.sign-out").get_by_role("button").tap()
    expect(tab.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    tab.goto("/register")
    register(tab, email="alex@example.org")
    controlled(tab)
    network.set_mode("stalled")
    tab_bar_link(tab, "History").tap()
    tab.wait_for_url("**/history")
    expect(tab.locator("main")).to_be_visible()
    assert "only for Sam" not in tab.content()
    network.set_mode("good")


def test_the_kept_copy_says_when_it_was_fresh_in_a_new_session(browser, network, app):
    """A page opened the next day from its copy says which day it is from."""
    context = browser.new_context(base_url=network.url, **PHONE)
    page = context.new_page()
    problems = watch_for_problems(page)
    signed_up(page)
    tab_bar_link(page, "History").tap()
    ready(page)
    page.evaluate("""() => caches.open("tend-pages").then(async (pages) => {
      for (const request of await pages.keys()) {
        const response = await pages.match(request);
        const headers = new Headers(response.headers);
        headers.set("X-Tend-Kept-At", "2026-01-05T09:30:00Z");
        await pages.put(request, new Response(await response.blob(), { headers }));
      }
    })""")
    network.set_mode("stalled")
    page.reload()
    expect(page.locator("#kept-copy")).to_contain_text("Shown from this phone, as it was on Monday")
    network.set_mode("good")
    context.close()
    assert not problems, problems


def test_the_quieter_today_notice_comes_with_the_fresh_page_after_a_kept_copy(
    tab, network, app
):
    signed_up(tab)
    tab_bar_link(tab, "History").tap()
    expect(tab.get_by_role("heading", name="The last two weeks")).to_be_visible()
    with app.app_context():  # three reminders went by unanswered today: back-off began
        user = db.session.scalar(select(User))
        today = datetime.now(ZoneInfo(user.timezone)).date()
        db.session.add(ReminderSettings(
            user_id=user.id, enabled=True, mode="fixed_times", times="09:00",
            backoff_day=today, backoff_told=False,
        ))
        db.session.commit()
    quieter = tab.get_by_text("they'll come less often for the rest of the day")

    network.set_mode("stalled")
    tab_bar_link(tab, "History").tap()
    expect(tab.locator("#kept-copy")).to_contain_text("Shown from this phone")
    expect(quieter).to_be_hidden()  # the kept copy knows nothing of today's back-off

    network.set_mode("good")  # the page drawn for this visit takes the copy's place
    expect(tab.locator("#kept-copy")).to_be_hidden(timeout=10000)
    expect(quieter).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(ReminderSettings.backoff_told))
