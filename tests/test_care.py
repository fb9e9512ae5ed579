"""Supervision notes, the next supervision and its reminder, and the leave clock: over
HTTP as the pages and the outbox send them, and the pure leave-clock rule."""
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.test_pulse import take
from tests.test_push_api import Phone
from tests.test_reflect import reflection_form
from tests.test_reminders import sender_for
from tests.test_sync_api import Device
from webapp.extensions import db
from webapp.models import (
    Break,
    CareSettings,
    ReminderDelivery,
    ReminderSettings,
    SupervisionNote,
    User,
)
from webapp.services import reminders
from webapp.services.care import checkin_summary, leave_clock
from webapp.services.clock import utcnow

NOTE = "Why do I freeze when a family gets angry with me?"


def write_note(member, text=NOTE, htmx=True, **fields):
    """Add a note from the supervision page, as its form sends it; the response and id."""
    member.fetch_token("/supervision")
    note_id = fields.pop("id", str(uuid.uuid4()))
    data = {"entry_kind": "supervision_note", "id": note_id, "text": text} | fields
    return member.post("/supervision/notes", data, htmx=htmx), note_id


def stored(app, model, entry_id):
    with app.app_context():
        entry = db.session.get(model, entry_id)
        if entry is not None:
            db.session.expunge(entry)
        return entry


def count(app, model):
    with app.app_context():
        return len(db.session.scalars(select(model)).all())


def page(member, path):
    response = member.client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# Supervision notes ------------------------------------------------------------------------


def test_the_pages_need_a_sign_in(client):
    assert client.get("/supervision").status_code == 302
    assert client.get("/breaks").status_code == 302


@pytest.mark.parametrize("htmx", [True, False])
def test_a_note_is_saved_and_listed_to_bring(app, member, htmx):
    response, note_id = write_note(member, htmx=htmx)
    if htmx:
        assert response.status_code == 200
        answer = response.get_data(as_text=True)
        assert "Added to the list." in answer and NOTE in answer
        assert 'id="note-lists" aria-label="Your notes" hx-swap-oob="true"' in answer
        assert 'id="new-note-field" hx-swap-oob="true"' in answer and "</textarea>" in answer
    else:
        assert response.status_code == 302 and response.location.endswith("/supervision")
    note = stored(app, SupervisionNote, note_id)
    assert (note.text, note.discussed_at, note.about_id, note.deleted) == (NOTE, None, None, False)
    listed = page(member, "/supervision")
    assert "To bring (1)" in listed and NOTE in listed


def test_the_newest_note_comes_first(member):
    write_note(member, "first thought")
    write_note(member, "second thought")
    listed = page(member, "/supervision")
    assert listed.index("second thought") < listed.index("first thought")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write the thought you want to bring."),
        ("   ", "Write the thought you want to bring."),
        ("x" * 501, "Keep the note to 500 characters."),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_a_bad_note_is_explained_next_to_the_field_and_not_saved(app, member, text, message,
                                                                  htmx):
    response, _ = write_note(member, text, htmx=htmx)
    assert response.status_code == 422
    answer = response.get_data(as_text=True)
    assert message in answer and 'id="new-note-error"' in answer
    assert count(app, SupervisionNote) == 0


def test_a_note_with_a_broken_id_is_refused_not_crashed(app, member):
    response, _ = write_note(member, id="not-a-uuid")
    assert response.status_code == 422
    assert "This entry&#39;s id is not valid" in response.get_data(as_text=True)
    assert count(app, SupervisionNote) == 0


@pytest.mark.parametrize("htmx", [True, False])
def test_a_note_that_may_identify_a_client_waits_for_a_second_look(app, member, htmx):
    text = "Client Sarah Jones said she'd call 0161 496 0000 after the session"
    response, note_id = write_note(member, text, htmx=htmx)
    assert response.status_code == 422
    answer = response.get_data(as_text=True)
    assert "what looks like a name: Sarah" in answer
    assert "what looks like a phone number: 0161 496 0000" in answer
    assert 'name="confirm_identifiers" value="1"' in answer and "Save anyway" in answer
    assert "Client Sarah Jones said" in answer  # kept as typed
    assert stored(app, SupervisionNote, note_id) is None

    response, _ = write_note(member, text, htmx=htmx, id=note_id, confirm_identifiers="1")
    assert response.status_code in (200, 302)
    assert stored(app, SupervisionNote, note_id).text == text


