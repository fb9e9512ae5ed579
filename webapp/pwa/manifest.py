"""The web app manifest: what a phone needs to put Tend on its home screen."""
from flask import request, url_for

# The light palette of static/css/tend.css (--bg): the splash screen and the title bar
# match the page the app opens on.
BACKGROUND = "#f7f3ec"


def _icon(filename, size, purpose="any"):
    """One PNG icon from static/icons/."""
    return {
        "src": url_for("static", filename=f"icons/{filename}"),
        "sizes": f"{size}x{size}",
        "type": "image/png",
        "purpose": purpose,
    }


def build_manifest():
    """The manifest as a dict, ready for JSON."""
    root = request.script_root + "/"
    return {
        "id": root,
        "name": "Tend",
        "short_name": "Tend",
        "description": (
            "A few quiet minutes of self-care between client sessions, "
            "for therapists, counsellors and other helping professionals."
        ),
        "lang": "en",
        "dir": "ltr",
        "start_url": url_for("checkins.home"),
        "scope": root,
        "display": "standalone",
        "theme_color": BACKGROUND,
        "background_color": BACKGROUND,
        "categories": ["health", "lifestyle"],
        "icons": [
            _icon("icon-192.png", 192),
            _icon("icon-512.png", 512),
            _icon("maskable-512.png", 512, purpose="maskable"),
        ],
        "shortcuts": [
            {
                "name": "Check in",
                "short_name": "Check in",
                "description": "How full is your tank right now?",
                "url": url_for("checkins.home"),
                "icons": [_icon("shortcut-checkin-96.png", 96)],
            },
            {
                "name": "Reflect",
                "short_name": "Reflect",
                "description": "Look back over your check-ins",
                "url": url_for("checkins.history"),
                "icons": [_icon("shortcut-reflect-96.png", 96)],
            },
        ],
    }
