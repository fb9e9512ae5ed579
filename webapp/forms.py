"""Helpers for reading submitted forms into schema input."""
from urllib.parse import urlsplit

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
