"""The operator's commands: a consistent SQLite backup, and resetting a password."""
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from webapp.cli import backup, reset_password
from webapp.extensions import db
from webapp.models import SignIn
from webapp.services.accounts import authenticate, register_user, start_session

PASSWORD = "correct horse battery"


@pytest.fixture
def person(app):
    """Sam, signed in on a phone."""
    with app.app_context():
        user = register_user("sam@example.org", PASSWORD, "UTC")
        start_session(user, "Chrome on Android", datetime.now(UTC))
        return user.id


def run(app, command, *args, **kwargs):
    return app.test_cli_runner().invoke(command, args, catch_exceptions=False, **kwargs)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_backup_copies_every_row_into_a_sound_sqlite_file(app, person, tmp_path):
    copy = tmp_path / "tend-backup.sqlite3"
    result = run(app, backup, str(copy))
    assert result.exit_code == 0, result.output
    assert "1 accounts" in result.output and "integrity check: ok" in result.output
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT email FROM users").fetchall() == [("sam@example.org",)]
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_backup_on_postgresql_points_to_pg_dump(app, tmp_path):
    result = app.test_cli_runner().invoke(backup, [str(tmp_path / "copy")])
    assert result.exit_code == 1
    assert "pg_dump" in result.output
    assert not (tmp_path / "copy").exists()


def test_reset_password_sets_it_and_signs_out_everywhere(app, person):
    new = "a brand new passphrase"
    result = run(app, reset_password, "Sam@Example.org", input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert authenticate("sam@example.org", new) is not None
        assert authenticate("sam@example.org", PASSWORD) is None
        assert db.session.scalar(select(func.count()).select_from(SignIn)) == 0


def test_reset_password_for_an_unknown_address_changes_nothing(app, person):
    result = app.test_cli_runner().invoke(
        reset_password, ["nobody@example.org"], input="long enough pass\nlong enough pass\n"
    )
    assert result.exit_code == 1
    assert "No account uses nobody@example.org." in result.output


def test_reset_password_refuses_a_short_one(app, person):
    result = app.test_cli_runner().invoke(
        reset_password, ["sam@example.org"], input="short\nshort\n"
    )
    assert result.exit_code == 1
    assert "Use at least 10 characters" in result.output
    with app.app_context():
        assert authenticate("sam@example.org", PASSWORD) is not None
