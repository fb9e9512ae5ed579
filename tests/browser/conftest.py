"""Real Chromium (Debian's build) driven by Playwright, at phone size."""
import os
import shutil

import pytest

from tests.conftest import require

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def chromium_path():
    """Where Debian's Chromium lives (TEND_CHROMIUM overrides)."""
    return os.environ.get("TEND_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _note_console_error(message, problems):
    """Console errors (a CSP violation among them) fail the test.

    Chromium also logs every 4xx answer as an error; those are expected when a test
    submits bad input, and the test asserts on what the page shows instead. htmx logs
    an abort when a newer tap supersedes a save still in flight (hx-sync replace); a
    failed request still shows up as htmx:responseError or htmx:sendError.
    """
    expected = ("Failed to load resource", "htmx:sendAbort", "htmx:afterRequest")
    if message.type == "error" and not message.text.startswith(expected):
        problems.append(f"console: {message.text}")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    path = chromium_path()
    if not os.path.exists(path):
        require("Chromium", f"no browser at {path}; install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=["light", "dark"])
def color_scheme(request):
    """Pages are checked in both colour schemes."""
    return request.param


@pytest.fixture
def phone(browser, live_server, app):
    """A fresh phone-sized page on the live server, failing the test on any page error."""
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: _note_console_error(message, problems))
    page.problems = problems
    yield page
    context.close()
    assert not problems, problems
