"""Any value in any field of any kind of entry, through the sync API, on SQLite and
PostgreSQL: never a 5xx, and a valid check-in sent in the same batch is always saved.

The values are the ones that broke whole batches before (issue 17): lone surrogates
(half an emoji), NUL, numbers past 64 bits, NaN and infinities, dates in year 1 and
9999, deep nesting, wrong types, as well as arbitrary JSON.
"""
import math
import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_sync_api import Device
from webapp.extensions import db, limiter
from webapp.models import CheckIn
from webapp.services.pulse import STATEMENT_KEYS
from webapp.services.reframes import REFRAMES
from webapp.services.sync import ENTRY_KINDS

NOW = datetime.now(UTC).replace(microsecond=0).isoformat()
# A whole, valid entry of each kind, to spoil one field of.
VALID = {
    "checkin": {"tank": 3, "note": "fine", "work_share": 40},
    "practice_done": {"practice": "water", "delivery": None},
    "reflection": {"problems": [{"problem": "stuck", "whose": "mine"}], "next_step": "ask"},
    "reframe_mark": {"card": REFRAMES[0].key},
    "supervision_note": {"text": "bring this", "discussed_at": None},
    "break": {"first_day": "2026-08-01", "last_day": "2026-08-09", "note": None},
    "pulse": {"answers": dict.fromkeys(STATEMENT_KEYS, 3), "week_start": None},
}
assert set(VALID) == set(ENTRY_KINDS)  # a new kind must be added here

NESTED = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
EDGES = st.sampled_from([
    "\ud800x", "x\udfff", "a\x00b", "\x00", "", " ", "😀" * 300, "=1+1",
    2**63, 2**70, -(2**70), 2**31, -1, 0, 1.5, math.nan, math.inf, -math.inf, True,
    "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "0001-01-01", "9999-12-31",
    "1969-12-31", "2026-02-30", "2026-11-30T25:61:00+00:00", "not a date",
    NESTED, {"a": NESTED}, [], {}, None,
])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
FIELDS = ("id", "created_at", "updated_at", "deleted", "kind")


@st.composite
def spoiled(draw):
    """A kind, a field (one of its own, the shared ones, or a stranger), and a value."""
    kind = draw(st.sampled_from(sorted(VALID)))
    name = draw(st.sampled_from([*VALID[kind], *FIELDS, "answers", "problems", "extra"]))
    value = draw(st.one_of(EDGES, EDGES, EDGES, JSON))  # the known troublemakers most
    return kind, name, value


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=spoiled())
def test_no_value_breaks_a_batch(app, member, case):
    kind, name, value = case
    limiter.reset()  # many examples, one person: past the API's own rate limit otherwise
    device = Device(member.client)
    neighbour = {"kind": "checkin", "id": str(uuid.uuid4()), "tank": 4,
                 "created_at": NOW, "updated_at": NOW}
    entry = {"kind": kind, "id": str(uuid.uuid4()), "created_at": NOW, "updated_at": NOW,
             **VALID[kind], name: value}
    response = device.post({"user": device.user, "cursor": None,
                            "entries": [neighbour, entry]})
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert results[0] == {"id": neighbour["id"], "status": "created"}
    assert results[1]["status"] in ("created", "rejected")
    with app.app_context():
        assert db.session.get(CheckIn, neighbour["id"]) is not None
        for model, _ in ENTRY_KINDS.values():  # the next example starts afresh
            db.session.execute(model.__table__.delete())
        db.session.commit()
    # The person's pages still open whatever was stored
    for path in ("/", "/history", "/insights", "/reflect", "/supervision", "/breaks"):
        assert member.client.get(path).status_code == 200, path
