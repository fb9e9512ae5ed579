"""Passkeys in a real browser: Chromium's virtual authenticator (through CDP) stands in
for the phone's fingerprint or screen lock. Passkeys belong to a host name, so these
pages are opened at localhost rather than 127.0.0.1."""
import pytest
from playwright.sync_api import expect

from tests.browser.people import phone_page, register, sign_in, tab_bar_link

pytestmark = pytest.mark.browser

AUTHENTICATOR = {
    "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
    "hasUserVerification": True, "isUserVerified": True,
}


@pytest.fixture
def passkey_phone(browser, live_server, app):
    """A phone page at localhost with a virtual authenticator that says yes."""
    local = live_server.url.replace("127.0.0.1", "localhost")
    with phone_page(browser, type("Server", (), {"url": local})) as page:
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
        page.authenticator = cdp
        yield page


def sign_out(page):
    page.goto("/account")
    page.get_by_role("button", name="Sign out").tap()
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()


def test_add_a_passkey_sign_in_with_it_and_remove_it(passkey_phone):
    page = passkey_phone
    register(page)
    page.goto("/account")
    page.get_by_role("link", name="Passkeys").tap()
    page.get_by_label("Name for this passkey").fill("My phone")
    page.get_by_role("button", name="Add a passkey").tap()
    passkey = page.locator(".devices li")
    expect(passkey).to_contain_text("My phone")
    expect(passkey).to_contain_text("Not used yet")

    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").tap()
    expect(tab_bar_link(page, "Check in")).to_be_visible()  # signed in, no password typed
    page.goto("/account/passkeys")
    expect(page.locator(".devices li")).to_contain_text("Last used")

    page.locator(".devices li").get_by_role("button", name="Remove").tap()
    expect(page.get_by_text("No passkeys yet.")).to_be_visible()
    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").tap()  # the phone still has it
    expect(page.locator("#passkey-sign-in [data-passkey-message]")).to_have_text(
        "This passkey is not known here. Sign in with your password."
    )
    sign_in(page)  # the password still works
    expect(tab_bar_link(page, "Check in")).to_be_visible()


CANCEL = """() => {
  navigator.credentials.create = () =>
    Promise.reject(new DOMException("cancelled", "NotAllowedError"));
}"""


def test_a_cancelled_passkey_prompt_is_explained(passkey_phone):
    page = passkey_phone
    register(page)
    page.goto("/account/passkeys")
    page.evaluate(CANCEL)  # the person dismisses the phone's prompt
    page.get_by_role("button", name="Add a passkey").tap()
    expect(page.locator("[data-passkey-message]")).to_have_text(
        "No passkey was used. You can try again."
    )
    expect(page.get_by_text("No passkeys yet.")).to_be_visible()
