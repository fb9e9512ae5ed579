"""Calendars: busy blocks and days off from real-looking exports, and safe feed fetching.

The sample calendars in tests/calendars/ are invented but shaped like real Google,
Outlook and Apple exports. Fetching runs against real local HTTP(S) servers; the
address checks run against a fake resolver, so no test reaches the network.
"""
import contextlib
import http.server
import ipaddress
import logging
import socket
import ssl
import threading
import time
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from webapp.services import calendar
from webapp.services.calendar import (
    Block,
    Calendar,
    CalendarError,
    Fetched,
    busy_blocks,
    check_feed_url,
    fetch_feed,
)

SAMPLES = Path(__file__).parent / "calendars"
NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
LONDON = "Europe/London"
# What each sample says about people, places and identifiers: none of it may survive.
PRIVATE_PROPERTIES = (
    "SUMMARY", "DESCRIPTION", "LOCATION", "ATTENDEE", "ORGANIZER", "UID", "X-WR-CALNAME",
)
LAST_MODIFIED = "Wed, 04 Mar 2026 10:00:00 GMT"
# Stands in for a calendar host's public address. The fake resolver routes it to this
# machine, as the internet would route it to the host, so nothing leaves the machine.
PUBLIC_ADDRESS = "2001:4860:4860::8888"


def sample(name):
    """The bytes of a sample calendar."""
    return (SAMPLES / name).read_bytes()


def utc(*parts):
    """An aware UTC datetime."""
    return datetime(*parts, tzinfo=UTC)


def block(month, day, start, end):
    """A busy block on a day in 2026, from "HH:MM" to "HH:MM" UTC."""
    start_hour, start_minute = map(int, start.split(":"))
    end_hour, end_minute = map(int, end.split(":"))
    return Block(
        utc(2026, month, day, start_hour, start_minute), utc(2026, month, day, end_hour, end_minute)
    )


def calendar_with(*events):
    """A small calendar holding one VEVENT per list of content lines."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tend tests//EN"]
    for number, event_lines in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:event-{number}", "DTSTAMP:20260301T000000Z"]
        lines += [*event_lines, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def private_texts(ics):
    """Every title, note, place, person and identifier written in a calendar."""
    texts = set()
    for component in icalendar.Calendar.from_ical(ics).walk():
        for name in PRIVATE_PROPERTIES:
            values = component.get(name, [])
            for value in values if isinstance(values, list) else [values]:
                texts.add(str(value))
                texts.update(str(param) for param in value.params.values())
    return {text for text in texts if len(text) > 3}


# Reading the samples


def test_google_export_across_the_us_clock_change():
    """Weekly sessions stay at 10:00 New York time after 8 March; EXDATE, cancelled,
    transparent and all-day-free events leave no block; touching events merge."""
    result = busy_blocks(sample("google.ics"), utc(2026, 3, 1), utc(2026, 4, 1), NEW_YORK)

    assert result == Calendar(
        blocks=(
            block(3, 2, "15:00", "16:15"),  # 10:00–10:50 session, then notes to 11:15 EST
            block(3, 4, "17:00", "18:00"),  # peer consultation, exported in UTC, 12:00 EST
            block(3, 4, "19:00", "20:00"),  # supervision, given in UTC
            block(3, 9, "14:00", "14:50"),  # 10:00 EDT: the clocks went forward
            block(3, 11, "16:00", "17:00"),  # 12:00 EDT, following X-WR-TIMEZONE
            block(3, 18, "16:00", "17:00"),
            block(3, 23, "14:00", "14:50"),  # 16 March is an EXDATE
            block(3, 30, "14:00", "14:50"),
        ),
        days_off=frozenset({date(2026, 3, 19), date(2026, 3, 20)}),
    )


def test_outlook_export_with_windows_zone_names_across_the_eu_clock_change():
    """W. Europe and Eastern Standard Time are read from their VTIMEZONEs; busy status
    decides: FREE is no block, TENTATIVE and timed OOF are, an OOF day is a day off."""
    result = busy_blocks(sample("outlook.ics"), utc(2026, 3, 23), utc(2026, 4, 8), BERLIN)

    assert result == Calendar(
        blocks=(
            block(3, 24, "08:00", "09:00"),  # 09:00 CET, busy
            block(3, 26, "13:00", "14:00"),  # 14:00 CET, tentative
            block(3, 30, "07:00", "08:00"),  # 09:00 CEST: the clocks went forward
            block(3, 31, "13:00", "14:00"),  # 09:00 EDT, Eastern Standard Time
            block(4, 2, "11:00", "15:00"),  # 13:00–17:00 CEST, out of office but timed
        ),
        # 1 April is an out-of-office day; 3 April an opaque all-day training;
        # Easter Monday is all-day but free.
        days_off=frozenset({date(2026, 4, 1), date(2026, 4, 3)}),
    )


def test_recurring_series_with_moved_removed_and_extra_occurrences():
    """RDATE adds, EXDATE and a cancelled RECURRENCE-ID remove, another RECURRENCE-ID
    moves; 10:00 London time is 10:00 GMT before 29 March and 09:00 UTC after."""
    result = busy_blocks(sample("recurring.ics"), utc(2026, 3, 1), utc(2026, 4, 25), LONDON)

    assert result == Calendar(
        blocks=(
            block(3, 5, "10:00", "11:00"),
            block(3, 10, "08:00", "08:30"),  # floating 08:00, read in London
            block(3, 11, "10:00", "11:00"),  # RDATE
            block(3, 12, "10:00", "11:00"),  # 19 March is an EXDATE
            block(3, 26, "10:00", "11:00"),
            block(4, 3, "14:00", "15:00"),  # 2 April moved to Friday 15:00 BST
            block(4, 9, "09:00", "10:00"),  # 10:00 BST
            block(4, 23, "09:00", "10:00"),  # 16 April cancelled
        ),
        days_off=frozenset({date(2026, 4, 20), date(2026, 4, 21), date(2026, 4, 22)}),
    )


def test_floating_times_are_read_in_the_persons_zone():
    """The same floating 08:00 is 12:00 UTC for someone in New York (EDT)."""
    result = busy_blocks(sample("recurring.ics"), utc(2026, 3, 9), utc(2026, 3, 11), NEW_YORK)

    assert result.blocks == (block(3, 10, "12:00", "12:30"),)


def test_only_the_window_is_read_and_blocks_overlapping_it_are_kept_whole():
    """A block that began before the window keeps its real start; days off outside the
    window are left out."""
    result = busy_blocks(
        sample("recurring.ics"), utc(2026, 3, 5, 10, 30), utc(2026, 4, 21, 12), LONDON
    )

    assert result.blocks[0] == block(3, 5, "10:00", "11:00")
    assert result.blocks[-1] == block(4, 9, "09:00", "10:00")
    assert result.days_off == frozenset({date(2026, 4, 20), date(2026, 4, 21)})


def test_days_off_are_the_persons_local_dates_in_the_window():
    """The window's end at 04:00 UTC on the 20th is still the 19th in New York."""
    result = busy_blocks(sample("google.ics"), utc(2026, 3, 10), utc(2026, 3, 20, 4), NEW_YORK)

    assert result.days_off == frozenset({date(2026, 3, 19)})


