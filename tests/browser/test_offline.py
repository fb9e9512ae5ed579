"""With no network: the app opens, takes check-ins as usual, shows them waiting, and
delivers every one exactly once when it can, through the real service worker.

The network is cut with Playwright's `set_offline`, which fails the page's and the
worker's requests alike. Server trouble is made on the server itself, by wrapping the
sync view for the length of a test.
"""
import tempfile
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path
from tests.browser.people import (
    EMAIL,
    SYNC_NOW,
    TANK_QUESTION,
    eventually,
    ready,
    register,
    settled,
    sign_in,
    stored_checkins,
    stored_users,
    tab_bar_link,
    tank_button,
    until,
    watch_for_problems,
    worker_devtools,
)

pytestmark = pytest.mark.browser

OTHER_EMAIL = "alex@example.org"
READ_OUTBOX = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("tend");
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const db = opening.result;
    if (!db.objectStoreNames.contains("outbox")) { db.close(); resolve([]); return; }
    const reading = db.transaction("outbox").objectStore("outbox").getAll();
    reading.onsuccess = () => { db.close(); resolve(reading.result); };
  };
})"""


# Helpers ---------------------------------------------------------------------------------


def controlled(page):
    """Wait until the service worker controls the page (and htmx is ready)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    ready(page)


def kept_pages(page):
    """The addresses of the pages the phone keeps for the person signed in."""
    return page.evaluate(
        "() => caches.open('tend-pages').then((pages) => pages.keys())"
        ".then((requests) => requests.map((request) => request.url))"
    )


def outbox(page):
    """The records waiting in the phone's outbox."""
    return page.evaluate(READ_OUTBOX)


def wait_for_empty_outbox(page, timeout_ms=10000):
    """Wait until the worker has delivered everything."""
    eventually(page, lambda: outbox(page) == [], "the outbox emptied", timeout_ms)


def check_in_offline(page, word="Some left", note=None):
    """Open the home screen from the phone's cache, tap a level, and maybe add a note."""
    page.goto("/")
    ready(page)
    tank_button(page, word).tap()
    expect(page.locator("#checkin-title")).to_have_text("Saved on this phone")
    expect(tank_button(page, word)).to_have_attribute("aria-pressed", "true")
    settled(page)
    if note is not None:
        page.locator("#note").fill(note)
        page.locator("#part-note .note-row button").tap()
        expect(page.locator("#part-note .saved-mark")).to_have_text("Saved on this phone")


def status_line(page):
    """The banner that counts what is waiting."""
    return page.locator("#sync-status [data-count]")


@contextmanager
def sync_answers(app, monkeypatch, failures, save_first=False):
    """Make the server's sync endpoint fail `failures` times with a 500 (None: always).

    With `save_first` the entries are saved before the failure, as when an answer is
    lost on the way back: the phone must send again and the server must not duplicate.
    """
    real = app.view_functions["sync.sync"]
    calls = {"count": 0, "failed": 0}

    def flaky(*args, **kwargs):
        calls["count"] += 1
        if failures is None or calls["failed"] < failures:
            calls["failed"] += 1
            if save_first:
                real(*args, **kwargs)
            return {"error": "made to fail by the test"}, 500
        return real(*args, **kwargs)

    monkeypatch.setitem(app.view_functions, "sync.sync", flaky)
    yield calls
    monkeypatch.setitem(app.view_functions, "sync.sync", real)


def open_history(page):
    tab_bar_link(page, "History").tap()
    expect(page.get_by_role("heading", name="The last two weeks")).to_be_visible()


# Tests -----------------------------------------------------------------------------------


