"""The strict Content-Security-Policy holds on every page: a real browser opens every
page the app's URL map has (signed in, with one of everything to show), and swaps each
one in again the way htmx fetches a fragment, listening for securitypolicyviolation
events all along. There must be none."""
import pytest
from playwright.sync_api import expect

from tests.browser.people import sign_in, tab_bar_link
from tests.test_route_access import owned as owned  # noqa: F401 - a fixture used below
from tests.test_route_access import routes, url_for_rule

pytestmark = pytest.mark.browser

LISTEN = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    `${event.violatedDirective}: ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}`);
});
"""
SWAP_AS_FRAGMENT = """async (url) => {
  const answer = await fetch(url, { headers: { "HX-Request": "true" } });
  const holder = document.createElement("div");
  document.body.append(holder);
  htmx.swap(holder, await answer.text(), { swapStyle: "innerHTML" });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return answer.status;
}"""
# Not pages: the worker's own files, the manifest, JSON answers and the downloads.
NOT_PAGES = {"static", "pwa.service_worker", "pwa.manifest",
             "account.export_json", "account.export_spreadsheet"}


def pages(app, sam):
    """Every GET route that answers with HTML, with Sam's things in its parameters."""
    for endpoint, rule, method in routes(app):
        if method != "GET" or endpoint in NOT_PAGES or rule.rule.startswith("/api/"):
            continue
        yield url_for_rule(rule, endpoint, sam)


@pytest.fixture
def sam(phone, owned):  # noqa: F811 - the fixture imported above
    """Sam, with one of everything (tests.test_route_access), signed in on the phone."""
    phone.add_init_script(LISTEN)
    phone.goto("/sign-in")
    sign_in(phone)
    expect(tab_bar_link(phone, "Check in")).to_be_visible()
    return owned


def test_no_page_or_fragment_breaks_the_content_security_policy(app, phone, sam):
    urls = list(pages(app, sam))
    for url in urls:
        response = phone.goto(url)
        assert response.status < 400, f"{url}: {response.status}"
        expect(phone.locator("body")).to_be_visible()
        assert phone.evaluate("() => window.cspViolations") == [], url
    phone.goto("/")  # each again as htmx would fetch and swap it into a page
    for url in urls:
        assert phone.evaluate(SWAP_AS_FRAGMENT, url) < 400, f"{url} as a fragment"
    assert phone.evaluate("() => window.cspViolations") == []
    assert len(urls) >= 15, urls
