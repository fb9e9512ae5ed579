"""The migrations build exactly the schema the models describe, on every database."""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from webapp.extensions import db
from webapp.models import UTCDateTime


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_sqlite_runs_in_wal_mode(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context(), db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# The two tables as the first revision made them, with the columns these tests fill.
USERS_0001 = sa.table(
    "users", sa.column("id"), sa.column("email"), sa.column("password_hash"),
    sa.column("timezone"), sa.column("login_token"), sa.column("created_at", UTCDateTime()),
)
CHECKINS_0001 = sa.table(
    "checkins", sa.column("id"), sa.column("user_id"), sa.column("tank"), sa.column("deleted"),
    sa.column("safety_session"), sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)


def test_the_change_cursor_numbers_the_entries_already_stored(app):
    """Upgrading numbers each user's check-ins by their last change, so cursor 0 gets them all."""
    changed = {"a": (1, 3), "b": (1, 1), "c": (1, 2), "d": (2, 1)}  # owner, minutes after T0
    with app.app_context():
        db.session.remove()
        downgrade(revision="0001")
        try:
            with db.engine.begin() as connection:
                connection.execute(USERS_0001.insert(), [user_row(n) for n in (1, 2, 3)])
                connection.execute(
                    CHECKINS_0001.insert(),
                    [checkin_row(name, owner, minutes)
                     for name, (owner, minutes) in changed.items()],
                )
        finally:
            upgrade()
        with db.engine.connect() as connection:
            seqs = dict(connection.execute(sa.text("SELECT id, seq FROM checkins")).all())
            counters = dict(connection.execute(sa.text("SELECT id, change_seq FROM users")).all())
    assert seqs == {"b": 1, "c": 2, "a": 3, "d": 1}
    assert counters == {1: 3, 2: 1, 3: 0}


def user_row(user_id):
    return {
        "id": user_id, "email": f"{user_id}@example.org", "password_hash": "-",
        "timezone": "UTC", "login_token": f"token-{user_id}", "created_at": T0,
    }


def checkin_row(entry_id, user_id, minutes):
    return {
        "id": entry_id, "user_id": user_id, "tank": 3, "deleted": False,
        "safety_session": False, "created_at": T0,
        "updated_at": T0 + timedelta(minutes=minutes),
    }