def test_a_note_about_my_own_work_saves_without_a_warning(app, member):
    response, note_id = write_note(member, "My 3 pm client left me rattled; what was mine?")
    assert response.status_code == 200
    assert "Save anyway" not in response.get_data(as_text=True)
    assert stored(app, SupervisionNote, note_id) is not None


def mark(member, note_id, discussed_at, htmx=True):
    member.fetch_token("/supervision")
    data = {"entry_kind": "supervision_note", "id": note_id, "entry_action": "update",
            "discussed_at": discussed_at}
    return member.post(f"/supervision/notes/{note_id}/discussed", data, htmx=htmx)


@pytest.mark.parametrize("htmx", [True, False])
def test_a_note_marked_discussed_moves_to_discussed_with_its_date_and_can_come_back(
    app, member, htmx
):
    _, note_id = write_note(member)
    moment = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    response = mark(member, note_id, moment.isoformat(), htmx=htmx)
    assert response.status_code == (200 if htmx else 302)
    if htmx:
        assert "Moved to discussed." in response.get_data(as_text=True)
    assert stored(app, SupervisionNote, note_id).discussed_at == moment
    listed = page(member, "/supervision")
    assert "To bring (" not in listed and "Discussed Friday 20 November" in listed
    assert "Not yet discussed" in listed

    response = mark(member, note_id, "", htmx=htmx)
    assert response.status_code == (200 if htmx else 302)
    assert stored(app, SupervisionNote, note_id).discussed_at is None
    assert "To bring (1)" in page(member, "/supervision")


@pytest.mark.parametrize("htmx", [True, False])
def test_a_discussed_time_that_is_not_a_time_is_refused(app, member, htmx):
    _, note_id = write_note(member)
    response = mark(member, note_id, "last Tuesday", htmx=htmx)
    assert response.status_code == (422 if htmx else 302)
    assert "reload the page and try again" in (
        response.get_data(as_text=True) if htmx else page(member, "/supervision")
    )
    assert stored(app, SupervisionNote, note_id).discussed_at is None


@pytest.mark.parametrize("htmx", [True, False])
def test_a_deleted_note_is_kept_as_a_tombstone_and_leaves_the_list(app, member, htmx):
    _, note_id = write_note(member)
    member.fetch_token("/supervision")
    response = member.post(f"/supervision/notes/{note_id}/delete",
                           {"entry_kind": "supervision_note", "id": note_id,
                            "entry_action": "delete"}, htmx=htmx)
    assert response.status_code == (200 if htmx else 302)
    assert stored(app, SupervisionNote, note_id).deleted is True
    assert NOTE not in page(member, "/supervision")
    assert member.post(f"/supervision/notes/{note_id}/delete", htmx=True).status_code == 404


def test_the_outbox_can_create_mark_and_delete_a_note_through_sync(app, member):
    device = Device(member.client)
    note_id, at = str(uuid.uuid4()), utcnow().replace(microsecond=0)
    new = {"kind": "supervision_note", "id": note_id, "created_at": at.isoformat(),
           "updated_at": at.isoformat(), "deleted": False, "text": NOTE}
    assert device.sync(new)["results"][0]["status"] == "created"
    discussed = {"kind": "supervision_note", "id": note_id, "discussed_at": at.isoformat(),
                 "updated_at": (at + timedelta(seconds=1)).isoformat()}
    assert device.sync(discussed)["results"][0]["status"] == "updated"
    assert stored(app, SupervisionNote, note_id).discussed_at == at
    gone = {"kind": "supervision_note", "id": note_id, "deleted": True,
            "updated_at": (at + timedelta(seconds=2)).isoformat()}
    assert device.sync(gone)["results"][0]["status"] == "updated"
    assert stored(app, SupervisionNote, note_id).deleted is True


def test_the_sync_api_explains_a_bad_note(member):
    device = Device(member.client)
    at = utcnow().isoformat()
    [result] = device.sync({"kind": "supervision_note", "id": str(uuid.uuid4()),
                            "created_at": at, "updated_at": at, "text": "x" * 501})["results"]
    assert result["status"] == "rejected"
    assert result["errors"] == {"text": ["Keep the note to 500 characters."]}


# Bringing a check-in to supervision -------------------------------------------------------


