"""Passkeys: adding them on the account's passkeys page, and signing in with one.

The page's script (static/js/passkeys.js) asks for a challenge, has the browser answer
it with navigator.credentials, and sends the answer back. The challenge waits in the
session between the two requests and is used once.
"""
from flask import abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from webapp.api import json_response, load_json, never_store, per_person, refusal, signed_in_write
from webapp.auth import bp, sign_in_as
from webapp.extensions import limiter
from webapp.schemas.account import PasskeySchema, PasskeySignInSchema
from webapp.services.passkeys import (
    PasskeyRefused,
    add_passkey,
    authentication_options,
    registration_options,
    remove_passkey,
    signed_in_user,
    user_passkeys,
)

API = "/api/v1/passkeys"
NOT_JSON = "Send the passkey as JSON, with Content-Type: application/json."
BAD_JSON = "The passkey could not be read as JSON."
NO_CHALLENGE = "This passkey step has expired. Try again."


def _passkey_limit():
    return current_app.config["PASSKEY_RATE_LIMIT"]


def relying_party():
    """The site passkeys belong to (its host name) and the origin browsers report."""
    rp_id = current_app.config["WEBAUTHN_RP_ID"] or request.host.rsplit(":", 1)[0]
    origin = current_app.config["WEBAUTHN_ORIGIN"] or f"{request.scheme}://{request.host}"
    return rp_id, origin


@bp.get("/account/passkeys")
@login_required
def passkeys():
    """The person's passkeys: add one, see where each was last used, remove one."""
    return render_template("auth/passkeys.html", passkeys=user_passkeys(current_user))


@bp.post("/account/passkeys/<int:passkey_id>/remove")
@login_required
def passkey_remove(passkey_id):
    """Remove a passkey; the device may keep it, but it signs in nowhere any more."""
    if not remove_passkey(current_user, passkey_id):
        abort(404)
    return redirect(url_for("auth.passkeys"))


@bp.post(f"{API}/registration-options")
@signed_in_write
@limiter.limit(_passkey_limit, key_func=per_person)
def registration_challenge():
    """A challenge for this device to make a passkey for the signed-in person."""
    options, challenge = registration_options(
        current_user, current_app.secret_key, relying_party()[0]
    )
    session["passkey_challenge"] = challenge.hex()
    return never_store(jsonify(options))


@bp.post(API)
@signed_in_write
@limiter.limit(_passkey_limit, key_func=per_person)
def register_passkey():
    """Keep the passkey the browser made, once its answer to the challenge checks out."""
    data = load_json(PasskeySchema(), NOT_JSON, BAD_JSON)
    challenge = _take_challenge()
    rp_id, origin = relying_party()
    try:
        passkey = add_passkey(
            current_user, data["credential"], challenge, rp_id, origin, data["name"]
        )
    except PasskeyRefused as refused:
        return never_store(refusal(422, str(refused)))
    return never_store(json_response(201, {"id": passkey.id, "name": passkey.name}))


@bp.post(f"{API}/sign-in-options")
@limiter.limit(_passkey_limit)
def sign_in_challenge():
    """A challenge for any passkey this device has for Tend."""
    options, challenge = authentication_options(relying_party()[0])
    session["passkey_challenge"] = challenge.hex()
    return never_store(jsonify(options))


@bp.post(f"{API}/sign-in")
@limiter.limit(_passkey_limit)
def sign_in_with_passkey():
    """Sign in as the passkey's owner, kept signed in on this device."""
    data = load_json(PasskeySignInSchema(), NOT_JSON, BAD_JSON)
    challenge = _take_challenge()
    rp_id, origin = relying_party()
    try:
        user = signed_in_user(data["credential"], challenge, rp_id, origin)
    except PasskeyRefused as refused:
        return never_store(refusal(422, str(refused)))
    sign_in_as(user, remember=True)
    return never_store(jsonify({"redirect": url_for("checkins.home")}))


def _take_challenge():
    """The challenge made for this step, used once; a 400 when there is none."""
    challenge = session.pop("passkey_challenge", None)
    if challenge is None:
        abort(refusal(400, NO_CHALLENGE))
    return bytes.fromhex(challenge)
