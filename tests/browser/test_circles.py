"""The peer circle in a real browser, two people on two phones: Sam starts a circle and
invites Alex by link; a care nudge arrives as a notification through the fake push
service; a debrief request is answered and seen; a nudge tapped offline waits in the
phone's outbox and arrives once.

Each test signs Sam up on the `phone` (or `subscribed_phone`) and Alex on a second phone
of their own, with the fewest page loads it takes to form the circle.
"""
import json
import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.people import (
    EMAIL,
    SYNC_NOW,
    phone_page,
    ready,
    register,
    settled,
    stored_users,
)
from tests.browser.test_offline import controlled, outbox, wait_for_empty_outbox
from tests.browser.test_push import deliver_push, shown_notifications, turn_on
from tests.browser.test_push import subscribed_phone as subscribed_phone  # noqa: F401 - a fixture
from webapp.extensions import db
from webapp.models import CareNudge

pytestmark = pytest.mark.browser

ALEX = "alex@example.org"
CIRCLE = "Tuesday peers"
PROUD = "Proud of the work you do."
BREATHE = "Sending you a slow breath and a moment of calm."


# Helpers ---------------------------------------------------------------------------------


@contextmanager
def circle_of_two(browser, live_server, sam):
    """Sam, signed up on `sam`, starts a circle and makes an invitation link; Alex signs up
    on a phone of their own and joins with it. Yields Alex's page, left on the circle's
    page, and that page's path; Sam's is left on the circle's page that showed the link
    (once: a reload shows it no more). Alex's phone fails the test on any page error, as
    `phone` does."""
    sam.goto("/circles")
    sam.get_by_label("Name of the circle").fill(CIRCLE)
    sam.get_by_label("Your name in the circle").fill("Sam")
    sam.get_by_role("button", name="Start the circle").tap()
    expect(sam.get_by_role("heading", level=1)).to_have_text(CIRCLE)
    circle_path = sam.url.removeprefix(live_server.url)
    sam.get_by_role("button", name="Make an invitation link").tap()
    expect(sam.locator("#new-link")).to_have_value(re.compile(r"/circles/join/[\w-]+$"))
    link = sam.locator("#new-link").input_value()
    with phone_page(browser, live_server) as alex:
        register(alex, email=ALEX, scripts=False)
        alex.goto(link)
        expect(alex.get_by_role("heading", level=1)).to_have_text(f"Join {CIRCLE}")
        alex.get_by_label("Your name in the circle").fill("Alex")
        alex.get_by_role("button", name="Join the circle").tap()
        expect(alex).to_have_url(f"{live_server.url}{circle_path}")
        expect(alex.get_by_role("heading", level=1)).to_have_text(CIRCLE)
        # A page the worker fetches to keep meanwhile leaves the message for this one
        expect(alex.locator("#notices")).to_contain_text(f"You're in {CIRCLE}.")
        yield alex, circle_path


def user_id(app, email):
    [user] = [user for user in stored_users(app) if user.email == email]
    return user.id


def nudge_chip(page, text):
    """The chip that sends `text` to the one other member."""
    return page.locator(".nudge-form").get_by_role("button", name=text, exact=True)


def received(page):
    """Open "Care you received" from the circles list: the nudges it lists."""
    page.goto("/circles")
    page.get_by_role("link", name=re.compile(r"^Care you received")).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Care you received")
    return page.locator(".nudge-list .nudge")


def stored_nudges(app, nudge_id=None):
    """How many care nudges the database holds (with that id, if given)."""
    query = select(func.count()).select_from(CareNudge)
    if nudge_id is not None:
        query = query.where(CareNudge.id == nudge_id)
    with app.app_context():
        return db.session.scalar(query)


# Tests -----------------------------------------------------------------------------------


def test_sam_invites_alex_by_link_and_both_see_the_circle(browser, live_server, phone):
    sam = phone
    register(sam, scripts=False)
    with circle_of_two(browser, live_server, sam) as (alex, circle_path):
        link = sam.locator("#new-link").input_value()
        assert link.startswith(f"{live_server.url}/circles/join/")  # absolute, to be sent
        members = ".member-list .member-name"
        expect(alex.locator(members)).to_have_text(["Alex (you)", "Sam started the circle"])
        expect(alex.locator(".nudge-form")).to_have_count(1)  # care goes to Sam, not to Alex

        sam.goto(circle_path)
        expect(sam.locator(members)).to_have_text(["Sam (you)", "Alex"])
        expect(nudge_chip(sam, PROUD)).to_be_visible()
        expect(sam.locator("#new-link")).to_have_count(0)  # shown only once
        expect(sam.get_by_text("Links not used yet")).to_have_count(0)  # the link is spent


