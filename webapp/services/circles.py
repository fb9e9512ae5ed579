"""The peer circle: colleagues who agreed to send each other care.

What a circle shares is only what is made for it: who is in it (by the name each
member chose for it), care nudges (pre-written, never free text) and debrief requests
with their one-tap answers. No entry of anyone's is ever reachable from here.

Every function that takes a circle expects one the person belongs to (`find_circle`);
a circle they are not in, or left, is None, which the pages answer with 404. A block
is a person's own: whoever they blocked disappears from their lists, and nothing from
them reaches the blocker, without the blocked person being told.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin

from marshmallow import ValidationError
from sqlalchemy import delete, func, select, true, update

from webapp.extensions import db
from webapp.models import (
    CareNudge,
    Circle,
    CircleBlock,
    CircleInvitation,
    CircleMember,
    CircleSettings,
    DebriefAnswer,
    DebriefRequest,
    PushSubscription,
    ReminderSettings,
    User,
)
from webapp.services import schedule
from webapp.services.push import Message, record_deliveries, send_each

MAX_MEMBERS = 12
INVITATION_LIFE = timedelta(days=7)
# How long a debrief request stays open when its asker does not close it: it asks about today.
REQUEST_LIFE = timedelta(hours=24)
# A day of nudges: at most so many from one person to another, and from one person in all.
NUDGES_TO_ONE_A_DAY = 3
NUDGES_A_DAY = 20
NUDGE_LIST_DAYS = 30
# The pre-written nudges, by key: the key is what is stored and what travels.
NUDGES = {
    "thinking": "Thinking of you today.",
    "not_alone": "You're not alone in this.",
    "proud": "Proud of the work you do.",
    "breathe": "Sending you a slow breath and a moment of calm.",
    "enough": "What you did today was enough.",
    "here": "I'm here if you want to talk.",
}
NUDGE_SETTINGS = {
    "on": "Let them through, with a notification",
    "quiet": "Keep them silent during my quiet hours (they wait in the list)",
    "off": "Turn nudges off",
}

NOT_A_MEMBER = "That person is not in this circle any more."
NUDGES_OFF = "They have turned care nudges off for now."
TOO_MANY_TO_ONE = "You have sent them {} nudges today; there is always tomorrow."
TOO_MANY = "You have sent {} nudges today, as many as a day allows."
CIRCLE_FULL = f"This circle already has {MAX_MEMBERS} people, as many as a circle holds."
ALREADY_ASKED = "You have asked this circle already; close that request to ask again."
INVITATION_PROBLEMS = {
    "unknown": "This invitation link is not one Tend knows. Ask for a new one.",
    "expired": "This invitation has expired (links last 7 days). Ask for a new one.",
    "used": "This invitation has been used already: each link lets one person in.",
    "revoked": "This invitation was taken back by the person who made it.",
    "full": CIRCLE_FULL,
}


@dataclass
class Refused(Exception):
    """Something a person asked for that the circle's rules do not allow: why, in words,
    and the field the words belong to."""

    field: str
    message: str

    @property
    def errors(self):
        return {self.field: [self.message]}


# Circles and their members -----------------------------------------------------------------


def circles_of(user):
    """The circles the person is in, by name, each with its number of members."""
    counts = (
        select(CircleMember.circle_id, func.count().label("size"))
        .group_by(CircleMember.circle_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Circle, counts.c.size)
        .join(CircleMember, CircleMember.circle_id == Circle.id)
        .join(counts, counts.c.circle_id == Circle.id)
        .where(CircleMember.user_id == user.id)
        .order_by(Circle.name, Circle.id)
    )
    return [(circle, size) for circle, size in rows]


def find_circle(user, circle_id):
    """The circle, if the person is in it; None otherwise (as if it did not exist)."""
    return db.session.scalar(
        select(Circle)
        .join(CircleMember, CircleMember.circle_id == Circle.id)
        .where(Circle.id == circle_id, CircleMember.user_id == user.id)
    )


def membership(circle_id, user_id):
    """The person's place in the circle (their CircleMember), or None."""
    return db.session.get(CircleMember, (circle_id, user_id))