@pytest.mark.parametrize(
    ("tzid", "person", "expected"),
    [
        # Some feeds omit the VTIMEZONE; icalendar maps the Windows name to an Olson zone.
        ('"Pacific Standard Time"', LONDON, block(3, 10, "16:00", "17:00")),  # 09:00 PDT
        # A TZID that neither the file nor icalendar knows leaves the time floating: read
        # in the person's zone.
        ("Customized Time Zone", BERLIN, block(3, 10, "08:00", "09:00")),  # 09:00 CET
    ],
)
def test_zone_names_without_a_vtimezone(tzid, person, expected):
    ics = calendar_with([
        f"DTSTART;TZID={tzid}:20260310T090000",
        f"DTEND;TZID={tzid}:20260310T100000",
    ])

    result = busy_blocks(ics, utc(2026, 3, 1), utc(2026, 4, 1), person)

    assert result.blocks == (expected,)


def test_one_calendars_time_zones_never_leak_into_the_next():
    """icalendar caches VTIMEZONEs process-wide by TZID: one person's "Customized Time
    Zone" at UTC+14 must not move the next person's meetings in theirs."""

    def customized_zone_calendar(offset):
        event = calendar_with([
            "DTSTART;TZID=Customized Time Zone:20260310T090000",
            "DTEND;TZID=Customized Time Zone:20260310T100000",
        ])
        return event.replace(
            b"BEGIN:VEVENT",
            b"BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\n"
            b"DTSTART:16010101T000000\r\nTZOFFSETFROM:" + offset + b"\r\nTZOFFSETTO:" + offset
            + b"\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT",
        )

    window = (utc(2026, 3, 1), utc(2026, 4, 1))
    first = busy_blocks(customized_zone_calendar(b"+1400"), *window, BERLIN)
    second = busy_blocks(customized_zone_calendar(b"+0100"), *window, BERLIN)

    assert first.blocks == (Block(utc(2026, 3, 9, 19), utc(2026, 3, 9, 20)),)
    assert second.blocks == (block(3, 10, "08:00", "09:00"),)


TIMED = ["DTSTART:20260310T090000Z", "DTEND:20260310T100000Z"]
ALL_DAY = ["DTSTART;VALUE=DATE:20260310", "DTEND;VALUE=DATE:20260311"]


