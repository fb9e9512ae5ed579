"""Reminders in a real browser: turning them on, the devices list, a test reminder and a
planned one sent by the real dispatcher through the fake push service, and the real
service worker showing them and acting on their buttons.

Headless Chromium cannot subscribe to a real push service, so the page's
`pushManager.subscribe()` and `getSubscription()` are stubbed to hand out a subscription
made by the fake push service (tests/push_service.py), which then decrypts what the
server sends with that subscription's keys. Pushes reach the worker through CDP
`ServiceWorker.deliverPushMessage`.

Nor can a test click an operating-system notification. The worker's listener passes the
click straight to `TendPush.onClick(notification, action)`, so the tests call that with
the notification the worker really shows, inside the worker (Playwright evaluates in its
target over CDP). Chromium lets a worker focus or open a window only during a real click,
so for "Check in" the tests stand in for `WindowClient.focus()` and `clients.openWindow()`
in the worker and record the calls; navigating an open window is real.

Nothing reads the notifications while one is being shown. Chromium's
`registration.getNotifications()` keeps a stored notification only if the platform already
lists it as displayed or it was stored after the read began, and deletes every other one
for good (content/browser/notifications/platform_notification_context_impl.cc,
DoReadAllNotificationDataForServiceWorkerRegistration). A read that falls between the
worker storing a notification and the platform displaying it loses it: it stays on
screen, yet no later read lists it. So a test waits, in the worker, until the worker has
finished with the push (its `showNotification()` has settled), and reads once, in the same
evaluation. (Headless Chromium has only popups, no notification centre: it also removes a
notification about 25 s after showing it, so a test reads it soon after.)
"""
import json
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from tests.browser.people import (
    check_in,
    eventually,
    phone_page,
    register,
    saving,
    worker_devtools,
)
from tests.browser.test_offline import controlled, outbox, wait_for_empty_outbox
from tests.test_reminders import send_due
from webapp.extensions import db
from webapp.models import (
    PracticeDone,
    PushSubscription,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from webapp.services import reminders
from webapp.services.clock import utcnow
from webapp.services.subscriptions import remove_subscription

pytestmark = pytest.mark.browser

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
SETTINGS_PAGE = "/reminders"
# The browser's push subscription, as the page sees it: the fake push service's, kept
# while the page is subscribed (localStorage stands for the browser's own storage).
STUB_PUSH = """(() => {
  const subscription = %s;
  const bytes = (text) => Uint8Array.from(
    atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const text = (key) => btoa(String.fromCharCode(...new Uint8Array(key.buffer || key)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const made = {
    endpoint: subscription.endpoint,
    expirationTime: null,
    getKey: (name) => bytes(subscription.keys[name]).buffer,
    toJSON: () => subscription,
    unsubscribe: async () => { localStorage.removeItem("test:subscribed"); return true; },
  };
  PushManager.prototype.subscribe = async function (options) {
    localStorage.setItem("test:subscribed", JSON.stringify({
      userVisibleOnly: options.userVisibleOnly, key: text(options.applicationServerKey) }));
    return made;
  };
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem("test:subscribed") ? made : null;
  };
})();"""
# In the worker: count the pushes it has finished handling (its listener's promise settled).
COUNT_PUSHES = """() => {
  if (self.pushesForTest) return;
  const pushes = (self.pushesForTest = { handled: 0, wake: [] });
  const onPush = TendPush.onPush;
  TendPush.onPush = (data) => onPush(data).finally(() => {
    pushes.handled += 1;
    pushes.wake.splice(0).forEach((wake) => wake());
  });
}"""
# In the worker, one evaluation: wait until `handled` pushes are through, then read what
# is shown (see the module's description for why never earlier).
SHOWN_AFTER_PUSHES = """async ([handled, timeoutMs]) => {
  const pushes = self.pushesForTest;
  if (!pushes) throw new Error("this worker is not counting pushes: it started after deliver_push");
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      `the worker finished ${pushes.handled} of ${handled} pushes in ${timeoutMs} ms`)), timeoutMs);
    const check = () => {
      if (pushes.handled < handled) return pushes.wake.push(check);
      clearTimeout(timer);
      resolve();
    };
    check();
  });
  const shown = await self.registration.getNotifications();
  return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, icon: n.icon,
    actions: n.actions.map((a) => [a.action, a.title]), data: n.data }));
}"""
# In the page: the tags of what is shown.
SHOWN_TAGS = """() => navigator.serviceWorker.ready
  .then((registration) => registration.getNotifications())
  .then((shown) => shown.map((n) => n.tag))"""
PUSH_TIMEOUT_MS = 15000
# Chromium refuses these outside a real notification click: the tests record the calls.
RECORD_FOCUS = """() => {
  self.focusedForTest = [];
  WindowClient.prototype.focus = function () {
    self.focusedForTest.push(this.url);
    return Promise.resolve(this);
  };
}"""
RECORD_OPEN_WINDOW = """() => {
  self.clients.openWindow = async (url) => { self.openedForTest = url; return null; };
}"""
WORKER_ONLINE = "() => fetch('/api/v1/session').then(() => true, () => false)"
NO_WINDOW = "() => self.clients.matchAll({ type: 'window' }).then((open) => open.length === 0)"
CLICK = """async ([tag, action]) => {
  const [notification] = await self.registration.getNotifications({ tag });
  await TendPush.onClick(notification, action);
}"""


# Fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def subscribed_phone(phone, app, push_service, live_server):
    """The phone, allowed to notify, whose pushManager hands out the fake service's subscription."""
    browser_subscription = push_service.subscribe(app.extensions["tend_vapid"].public_key)
    phone.context.grant_permissions(["notifications"], origin=live_server.url)
    phone.context.add_init_script(STUB_PUSH % json.dumps(browser_subscription.to_json()))
    phone.browser_subscription = browser_subscription
    return phone


def stored_subscriptions(app):
    """(endpoint, p256dh, auth) of every subscription the server holds."""
    with app.app_context():
        rows = db.session.scalars(select(PushSubscription)).all()
        return [(row.endpoint, row.p256dh, row.auth) for row in rows]


def turn_on(page):
    """Open the reminder settings and turn reminders on for this phone."""
    register(page)
    controlled(page)
    page.goto(SETTINGS_PAGE)
    devices = page.locator("#reminder-devices")
    devices.get_by_role("button", name="Turn on reminders on this phone").tap()
    expect(devices.get_by_text("Reminders are on for this phone.")).to_be_visible()
    return devices


def worker(page):
    """The service worker that controls the page."""
    controlled(page)
    return page.context.service_workers[0]


def deliver_push(page, data):
    """Hand the worker a push message, as the browser does when one arrives.

    The worker counts the pushes it has handled, for `shown_notifications`.
    """
    worker(page).evaluate(COUNT_PUSHES)
    with worker_devtools(page) as (cdp, registration):
        cdp.send("ServiceWorker.deliverPushMessage", {**registration, "data": data})


def back_online(page):
    """Reconnect, then fire the Background Sync the worker registered, as Chromium does.

    Playwright lifts the page's offline emulation before the worker's, so the page's own
    `online` sync may still fail in the worker: the test waits until the worker is through.
    """
    page.context.set_offline(False)
    eventually(page, lambda: worker(page).evaluate(WORKER_ONLINE), "the worker is back online")
    with worker_devtools(page) as (cdp, registration):
        cdp.send("ServiceWorker.dispatchSyncEvent",
                 {**registration, "tag": "tend-outbox", "lastChance": False})


def shown_notifications(page, pushes=1):
    """The notifications shown once the worker has handled `pushes` pushes: waited for and
    read in one evaluation, and never while a push is being shown."""
    return worker(page).evaluate(SHOWN_AFTER_PUSHES, [pushes, PUSH_TIMEOUT_MS])


def no_notifications_left(page):
    """Wait until no notification is shown (a tap closed it); what was read, i.e. []."""
    shown = None

    def none():
        nonlocal shown
        shown = page.evaluate(SHOWN_TAGS)
        return shown == []

    eventually(page, none, "every notification closed")
    return shown


def plan_reminders(page, practices=("breaths",)):
    """On the reminders page, ask for a reminder at a fixed time suggesting `practices`."""
    plan = page.locator("form.reminder-plan")
    plan.get_by_label("Send me reminders").check()
    plan.get_by_role("radio", name="At fixed times").check()
    plan.get_by_label("Times of day").fill("9:00")
    for chip in [f"workday-{day}" for day in range(7)] + [f"remind-{p}" for p in practices]:
        if not plan.locator(f"#{chip}").is_checked():
            plan.locator(f"label[for={chip}]").tap()
    plan.get_by_role("button", name="Save reminders").tap()
    expect(page.get_by_text("Saved. The next reminder comes")).to_be_visible()


def show_reminder(page, app, push_service, practices=("breaths",)):
    """Plan a reminder, run the dispatcher when it is due, and hand the push the fake push
    service decrypted to the phone's worker; the notification shown, and the push."""
    plan_reminders(page, practices)
    with app.app_context():
        due = db.session.scalar(select(ReminderSettings.next_due_at))
    claimed, _ = send_due(app, due)
    assert len(claimed) == 1
    [push] = push_service.delivered(page.browser_subscription)
    deliver_push(page, json.dumps(push.message))
    [notification] = shown_notifications(page)
    return notification, push.notification


def click(page, notification, action):
    """A tap on one of the notification's buttons ("" for the notification itself)."""
    worker(page).evaluate(CLICK, [notification["tag"], action])


# Turning reminders on and off ----------------------------------------------------------------


def test_turning_on_stores_this_phone_and_lists_it(subscribed_phone, app):
    devices = turn_on(subscribed_phone)

    browser_subscription = subscribed_phone.browser_subscription
    assert stored_subscriptions(app) == [
        (browser_subscription.endpoint, browser_subscription.p256dh, browser_subscription.auth)
    ]
    asked = json.loads(subscribed_phone.evaluate("localStorage.getItem('test:subscribed')"))
    assert asked == {"userVisibleOnly": True, "key": app.extensions["tend_vapid"].public_key}
    device = devices.locator(".devices li")
    expect(device).to_have_count(1)
    expect(device).to_contain_text("this phone")
    expect(device).to_contain_text("No reminder sent yet")
    expect(devices.get_by_role("button", name="Turn on reminders on this phone")).to_be_hidden()


def test_every_page_load_sends_the_subscription_again(subscribed_phone, app):
    turn_on(subscribed_phone)
    with app.app_context():
        db.session.execute(delete(PushSubscription))  # the server lost track of it
        db.session.commit()

    subscribed_phone.goto("/history")
    eventually(subscribed_phone, lambda: len(stored_subscriptions(app)) == 1,
               "the subscription was sent again")
    assert stored_subscriptions(app)[0][0] == subscribed_phone.browser_subscription.endpoint


def test_removing_this_phone_stops_its_reminders_for_good(subscribed_phone, app):
    devices = turn_on(subscribed_phone)
    devices.locator(".devices li").get_by_role("button", name="Remove").tap()

    expect(devices.get_by_role("status")).to_contain_text("won't get reminders any more")
    expect(devices.get_by_text("No device gets reminders yet.")).to_be_visible()
    expect(devices.get_by_role("button", name="Turn on reminders on this phone")).to_be_visible()
    assert stored_subscriptions(app) == []

    subscribed_phone.goto("/history")  # and the next page load does not bring it back
    subscribed_phone.goto(SETTINGS_PAGE)
    expect(devices.get_by_text("No device gets reminders yet.")).to_be_visible()
    assert stored_subscriptions(app) == []


def test_a_phone_removed_from_another_device_lets_go_and_can_turn_on_again(
    subscribed_phone, app
):
    turn_on(subscribed_phone)
    with app.app_context():  # the person removes this phone from their laptop
        [device] = db.session.scalars(select(PushSubscription)).all()
        assert remove_subscription(db.session.get(User, device.user_id), device.id)

    subscribed_phone.goto("/history")  # its next page load hears 410 and unsubscribes
    eventually(
        subscribed_phone,
        lambda: subscribed_phone.evaluate("localStorage.getItem('test:subscribed')") is None,
        "the phone dropped its subscription",
    )
    assert stored_subscriptions(app) == []
    subscribed_phone.goto(SETTINGS_PAGE)
    devices = subscribed_phone.locator("#reminder-devices")
    turn_on_button = devices.get_by_role("button", name="Turn on reminders on this phone")
    turn_on_button.tap()  # a tap here takes it back
    expect(devices.get_by_text("Reminders are on for this phone.")).to_be_visible()
    expect(devices.locator(".devices li")).to_contain_text("this phone")
    assert len(stored_subscriptions(app)) == 1


def test_blocked_notifications_say_how_to_allow_them(phone):
    phone.add_init_script(
        "Notification.requestPermission = async () => 'denied';"  # the person tapped Block
    )
    register(phone)
    phone.goto(SETTINGS_PAGE)
    devices = phone.locator("#reminder-devices")
    devices.get_by_role("button", name="Turn on reminders on this phone").tap()
    expect(devices.get_by_text("This phone is blocking notifications from Tend.")).to_be_visible()
    expect(devices).to_contain_text("Settings, then Notifications, then Tend")
    expect(devices.get_by_role("button", name="Turn on reminders on this phone")).to_be_hidden()


def test_iphone_safari_explains_add_to_home_screen_first(browser, live_server, app):
    with phone_page(browser, live_server, user_agent=IPHONE_SAFARI) as page:
        register(page)
        page.goto(SETTINGS_PAGE)
        devices = page.locator("#reminder-devices")
        expect(devices.get_by_text("On iPhone, reminders need Tend on your home screen first.")
               ).to_be_visible()
        expect(devices).to_contain_text("Add to Home Screen")
        expect(devices.get_by_role("button", name="Turn on reminders on this phone")
               ).to_be_hidden()


# Pushes and the notifications they show --------------------------------------------------------


def test_a_test_reminder_arrives_decrypted_and_shows_a_notification(
    subscribed_phone, push_service
):
    devices = turn_on(subscribed_phone)
    devices.get_by_role("button", name="Send me a test reminder").tap()

    expect(devices.get_by_role("status")).to_have_text(
        "Test reminder sent. It should appear in a moment."
    )
    expect(devices.locator(".devices li")).to_contain_text("Last reminder sent")
    expect(devices.locator(".test-results")).to_be_hidden()
    [push] = push_service.delivered(subscribed_phone.browser_subscription)
    assert push.notification["title"] == "Reminders are on"

    deliver_push(subscribed_phone, json.dumps(push.message))
    [notification] = shown_notifications(subscribed_phone)
    assert notification["title"] == push.notification["title"]
    assert notification["body"] == push.notification["body"]
    assert notification["tag"] == push.notification["tag"]
    assert notification["icon"].endswith("/static/icons/icon-192.png")
    assert notification["data"]["url"] == push.notification["navigate"]


def test_a_busy_push_service_is_explained(subscribed_phone, push_service):
    devices = turn_on(subscribed_phone)
    push_service.answer(subscribed_phone.browser_subscription, 500)
    devices.get_by_role("button", name="Send me a test reminder").tap()

    expect(devices.get_by_role("status")).to_have_text(
        "The test reminder didn't reach every device:"
    )
    expect(devices.locator(".test-results")).to_have_text(
        "Chrome on Linux: its notification service is busy. Try again in a few minutes."
    )
    expect(devices.locator(".devices li")).to_contain_text("Last reminder didn't go through (500)")


def test_a_phone_its_push_service_forgot_is_removed_and_can_turn_on_again(
    subscribed_phone, app, push_service
):
    devices = turn_on(subscribed_phone)
    push_service.answer(subscribed_phone.browser_subscription, 410)
    devices.get_by_role("button", name="Send me a test reminder").tap()

    expect(devices.locator(".test-results")).to_have_text(
        "Chrome on Linux: no longer takes reminders, so it was removed."
    )
    expect(devices.get_by_text("No device gets reminders yet.")).to_be_visible()
    expect(devices.get_by_role("button", name="Turn on reminders on this phone")).to_be_visible()
    subscribed_phone.reload()  # the phone let go of it too, so it is not sent again
    expect(devices.get_by_role("button", name="Turn on reminders on this phone")).to_be_visible()
    assert stored_subscriptions(app) == []


def test_a_push_that_cannot_be_read_still_shows_a_notification(subscribed_phone):
    turn_on(subscribed_phone)
    deliver_push(subscribed_phone, "not json at all")
    [notification] = shown_notifications(subscribed_phone)
    assert notification["title"] == "Tend"
    assert notification["body"]


def test_a_reminder_sent_before_the_declarative_format_still_shows(subscribed_phone):
    # A push service keeps a reminder for up to 12 hours, across an upgrade of Tend.
    turn_on(subscribed_phone)
    deliver_push(subscribed_phone, json.dumps({
        "title": "A breath between sessions", "body": "Three slow breaths?", "tag": "old",
        "url": "/", "actions": [{"action": "later", "title": "Later"}], "data": {"delivery": 7},
    }))
    [notification] = shown_notifications(subscribed_phone)
    assert (notification["title"], notification["tag"]) == ("A breath between sessions", "old")
    assert notification["actions"] == [["later", "Later"]]
    assert notification["data"] == {"delivery": 7, "url": "/"}


def test_a_due_reminder_shows_with_its_buttons(subscribed_phone, app, push_service, live_server):
    turn_on(subscribed_phone)
    notification, message = show_reminder(subscribed_phone, app, push_service)

    buttons = [action["action"] for action in message["data"]["actions"]]
    assert buttons == ["checkin", "done", "later"]
    assert (notification["title"], notification["body"]) == (message["title"], message["body"])
    assert notification["tag"] == f"tend-reminder-{message['data']['delivery']}"
    # Chromium has room for two buttons (Notification.maxActions); a tap on the
    # notification itself is "Check in", so that is the button left out.
    assert notification["actions"] == [["done", "Done"], ["later", "Later"]]
    home = f"{live_server.url}/"
    assert message["navigate"] == home
    assert notification["data"] == {
        key: value for key, value in message["data"].items() if key != "actions"
    } | {"url": home}
    assert message["data"]["practice"] == "breaths"


@pytest.mark.parametrize("action", ["checkin", ""])
def test_check_in_brings_an_open_window_to_the_check_in(
    subscribed_phone, app, push_service, live_server, action
):
    turn_on(subscribed_phone)
    notification, _ = show_reminder(subscribed_phone, app, push_service)
    subscribed_phone.goto("/history")
    worker(subscribed_phone).evaluate(RECORD_FOCUS)

    click(subscribed_phone, notification, action)

    expect(subscribed_phone).to_have_url(f"{live_server.url}/")
    assert worker(subscribed_phone).evaluate("self.focusedForTest") == [
        f"{live_server.url}/history"
    ]
    assert no_notifications_left(subscribed_phone) == []


def test_check_in_opens_a_window_when_none_is_open(
    subscribed_phone, app, push_service, live_server
):
    turn_on(subscribed_phone)
    notification, _ = show_reminder(subscribed_phone, app, push_service)
    service_worker = worker(subscribed_phone)
    service_worker.evaluate(RECORD_OPEN_WINDOW)
    subscribed_phone.goto("about:blank")  # no Tend window is left
    # The page that left can still be listed a moment after the navigation.
    eventually(subscribed_phone, lambda: service_worker.evaluate(NO_WINDOW),
               "the worker no longer lists the window")

    service_worker.evaluate(CLICK, [notification["tag"], "checkin"])

    assert service_worker.evaluate("self.openedForTest") == f"{live_server.url}/"


def test_done_records_the_practice_offline_and_syncs_it_later(
    subscribed_phone, app, push_service
):
    turn_on(subscribed_phone)
    notification, message = show_reminder(subscribed_phone, app, push_service)
    delivery = message["data"]["delivery"]
    subscribed_phone.context.set_offline(True)

    click(subscribed_phone, notification, "done")

    [record] = outbox(subscribed_phone)
    entry = record["entry"]
    assert record["kind"] == "practice_done"
    assert record["user"] == subscribed_phone.evaluate("document.body.dataset.user")
    assert entry["id"] == record["id"] and len(entry["id"]) == 36
    assert (entry["practice"], entry["delivery"], entry["deleted"]) == ("breaths", delivery, False)
    assert entry["created_at"] == entry["updated_at"]
    assert no_notifications_left(subscribed_phone) == []
    with app.app_context():
        assert db.session.scalars(select(PracticeDone)).all() == []

    back_online(subscribed_phone)
    wait_for_empty_outbox(subscribed_phone)
    with app.app_context():
        done = db.session.scalars(select(PracticeDone)).one()
        assert (done.id, done.practice, done.delivery) == (entry["id"], "breaths", delivery)
        assert done.user_id == db.session.get(ReminderDelivery, delivery).user_id


def test_done_on_a_reminder_without_a_practice_records_nothing(
    subscribed_phone, app, push_service
):
    turn_on(subscribed_phone)
    notification, message = show_reminder(subscribed_phone, app, push_service, practices=())
    assert message["data"]["practice"] is None

    click(subscribed_phone, notification, "done")

    assert no_notifications_left(subscribed_phone) == []
    assert outbox(subscribed_phone) == []


def test_later_brings_the_reminder_back_in_half_an_hour(subscribed_phone, app, push_service):
    turn_on(subscribed_phone)
    notification, message = show_reminder(subscribed_phone, app, push_service)

    click(subscribed_phone, notification, "later")  # the worker's POST to data.later_url

    assert no_notifications_left(subscribed_phone) == []
    with app.app_context():
        first = db.session.get(ReminderDelivery, message["data"]["delivery"])
        again = db.session.scalars(
            select(ReminderDelivery).where(ReminderDelivery.slot_key == f"later:{first.slot_key}")
        ).one()
        assert first.acted == "later"
        assert again.status == "snoozed" and again.practice == "breaths"
        expected = utcnow() + timedelta(minutes=30)
        assert expected - timedelta(minutes=1) <= again.due_at <= expected


def test_a_phone_that_no_longer_lets_tend_notify_says_reminders_may_be_off(subscribed_phone):
    turn_on(subscribed_phone)
    plan_reminders(subscribed_phone)
    notice = subscribed_phone.locator("#reminders-off")
    subscribed_phone.goto("/")
    # This phone still gets them: its page went on to load what re-sends its subscription.
    expect(subscribed_phone.locator("script[src$='js/reminders.js']")).to_be_attached()
    expect(notice).to_be_hidden()

    subscribed_phone.context.clear_permissions()  # turned off in the phone's settings
    subscribed_phone.goto("/")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Reminders may be off on this phone")
    notice.get_by_role("link", name="Check reminders").tap()
    expect(subscribed_phone).to_have_url(re.compile(r"/reminders$"))


def test_a_follow_up_after_a_safety_session_shows_with_check_in_and_later(
    subscribed_phone, app, push_service, live_server
):
    turn_on(subscribed_phone)
    with app.app_context():  # reminders on, with no reminders of their own in the plan
        settings = reminders.settings_for(db.session.scalar(select(User)))
        settings.enabled, settings.mode, settings.times = True, "fixed_times", ""
        settings.quiet_start = settings.quiet_end = settings.paused_until = None
        db.session.commit()
    subscribed_phone.goto("/")
    check_in(subscribed_phone)
    with saving(subscribed_phone, "safety"):
        subscribed_phone.locator("label.switch").tap()
    with app.app_context():
        day_one = db.session.scalars(
            select(ReminderDelivery.due_at).order_by(ReminderDelivery.due_at)
        ).first()

    claimed, _ = send_due(app, day_one)
    assert len(claimed) == 1
    [push] = push_service.delivered(subscribed_phone.browser_subscription)
    assert push.headers["urgency"] == "high"
    deliver_push(subscribed_phone, json.dumps(push.message))
    [notification] = shown_notifications(subscribed_phone)

    assert notification["title"] == "Thinking of you after yesterday"
    assert notification["body"] == push.notification["body"]
    assert notification["tag"] == f"tend-follow-up-{claimed[0]}"
    assert notification["actions"] == [["checkin", "Check in"], ["later", "Later"]]
    assert notification["data"]["url"] == f"{live_server.url}/"
