"""Tend: self-care between client sessions, for helping professionals."""
import os
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.config import Config
from webapp.extensions import compress, csrf, db, htmx, limiter, login_manager, migrate


def create_app(config=None):
    """Build the application; `config` is an object whose upper-case attributes are settings."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TEND_INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(config or Config(app.instance_path))
    if app.config["TRUSTED_PROXIES"]:
        count = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    _init_database(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    _init_login(app)

    from webapp import (
        account,
        auth,
        care,
        checkins,
        circles,
        insights,
        practices,
        pwa,
        reflect,
        reminders,
        support,
        sync,
    )
    from webapp.errors import register_error_handlers
    from webapp.security import register_security_headers

    app.register_blueprint(auth.bp)
    app.register_blueprint(checkins.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(support.bp)
    app.register_blueprint(sync.bp)
    app.register_blueprint(pwa.bp)
    app.register_blueprint(reminders.bp)
    app.register_blueprint(practices.bp)
    app.register_blueprint(reflect.bp)
    app.register_blueprint(care.bp)
    app.register_blueprint(insights.bp)
    app.register_blueprint(circles.bp)
    from webapp.tasks import init_tasks

    init_tasks(app)
    from webapp import cli

    cli.init_app(app)
    register_error_handlers(app)
    register_security_headers(app)
    _register_template_helpers(app)
    return app


def _init_database(app):
    """Bind SQLAlchemy; SQLite gets WAL, foreign keys and a wait instead of 'database is locked'."""
    db.init_app(app)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    busy_ms = int(app.config["SQLITE_BUSY_MS"])

    def sqlite_pragmas(connection, _record):
        """Per-connection SQLite settings."""
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    with app.app_context():
        event.listen(db.engine, "connect", sqlite_pragmas)


def _init_login(app):
    """Sessions: each sign-in is a row the server keeps (services.accounts); a cookie
    whose sign-in ended, by signing out here or elsewhere, names nobody."""
    from webapp.auth import unauthorized
    from webapp.services.accounts import user_for_session
    from webapp.services.clock import utcnow

    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(unauthorized)

    @login_manager.user_loader
    def load_user(key):
        return user_for_session(key, utcnow())


def _register_template_helpers(app):
    """Filters and globals the templates share."""
    from flask_login import current_user

    from webapp.schemas.account import TIMEZONES
    from webapp.services import checkins
    from webapp.services.checkins import day_label

    @app.template_filter("wall_time")
    def wall_time(value):
        """A time of day as the app writes every time, e.g. '2:30 PM'."""
        return value.strftime("%-I:%M %p")

    @app.template_filter("local_time")
    def local_time(moment):
        """A moment as the clock on the user's wall shows it, e.g. '2:05 PM'."""
        return wall_time(moment.astimezone(ZoneInfo(current_user.timezone)))

    @app.template_filter("local_date")
    def local_date(moment):
        """The user's calendar day of a moment, e.g. 'Monday 16 November'."""
        return day_label(moment.astimezone(ZoneInfo(current_user.timezone)).date())

    from webapp.pages import opened_by_the_person
    from webapp.pwa import PLACEHOLDER_ID
    from webapp.services.sync import ENTRY_LABELS
    from webapp.services.sync import user_tag as tag_for

    def user_tag():
        """The signed-in user's tag for entries waiting on the phone."""
        return tag_for(current_user, app.secret_key)

    app.jinja_env.globals.update(
        user_tag=user_tag,
        opened_by_the_person=opened_by_the_person,
        ENTRY_LABELS=ENTRY_LABELS,
        PLACEHOLDER_ID=PLACEHOLDER_ID,
        TANK_LEVELS=checkins.TANK_LEVELS,
        LEANS=checkins.LEANS,
        WORK_SHARE_BOUNDARY=checkins.WORK_SHARE_BOUNDARY,
        lean_description=checkins.lean_description,
        TIMEZONES=sorted(TIMEZONES),
    )