@pytest.mark.parametrize(
    ("extra", "busy"),
    [
        ([], True),
        (["TRANSP:OPAQUE", "STATUS:CONFIRMED"], True),
        (["STATUS:TENTATIVE"], True),
        (["X-MICROSOFT-CDO-BUSYSTATUS:BUSY"], True),
        (["X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE"], True),
        (["X-MICROSOFT-CDO-BUSYSTATUS:OOF"], True),
        (["TRANSP:TRANSPARENT"], False),
        (["STATUS:CANCELLED"], False),
        (["X-MICROSOFT-CDO-BUSYSTATUS:FREE", "TRANSP:OPAQUE"], False),
    ],
)
def test_which_timed_events_are_busy(extra, busy):
    """Busy unless transparent, cancelled or free; all-day rules don't apply."""
    result = busy_blocks(
        calendar_with(TIMED + extra), utc(2026, 3, 1), utc(2026, 4, 1), LONDON
    )

    assert result.blocks == ((block(3, 10, "09:00", "10:00"),) if busy else ())
    assert result.days_off == frozenset()


@pytest.mark.parametrize(
    ("extra", "day_off"),
    [
        ([], False),  # opaque only by default: a plain all-day note
        (["TRANSP:OPAQUE"], True),
        (["TRANSP:TRANSPARENT"], False),
        (["X-MICROSOFT-CDO-BUSYSTATUS:OOF", "TRANSP:TRANSPARENT"], True),
        (["X-MICROSOFT-CDO-BUSYSTATUS:OOF", "STATUS:CANCELLED"], False),
        (["TRANSP:OPAQUE", "STATUS:CANCELLED"], False),
        (["TRANSP:OPAQUE", "X-MICROSOFT-CDO-BUSYSTATUS:FREE"], False),
    ],
)
def test_which_all_day_events_are_days_off(extra, day_off):
    """Out of office (OOF) or explicitly opaque, and not cancelled or free; never a block."""
    result = busy_blocks(
        calendar_with(ALL_DAY + extra), utc(2026, 3, 1), utc(2026, 4, 1), LONDON
    )

    assert result.blocks == ()
    assert result.days_off == (frozenset({date(2026, 3, 10)}) if day_off else frozenset())


def test_durations_and_events_without_length():
    """DURATION sets the end; an event with no end and no duration takes no time."""
    ics = calendar_with(
        ["DTSTART:20260310T090000Z", "DURATION:PT45M"],
        ["DTSTART:20260311T090000Z"],
    )

    result = busy_blocks(ics, utc(2026, 3, 1), utc(2026, 4, 1), LONDON)

    assert result.blocks == (block(3, 10, "09:00", "09:45"),)


# Privacy


@pytest.mark.parametrize("name", ["google.ics", "outlook.ics", "recurring.ics"])
def test_nothing_but_times_and_dates_survive(name):
    """No title, note, place, person or UID from the file appears in the result."""
    ics = sample(name)
    texts = private_texts(ics)
    assert len(texts) > 10  # the check below has something to find

    result = busy_blocks(ics, utc(2026, 3, 1), utc(2026, 4, 30), LONDON)

    shown = repr(result)
    assert [text for text in texts if text in shown] == []
    assert [field.name for field in fields(Calendar)] == ["blocks", "days_off"]
    assert [field.name for field in fields(Block)] == ["start", "end"]
    assert all(type(moment) is datetime for b in result.blocks for moment in (b.start, b.end))
    assert all(b.start.utcoffset() == timedelta(0) for b in result.blocks)
    assert all(type(day) is date for day in result.days_off)


def test_nothing_from_a_calendar_or_feed_address_is_logged(caplog, feed_server):
    """Reading and fetching log neither the calendar's contents nor the secret address."""
    secret_path = "/feed.ics?token=s3cr3t-t0ken"
    with caplog.at_level(logging.DEBUG):
        fetched = fetch_feed(feed_server.url + secret_path, allow_local=True, timeout=2)
        busy_blocks(fetched.body, utc(2026, 3, 1), utc(2026, 4, 1), NEW_YORK)
        with pytest.raises(CalendarError):
            fetch_feed(feed_server.url + "/missing?token=s3cr3t-t0ken", allow_local=True)

    logged = caplog.text
    assert "s3cr3t-t0ken" not in logged
    assert [text for text in private_texts(fetched.body) if text in logged] == []
    assert "s3cr3t" not in repr(fetched)


# Calendars Tend refuses


