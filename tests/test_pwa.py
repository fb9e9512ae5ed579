"""Installing Tend: the manifest, its icons, the tags pages carry, and compressed answers."""
import gzip
import json
import re
import struct
import uuid
from pathlib import Path

import brotli
import pytest

from webapp.checkins import PARTS
from webapp.config import ANSWER_WINDOW_MS

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "tend.css"
ANONYMOUS_PAGES = ["/sign-in", "/register", "/support"]
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


def fetch(client, path, headers=None):
    """GET `path`, read the whole body and close the response, as a WSGI server would."""
    with client.get(path, headers=headers or {}) as response:
        response.get_data()
    return response


def png_size(data):
    """(width, height) from a PNG's header, which must come first."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR", "PNG without its header chunk first"
    return struct.unpack(">II", data[16:24])


def light_background():
    """The page background of tend.css's light palette."""
    return re.search(r":root \{[^}]*--bg: (#[0-9a-f]{6});", CSS.read_text()).group(1)


def head_links(page):
    """rel -> href of every <link> in a page."""
    tags = re.findall(r"<link [^>]+>", page)
    return {
        re.search(r'rel="([^"]+)"', tag).group(1): re.search(r'href="([^"]+)"', tag).group(1)
        for tag in tags
    }


@pytest.fixture
def manifest(client):
    """The manifest as the browser fetches it."""
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    return response


def all_icons(manifest):
    """Every icon the manifest names, the shortcuts' included."""
    data = manifest.get_json(force=True)
    return data["icons"] + [icon for shortcut in data["shortcuts"] for icon in shortcut["icons"]]


# The manifest ---------------------------------------------------------------------------


def test_manifest_is_served_as_a_web_app_manifest(manifest):
    assert manifest.mimetype == "application/manifest+json"


def test_manifest_describes_a_standalone_app_at_the_root(manifest):
    data = manifest.get_json(force=True)
    assert data["name"] == "Tend"
    assert data["short_name"] and len(data["short_name"]) <= 12
    assert "between client sessions" in data["description"]
    assert data["start_url"] == data["scope"] == data["id"] == "/"
    assert data["display"] == "standalone"


def test_manifest_colours_match_the_light_palette(manifest):
    data = manifest.get_json(force=True)
    assert data["theme_color"] == data["background_color"] == light_background()


def test_manifest_offers_192_and_512_icons_and_a_separate_maskable_one(manifest):
    icons = manifest.get_json(force=True)["icons"]
    for_any = {icon["sizes"]: icon["src"] for icon in icons if icon["purpose"] == "any"}
    maskable = [icon for icon in icons if icon["purpose"] == "maskable"]
    assert set(for_any) == {"192x192", "512x512"}
    assert [icon["sizes"] for icon in maskable] == ["512x512"]
    assert maskable[0]["src"] not in for_any.values()


def test_every_icon_exists_with_the_size_it_declares(client, manifest):
    icons = all_icons(manifest)
    assert len(icons) == 5
    for icon in icons:
        response = fetch(client, icon["src"])
        assert response.status_code == 200, icon["src"]
        assert icon["type"] == response.mimetype == "image/png"
        width, height = png_size(response.data)
        assert f"{width}x{height}" == icon["sizes"], icon["src"]


def test_shortcuts_check_in_and_reflect(member, manifest):
    shortcuts = {item["name"]: item for item in manifest.get_json(force=True)["shortcuts"]}
    assert shortcuts["Check in"]["url"] == "/"
    assert shortcuts["Reflect"]["url"] == "/history"
    for shortcut in shortcuts.values():
        assert shortcut["description"]
        assert {icon["sizes"] for icon in shortcut["icons"]} & {"96x96", "192x192"}
        assert member.client.get(shortcut["url"]).status_code == 200


# What every page carries ----------------------------------------------------------------


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_pages_link_the_manifest_and_the_apple_touch_icon(client, path):
    page = client.get(path).get_data(as_text=True)
    links = head_links(page)
    assert links["manifest"] == "/manifest.webmanifest"
    touch_icon = fetch(client, links["apple-touch-icon"])
    assert png_size(touch_icon.data) == (180, 180)
    for name, content in [
        ("mobile-web-app-capable", "yes"),
        ("apple-mobile-web-app-capable", "yes"),
        ("apple-mobile-web-app-title", "Tend"),
        ("apple-mobile-web-app-status-bar-style", "default"),
    ]:
        assert f'<meta name="{name}" content="{content}">' in page


