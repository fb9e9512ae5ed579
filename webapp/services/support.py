"""Support lines: the numbers the support page shows, for the place a person chose.

A person who chose nothing sees the numbers this Tend is configured with (by default
the United States' 988). A person who chose a place sees its emergency number and main
crisis lines from the list below, and anyone signed in can add lines of their own
(a supervisor, an employee assistance programme, their own therapist).

The built-in numbers are facts that change rarely but do change, so the page asks
people to check them. They were checked in November 2026 against the services'
published announcements; each service's own site is where to check them again:
988lifeline.org (US); 988.ca (Canada: call or text since 30 November 2023);
samaritans.org and giveusashout.org (UK); samaritans.ie and pieta.ie (Ireland);
lifeline.org.au (calls, and texts at any hour since February 2022); 1737.org.nz and
lifeline.org.nz (New Zealand).
"""
import re
from dataclasses import dataclass

from webapp.extensions import db
from webapp.models import CareSettings
from webapp.services.care import care_settings_for

MAX_OWN_LINES = 5


@dataclass(frozen=True)
class Line:
    """A number to reach someone: by call, by text message, or both."""

    name: str
    number: str
    note: str | None = None
    call: bool = True
    text: bool = False

    @property
    def dial(self):
        """The number as a phone dials it (tel: and sms: links): digits and a leading +."""
        return re.sub(r"[^0-9+]", "", self.number)


@dataclass(frozen=True)
class Region:
    """A place's emergency number and its main crisis lines."""

    name: str
    emergency: str
    lines: tuple
    emergency_note: str | None = None


REGIONS = {
    "US": Region("United States", "911", (
        Line("988 Suicide & Crisis Lifeline", "988", "Call or text, any time", text=True),
    )),
    "CA": Region("Canada", "911", (
        Line("9-8-8 Suicide Crisis Helpline", "988", "Call or text, any time, in English or French",
             text=True),
    )),
    "GB": Region("United Kingdom", "999", (
        Line("Samaritans", "116 123", "Free to call, any time"),
        Line("Shout", "85258", "Text the word SHOUT, any time", call=False, text=True),
    ), emergency_note="112 works too"),
    "IE": Region("Ireland", "112", (
        Line("Samaritans", "116 123", "Free to call, any time"),
        Line("Pieta", "1800 247 247", "Suicide and self-harm crisis line, free, any time"),
    ), emergency_note="999 works too"),
    "AU": Region("Australia", "000", (
        Line("Lifeline", "13 11 14", "Any time"),
        Line("Lifeline by text", "0477 13 11 14", "Any time", call=False, text=True),
    ), emergency_note="112 works too from a mobile"),
    "NZ": Region("New Zealand", "111", (
        Line("Need to talk?", "1737", "Free to call or text, any time", text=True),
        Line("Lifeline Aotearoa", "0800 543 354", "Free, any time"),
    )),
}


@dataclass(frozen=True)
class SupportNumbers:
    """What the support page shows one person: the region's numbers and their own lines."""

    region: Region
    own_lines: tuple
    chosen: bool


def configured_region(config):
    """The place and numbers this Tend is set up with, for anyone who chose nothing."""
    place, call, text = config["CRISIS_REGION"], config["CRISIS_CALL"], config["CRISIS_TEXT"]
    lines = [Line(f"Suicide and crisis line ({place})", call, "Any time", text=text == call)]
    if text and text != call:
        lines.append(Line(f"Crisis text line ({place})", text, call=False, text=True))
    return Region(place, config["CRISIS_EMERGENCY"], tuple(lines))


def support_numbers(user, config):
    """The numbers for `user` (None when nobody is signed in)."""
    settings = db.session.get(CareSettings, user.id) if user else None
    region_code = settings and settings.support_region
    own = tuple(Line(**line) for line in (settings and settings.support_lines) or ())
    if region_code in REGIONS:
        return SupportNumbers(REGIONS[region_code], own, chosen=True)
    return SupportNumbers(configured_region(config), own, chosen=False)


def support_choices(user):
    """What `user` chose so far, as the settings form shows it: a region code and lines."""
    settings = db.session.get(CareSettings, user.id)
    if settings is None:
        return {"region": None, "lines": []}
    return {"region": settings.support_region, "lines": list(settings.support_lines or ())}


def save_support_choices(user, region, lines):
    """Keep `user`'s place (a REGIONS code, or None for the configured one) and own lines."""
    settings = care_settings_for(user)
    settings.support_region = region
    settings.support_lines = [
        {"name": line["name"], "number": line["number"], "note": line.get("note")}
        for line in lines
    ]
    db.session.commit()
