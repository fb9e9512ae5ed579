"""Busy times and days off from a person's calendar, and fetching a calendar feed safely.

A person can give Tend their calendar as an uploaded .ics file, or as the secret .ics
address their calendar app offers, so that reminders can come as a session ends. Of a
calendar Tend keeps only when the person is busy and which days they are away: the
results below hold nothing but datetimes and dates, so a title, an attendee, a place, a
note or an identifier cannot be stored or shown by mistake. Nothing from a calendar is
logged, and neither is a feed's address, which is as secret as a password.

Parsing is left to icalendar and recurring-ical-events; fetching connects only to
public addresses that were checked first.
"""
import contextlib
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import urllib3

MAX_BYTES = 2 * 1024 * 1024  # the largest calendar Tend reads, uploaded or fetched
MAX_OCCURRENCES = 5_000  # events (recurrences counted one by one) in the window read
READ_SECONDS = 5  # the time allowed to work out the events in the window
MAX_REDIRECTS = 3
FETCH_SECONDS = 30  # the whole fetch, however slowly the server answers

# More frequent rules make the recurrence library step through every second, minute
# or hour since the series began; calendar apps never write them for events.
DAILY_OR_SLOWER = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
SUB_DAILY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")

REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024
USER_AGENT = "Tend calendar reader (busy times only)"

# IPv6 ranges that carry an IPv4 address in their last 32 bits, where a private IPv4
# address could hide: IPv4-mapped, IPv4-compatible (deprecated) and NAT64.
IPV4_INSIDE_IPV6 = (
    ipaddress.IPv6Network("::ffff:0:0/96"),
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
)

NOT_A_CALENDAR = "This doesn't look like a calendar file (.ics)."
TOO_LARGE = f"This calendar is too large for Tend to read (over {MAX_BYTES // 2**20} MB)."
UNREADABLE = "Tend couldn't read the events in this calendar. Try exporting it again."
TOO_OFTEN = (
    "This calendar has an event that repeats more than once a day, which Tend can't read."
)
TOO_MANY = "This calendar has more events than Tend can read at once."
TOO_SLOW_TO_READ = "This calendar took too long to read. Try exporting fewer months."
NOT_HTTPS = "Calendar addresses start with https:// or webcal://."
NOT_AN_ADDRESS = "This doesn't look like a web address."
HAS_USER_INFO = "Please paste the address without a user name or password in it."
NOT_FOUND = "Tend couldn't find that calendar address. Please check it and try again."
NOT_PUBLIC = "This address points to a private network, and Tend only fetches public ones."
BAD_REDIRECT = "The calendar address sent Tend on to a place it won't fetch from."
TOO_MANY_REDIRECTS = "The calendar address sent Tend on too many times."
UNREACHABLE = "Tend couldn't reach the calendar address. Please try again later."
BAD_CERTIFICATE = "The calendar address's security certificate isn't valid."
TOO_SLOW_TO_FETCH = "The calendar address took too long to answer. Please try again later."

NETWORK_ERRORS = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)

# icalendar keeps every VTIMEZONE it reads in one cache for the whole process, keyed
# by TZID, and prefers it to its own tables. Without a fresh cache, the first calendar
# to define "Eastern Standard Time" or "Customized Time Zone" would decide what those
# mean in every calendar read after it. The lock keeps two readers from sharing it.
_TIMEZONE_CACHE_LOCK = threading.Lock()


def _secret_paths_left_out(record):
    """urllib3 logs the whole address it fetched when a server's headers don't parse; a
    feed's address (like a push endpoint) is a secret, so only its origin stays."""
    if str(record.msg).startswith("Failed to parse headers") and record.args:
        address, *rest = record.args
        parts = urlsplit(str(address))
        record.args = (f"{parts.scheme}://{parts.hostname}", *rest)
    return True


logging.getLogger("urllib3.connection").addFilter(_secret_paths_left_out)


class CalendarError(Exception):
    """A calendar Tend can't use, with a message fit to show the person next to the field."""