def test_a_nudge_arrives_as_a_notification_and_is_listed_once(
    browser, live_server, subscribed_phone, app, push_service  # noqa: F811 - imported above
):
    sam = subscribed_phone
    turn_on(sam)  # signs Sam up and subscribes this phone to pushes
    with circle_of_two(browser, live_server, sam) as (alex, _):
        ready(alex)
        nudge_chip(alex, PROUD).tap()
        expect(alex.locator(f"#nudge-status-{user_id(app, EMAIL)}")).to_have_text(
            f"Sent: “{PROUD}”"
        )
        settled(alex)

    [push] = push_service.delivered(sam.browser_subscription)
    assert (push.notification["title"], push.notification["body"]) == ("Alex sent you care", PROUD)
    deliver_push(sam, json.dumps(push.message))
    [notification] = shown_notifications(sam)
    assert (notification["title"], notification["body"]) == ("Alex sent you care", PROUD)
    assert notification["data"]["url"] == f"{live_server.url}/circles/nudges"

    sam.goto("/circles")
    expect(sam.get_by_role("link", name="Care you received (1 new)")).to_be_visible()
    nudges = received(sam)
    expect(nudges).to_have_count(1)
    expect(nudges.locator(".nudge-text")).to_have_text(f"“{PROUD}”")
    expect(nudges.locator(".hint")).to_contain_text(f"From Alex, {CIRCLE}")
    assert stored_nudges(app) == 1


def test_a_debrief_request_is_answered_and_the_asker_sees_it(browser, live_server, phone):
    sam = phone
    register(sam, scripts=False)
    with circle_of_two(browser, live_server, sam) as (alex, _):
        sam.get_by_role("button", name="Could someone debrief with me today?").tap()
        expect(sam.locator("#notices")).to_contain_text("Asked. The circle will see it")
        asked = sam.locator("article.debrief")
        expect(asked).to_contain_text("You asked: could someone debrief with me today?")
        expect(asked).to_contain_text("No answers yet.")

        alex.reload()
        request = alex.locator("article.debrief")
        expect(request).to_contain_text("Sam asked: could someone debrief with them today?")
        request_id = request.get_attribute("id").removeprefix("request-")
        ready(alex)
        request.get_by_label("I can talk at").fill("14:30")
        request.get_by_role("button", name="Send", exact=True).tap()
        expect(alex.locator(f"#answer-status-{request_id}")).to_have_text(
            "Sent: you can talk at 2:30 PM."
        )
        settled(alex)

        sam.reload()
        answers = sam.locator(f"#request-{request_id} .debrief-answers li")
        expect(answers).to_have_text(["Alex can talk at 2:30 PM (their time)"])
        expect(sam.get_by_role("button", name="Close the request")).to_be_visible()


def test_a_nudge_tapped_offline_is_delivered_once(browser, live_server, phone, app):
    sam = phone
    register(sam, scripts=False)
    with circle_of_two(browser, live_server, sam) as (alex, _):
        controlled(alex)
        alex.context.set_offline(True)
        nudge_chip(alex, BREATHE).tap()
        status = alex.locator(f"#nudge-status-{user_id(app, EMAIL)}")
        expect(status).to_contain_text("Saved on this phone")
        settled(alex)
        [record] = outbox(alex)
        assert record["kind"] == "care_nudge"
        assert record["entry"]["message"] == "breathe"
        assert stored_nudges(app) == 0

        alex.context.set_offline(False)  # the page hears `online` and asks the worker to sync
        wait_for_empty_outbox(alex)
        expect(status).to_have_text("Saved.")
        alex.evaluate(SYNC_NOW)  # another whole run, as "Sync now" asks: it sends nothing again
        assert stored_nudges(app, record["id"]) == 1
        assert stored_nudges(app) == 1

    nudges = received(sam)
    expect(nudges).to_have_count(1)
    expect(nudges.locator(".nudge-text")).to_have_text(f"“{BREATHE}”")