def members_of(circle, viewer):
    """The circle's members as the viewer sees them: everyone but those they blocked,
    themselves first, then by the date each joined."""
    members = db.session.scalars(
        select(CircleMember)
        .where(CircleMember.circle_id == circle.id,
               CircleMember.user_id.not_in(_blocked_ids(viewer)))
        .order_by(CircleMember.joined_at, CircleMember.user_id)
    ).all()
    return sorted(members, key=lambda member: member.user_id != viewer.id)


def create_circle(user, name, member_name):
    """A new circle with its maker as its first member."""
    circle = Circle(name=name, created_by=user.id)
    db.session.add(circle)
    db.session.flush()
    db.session.add(CircleMember(circle_id=circle.id, user_id=user.id, name=member_name))
    db.session.commit()
    return circle


def leave(user, circle):
    """The person leaves; a circle nobody is left in goes with its last member."""
    db.session.execute(
        delete(CircleMember).where(
            CircleMember.circle_id == circle.id, CircleMember.user_id == user.id
        )
    )
    forget_empty_circles()
    db.session.commit()


def remove(user, circle, member_id):
    """The circle's maker takes a member out; False if `user` may not, or no such member."""
    if circle.created_by != user.id or member_id == user.id:
        return False
    removed = db.session.execute(
        delete(CircleMember).where(
            CircleMember.circle_id == circle.id, CircleMember.user_id == member_id
        )
    )
    db.session.commit()
    return removed.rowcount == 1


def forget_empty_circles():
    """Delete circles nobody is in (after a leave, or an account deleted); the caller commits."""
    anyone = select(CircleMember.circle_id)
    db.session.execute(delete(Circle).where(Circle.id.not_in(anyone)))


def block(user, circle, member_id):
    """The person blocks a member of a circle they share; False if there is no such member."""
    if member_id == user.id or membership(circle.id, member_id) is None:
        return False
    if db.session.get(CircleBlock, (user.id, member_id)) is None:
        db.session.add(CircleBlock(user_id=user.id, blocked_id=member_id))
    db.session.commit()
    return True


def blocked_by(user):
    """Whom the person has blocked: (user id, the name they had in a shared circle)."""
    rows = db.session.execute(
        select(CircleBlock.blocked_id, func.min(CircleMember.name))
        .outerjoin(CircleMember, CircleMember.user_id == CircleBlock.blocked_id)
        .where(CircleBlock.user_id == user.id)
        .group_by(CircleBlock.blocked_id)
    )
    return [(blocked_id, name or "Someone who left") for blocked_id, name in rows]


def unblock(user, blocked_id):
    db.session.execute(
        delete(CircleBlock).where(
            CircleBlock.user_id == user.id, CircleBlock.blocked_id == blocked_id
        )
    )
    db.session.commit()


def _blocks(receiver_id, sender_id):
    return db.session.get(CircleBlock, (receiver_id, sender_id)) is not None


# Invitations -------------------------------------------------------------------------------


