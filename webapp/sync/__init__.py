"""The JSON sync API: batches of entries in, per-entry results and other devices' changes out."""
from flask import Blueprint

bp = Blueprint("sync", __name__, url_prefix="/api/v1")


@bp.get("/session")
def session():
    """Placeholder until the sync API lands."""
    return {}, 501


@bp.post("/sync")
def sync():
    """Placeholder until the sync API lands."""
    return {}, 501
