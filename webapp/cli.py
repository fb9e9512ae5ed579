"""Commands for whoever runs Tend: `flask --app wsgi backup FILE` and
`flask --app wsgi reset-password EMAIL`."""
import sqlite3
from contextlib import closing

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import User
from webapp.schemas.account import NewPasswordSchema
from webapp.services.accounts import set_password


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup(destination):
    """Copy the SQLite database to DESTINATION, consistently, while Tend runs.

    SQLite's online backup copies a snapshot page by page, so writes made meanwhile
    neither block nor tear the copy. PostgreSQL has pg_dump for this (see the README).
    """
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException(
            "This database is PostgreSQL: back it up with pg_dump (see the README)."
        )
    with closing(engine.raw_connection()) as source, closing(sqlite3.connect(destination)) as copy:
        source.driver_connection.backup(copy)
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        users = copy.execute("SELECT count(*) FROM users").fetchone()[0]
    if verdict != "ok":
        raise click.ClickException(f"The copy failed its integrity check: {verdict}")
    click.echo(f"Backed up to {destination} ({users} accounts); integrity check: ok.")


@click.command("reset-password")
@click.argument("email")
@click.password_option(prompt="New password", confirmation_prompt="Repeat it")
@with_appcontext
def reset_password(email, password):
    """Set a new password for the account with EMAIL, and sign it out everywhere."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    try:
        NewPasswordSchema().load({"password": password})
    except ValidationError as error:
        raise click.ClickException(" ".join(error.messages["password"])) from error
    set_password(user, password)
    click.echo(f"New password set for {user.email}; it is signed out on every device.")


def init_app(app):
    """Add the commands to `flask`."""
    app.cli.add_command(backup)
    app.cli.add_command(reset_password)
