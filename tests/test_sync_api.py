"""The sync API over HTTP, as the service worker uses it: batches in, results and changes out."""
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import Session
from webapp.extensions import db
from webapp.models import CheckIn, User
from webapp.services.sync import FOREIGN_ID_ERRORS, user_tag

SESSION_URL = "/api/v1/session"
SYNC_URL = "/api/v1/sync"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
# What a check-in sent without its extras comes back with.
OPTIONAL_FIELDS = {
    "deleted": False, "work_share": None, "safety_session": False, "lean_personal": None,
    "lean_client": None, "lean_community": None, "practice": None, "note": None,
}


def entry(entry_id=None, at=T0, updated=None, **fields):
    """A check-in as the phone's outbox sends it."""
    return {
        "kind": "checkin",
        "id": entry_id or str(uuid.uuid4()),
        "created_at": at.isoformat(),
        "updated_at": (updated or at).isoformat(),
        "tank": 3,
        **fields,
    }


def later(minutes):
    return (T0 + timedelta(minutes=minutes)).isoformat()


class Device:
    """A signed-in phone or laptop talking to the sync API the way the service worker does."""

    def __init__(self, client):
        self.client = client
        session = client.get(SESSION_URL).get_json()
        self.user, self.token = session["user"], session["csrf_token"]
        self.cursor = None

    def post(self, body, headers=None):
        """POST a body as JSON with the CSRF header."""
        headers = {"X-CSRFToken": self.token} | (headers or {})
        return self.client.post(SYNC_URL, json=body, headers=headers)

    def post_raw(self, data, content_type="application/json"):
        """POST bytes that may not be JSON at all."""
        return self.client.post(
            SYNC_URL, data=data, content_type=content_type, headers={"X-CSRFToken": self.token}
        )

    def sync(self, *entries):
        """Send a batch from where this device's last sync ended; keep the new cursor."""
        response = self.post({"user": self.user, "cursor": self.cursor, "entries": list(entries)})
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
        self.cursor = answer["cursor"]
        return answer


@pytest.fixture
def phone(member):
    """The member's phone."""
    return Device(member.client)


@pytest.fixture
def laptop(app, member):
    """The same member, signed in on a second device."""
    session = Session(app.test_client())
    assert session.sign_in().status_code == 302
    return Device(session.client)


@pytest.fixture
def other_phone(other_member):
    """Another person's phone."""
    return Device(other_member.client)


def stored(app, entry_id):
    """The row as the database has it."""
    with app.app_context():
        return db.session.get(CheckIn, entry_id)


def count_checkins(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CheckIn))


def statuses(answer):
    return [result["status"] for result in answer["results"]]


def change_ids(answer):
    return [change["id"] for change in answer["changes"]]


# The session ------------------------------------------------------------------------


def test_session_names_the_user_and_gives_a_token(app, member):
    response = member.client.get(SESSION_URL)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    session = response.get_json()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "sam@example.org"))
        assert session["user"] == user_tag(user, app.secret_key)
    assert session["max_batch"] == 500
    assert len(session["csrf_token"]) > 20


def test_session_when_signed_out_is_401_json(client):
    response = client.get(SESSION_URL)
    assert response.status_code == 401
    assert "Location" not in response.headers
    assert response.get_json()["error"] == "Please sign in to continue."


# Saving -------------------------------------------------------------------------------


def test_each_entry_gets_its_own_result_in_order(app, phone):
    kept, changed = entry(tank=2), entry(tank=2)
    phone.sync(kept, changed)
    new = entry(tank=5)
    bad = entry(tank=9, note="x" * 300)
    answer = phone.sync(kept, changed | {"updated_at": later(5), "tank": 4}, new, bad)
    assert answer["results"] == [
        {"id": kept["id"], "status": "unchanged"},
        {"id": changed["id"], "status": "updated"},
        {"id": new["id"], "status": "created"},
        {
            "id": bad["id"],
            "status": "rejected",
            "errors": {
                "tank": ["Choose a level from 1 (empty) to 5 (full)."],
                "note": ["Keep the note to 280 characters (this one has 300)."],
            },
        },
    ]
    assert stored(app, changed["id"]).tank == 4
    assert stored(app, new["id"]).tank == 5
    assert stored(app, bad["id"]) is None


def test_the_same_batch_twice_saves_each_entry_once(app, phone):
    batch = [entry(), entry(tank=1), entry(tank=5, note="after a long day")]
    assert statuses(phone.sync(*batch)) == ["created"] * 3
    assert statuses(phone.sync(*batch)) == ["unchanged"] * 3
    assert count_checkins(app) == 3


