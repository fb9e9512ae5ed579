"""Installing Tend in real Chromium: what the browser thinks of it, and the install offer."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path
from tests.browser.people import phone_page, ready, register, watch_for_problems

pytestmark = pytest.mark.browser

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
)

# What Chromium hands a page it considers installable, made by hand: the event, with the
# prompt() the page calls and the userChoice it then awaits. Returns whether the page
# took the event (preventDefault), which shows its listener ran.
OFFER_INSTALL = """outcome => {
  const offer = new Event("beforeinstallprompt", { cancelable: true });
  offer.prompt = () => { window.promptShown = true; return Promise.resolve(); };
  offer.userChoice = Promise.resolve({ outcome, platform: "web" });
  window.dispatchEvent(offer);
  return offer.defaultPrevented;
}"""


def offer_install(page, outcome="accepted"):
    """Play Chromium's part: announce that Tend can be installed."""
    assert page.evaluate(OFFER_INSTALL, outcome), "install.js did not take the event"


def banner(page):
    """The install offer at the top of the page."""
    return page.locator("#install-banner")


@pytest.fixture
def profile(browser, live_server, app, tmp_path):
    """A phone-sized Chromium with a profile on disk: a normal context counts as incognito,
    and Chromium never offers to install from incognito."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium_path(),
        args=CHROMIUM_ARGS,
        base_url=live_server.url,
        **PHONE,
    )
    yield context
    context.close()


def installability_errors(page, timeout_ms=10_000):
    """Chromium's reasons not to install the page, once it has looked (empty when none).

    Chromium fetches the manifest and its icons after the page loads, so the answer is
    asked again until it is empty or the time is up.
    """
    cdp = page.context.new_cdp_session(page)
    waited = 0
    while True:
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        if not errors or waited >= timeout_ms:
            return errors
        page.wait_for_timeout(250)
        waited += 250


def test_chromium_finds_tend_installable(profile):
    page = profile.pages[0] if profile.pages else profile.new_page()
    problems = watch_for_problems(page)
    register(page)
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")

    assert installability_errors(page) == []
    manifest = page.context.new_cdp_session(page).send("Page.getAppManifest")
    assert manifest["errors"] == []
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert not problems, problems


def test_install_offer_shows_and_not_now_lasts(phone):
    register(phone)
    expect(banner(phone)).to_be_hidden()

    offer_install(phone)
    expect(banner(phone)).to_be_visible()
    expect(banner(phone)).to_contain_text("Keep Tend on your home screen")
    expect(banner(phone).get_by_text("Add to Home Screen")).to_be_hidden()
    banner(phone).get_by_role("button", name="Not now").tap()
    expect(banner(phone)).to_be_hidden()

    phone.reload()
    ready(phone)
    offer_install(phone)
    expect(banner(phone)).to_be_hidden()
    phone.get_by_role("link", name="History").tap()
    ready(phone)
    offer_install(phone)
    expect(banner(phone)).to_be_hidden()


def test_install_button_opens_the_browsers_prompt(phone):
    register(phone)
    offer_install(phone)
    banner(phone).get_by_role("button", name="Install Tend").tap()

    expect(banner(phone)).to_be_hidden()
    phone.wait_for_function("() => window.promptShown === true")


def test_declining_the_browsers_prompt_counts_as_not_now(phone):
    register(phone)
    offer_install(phone, outcome="dismissed")
    banner(phone).get_by_role("button", name="Install Tend").tap()
    expect(banner(phone)).to_be_hidden()
    phone.wait_for_function("() => window.promptShown === true")

    phone.reload()
    ready(phone)
    offer_install(phone)
    expect(banner(phone)).to_be_hidden()


def test_iphone_safari_gets_the_home_screen_steps(browser, live_server, app):
    with phone_page(browser, live_server, user_agent=IPHONE_SAFARI) as page:
        register(page)
        expect(banner(page)).to_be_visible()
        expect(banner(page)).to_contain_text("Share")
        expect(banner(page)).to_contain_text("Add to Home Screen")
        expect(banner(page)).to_contain_text("reminders")
        expect(banner(page).get_by_role("button", name="Install Tend")).to_be_hidden()

        banner(page).get_by_role("button", name="Not now").tap()
        expect(banner(page)).to_be_hidden()
        page.reload()
        ready(page)
        expect(banner(page)).to_be_hidden()


def test_no_offer_once_tend_is_on_the_home_screen(browser, live_server, app):
    with phone_page(browser, live_server, user_agent=IPHONE_SAFARI) as page:
        # iOS tells a page opened from the home screen through navigator.standalone.
        page.add_init_script(
            "Object.defineProperty(Navigator.prototype, 'standalone', { get: () => true })"
        )
        register(page)
        offer_install(page)
        expect(banner(page)).to_be_hidden()


def test_no_offer_on_the_sign_in_pages(phone):
    for path in ("/register", "/sign-in"):
        phone.goto(path)
        ready(phone)
        expect(banner(phone)).to_have_count(0)
