"""What a person does with Tend on a phone, and what the database holds afterwards.

Small helpers shared by the browser tests: signing up and in, waiting for a part of the
card to save, moving through the page with the keyboard, and reading rows back.
"""
from contextlib import contextmanager
from types import SimpleNamespace

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import PHONE, _note_console_error
from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import CheckIn, User

EMAIL = "sam@example.org"
TANK_QUESTION = "How full is your tank right now?"
# The lean steps from left to right: label[for=lean_x-N] means N-3.
LEAN_STEP = {1: -2, 2: -1, 3: 0, 4: 1, 5: 2}


# Pages and contexts -------------------------------------------------------------------


# Ask the worker for a sync run, as the page's "Sync now" does; its answer once it is over.
SYNC_NOW = """() => navigator.serviceWorker.ready.then((registration) => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => resolve(event.data);
  registration.active.postMessage({ type: "sync" }, [channel.port2]);
}))"""

def watch_for_problems(page):
    """Collect page errors and console errors (a CSP violation among them), as `phone` does."""
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: _note_console_error(message, problems))
    return problems


@contextmanager
def phone_page(browser, live_server, **options):
    """A fresh phone-sized page with extra context options (time zone, colour scheme...).

    Like the `phone` fixture, it fails the test if the page logged an error.
    """
    context = browser.new_context(base_url=live_server.url, **PHONE, **options)
    page = context.new_page()
    problems = watch_for_problems(page)
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems


@contextmanager
def worker_devtools(page, origin=None):
    """A CDP session for the origin's service worker, and the fields naming its registration.

    `origin` defaults to the page's; give it when the page has left the site.
    """
    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    eventually(page, lambda: registrations, "the worker's registration was reported")
    yield cdp, {
        "origin": origin or page.evaluate("location.origin"),
        "registrationId": registrations[0]["registrationId"],
    }
    cdp.detach()


def tab_bar_link(page, name):
    """A link in the bottom navigation."""
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


# Accounts ------------------------------------------------------------------------------


def register(page, email=EMAIL, password=PASSWORD, scripts=True):
    """Create an account through the form, leaving the time zone as the page detected it.

    With `scripts` (the default) it also waits for the home page's htmx to be ready.
    """
    page.goto("/register")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Create account").tap()
    expect(page.get_by_role("heading", name=TANK_QUESTION)).to_be_visible()
    if scripts:
        ready(page)


def sign_in(page, email=EMAIL, password=PASSWORD, remember=True):
    """Sign in through the form on the page that is open."""
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_label("Keep me signed in on this device").set_checked(remember)
    page.get_by_role("button", name="Sign in", exact=True).tap()


# The check-in card ---------------------------------------------------------------------


def tank_button(page, word):
    """The tank level button showing `word` (e.g. 'Some left')."""
    return page.locator(".tank-button").get_by_text(word, exact=True).locator("..")


def ready(page):
    """Wait until the page has loaded and htmx has wired it up.

    A tap before that still works, as a plain form post (tested on its own); tests that
    mean to exercise the htmx path wait for it first.
    """
    page.wait_for_function("() => document.readyState === 'complete' && window.htmx")


def check_in(page, word="Some left"):
    """On the home screen, tap one tank level and wait for the card to say it's saved."""
    ready(page)
    tank_button(page, word).tap()
    expect(page.locator("#checkin-title")).to_contain_text(f"Saved: {word.lower()}")
    settled(page)


@contextmanager
def saving(page, part):
    """Wait until the card's `part` has been answered and swapped in again, saying 'Saved'.

    The part on screen is tagged first, so that an old 'Saved' mark left from an
    earlier save can never be mistaken for the answer to this one.
    """
    page.locator(f"#part-{part}").evaluate("form => { form.dataset.before = 'yes'; }")
    yield
    fresh = page.locator(f"#part-{part}:not([data-before])")
    expect(fresh.locator(".saved-mark")).to_have_text("Saved")
    settled(page)


@contextmanager
def answered(page, part):
    """Wait until the card's `part` has been answered and swapped in again (saved or not)."""
    page.locator(f"#part-{part}").evaluate("form => { form.dataset.before = 'yes'; }")
    yield
    expect(page.locator(f"#part-{part}:not([data-before])")).to_be_attached()
    settled(page)


def settled(page):
    """Wait for htmx to finish settling swapped-in content.

    htmx wires up the new content's triggers only when it settles (20 ms after the
    swap); a person is never that fast, but a test would be, and its next change would
    then go unheard.
    """
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def tap_share(page, percent):
    """Tap the work-share bar where `percent` sits (the thumb is 28 px wide, see tend.css)."""
    box = page.locator("#work_share").bounding_box()
    x = box["x"] + 14 + (box["width"] - 28) * percent / 100
    page.touchscreen.tap(x, box["y"] + box["height"] / 2)


def lean_step(page, field, n):
    """The n-th (1..5, left to right) step of a lean scale, e.g. ('lean_client', 5)."""
    return page.locator(f"label[for={field}-{n}]")


# Keyboard ------------------------------------------------------------------------------


def focused(page):
    """A short description of the element that has keyboard focus."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')"
        " + ' ' + (e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40); }"
    )


def has_focus(locator):
    """Whether the element has keyboard focus."""
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page, locator, limit=40):
    """Press Tab until `locator` has focus, as a keyboard user would; fail after `limit`."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if has_focus(locator):
            return
        seen.append(focused(page))
    raise AssertionError(f"Tab never reached {locator}; focus went through {seen}")


def focus_ring(page, label_for):
    """The outline style of the label drawn for a visually hidden input (the visible focus)."""
    return page.locator(f"label[for={label_for}]").evaluate(
        "label => getComputedStyle(label).outlineStyle"
    )


# The database --------------------------------------------------------------------------


def _plain(row, model):
    """A detached copy of a row's columns, safe to read outside the app context."""
    return SimpleNamespace(**{c.key: getattr(row, c.key) for c in model.__table__.columns})


def stored_checkins(app):
    """Every check-in row, deleted ones included."""
    with app.app_context():
        return [_plain(row, CheckIn) for row in db.session.scalars(select(CheckIn))]


def the_checkin(app):
    """The one check-in row there must be."""
    rows = stored_checkins(app)
    assert len(rows) == 1, f"expected exactly one check-in row, found {len(rows)}"
    return rows[0]


def stored_users(app):
    """Every user row."""
    with app.app_context():
        return [_plain(row, User) for row in db.session.scalars(select(User))]


def until(page, script, what, timeout_ms=5000):
    """Evaluate `script` in the page until its answer is truthy, and return that answer.

    For a script that answers with a promise (the Cache API, IndexedDB, the worker):
    Playwright's wait_for_function takes a promise as a truthy answer and stops waiting.
    """
    answer = None

    def check():
        nonlocal answer
        answer = page.evaluate(script)
        return answer

    eventually(page, check, what, timeout_ms)
    return answer


def eventually(page, check, what, timeout_ms=5000):
    """Poll `check()` (e.g. a database read) until it is true, letting the browser run."""
    waited = 0
    while not check():
        if waited >= timeout_ms:
            raise AssertionError(f"still not true after {timeout_ms} ms: {what}")
        page.wait_for_timeout(50)
        waited += 50
