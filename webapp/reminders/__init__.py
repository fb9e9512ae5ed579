"""Reminders on a person's devices, as a JSON API for the page's script.

The server's public push key, the devices that receive reminders (added on every page
load, listed, removed), and a test reminder sent to them all at once. The JSON rules
(401 before CSRF, 400/422 bodies, no caching) are webapp.api's, as for the sync API.
"""
from flask import Blueprint, abort, current_app, request, url_for
from flask_login import current_user, login_required

from webapp.api import load_json, never_store, per_person, refusal, signed_in_write
from webapp.extensions import db, limiter
from webapp.schemas.push import PushDeviceSchema, PushSubscriptionSchema
from webapp.services.push import VapidKey, push_session, send_all, trial_reminder
from webapp.services.subscriptions import (
    DeviceRemoved,
    device_label,
    remove_subscription,
    save_subscription,
    user_subscriptions,
)

bp = Blueprint("reminders", __name__)
API = "/api/v1/push"

NOT_JSON = "Send the subscription as JSON, with Content-Type: application/json."
BAD_JSON = "The subscription could not be read as JSON."
REMOVED = "This device was removed from your reminders. Turn them on here again to get them."
# A test reminder that cannot arrive within ten minutes has missed its moment; a person
# is waiting for it, so it goes as urgent.
TRIAL_TTL = 10 * 60
TRIAL_URGENCY = "high"


@bp.record_once
def _load_vapid_key(state):
    """Read the VAPID key when the app is built, so a bad key stops the start, not a push."""
    state.app.extensions["tend_vapid"] = VapidKey.from_config(state.app.config)


def _vapid():
    return current_app.extensions["tend_vapid"]


bp.after_request(never_store)


@bp.get(f"{API}/key")
def public_key():
    """The server's public key, for pushManager.subscribe()'s applicationServerKey."""
    return {"public_key": _vapid().public_key}


@bp.get(f"{API}/subscriptions")
@login_required
def devices():
    """The signed-in user's devices, with how the latest push to each went."""
    return {"subscriptions": PushDeviceSchema(many=True).dump(user_subscriptions(current_user))}


@bp.post(f"{API}/subscriptions")
@signed_in_write
def subscribe():
    """Save this device's subscription: 201 when new to this user, 200 when known, 410
    when its owner removed it (the page then drops the subscription on its side too)."""
    data = _load_subscription()
    try:
        subscription, is_new = save_subscription(
            current_user,
            data["endpoint"],
            data["keys"]["p256dh"],
            data["keys"]["auth"],
            device_label(request.user_agent.string),
            renew=data["renew"],
        )
    except DeviceRemoved:
        return refusal(410, REMOVED)
    return PushDeviceSchema(only=("id", "label")).dump(subscription), 201 if is_new else 200


@bp.delete(f"{API}/subscriptions/<int:subscription_id>")
@signed_in_write
def unsubscribe(subscription_id):
    """Stop reminders to one of the user's devices."""
    if not remove_subscription(current_user, subscription_id):
        abort(404)
    return "", 204


def _trial_limit():
    return current_app.config["PUSH_TEST_RATE_LIMIT"]


@bp.post(f"{API}/test")
@signed_in_write
@limiter.limit(_trial_limit, key_func=per_person)
def send_test():
    """Send a test reminder to each of the user's devices now, and say how each went."""
    subscriptions = user_subscriptions(current_user)
    labels = [(subscription.id, subscription.label) for subscription in subscriptions]
    with push_session() as session:
        deliveries = send_all(
            subscriptions,
            trial_reminder(url_for("checkins.home", _external=True)),
            TRIAL_TTL,
            urgency=TRIAL_URGENCY,
            vapid=_vapid(),
            session=session,
        )
    db.session.commit()
    return {
        "results": [
            {"id": device_id, "label": label, "outcome": delivery.outcome,
             "last_status": delivery.summary}
            for (device_id, label), delivery in zip(labels, deliveries, strict=True)
        ]
    }


def _load_subscription():
    """The request's subscription, validated; otherwise a 400 or 422 ends the request."""
    schema = PushSubscriptionSchema(allow_http=current_app.config["PUSH_ALLOW_HTTP"])
    return load_json(schema, NOT_JSON, BAD_JSON)


from webapp.reminders import pages  # noqa: E402, F401 - the page routes share this blueprint
