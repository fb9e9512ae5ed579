"""Helpers for reading submitted forms into schema input."""
from urllib.parse import urlsplit


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
