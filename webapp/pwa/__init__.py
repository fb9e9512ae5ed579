"""What makes Tend an installable, offline-capable app: the manifest, the service worker
and the shell it keeps on the phone.

The shell pages and fragments here are generic: they hold nothing personal, because the
worker keeps them for whoever uses the phone next.
"""
import hashlib
import json
import os
from functools import cache

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)

from webapp.checkins import PARTS, PLACEHOLDER_ID
from webapp.models import CheckIn
from webapp.pwa.manifest import build_manifest
from webapp.reflect import debrief_url
from webapp.schemas.base import WholeNumber
from webapp.schemas.checkins import CheckInSchema
from webapp.services import guard

bp = Blueprint("pwa", __name__)

# The worker's modules, in the order they are served ahead of sw.js in one script: one
# download instead of seven, which the first visit's budget needs (DESIGN §8).
WORKER_MODULES = ("network", "caching", "guard", "outbox", "sync", "push")
# The signed-in pages the worker keeps, so they open and save with no network even
# before a first visit: the check-in as soon as someone signs in; the rest (the other
# tabs, the support page with their own numbers, the reflect tools, the debrief a safety
# session's card offers, the peer circle and the care received, and the styles they
# need) from the next page on, so that the first visit stays small.
MAIN_PAGES = ("checkins.home",)
LATER_PAGES = ("checkins.history", "reflect.hub", "insights.overview", "account.settings",
               "support.crisis", "reflect.stuck", "reflect.reframes", "reflect.pulse",
               "care.supervision", "care.breaks", "circles.index", "circles.nudges")
LATER_FILES = ("css/more.css",)
WORKER_FOLDER = os.path.join(os.path.dirname(__file__), "..", "..", "service_worker")
GUARD_FILE = guard.__file__  # its rules go to the phone: a change makes a new worker


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest."""
    response = Response(json.dumps(build_manifest()), mimetype="application/manifest+json")
    response.cache_control.no_cache = True
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, with the version and the shell's addresses written in.

    Any change to the shell's files changes the version, so the phone fetches the new
    worker, which waits until the person agrees to reload. Its modules come first, in
    the same script.
    """
    settings = {
        "version": worker_version(),
        "precache": shell_urls(),
        "offlinePage": url_for("pwa.offline"),
        "mainPages": [url_for(page) for page in MAIN_PAGES],
        "laterPages": [*(url_for(page) for page in LATER_PAGES), debrief_url()],
        "laterFiles": [*(url_for("static", filename=name) for name in LATER_FILES),
                       url_for("pwa.guard_rules")],
        "guardUrl": url_for("pwa.guard_rules"),
        # Shell pages fetched as nobody, since signed in they show personal numbers.
        "anonymousShell": [url_for("support.crisis")],
        "answerWindowMs": current_app.config["ANSWER_WINDOW_MS"],
        # The card's parts and the fields each sends, and which fields are numbers: the
        # worker turns a form into an entry by the server's own rules.
        "checkinParts": PARTS,
        "numberFields": number_fields(),
        "cardUrl": url_for("pwa.offline_card"),
        "deletedUrl": url_for("pwa.offline_deleted"),
        "placeholderId": PLACEHOLDER_ID,
        "sessionUrl": url_for("sync.session"),
        "syncUrl": url_for("sync.sync"),
        "homeUrl": url_for("checkins.home"),
        "notificationIcon": url_for("static", filename="icons/icon-192.png"),
        # Pages kept on the phone are forgotten whenever who is signed in changes.
        "accountUrls": [url_for(f"auth.{name}") for name in ("sign_in", "sign_out", "register")],
    }
    scripts = [_worker_file(f"{name}.js") for name in WORKER_MODULES] + [_worker_file("sw.js")]
    body = "\n".join(['"use strict";', f"self.TEND = {json.dumps(settings)};", *scripts])
    response = Response(body, mimetype="text/javascript")
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)


def _worker_file(name):
    """A worker module as the phone gets it: without its full-line comments, which are
    for readers of the source and would cost a third of the first visit's worker."""
    with open(os.path.join(WORKER_FOLDER, name), encoding="utf-8") as script:
        return "".join(line for line in script if not line.lstrip().startswith("//"))


@bp.get("/guard.json")
def guard_rules():
    """The identifier guard's rules, for the worker (kept with the shell, not on a
    first visit: until the phone has them, a write with text waits for the server)."""
    response = jsonify(guard.phone_rules())
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/offline")
def offline():
    """The page the worker shows when a page is needed and neither network nor cache has it."""
    g.shell = True
    return render_template("pwa/offline.html", new_id=PLACEHOLDER_ID, errors={})


@bp.get("/offline/card")
def offline_card():
    """The check-in card for an entry saved on the phone, before the server has it.

    One card serves every entry: the worker writes in the id, and the page sets the
    controls to the entry's answers.
    """
    g.shell = True
    entry = CheckIn(id=PLACEHOLDER_ID, safety_session=False, deleted=False)
    return render_template("checkins/_card.html", entry=entry, saved="tank", queued=True, errors={})


@bp.get("/offline/deleted")
def offline_deleted():
    """The 'deleted, undo?' card for an entry still on the phone."""
    g.shell = True
    entry = CheckIn(id=PLACEHOLDER_ID)
    return render_template("checkins/_deleted.html", entry=entry)


def shell_urls():
    """Everything the app needs to open and take check-ins with no network."""
    static = [
        "css/tend.css",
        "js/app.js",
        "js/offline.js",
        "js/install.js",
        "vendor/htmx/htmx-2.0.11.min.js",
        "icons/tend.svg",
    ]
    return [
        *(url_for("static", filename=name) for name in static),
        url_for("pwa.offline"),
        url_for("pwa.offline_card"),
        url_for("pwa.offline_deleted"),
        url_for("support.crisis"),
    ]


@cache
def number_fields():
    """The check-in's fields that hold whole numbers, as its schema says."""
    fields = CheckInSchema().fields
    return sorted(name for name, field in fields.items() if isinstance(field, WholeNumber))


def worker_version():
    """A short hash of everything the worker keeps, or SW_VERSION when configured."""
    return current_app.config.get("SW_VERSION") or _files_version(
        current_app.static_folder,
        os.path.join(current_app.root_path, current_app.template_folder),
        WORKER_FOLDER,
        GUARD_FILE,
    )


@cache
def _files_version(*paths):
    digest = hashlib.sha256()
    for path in paths:
        if os.path.isfile(path):
            with open(path, "rb") as content:
                digest.update(content.read())
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                with open(os.path.join(root, name), "rb") as content:
                    digest.update(name.encode() + content.read())
    return digest.hexdigest()[:12]
