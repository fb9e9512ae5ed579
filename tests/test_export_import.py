"""'Your data is yours': exports (JSON, CSV) and imports (a Tend export, a Daylio CSV)
over HTTP, as the data page sends them."""
import csv
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import Session
from webapp.extensions import db
from webapp.models import CareSettings, CheckIn, Practice, PracticeDone, ReminderSettings, User
from webapp.services import imports
from webapp.services.exports import CSV_COLUMNS
from webapp.services.pulse import STATEMENTS
from webapp.services.reframes import CARDS
from webapp.services.sync import ENTRY_KINDS, save_entries, user_tag

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CARD = next(iter(CARDS))
DAYLIO_HEADER = "full_date,date,weekday,time,mood,activities,note_title,note\n"
PULSE_ANSWERS = {"gave_back": 4, "made_difference": 5, "worn_out": 2, "kept_up": 4,
                 "stories_followed": 1, "on_edge": 3}


def stamp(minutes=0):
    return (T0 + timedelta(minutes=minutes)).isoformat()


def fill(app, email, *entries):
    """Save (kind, fields) entries for the person with this email, as the sync API would."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        results = save_entries(user, [(kind, {"created_at": stamp(), "updated_at": stamp()}
                                       | fields) for kind, fields in entries])
        assert [result.status for result in results] == ["created"] * len(entries)


def some_of_everything(app, email="sam@example.org"):
    """One entry of every kind (a deleted check-in too), and a note about each kind a note
    may be about; returns the check-in's id."""
    checkin, gone = str(uuid.uuid4()), str(uuid.uuid4())
    reflection, pulse = str(uuid.uuid4()), str(uuid.uuid4())
    fill(
        app, email,
        ("checkin", {"id": checkin, "tank": 2, "work_share": 70, "lean_client": -2,
                     "note": "=SUM(A1) long day", "practice": "water"}),
        ("checkin", {"id": gone, "tank": 4, "deleted": True}),
        ("practice_done", {"id": str(uuid.uuid4()), "practice": "breaths"}),
        ("reflection", {"id": reflection, "next_step": "ask for a case review",
                        "problems": [{"problem": "no progress", "whose": "mine"}]}),
        ("reframe_mark", {"id": str(uuid.uuid4()), "card": CARD}),
        ("supervision_note", {"id": str(uuid.uuid4()), "text": "+ why the freeze?",
                              "about_kind": "checkin", "about_id": checkin}),
        ("break", {"id": str(uuid.uuid4()), "first_day": "2026-02-01",
                   "last_day": "2026-02-07", "note": "@ the sea"}),
        ("pulse", {"id": pulse, "answers": PULSE_ANSWERS, "note": "-ish week"}),
        ("supervision_note", {"id": str(uuid.uuid4()), "text": "still stuck",
                              "about_kind": "reflection", "about_id": reflection}),
        ("supervision_note", {"id": str(uuid.uuid4()), "text": "a heavy week",
                              "about_kind": "pulse", "about_id": pulse}),
    )
    return checkin


