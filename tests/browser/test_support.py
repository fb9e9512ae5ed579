"""The support page's numbers at phone size: choosing a place and adding a line of one's
own, and seeing those numbers with no network while the shell keeps nobody's."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.people import ready, register, sign_in, tab_bar_link, until

pytestmark = pytest.mark.browser

SHELL_SUPPORT_PAGE = """(name) => caches.open(name)
  .then((shell) => shell.match('/support')).then((page) => page.text())"""


def controlled(page):
    """Wait until the service worker controls the page."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    ready(page)


def choose_numbers(page):
    """From the support page: the United Kingdom, and a line of one's own."""
    page.get_by_role("link", name="Choose where you are, or add your own lines").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your support numbers")
    page.get_by_label("United Kingdom (116 123)").check()
    page.locator("#line-0-name").fill("Team lead on call")
    page.locator("#line-0-number").fill("+44 20 7946 0000")
    page.get_by_role("button", name="Save", exact=True).tap()
    expect(page).to_have_url(re.compile(r"/support$"))


def assert_own_numbers(page):
    emergency = page.get_by_role("link", name="Emergency: 999")
    expect(emergency).to_be_in_viewport()
    expect(emergency).to_have_attribute("href", "tel:999")
    expect(page.get_by_role("link", name="Call 116 123")).to_have_attribute("href", "tel:116123")
    expect(page.get_by_role("link", name="Text 85258")).to_have_attribute("href", "sms:85258")
    own = page.locator(".crisis-line", has_text="Team lead on call")
    expect(own.get_by_role("link", name="Call +44 20 7946 0000")).to_have_attribute(
        "href", "tel:+442079460000")
    expect(page.get_by_text("988")).to_have_count(0)


def test_offline_the_support_page_shows_the_persons_own_numbers(phone, app, monkeypatch):
    register(phone)
    controlled(phone)
    phone.get_by_role("link", name="Need support now?").tap()
    expect(phone.get_by_role("link", name="Call 988")).to_be_visible()
    choose_numbers(phone)
    assert_own_numbers(phone)

    phone.context.set_offline(True)
    phone.goto("/support")
    assert_own_numbers(phone)
    phone.context.set_offline(False)

    # A new version installed while Sam is signed in keeps a shell page that is nobody's.
    monkeypatch.setitem(app.config, "SW_VERSION", "support-newer")
    phone.goto("/support")
    expect(phone.locator("#update-banner")).to_be_visible(timeout=10000)
    shell_page = phone.evaluate(SHELL_SUPPORT_PAGE, "tend-shell-support-newer")
    assert "Call 988" in shell_page and "Team lead on call" not in shell_page
    assert "Samaritans" not in shell_page and "data-user" not in shell_page

    # Signed out, the phone forgets Sam's copy and shows the generic numbers offline.
    tab_bar_link(phone, "Account").tap()
    phone.locator("form.sign-out").get_by_role("button").tap()
    expect(phone.get_by_role("heading", name="Welcome back")).to_be_visible()
    phone.context.set_offline(True)
    phone.goto("/support")
    expect(phone.get_by_role("link", name="Call 988")).to_be_visible()
    expect(phone.get_by_text("Team lead on call")).to_have_count(0)


def test_a_visit_is_not_needed_for_the_phone_to_keep_them(browser, live_server, phone, app):
    """Numbers chosen on another device reach this phone's kept page without a visit."""
    register(phone)
    controlled(phone)
    phone.get_by_role("link", name="Need support now?").tap()
    choose_numbers(phone)
    tab_bar_link(phone, "Account").tap()
    phone.locator("form.sign-out").get_by_role("button").tap()

    sign_in(phone)
    controlled(phone)
    until(phone, "() => caches.open('tend-pages').then((pages) => pages.match('/support'))"
          ".then(Boolean)", "the phone kept the support page", 10000)
    phone.context.set_offline(True)
    phone.goto("/support")
    assert_own_numbers(phone)


def test_a_bad_number_and_a_client_name_are_pointed_out_in_place(phone, app):
    register(phone)
    phone.goto("/support/numbers")
    phone.locator("#line-0-name").fill("Family of client Sarah")
    number = phone.locator("#line-0-number")
    number.fill("ring me")
    phone.get_by_role("button", name="Save", exact=True).tap()

    expect(phone.locator("#line-0-number-error")).to_contain_text("digits, spaces, +, -")
    expect(number).to_have_value("ring me")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(phone.locator(".identifier-warning")).to_contain_text("what looks like a name: Sarah")

    number.fill("0412 345 678")
    phone.get_by_role("button", name="Save", exact=True).tap()
    expect(phone.locator(".identifier-warning")).to_be_visible()
    expect(phone.locator(".error")).to_have_count(0)
    save_anyway = phone.get_by_role("button", name="Save anyway")
    assert save_anyway.bounding_box()["height"] >= 44
    save_anyway.tap()
    expect(phone).to_have_url(re.compile(r"/support$"))
    expect(phone.get_by_role("link", name="Call 0412 345 678")).to_be_visible()