def test_a_check_in_page_offers_to_bring_it_with_a_short_summary(member):
    _, checkin_id = member.check_in(tank=2)
    member.post(f"/checkins/{checkin_id}/note", {"note": "long day"}, htmx=True)
    shown = page(member, f"/checkins/{checkin_id}")
    assert 'action="/supervision/notes"' in shown and "data-new-entry" in shown
    assert f'name="about_id" value="{checkin_id}"' in shown
    assert ": running low; \u201clong day\u201d</textarea>" in shown


def bring(member, checkin_id, text="Check-in: running low", htmx=True, **fields):
    member.fetch_token(f"/checkins/{checkin_id}")
    note_id = str(uuid.uuid4())
    data = {"entry_kind": "supervision_note", "id": note_id, "text": text,
            "about_kind": "checkin", "about_id": checkin_id} | fields
    return member.post("/supervision/notes", data, htmx=htmx), note_id


@pytest.mark.parametrize("htmx", [True, False])
def test_bringing_a_check_in_makes_a_note_that_links_back_to_it(app, member, htmx):
    _, checkin_id = member.check_in(tank=2)
    response, note_id = bring(member, checkin_id, htmx=htmx)
    if htmx:
        assert response.status_code == 200
        assert "Added to your" in response.get_data(as_text=True)
    else:
        assert response.status_code == 302
        assert response.location.endswith(f"/checkins/{checkin_id}")
        assert "Added to your notes for supervision." in page(member, f"/checkins/{checkin_id}")
    note = stored(app, SupervisionNote, note_id)
    assert (note.about_kind, note.about_id) == ("checkin", checkin_id)
    assert f'href="/checkins/{checkin_id}">the check-in</a>' in page(member, "/supervision")


def test_a_note_about_a_check_in_deleted_since_keeps_no_broken_link(member):
    _, checkin_id = member.check_in(tank=2)
    bring(member, checkin_id)
    member.post(f"/checkins/{checkin_id}/delete", htmx=True)
    listed = page(member, "/supervision")
    assert "Check-in: running low" in listed and f"/checkins/{checkin_id}" not in listed


@pytest.mark.parametrize("htmx", [True, False])
def test_bringing_a_check_in_is_guarded_like_any_note(app, member, htmx):
    _, checkin_id = member.check_in(tank=2)
    response, note_id = bring(member, checkin_id, text="Mr Okafor again", htmx=htmx)
    assert response.status_code == 422
    answer = response.get_data(as_text=True)
    assert "what looks like a name: Okafor" in answer and 'id="bring-identifiers"' in answer
    assert ">Mr Okafor again</textarea>" in answer
    assert stored(app, SupervisionNote, note_id) is None


def test_another_persons_check_in_cannot_be_referenced(app, member, other_member):
    _, theirs = other_member.check_in(tank=1)
    _, mine = member.check_in(tank=4)
    response, note_id = bring(member, mine, about_id=theirs)
    assert response.status_code == 422
    assert "This entry cannot be found." in response.get_data(as_text=True)
    assert stored(app, SupervisionNote, note_id) is None

    at = utcnow().isoformat()
    [result] = Device(member.client).sync({
        "kind": "supervision_note", "id": str(uuid.uuid4()), "created_at": at,
        "updated_at": at, "text": "theirs", "about_kind": "checkin", "about_id": theirs,
    })["results"]
    assert result == {"id": result["id"], "status": "rejected",
                      "errors": {"about_id": ["This entry cannot be found."]}}
    assert count(app, SupervisionNote) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"about_kind": "break"},
         "A note can be about a check-in, a reflection or a weekly pulse."),
        ({"about_id": "not-an-id"}, "This entry cannot be found."),
        ({"about_kind": ""}, "Say both what kind of entry this is about and its id."),
    ],
)
def test_a_note_about_something_unknown_is_refused(app, member, fields, message):
    _, checkin_id = member.check_in(tank=2)
    response, _ = bring(member, checkin_id, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, SupervisionNote) == 0


def test_the_summary_names_the_parts_of_the_check_in(app, member):
    _, checkin_id = member.check_in(tank=1)
    member.post(f"/checkins/{checkin_id}/share", {"work_share": "80"}, htmx=True)
    member.post(f"/checkins/{checkin_id}/leans", {"lean_personal": "2"}, htmx=True)
    with app.app_context():
        from webapp.models import CheckIn

        checkin = db.session.get(CheckIn, checkin_id)
        checkin.created_at = datetime(2026, 11, 16, 14, 5, tzinfo=UTC)
        summary = checkin_summary(checkin, "Europe/London")
    assert summary == ("Check-in, Monday 16 November 2:05 PM: empty; carried 80 % of the "
                       "session; well toward pushing through")