@pytest.mark.parametrize(
    ("ics", "message"),
    [
        (b"", calendar.NOT_A_CALENDAR),
        (b"   \r\n\r\n", calendar.NOT_A_CALENDAR),
        (b"Dear Ada, here are next week's sessions.", calendar.NOT_A_CALENDAR),
        (bytes(range(256)) * 40, calendar.NOT_A_CALENDAR),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), calendar.NOT_A_CALENDAR),
        (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Quill\r\nEND:VCARD\r\n", calendar.NOT_A_CALENDAR),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260310T090000Z\r\n",
         calendar.NOT_A_CALENDAR),
        (calendar_with(["DTSTART:the tenth of March"]), calendar.UNREADABLE),
        (calendar_with(["DTSTART:20260310T090000Z", "RRULE:FREQ=FORTNIGHTLY"]),
         calendar.UNREADABLE),
        (calendar_with(["DTSTART:20260310T090000Z", "RRULE:FREQ=MINUTELY"]),
         calendar.TOO_OFTEN),
        (calendar_with(["DTSTART:20260310T090000Z", "RRULE:FREQ=DAILY;BYHOUR=9,10"]),
         calendar.TOO_OFTEN),
        (b"BEGIN:VCALENDAR\r\n" + b"X-FILLER:" + b"x" * calendar.MAX_BYTES,
         calendar.TOO_LARGE),
    ],
    ids=[
        "empty", "blank", "letter", "binary", "image", "vcard", "cut-off", "bad-date",
        "bad-rule", "minutely", "hourly-by-parts", "huge",
    ],
)
def test_files_that_are_not_calendars_tend_can_read(ics, message):
    """Each gives a CalendarError whose message can be shown to the person."""
    with pytest.raises(CalendarError) as caught:
        busy_blocks(ics, utc(2026, 3, 1), utc(2026, 4, 1), LONDON)

    assert str(caught.value) == message


def test_an_endless_rule_in_a_huge_window_stops_at_the_cap():
    """A daily series over twenty years would be 7,305 events: too many."""
    ics = calendar_with(
        ["DTSTART:20100101T090000Z", "DTEND:20100101T100000Z", "RRULE:FREQ=DAILY"]
    )

    with pytest.raises(CalendarError, match="more events than Tend can read"):
        busy_blocks(ics, utc(2010, 1, 1), utc(2030, 1, 1), LONDON)


def test_reading_stops_at_the_time_limit(monkeypatch):
    """Expansion checks the clock, so a calendar that is slow to expand is refused."""
    monkeypatch.setattr(calendar, "READ_SECONDS", -1)

    with pytest.raises(CalendarError, match="took too long to read"):
        busy_blocks(sample("recurring.ics"), utc(2026, 3, 1), utc(2026, 4, 1), LONDON)


def test_a_daily_rule_with_one_hour_is_fine():
    """BYHOUR with a single value still means once a day."""
    ics = calendar_with(["DTSTART:20260310T090000Z", "RRULE:FREQ=DAILY;COUNT=2;BYHOUR=9",
                         "DURATION:PT1H"])

    result = busy_blocks(ics, utc(2026, 3, 1), utc(2026, 4, 1), LONDON)

    assert result.blocks == (block(3, 10, "09:00", "10:00"), block(3, 11, "09:00", "10:00"))


def test_text_is_refused_before_icalendar_can_read_it_as_a_path():
    """icalendar treats a str without line breaks as a file name."""
    with pytest.raises(TypeError):
        busy_blocks("/etc/hostname", utc(2026, 3, 1), utc(2026, 4, 1), LONDON)


# Checking feed addresses, with a fake resolver: no test here touches the network


