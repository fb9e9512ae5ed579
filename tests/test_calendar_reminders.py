"""Reminders between sessions that follow a person's calendar, end to end on SQLite and
PostgreSQL: an uploaded file or a feed's address (served here by a real HTTP server),
the reminder times it gives across a clock change, the addresses refused, what happens
when a feed fails, and that nothing of a calendar but busy times is stored or logged."""
import hashlib
import http.server
import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select, text
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import Session
from tests.test_calendar import private_texts
from webapp.extensions import db
from webapp.models import CalendarBlock, CalendarFeed, ReminderSettings, User
from webapp.services import reminders, schedule

SAMPLES = Path(__file__).parent / "calendars"
# Before the samples' weeks: a person setting Tend up on the first of March 2026.
MARCH_FIRST = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def sample(name):
    return (SAMPLES / name).read_bytes()


class Feeds(http.server.BaseHTTPRequestHandler):
    """Serves the samples by name, with an ETag; /gone answers 404."""

    def do_GET(self):
        self.server.seen.append(dict(self.headers))
        path = SAMPLES / self.path.lstrip("/")
        if self.path == "/gone" or not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        """Quiet."""


@pytest.fixture
def feeds():
    """A local HTTP server of the sample calendars."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def moment(monkeypatch):
    """The clock of the pages and of the worker's tasks, set to MARCH_FIRST."""
    clock = {"now": MARCH_FIRST}
    for where in ("webapp.reminders.pages.utcnow", "webapp.tasks.utcnow"):
        monkeypatch.setattr(where, lambda: clock["now"])
    return clock


def person(app, timezone):
    """Someone signed in, in `timezone`, with reminders between sessions that follow
    their calendar on every day of the week and no quiet hours."""
    someone = Session(app.test_client())
    assert someone.register(timezone=timezone).status_code == 302
    plan = {
        "enabled": "1", "mode": "between_sessions", "use_calendar": "1",
        "first_session": "09:00", "last_session_end": "17:00", "session_minutes": "50",
        "gap_minutes": "10", "workdays": [str(day) for day in range(7)],
    }
    assert someone.post("/reminders", plan).status_code == 200
    return someone


def upload(someone, name):
    return someone.post("/reminders/calendar", {
        "calendar_file": (io.BytesIO(sample(name)), name),
    }, content_type="multipart/form-data")


def reminder_times(app, until, after=MARCH_FIRST):
    """The person's reminders from `after` until `until`, as local (day, "HH:MM")."""
    with app.app_context():
        settings = db.session.scalar(select(ReminderSettings))
        user = db.session.get(User, settings.user_id)
        plan = reminders.plan_for(settings, user.timezone)
        zone = ZoneInfo(user.timezone)
        found = []
        while (slot := schedule.next_slot(plan, after, schedule.ReminderState())) and (
            slot.due < until
        ):
            local = slot.due.astimezone(zone)
            found.append((local.date().isoformat(), f"{local:%H:%M}"))
            after = slot.due
        return found


GOOGLE_TIMES = [  # New York; the clocks go forward on 8 March
    ("2026-03-02", "11:15"),  # the 10:00 session, then notes until 11:15 EST
    ("2026-03-04", "13:00"), ("2026-03-04", "15:00"),  # an hour apart: both
    ("2026-03-09", "10:50"),  # 10:00-10:50 EDT, the same wall time after the change
    ("2026-03-11", "13:00"), ("2026-03-18", "13:00"),  # 12:00-13:00 EDT
    ("2026-03-23", "10:50"), ("2026-03-30", "10:50"),
]
OUTLOOK_TIMES = [  # Berlin; the clocks go forward on 29 March
    ("2026-03-24", "10:00"), ("2026-03-26", "15:00"),
    ("2026-03-30", "10:00"),  # 09:00-10:00 CEST
    ("2026-03-31", "16:00"),  # 09:00-10:00 in New York ("Eastern Standard Time")
    ("2026-04-02", "17:00"),  # out of the office, timed: a block like any other
]  # 1 and 3 April are days off
RECURRING_TIMES = [  # London, set up on 20 March; the clocks go forward on 29 March
    ("2026-03-26", "11:00"),
    ("2026-04-03", "16:00"),  # 2 April's group, moved to Friday 15:00-16:00 BST
    ("2026-04-09", "11:00"),  # still 11:00 on the wall, now BST
    ("2026-04-23", "11:00"),  # 16 April cancelled; 20-22 April away
]