def test_five_offline_checkins_wait_then_arrive_exactly_once(phone, app):
    phone.add_init_script(
        "if (navigator.storage) {"
        " const ask = navigator.storage.persist.bind(navigator.storage);"
        " navigator.storage.persist = () => { sessionStorage.persistAsked = 'yes'; return ask(); };"
        " }"
    )
    register(phone)
    controlled(phone)
    phone.wait_for_function("() => sessionStorage.persistAsked === 'yes'")  # persistent storage
    open_history(phone)  # visited once online, so the phone keeps it
    phone.context.set_offline(True)

    for number in range(5):
        check_in_offline(phone, "Running low", note=f"offline {number}")
    assert not stored_checkins(app)

    phone.goto("/history")
    phone.reload()
    expect(status_line(phone)).to_have_text("5 check-ins waiting on this phone")
    waiting = phone.locator("#outbox [data-waiting] li")
    expect(waiting).to_have_count(5)
    expect(waiting.first).to_contain_text("Running low")
    expect(phone.locator("#outbox [data-waiting]")).to_contain_text("offline 4")

    phone.context.set_offline(False)  # the page hears `online` and asks the worker to sync
    wait_for_empty_outbox(phone)
    rows = stored_checkins(app)
    assert len(rows) == 5
    assert sorted(row.note for row in rows) == [f"offline {n}" for n in range(5)]
    assert {row.tank for row in rows} == {2}
    expect(phone.locator("#sync-status")).to_be_hidden()
    phone.reload()
    expect(phone.locator("#history-days .entry")).to_have_count(5)


def test_a_server_error_on_the_first_sync_loses_nothing_and_duplicates_nothing(
    phone, app, monkeypatch
):
    register(phone)
    controlled(phone)
    phone.context.set_offline(True)
    check_in_offline(phone, note="kept through a 500")
    with sync_answers(app, monkeypatch, failures=1, save_first=True) as calls:
        phone.context.set_offline(False)
        eventually(phone, lambda: calls["failed"] == 1, "the first sync failed")
        # The answer was lost, so the entry waited; the page tries again by itself.
        wait_for_empty_outbox(phone)
    rows = stored_checkins(app)
    assert [row.note for row in rows] == ["kept through a 500"]
    assert calls["count"] >= 2


def test_an_expired_session_asks_to_sign_in_and_keeps_the_entries(phone, app):
    register(phone)
    controlled(phone)
    phone.context.set_offline(True)
    check_in_offline(phone, "Full", note="while signed out")
    phone.context.clear_cookies()  # the session ran out while the phone was offline
    phone.context.set_offline(False)

    expect(phone.locator("#sync-status [data-sign-in]")).to_be_visible()
    expect(status_line(phone)).to_have_text("1 check-in waiting on this phone")
    assert len(outbox(phone)) == 1
    assert not stored_checkins(app)

    phone.locator("#sync-status [data-sign-in]").tap()
    sign_in(phone)
    expect(phone.get_by_role("heading", name=TANK_QUESTION)).to_be_visible()
    wait_for_empty_outbox(phone)
    assert [row.note for row in stored_checkins(app)] == ["while signed out"]


def test_entries_waiting_when_the_browser_closed_sync_on_the_next_open(browser, live_server, app):
    profile = tempfile.mkdtemp(prefix="tend-profile-")
    with browser_profile(browser, profile, live_server) as page:
        register(page)
        controlled(page)
        page.context.set_offline(True)
        check_in_offline(page, note="from yesterday's basement")
        assert len(outbox(page)) == 1
    assert not stored_checkins(app)

    with browser_profile(browser, profile, live_server) as page:
        page.goto("/")
        controlled(page)
        wait_for_empty_outbox(page)
    assert [row.note for row in stored_checkins(app)] == ["from yesterday's basement"]


@contextmanager
def browser_profile(browser, folder, live_server):
    """Chromium with a profile on disk, so cookies and storage outlive closing it."""
    context = browser.browser_type.launch_persistent_context(
        folder, executable_path=chromium_path(), args=CHROMIUM_ARGS,
        base_url=live_server.url, **PHONE,
    )
    page = context.pages[0] if context.pages else context.new_page()
    problems = watch_for_problems(page)
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems


