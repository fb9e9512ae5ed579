"""Deleting the account in a real browser: the account is gone, and so is everything the
phone held for it (entries still waiting to sync, pages kept for offline use)."""
import pytest
from playwright.sync_api import expect

from tests.browser.people import PASSWORD, register, stored_users, until
from tests.browser.test_offline import check_in_offline, controlled, outbox, sync_answers

pytestmark = pytest.mark.browser

KEPT_PAGES = """() => caches.keys()
  .then((names) => Promise.all(names.filter((name) => name === "tend-pages")
    .map((name) => caches.open(name).then((cache) => cache.keys()))))
  .then((lists) => lists.flat().map((request) => new URL(request.url).pathname))"""


def test_deleting_the_account_clears_the_phone_too(phone, app, monkeypatch):
    register(phone)
    controlled(phone)
    phone.goto("/history")  # kept for offline use
    with sync_answers(app, monkeypatch, failures=None):  # so the entry stays waiting
        phone.context.set_offline(True)
        check_in_offline(phone)
        phone.context.set_offline(False)
        assert len(outbox(phone)) == 1
        assert "/history" in phone.evaluate(KEPT_PAGES)

        phone.goto("/account")
        phone.get_by_role("link", name="Delete my account").tap()
        phone.get_by_label("Your password, to confirm").fill(PASSWORD)
        phone.get_by_role("button", name="Delete my account and everything in it").tap()

        expect(phone.get_by_role("heading", name="Your account is deleted")).to_be_visible()
        until(phone, "() => new Promise((resolve) => { const o = indexedDB.open('tend');"
              " o.onsuccess = () => { const r = o.result.transaction('outbox')"
              ".objectStore('outbox').count(); r.onsuccess = () => resolve(r.result === 0); }; })",
              "the phone's outbox emptied")
    assert outbox(phone) == []
    assert phone.evaluate(KEPT_PAGES) == []
    assert stored_users(app) == []
