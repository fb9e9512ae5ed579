"""'Your data is yours': downloading everything (JSON, CSV) and importing a Tend export
or a Daylio CSV, through a preview that writes nothing until the person confirms."""
import json

from flask import Response, current_app, render_template, request
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.account import bp
from webapp.extensions import csrf
from webapp.services import imports
from webapp.services.care import local_today
from webapp.services.clock import utcnow
from webapp.services.exports import export_csv, export_document

TOO_BIG = f"This file is larger than {imports.MAX_BYTES // (1024 * 1024)} MB, more than Tend takes."
NO_FILE = "Choose the file to import."
# The preview sends the file back as form text, where a browser writes every line
# break as two characters: room for that, and for the rest of the form.
FORM_LIMIT = 2 * imports.MAX_BYTES + 64 * 1024


@bp.get("/data")
@login_required
def data():
    """Download everything, or bring data in."""
    return render_template("account/data.html", error=None)


@bp.get("/export.json")
@login_required
def export_json():
    """Everything, as a file Tend can import again."""
    now = utcnow()
    body = json.dumps(export_document(current_user, now), ensure_ascii=False, indent=2)
    return _download(body, "application/json", "json", now)


@bp.get("/export.csv")
@login_required
def export_spreadsheet():
    """The entries as a spreadsheet, one row each."""
    return _download(export_csv(current_user), "text/csv", "csv", utcnow())


@bp.post("/data/import")
@csrf.exempt  # checked in _form, once the larger limit for files applies
@login_required
def import_preview():
    """Read an uploaded file and show what importing it would do; nothing is saved."""
    try:
        _form()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return _refused(NO_FILE)
        raw = upload.read(imports.MAX_BYTES + 1)
        if len(raw) > imports.MAX_BYTES:
            return _refused(TOO_BIG)
        text = imports.decode(raw)
        plan = imports.read(current_user, text)
    except RequestEntityTooLarge:
        return _refused(TOO_BIG)
    except imports.ImportRefused as refusal:
        return _refused(str(refusal))
    return render_template(
        "account/_import_preview.html", plan=plan, content=text, filename=upload.filename,
        new_practices=imports.missing_practices(current_user, plan),
        settings=imports.settings_to_import(current_user, plan),
    )


@bp.post("/data/import/confirm")
@csrf.exempt  # checked in _form, once the larger limit for files applies
@login_required
def import_confirm():
    """Import the file the preview showed, and say what happened to each part."""
    try:
        form = _form()
        text = form.get("content", "")
        plan = imports.read(current_user, text, form.get("keep_flagged_notes") == "1")
    except RequestEntityTooLarge:
        return _refused(TOO_BIG)
    except imports.ImportRefused as refusal:
        return _refused(str(refusal))
    report = imports.apply(current_user, plan)
    return render_template("account/_import_report.html", plan=plan, report=report)


def _form():
    """The posted form, read under the import's own size limit, its CSRF token checked."""
    request.max_content_length = FORM_LIMIT
    request.max_form_memory_size = FORM_LIMIT
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    return request.form


def _refused(message):
    """The data page again, with the reason next to the file field."""
    return render_template("account/data.html", error=message), 422


def _download(body, mimetype, extension, now):
    """A file to save, named for the person's day, never kept in a cache."""
    day = local_today(current_user, now).isoformat()
    response = Response(body, mimetype=mimetype)
    name = f"tend-export-{day}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