def invite(user, circle, now):
    """A new one-time invitation: (the invitation, the secret its link carries)."""
    secret = secrets.token_urlsafe(24)
    invitation = CircleInvitation(
        circle_id=circle.id, digest=_digest(secret), created_by=user.id,
        created_at=now, expires_at=now + INVITATION_LIFE,
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation, secret


def open_invitations(circle, now):
    return db.session.scalars(
        select(CircleInvitation)
        .where(CircleInvitation.circle_id == circle.id, _still_open(now))
        .order_by(CircleInvitation.created_at)
    ).all()


def _still_open(now):
    """An invitation that can still let someone in: not used, taken back or expired."""
    return (
        CircleInvitation.used_at.is_(None)
        & CircleInvitation.revoked_at.is_(None)
        & (CircleInvitation.expires_at > now)
    )


def revoke(user, circle, invitation_id, now):
    """Take back an invitation still open: its maker, or the circle's maker, may."""
    mine = CircleInvitation.created_by == user.id
    taken = db.session.execute(
        update(CircleInvitation)
        .where(
            CircleInvitation.id == invitation_id,
            CircleInvitation.circle_id == circle.id,
            true() if circle.created_by == user.id else mine,
            _still_open(now),
        )
        .values(revoked_at=now)
    )
    db.session.commit()
    return taken.rowcount == 1


def invitation_for(secret, now, user):
    """(the invitation, its circle, None) when the link can let `user` in, or is to a
    circle they are in already; otherwise (None, None, the key of what is wrong with
    it, see INVITATION_PROBLEMS)."""
    invitation = db.session.scalar(
        select(CircleInvitation).where(CircleInvitation.digest == _digest(secret))
    )
    if invitation is None:
        return None, None, "unknown"
    if membership(invitation.circle_id, user.id) is not None:
        return invitation, db.session.get(Circle, invitation.circle_id), None
    problem = _invitation_problem(invitation, now)
    if problem:
        return None, None, problem
    return invitation, db.session.get(Circle, invitation.circle_id), None


def join(user, secret, member_name, now):
    """Use an invitation to join its circle: the circle, or Refused.

    The invitation is spent by one UPDATE that finds it still unused, so two people
    following one link at once cannot both get in; the circle's row is written first,
    which queues joiners of the same circle (PostgreSQL's row lock, SQLite's one
    writer), so the member count read after it is the one the insert adds to.
    """
    invitation, circle, problem = invitation_for(secret, now, user)
    if problem:
        raise Refused("invitation", INVITATION_PROBLEMS[problem])
    if membership(circle.id, user.id) is not None:
        return circle  # already in; the link stays for someone else
    db.session.execute(update(Circle).where(Circle.id == circle.id).values(name=Circle.name))
    spent = db.session.execute(
        update(CircleInvitation)
        .where(CircleInvitation.id == invitation.id, _still_open(now))
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        db.session.rollback()
        raise Refused("invitation", INVITATION_PROBLEMS["used"])
    if _size(circle.id) >= MAX_MEMBERS:
        db.session.rollback()
        raise Refused("invitation", CIRCLE_FULL)
    db.session.add(CircleMember(circle_id=circle.id, user_id=user.id, name=member_name,
                                joined_at=now))
    db.session.commit()
    return circle


def _invitation_problem(invitation, now):
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.used_at is not None:
        return "used"
    if invitation.expires_at <= now:
        return "expired"
    if _size(invitation.circle_id) >= MAX_MEMBERS:
        return "full"
    return None


def _size(circle_id):
    return db.session.scalar(
        select(func.count()).select_from(CircleMember).where(CircleMember.circle_id == circle_id)
    )


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


# Care nudges -------------------------------------------------------------------------------


def nudge_setting(user):
    settings = db.session.get(CircleSettings, user.id)
    return settings.nudges if settings else "on"


def save_nudge_setting(user, value):
    settings = db.session.get(CircleSettings, user.id)
    if settings is None:
        db.session.add(CircleSettings(user_id=user.id, nudges=value))
    else:
        settings.nudges = value
    db.session.commit()


def nudges_off_among(circle):
    """The ids of the circle's members who turned nudges off."""
    return set(
        db.session.scalars(
            select(CircleSettings.user_id)
            .join(CircleMember, CircleMember.user_id == CircleSettings.user_id)
            .where(CircleMember.circle_id == circle.id, CircleSettings.nudges == "off")
        )
    )


def send_nudge(sender, circle, nudge_id, recipient_id, message, now):
    """Store a nudge for sending: the nudge, or Refused.

    Sending the same nudge (its id) again gives back the one stored, so a retry over a
    bad connection arrives once. A nudge to someone who blocked the sender is stored as
    dropped: the sender is not told, and it never reaches the other.
    """
    stored = db.session.get(CareNudge, nudge_id)
    if stored is not None:
        if stored.sender_id != sender.id:
            raise Refused("id", "This nudge's id belongs to another nudge; send it again.")
        return stored
    if recipient_id == sender.id or membership(circle.id, recipient_id) is None:
        raise Refused("recipient", NOT_A_MEMBER)
    recipient = db.session.get(User, recipient_id)
    if nudge_setting(recipient) == "off":
        raise Refused("recipient", NUDGES_OFF)
    day_ago = now - timedelta(days=1)
    sent = select(func.count()).select_from(CareNudge).where(
        CareNudge.sender_id == sender.id, CareNudge.created_at > day_ago
    )
    if db.session.scalar(sent.where(CareNudge.recipient_id == recipient_id)) >= NUDGES_TO_ONE_A_DAY:
        raise Refused("recipient", TOO_MANY_TO_ONE.format(NUDGES_TO_ONE_A_DAY))
    if db.session.scalar(sent) >= NUDGES_A_DAY:
        raise Refused("recipient", TOO_MANY.format(NUDGES_A_DAY))
    status = "dropped" if _blocks(recipient_id, sender.id) else "pending"
    nudge = CareNudge(id=nudge_id, circle_id=circle.id, sender_id=sender.id,
                      recipient_id=recipient_id, message=message, created_at=now, status=status)
    db.session.add(nudge)
    db.session.commit()
    return nudge


def nudges_for(user, now, seen=True):
    """The nudges the person received in the last NUDGE_LIST_DAYS days, newest first, as
    (nudge, the sender's name in that circle, circle name). With `seen`, those not seen
    yet are marked seen: the list is where a person sees them."""
    rows = db.session.execute(
        select(CareNudge, CircleMember.name, Circle.name)
        .outerjoin(CircleMember, (CircleMember.circle_id == CareNudge.circle_id)
                   & (CircleMember.user_id == CareNudge.sender_id))
        .join(Circle, Circle.id == CareNudge.circle_id)
        .where(_received_by(user), CareNudge.created_at > now - timedelta(days=NUDGE_LIST_DAYS))
        .order_by(CareNudge.created_at.desc())
    ).all()
    rows = [(nudge, name or "Someone who has left the circle", circle_name)
            for nudge, name, circle_name in rows]
    unseen = [nudge.id for nudge, _, _ in rows if nudge.seen_at is None]
    if seen and unseen:
        db.session.execute(update(CareNudge).where(CareNudge.id.in_(unseen)).values(seen_at=now))
        db.session.commit()
    return rows


def unseen_nudges(user):
    return db.session.scalar(
        select(func.count()).select_from(CareNudge)
        .where(_received_by(user), CareNudge.seen_at.is_(None))
    )


def _received_by(user):
    """Nudges that reached the person: not dropped, and from no one they blocked."""
    return (
        (CareNudge.recipient_id == user.id)
        & (CareNudge.status != "dropped")
        & CareNudge.sender_id.not_in(_blocked_ids(user))
    )


def _blocked_ids(user):
    return select(CircleBlock.blocked_id).where(CircleBlock.user_id == user.id)


# Debrief requests --------------------------------------------------------------------------


def open_requests(circle, viewer, now):
    """The circle's open debrief requests (asked in the last day and not closed), newest
    first, without those of people the viewer blocked; each as (request, asker's name,
    its answers as [(answer, name)])."""
    requests = db.session.execute(
        select(DebriefRequest, CircleMember.name)
        .join(CircleMember, (CircleMember.circle_id == DebriefRequest.circle_id)
              & (CircleMember.user_id == DebriefRequest.asker_id))
        .where(
            DebriefRequest.circle_id == circle.id,
            DebriefRequest.closed_at.is_(None),
            DebriefRequest.created_at > now - REQUEST_LIFE,
            DebriefRequest.asker_id.not_in(_blocked_ids(viewer)),
        )
        .order_by(DebriefRequest.created_at.desc())
    ).all()
    return [(request, name, answers_to(request, viewer)) for request, name in requests]


def answers_to(request, viewer):
    """The answers to a request, as the viewer sees them (none from people they blocked),
    each with its member's name: times first, earliest first, then care."""
    return db.session.execute(
        select(DebriefAnswer, CircleMember.name)
        .join(CircleMember, (CircleMember.user_id == DebriefAnswer.user_id)
              & (CircleMember.circle_id == request.circle_id))
        .where(DebriefAnswer.request_id == request.id,
               DebriefAnswer.user_id.not_in(_blocked_ids(viewer)))
        .order_by(DebriefAnswer.talk_at.is_(None), DebriefAnswer.talk_at, DebriefAnswer.created_at)
    ).all()


def find_request(user, request_id, now):
    """An open request in one of the person's circles (theirs or another member's), or None."""
    request = db.session.get(DebriefRequest, request_id)
    if (
        request is None
        or request.closed_at is not None
        or request.created_at <= now - REQUEST_LIFE
        or membership(request.circle_id, user.id) is None
        or _blocks(user.id, request.asker_id)
    ):
        return None
    return request


def ask_for_debrief(user, circle, request_id, now):
    """Ask the circle; one open request per person and circle. The request, or Refused."""
    stored = db.session.get(DebriefRequest, request_id)
    if stored is not None:
        if stored.asker_id != user.id:
            raise Refused("id", "This request's id belongs to another; ask again.")
        return stored
    already = db.session.scalar(
        select(DebriefRequest.id).where(
            DebriefRequest.circle_id == circle.id, DebriefRequest.asker_id == user.id,
            DebriefRequest.closed_at.is_(None), DebriefRequest.created_at > now - REQUEST_LIFE,
        )
    )
    if already:
        raise Refused("request", ALREADY_ASKED)
    request = DebriefRequest(id=request_id, circle_id=circle.id, asker_id=user.id,
                             created_at=now)
    db.session.add(request)
    db.session.commit()
    return request


def answer(user, request, answer_id, talk_at, now):
    """A member's answer to another's request (a later answer replaces theirs): the answer."""
    if request.asker_id == user.id:
        raise Refused("request", "This is your own request; the others answer it.")
    stored = db.session.scalar(
        select(DebriefAnswer).where(
            DebriefAnswer.request_id == request.id, DebriefAnswer.user_id == user.id
        )
    )
    if stored is not None:
        if stored.id != answer_id:  # a change of mind (not a resend): the asker hears again
            stored.talk_at, stored.created_at, stored.status = talk_at, now, "pending"
        db.session.commit()
        return stored
    given = DebriefAnswer(id=answer_id, request_id=request.id, user_id=user.id,
                          talk_at=talk_at, created_at=now)
    db.session.add(given)
    db.session.commit()
    return given


def close_request(user, request, now):
    """The asker closes their request; False for anyone else."""
    if request.asker_id != user.id:
        return False
    request.closed_at = now
    db.session.commit()
    return True


# Pushes ------------------------------------------------------------------------------------


KINDS = {"nudge": CareNudge, "request": DebriefRequest, "answer": DebriefAnswer}
PUSH_LIFE = {"nudge": 86_400, "request": 6 * 3600, "answer": 6 * 3600}  # seconds


def push(kind, object_id, now, *, vapid, session, url, **_):
    """Push a stored nudge, request or answer to the devices of whom it is for, once:
    whichever worker claims it sends it, and a second claim finds nothing."""
    model = KINDS[kind]
    if not claim(model, object_id):
        return
    thing = db.session.get(model, object_id)
    people = recipients(model, thing, now)
    subscriptions = db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id.in_(people))
        .order_by(PushSubscription.id)
    ).all()
    if subscriptions:
        message = _message(kind, thing, url)
        results = send_each(subscriptions, message, PUSH_LIFE[kind], "normal",
                            vapid=vapid, session=session)
        record_deliveries(zip(subscriptions, results, strict=True))
    finish(model, object_id, "sent" if subscriptions else "kept")


