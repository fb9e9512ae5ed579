"""The reminder plan as a newcomer meets it: a working plan ready, only the chosen way's
times on show, and a line that says when the next reminders would come."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.people import ready, register

pytestmark = pytest.mark.browser


def test_choosing_a_way_of_reminding_shows_its_times_and_the_preview_follows(phone):
    register(phone)
    phone.goto("/reminders")
    ready(phone)
    plan = phone.locator("form.reminder-plan")
    preview = plan.locator("#plan-preview")
    first_session = plan.get_by_label("First session starts")
    times = plan.get_by_label("Times of day")

    # Ready as it comes: between sessions, 9 to 5; the other ways' times are out of sight.
    expect(first_session).to_be_visible()
    expect(first_session).to_have_value("09:00")
    expect(times).to_be_hidden()
    expect(plan.get_by_label("Time", exact=True)).to_be_hidden()
    expect(preview).to_contain_text(re.compile(r"^Next reminders: .+, \d+:50 [AP]M"))

    plan.get_by_role("radio", name="At fixed times").check()
    expect(times).to_be_visible()
    expect(first_session).to_be_hidden()
    expect(preview).to_have_text("Fill in the times above to see when reminders would come.")
    times.fill("8:15, 18:45")
    expect(preview).to_contain_text("8:15 AM")
    expect(preview).to_contain_text("6:45 PM")

    # A cap of one a day leaves one time a day.
    plan.get_by_label("At most this many a day").fill("1")
    expect(preview).not_to_contain_text("6:45 PM")

    plan.get_by_role("radio", name="At the end of the day").check()
    expect(plan.get_by_label("Time", exact=True)).to_be_visible()
    expect(times).to_be_hidden()
