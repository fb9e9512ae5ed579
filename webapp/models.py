"""Database models."""
import secrets
from datetime import UTC, date, datetime, time

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from webapp.extensions import db
from webapp.services.clock import utcnow


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC, read back aware on every database.

    SQLite has no time zone type, so values are normalised to UTC on the way in and
    tagged as UTC on the way out; PostgreSQL gets a timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Refuse naive datetimes; store everything else in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_login_token():
    """A random value for the retired users.login_token column (see User)."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """A helping professional with an account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Retired: sign-ins are rows now (SignIn). Dropping the column would make SQLite
    # rebuild the users table, and its cascades would take every entry with it.
    login_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_login_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The number given to this user's latest change; see services.sync.
    change_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # Counts changes to this user's own practice list; see services.practices.
    practice_version: Mapped[int] = mapped_column(default=0, server_default="0")

    # The key of the sign-in this request came with (services.accounts), not a column.
    session_key = None

    def get_id(self):
        """Flask-Login keeps the sign-in's key, not the row id, in the session and the
        remember-me cookie: ending the sign-in on the server ends both."""
        return self.session_key


class SignIn(db.Model):
    """A device signed in to an account: the server's own record of each session, so
    that signing out, here or from another device, ends it for good. Only a digest of
    its key is kept; the key itself lives in the device's cookies."""

    __tablename__ = "sign_ins"
    __table_args__ = (Index("ix_sign_ins_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckIn(db.Model):
    """One check-in: the tank level and the optional after-session extras.

    The id, created_at and updated_at come from the client so that an entry made
    offline keeps its identity and its time when it reaches the server later. `seq`
    numbers the user's changes in the order the server stored them, so a device can ask
    for everything after the last change it saw.
    """

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_user_created", "user_id", "created_at"),
        Index("ix_checkins_user_seq", "user_id", "seq"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted: Mapped[bool] = mapped_column(default=False)
    tank: Mapped[int]
    work_share: Mapped[int | None]
    safety_session: Mapped[bool] = mapped_column(default=False)
    lean_personal: Mapped[int | None]
    lean_client: Mapped[int | None]
    lean_community: Mapped[int | None]
    practice: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(280))
    seq: Mapped[int] = mapped_column(default=0, server_default="0")


class Passkey(db.Model):
    """A passkey a person added to sign in with: the public half of a key pair their
    device keeps (WebAuthn). The server never sees the private half."""

    __tablename__ = "passkeys"
    __table_args__ = (Index("ix_passkeys_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    sign_count: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushSubscription(db.Model):
    """A device that receives reminders: the browser's push subscription, owned by a user.

    `last_used_at` is when the device last sent its subscription (the page re-sends it
    on every load); `last_status` and `last_attempt_at` describe the latest push to it,
    and `last_delivered_at` is when one last reached it.
    """

    __tablename__ = "push_subscriptions"
    __table_args__ = (Index("ix_push_subscriptions_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    label: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status: Mapped[str | None] = mapped_column(String(40))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RemovedDevice(db.Model):
    """A device its owner removed, perhaps from another phone. Its page will send the
    subscription again on its next load; the server then answers 410 instead of taking
    it back, until someone turns reminders on there again with a tap. Only a digest of
    the endpoint is kept: the endpoint itself is a capability to push to that device.
    """

    __tablename__ = "removed_devices"
    __table_args__ = (Index("ix_removed_devices_user", "user_id"),)

    endpoint_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderSettings(db.Model):
    """A person's reminder plan (see services.schedule.ReminderPlan) and what the
    dispatcher needs to know between runs: the next slot and the gentle back-off state.

    Lists (workdays, fixed times, practices) are stored as comma-separated text.
    """

    __tablename__ = "reminder_settings"
    __table_args__ = (Index("ix_reminder_settings_due", "enabled", "next_due_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=False)
    mode: Mapped[str] = mapped_column(String(20), default="between_sessions")
    workdays: Mapped[str] = mapped_column(String(20), default="0,1,2,3,4")
    first_session: Mapped[time | None] = mapped_column(Time)
    session_minutes: Mapped[int] = mapped_column(default=50)
    gap_minutes: Mapped[int] = mapped_column(default=10)
    last_session_end: Mapped[time | None] = mapped_column(Time)
    times: Mapped[str] = mapped_column(String(200), default="")
    end_of_day: Mapped[time | None] = mapped_column(Time)
    practices: Mapped[str] = mapped_column(String(400), default="")
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    daily_cap: Mapped[int | None]
    paused_until: Mapped[date | None] = mapped_column(Date)
    skip_if_checked_in_minutes: Mapped[int | None]
    # Between runs of the dispatcher.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_slot_key: Mapped[str | None] = mapped_column(String(80))
    sent_day: Mapped[date | None] = mapped_column(Date)
    sent_today: Mapped[int] = mapped_column(default=0)
    ignored_in_a_row: Mapped[int] = mapped_column(default=0)
    backoff_day: Mapped[date | None] = mapped_column(Date)
    backoff_told: Mapped[bool] = mapped_column(default=False)
    # Between sessions from the person's calendar (CalendarFeed), when it reads well.
    use_calendar: Mapped[bool] = mapped_column(default=False)


class CalendarFeed(db.Model):
    """Where a person's calendar comes from: a file they uploaded, or the secret address
    of its feed, which the worker fetches again (with its ETag and Last-Modified).

    Of the calendar itself only busy blocks and days off are kept (CalendarBlock,
    CalendarDayOff). `problem` is what went wrong with the last fetch, in words for the
    person, kept until a fetch goes well; meanwhile reminders follow the manual plan.
    """

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str | None] = mapped_column(String(2048))  # None: an uploaded file
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last good read
    tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    problem: Mapped[str | None] = mapped_column(String(200))


class CalendarBlock(db.Model):
    """A time the person's calendar says they are busy: its start and end, nothing else."""

    __tablename__ = "calendar_blocks"
    __table_args__ = (Index("ix_calendar_blocks_user", "user_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarDayOff(db.Model):
    """A local day the person's calendar says they are away (out of office)."""

    __tablename__ = "calendar_days_off"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class ReminderDelivery(db.Model):
    """One reminder slot for one person. The unique (user, slot) key is what makes a
    reminder go out exactly once, however many dispatchers run and however often."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (UniqueConstraint("user_id", "slot_key", name="uq_reminder_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slot_key: Mapped[str] = mapped_column(String(80))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    practice: Mapped[str | None] = mapped_column(String(40))
    slot_day: Mapped[date] = mapped_column(Date)  # the local day it was planned for
    slot_sequence: Mapped[int]  # its place in the plan (services.schedule.Slot.sequence)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    acted: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PracticeDone(db.Model):
    """A practice a person did (e.g. from a reminder's "Done"): an entry like a check-in,
    with a client-made id, so it can be made offline and synced exactly once."""

    __tablename__ = "practices_done"
    __table_args__ = (Index("ix_practices_done_user_seq", "user_id", "seq"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted: Mapped[bool] = mapped_column(default=False)
    practice: Mapped[str] = mapped_column(String(40))
    delivery: Mapped[int | None]
    seq: Mapped[int] = mapped_column(default=0, server_default="0")


# The care practice (reflect, supervision, breaks) ----------------------------------------


class Entry:
    """The columns every synced entry has (see CheckIn): a client-made id, the client's
    times, a tombstone flag, and the user's change number."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(default=0, server_default="0")

    @declared_attr.directive
    def __table_args__(cls):
        return (Index(f"ix_{cls.__tablename__}_user_seq", "user_id", "seq"),)


class Practice(db.Model):
    """One of a person's self-care practices: seeded on first use, then theirs to edit.

    `key` is what entries (a practice done, a check-in's next practice, a reminder)
    store: the seeded key, or one made for a practice the person added. Archived
    practices are hidden from choices but still name the entries that used them.
    """

    __tablename__ = "practices"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_practice_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    micro: Mapped[bool] = mapped_column(default=False)  # fits a 10-minute gap
    archived: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reflection(Entry, db.Model):
    """"Stuck with a case?": the problems named, whose each is, their currency and the
    cultures in play, and what the person will do next. Private to its author."""

    __tablename__ = "reflections"

    problems: Mapped[list] = mapped_column(JSON, default=list)
    next_step: Mapped[str | None] = mapped_column(String(280))


class ReframeMark(Entry, db.Model):
    """A reframe card the person found helpful, once; the most marked come first."""

    __tablename__ = "reframe_marks"

    card: Mapped[str] = mapped_column(String(40))


class SupervisionNote(Entry, db.Model):
    """A thought to bring to supervision, perhaps about one of the person's entries."""

    __tablename__ = "supervision_notes"

    text: Mapped[str] = mapped_column(String(500))
    about_kind: Mapped[str | None] = mapped_column(String(20))
    about_id: Mapped[str | None] = mapped_column(String(36))
    discussed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Break(Entry, db.Model):
    """A real break from work (leave, a holiday), from its first day to its last."""

    __tablename__ = "breaks"

    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(280))


class CareSettings(db.Model):
    """A person's settings for the care practice: the next supervision (and a reminder
    before it) and the support lines for their region."""

    __tablename__ = "care_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    supervision_on: Mapped[date | None] = mapped_column(Date)
    supervision_reminder: Mapped[bool] = mapped_column(default=False)
    support_region: Mapped[str | None] = mapped_column(String(8))
    support_lines: Mapped[list | None] = mapped_column(JSON)  # [{"name", "number", "note"}]


class Pulse(Entry, db.Model):
    """A weekly pulse (services.pulse): the answers to its statements, {key: 1..5}, for
    the local week starting on `week_start` (a Monday), and an optional note.

    The answers are one JSON object rather than a column per statement: the statements
    are data (services.pulse.STATEMENTS), checked by the schema, and an entry always
    carries its answers whole. Scoring reads every statement's key, so changing the
    statements means deciding what the pulses already stored count for.
    """

    __tablename__ = "pulses"

    week_start: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(280))


# The peer circle (services.circles) --------------------------------------------------------


class Circle(db.Model):
    """A small group of colleagues who send each other care. Only what is made for the
    circle is shared in it: who belongs, care nudges and debrief requests."""

    __tablename__ = "circles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    # Who may remove members; None once they have deleted their account.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CircleMember(db.Model):
    """A person in a circle, and the name the circle knows them by."""

    __tablename__ = "circle_members"
    __table_args__ = (Index("ix_circle_members_user", "user_id"),)

    circle_id: Mapped[int] = mapped_column(
        ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CircleInvitation(db.Model):
    """A one-time link into a circle. Only a digest of its secret is kept: the link is
    the capability, and a copy of the database must not hold working ones."""

    __tablename__ = "circle_invitations"
    __table_args__ = (Index("ix_circle_invitations_circle", "circle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CircleBlock(db.Model):
    """A person has blocked another: nothing from them reaches the blocker, anywhere."""

    __tablename__ = "circle_blocks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CareNudge(db.Model):
    """A pre-written message of care from one member to another. Its id is made where
    it was sent (the phone), so a nudge sent twice over a bad connection is stored once;
    `status` goes pending -> sent (pushed once) or kept (shown only in the list)."""

    __tablename__ = "care_nudges"
    __table_args__ = (
        Index("ix_care_nudges_recipient", "recipient_id", "created_at"),
        Index("ix_care_nudges_sender", "sender_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DebriefRequest(db.Model):
    """"Could someone debrief with me today?", asked of a circle until the asker closes it."""

    __tablename__ = "debrief_requests"
    __table_args__ = (Index("ix_debrief_requests_circle", "circle_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # its push


class DebriefAnswer(db.Model):
    """A member's one-tap answer to a debrief request: a time they can talk (as they
    wrote it, "14:30", in their own day), or care without a time. One per member."""

    __tablename__ = "debrief_answers"
    __table_args__ = (UniqueConstraint("request_id", "user_id", name="uq_debrief_answer"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("debrief_requests.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    talk_at: Mapped[time | None] = mapped_column(Time)  # None: "not today, sending care"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # its push


class CircleSettings(db.Model):
    """How circle messages reach a person: `nudges` is "on", "quiet" (no push in their
    quiet hours, only the list) or "off" (no nudges at all)."""

    __tablename__ = "circle_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    nudges: Mapped[str] = mapped_column(String(10), default="on")