def stalled(now):
    """(kind, id) of what was stored for a push over a minute ago and never taken (its
    task was lost), from the last day."""
    waiting = []
    for kind, model in KINDS.items():
        ids = db.session.scalars(
            select(model.id).where(
                model.status == "pending",
                model.created_at < now - timedelta(minutes=1),
                model.created_at > now - timedelta(days=1),
            )
        )
        waiting += [(kind, object_id) for object_id in ids]
    return waiting


def _message(kind, thing, url):
    name = sender_name(KINDS[kind], thing)
    if kind == "nudge":
        return Message(title=f"{name} sent you care", body=NUDGES[thing.message],
                       tag=f"tend-nudge-{thing.id}", url=urljoin(url, "circles/nudges"))
    if kind == "request":
        return Message(title=f"{name} asks: could someone debrief with me today?",
                       body="One tap answers, with a time or with care.",
                       tag=f"tend-debrief-{thing.id}",
                       url=urljoin(url, f"circles/{thing.circle_id}"))
    request = db.session.get(DebriefRequest, thing.request_id)
    body = (f"{name} can talk at {thing.talk_at:%-I:%M %p} (their time)." if thing.talk_at
            else f"{name} can't today, and is sending care.")
    return Message(title="An answer to your debrief request", body=body,
                   tag=f"tend-debrief-answer-{thing.id}",
                   url=urljoin(url, f"circles/{request.circle_id}"))