SAMPLE_PLANS = pytest.mark.parametrize(
    ("name", "timezone", "start", "expected"),
    [
        ("google.ics", "America/New_York", MARCH_FIRST, GOOGLE_TIMES),
        ("outlook.ics", "Europe/Berlin", MARCH_FIRST, OUTLOOK_TIMES),
        # Tend keeps five weeks ahead: to reach late April, this one starts later.
        ("recurring.ics", "Europe/London", datetime(2026, 3, 20, 12, tzinfo=UTC),
         RECURRING_TIMES),
    ],
)


@SAMPLE_PLANS
def test_an_uploaded_calendar_brings_a_reminder_as_each_busy_block_ends(
    app, moment, name, timezone, start, expected
):
    moment["now"] = start
    someone = person(app, timezone)
    answer = upload(someone, name)
    assert answer.status_code == 302
    page = someone.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Your calendar is read." in page and "Reading the calendar file you uploaded" in page
    assert reminder_times(app, datetime(2026, 4, 25, tzinfo=UTC), start) == expected
    with app.app_context():  # the next one is the first of them
        settings = db.session.scalar(select(ReminderSettings))
        assert settings.next_slot_key.startswith("calendar:" + expected[0][0])


@SAMPLE_PLANS
def test_each_sample_served_as_a_feed_brings_the_same_reminders(
    app, moment, feeds, name, timezone, start, expected
):
    moment["now"] = start
    someone = person(app, timezone)
    answer = someone.post("/reminders/calendar", {"calendar_address": f"{feeds.url}/{name}"})
    assert answer.status_code == 302
    assert reminder_times(app, datetime(2026, 4, 25, tzinfo=UTC), start) == expected


def test_a_gap_too_short_for_a_breath_gets_no_reminder(app, moment):
    someone = person(app, "America/New_York")
    assert upload(someone, "google.ics").status_code == 302
    with app.app_context():
        db.session.scalar(select(ReminderSettings)).gap_minutes = 61
        db.session.commit()
    # 4 March: 12:00-13:00 and 14:00-15:00 EST, an hour apart: only the second's end.
    assert ("2026-03-04", "13:00") not in reminder_times(app, datetime(2026, 3, 5, tzinfo=UTC))
    assert ("2026-03-04", "15:00") in reminder_times(app, datetime(2026, 3, 5, tzinfo=UTC))


@pytest.mark.parametrize("name", ["google.ics", "outlook.ics", "recurring.ics"])
def test_nothing_of_a_calendar_but_busy_times_is_stored_or_logged(app, moment, caplog, name):
    someone = person(app, "Europe/London")
    assert upload(someone, name).status_code == 302
    private = private_texts(sample(name))
    assert private  # the sample does carry titles, people and places
    with app.app_context():
        stored = []
        for table in inspect(db.engine).get_table_names():
            for row in db.session.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                stored += [str(value) for value in row]
        assert db.session.scalar(select(CalendarBlock.id)) is not None
    everything = "\n".join(stored + [record.getMessage() for record in caplog.records])
    assert [word for word in private if word in everything] == []


def test_a_feed_address_is_read_by_the_worker_and_again_when_due(app, moment, feeds):
    someone = person(app, "America/New_York")
    address = f"{feeds.url}/google.ics"
    answer = someone.post("/reminders/calendar", {"calendar_address": address})
    assert answer.status_code == 302  # the read went through the (immediate) task queue
    assert reminder_times(app, datetime(2026, 3, 12, tzinfo=UTC))[:2] == GOOGLE_TIMES[:2]
    with app.app_context():
        feed = db.session.scalar(select(CalendarFeed))
        assert (feed.address, feed.problem, feed.read_at) == (address, None, MARCH_FIRST)
        assert feed.etag

    # Half an hour on, the worker asks again with the ETag; unchanged, nothing moves.
    moment["now"] = MARCH_FIRST + timedelta(minutes=31)
    app.extensions["tend_tasks"]["read_calendars"]()
    assert feeds.seen[-1].get("If-None-Match") == feed.etag
    with app.app_context():
        assert db.session.scalar(select(CalendarFeed.tried_at)) == moment["now"]
        assert db.session.scalar(select(CalendarFeed.read_at)) == MARCH_FIRST
    assert reminder_times(app, datetime(2026, 3, 12, tzinfo=UTC))[:2] == GOOGLE_TIMES[:2]


