"""The identifier guard: what it points out in free text, and what it leaves alone."""
import pytest

from webapp.services.guard import find_identifiers

# Texts the guard points out, with what it finds (also read by the phone's copy of the
# rules, tests/browser/test_guard.py).
IDENTIFYING = [
    ("My client Sarah cancelled again", "name", "Sarah"),
    ("client's mother called; client Tom Reyes is ok", "name", "Tom"),
    ("Saw patient Okafor after lunch", "name", "Okafor"),
    ("Mrs. Alvarez was tearful", "name", "Alvarez"),
    ("a client called Jamie", "name", "Jamie"),
    ("email her at jo.smith+work@example.org", "email", "jo.smith+work@example.org"),
    ("call back on 07700 900123", "phone", "07700 900123"),
    ("number is (212) 555-0147", "phone", "(212) 555-0147"),
    ("+44 20 7946 0958 for the GP", "phone", "+44 20 7946 0958"),
    ("DOB 04/11/1989", "birth date", "04/11/1989"),
    ("born 12 March 1975, lives alone", "birth date", "12 March 1975"),
    ("came in on 1988-02-29 records", "birth date", "1988-02-29"),
    ("MRN 00482913 needs a referral", "record number", "00482913"),
    ("case #A-20931 is stuck", "record number", "A-20931"),
    ("NHS number: 9434765919", "record number", "9434765919"),
]
# Texts it leaves alone.
ORDINARY = [
    "",
    None,
    "Three sessions back to back, tank low",
    "My client cancelled. Then I had a coffee",
    "client The same pattern again",
    "Stuck with a client; Monday was hard",
    "Client A and client B both in crisis",
    "Carried 60% of the work at 10:30",
    "Supervision on 3/12/2026 at 14:00",
    "Called the crisis line 988",
    "Walked 4500 steps at lunch",
    "I noticed I pushed through again",
]


@pytest.mark.parametrize(("text", "kind", "found"), IDENTIFYING)
def test_what_may_identify_a_client_is_found(text, kind, found):
    assert (kind, found) in [(finding.kind, finding.text) for finding in find_identifiers(text)]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_reflections_pass(text):
    assert find_identifiers(text) == []


def test_findings_come_in_order_and_say_what_they_look_like():
    findings = find_identifiers("client Maya, 555-867-5309, maya@example.com")
    assert [finding.kind for finding in findings] == ["name", "phone", "email"]
    assert findings[0].description == "what looks like a name: Maya"
