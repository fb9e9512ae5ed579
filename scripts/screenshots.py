"""Phone-sized screenshots for the README: python scripts/screenshots.py [out_dir] [light|dark].

Runs the app on a throwaway SQLite database on 127.0.0.1 and drives Debian's Chromium.
"""
import sys
import tempfile
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import TestConfig  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import CircleMember, DebriefAnswer, DebriefRequest, User  # noqa: E402
from webapp.services.sync import save_entries  # noqa: E402

# Two weeks of a made-up person's between-session check-ins, for the insights picture:
# (days ago, hour UTC, tank, work share, safety session, lean toward pushing through).
FORTNIGHT = [
    (13, 10, 4, 45, False, 0), (12, 11, 3, 55, False, 1), (11, 14, 3, 60, False, 1),
    (10, 9, 2, 70, True, 2), (9, 15, 3, 52, False, 1), (8, 10, 4, 40, False, 0),
    (6, 12, 3, 58, False, 1), (5, 9, 2, 65, False, 2), (4, 16, 2, 50, False, 1),
    (3, 11, 3, 48, False, 1), (2, 10, 3, 62, True, 1), (1, 13, 4, 45, False, 0),
    (0, 8, 3, 55, False, 1),
]


def fill_a_fortnight(app, email):
    """Give the signed-up person two weeks of entries, written as the phone would."""
    now = datetime.now(UTC)
    with app.app_context():
        person = db.session.scalar(db.select(User).where(User.email == email))
        entries = []
        for days_ago, hour, tank, share, safety, lean in FORTNIGHT:
            at = min((now - timedelta(days=days_ago)).replace(hour=hour, minute=5),
                     now - timedelta(minutes=10)).isoformat()
            stamps = {"id": str(uuid.uuid4()), "created_at": at, "updated_at": at}
            entries.append(("checkin", stamps | {
                "tank": tank, "work_share": share, "safety_session": safety,
                "lean_personal": lean, "lean_client": -1 if safety else 0,
                "lean_community": 0,
            }))
            if days_ago % 3 == 0:
                entries.append(("practice_done", {**stamps, "id": str(uuid.uuid4()),
                                                  "practice": "breaths"}))
        save_entries(person, entries)


def add_colleagues(app, circle_id):
    """Two colleagues in the person's circle: one asked for a debrief, one can talk at 14:30."""
    now = datetime.now(UTC)
    with app.app_context():
        # No password: these two never sign in
        sam, noor = (User(email=f"{name}@example.org", password_hash="-")  # noqa: S106
                     for name in ("sam", "noor"))
        db.session.add_all([sam, noor])
        db.session.flush()
        request = DebriefRequest(id=str(uuid.uuid4()), circle_id=circle_id, asker_id=sam.id,
                                 created_at=now - timedelta(minutes=20))
        db.session.add_all([
            CircleMember(circle_id=circle_id, user_id=sam.id, name="Sam"),
            CircleMember(circle_id=circle_id, user_id=noor.id, name="Noor"),
            request,
        ])
        db.session.flush()
        db.session.add(DebriefAnswer(id=str(uuid.uuid4()), request_id=request.id,
                                     user_id=noor.id, talk_at=datetime(2026, 1, 1, 14, 30).time()))
        db.session.commit()


def main(out_dir="docs", scheme="light"):
    out = Path(out_dir)
    out.mkdir(exist_ok=True)
    instance = tempfile.mkdtemp()
    app = create_app(TestConfig(instance, f"sqlite:///{instance}/tend.db"))
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=base, color_scheme=scheme, **PHONE).new_page()
        page.goto("/register")
        page.fill("#email", "robin@example.org")
        page.fill("#password", "a calm long password")
        page.click("text=Create account")
        page.screenshot(path=out / f"checkin-{scheme}.png")
        page.wait_for_function("() => window.htmx")
        page.click("#tank-level-3")
        page.wait_for_selector("#part-share")
        page.locator("#work_share").fill("62")
        page.locator("#work_share").dispatch_event("change")
        page.wait_for_selector("#part-share .saved-mark")
        page.click("label[for=lean_personal-4]")
        page.wait_for_selector("#part-leans .saved-mark")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=out / f"card-{scheme}.png")
        page.goto("/history")
        page.screenshot(path=out / f"history-{scheme}.png")
        page.goto("/reflect")
        page.screenshot(path=out / f"reflect-{scheme}.png")
        fill_a_fortnight(app, "robin@example.org")
        page.goto("/insights")
        page.screenshot(path=out / f"insights-{scheme}.png")
        page.evaluate("document.getElementById('tank-heading').scrollIntoView()")
        page.evaluate("window.scrollBy(0, -16)")
        page.screenshot(path=out / f"charts-{scheme}.png")
        page.goto("/circles")
        page.fill("#name", "Tuesday peers")
        page.fill("#member_name", "Robin")
        page.click("text=Start the circle")
        add_colleagues(app, int(page.url.rsplit("/", 1)[1]))
        page.reload()
        page.screenshot(path=out / f"circle-{scheme}.png")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:])
