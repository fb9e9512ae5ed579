"""Rows of the outside tester's table (issue 17) that no longer hold: each sends its
exact request, on SQLite and PostgreSQL."""
import json
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from tests.conftest import PASSWORD, Session
from tests.test_export_import import confirm, upload
from tests.test_push_api import MAC_FIREFOX
from tests.test_sync_api import Device
from webapp.extensions import db
from webapp.models import CheckIn, PracticeDone, ReminderDelivery, SignIn, User
from webapp.services import reminders

NOW = datetime.now(UTC).isoformat()


def practice_done(delivery):
    return {"kind": "practice_done", "id": str(uuid.uuid4()), "practice": "water",
            "delivery": delivery, "created_at": NOW, "updated_at": NOW}


def alexs_reminder(app):
    with app.app_context():
        alex = db.session.scalar(select(User).where(User.email == "alex@example.org"))
        delivery = ReminderDelivery(user_id=alex.id, slot_key="fixed_times:x",
                                    due_at=datetime.now(UTC), slot_day=date.today(),
                                    slot_sequence=1, status="sent", sent_at=datetime.now(UTC))
        db.session.add(delivery)
        db.session.commit()
        return delivery.id


def test_4_a_practice_done_cannot_name_another_persons_reminder(app, member, other_member):
    delivery_id = alexs_reminder(app)
    answer = Device(member.client).sync(practice_done(delivery_id))
    assert answer["results"][0]["status"] == "rejected"
    assert answer["results"][0]["errors"] == {"delivery": ["This is not one of your reminders."]}
    with app.app_context():  # and one stored some other way still answers nobody's reminder
        sam = db.session.scalar(select(User.id).where(User.email == "sam@example.org"))
        db.session.add(PracticeDone(id=str(uuid.uuid4()), user_id=sam, practice="water",
                                    delivery=delivery_id, created_at=datetime.now(UTC),
                                    updated_at=datetime.now(UTC)))
        db.session.commit()
        assert reminders._done_from({delivery_id}) == set()


def test_2_a_huge_delivery_number_is_refused_and_its_neighbour_saved(app, member):
    checkin = {"kind": "checkin", "id": str(uuid.uuid4()), "tank": 3, "created_at": NOW,
               "updated_at": NOW}
    answer = Device(member.client).sync(checkin, practice_done(2**70))
    assert [result["status"] for result in answer["results"]] == ["created", "rejected"]
    assert answer["results"][1]["errors"] == {"delivery": ["This is not one of your reminders."]}


def test_a_persons_own_reminder_and_one_no_longer_kept_are_fine(app, member):
    with app.app_context():
        sam = db.session.scalar(select(User.id).where(User.email == "sam@example.org"))
        own = ReminderDelivery(user_id=sam, slot_key="fixed_times:y", due_at=datetime.now(UTC),
                               slot_day=date.today(), slot_sequence=1, status="sent")
        db.session.add(own)
        db.session.commit()
        own_id = own.id
    answer = Device(member.client).sync(practice_done(own_id), practice_done(2**31 - 1))
    assert [result["status"] for result in answer["results"]] == ["created", "created"]


def test_5_a_deeply_nested_import_file_is_refused_with_words(member):
    text = '{"format":"tend-export","version":1,"x":' + "[" * 100_000 + "]" * 100_000 + "}"
    response = upload(member, text)
    assert response.status_code == 422
    assert "neither a Tend export" in response.get_data(as_text=True)
    assert confirm(member, text).status_code == 422


def test_6_an_entry_whose_kind_is_a_list_is_skipped_and_the_rest_imported(app, member):
    document = {
        "format": "tend-export", "version": 1,
        "practices": [{"key": "own-1", "name": "Feed the ducks"}],
        "entries": [
            {"kind": ["x"], "id": "b"},
            {"kind": "checkin", "id": "a", "tank": 4, "created_at": NOW, "updated_at": NOW},
        ],
    }
    text = json.dumps(document)
    preview = upload(member, text)
    assert preview.status_code == 200
    assert "does not say what kind of entry it is" in preview.get_data(as_text=True)
    report = confirm(member, text)
    assert report.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_8_wrong_passwords_behind_a_session_meet_the_sign_in_limit(app, member):
    wrong = {"current_password": "not my password", "password": "a much newer passphrase",
             "confirm": "a much newer passphrase"}
    statuses = []
    for _ in range(7):
        member.fetch_token("/account/password")
        statuses.append(member.post("/account/password", wrong).status_code)
    for _ in range(4):  # the same count goes on on the delete page
        member.fetch_token("/account/delete")
        statuses.append(member.post("/account/delete", {"password": "wrong"}).status_code)
    assert statuses == [422] * 10 + [429]
    member.fetch_token("/account/delete")
    refused = member.post("/account/delete", {"password": PASSWORD})
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)
    with app.app_context():  # and the account is still there
        assert db.session.scalar(select(User).where(User.email == "sam@example.org"))