def export(session):
    response = session.client.get("/account/export.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def upload(session, text, name="export.json"):
    """Choose a file on the data page and send it for the preview.

    The request is built here so that its body is closed even when the app refuses it
    unread (the test client leaves that to the garbage collector).
    """
    session.fetch_token("/account/data")
    data = text.encode() if isinstance(text, str) else text
    response = session.post("/account/data/import", {"file": (io.BytesIO(data), name)},
                            content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()
    return response


def confirm(session, text, keep_flagged=False):
    """Confirm the preview: the page sends the file's text back."""
    session.fetch_token("/account/data")
    form = {"content": text} | ({"keep_flagged_notes": "1"} if keep_flagged else {})
    return session.post("/account/data/import/confirm", form)


def counts(report_page):
    """The report's numbers: {label: number}."""
    return {label: int(number) for label, number in
            re.findall(r"<li><span>([^<]+)</span> <strong>(\d+)</strong></li>", report_page)}


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


# The page and the downloads ----------------------------------------------------------------


def test_the_account_page_links_to_the_data_page(member):
    assert 'href="/account/data"' in member.client.get("/account").get_data(as_text=True)
    page = member.client.get("/account/data").get_data(as_text=True)
    assert "Download everything (JSON)" in page and "Download a spreadsheet (CSV)" in page


@pytest.mark.parametrize("path", ["/account/data", "/account/export.json", "/account/export.csv"])
def test_the_data_routes_need_a_sign_in(client, path):
    assert client.get(path).status_code == 302


def test_importing_needs_a_sign_in(client):
    response = client.post("/account/data/import", data={})
    assert response.status_code in (302, 400)
    assert client.post("/account/data/import/confirm", data={}).status_code in (302, 400)


def test_the_json_export_holds_everything_and_nothing_that_opens_the_account(app, member):
    some_of_everything(app)
    response = member.client.get("/account/export.json")
    assert re.fullmatch(r'attachment; filename="tend-export-\d{4}-\d{2}-\d{2}\.json"',
                        response.headers["Content-Disposition"])
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data(as_text=True))
    assert document["format"] == "tend-export" and document["version"] == 1
    assert document["account"] == {"display_name": None, "timezone": "UTC"}
    assert {entry["kind"] for entry in document["entries"]} == set(ENTRY_KINDS)
    assert sorted(entry["deleted"] for entry in document["entries"]
                  if entry["kind"] == "checkin") == [False, True]
    assert document["reminders"] is None and document["care"] is None
    assert {"key": "water", "name": "A glass of water", "micro": True, "archived": False,
            "position": 1} in document["practices"]
    text = response.get_data(as_text=True)
    for secret in ("password", "passkey", "endpoint", "p256dh", "sam@example.org"):
        assert secret not in text


def test_the_json_export_carries_the_reminder_plan_and_care_settings(app, member):
    member.fetch_token("/reminders")
    member.post("/reminders", {"mode": "fixed_times", "times": "9:00, 13:30",
                               "workdays": ["0", "2"], "practices": ["water"]})
    member.fetch_token("/supervision")
    member.post("/supervision/date", {"supervision_on": "2026-12-03"})
    document = export(member)
    assert document["reminders"]["mode"] == "fixed_times"
    assert document["reminders"]["workdays"] == [0, 2]
    assert document["reminders"]["practices"] == ["water"]
    assert document["care"]["supervision_on"] == "2026-12-03"


def test_the_csv_has_fixed_columns_numbers_as_numbers_and_no_formulas(app, member):
    some_of_everything(app)
    response = member.client.get("/account/export.csv")
    assert response.mimetype == "text/csv"
    assert re.search(r"tend-export-\d{4}-\d{2}-\d{2}\.csv", response.headers["Content-Disposition"])
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    # No tombstone; the notes (one about each kind a note may be about) come last.
    assert [row["kind"] for row in rows] == [*ENTRY_KINDS, "supervision_note", "supervision_note"]
    checkin = rows[0]
    assert (checkin["tank"], checkin["work_share"], checkin["lean_client"]) == ("2", "70", "-2")
    assert checkin["note"] == "'=SUM(A1) long day"
    assert checkin["safety_session"] == "false"
    by_kind = {row["kind"]: row for row in rows}
    assert json.loads(by_kind["reflection"]["problems"])[0]["whose"] == "mine"
    notes = [row["text"] for row in rows if row["kind"] == "supervision_note"]
    assert "'+ why the freeze?" in notes
    assert by_kind["break"]["note"] == "'@ the sea"
    assert by_kind["break"]["tank"] == ""
    pulse = by_kind["pulse"]
    assert {key: pulse[f"pulse_{key}"] for key in PULSE_ANSWERS} == {
        key: str(value) for key, value in PULSE_ANSWERS.items()}  # numbers, not labels
    assert (pulse["week_start"], pulse["note"], pulse["tank"]) == ("2026-03-02", "'-ish week", "")
    assert by_kind["break"]["pulse_gave_back"] == ""


def test_every_field_of_every_kind_has_a_csv_column():
    # A pulse's answers are spread out, one column per statement (pulse_<key>).
    for _, schema in ENTRY_KINDS.values():
        assert set(schema().fields) - {"deleted", "answers"} <= set(CSV_COLUMNS)
    assert {f"pulse_{statement.key}" for statement in STATEMENTS} <= set(CSV_COLUMNS)


def test_an_export_holds_only_the_persons_own_entries(app, member, other_member):
    some_of_everything(app)
    assert export(other_member)["entries"] == []
    assert other_member.client.get("/account/export.csv").get_data(as_text=True).count("\n") == 1


# Importing a Tend export -------------------------------------------------------------------


def mapped(document, ids):
    """Entries without their ids, references mapped, for comparing across accounts."""
    return sorted(
        (json.dumps(entry | {"id": ids[entry["id"]], "about_id": ids.get(entry.get("about_id"))},
                    sort_keys=True) for entry in document["entries"]),
    )


def test_an_export_imported_into_a_new_account_comes_out_the_same(app, member, other_member):
    some_of_everything(app)
    member.fetch_token("/practices")
    member.post("/practices", {"name": "Walk the dog", "micro": "1"})
    with app.app_context():
        key = db.session.scalar(select(Practice.key).where(Practice.name == "Walk the dog"))
    fill(app, "sam@example.org", ("practice_done", {"id": str(uuid.uuid4()), "practice": key}))
    first = export(member)
    text = json.dumps(first)

    preview = upload(other_member, text).get_data(as_text=True)
    assert "Check-ins" in preview and "Walk the dog" in preview
    assert f"Import {len(first['entries'])} entries" in preview
    report = confirm(other_member, text)
    assert report.status_code == 200
    assert counts(report.get_data(as_text=True))["New entries"] == len(first["entries"])

    second = export(other_member)
    with app.app_context():
        user = db.session.get(User, user_id(app, "alex@example.org"))
        tag = user_tag(user, app.secret_key)
        new_key = db.session.scalar(
            select(Practice.key).where(Practice.user_id == user.id,
                                      Practice.name == "Walk the dog"))
    ids = {entry["id"]: str(uuid.uuid5(imports.ID_NAMESPACE, f"{tag}:{entry['id']}"))
           for entry in first["entries"]}
    ids[None] = None
    for entry in first["entries"]:
        if entry.get("practice") == key:
            entry["practice"] = new_key
    assert mapped(first, ids) == sorted(json.dumps(entry | {"about_id": entry.get("about_id")},
                                                   sort_keys=True)
                                        for entry in second["entries"])
    again = counts(confirm(other_member, text).get_data(as_text=True))
    assert again["New entries"] == 0 and again["Already here, unchanged"] == len(first["entries"])
    assert export(other_member)["entries"] == second["entries"]


def test_a_note_about_a_checkin_points_at_the_imported_checkin(app, member, other_member):
    checkin = some_of_everything(app)
    confirm(other_member, json.dumps(export(member)))
    notes = [entry for entry in export(other_member)["entries"]
             if entry["kind"] == "supervision_note" and entry["about_kind"] == "checkin"]
    with app.app_context():
        about = db.session.get(CheckIn, notes[0]["about_id"])
        assert about.user_id == user_id(app, "alex@example.org") and about.id != checkin
        assert db.session.get(CheckIn, checkin).user_id == user_id(app, "sam@example.org")


def test_notes_about_a_reflection_and_a_pulse_point_at_the_imported_ones(app, member,
                                                                         other_member):
    some_of_everything(app)
    first = export(member)
    report = counts(confirm(other_member, json.dumps(first)).get_data(as_text=True))
    assert report["New entries"] == len(first["entries"])  # none refused
    entries = export(other_member)["entries"]
    mine = {(entry["kind"], entry["id"]) for entry in entries}
    about = {entry["about_kind"]: entry["about_id"] for entry in entries
             if entry["kind"] == "supervision_note"}
    assert {("reflection", about["reflection"]), ("pulse", about["pulse"])} <= mine
    assert "the reflection</a>" in other_member.client.get("/supervision").get_data(as_text=True)


def test_importing_ones_own_export_changes_nothing_of_the_original(app, member):
    some_of_everything(app)
    before = export(member)["entries"]
    report = counts(confirm(member, json.dumps(export(member))).get_data(as_text=True))
    assert report["New entries"] == len(before)  # copies with new ids, the originals untouched
    assert [entry for entry in export(member)["entries"] if entry["id"] in
            {old["id"] for old in before}] == before


def test_settings_come_in_only_when_the_person_has_none(app, member, other_member):
    member.fetch_token("/reminders")
    member.post("/reminders", {"mode": "end_of_day", "end_of_day": "18:00", "enabled": "1"})
    member.fetch_token("/supervision")
    member.post("/supervision/date", {"supervision_on": "2026-12-03"})
    text = json.dumps(export(member))
    assert "The reminder plan in the file will be yours." in upload(other_member, text).get_data(
        as_text=True)
    confirm(other_member, text)
    alex = user_id(app, "alex@example.org")
    with app.app_context():
        plan = db.session.get(ReminderSettings, alex)
        assert (plan.mode, plan.end_of_day.isoformat(), plan.enabled) == ("end_of_day", "18:00:00",
                                                                          True)
        assert db.session.get(CareSettings, alex).supervision_on.isoformat() == "2026-12-03"
    other_member.fetch_token("/reminders")
    other_member.post("/reminders", {"mode": "end_of_day", "end_of_day": "20:00"})
    page = confirm(other_member, text).get_data(as_text=True)
    assert "Your reminder plan stays as it is" in page
    with app.app_context():
        assert db.session.get(ReminderSettings, alex).end_of_day.isoformat() == "20:00:00"


def test_bad_entries_are_refused_with_reasons_and_the_rest_imported(app, member):
    document = {"format": "tend-export", "version": 1, "entries": [
        {"kind": "checkin", "id": "a", "created_at": stamp(), "updated_at": stamp(), "tank": 9},
        {"kind": "moodlog", "id": "b", "created_at": stamp(), "updated_at": stamp()},
        {"kind": "checkin", "id": "c", "created_at": stamp(), "updated_at": stamp(), "tank": 3},
        "not an entry",
    ]}
    text = json.dumps(document)
    assert "Entry 4: This entry has no id" in upload(member, text).get_data(as_text=True)
    page = confirm(member, text).get_data(as_text=True)
    assert counts(page)["New entries"] == 1 and counts(page)["Refused"] == 2
    assert "Choose a level from 1 (empty) to 5 (full)." in page
    assert "not known here" in page


# Importing from Daylio ---------------------------------------------------------------------

DAYLIO = DAYLIO_HEADER + (
    "2026-03-01,March 1,Sunday,21:30,good,A glass of WATER | Walk the dog,Tired,long week\n"
    "2026-03-01,March 1,Sunday,8:05 am,Awful,,,\n"
    "2026-03-02,March 2,Monday,12:00,ecstatic,,,\n"
    "2026-02-30,February 30,Monday,12:00,meh,,,\n"
    '2026-03-03,March 3,Tuesday,07:15,bad,,,"client Sarah\ncried"\n'
    "2026-03-04,March 4,Wednesday,25:99,rad,,,\n"
)


def daylio_checkins(app, email="sam@example.org"):
    with app.app_context():
        rows = db.session.scalars(select(CheckIn).where(CheckIn.user_id == user_id(app, email))
                                  .order_by(CheckIn.created_at)).all()
        return [(row.created_at, row.tank, row.note) for row in rows]


def test_the_daylio_preview_explains_each_row_and_saves_nothing(app, member):
    response = upload(member, DAYLIO, "daylio.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "6 rows, 3 understood" in page
    assert "Line 4: mood &#39;ecstatic&#39; is not one of Daylio&#39;s five" in page
    assert "Line 5: the date &#39;2026-02-30&#39;" in page
    assert "Line 8: the date &#39;2026-03-04&#39; and time &#39;25:99&#39;" in page
    assert "Line 6: what looks like a name: Sarah" in page
    assert "Walk the dog" in page  # a practice to add
    assert "Import 5 entries" in page
    assert 'name="keep_flagged_notes" value="1">' in page and "checked" not in page
    assert daylio_checkins(app) == []


def test_daylio_rows_become_checkins_and_practices_done(app):
    session = Session(app.test_client())
    session.register(timezone="Europe/London")
    page = confirm(session, DAYLIO).get_data(as_text=True)
    assert counts(page)["New entries"] == 5
    assert "Walk the dog" in page
    assert daylio_checkins(app) == [
        (datetime(2026, 3, 1, 8, 5, tzinfo=UTC), 1, None),
        (datetime(2026, 3, 1, 21, 30, tzinfo=UTC), 4, "Tired — long week"),
        (datetime(2026, 3, 3, 7, 15, tzinfo=UTC), 2, None),  # the flagged note left out
    ]
    with app.app_context():
        done = db.session.scalars(select(PracticeDone.practice)).all()
        walk = db.session.scalar(select(Practice.key).where(Practice.name == "Walk the dog"))
    assert sorted(done) == sorted(["water", walk])


def test_daylio_times_are_the_persons_local_time(app):
    session = Session(app.test_client())
    session.register(timezone="America/New_York")
    confirm(session, DAYLIO_HEADER + "2026-07-01,July 1,Wednesday,9:00 PM,meh,,,\n")
    assert daylio_checkins(app)[0][0] == datetime(2026, 7, 2, 1, 0, tzinfo=UTC)


def test_flagged_notes_are_kept_when_the_person_says_so(app, member):
    confirm(member, DAYLIO, keep_flagged=True)
    assert "client Sarah\ncried" in [note for _, _, note in daylio_checkins(app)]


def test_a_long_note_is_cut_with_a_notice(app, member):
    text = DAYLIO_HEADER + f"2026-03-01,x,y,10:00,meh,,Title,{'a' * 400}\n"
    assert "Line 2: the note was cut to 280 characters" in upload(member, text).get_data(
        as_text=True)
    confirm(member, text)
    assert len(daylio_checkins(app)[0][2]) == 280


def test_importing_the_same_daylio_file_twice_adds_nothing(app, member):
    confirm(member, DAYLIO)
    again = counts(confirm(member, DAYLIO).get_data(as_text=True))
    assert again["New entries"] == 0 and again["Already here, unchanged"] == 5
    with app.app_context():
        assert db.session.scalar(select(Practice.id).where(Practice.name == "Walk the dog"))
        assert len(db.session.scalars(select(Practice).where(
            Practice.name == "Walk the dog")).all()) == 1


def test_a_daylio_file_from_windows_reads_the_same(app, member):
    confirm(member, DAYLIO.replace("\n", "\r\n"))
    again = counts(confirm(member, DAYLIO).get_data(as_text=True))
    assert again["New entries"] == 0


# Files that cannot be imported -------------------------------------------------------------


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe\x00bad", "could not be read as text"),
    (b"name,number\nx,1\n", "neither a Tend export"),
    (b'{"format": "tend-export", "version": 1', "not complete or valid JSON"),
    (b'{"format": "something-else"}', "neither a Tend export"),
    (b'{"format": "tend-export", "version": 7}', "newer Tend"),
])
def test_a_file_that_cannot_be_imported_says_why(member, content, message):
    response = upload(member, content, "mystery.txt")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'id="import-file-error"' in page and 'aria-invalid="true"' in page


