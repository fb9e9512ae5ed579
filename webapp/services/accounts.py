"""Accounts: registering, checking passwords, and the user's own settings."""
import contextlib
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import SignIn, User
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
    """Give the user a new password and sign out every device but the one asking (if
    any): whoever knew the old password is out, everywhere else."""
    user.password_hash = password_hasher().hash(password)
    end_sessions(user, keep=user.session_key)


# Sign-ins --------------------------------------------------------------------------------

# How stale a sign-in's "last seen" may get before a request writes it again: often
# enough to tell devices apart, rarely enough to cost nothing a request.
SEEN_EVERY = timedelta(minutes=10)


def start_session(user, device, now):
    """A new sign-in of `user` on a device described as `device`: its key, for the
    device's cookies (kept on `user` for Flask-Login), of which only a digest is stored."""
    key = secrets.token_urlsafe(32)
    db.session.add(SignIn(digest=_digest(key), user_id=user.id, device=device,
                          created_at=now, last_seen_at=now))
    db.session.commit()
    user.session_key = key
    return key


def user_for_session(key, now):
    """The user a sign-in's key belongs to, or None once it ended (signed out here or
    elsewhere, or by a new password)."""
    found = db.session.execute(
        select(User, SignIn).join(SignIn, SignIn.user_id == User.id)
        .where(SignIn.digest == _digest(key))
    ).first()
    if found is None:
        return None
    user, signed_in = found
    if now - signed_in.last_seen_at > SEEN_EVERY:
        signed_in.last_seen_at = now
        db.session.commit()
    user.session_key = key
    return user


def sessions_of(user):
    """Where the person is signed in, the latest seen first; each SignIn has `current`
    set for the one this request came with."""
    found = db.session.scalars(
        select(SignIn).where(SignIn.user_id == user.id).order_by(SignIn.last_seen_at.desc())
    ).all()
    mine = _digest(user.session_key) if user.session_key else None
    for signed_in in found:
        signed_in.current = signed_in.digest == mine
    return found


def end_session(user, sign_in_id=None):
    """Sign out one device of the person's (this one, by default); False if it is not theirs."""
    where = (SignIn.id == sign_in_id) if sign_in_id is not None else (
        SignIn.digest == _digest(user.session_key or ""))
    ended = db.session.execute(delete(SignIn).where(SignIn.user_id == user.id, where))
    db.session.commit()
    return ended.rowcount == 1


def end_sessions(user, keep=None):
    """Sign out every device of the person's but the one with the key `keep` (with any
    change to the person made before, such as a new password)."""
    query = delete(SignIn).where(SignIn.user_id == user.id)
    if keep:
        query = query.where(SignIn.digest != _digest(keep))
    db.session.execute(query)
    db.session.commit()


def device_label(user_agent):
    """A device in a few words from its User-Agent, e.g. "Chrome on Android"."""
    agent = user_agent or ""
    browser = next((name for mark, name in BROWSERS if mark in agent), "A browser")
    system = next((name for mark, name in SYSTEMS if mark in agent), None)
    return f"{browser} on {system}" if system else browser


# Looked for in this order: Chrome's and Edge's agents also say Safari, Edge's Chrome.
BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
            ("CriOS/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
           ("Macintosh", "a Mac"), ("Windows", "Windows"), ("CrOS", "a Chromebook"),
           ("Linux", "Linux"))


def _digest(key):
    return hashlib.sha256(key.encode()).hexdigest()