def test_a_right_password_is_not_counted(member):
    def change(current, new="a much newer passphrase"):
        member.fetch_token("/account/password")
        form = {"current_password": current, "password": new, "confirm": new}
        return member.post("/account/password", form).status_code

    statuses = [change("not my password") for _ in range(9)]
    statuses.append(change(PASSWORD))  # right: changed, and not counted
    statuses += [change("not my password") for _ in range(2)]
    assert statuses == [422] * 9 + [302, 422, 429]


YEAR_ONE = "0001-01-01T00:00:00+00:00"


def test_3_year_one_times_are_refused_and_the_pages_stay_up(app, member):
    device = Device(member.client)
    checkin = {"kind": "checkin", "id": str(uuid.uuid4()), "tank": 3,
               "created_at": YEAR_ONE, "updated_at": YEAR_ONE}
    note = {"kind": "supervision_note", "id": str(uuid.uuid4()), "text": "bring this",
            "created_at": NOW, "updated_at": NOW, "discussed_at": YEAR_ONE}
    answer = device.sync(checkin, note)
    assert [result["status"] for result in answer["results"]] == ["rejected", "rejected"]
    assert answer["results"][0]["errors"]["created_at"] == [
        "This is before 1970; check the date, or the device's clock."]
    assert "discussed_at" in answer["results"][1]["errors"]
    member.fetch_token("/account")
    member.post("/account", {"timezone": "America/New_York"})
    assert member.client.get(f"/checkins/{checkin['id']}").status_code == 404
    assert member.client.get("/supervision").status_code == 200


def test_2_days_out_of_range_are_refused_with_words(member):
    base = {"created_at": NOW, "updated_at": NOW}
    answer = Device(member.client).sync(
        {"kind": "pulse", "id": str(uuid.uuid4()), "week_start": "0001-01-01",
         "answers": {"gave_back": 3}} | base,
        {"kind": "break", "id": str(uuid.uuid4()), "first_day": "9999-12-30",
         "last_day": "9999-12-31"} | base,
        {"kind": "break", "id": str(uuid.uuid4()), "first_day": "0001-01-01",
         "last_day": "0001-01-02"} | base,
    )
    assert [result["status"] for result in answer["results"]] == ["rejected"] * 3
    assert "week_start" in answer["results"][0]["errors"]
    assert answer["results"][1]["errors"]["first_day"] == [
        "This day is more than a year away; check the date."]
    assert "first_day" in answer["results"][2]["errors"]