@pytest.fixture
def resolver(monkeypatch):
    """A fake DNS: the names below, and IP literals parsed without any lookup."""
    real_getaddrinfo = socket.getaddrinfo
    names = {
        "calendar.example": [PUBLIC_ADDRESS],
        "localhost": ["127.0.0.1", "::1"],
        "private.example": ["10.20.30.40"],
        "mixed.example": ["93.184.215.14", "192.168.1.20"],
        "rebound.example": ["169.254.169.254"],
    }
    lookups = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        lookups.append(host)
        if host in names:
            return [
                (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6,
                 "", (address, port))
                for address in names[host]
            ]
        try:
            return real_getaddrinfo(host, port, family, type, proto, socket.AI_NUMERICHOST)
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("webcal://calendar.example/u/ada/basic.ics?token=abc",
         "https://calendar.example/u/ada/basic.ics?token=abc"),
        ("  https://Calendar.Example:8443/feed.ics  ", "https://calendar.example:8443/feed.ics"),
        ("WEBCAL://calendar.example", "https://calendar.example/"),
        ("https://calendar.example/feed.ics#top", "https://calendar.example/feed.ics"),
    ],
)
def test_good_addresses_come_back_as_https(resolver, url, expected):
    """webcal:// is https://; the host is lowercased and the fragment dropped."""
    assert check_feed_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://calendar.example/feed.ics", calendar.NOT_HTTPS),
        ("ftp://calendar.example/feed.ics", calendar.NOT_HTTPS),
        ("file:///etc/passwd", calendar.NOT_HTTPS),
        ("javascript:alert(1)", calendar.NOT_HTTPS),
        ("calendar.example/feed.ics", calendar.NOT_HTTPS),
        ("", calendar.NOT_HTTPS),
        ("https://", calendar.NOT_AN_ADDRESS),
        ("https://[::1/feed.ics", calendar.NOT_AN_ADDRESS),
        ("https://calendar.example:99999/", calendar.NOT_AN_ADDRESS),
        ("https://ada:hunter2@calendar.example/feed.ics", calendar.HAS_USER_INFO),
        ("https://ada@calendar.example/feed.ics", calendar.HAS_USER_INFO),
        ("https://nowhere.example/feed.ics", calendar.NOT_FOUND),
        ("https://localhost/feed.ics", calendar.NOT_PUBLIC),
        ("https://127.0.0.1/feed.ics", calendar.NOT_PUBLIC),
        ("https://127.1/feed.ics", calendar.NOT_PUBLIC),
        ("https://2130706433/feed.ics", calendar.NOT_PUBLIC),
        ("https://[::1]/feed.ics", calendar.NOT_PUBLIC),
        ("https://0.0.0.0/feed.ics", calendar.NOT_PUBLIC),
        ("https://[::]/feed.ics", calendar.NOT_PUBLIC),
        ("https://[::ffff:127.0.0.1]/feed.ics", calendar.NOT_PUBLIC),
        ("https://[::ffff:169.254.169.254]/feed.ics", calendar.NOT_PUBLIC),
        ("https://[::127.0.0.1]/feed.ics", calendar.NOT_PUBLIC),
        ("https://10.0.0.1/feed.ics", calendar.NOT_PUBLIC),
        ("https://172.16.0.1/feed.ics", calendar.NOT_PUBLIC),
        ("https://172.31.255.254/feed.ics", calendar.NOT_PUBLIC),
        ("https://192.168.1.1/feed.ics", calendar.NOT_PUBLIC),
        ("https://169.254.169.254/latest/meta-data/", calendar.NOT_PUBLIC),
        ("https://100.64.0.1/feed.ics", calendar.NOT_PUBLIC),
        ("https://198.18.0.1/feed.ics", calendar.NOT_PUBLIC),
        ("https://224.0.0.1/feed.ics", calendar.NOT_PUBLIC),
        ("https://240.0.0.1/feed.ics", calendar.NOT_PUBLIC),
        ("https://255.255.255.255/feed.ics", calendar.NOT_PUBLIC),
        ("https://[fd00::1]/feed.ics", calendar.NOT_PUBLIC),
        ("https://[fe80::1]/feed.ics", calendar.NOT_PUBLIC),
        ("https://[ff02::1]/feed.ics", calendar.NOT_PUBLIC),
        ("https://[2002:a00:1::]/feed.ics", calendar.NOT_PUBLIC),  # 6to4 of 10.0.0.1
        ("https://[64:ff9b::a9fe:a9fe]/feed.ics", calendar.NOT_PUBLIC),  # NAT64 metadata
        ("https://private.example/feed.ics", calendar.NOT_PUBLIC),
        ("https://mixed.example/feed.ics", calendar.NOT_PUBLIC),
        ("https://rebound.example/feed.ics", calendar.NOT_PUBLIC),
    ],
)
def test_addresses_tend_wont_fetch(resolver, url, message):
    """Only https to hosts whose every address is public; each refusal says why."""
    with pytest.raises(CalendarError) as caught:
        check_feed_url(url)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/feed.ics", "http://localhost/feed.ics", "http://[::1]/feed.ics",
     "https://127.0.0.5/feed.ics", "webcal://calendar.example/feed.ics"],
)
def test_allow_local_lets_loopback_and_http_through(resolver, url):
    """The local-test switch allows plain http and loopback addresses..."""
    assert check_feed_url(url, allow_local=True).startswith(("http://", "https://"))


@pytest.mark.parametrize(
    "url",
    ["http://0.0.0.0/feed.ics", "http://10.0.0.1/feed.ics", "http://169.254.169.254/",
     "http://[fe80::1]/", "http://private.example/", "ftp://127.0.0.1/feed.ics",
     "http://ada:pw@127.0.0.1/feed.ics"],
)
def test_allow_local_refuses_everything_else(resolver, url):
    """...and nothing more."""
    with pytest.raises(CalendarError):
        check_feed_url(url, allow_local=True)


def test_checks_are_made_on_parsed_addresses():
    """Spot checks of the address rule itself, IPv4 and IPv6."""
    public = calendar._is_public
    assert public(ipaddress.ip_address("93.184.215.14"), allow_local=False)
    assert public(ipaddress.ip_address("2606:4700::6810:84e5"), allow_local=False)
    assert public(ipaddress.ip_address("::ffff:93.184.215.14"), allow_local=False)
    assert not public(ipaddress.ip_address("127.0.0.1"), allow_local=False)
    assert public(ipaddress.ip_address("127.0.0.1"), allow_local=True)
    assert public(ipaddress.ip_address("::1"), allow_local=True)
    assert not public(ipaddress.ip_address("0.0.0.0"), allow_local=True)


