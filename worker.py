"""The reminder worker: `huey_consumer worker.huey` (as many as needed)."""
from webapp import create_app

app = create_app()
huey = app.extensions["tend_tasks"]["queue"]
