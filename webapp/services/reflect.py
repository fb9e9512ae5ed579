"""Reflect: the "Stuck with a case?" reflections and the reframe cards that helped.

Reflections and marks are written by services.sync (the one writer); this module says
what their answers mean and reads a user's own back.
"""
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Reflection, ReframeMark
from webapp.services.reframes import REFRAMES, SITUATIONS

# Whose problem is it? The answers a person can give for each problem they name.
WHOSE = {
    "mine": "Mine",
    "client": "The client's",
    "family": "Their family's or friends'",
    "team": "The team's or another helper's",
    "system": "The system's",
    "shared": "Shared between us",
}
# Enough for the tangle of a stuck case, few enough to fit between sessions.
MAX_PROBLEMS = 4
ANSWER_LENGTH = 200
NEXT_STEP_LENGTH = 280
RECENT_REFLECTIONS = 30


def recent_reflections(user, limit=RECENT_REFLECTIONS):
    """The user's live reflections, newest first."""
    return db.session.scalars(
        select(Reflection)
        .where(Reflection.user_id == user.id, Reflection.deleted.is_(False))
        .order_by(Reflection.created_at.desc())
        .limit(limit)
    ).all()


def find_reflection(user, entry_id):
    """The user's reflection with this id (deleted or not), or None: others' do not
    exist here."""
    return db.session.scalar(
        select(Reflection).where(Reflection.id == str(entry_id), Reflection.user_id == user.id)
    )


def helpful_counts(user):
    """How many times the user marked each card helpful: {card key: count}."""
    rows = db.session.execute(
        select(ReframeMark.card, func.count())
        .where(ReframeMark.user_id == user.id, ReframeMark.deleted.is_(False))
        .group_by(ReframeMark.card)
    )
    return dict(rows.all())


def ordered_cards(user, situation=None):
    """The cards in the order to tap through: situation by situation, and within each,
    the ones this user found most helpful first (ties keep their written order).

    With a `situation`, only its cards.
    """
    counts = helpful_counts(user)
    order = list(SITUATIONS)
    cards = [card for card in REFRAMES if situation in (None, card.situation)]
    return sorted(cards, key=lambda card: (order.index(card.situation), -counts.get(card.key, 0)))
