"""The web app manifest."""


def build_manifest():
    """The manifest as a dict, ready for JSON."""
    return {"name": "Tend", "short_name": "Tend", "start_url": "/", "display": "standalone"}
