"""Passkeys (WebAuthn): adding one to an account, and signing in with one.

Each step is a challenge the server makes and keeps (in the session) and the browser
signs: `*_options` make the challenge and what the browser needs; `add_passkey` and
`signed_in_user` check the browser's answer against it with the `webauthn` library.
Passkeys are discoverable (kept on the device with the account's name), so signing in
needs no email address: the passkey says whose it is.
"""
import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from webapp.extensions import db
from webapp.models import Passkey, User
from webapp.services.clock import utcnow

RP_NAME = "Tend"
# What a malformed answer from a browser can raise inside the library, besides its own.
UNREADABLE = (WebAuthnException, ValueError, KeyError, TypeError)


class PasskeyRefused(Exception):
    """The browser's answer does not prove what it should; the message says so in words."""


def user_handle(user, secret):
    """The opaque id a passkey stores for its account: stable, and not the row id."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"passkey:{user.id}".encode(), hashlib.sha256).digest()[:32]


def registration_options(user, secret, rp_id):
    """What the browser needs to make a passkey for `user`; (options as JSON, challenge)."""
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_name=user.email,
        user_id=user_handle(user, secret),
        user_display_name=user.display_name or user.email,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id))
            for passkey in user_passkeys(user)
        ],
    )
    return options_to_json_dict(options), options.challenge


def add_passkey(user, credential, challenge, rp_id, origin, name):
    """Check the browser's new passkey against the challenge and keep it for `user`."""
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge,
            expected_rp_id=rp_id, expected_origin=origin,
        )
    except UNREADABLE as error:
        raise PasskeyRefused("This passkey could not be checked, so it was not added.") from error
    passkey = Passkey(
        user_id=user.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
    )
    db.session.add(passkey)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise PasskeyRefused("This passkey is already added.") from error
    return passkey


def authentication_options(rp_id):
    """What the browser needs to sign in with any passkey it has; (options, challenge)."""
    options = generate_authentication_options(
        rp_id=rp_id, user_verification=UserVerificationRequirement.PREFERRED
    )
    return options_to_json_dict(options), options.challenge


def signed_in_user(credential, challenge, rp_id, origin):
    """The user whose passkey signed the challenge; PasskeyRefused if it did not."""
    credential_id = credential.get("id") if isinstance(credential, dict) else None
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.credential_id == str(credential_id))
    )
    if passkey is None:
        raise PasskeyRefused("This passkey is not known here. Sign in with your password.")
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge,
            expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except UNREADABLE as error:
        raise PasskeyRefused("That passkey sign-in could not be checked. Try again.") from error
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    db.session.commit()
    return db.session.get(User, passkey.user_id)


def user_passkeys(user):
    """The user's passkeys, the newest first."""
    return db.session.scalars(
        select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id.desc())
    ).all()


def remove_passkey(user, passkey_id):
    """Delete one of the user's passkeys; False if they have none with that id."""
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)
    )
    if passkey is None:
        return False
    db.session.delete(passkey)
    db.session.commit()
    return True