def test_signed_in_pages_link_the_manifest_and_offer_installing(member):
    page = member.client.get("/").get_data(as_text=True)
    assert head_links(page)["manifest"] == "/manifest.webmanifest"
    assert re.search(r'<section class="install-banner" id="install-banner"[^>]* hidden>', page)
    assert '<script src="/static/js/install.js" defer></script>' in page


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_no_install_offer_before_signing_in(client, path):
    assert "install-banner" not in client.get(path).get_data(as_text=True)


def test_no_install_offer_on_the_crisis_page(member):
    assert "install-banner" not in member.client.get("/support").get_data(as_text=True)


# Compression ----------------------------------------------------------------------------

STATIC_TEXT = ["/static/css/tend.css", "/static/js/app.js", "/static/js/install.js"]


@pytest.mark.parametrize("encoding", ["br", "gzip"])
@pytest.mark.parametrize("path", ["/offline", "/manifest.webmanifest", *STATIC_TEXT])
def test_text_is_compressed_when_asked_and_plain_when_not(client, path, encoding):
    plain = fetch(client, path)
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]

    packed = fetch(client, path, {"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 2
    assert DECODE[encoding](packed.data) == plain.data


def test_the_browsers_usual_offer_gets_brotli(client):
    offer = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    response = fetch(client, "/static/css/tend.css", offer)
    assert response.headers["Content-Encoding"] == "br"


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_the_check_in_page_is_compressed_and_still_varies_on_htmx(member, encoding):
    response = member.client.get("/", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    page = DECODE[encoding](response.data).decode()
    assert "How full is your tank right now?" in page and page.rstrip().endswith("</html>")
    vary = {value.strip() for value in response.headers["Vary"].split(",")}
    assert {"HX-Request", "Accept-Encoding"} <= vary


def test_a_compressed_fragment_keeps_vary_on_htmx(member):
    member.fetch_token("/")
    response = member.post("/checkins", {"id": str(uuid.uuid4()), "tank": 3},
                           htmx=True, headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert "Saved" in brotli.decompress(response.data).decode()
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("path", ["/static/css/tend.css", "/sw.js"])
def test_a_kept_file_is_not_sent_again(client, path):
    first = fetch(client, path, {"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br"
    again = fetch(client, path, {"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_tiny_files_are_sent_as_they_are(client):
    response = fetch(client, "/static/icons/tend.svg", {"Accept-Encoding": "br"})
    assert len(response.data) < 500
    assert "Content-Encoding" not in response.headers


def test_images_are_never_recompressed(client):
    response = fetch(client, "/static/icons/icon-512.png", {"Accept-Encoding": "br"})
    assert "Content-Encoding" not in response.headers
    assert png_size(response.data) == (512, 512)


def worker_settings(client):
    """What the server writes into /sw.js for the worker (`self.TEND = {...};`)."""
    script = client.get("/sw.js").get_data(as_text=True)
    line = next(line for line in script.splitlines() if line.startswith("self.TEND = "))
    return json.loads(line.removeprefix("self.TEND = ").removesuffix(";"))


def test_the_worker_learns_the_card_s_parts_from_the_server(client):
    settings = worker_settings(client)
    assert settings["checkinParts"] == {part: list(fields) for part, fields in PARTS.items()}
    assert settings["numberFields"] == [
        "lean_client", "lean_community", "lean_personal", "tank", "work_share"
    ]
    # The worker keeps no list of its own: the names appear only in what it was sent.
    script = (Path(__file__).parent.parent / "service_worker" / "sync.js").read_text()
    assert "work_share" not in script and "lean_personal" not in script


def test_the_worker_waits_for_the_server_s_answer_only_briefly(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "ANSWER_WINDOW_MS", ANSWER_WINDOW_MS)
    assert worker_settings(client)["answerWindowMs"] == 50


def test_the_worker_comes_without_its_comments_and_with_every_module(client):
    script = client.get("/sw.js").get_data(as_text=True)
    assert not [line for line in script.splitlines() if line.lstrip().startswith("//")]
    for module in ("TendNetwork", "TendCaching", "TendGuard", "TendOutbox", "TendSync",
                   "TendPush"):
        assert f"const {module} = " in script
    assert script.rstrip().endswith(";")  # sw.js itself ends the script, whole


def test_the_phone_gets_the_guard_s_rules_from_the_next_page_on(client):
    settings = worker_settings(client)
    assert settings["guardUrl"] == "/guard.json"
    assert "/guard.json" in settings["laterFiles"]
    assert "/guard.json" not in settings["precache"]  # not part of the first visit
    with client.get("/guard.json") as response:
        rules = response.get_json()
        assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"]
    assert set(rules["patterns"]) == {"name", "email", "phone", "date", "birth", "record",
                                       "year"}
    assert rules["patterns"]["email"][1] == "" and rules["patterns"]["name"][1] == "i"
    assert "monday" in rules["notNames"] and rules["longPast"] == 2010