def test_a_feed_that_fails_says_so_and_reminders_follow_the_working_day(app, moment, feeds):
    someone = person(app, "UTC")
    assert someone.post(
        "/reminders/calendar", {"calendar_address": f"{feeds.url}/gone"}
    ).status_code == 302
    page = someone.client.get("/reminders").get_data(as_text=True).replace("&#39;", "'")
    assert "The calendar address answered 404: it may have been reset" in page
    assert "Until Tend can read your calendar, reminders follow your working day above." in page
    # The manual plan: 50-minute sessions from 09:00 with 10-minute gaps; it is noon.
    assert reminder_times(app, datetime(2026, 3, 2, tzinfo=UTC))[0] == ("2026-03-01", "12:50")

    # The person fixes the address: the problem goes with the next good read.
    assert someone.post(
        "/reminders/calendar", {"calendar_address": f"{feeds.url}/recurring.ics"}
    ).status_code == 302
    page = someone.client.get("/reminders").get_data(as_text=True)
    assert "Until Tend can read your calendar" not in page
    assert reminder_times(app, datetime(2026, 3, 6, tzinfo=UTC)) == [("2026-03-05", "11:00")]


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:9/calendar.ics",  # plain http, and this machine
        "https://127.0.0.1/calendar.ics",
        "https://localhost/calendar.ics",
        "https://10.0.0.7/calendar.ics",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/calendar.ics",
        "file:///etc/passwd",
        "https://user:secret@calendar.example.org/basic.ics",
    ],
)
def test_addresses_tend_must_not_fetch_are_refused_next_to_the_field(
    app, moment, monkeypatch, address
):
    monkeypatch.setitem(app.config, "CALENDAR_ALLOW_LOCAL", False)
    someone = person(app, "UTC")
    answer = someone.post("/reminders/calendar", {"calendar_address": address})
    assert answer.status_code == 422
    assert 'id="calendar_address-error"' in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CalendarFeed)) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Choose a calendar file, or paste your calendar"),
        (b"not a calendar at all", "look like a calendar file"),
        (b"B" * 2_100_000, "too large"),  # over 2 MB, inside the form's own limit
    ],
)
def test_a_calendar_tend_cannot_use_is_explained_and_nothing_kept(
    app, moment, content, message
):
    someone = person(app, "UTC")
    form = {"csrf_token": someone.fetch_token("/reminders")}
    if content is not None:
        form["calendar_file"] = FileStorage(io.BytesIO(content), filename="mine.ics")
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(form)
    answer = someone.client.post(
        "/reminders/calendar", data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True).replace("&#39;", "'")
    with app.app_context():
        assert db.session.scalar(select(CalendarFeed)) is None


def test_stopping_drops_everything_kept_and_only_for_that_person(app, moment):
    sam = person(app, "Europe/London")
    assert upload(sam, "recurring.ics").status_code == 302
    alex = Session(app.test_client())
    assert alex.register(email="alex@example.org").status_code == 302
    assert upload(alex, "recurring.ics").status_code == 302
    assert sam.post("/reminders/calendar/forget").status_code == 302
    with app.app_context():
        owners = set(db.session.scalars(select(CalendarBlock.user_id)))
        alex_id = db.session.scalar(select(User.id).where(User.email == "alex@example.org"))
        assert owners == {alex_id}
        assert db.session.scalar(select(CalendarFeed.user_id)) == alex_id
        assert not db.session.scalar(
            select(ReminderSettings.use_calendar).where(ReminderSettings.user_id != alex_id)
        )

