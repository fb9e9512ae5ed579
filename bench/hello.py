"""A bare Flask "hello world": the yardstick for the server budget in DESIGN §8.

Served by bench/http_checkin.py with the same gunicorn settings as Tend, e.g.

    .venv/bin/gunicorn --chdir bench -w 2 hello:app
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
