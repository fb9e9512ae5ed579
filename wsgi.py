"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""
import gc

from webapp import create_app

app = create_app()
# What it took to build the app lives as long as the process, so the garbage collector
# need not walk it again: every full collection did, pausing a busy worker for tens to
# hundreds of milliseconds (bench/http_checkin.py's slowest answers).
gc.freeze()