# Bringing a reflection or this week's pulse to supervision ---------------------------------


def write_reflection(member, problem="Keeps cancelling late", next_step="ask for a case review"):
    """Save a "Stuck with a case?" reflection from its form; its id."""
    member.fetch_token("/reflect/stuck")
    form = reflection_form(problems=(problem,), next_step=next_step)
    assert member.post("/reflect/stuck", form).status_code == 302
    return form["id"]


def take_pulse(member):
    """Take this week's pulse from its page; its id."""
    response, pulse_id = take(member, htmx=False)
    assert response.status_code == 302
    return pulse_id


def bring_entry(member, kind, entry_id, page_path, text="About this one", htmx=True, **fields):
    """Send the "Bring to supervision" form of an entry's page; the response and note id."""
    member.fetch_token(page_path)
    note_id = str(uuid.uuid4())
    data = {"entry_kind": "supervision_note", "id": note_id, "text": text,
            "about_kind": kind, "about_id": entry_id} | fields
    return member.post("/supervision/notes", data, htmx=htmx), note_id


def test_a_reflection_page_offers_to_bring_it_with_a_short_summary(member):
    reflection_id = write_reflection(member)
    shown = page(member, f"/reflect/reflections/{reflection_id}")
    assert "Bring to supervision" in shown and 'action="/supervision/notes"' in shown
    assert 'name="about_kind" value="reflection"' in shown
    assert f'name="about_id" value="{reflection_id}"' in shown
    assert ": Keeps cancelling late; next: ask for a case review</textarea>" in shown


@pytest.mark.parametrize("htmx", [True, False])
def test_bringing_a_reflection_makes_a_note_that_links_back_to_it(app, member, htmx):
    reflection_id = write_reflection(member)
    reflection_page = f"/reflect/reflections/{reflection_id}"
    response, note_id = bring_entry(member, "reflection", reflection_id, reflection_page,
                                    htmx=htmx)
    if htmx:
        assert response.status_code == 200
        assert "Added to your" in response.get_data(as_text=True)
    else:
        assert response.status_code == 302 and response.location.endswith(reflection_page)
        assert "Added to your notes for supervision." in page(member, reflection_page)
    note = stored(app, SupervisionNote, note_id)
    assert (note.text, note.about_kind, note.about_id) == ("About this one", "reflection",
                                                           reflection_id)
    listed = page(member, "/supervision")
    assert f'href="{reflection_page}">the reflection</a>' in listed
    assert "Keeps cancelling late" in page(member, reflection_page)


def test_the_pulse_page_offers_to_bring_this_weeks_pulse_once_taken(member):
    assert 'name="about_kind"' not in page(member, "/reflect/pulse")
    response, pulse_id = take(member, htmx=True)
    answer = response.get_data(as_text=True)
    assert 'id="pulse-bring" hx-swap-oob="true"' in answer
    assert f'name="about_id" value="{pulse_id}"' in answer
    shown = page(member, "/reflect/pulse")
    assert 'name="about_kind" value="pulse"' in shown
    assert f'name="about_id" value="{pulse_id}"' in shown
    assert ("what the work gave back 9 of 10; wear and tiredness 4 of 10; "
            "carrying it home 4 of 10</textarea>") in shown


@pytest.mark.parametrize("htmx", [True, False])
def test_bringing_the_pulse_makes_a_note_that_links_back_to_the_pulse_page(app, member, htmx):
    pulse_id = take_pulse(member)
    response, note_id = bring_entry(member, "pulse", pulse_id, "/reflect/pulse", htmx=htmx)
    if htmx:
        assert response.status_code == 200
        assert "Added to your" in response.get_data(as_text=True)
    else:
        assert response.status_code == 302 and response.location.endswith("/reflect/pulse")
        assert "Added to your notes for supervision." in page(member, "/reflect/pulse")
    note = stored(app, SupervisionNote, note_id)
    assert (note.about_kind, note.about_id) == ("pulse", pulse_id)
    assert 'href="/reflect/pulse">that week&#39;s pulse</a>' in page(member, "/supervision")