def test_the_later_change_wins_and_an_older_one_is_ignored(app, phone):
    first = entry(tank=2)
    phone.sync(first)
    assert statuses(phone.sync(first | {"updated_at": later(10), "tank": 5})) == ["updated"]
    assert statuses(phone.sync(first | {"updated_at": later(5), "tank": 1})) == ["unchanged"]
    saved = stored(app, first["id"])
    assert saved.tank == 5 and saved.updated_at == T0 + timedelta(minutes=10)


def test_a_tombstone_deletes_and_reaches_the_other_devices(app, phone, laptop):
    doomed = entry()
    phone.sync(doomed)
    laptop.sync()
    phone.sync({"kind": "checkin", "id": doomed["id"], "updated_at": later(1), "deleted": True})
    assert stored(app, doomed["id"]).deleted
    answer = laptop.sync()
    assert change_ids(answer) == [doomed["id"]]
    assert answer["changes"][0]["deleted"] is True


def test_an_entry_already_saved_takes_a_change_of_some_fields(app, phone):
    first = entry(tank=2, work_share=40)
    phone.sync(first)
    change = {"kind": "checkin", "id": first["id"], "updated_at": later(3), "note": "Better now."}
    assert statuses(phone.sync(change)) == ["updated"]
    saved = stored(app, first["id"])
    assert (saved.tank, saved.work_share, saved.note) == (2, 40, "Better now.")
    assert saved.created_at == T0 and saved.updated_at == T0 + timedelta(minutes=3)


def test_a_change_without_its_time_is_rejected(app, phone):
    first = entry(tank=2)
    phone.sync(first)
    answer = phone.sync({"kind": "checkin", "id": first["id"], "tank": 5})
    assert answer["results"][0]["errors"] == {
        "updated_at": ["A time of the last change is needed."]
    }
    assert stored(app, first["id"]).tank == 2


def test_a_new_entry_needs_every_required_field(app, phone):
    entry_id = str(uuid.uuid4())
    answer = phone.sync({"kind": "checkin", "id": entry_id, "updated_at": later(0)})
    assert answer["results"] == [
        {
            "id": entry_id,
            "status": "rejected",
            "errors": {
                "created_at": ["When was this? A time is needed."],
                "tank": ["Choose how full your tank is."],
            },
        }
    ]
    assert count_checkins(app) == 0


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (None, "This entry does not say what kind of entry it is."),
        ("mood_diary", "This kind of entry is not known here, so it was not saved."),
        (["checkin"], "This kind of entry is not known here, so it was not saved."),
    ],
)
def test_an_entry_of_no_known_kind_is_rejected_alone(app, phone, kind, message):
    odd = entry() | {"kind": kind}
    answer = phone.sync(odd, entry())
    assert answer["results"][0] == {
        "id": odd["id"], "status": "rejected", "errors": {"kind": [message]}
    }
    assert statuses(answer)[1] == "created"
    assert count_checkins(app) == 1


def test_an_id_that_is_not_text_is_not_echoed(phone):
    answer = phone.sync(entry() | {"id": {"nested": ["value"]}})
    assert answer["results"][0]["id"] is None
    assert answer["results"][0]["status"] == "rejected"


def test_someone_elses_id_is_rejected_without_a_trace(app, phone, other_phone):
    theirs = entry(tank=1, note="Alex's private note")
    other_phone.sync(theirs)
    answer = phone.sync(theirs | {"updated_at": later(60), "tank": 5, "note": "overwritten"})
    assert answer["results"] == [
        {"id": theirs["id"], "status": "rejected", "errors": FOREIGN_ID_ERRORS}
    ]
    assert answer["changes"] == []
    text = json.dumps(answer)
    assert "Alex" not in text and "alex@example.org" not in text
    saved = stored(app, theirs["id"])
    assert (saved.tank, saved.note, saved.updated_at) == (1, "Alex's private note", T0)


def test_a_partial_change_to_someone_elses_id_learns_nothing(app, phone, other_phone):
    theirs = entry(note="x" * 280)
    other_phone.sync(theirs)
    answer = phone.sync({"kind": "checkin", "id": theirs["id"], "updated_at": later(1)})
    assert answer["results"][0]["errors"] == FOREIGN_ID_ERRORS
    assert stored(app, theirs["id"]).updated_at == T0


# Refusals of the whole request --------------------------------------------------------


def test_a_batch_over_the_limit_is_refused_whole(app, phone):
    response = phone.post({"user": phone.user, "entries": [entry() for _ in range(501)]})
    assert response.status_code == 413
    assert response.get_json() == {
        "error": "That is more entries than one sync takes, so nothing was saved. "
        "Send them in parts.",
        "status": 413,
        "max_entries": 500,
    }
    assert count_checkins(app) == 0


