"""'Your data is yours' in a real phone-sized Chromium: the JSON download from the data
page's link, and a Daylio CSV imported through preview, confirmation and report."""
import json
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.people import check_in, phone_page, register
from webapp.extensions import db
from webapp.models import CheckIn, PracticeDone

pytestmark = pytest.mark.browser

SHOTS = "/tmp/scratch/shots/export_import"
TAP = 44
DAYLIO = (
    "full_date,date,weekday,time,mood,activities,note_title,note\n"
    "2026-03-01,March 1,Sunday,21:30,good,A glass of water | Walk the dog,Tired,long week\n"
    "2026-03-02,March 2,Monday,08:05,awful,,,\n"
    "2026-03-03,March 3,Tuesday,12:00,ecstatic,,,\n"
    "2026-03-04,March 4,Wednesday,07:15,bad,,,client Sarah cried\n"
)


def shoot(page, name, color_scheme):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}-{color_scheme}.png", full_page=True)


def open_data_page(page):
    page.goto("/account")
    page.get_by_role("link", name="Export or import your data").tap()
    expect(page.get_by_role("heading", name="Your data is yours")).to_be_visible()


def test_the_json_download_holds_the_check_in(browser, live_server, app, color_scheme):
    with phone_page(browser, live_server, color_scheme=color_scheme) as page:
        register(page)
        check_in(page, "Some left")
        open_data_page(page)
        shoot(page, "data", color_scheme)
        link = page.get_by_role("link", name="Download everything (JSON)")
        assert link.bounding_box()["height"] >= TAP
        with page.expect_download() as download:
            link.tap()
        assert download.value.suggested_filename.startswith("tend-export-")
        document = json.loads(download.value.path().read_text(encoding="utf-8"))
        assert document["format"] == "tend-export"
        assert [entry["kind"] for entry in document["entries"]] == ["checkin"]
    with app.app_context():
        stored = db.session.scalars(select(CheckIn)).one()
        assert (document["entries"][0]["id"], document["entries"][0]["tank"]) == (
            stored.id, stored.tank)


def test_a_daylio_file_goes_through_preview_confirm_and_report(
    browser, live_server, app, color_scheme, tmp_path
):
    daylio = tmp_path / "daylio_export.csv"
    daylio.write_text(DAYLIO, encoding="utf-8")
    with phone_page(browser, live_server, color_scheme=color_scheme) as page:
        register(page)
        open_data_page(page)
        page.get_by_label("A Tend export (JSON) or a Daylio export (CSV)").set_input_files(daylio)
        page.get_by_role("button", name="Look at what it holds").tap()

        expect(page.get_by_role("heading", name="Before importing")).to_be_visible()
        skipped = page.get_by_text("Line 4: mood 'ecstatic' is not one of Daylio's five")
        expect(skipped).to_be_visible()
        expect(page.get_by_text("Line 5: what looks like a name: Sarah")).to_be_visible()
        keep = page.get_by_label("Import those notes anyway")
        expect(keep).not_to_be_checked()
        shoot(page, "preview", color_scheme)
        button = page.get_by_role("button", name="Import 5 entries")
        assert button.bounding_box()["height"] >= TAP
        button.tap()

        expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
        expect(page.locator(".data-counts li").first).to_have_text("New entries 5")
        expect(page.get_by_text("Walk the dog")).to_be_visible()
        shoot(page, "report", color_scheme)

    with app.app_context():
        notes = db.session.scalars(select(CheckIn.note).order_by(CheckIn.created_at)).all()
        assert notes == ["Tired — long week", None, None]
        assert len(db.session.scalars(select(PracticeDone)).all()) == 2


def test_an_unreadable_file_is_explained_next_to_the_field(browser, live_server, app, tmp_path):
    mystery = tmp_path / "notes.csv"
    mystery.write_text("name,number\nx,1\n", encoding="utf-8")
    with phone_page(browser, live_server) as page:
        register(page)
        open_data_page(page)
        field = page.get_by_label("A Tend export (JSON) or a Daylio export (CSV)")
        field.set_input_files(mystery)
        page.get_by_role("button", name="Look at what it holds").tap()
        expect(page.locator("#import-file-error")).to_contain_text("neither a Tend export")
        expect(field).to_have_attribute("aria-invalid", "true")