def claim(model, object_id):
    """Take a pending nudge, request or answer for its push: True for the one taker."""
    taken = db.session.execute(
        update(model).where(model.id == object_id, model.status == "pending")
        .values(status="sending")
    )
    db.session.commit()
    return taken.rowcount == 1


def recipients(model, thing, now):
    """Who a claimed nudge, request or answer goes to as a push: user ids, without those
    who blocked its sender, turned nudges off, or keep them quiet in their quiet hours."""
    if model is CareNudge:
        sender, people = thing.sender_id, [thing.recipient_id]
    elif model is DebriefRequest:
        sender = thing.asker_id
        people = db.session.scalars(
            select(CircleMember.user_id).where(
                CircleMember.circle_id == thing.circle_id, CircleMember.user_id != sender
            )
        ).all()
    else:
        sender = thing.user_id
        asker = db.session.scalar(
            select(DebriefRequest.asker_id).where(DebriefRequest.id == thing.request_id)
        )
        people = [asker] if asker is not None else []
    return [person for person in people
            if not _blocks(person, sender) and _lets_through(person, now)]


def _lets_through(user_id, now):
    settings = db.session.get(CircleSettings, user_id)
    setting = settings.nudges if settings else "on"
    if setting == "off":
        return False
    if setting == "quiet":
        reminder = db.session.get(ReminderSettings, user_id)
        if reminder is not None and None not in (reminder.quiet_start, reminder.quiet_end):
            user = db.session.get(User, user_id)
            plan = schedule.ReminderPlan(
                mode="fixed_times", timezone=user.timezone,
                quiet_start=reminder.quiet_start, quiet_end=reminder.quiet_end,
            )
            return not schedule.in_quiet_hours(plan, now)
    return True