@dataclass(frozen=True, slots=True, order=True)
class Block:
    """A stretch of busy time, as aware UTC datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Calendar:
    """All Tend keeps of a calendar: busy blocks (sorted, merged) and days off."""

    blocks: tuple[Block, ...]
    days_off: frozenset[date]


@dataclass(frozen=True, slots=True)
class Fetched:
    """A calendar feed as fetched, with the validators to send next time."""

    body: bytes = field(repr=False)  # the whole calendar: never shown in logs
    etag: str | None
    last_modified: str | None


# Reading a calendar


def busy_blocks(ics: bytes, start: datetime, end: datetime, timezone: str) -> Calendar:
    """Read a calendar's busy blocks and days off between start and end.

    `start` and `end` are aware datetimes; recurring events are expanded only between
    them. `timezone` is the person's IANA zone: floating times are read in it, unless the
    calendar names its own zone in X-WR-TIMEZONE (as Google's do), and days off are
    the dates in it that the window touches.

    A timed event is busy unless it is transparent, cancelled or marked free by Outlook
    (X-MICROSOFT-CDO-BUSYSTATUS:FREE); tentative and out-of-office count as busy, so a
    timed out-of-office event is simply a block. Blocks that overlap the window are kept
    whole, so a session running past its end still ends when it really ends. An all-day
    event is never a block: it makes its days days off when it is out of office, that is
    marked OOF by Outlook, or given explicitly as opaque (TRANSP:OPAQUE), and not free or
    cancelled. Birthdays and holidays shown as free mark nothing.

    Raises CalendarError, with a message for the person, for anything that isn't a
    calendar Tend can read, including files over MAX_BYTES and windows with more than
    MAX_OCCURRENCES events.
    """
    if not isinstance(ics, bytes):
        # icalendar reads a str without line breaks as a path to a file on disk.
        raise TypeError("ics must be bytes")
    if start.tzinfo is None or end.tzinfo is None or not start < end:
        raise ValueError("start and end must be aware datetimes, start first")
    zone = ZoneInfo(timezone)
    window_start, window_end = start.astimezone(zone), end.astimezone(zone)
    query = _calendar_query(ics)
    blocks, days_off = [], set()
    with _unreadable_as_calendar_error():
        for event in _events_in_window(query, window_start, window_end):
            if not isinstance(event.start, datetime):
                if _is_out_of_office_day(event):
                    days_off.update(_days_in_window(event, window_start, window_end))
            elif _is_busy(event):
                block = Block(_in_utc(event.start, zone), _in_utc(event.end, zone))
                if block.start < block.end:
                    blocks.append(block)
    return Calendar(blocks=_merged(blocks), days_off=frozenset(days_off))


def _calendar_query(ics):
    """Parse the calendar and prepare its events for expansion."""
    if len(ics) > MAX_BYTES:
        raise CalendarError(TOO_LARGE)
    try:
        with _TIMEZONE_CACHE_LOCK:
            icalendar.use_zoneinfo()  # starts a fresh timezone cache, see above
            calendar = icalendar.Calendar.from_ical(ics)
    except Exception as error:  # a parser meeting bad input raises all sorts of errors
        raise CalendarError(NOT_A_CALENDAR) from error
    if calendar.name != "VCALENDAR":
        raise CalendarError(NOT_A_CALENDAR)
    with _unreadable_as_calendar_error():
        _refuse_rules_more_often_than_daily(calendar)
        return recurring_ical_events.of(calendar)


@contextlib.contextmanager
def _unreadable_as_calendar_error():
    """Turn whatever the parsers raise on malformed events into a CalendarError."""
    try:
        yield
    except CalendarError:
        raise
    except Exception as error:  # a parser meeting bad input raises all sorts of errors
        raise CalendarError(UNREADABLE) from error


def _refuse_rules_more_often_than_daily(calendar):
    """Refuse recurrence rules that could keep the recurrence library busy for minutes."""
    for event in calendar.walk("VEVENT"):
        for rule in event.rrules:
            too_often = any(len(rule.get(part, ())) > 1 for part in SUB_DAILY_PARTS)
            if too_often or not set(rule.get("FREQ", ())) <= DAILY_OR_SLOWER:
                raise CalendarError(TOO_OFTEN)


def _events_in_window(query, start, end):
    """Yield each event occurrence overlapping the window, within the caps on work.

    Series are expanded one at a time and lazily, so an endless rule in a huge window
    stops at MAX_OCCURRENCES instead of filling memory first.
    """
    give_up_at = time.monotonic() + READ_SECONDS
    count = 0
    for series in query.series:
        for occurrence in series.between(start, end):
            count += 1
            if count > MAX_OCCURRENCES:
                raise CalendarError(TOO_MANY)
            if time.monotonic() > give_up_at:
                raise CalendarError(TOO_SLOW_TO_READ)
            yield occurrence.as_component(keep_recurrence_attributes=False)
        if time.monotonic() > give_up_at:
            raise CalendarError(TOO_SLOW_TO_READ)


def _word(event, name):
    """The value of a one-word property such as STATUS, in capitals ("" when absent)."""
    value = event.get(name, "")
    if isinstance(value, list):
        value = value[0]
    return str(value).strip().upper()


def _is_busy(event):
    """Whether a timed event takes up the person's time."""
    return (
        _word(event, "STATUS") != "CANCELLED"
        and _word(event, "TRANSP") != "TRANSPARENT"
        and _word(event, "X-MICROSOFT-CDO-BUSYSTATUS") != "FREE"
    )


def _is_out_of_office_day(event):
    """Whether an all-day event means the person is away for its days."""
    busy_status = _word(event, "X-MICROSOFT-CDO-BUSYSTATUS")
    if _word(event, "STATUS") == "CANCELLED" or busy_status == "FREE":
        return False
    return busy_status == "OOF" or _word(event, "TRANSP") == "OPAQUE"


def _days_in_window(event, start, end):
    """The dates of an all-day event that fall within the window, in the person's zone."""
    first = max(event.start, start.date())
    last = min(event.end - timedelta(days=1), (end - timedelta(microseconds=1)).date())
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _in_utc(moment, zone):
    """An event's datetime in UTC, reading a floating time in the person's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _merged(blocks):
    """The blocks in order, with overlapping or touching ones joined into one."""
    merged = []
    for block in sorted(blocks):
        if merged and block.start <= merged[-1].end:
            merged[-1] = Block(merged[-1].start, max(merged[-1].end, block.end))
        else:
            merged.append(block)
    return tuple(merged)


# Fetching a calendar feed


@dataclass(frozen=True, slots=True)
class _Target:
    """A checked feed address: the public addresses to connect to, and the real name."""

    url: str
    scheme: str
    host: str  # for the TLS server name and certificate check
    host_header: str  # the host as the Host header gives it, with any port
    port: int
    path: str  # the path and query to ask for
    addresses: tuple[str, ...]


def check_feed_url(url: str, allow_local: bool = False) -> str:
    """Check a pasted calendar address and return it as the https URL Tend will fetch.

    webcal:// is read as https://. Other schemes, user names or passwords in the address
    and hosts with any non-public address are refused with a CalendarError. With
    `allow_local` (for tests and local development only) plain http and loopback
    addresses are allowed too; every other rule stays.
    """
    return _checked_target(url, allow_local).url


def fetch_feed(
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    *,
    allow_local: bool = False,
    timeout: float = 10,
    deadline: float = FETCH_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> Fetched | None:
    """Fetch a calendar feed, or return None when it hasn't changed (304 Not Modified).

    Every address, including each redirect (at most MAX_REDIRECTS, followed here rather
    than automatically), is checked as check_feed_url checks it. `timeout` bounds
    connecting and each read, `deadline` the whole fetch in seconds, and a body past
    `max_bytes` is refused. Any failure raises CalendarError with a message for the
    person.
    """
    give_up_at = time.monotonic() + deadline
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    target = _checked_target(url, allow_local)
    for _ in range(MAX_REDIRECTS + 1):
        with _response(target, headers, timeout, give_up_at) as response:
            if response.status in REDIRECTS:
                target = _redirect_target(target, response, allow_local)
                continue
            if response.status == 304:
                return None
            if not 200 <= response.status < 300:
                raise CalendarError(_status_message(response.status))
            return Fetched(
                body=_body(response, max_bytes, give_up_at),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
    raise CalendarError(TOO_MANY_REDIRECTS)


def _checked_target(url, allow_local):
    """Check an address by Tend's rules and resolve its host to public addresses."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise CalendarError(NOT_AN_ADDRESS) from error
    scheme = "https" if parts.scheme.lower() == "webcal" else parts.scheme.lower()
    if scheme != "https" and not (allow_local and scheme == "http"):
        raise CalendarError(NOT_HTTPS)
    if "@" in parts.netloc:
        raise CalendarError(HAS_USER_INFO)
    if not parts.hostname:
        raise CalendarError(NOT_AN_ADDRESS)
    host = _ascii_host(parts.hostname)
    port = port or (443 if scheme == "https" else 80)
    host_header = f"[{host}]" if ":" in host else host
    if parts.port:
        host_header += f":{parts.port}"
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return _Target(
        url=urlunsplit((scheme, host_header, parts.path or "/", parts.query, "")),
        scheme=scheme,
        host=host,
        host_header=host_header,
        port=port,
        path=path,
        addresses=_public_addresses(host, port, allow_local),
    )


def _ascii_host(hostname):
    """The host name as DNS and TLS want it: an IP address, or ASCII (IDNA) labels."""
    try:
        return str(ipaddress.ip_address(hostname))
    except ValueError:
        pass
    try:
        return hostname.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise CalendarError(NOT_AN_ADDRESS) from error


def _public_addresses(host, port, allow_local):
    """Resolve the host once and return its addresses, all of which must be public."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise CalendarError(NOT_FOUND) from error
    addresses = []
    for *_, socket_address in answers:
        try:
            address = ipaddress.ip_address(socket_address[0])
        except ValueError as error:
            raise CalendarError(NOT_PUBLIC) from error
        if not _is_public(address, allow_local):
            raise CalendarError(NOT_PUBLIC)
        addresses.append(str(address))
    if not addresses:
        raise CalendarError(NOT_FOUND)
    return tuple(dict.fromkeys(addresses))


def _is_public(address, allow_local):
    """Whether Tend may connect to an address: globally routable, or loopback locally."""
    if allow_local and address.is_loopback:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address.sixtofour and not _is_public(address.sixtofour, allow_local=False):
            return False
        if any(address in network for network in IPV4_INSIDE_IPV6):
            return _is_public(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF), allow_local)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


@contextlib.contextmanager
def _response(target, headers, timeout, give_up_at):
    """Ask the target for its feed and yield the answer, hanging up at the deadline.

    The connection goes to the address that was checked, not to a second lookup of the
    name, so a DNS answer that changes in between (DNS rebinding) can't send it
    elsewhere; the Host header, the TLS server name (SNI) and the certificate check all
    use the real host name.

    `timeout` bounds connecting, the whole TLS handshake (Python's ssl module gives it
    one deadline) and each read. But a server can send a byte just inside it, again and
    again, so once the request is sent a timer shuts the socket at the deadline, which
    ends any blocked read at once. Network failures become CalendarErrors.
    """
    connection = _pinned_connection(target, timeout)
    try:
        connection.request(
            "GET", target.path, headers={**headers, "Host": target.host_header},
            preload_content=False,
        )
        with _hung_up_at(give_up_at, connection.sock):
            response = connection.getresponse()
            try:
                yield response
            finally:
                response.close()
    except NETWORK_ERRORS as error:
        if time.monotonic() >= give_up_at:
            raise CalendarError(TOO_SLOW_TO_FETCH) from error
        raise CalendarError(_network_message(error)) from error
    finally:
        connection.close()


def _pinned_connection(target, timeout):
    """A connection to the target's first checked address, speaking to its real name.

    With server_hostname set, the TLS library sends that name (SNI) and checks the
    certificate against it, whatever address the connection goes to.
    """
    address = target.addresses[0]
    if target.scheme == "http":
        return urllib3.connection.HTTPConnection(address, target.port, timeout=timeout)
    return urllib3.connection.HTTPSConnection(
        address, target.port, timeout=timeout, cert_reqs="CERT_REQUIRED",
        server_hostname=target.host,
    )


@contextlib.contextmanager
def _hung_up_at(give_up_at, sock):
    """Shut the socket from a timer's thread at the deadline, ending any blocked read.

    The socket is taken before the response is read, because http.client lets go of it
    as soon as the headers say the connection will close.
    """
    def hang_up():
        with contextlib.suppress(OSError, ValueError):
            sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(max(give_up_at - time.monotonic(), 0), hang_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()


def _redirect_target(target, response, allow_local):
    """Check the address a redirect points to by the same rules as the first."""
    location = response.headers.get("Location")
    if not location:
        raise CalendarError(BAD_REDIRECT)
    try:
        return _checked_target(urljoin(target.url, location), allow_local)
    except CalendarError as error:
        raise CalendarError(BAD_REDIRECT) from error


def _body(response, max_bytes, give_up_at):
    """Read the body in chunks, refusing it as soon as it passes max_bytes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise CalendarError(TOO_LARGE)
    chunks, size = [], 0
    while chunk := response.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise CalendarError(TOO_LARGE)
        chunks.append(chunk)
    # A body without a length ends when the connection closes, and the watchdog
    # closing it would look just like that: a cut-off calendar must not pass as whole.
    if time.monotonic() >= give_up_at:
        raise CalendarError(TOO_SLOW_TO_FETCH)
    return b"".join(chunks)


def _status_message(status):
    """What an unexpected HTTP status means, for the person."""
    if status in (404, 410):
        return (
            f"The calendar address answered {status}: "
            "it may have been reset in your calendar app."
        )
    if status in (401, 403):
        return (
            f"The calendar address answered {status}: the calendar may be private, "
            "or its secret address may have changed."
        )
    if status == 429 or status >= 500:
        return (
            f"The calendar address answered {status}: "
            "the calendar service seems busy. Please try again later."
        )
    return f"The calendar address answered {status}, which Tend didn't expect."


def _network_message(error):
    """What a network failure means, for the person."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return BAD_CERTIFICATE
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return UNREACHABLE  # urllib3 counts a refused connection as a kind of timeout
    if isinstance(error, TimeoutError | urllib3.exceptions.TimeoutError):
        return TOO_SLOW_TO_FETCH
    return UNREACHABLE