def test_a_new_version_waits_for_the_person_and_keeps_what_is_waiting(phone, app, monkeypatch):
    register(phone)
    controlled(phone)
    with sync_answers(app, monkeypatch, failures=None):
        phone.context.set_offline(True)
        check_in_offline(phone, note="before the update")
        phone.context.set_offline(False)
        monkeypatch.setitem(app.config, "SW_VERSION", "a-newer-version")
        phone.goto("/history")
        banner = phone.locator("#update-banner")
        expect(banner).to_be_visible(timeout=10000)
        assert len(outbox(phone)) == 1
        banner.get_by_role("button", name="Reload now").tap()
        until(phone, "() => caches.keys().then((names) => names.includes("
              "'tend-shell-a-newer-version'))", "the new worker's shell is kept", 10000)
        controlled(phone)
        names = phone.evaluate("() => caches.keys()")
        assert [name for name in names if name.startswith("tend-shell-")] == [
            "tend-shell-a-newer-version"
        ]
        assert len(outbox(phone)) == 1
    # The worker may already be trying again by itself; asking makes it go now.
    phone.evaluate("() => navigator.serviceWorker.controller.postMessage({ type: 'sync' })")
    wait_for_empty_outbox(phone)
    assert [row.note for row in stored_checkins(app)] == ["before the update"]


def test_two_devices_see_each_others_entries(browser, live_server, phone, app):
    register(phone)
    controlled(phone)
    laptop = browser.new_context(base_url=live_server.url, **PHONE).new_page()
    problems = watch_for_problems(laptop)
    laptop.goto("/sign-in")
    sign_in(laptop)
    controlled(laptop)
    open_history(laptop)
    expect(laptop.locator("#history-days .entry")).to_have_count(0)

    phone.context.set_offline(True)
    check_in_offline(phone, "Mostly full", note="made on the phone")
    phone.context.set_offline(False)
    wait_for_empty_outbox(phone)

    laptop.locator("#sync-status [data-sync-now]").evaluate("button => button.click()")
    expect(laptop.locator("#history-days .entry")).to_have_count(1)
    expect(laptop.locator("#history-days")).to_contain_text("made on the phone")

    laptop.context.set_offline(True)
    check_in_offline(laptop, "Empty", note="made on the laptop")
    laptop.context.set_offline(False)
    wait_for_empty_outbox(laptop)
    open_history(phone)
    expect(phone.locator("#history-days")).to_contain_text("made on the laptop")
    laptop.context.close()
    assert not problems, problems


def test_the_next_person_on_the_phone_never_uploads_the_last_ones_entries(
    phone, app, monkeypatch
):
    register(phone)
    controlled(phone)
    # Offline, the phone opens Sam's kept home page (with the tab bar used below), once it
    # has kept it; until then it shows the shell's offline page, which is nobody's.
    eventually(phone, lambda: kept_pages(phone).count(phone.url) == 1, "the home page kept")
    with sync_answers(app, monkeypatch, failures=None):
        phone.context.set_offline(True)
        check_in_offline(phone, note="sam's own")
        phone.context.set_offline(False)
        tab_bar_link(phone, "Account").tap()
        sign_out = phone.locator("form.sign-out")
        sign_out.get_by_role("button").tap()
        expect(sign_out.get_by_role("alert")).to_contain_text("1 check-in is still on this phone")
        sign_out.get_by_role("button", name="Sign out anyway").tap()
        expect(phone.get_by_role("heading", name="Welcome back")).to_be_visible()

    assert kept_pages(phone) == []  # the pages kept for Sam went with the sign-out
    register(phone, email=OTHER_EMAIL)
    controlled(phone)
    phone.evaluate(SYNC_NOW)  # a whole sync run, as "Sync now" asks for: it sends nothing
    expect(phone.locator("#sync-status")).to_be_hidden()  # Alex sees nothing of Sam's
    assert not stored_checkins(app)
    assert [record["entry"].get("note") for record in outbox(phone)] == ["sam's own"]

    tab_bar_link(phone, "Account").tap()
    phone.locator("form.sign-out").get_by_role("button").tap()
    sign_in(phone, email=EMAIL)
    controlled(phone)
    wait_for_empty_outbox(phone)
    rows = stored_checkins(app)
    assert [row.note for row in rows] == ["sam's own"]
    owners = {user.id: user.email for user in stored_users(app)}
    assert owners[rows[0].user_id] == EMAIL


