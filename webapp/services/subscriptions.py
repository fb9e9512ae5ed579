"""The devices that receive a user's reminders: push subscriptions, one per endpoint.

The page sends its subscription on every load (browsers do not reliably say when one
changes), so saving is an upsert on the endpoint, and cheap when nothing changed. A
device its owner removed is remembered, so that re-sending does not bring it back.
"""
import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import PushSubscription, RemovedDevice
from webapp.services.clock import utcnow

# The first match names the browser, then the system: the order matters, because Edge
# and Opera also call themselves Chrome, Chrome calls itself Safari, and Android, Linux.
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "Mac"),
    ("Linux", "Linux"),
)


def device_label(user_agent):
    """A short name for a device from its User-Agent, like 'Firefox on Android'; None if unknown."""
    user_agent = user_agent or ""
    browser = _first_named(BROWSERS, user_agent)
    system = _first_named(SYSTEMS, user_agent)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system


def _first_named(names, user_agent):
    return next((name for token, name in names if token in user_agent), None)


class DeviceRemoved(Exception):
    """The device was removed by its owner; only a tap on 'Turn on' there brings it back."""


def save_subscription(user, endpoint, p256dh, auth, label, renew=False):
    """Store a browser's subscription for `user`; return it, and whether it is new to them.

    A removed device's subscription raises DeviceRemoved, unless `renew` (the person
    turned reminders on there again), which forgets the removal. If two requests save
    the same new endpoint at once, the loser's insert fails on the unique endpoint; it
    is rolled back and replayed once, when the row exists.
    """
    try:
        saved = _upsert(user, endpoint, p256dh, auth, label, renew)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        saved = _upsert(user, endpoint, p256dh, auth, label, renew)
        db.session.commit()
    return saved


def _upsert(user, endpoint, p256dh, auth, label, renew):
    removal = db.session.get(RemovedDevice, endpoint_digest(endpoint))
    if removal is not None:
        if not renew:
            raise DeviceRemoved
        db.session.delete(removal)
    now = utcnow()
    subscription = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    is_new = subscription is None or subscription.user_id != user.id
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint)
        db.session.add(subscription)
    if is_new:
        # A known endpoint under another account: the browser on that device subscribed
        # again after someone else signed in there. Reminders now go to whoever uses it
        # now, and the device's history belonged to the other account.
        subscription.user_id = user.id
        subscription.created_at = now
        subscription.last_status = subscription.last_attempt_at = None
    subscription.p256dh, subscription.auth, subscription.label = p256dh, auth, label
    subscription.last_used_at = now
    db.session.flush()
    return subscription, is_new


def user_subscriptions(user):
    """The user's devices, the most recently added first."""
    return db.session.scalars(
        select(PushSubscription)
        .where(PushSubscription.user_id == user.id)
        .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())
    ).all()


def remove_subscription(user, subscription_id):
    """Delete one of the user's devices; False if they have no device with that id."""
    subscription = db.session.scalar(
        select(PushSubscription).where(
            PushSubscription.id == subscription_id, PushSubscription.user_id == user.id
        )
    )
    if subscription is None:
        return False
    db.session.merge(RemovedDevice(
        endpoint_digest=endpoint_digest(subscription.endpoint), user_id=user.id,
        removed_at=utcnow(),
    ))
    db.session.delete(subscription)
    db.session.commit()
    return True


def endpoint_digest(endpoint):
    """How a removed device's endpoint is remembered."""
    return hashlib.sha256(endpoint.encode()).hexdigest()