def test_2_a_half_emoji_or_a_nul_is_refused_and_its_neighbour_saved(app, member):
    def checkin(**fields):
        return {"kind": "checkin", "id": str(uuid.uuid4()), "tank": 3, "created_at": NOW,
                "updated_at": NOW} | fields

    device = Device(member.client)
    answer = device.sync(checkin(), checkin(note="\ud800x"), checkin(note="a\x00b"),
                         {"kind": "reflection", "id": str(uuid.uuid4()), "created_at": NOW,
                          "updated_at": NOW, "problems": [{"problem": "x\udfff",
                                                           "whose": "mine"}]})
    statuses = [result["status"] for result in answer["results"]]
    assert statuses == ["created", "rejected", "rejected", "rejected"]
    assert "half of an emoji" in answer["results"][1]["errors"]["note"][0]
    assert "problems" in answer["results"][3]["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1


# The database refusing one entry of a batch: a real refusal, by a trigger that raises
# for one note, on each database.
REFUSE = {
    "sqlite": ["""CREATE TRIGGER refuse_one BEFORE INSERT ON checkins
                  WHEN NEW.note = 'the database says no'
                  BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"""],
    "postgresql": [
        """CREATE FUNCTION refuse_one() RETURNS trigger AS $$
           BEGIN
             IF NEW.note = 'the database says no' THEN
               RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation';
             END IF;
             RETURN NEW;
           END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER refuse_one BEFORE INSERT ON checkins
           FOR EACH ROW EXECUTE FUNCTION refuse_one()""",
    ],
}
UNDO = {"sqlite": ["DROP TRIGGER refuse_one"],
        "postgresql": ["DROP TRIGGER refuse_one ON checkins", "DROP FUNCTION refuse_one()"]}


def test_2_an_entry_the_database_refuses_is_rejected_and_the_rest_saved(app, member):
    dialect = "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else (
        "postgresql")
    with app.app_context(), db.engine.begin() as connection:
        for statement in REFUSE[dialect]:
            connection.exec_driver_sql(statement)
    try:
        def checkin(**fields):
            return {"kind": "checkin", "id": str(uuid.uuid4()), "tank": 3,
                    "created_at": NOW, "updated_at": NOW} | fields

        device = Device(member.client)
        sent = [checkin(), checkin(note="the database says no"), checkin(note="fine")]
        answer = device.sync(*sent)
        assert [result["status"] for result in answer["results"]] == [
            "created", "rejected", "created"]
        assert answer["results"][1]["errors"] == {
            "entry": ["This entry could not be stored as it is. Check it, or leave it out."]}
        with app.app_context():
            stored = db.session.scalars(select(CheckIn.seq).order_by(CheckIn.seq)).all()
        assert stored == [1, 2]  # the change numbers stay gap-free
        assert {entry["id"] for entry in answer["changes"]} == {sent[0]["id"], sent[2]["id"]}
    finally:
        with app.app_context(), db.engine.begin() as connection:
            for statement in UNDO[dialect]:
                connection.exec_driver_sql(statement)


# Sessions that end -------------------------------------------------------------------------


def cookies_of(client):
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")}


def replaying(app, **cookies):
    """A fresh client with nothing but these old cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def test_1_signing_out_ends_the_session_and_its_remember_me(app, member):
    member.sign_out()
    phone = Session(app.test_client())
    assert phone.sign_in(remember="1").status_code == 302
    old = cookies_of(phone.client)
    assert phone.sign_out().status_code == 302
    for cookies in ({"session": old["session"]}, {"remember_token": old["remember_token"]}, old):
        client = replaying(app, **cookies)
        history = client.get("/history")
        assert history.status_code == 302 and history.headers["Location"].startswith("/sign-in")
        assert client.get("/api/v1/session").status_code == 401


def test_account_lists_the_devices_and_signs_out_another_or_all(app, member):
    laptop = Session(app.test_client())
    laptop.client.environ_base["HTTP_USER_AGENT"] = MAC_FIREFOX
    assert laptop.sign_in(remember="1").status_code == 302
    tablet = Session(app.test_client())
    assert tablet.sign_in().status_code == 302
    page = member.client.get("/account/devices").get_data(as_text=True)
    assert "Firefox on a Mac" in page and page.count("Sign out this device") == 2
    assert page.count("this device</span>") == 1
    with app.app_context():
        laptops = db.session.scalar(select(SignIn.id).where(SignIn.device == "Firefox on a Mac"))
    member.fetch_token("/account/devices")
    assert member.post(f"/account/devices/{laptops}/sign-out").status_code == 302
    assert laptop.client.get("/history").status_code == 302  # signed out, remember-me too
    assert tablet.client.get("/history").status_code == 200
    member.fetch_token("/account/devices")
    assert member.post("/account/devices/sign-out-others").status_code == 302
    assert tablet.client.get("/history").status_code == 302
    assert member.client.get("/history").status_code == 200  # this one stays
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignIn)) == 1


def test_another_persons_device_cannot_be_signed_out(app, member, other_member):
    with app.app_context():
        alexs = db.session.scalar(select(SignIn.id).join(User).where(
            User.email == "alex@example.org"))
    member.fetch_token("/account/devices")
    assert member.post(f"/account/devices/{alexs}/sign-out").status_code == 404
    assert other_member.client.get("/history").status_code == 200