def test_a_refused_entry_can_be_fixed_or_discarded(phone, app):
    register(phone)
    controlled(phone)
    open_history(phone)
    phone.context.set_offline(True)
    check_in_offline(phone, "Some left", note="x" * 300)
    check_in_offline(phone, "Empty", note="y" * 290)
    phone.context.set_offline(False)
    phone.goto("/history")
    refused = phone.locator("#outbox [data-refused] li")
    expect(refused).to_have_count(2)
    expect(refused.first).to_contain_text("Keep the note to 280 characters")
    assert not stored_checkins(app)

    phone.locator("#outbox li", has_text="yyy").get_by_role("button", name="Discard").tap()
    phone.locator("#outbox li", has_text="yyy").get_by_role("button", name="Discard for good").tap()
    expect(refused).to_have_count(1)

    refused.get_by_role("button", name="Fix").tap()
    fix = phone.locator("#outbox [data-fix]")
    expect(fix.locator("#note")).to_have_value("x" * 300)
    fix.locator("#note").fill("shorter now")
    fix.locator("#part-note .note-row button").tap()
    wait_for_empty_outbox(phone)
    rows = stored_checkins(app)
    assert [(row.tank, row.note) for row in rows] == [(3, "shorter now")]


def test_offline_a_fragment_request_never_gets_a_page(phone, app):
    register(phone)
    controlled(phone)
    open_history(phone)
    phone.context.set_offline(True)
    answer = phone.evaluate(
        """() => fetch("/history", {headers: {"HX-Request": "true"}})
             .then(async (response) => [response.status, await response.text()])"""
    )
    assert answer[0] == 503
    assert "The last two weeks" not in answer[1]
    phone.goto("/history")  # the page itself is still there
    expect(phone.get_by_role("heading", name="The last two weeks")).to_be_visible()
    phone.goto("/practices")  # never kept: the offline page, which still takes a check-in
    expect(phone.get_by_text("You're offline.")).to_be_visible()
    ready(phone)
    tank_button(phone, "Full").tap()
    expect(phone.locator("#checkin-title")).to_have_text("Saved on this phone")
    expect(tank_button(phone, "Full")).to_have_attribute("aria-pressed", "true")
    assert len(outbox(phone)) == 1


def test_background_sync_delivers_without_the_page_asking(phone, app, monkeypatch, live_server):
    register(phone)
    controlled(phone)
    with sync_answers(app, monkeypatch, failures=None) as calls:
        phone.context.set_offline(True)
        check_in_offline(phone, note="sent by background sync")
        phone.context.set_offline(False)
        eventually(phone, lambda: calls["failed"] >= 1, "the page's own sync failed")
        assert len(outbox(phone)) == 1
        phone.goto("about:blank")  # no Tend page is left to try again
    assert not stored_checkins(app)

    # What Chromium does by itself once it sees the network again, made deterministic.
    with worker_devtools(phone, origin=live_server.url) as (cdp, registration):
        cdp.send("ServiceWorker.dispatchSyncEvent",
                 {**registration, "tag": "tend-outbox", "lastChance": False})
        eventually(phone, lambda: stored_checkins(app), "the entry reached the server")
    assert [row.note for row in stored_checkins(app)] == ["sent by background sync"]
    phone.goto("/")
    wait_for_empty_outbox(phone)
