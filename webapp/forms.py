"""Helpers for reading submitted forms into schema input."""
from datetime import datetime
from urllib.parse import urlsplit

from flask import request

from webapp.schemas.base import CLOCK_SKEW
from webapp.services.clock import utcnow
from webapp.services.guard import find_identifiers


def form_fields(form, names):
    """The last submitted value of each named field that is present.

    A checkbox sends a hidden '0' before its own value, so the last one is the answer.
    """
    return {name: form.getlist(name)[-1] for name in names if name in form}


def safe_next(target):
    """A local path to go to after sign-in, or None if `target` could leave the site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def identifiers_to_confirm(form, *names):
    """What the named fields hold that may identify a client, unless the person confirmed it.

    The identifier guard's one rule, shared by every form where a person types text:
    when this returns findings, save nothing and answer 422 with the form again, the
    text kept as typed and `identifier_warning(findings)` (templates/_macros.html) next
    to the field. Its "Save anyway" button sends the form back with
    confirm_identifiers=1, and then this returns [] so the text is saved as it is.

    `form` is a request's form (a MultiDict); every value of each named field is read,
    so repeated fields such as "problem[]" are checked whole. Returns guard Findings
    (`.kind`, `.text`, `.description`) in the order of the names, each finding once.
    """
    if form.get("confirm_identifiers") == "1":
        return []
    findings = []
    for name in names:
        for value in form.getlist(name):
            for found in find_identifiers(value):
                if found not in findings:
                    findings.append(found)
    return findings


def phone_stamp():
    """The moment of the tap, as the phone stamped it (the X-Tend-Stamp header), or None.

    The service worker answers a tap at once and sends the write on its way. On a bad
    connection that request can reach the server long after a newer version of the same
    entry did; stamped with the moment of its tap, it then loses to that newer version
    instead of overwriting it. A stamp that is not a time with an offset, or lies
    further ahead than a clock drifts, is ignored (the server's own time stands in).
    """
    raw = request.headers.get("X-Tend-Stamp")
    try:
        stamp = datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None
    if stamp is None or stamp.tzinfo is None or stamp > utcnow() + CLOCK_SKEW:
        return None
    return stamp


def write_time():
    """When this write was made: the phone's stamp when it sent one, else now."""
    return phone_stamp() or utcnow()