@pytest.mark.parametrize("htmx", [True, False])
def test_bringing_a_reflection_is_guarded_like_any_note(app, member, htmx):
    reflection_id = write_reflection(member)
    response, note_id = bring_entry(member, "reflection", reflection_id,
                                    f"/reflect/reflections/{reflection_id}",
                                    text="Mr Okafor again", htmx=htmx)
    assert response.status_code == 422
    answer = response.get_data(as_text=True)
    assert "what looks like a name: Okafor" in answer and 'id="bring-identifiers"' in answer
    assert ">Mr Okafor again</textarea>" in answer
    if not htmx:
        assert "Keeps cancelling late" in answer  # the reflection's own page again
    assert stored(app, SupervisionNote, note_id) is None


def test_another_persons_reflection_or_pulse_cannot_be_referenced(app, member, other_member):
    theirs = write_reflection(other_member, problem="Their own stuck case")
    their_pulse = take_pulse(other_member)
    mine = write_reflection(member)
    for kind, entry_id in (("reflection", theirs), ("pulse", their_pulse)):
        response, note_id = bring_entry(member, kind, entry_id, f"/reflect/reflections/{mine}")
        assert response.status_code == 422
        answer = response.get_data(as_text=True)
        assert "This entry cannot be found." in answer and "Their own stuck case" not in answer
        assert stored(app, SupervisionNote, note_id) is None

        at = utcnow().isoformat()
        [result] = Device(member.client).sync({
            "kind": "supervision_note", "id": str(uuid.uuid4()), "created_at": at,
            "updated_at": at, "text": "theirs", "about_kind": kind, "about_id": entry_id,
        })["results"]
        assert result == {"id": result["id"], "status": "rejected",
                          "errors": {"about_id": ["This entry cannot be found."]}}
    assert count(app, SupervisionNote) == 0


@pytest.mark.parametrize("htmx", [True, False])
def test_a_reflection_deleted_before_the_note_was_sent_is_not_its_subject(app, member, htmx):
    reflection_id = write_reflection(member)
    reflection_page = f"/reflect/reflections/{reflection_id}"
    member.fetch_token(reflection_page)
    member.post(f"{reflection_page}/delete", htmx=True)
    response, note_id = bring_entry(member, "reflection", reflection_id, "/supervision",
                                    text="Still on my mind", htmx=htmx)
    assert response.status_code == 422
    answer = response.get_data(as_text=True)
    assert "What this note is about has been deleted, so it was not saved." in answer
    assert ">Still on my mind</textarea>" in answer
    if not htmx:  # the supervision page, to keep the thought as a note of its own
        assert 'id="new-note-form"' in answer and 'name="about_kind"' not in answer
    assert stored(app, SupervisionNote, note_id) is None


def test_a_note_about_a_reflection_deleted_since_keeps_no_broken_link(app, member):
    reflection_id = write_reflection(member)
    reflection_page = f"/reflect/reflections/{reflection_id}"
    _, note_id = bring_entry(member, "reflection", reflection_id, reflection_page)
    assert reflection_page in page(member, "/supervision")
    member.post(f"{reflection_page}/delete", htmx=True)
    listed = page(member, "/supervision")
    assert "About this one" in listed and reflection_page not in listed
    # The note still changes: its reference is to the person's own entry, deleted or not.
    mark = member.post(f"/supervision/notes/{note_id}/discussed",
                       {"discussed_at": utcnow().isoformat()}, htmx=True)
    assert mark.status_code == 200 and stored(app, SupervisionNote, note_id).discussed_at


def test_the_sync_api_takes_a_note_about_a_reflection_and_explains_an_unknown_kind(
        app, member):
    reflection_id = write_reflection(member)
    device = Device(member.client)
    at = utcnow().isoformat()
    note = {"kind": "supervision_note", "created_at": at, "updated_at": at, "text": "this one"}
    about = {"about_kind": "reflection", "about_id": reflection_id}
    unknown = {"about_kind": "break", "about_id": reflection_id}
    taken, refused = device.sync(note | about | {"id": str(uuid.uuid4())},
                                 note | unknown | {"id": str(uuid.uuid4())})["results"]
    assert taken["status"] == "created"
    assert (stored(app, SupervisionNote, taken["id"]).about_kind) == "reflection"
    assert refused["status"] == "rejected" and refused["errors"] == {
        "about_kind": ["A note can be about a check-in, a reflection or a weekly pulse."]}
    assert f'href="/reflect/reflections/{reflection_id}">the reflection</a>' in page(
        member, "/supervision")


# Who can reach what -----------------------------------------------------------------------


