"""Tend (as wsgi.py serves it) plus one route that does nothing: the floor under any
signed-in write.

bench/http_checkin.py serves it beside Tend and hello world, with the same settings
and the same instance (so the same session cookie signs in). A POST to /bench/noop
goes through everything a check-in goes through before and after its own work
(session cookie, sign-in lookup, CSRF check, security headers, compression) and then
answers at once: no validation, no database write, no HTML. No check-in can cost less.
"""
from flask_login import login_required

from wsgi import app


@app.post("/bench/noop")
@login_required
def noop():
    """Accept a signed-in, CSRF-checked htmx POST and do nothing with it."""
    return "<p>ok</p>"