def test_no_file_chosen(member):
    member.fetch_token("/account/data")
    response = member.post("/account/data/import", {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose the file to import." in response.get_data(as_text=True)


@pytest.mark.parametrize("size", [imports.MAX_BYTES + 1, 3 * imports.MAX_BYTES])
def test_a_file_over_five_megabytes_is_refused_kindly(member, size):
    response = upload(member, b"a" * size, "huge.csv")
    assert response.status_code == 422
    assert "larger than 5 MB" in response.get_data(as_text=True)


def test_a_file_just_under_the_limit_is_read(member):
    start = '{"format": "tend-export", "version": 1, "entries": [], "padding": "'
    padded = start + "a" * (imports.MAX_BYTES - len(start) - 2) + '"}'
    response = upload(member, padded, "big.json")
    assert response.status_code == 200
    assert "nothing in this file that Tend can import" in response.get_data(as_text=True)


def test_a_csv_field_too_big_to_read_is_refused(member):
    response = upload(member, DAYLIO_HEADER + "2026-03-01,x,y,10:00,meh,,," + "a" * 200_000)
    assert response.status_code == 422
    assert "Line 2 of this CSV cannot be read" in response.get_data(as_text=True)


def test_an_import_without_the_csrf_token_is_refused(app, member):
    response = member.client.post("/account/data/import/confirm",
                                  data={"content": DAYLIO})
    assert response.status_code == 400
    assert daylio_checkins(app) == []