def test_another_person_reaches_none_of_my_notes_or_breaks(app, member, other_member):
    _, note_id = write_note(member)
    break_id = log_break(member, "2026-10-01", "2026-10-10")[1]
    assert NOTE not in page(other_member, "/supervision")
    assert "1 October 2026" not in page(other_member, "/breaks")
    other_member.fetch_token("/supervision")
    for path in (f"/supervision/notes/{note_id}/discussed", f"/supervision/notes/{note_id}/delete",
                 f"/breaks/{break_id}/delete"):
        for htmx in (True, False):
            response = other_member.post(path, {"discussed_at": utcnow().isoformat()}, htmx=htmx)
            assert response.status_code == 404
    response, _ = write_note(other_member, "mine now", id=note_id)
    assert response.status_code == 404
    note = stored(app, SupervisionNote, note_id)
    assert (note.text, note.discussed_at, note.deleted) == (NOTE, None, False)
    assert stored(app, Break, break_id).deleted is False


# The next supervision and its reminder ----------------------------------------------------


def set_supervision(member, on, reminder="1"):
    member.fetch_token("/supervision")
    return member.post("/supervision/date", {"supervision_on": on,
                                             "supervision_reminder": ["0", reminder]})


def test_the_next_supervision_date_and_reminder_are_kept(app, member):
    response = set_supervision(member, "2026-12-03")
    assert response.status_code == 302
    shown = page(member, "/supervision")
    assert 'value="2026-12-03"' in shown and "Supervision date saved." in shown
    assert "3 December 2026</a>, with a reminder the day before." in shown
    with app.app_context():
        settings = db.session.scalar(select(CareSettings))
        assert (settings.supervision_on, settings.supervision_reminder) == (date(2026, 12, 3), True)
    set_supervision(member, "", "0")
    with app.app_context():
        settings = db.session.scalar(select(CareSettings))
        assert (settings.supervision_on, settings.supervision_reminder) == (None, False)


def test_a_supervision_date_that_is_not_a_date_is_explained(app, member):
    set_supervision(member, "2026-12-03")
    response = set_supervision(member, "next Thursday")
    assert response.status_code == 422
    assert "Give the date as a day, e.g. 2026-12-03." in response.get_data(as_text=True)
    assert 'value="next Thursday"' in response.get_data(as_text=True)
    assert 'id="new-note-error"' not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CareSettings.supervision_on)) == date(2026, 12, 3)


# 3 December 2026 in New York; the reminder is due on 2 December at 17:00 there (22:00 UTC).
SUPERVISION_DAY = date(2026, 12, 3)
DUE = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)


@pytest.fixture
def supervised(app, member, push_service):
    """A member in New York with a phone, three notes (one discussed) and supervision on
    3 December with the reminder on."""
    with app.app_context():
        db.session.scalar(select(User)).timezone = "America/New_York"
        db.session.commit()
    device = Phone(member.client, push_service)
    assert device.subscribe().status_code == 201
    for text in ("one", "two", "three"):
        _, note_id = write_note(member, text)
    mark(member, note_id, utcnow().isoformat())
    assert set_supervision(member, SUPERVISION_DAY.isoformat()).status_code == 302
    return device


def remind(app, now):
    with app.app_context():
        sender = sender_for(app)
        reminders.remind_of_supervision(
            now, vapid=sender["vapid"], session=sender["session"], url=sender["url"]
        )
        sender["session"].close()


def test_the_day_before_supervision_a_reminder_names_the_notes_to_bring_once(
    app, supervised, push_service
):
    remind(app, DUE - timedelta(minutes=1))
    assert push_service.delivered(supervised.browser) == []
    remind(app, DUE)
    [push] = push_service.delivered(supervised.browser)
    assert push.notification["title"] == "Supervision tomorrow: 2 notes to bring"
    assert push.notification["navigate"] == f"{app.config['PUBLIC_URL']}/supervision"
    assert int(push.headers["ttl"]) == 7 * 3600  # until the day begins there
    remind(app, DUE + timedelta(minutes=1))
    remind(app, DUE + timedelta(hours=3))
    assert len(push_service.delivered(supervised.browser)) == 1
    with app.app_context():
        delivery = db.session.scalar(select(ReminderDelivery))
        assert (delivery.slot_key, delivery.status) == ("supervision:2026-12-03", "supervision")


def test_the_reminder_comes_at_the_end_of_the_persons_day(app, member, supervised,
                                                          push_service):
    with app.app_context():
        db.session.add(ReminderSettings(user_id=db.session.scalar(select(User.id)),
                                        end_of_day=time(18, 30)))
        db.session.commit()
    remind(app, DUE)
    assert push_service.delivered(supervised.browser) == []
    remind(app, DUE + timedelta(minutes=90))
    assert len(push_service.delivered(supervised.browser)) == 1