# Fetching from a real local server


class FeedHandler(http.server.BaseHTTPRequestHandler):
    """Serves the Google sample and misbehaves on purpose, one path per misdeed."""

    def do_GET(self):
        """Answer by path."""
        url = urlsplit(self.path)
        self.server.requests.append((url.path, dict(self.headers)))
        answer = getattr(self, "answer_" + url.path.strip("/").replace("-", "_").replace(
            ".", "_"), None)
        if answer is None:
            self.send_error(404)
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # Tend hung up
            answer(parse_qs(url.query))

    def answer_feed_ics(self, query):
        """The calendar, with validators, or 304 when they match."""
        if self.headers.get("If-None-Match") == '"v1"' or (
            self.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            self.send_response(304)
            self.end_headers()
            return
        self.send_body(sample("google.ics"), ETag='"v1"', **{"Last-Modified": LAST_MODIFIED})

    def answer_big_declared(self, query):
        """A body over the cap, with its length declared."""
        self.send_body(b"x" * 5_000)

    def answer_big_streamed(self, query):
        """A body over the cap without a Content-Length: it ends when the server closes."""
        self.send_response(200)
        self.end_headers()
        for _ in range(5):
            self.wfile.write(b"x" * 1_000)

    def answer_stall(self, query):
        """Headers, then nothing."""
        self.send_response(200)
        self.end_headers()
        self.wfile.flush()
        self.server.release.wait(5)

    def answer_dribble(self, query):
        """Headers, then a byte now and then, never slow enough for a read timeout."""
        self.send_response(200)
        self.end_headers()
        while not self.server.release.wait(0.02):
            self.wfile.write(b"x")
            self.wfile.flush()

    def answer_dribble_headers(self, query):
        """A status line and headers that never finish."""
        self.wfile.write(b"HTTP/1.0 200 OK\r\n")
        while not self.server.release.wait(0.02):
            self.wfile.write(b"X")
            self.wfile.flush()

    def answer_gone(self, query):
        """The feed was reset."""
        self.send_error(410)

    def answer_busy(self, query):
        """The calendar service is down."""
        self.send_error(503)

    def answer_redirect_to(self, query):
        """Send the client wherever ?target= says."""
        self.send_response(302)
        self.send_header("Location", query["target"][0])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def answer_no_location(self, query):
        """A redirect that doesn't say where."""
        self.send_response(302)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def answer_loop(self, query):
        """A redirect to itself, for ever."""
        self.answer_redirect_to({"target": ["/loop"]})

    def send_body(self, body, **headers):
        """A 200 answer with a Content-Length."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        """Keep the test output quiet."""


class FeedServer(http.server.ThreadingHTTPServer):
    """A feed server whose handler threads are all joined when it closes."""

    daemon_threads = False

    def __init__(self, url_host="127.0.0.1"):
        super().__init__(("127.0.0.1", 0), FeedHandler)
        self.requests = []
        self.release = threading.Event()
        self.url_host = url_host

    @property
    def port(self):
        """The port the server listens on."""
        return self.server_address[1]

    def handle_error(self, request, client_address):
        """A client hanging up mid-answer is expected here."""


def running(server, scheme):
    """Serve in a thread; yield; then release stalled handlers and close everything."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    server.url = f"{scheme}://{server.url_host}:{server.port}"
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def feed_server():
    """A plain-HTTP feed server on 127.0.0.1: only reachable with allow_local."""
    yield from running(FeedServer(), "http")


def test_fetching_a_feed(feed_server):
    """The body comes back whole with its validators, and reads as a calendar."""
    fetched = fetch_feed(feed_server.url + "/feed.ics", allow_local=True, timeout=2)

    assert fetched == Fetched(body=sample("google.ics"), etag='"v1"', last_modified=LAST_MODIFIED)
    assert busy_blocks(fetched.body, utc(2026, 3, 1), utc(2026, 4, 1), NEW_YORK).blocks
    _, headers = feed_server.requests[0]
    assert headers["Host"] == f"127.0.0.1:{feed_server.port}"
    assert "If-None-Match" not in headers


@pytest.mark.parametrize(
    "validators", [{"etag": '"v1"'}, {"last_modified": LAST_MODIFIED}], ids=["etag", "date"]
)
def test_an_unchanged_feed_gives_none(feed_server, validators):
    """If-None-Match or If-Modified-Since is sent, and 304 means unchanged."""
    assert fetch_feed(feed_server.url + "/feed.ics", allow_local=True, **validators) is None
    _, headers = feed_server.requests[0]
    assert headers.get("If-None-Match") == validators.get("etag")
    assert headers.get("If-Modified-Since") == validators.get("last_modified")


@pytest.mark.parametrize("path", ["/big-declared", "/big-streamed"])
def test_a_feed_over_the_size_cap_is_refused(feed_server, path):
    """Refused from its Content-Length, or while reading when there is none."""
    with pytest.raises(CalendarError) as caught:
        fetch_feed(feed_server.url + path, allow_local=True, max_bytes=1_000)

    assert str(caught.value) == calendar.TOO_LARGE


def test_a_feed_just_under_the_cap_is_fine(feed_server):
    """The cap is on the size, not on streaming."""
    fetched = fetch_feed(feed_server.url + "/big-streamed", allow_local=True, max_bytes=5_000)

    assert fetched.body == b"x" * 5_000


def test_a_stalled_server_times_out(feed_server):
    """The read timeout ends a silent server quickly."""
    began = time.monotonic()

    with pytest.raises(CalendarError) as caught:
        fetch_feed(feed_server.url + "/stall", allow_local=True, timeout=0.2)

    assert str(caught.value) == calendar.TOO_SLOW_TO_FETCH
    assert time.monotonic() - began < 2


@pytest.mark.parametrize("path", ["/dribble", "/dribble-headers"])
def test_a_dribbling_server_is_cut_off_at_the_deadline(feed_server, path):
    """A byte every 20 ms never trips the read timeout, but the deadline hangs up."""
    began = time.monotonic()

    with pytest.raises(CalendarError) as caught:
        fetch_feed(feed_server.url + path, allow_local=True, timeout=1, deadline=0.3)

    assert str(caught.value) == calendar.TOO_SLOW_TO_FETCH
    assert time.monotonic() - began < 1.5


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/missing", "answered 404: it may have been reset in your calendar app"),
        ("/gone", "answered 410"),
        ("/busy", "answered 503: the calendar service seems busy"),
    ],
)
def test_error_statuses_are_named_in_plain_words(feed_server, path, words):
    """The person sees the status and what it probably means."""
    with pytest.raises(CalendarError, match=words):
        fetch_feed(feed_server.url + path, allow_local=True)