def test_a_batch_at_the_limit_is_taken(app, phone, monkeypatch):
    monkeypatch.setitem(app.config, "SYNC_MAX_BATCH", 3)
    too_many = phone.post({"user": phone.user, "entries": [entry() for _ in range(4)]})
    assert too_many.status_code == 413 and too_many.get_json()["max_entries"] == 3
    assert statuses(phone.sync(entry(), entry(), entry())) == ["created"] * 3


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        ('{"user": "x", "entries": [', "application/json",
         "The request could not be read as JSON, so nothing was saved."),
        ("", "application/json", "The request could not be read as JSON, so nothing was saved."),
        ("[" * 100_000, "application/json",
         "The request could not be read as JSON, so nothing was saved."),
        ('{"entries": []}', "text/plain",
         "Send the entries as JSON, with Content-Type: application/json."),
    ],
    ids=["cut-short", "empty", "nested-too-deep", "not-json"],
)
def test_a_body_that_is_not_json_is_400(app, phone, data, content_type, message):
    response = phone.post_raw(data, content_type)
    assert response.status_code == 400
    assert response.get_json() == {"error": message, "status": 400}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([], {"_schema": ["Send an object with user, cursor and entries."]}),
        ({"user": "me"}, {"entries": ["Send the entries as a list (it may be empty)."]}),
        ({"user": "me", "entries": {"a": 1}},
         {"entries": ["Send the entries as a list (it may be empty)."]}),
        ({"user": "me", "entries": [{}, "checkin", None]},
         {"entries": {"1": ["Each entry is an object holding its fields."],
                      "2": ["Each entry is an object holding its fields."]}}),
        ({"entries": []}, {"user": ["Say whose entries these are (the user tag)."]}),
        ({"user": "", "entries": []}, {"user": ["Say whose entries these are (the user tag)."]}),
        ({"user": 7, "entries": []}, {"user": ["The user tag is text, as the session gave it."]}),
        ({"user": "me", "entries": [], "cursor": -1},
         {"cursor": ["The cursor is the whole number the last sync gave back."]}),
        ({"user": "me", "entries": [], "cursor": "3"},
         {"cursor": ["The cursor is the whole number the last sync gave back."]}),
        ({"user": "me", "entries": [], "cursor": 2.5},
         {"cursor": ["The cursor is the whole number the last sync gave back."]}),
        ({"user": "me", "entries": [], "cursor": True},
         {"cursor": ["The cursor is the whole number the last sync gave back."]}),
        ({"user": "me", "entries": [], "cursor": 10**30},
         {"cursor": ["The cursor is the whole number the last sync gave back."]}),
        ({"user": "me", "entries": [], "device": "x"},
         {"device": ["This is not part of a sync request."]}),
    ],
)
def test_a_request_of_the_wrong_shape_is_422(app, phone, body, errors):
    response = phone.post(body)
    assert response.status_code == 422
    assert response.get_json() == {"errors": errors}
    assert count_checkins(app) == 0


def test_entries_for_another_user_are_refused_whole(app, phone, other_phone):
    for tag in (other_phone.user, "a-previous-user-of-this-phone"):
        response = phone.post({"user": tag, "entries": [entry()]})
        assert response.status_code == 409
        assert response.get_json() == {
            "error": "These entries belong to another account used on this phone, so they "
            "were not saved to this one.",
            "status": 409,
        }
    assert count_checkins(app) == 0


def test_without_the_csrf_header_it_is_400(app, phone):
    response = phone.post({"user": phone.user, "entries": [entry()]}, {"X-CSRFToken": ""})
    assert response.status_code == 400
    assert response.is_json and response.get_json()["status"] == 400
    assert count_checkins(app) == 0


def test_signed_out_it_is_401_json_never_a_redirect(app, client):
    response = client.post(SYNC_URL, json={"user": "x", "entries": [entry()]})
    assert response.status_code == 401
    assert "Location" not in response.headers
    assert response.get_json() == {"error": "Please sign in to continue.", "status": 401}
    assert count_checkins(app) == 0


def test_a_session_that_ended_while_offline_hears_401(app, member, phone):
    member.sign_out()
    response = phone.post({"user": phone.user, "entries": [entry()]})
    assert response.status_code == 401
    assert "Location" not in response.headers
    assert count_checkins(app) == 0


# Changes for other devices ------------------------------------------------------------


def test_a_second_device_receives_the_first_ones_entries(phone, laptop):
    first, second = entry(tank=1), entry(tank=4)
    answer = phone.sync(first, second)
    assert change_ids(answer) == [first["id"], second["id"]]
    answer = laptop.sync()
    assert answer["changes"] == [OPTIONAL_FIELDS | first, OPTIONAL_FIELDS | second]
    assert answer["more"] is False and answer["cursor"] == phone.cursor


def test_only_changes_after_the_cursor_come_back(phone, laptop):
    first, second = entry(tank=1), entry(tank=4)
    phone.sync(first, second)
    laptop.sync()
    assert laptop.sync()["changes"] == []
    laptop.sync(second | {"updated_at": later(2), "tank": 2})
    answer = phone.sync()
    assert change_ids(answer) == [second["id"]]
    assert answer["changes"][0]["tank"] == 2
    assert phone.sync() == {"results": [], "changes": [], "cursor": phone.cursor, "more": False}