def sender_name(model, thing):
    """The name the circle knows the sender of a nudge, request or answer by."""
    if model is DebriefAnswer:
        circle_id = db.session.scalar(
            select(DebriefRequest.circle_id).where(DebriefRequest.id == thing.request_id)
        )
        user_id = thing.user_id
    else:
        circle_id = thing.circle_id
        user_id = thing.sender_id if model is CareNudge else thing.asker_id
    member = membership(circle_id, user_id)
    return member.name if member else "Someone in your circle"


def finish(model, object_id, status):
    db.session.execute(update(model).where(model.id == object_id).values(status=status))
    db.session.commit()


# The person's own, for their export -----------------------------------------------------


def export_of(user):
    """What the person made in their circles: memberships (with the name they chose),
    the nudges they sent, the debrief requests they made and the answers they gave,
    how nudges reach them and whom they blocked. Nothing another person made."""
    names = {
        (member.circle_id, member.user_id): member.name
        for member in db.session.scalars(
            select(CircleMember).where(CircleMember.circle_id.in_(
                select(CircleMember.circle_id).where(CircleMember.user_id == user.id)
            ))
        )
    }
    circle_names = dict(db.session.execute(select(Circle.id, Circle.name)).all())
    memberships = db.session.scalars(
        select(CircleMember).where(CircleMember.user_id == user.id)
        .order_by(CircleMember.joined_at)
    )
    nudges = db.session.scalars(
        select(CareNudge).where(CareNudge.sender_id == user.id).order_by(CareNudge.created_at)
    )
    requests = db.session.scalars(
        select(DebriefRequest).where(DebriefRequest.asker_id == user.id)
        .order_by(DebriefRequest.created_at)
    )
    answers = db.session.execute(
        select(DebriefAnswer, DebriefRequest.circle_id)
        .join(DebriefRequest, DebriefRequest.id == DebriefAnswer.request_id)
        .where(DebriefAnswer.user_id == user.id).order_by(DebriefAnswer.created_at)
    )
    return {
        "memberships": [
            {"circle": circle_names.get(member.circle_id), "made_it":
             db.session.get(Circle, member.circle_id).created_by == user.id,
             "your_name": member.name, "joined_at": member.joined_at.isoformat()}
            for member in memberships
        ],
        "nudges_sent": [
            {"id": nudge.id, "circle": circle_names.get(nudge.circle_id),
             "to": names.get((nudge.circle_id, nudge.recipient_id)),
             "message": NUDGES[nudge.message], "sent_at": nudge.created_at.isoformat()}
            for nudge in nudges
        ],
        "debrief_requests": [
            {"id": request.id, "circle": circle_names.get(request.circle_id),
             "asked_at": request.created_at.isoformat(),
             "closed_at": request.closed_at and request.closed_at.isoformat()}
            for request in requests
        ],
        "debrief_answers": [
            {"id": given.id, "circle": circle_names.get(circle_id),
             "talk_at": given.talk_at and given.talk_at.strftime("%H:%M"),
             "answered_at": given.created_at.isoformat()}
            for given, circle_id in answers
        ],
        "nudges": nudge_setting(user),
        "blocked": [name for _, name in blocked_by(user)],
    }