def test_no_reminder_once_the_day_has_come_or_when_it_is_off(app, member, supervised,
                                                             push_service):
    remind(app, datetime(2026, 12, 3, 5, 0, tzinfo=UTC))  # midnight in New York
    assert push_service.delivered(supervised.browser) == []
    set_supervision(member, SUPERVISION_DAY.isoformat(), reminder="0")
    remind(app, DUE)
    assert push_service.delivered(supervised.browser) == []


def test_a_date_set_late_the_day_before_still_gets_its_reminder(app, member, push_service):
    device = Phone(member.client, push_service)
    assert device.subscribe().status_code == 201
    set_supervision(member, SUPERVISION_DAY.isoformat())
    remind(app, datetime(2026, 12, 2, 20, 15, tzinfo=UTC))  # 20:15 UTC, after 17:00
    [push] = push_service.delivered(device.browser)
    assert push.notification["title"] == "Supervision tomorrow"


def test_the_workers_dispatcher_sends_it(app, member, push_service):
    device = Phone(member.client, push_service)
    assert device.subscribe().status_code == 201
    with app.app_context():
        # Due from the start of the day before, so due now whatever the time.
        db.session.add(ReminderSettings(user_id=db.session.scalar(select(User.id)),
                                        end_of_day=time(0, 0)))
        db.session.commit()
    write_note(member)
    set_supervision(member, (utcnow().date() + timedelta(days=1)).isoformat())
    dispatch = app.extensions["tend_tasks"]["dispatch"]
    dispatch()
    dispatch()
    [push] = push_service.delivered(device.browser)
    assert push.notification["title"] == "Supervision tomorrow: 1 note to bring"


def test_the_reminder_time_follows_the_wall_clock_across_a_clock_change():
    # Clocks went back in London on 25 October 2026: 17:00 is 17:00 UTC after, 16:00 before.
    assert reminders.supervision_reminder_due(date(2026, 10, 27), None, "Europe/London") == (
        datetime(2026, 10, 26, 17, 0, tzinfo=UTC)
    )
    assert reminders.supervision_reminder_due(date(2026, 10, 25), None, "Europe/London") == (
        datetime(2026, 10, 24, 16, 0, tzinfo=UTC)
    )


# The leave clock ---------------------------------------------------------------------------


def log_break(member, first, last, note=None, htmx=True, **fields):
    member.fetch_token("/breaks")
    break_id = fields.pop("id", str(uuid.uuid4()))
    data = {"entry_kind": "break", "id": break_id, "first_day": first, "last_day": last}
    if note is not None:
        data["note"] = note
    return member.post("/breaks", data | fields, htmx=htmx), break_id


def days_ago(days):
    return (utcnow().date() - timedelta(days=days)).isoformat()


def test_with_no_break_logged_the_page_says_so_kindly(member):
    shown = page(member, "/breaks")
    assert "No break logged yet" in shown and "keep count" in shown


@pytest.mark.parametrize("htmx", [True, False])
def test_a_break_is_logged_and_the_days_since_it_are_counted(app, member, htmx):
    response, break_id = log_break(member, days_ago(20), days_ago(10), "by the sea", htmx=htmx)
    assert response.status_code == (200 if htmx else 302)
    if htmx:
        answer = response.get_data(as_text=True)
        assert "Break added." in answer
        assert 'hx-swap-oob="true"' in answer.split('id="leave-clock"')[1][:80]
    entry = stored(app, Break, break_id)
    assert (entry.note, (entry.last_day - entry.first_day).days) == ("by the sea", 10)
    shown = page(member, "/breaks")
    assert '<span class="clock-days">10</span>' in shown
    assert "days since your last real break" in shown
    assert "(11 days)" in shown and "by the sea" in shown


def test_while_a_break_is_on_the_page_says_so(member):
    log_break(member, days_ago(2), days_ago(-3))
    assert "You're on a break" in page(member, "/breaks")


