"""Flask extensions, created once here and bound to the app in create_app."""
import flask_compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for Tend's models."""


class Compress(flask_compress.Compress):
    """Flask-Compress, closing a streamed body once its compressed copy has been sent.

    To compress a stream (every static file is one), Flask-Compress 1.25 puts a
    compressing generator in the body's place and drops the body, so the file behind it
    stays open until garbage collection gets to it.
    """

    def after_request(self, response):
        """Compress the answer if the client asked for it; close the original body with it."""
        body = response.response
        response = super().after_request(response)
        if response.response is not body and hasattr(body, "close"):
            response.call_on_close(body.close)
        return response


# Sessions live for one request; reloading every row after each commit would only
# repeat the queries the request just made.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
compress = Compress()
