"""Schemathesis against the sync API's own OpenAPI description (GET /api/v1/openapi.json):
generated requests, valid and not, signed in. No answer may be a 5xx, and every answer
must match what the description promises (status, content type, body schema).
"""
import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

# Two operations, each with valid and invalid requests: well over 1,000 cases per database.
CASES_PER_OPERATION = 400


@pytest.fixture
def signed_in(app, member):
    """The member's session cookie, CSRF token and user tag, as a phone holds them."""
    session = member.client.get("/api/v1/session").get_json()
    cookie = member.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return {"cookies": {cookie.key: cookie.value}, "token": session["csrf_token"],
            "user": session["user"]}


def test_the_api_keeps_its_description_and_never_fails(app, signed_in, monkeypatch):
    monkeypatch.setitem(app.config, "SYNC_RATE_LIMIT", "100000 per minute")  # tested apart
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    calls = []

    def call(case):
        if isinstance(case.body, dict) and "user" in case.body:
            case.body["user"] = signed_in["user"]  # so entries reach the writer, not a 409
        # The WSGI transport reads bodies as they are: ask for them uncompressed.
        headers = dict(case.headers or {}) | {"Accept-Encoding": "identity"}
        if "X-CSRFToken" in headers:  # a real token where the case sends one at all
            headers["X-CSRFToken"] = signed_in["token"]
        # A case that leaves out or spoils the session cookie on purpose is sent as it is.
        cookies = None if api.is_security_param_negated(case) else signed_in["cookies"]
        response = case.call_and_validate(headers=headers, cookies=cookies)
        calls.append((case.method, response.status_code))

    operations = [result.ok() for result in api.get_all_operations()]
    assert {(operation.method.upper(), operation.path) for operation in operations} == {
        ("GET", "/api/v1/session"), ("POST", "/api/v1/sync")
    }
    for operation, mode in itertools.product(operations, GenerationMode):
        run = settings(max_examples=CASES_PER_OPERATION, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))(
            given(case=operation.as_strategy(generation_mode=mode))(call)
        )
        run()
    assert len(calls) >= 1000
    assert all(status < 500 for _, status in calls)
    answers = {status for method, status in calls if method == "POST"}
    assert {200, 422} <= answers, answers  # batches were taken, and bad ones refused
