"""Accounts: registering, checking passwords, and the user's own settings."""
import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import User, new_login_token
from webapp.services import circles


class EmailTaken(Exception):
    """An account with this email address already exists."""


def password_hasher():
    """The app's argon2id hasher, built once from its configured cost."""
    hasher = current_app.extensions.get("tend_password_hasher")
    if hasher is None:
        hasher = PasswordHasher(
            time_cost=current_app.config["ARGON2_TIME_COST"],
            memory_cost=current_app.config["ARGON2_MEMORY_COST"],
        )
        current_app.extensions["tend_password_hasher"] = hasher
    return hasher


def register_user(email, password, timezone, display_name=None):
    """Create and return a new user; raise EmailTaken if the address is in use."""
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailTaken(email)
    user = User(
        email=email,
        password_hash=password_hasher().hash(password),
        timezone=timezone,
        display_name=display_name,
    )
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email, password):
    """Return the user these credentials belong to, or None.

    An unknown address costs the same hashing work as a wrong password, so the
    response time does not tell an attacker which addresses have accounts.
    """
    hasher = password_hasher()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        _spend_equal_effort(hasher, password)
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        db.session.commit()
    return user


def _spend_equal_effort(hasher, password):
    """Verify against a throwaway hash of the same cost."""
    dummy = current_app.extensions.get("tend_dummy_hash")
    if dummy is None:
        dummy = current_app.extensions["tend_dummy_hash"] = hasher.hash("not a real password")
    with contextlib.suppress(VerificationError):
        hasher.verify(dummy, password)


def update_profile(user, display_name, timezone):
    """Save the user's display name and time zone."""
    user.display_name = display_name
    user.timezone = timezone
    db.session.commit()


def password_matches(user, password):
    """Whether `password` is the user's current one."""
    try:
        return password_hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def delete_account(user):
    """Delete the user and, through the database's cascades, every row of theirs: with
    their circle memberships, the nudges they sent and the requests they made. Circles
    left empty go too; the others simply no longer list them."""
    db.session.execute(delete(User).where(User.id == user.id))
    circles.forget_empty_circles()
    db.session.commit()


def set_password(user, password):
    """Give the user a new password and sign them out everywhere.

    The login token names every session and remember-me cookie, so a new one ends them
    all: whoever knew the old password is out, on every device.
    """
    user.password_hash = password_hasher().hash(password)
    user.login_token = new_login_token()
    db.session.commit()
