"""Insights on a phone: a few check-ins made through the card, then the week and the
month drawn as SVG that fits the screen, reads in both colour schemes and keeps to the
Content-Security-Policy."""
import pytest
from playwright.sync_api import expect

from tests.browser.people import (
    TANK_QUESTION,
    check_in,
    eventually,
    lean_step,
    phone_page,
    ready,
    register,
    saving,
    stored_checkins,
    tab_bar_link,
    tap_share,
    until,
)
from tests.browser.test_csp_everywhere import LISTEN

pytestmark = pytest.mark.browser


def make_a_few_check_ins(page, app):
    """Two check-ins through the card: one after a heavy session, one bare; a practice done."""
    check_in(page, "Running low")
    with saving(page, "share"):
        tap_share(page, 75)
    with saving(page, "leans"):
        lean_step(page, "lean_personal", 5).tap()  # well toward pushing through
    page.goto("/")
    check_in(page, "Mostly full")
    page.locator(".quick-done").get_by_role("button", name="A glass of water", exact=True).tap()
    expect(page.locator("#practice-done-status")).to_contain_text("Logged: A glass of water.")
    eventually(page, lambda: len(stored_checkins(app)) == 2, "both check-ins were saved")


def fits_the_screen(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for chart in page.locator("svg.chart").all():
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box


def test_insights_show_the_week_and_the_month_as_charts_with_words(browser, live_server, app,
                                                                   color_scheme):
    with phone_page(browser, live_server, color_scheme=color_scheme) as page:
        page.add_init_script(LISTEN)
        register(page)
        make_a_few_check_ins(page, app)

        tab = tab_bar_link(page, "Insights")
        box = tab.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box
        # All five still fit, each label on one line with room either side.
        labels = page.locator(".tab-bar a").evaluate_all("""links => links.map(link => {
            const text = document.createRange(); text.selectNodeContents(link);
            const words = text.getBoundingClientRect(), box = link.getBoundingClientRect();
            return [link.textContent, box.left, box.right, words.width, words.height, box.width];
        })""")
        assert [label[0] for label in labels] == [
            "Check in", "Reflect", "History", "Insights", "Account"]
        for name, left, right, width, height, box_width in labels:
            assert left >= 0 and right <= 390, name
            assert width <= box_width - 8 and height < 30, (name, width, height)
        tab.tap()
        ready(page)
        expect(page.get_by_role("heading", name="Insights", exact=True)).to_be_visible()
        expect(tab).to_have_attribute("aria-current", "page")

        tank = page.get_by_role(
            "img", name="How full my tank was, day by day, from 1 (empty) to 5 (full)")
        expect(tank).to_be_visible()
        expect(page.locator("svg.chart .chart-dot").first).to_be_visible()
        summary = "Your tank averaged 3.0 out of 5 (some left) over 2 check-ins in the last 7 days."
        expect(page.locator(".chart-summary").filter(has_text=summary)).to_be_visible()
        expect(page.locator(".chart-summary").filter(
            has_text="In 1 of 1 session you carried more than 49 % of the work.")).to_be_visible()
        expect(page.locator(".chart-summary").filter(
            has_text="1 practice done in the last 7 days: A glass of water (1).")).to_be_visible()
        expect(page.locator(".chart-note").filter(has_text="Pushing through")).to_be_visible()
        expect(page.get_by_role("heading", name="What stands out")).to_be_visible()
        fits_the_screen(page)

        page.screenshot(path=f"/tmp/insights-{color_scheme}.png", full_page=True)

        # The numbers behind a chart open as a table.
        page.locator("summary", has_text="The tank, day by day").tap()
        expect(page.get_by_role("table", name="The tank, day by day")).to_be_visible()

        # Colours come from the stylesheet (no style attributes): the line is the accent.
        stroke = page.locator(".chart-line, .chart-dot").first.evaluate(
            "element => getComputedStyle(element).fill + ' ' + getComputedStyle(element).stroke")
        assert "rgb(" in stroke, stroke

        page.get_by_role("navigation", name="Period").get_by_role("link", name="Month").tap()
        expect(page.get_by_text("The last 30 days at a glance")).to_be_visible()
        expect(page.get_by_role("link", name="Month")).to_have_attribute("aria-current", "page")
        expect(tank).to_be_visible()
        expect(page.locator(".chart-summary").filter(
            has_text="over 2 check-ins in the last 30 days.")).to_be_visible()
        expect(page.get_by_role("heading", name="Weekly pulse")).to_be_visible()
        fits_the_screen(page)
        page.screenshot(path=f"/tmp/insights-month-{color_scheme}.png", full_page=True)
        assert page.evaluate("() => window.cspViolations") == []


def test_a_new_account_is_told_kindly_there_is_nothing_yet(phone):
    register(phone)
    tab_bar_link(phone, "Insights").tap()
    expect(phone.get_by_text("a check-in is one tap", exact=False).first).to_be_visible()
    expect(phone.locator("main svg.chart")).to_have_count(0)
    phone.locator("main").get_by_role("link", name="Check in", exact=True).tap()
    expect(phone.get_by_role("heading", name=TANK_QUESTION)).to_be_visible()


def test_with_no_network_the_last_seen_insights_still_open(phone, app):
    register(phone)
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    make_a_few_check_ins(phone, app)
    tab_bar_link(phone, "Insights").tap()
    summary = "Your tank averaged 3.0 out of 5 (some left) over 2 check-ins in the last 7 days."
    expect(phone.locator(".chart-summary").filter(has_text=summary)).to_be_visible()
    until(phone, "() => caches.open('tend-pages').then((pages) => pages.match('/insights'))"
          ".then(Boolean)", "the phone kept the insights page", 10000)

    phone.context.set_offline(True)
    phone.goto("/")
    tab_bar_link(phone, "Insights").tap()
    expect(phone.get_by_role("heading", name="Insights", exact=True)).to_be_visible()
    expect(phone.locator(".chart-summary").filter(has_text=summary)).to_be_visible()
    expect(phone.locator("svg.chart .chart-dot").first).to_be_visible()
