"""Phone-sized screenshots for the README: python scripts/screenshots.py [out_dir] [light|dark].

Runs the app on a throwaway SQLite database on 127.0.0.1 and drives Debian's Chromium.
"""
import sys
import tempfile
import threading
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_path  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import TestConfig  # noqa: E402


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
        page.goto("/insights")
        page.screenshot(path=out / f"insights-{scheme}.png")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:])