def test_nothing_listening_is_unreachable(feed_server):
    """A closed port gives a plain message."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    with pytest.raises(CalendarError) as caught:
        fetch_feed(f"http://127.0.0.1:{port}/feed.ics", allow_local=True, timeout=1)

    assert str(caught.value) == calendar.UNREACHABLE


def test_a_redirect_to_another_good_path_is_followed(feed_server):
    """Redirects are followed by hand, each to a checked address."""
    fetched = fetch_feed(
        feed_server.url + "/redirect-to?target=/feed.ics", allow_local=True, timeout=2
    )

    assert fetched.body == sample("google.ics")
    assert [path for path, _ in feed_server.requests] == ["/redirect-to", "/feed.ics"]


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/feed.ics",
        "http://0.0.0.0:{port}/feed.ics",
        "http://[::ffff:169.254.169.254]/",
        "ftp://127.0.0.1/feed.ics",
        "http://ada:pw@127.0.0.1:{port}/feed.ics",
    ],
)
def test_redirects_to_private_addresses_are_refused_even_locally(feed_server, target):
    """allow_local opens loopback only: the metadata service and private networks stay shut."""
    with pytest.raises(CalendarError) as caught:
        fetch_feed(
            feed_server.url + "/redirect-to?target=" + target.format(port=feed_server.port),
            allow_local=True,
        )

    assert str(caught.value) == calendar.BAD_REDIRECT
    assert [path for path, _ in feed_server.requests] == ["/redirect-to"]


def test_a_redirect_without_a_location_is_refused(feed_server):
    """A 302 must say where to go."""
    with pytest.raises(CalendarError, match="sent Tend on to a place"):
        fetch_feed(feed_server.url + "/no-location", allow_local=True)


def test_too_many_redirects_are_refused(feed_server):
    """The first request and three redirects, then Tend stops."""
    with pytest.raises(CalendarError) as caught:
        fetch_feed(feed_server.url + "/loop", allow_local=True)

    assert str(caught.value) == calendar.TOO_MANY_REDIRECTS
    assert len(feed_server.requests) == calendar.MAX_REDIRECTS + 1


def test_plain_http_needs_the_local_switch(feed_server):
    """Without allow_local even a reachable http server is refused before connecting."""
    with pytest.raises(CalendarError):
        fetch_feed(feed_server.url + "/feed.ics")

    assert feed_server.requests == []


# Fetching over HTTPS from a "public" host, as in production


def certificate_authority_and_server_certificate(folder, host_name):
    """A throwaway CA's certificate file, and a server certificate and key it signed."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tend test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, server_file = folder / "ca.pem", folder / "server.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_file.write_bytes(
        server.public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, server_file