def test_changes_come_in_pages_when_there_are_many(app, phone, laptop, monkeypatch):
    monkeypatch.setitem(app.config, "SYNC_MAX_CHANGES", 2)
    batch = [entry(tank=level) for level in (1, 2, 3, 4, 5)]
    phone.sync(*batch)
    pages = []
    while True:
        answer = laptop.sync()
        pages.append((change_ids(answer), answer["more"]))
        if not answer["more"]:
            break
    ids = [item["id"] for item in batch]
    assert pages == [(ids[0:2], True), (ids[2:4], True), (ids[4:], False)]


def test_an_absent_cursor_means_from_the_start(phone, laptop):
    first = entry()
    phone.sync(first)
    response = laptop.post({"user": laptop.user, "entries": []})
    assert change_ids(response.get_json()) == [first["id"]]


def test_one_persons_changes_never_include_anothers(phone, other_phone):
    phone.sync(entry(), entry())
    answer = other_phone.sync(entry())
    assert len(answer["changes"]) == 1
    assert answer["changes"][0]["id"] == answer["results"][0]["id"]


def test_entries_saved_on_the_web_pages_reach_devices(member, phone):
    _, entry_id = member.check_in(tank=2)
    answer = phone.sync()
    assert change_ids(answer) == [entry_id] and answer["changes"][0]["tank"] == 2
    member.fetch_token(f"/checkins/{entry_id}")
    member.post(f"/checkins/{entry_id}/note", {"note": "From the laptop."}, htmx=True)
    answer = phone.sync()
    assert change_ids(answer) == [entry_id]
    assert answer["changes"][0]["note"] == "From the laptop."


def test_sync_answers_are_never_cached(phone):
    response = phone.post({"user": phone.user, "entries": []})
    assert response.headers["Cache-Control"] == "no-store"


# The description ------------------------------------------------------------------------


def test_openapi_describes_both_endpoints_from_the_schemas(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {SESSION_URL, SYNC_URL}
    sync = spec["paths"][SYNC_URL]["post"]
    assert set(sync["responses"]) == {"200", "400", "401", "409", "413", "422", "429"}
    assert sync["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SyncRequest"
    }
    schemas = spec["components"]["schemas"]
    entry_fields = schemas["CheckInEntry"]["properties"]
    assert {"kind", "id", "created_at", "updated_at", "deleted", "tank", "note"} <= set(
        entry_fields
    )
    assert entry_fields["tank"] == {"type": "integer", "minimum": 1, "maximum": 5}
    *kinds, other = schemas["SyncRequest"]["properties"]["entries"]["items"]["anyOf"]
    assert kinds[:2] == [
        {"$ref": "#/components/schemas/CheckInEntry"},
        {"$ref": "#/components/schemas/PracticeDoneEntry"},
    ]
    assert other["type"] == "object" and "rejected" in other["description"]
    assert {"kind", "id", "practice", "delivery"} <= set(schemas["PracticeDoneEntry"]["properties"])
    assert set(schemas["SyncResponse"]["properties"]) == {"results", "changes", "cursor", "more"}
    assert schemas["EntryResult"]["properties"]["status"]["enum"] == [
        "created", "updated", "unchanged", "rejected"
    ]


def test_a_practice_done_syncs_like_a_checkin_and_comes_back_in_changes(phone, laptop):
    done = {
        "kind": "practice_done", "id": str(uuid.uuid4()), "practice": "breaths",
        "created_at": T0.isoformat(), "updated_at": T0.isoformat(),
    }
    assert statuses(phone.sync(done, done)) == ["created", "unchanged"]
    assert statuses(phone.sync(done)) == ["unchanged"]
    changes = laptop.sync()["changes"]
    assert [(change["kind"], change["practice"]) for change in changes] == [
        ("practice_done", "breaths")
    ]
    refused = phone.sync(done | {"id": str(uuid.uuid4()), "practice": "nonsense"})
    assert refused["results"][0]["errors"] == {"practice": ["Pick one of the practices shown."]}


def test_syncs_are_limited_per_person_and_say_when_to_come_back(
    app, phone, other_phone, monkeypatch
):
    monkeypatch.setitem(app.config, "SYNC_RATE_LIMIT", "2 per minute")
    empty = {"user": phone.user, "cursor": None, "entries": []}
    assert [phone.post(empty).status_code for _ in range(2)] == [200, 200]
    refused = phone.post(empty)
    assert refused.status_code == 429
    assert refused.get_json()["status"] == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    theirs = {"user": other_phone.user, "cursor": None, "entries": []}
    assert other_phone.post(theirs).status_code == 200  # counted per person