@pytest.mark.parametrize(
    ("first", "last", "field", "message"),
    [
        ("2026-07-14", "2026-07-01", "last_day", "The last day cannot come before the first."),
        ("2025-01-01", "2026-01-01", "last_day", "A break here lasts a year at most"),
        ("", "2026-07-01", "first_day", "When did the break begin?"),
        ("2026-07-01", "", "last_day", "When was the last day of the break?"),
        ("soon", "2026-07-01", "first_day", "Give the first day as a date, e.g. 2026-07-01."),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_a_bad_break_is_explained_next_to_the_field_and_not_saved(app, member, first, last,
                                                                  field, message, htmx):
    response, _ = log_break(member, first, last, htmx=htmx)
    assert response.status_code == 422
    answer = response.get_data(as_text=True)
    assert message in answer and f'id="{field}-error"' in answer
    assert count(app, Break) == 0


def test_a_break_of_a_whole_year_is_fine(app, member):
    response, _ = log_break(member, "2025-01-01", "2025-12-31")
    assert response.status_code == 200


def test_a_break_note_that_may_identify_someone_waits_for_a_second_look(app, member):
    response, break_id = log_break(member, days_ago(9), days_ago(8), "covered by Dr Patel")
    assert response.status_code == 422
    assert "what looks like a name: Patel" in response.get_data(as_text=True)
    assert stored(app, Break, break_id) is None
    response, _ = log_break(member, days_ago(9), days_ago(8), "covered by Dr Patel",
                            id=break_id, confirm_identifiers="1")
    assert response.status_code == 200
    assert stored(app, Break, break_id).note == "covered by Dr Patel"


@pytest.mark.parametrize("htmx", [True, False])
def test_a_deleted_break_stops_counting(app, member, htmx):
    _, break_id = log_break(member, days_ago(9), days_ago(8))
    member.fetch_token("/breaks")
    response = member.post(f"/breaks/{break_id}/delete",
                           {"entry_kind": "break", "id": break_id, "entry_action": "delete"},
                           htmx=htmx)
    assert response.status_code == (200 if htmx else 302)
    assert stored(app, Break, break_id).deleted is True
    assert "No break logged yet" in page(member, "/breaks")


def test_the_outbox_can_log_a_break_through_sync(app, member):
    at = utcnow().isoformat()
    answer = Device(member.client).sync({
        "kind": "break", "id": str(uuid.uuid4()), "created_at": at, "updated_at": at,
        "deleted": False, "first_day": "2026-08-01", "last_day": "2026-07-01", "note": "",
    })
    assert answer["results"][0]["errors"] == {
        "last_day": ["The last day cannot come before the first."]
    }
    answer = Device(member.client).sync({
        "kind": "break", "id": str(uuid.uuid4()), "created_at": at, "updated_at": at,
        "deleted": False, "first_day": "2026-07-01", "last_day": "2026-07-14", "note": "",
    })
    assert answer["results"][0]["status"] == "created"
    assert count(app, Break) == 1


TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("spans", "on_break", "days_since", "until", "next_break"),
    [
        ([], False, None, None, None),
        ([(date(2026, 11, 1), date(2026, 11, 21))], False, 1, None, None),
        ([(date(2026, 8, 1), date(2026, 8, 14)), (date(2026, 10, 1), date(2026, 10, 2))],
         False, 51, None, None),
        ([(date(2026, 11, 20), date(2026, 11, 22))], True, None, date(2026, 11, 22), None),
        ([(date(2026, 8, 1), date(2026, 8, 2)), (date(2026, 12, 24), date(2027, 1, 2))],
         False, 112, None, date(2026, 12, 24)),
        ([(date(2026, 12, 24), date(2027, 1, 2))], False, None, None, date(2026, 12, 24)),
        # Overlapping entries: the break lasts until the later last day.
        ([(date(2026, 11, 10), date(2026, 11, 25)), (date(2026, 11, 20), date(2026, 11, 30))],
         True, None, date(2026, 11, 30), None),
    ],
)
def test_the_leave_clock(spans, on_break, days_since, until, next_break):
    clock = leave_clock(spans, TODAY)
    assert (clock.on_break, clock.days_since, clock.until, clock.next_break) == (
        on_break, days_since, until, next_break
    )


def test_the_leave_clock_counts_in_the_persons_time_zone(app, member):
    with app.app_context():
        db.session.scalar(select(User)).timezone = "Pacific/Kiritimati"  # UTC+14
        db.session.commit()
    log_break(member, days_ago(5), days_ago(1))
    local_today = utcnow().astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    expected = (local_today - (utcnow().date() - timedelta(days=1))).days
    assert f'<span class="clock-days">{expected}</span>' in page(member, "/breaks")