@pytest.fixture
def public_feed_server(tmp_path, monkeypatch, resolver):
    """An HTTPS feed server for calendar.example, reached as if over the internet.

    The fake resolver gives calendar.example a public address, and routes that address
    to this machine. The server's certificate comes from a throwaway CA that the
    client trusts through SSL_CERT_FILE.
    """
    ca_file, server_file = certificate_authority_and_server_certificate(
        tmp_path, "calendar.example"
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    server = FeedServer(url_host="calendar.example")
    server.server_names = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(server_file)
    context.sni_callback = lambda sock, name, context: server.server_names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    resolve_name = socket.getaddrinfo  # the fake resolver's

    def getaddrinfo(host, port, *args, **kwargs):
        if host == PUBLIC_ADDRESS:
            resolver.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.port))]
        return resolve_name(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    server.lookups = resolver
    yield from running(server, "https")


def test_fetching_over_https_connects_to_the_checked_address(public_feed_server):
    """webcal:// becomes https://; the name is resolved once, the checked address is
    dialled, and SNI, Host and the certificate all use the real name."""
    feed = public_feed_server

    fetched = fetch_feed(
        f"webcal://calendar.example:{feed.port}/feed.ics", timeout=2
    )

    assert fetched.body == sample("google.ics")
    assert feed.lookups.count("calendar.example") == 1  # no second lookup to rebind
    assert feed.lookups.count(PUBLIC_ADDRESS) == 1  # the connection went to the checked one
    assert feed.server_names == ["calendar.example"]
    _, headers = feed.requests[0]
    assert headers["Host"] == f"calendar.example:{feed.port}"


def test_a_dribbling_https_server_is_cut_off_at_the_deadline(public_feed_server):
    """The deadline also ends reads inside TLS."""
    began = time.monotonic()

    with pytest.raises(CalendarError) as caught:
        fetch_feed(
            f"https://calendar.example:{public_feed_server.port}/dribble", timeout=1, deadline=0.3
        )

    assert str(caught.value) == calendar.TOO_SLOW_TO_FETCH
    assert time.monotonic() - began < 1.5


@pytest.fixture
def dribbling_handshake_server():
    """A TCP server that starts a TLS handshake record and then sends a byte at a time."""
    listener = socket.create_server(("127.0.0.1", 0))
    release = threading.Event()

    def serve():
        connection, _ = listener.accept()
        with connection, contextlib.suppress(OSError):
            connection.sendall(b"\x16\x03\x03\x40\x00")  # a 16 KB handshake record...
            while not release.wait(0.02):
                connection.sendall(b"\x00")  # ...arriving one byte at a time

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        release.set()
        with contextlib.suppress(OSError), socket.create_connection(listener.getsockname()):
            pass  # wakes accept() if the test never connected
        thread.join()
        listener.close()


def test_a_dribbled_tls_handshake_is_cut_off_by_the_timeout(dribbling_handshake_server):
    """Python's ssl module gives the whole handshake one timeout, however it trickles in."""
    began = time.monotonic()

    with pytest.raises(CalendarError) as caught:
        fetch_feed(
            f"https://127.0.0.1:{dribbling_handshake_server}/feed.ics",
            allow_local=True, timeout=0.3,
        )

    assert str(caught.value) == calendar.TOO_SLOW_TO_FETCH
    assert time.monotonic() - began < 1.5


def test_a_certificate_for_another_name_is_refused(public_feed_server, monkeypatch):
    """The certificate is checked against the name in the address, not the IP."""
    feed = public_feed_server
    names_to_public = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "other.example":
            return names_to_public("calendar.example", port, *args, **kwargs)
        return names_to_public(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    with pytest.raises(CalendarError) as caught:
        fetch_feed(f"https://other.example:{feed.port}/feed.ics", timeout=2)

    assert str(caught.value) == calendar.BAD_CERTIFICATE
    assert feed.requests == []


@pytest.mark.parametrize(
    "target",
    [
        "https://127.0.0.1:{port}/feed.ics",
        "https://localhost:{port}/feed.ics",
        "https://[::1]:{port}/feed.ics",
        "http://calendar.example:{port}/feed.ics",
        "https://rebound.example/latest/meta-data/",
    ],
)
def test_redirects_to_loopback_or_http_are_refused_without_the_local_switch(
    public_feed_server, target
):
    """Each redirect is checked like the first address: https and public only."""
    feed = public_feed_server
    target = target.format(port=feed.port)

    with pytest.raises(CalendarError) as caught:
        fetch_feed(f"https://calendar.example:{feed.port}/redirect-to?target={target}", timeout=2)

    assert str(caught.value) == calendar.BAD_REDIRECT
    assert [path for path, _ in feed.requests] == ["/redirect-to"]


def test_urllib3_never_logs_a_feeds_secret_path():
    record = logging.LogRecord(
        "urllib3.connection", logging.WARNING, __file__, 1, "Failed to parse headers (url=%s): %s",
        ("https://calendar.example.org/private/abc123secret/basic.ics", "bad header"), None,
    )
    assert logging.getLogger("urllib3.connection").filter(record)
    assert record.getMessage() == (
        "Failed to parse headers (url=https://calendar.example.org): bad header"
    )
