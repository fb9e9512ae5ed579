"""The identifier guard: free text that seems to name or identify a client.

Tend is for the helper's own reflections, and a phone is easily lost, so text that
looks like a client identifier (a name after "client", a phone number, an email
address, a date of birth, a record number) is pointed out before it is saved. The
person then rewords it or confirms it: nothing is silently saved or silently blocked.

The patterns lean towards asking: a false alarm costs one tap, a missed name may cost
a client's privacy. Each finding says what it looks like, in words for the person.
"""
import re
from typing import NamedTuple

# Words that often follow "client" with a capital letter without being a name.
NOT_NAMES = frozenset({
    "i", "i'm", "i've", "i'd", "a", "an", "and", "as", "at", "but", "by", "for", "from", "he",
    "her", "his", "if", "in", "is", "it", "its", "my", "no", "not", "of", "on", "or", "our",
    "she", "so", "that", "the", "their", "them", "then", "there", "they", "this", "today",
    "tomorrow", "we", "what", "when", "where", "which", "who", "why", "with", "yesterday",
    "you", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "session", "sessions", "work", "team", "group",
    "family", "supervision",
})

PERSON = (
    r"(?:client|patient|service[ -]user|consumer|resident|student|pupil|youth|kid|child|"
    r"boy|girl|mr|mrs|ms|miss|mx|dr)"
)
NAME_AFTER = re.compile(
    rf"\b{PERSON}(?:'s)?(?:\.(?=\s))?\s+(?:called\s+|named\s+)?([A-Z][a-z'’-]+)(?:\s+([A-Z][a-z'’-]+))?"
    , re.IGNORECASE
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits, perhaps with spaces, dots, dashes, brackets or a leading +.
PHONE = re.compile(r"(?<![\w/])\+?\(?\d(?:[\s().-]*\d){6,}(?![\w/])")
DATE_WITH_YEAR = re.compile(
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}|"
    r"\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+"
    r"(?:19|20)\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2})\b",
    re.IGNORECASE,
)
BIRTH = re.compile(r"\b(?:d\.?o\.?b\.?|date of birth|born(?:\s+on|\s+in)?)\b", re.IGNORECASE)
RECORD = re.compile(
    r"\b(?:mrn|nhs|ssn|sin|medicaid|medicare|record|case|file|chart|patient|client|id)"
    r"\s*(?:no\.?|number|num\.?|#|id)?\s*[:#]?\s*([A-Z]{0,4}[-/]?\d[\dA-Z/-]{3,})\b",
    re.IGNORECASE,
)


# A full date whose year is before this reads as a birth date; a later one as a plan.
LONG_PAST = 2010
YEAR = re.compile(r"(?:19|20)\d{2}")


class Finding(NamedTuple):
    """Something in a text that may identify a client: its kind, and the words found."""

    kind: str  # "name", "email", "phone", "birth date", "record number"
    text: str

    @property
    def description(self):
        """The finding in words for the person, e.g. 'a name after "client": Sarah'."""
        return f"{DESCRIPTIONS[self.kind]}: {self.text}"


DESCRIPTIONS = {
    "name": "what looks like a name",
    "email": "an email address",
    "phone": "what looks like a phone number",
    "birth date": "what looks like a date of birth",
    "record number": "what looks like a record or case number",
}


def find_identifiers(text):
    """What in `text` might identify a client, in order of appearance (none: [])."""
    if not text:
        return []
    found = []
    for match in NAME_AFTER.finditer(text):
        name = match.group(1)
        if name.lower() not in NOT_NAMES and name[0].isupper():
            found.append((match.start(1), Finding("name", name)))
    emails = list(EMAIL.finditer(text))
    found += [(match.start(), Finding("email", match.group())) for match in emails]
    records = [match for match in RECORD.finditer(text) if any(c.isdigit() for c in match.group(1))]
    found += [(match.start(1), Finding("record number", match.group(1))) for match in records]
    taken = [match.span() for match in emails + records]
    dates = list(DATE_WITH_YEAR.finditer(text))
    for match in dates:
        if BIRTH.search(text) or _four_digit_year(match.group()):
            found.append((match.start(), Finding("birth date", match.group())))
            taken.append(match.span())
    for match in PHONE.finditer(text):
        if not any(start <= match.start() < end for start, end in taken):
            found.append((match.start(), Finding("phone", match.group().strip())))
    return [finding for _, finding in sorted(found, key=lambda pair: pair[0])]


def _four_digit_year(text):
    """A full date whose year is long past reads as a birth date; this year's is a plan."""
    years = YEAR.findall(text)
    return any(int(year) < LONG_PAST for year in years)


def phone_rules():
    """These rules for the service worker (service_worker/guard.js), which must know
    whether a write's text may identify a client before it answers from the phone: such
    a write waits for the server, which asks the person. The patterns are written so
    that JavaScript reads them as Python does (checked in tests/browser/test_guard.py).
    """
    def rule(pattern):
        return [pattern.pattern, "i" if pattern.flags & re.IGNORECASE else ""]

    return {
        "patterns": {"name": rule(NAME_AFTER), "email": rule(EMAIL), "phone": rule(PHONE),
                     "date": rule(DATE_WITH_YEAR), "birth": rule(BIRTH), "record": rule(RECORD),
                     "year": rule(YEAR)},
        "notNames": sorted(NOT_NAMES),
        "longPast": LONG_PAST,
    }