# Sent from the phone's outbox (the sync API) -----------------------------------------------

# The kinds of circle message the sync API takes beside entries: what the phone keeps in
# its outbox when it is offline, to send when the connection lets it.
SENT_KINDS = ("care_nudge", "debrief_answer")
NO_SUCH_CIRCLE = {"circle": ["You are not in this circle any more, so it was not sent."]}
NO_SUCH_REQUEST = {"request": ["This request was closed or is no longer open, so the answer "
                               "was not sent."]}


def save_sent(user, kind, payload, now):
    """One nudge or debrief answer from the sync API: (status, errors), where status is
    "created" (stored for its push, or stored before: it arrives once) or "rejected".
    Returns the push to queue as a third item, or None."""
    # Here, not above: the schemas read this module's nudges and settings.
    from webapp.schemas.circles import SentAnswerSchema, SentNudgeSchema

    schema = SentNudgeSchema() if kind == "care_nudge" else SentAnswerSchema()
    try:
        data = schema.load(payload)
    except ValidationError as error:
        return "rejected", error.normalized_messages(), None
    try:
        if kind == "care_nudge":
            circle = find_circle(user, data["circle"])
            if circle is None:
                return "rejected", NO_SUCH_CIRCLE, None
            sent = send_nudge(user, circle, str(data["id"]), data["recipient"],
                              data["message"], now)
            return "created", {}, ("nudge", sent)
        request = find_request(user, str(data["request"]), now)
        if request is None:
            return "rejected", NO_SUCH_REQUEST, None
        given = answer(user, request, str(data["id"]),
                       None if data["not_today"] else data["talk_at"], now)
        return "created", {}, ("answer", given)
    except Refused as refused:
        return "rejected", refused.errors, None
