"""A person's own list of self-care practices: seeded, then theirs to add to, rename,
put in order and archive.

Entries (a practice done, a check-in's next practice, a reminder) store a practice's
`key`, never its name, so renaming changes every old entry's wording and archiving
keeps old entries named. Until a person first changes the list, it is the seeded one,
read from `checkins.PRACTICES` and not yet stored: reading never writes, and the first
change stores the seeds along with it.

Every change to the list also counts up the person's `practice_version`, so what is
drawn from the list can be kept and reused until it changes (the check-in card's parts).
"""
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import Practice, PracticeDone, User
from webapp.services.checkins import MICRO_PRACTICES, PRACTICES
from webapp.services.clock import utcnow

UP, DOWN = "up", "down"


class NameTaken(Exception):
    """Another of the person's active practices already has this name."""


@dataclass(frozen=True)
class Seed:
    """A practice of the list every person starts with, before they change the list."""

    key: str
    name: str
    micro: bool
    position: int
    archived: bool = False


# Made once: they are the same for everyone, and read on every page that lists them.
SEEDS = tuple(
    Seed(key, name, key in MICRO_PRACTICES, position)
    for position, (key, name) in enumerate(PRACTICES.items())
)


@dataclass(frozen=True)
class PracticeList:
    """A person's practices as every list shows them (the ones for a 10-minute gap
    first, then in the person's order), and what each key is called, archived ones too."""

    active: list
    archived: list
    names: dict


def practice_list(user=None):
    """The user's practices, from one query; the seeded list for nobody (the shell)."""
    stored = _stored(user) if user is not None else []
    ordered = sorted(stored or SEEDS, key=lambda each: (not each.micro, each.position))
    return PracticeList(
        active=[practice for practice in ordered if not practice.archived],
        archived=[practice for practice in ordered if practice.archived],
        names=PRACTICES | {practice.key: practice.name for practice in stored},
    )


def known_keys(user):
    """Every key the person's entries may name: the seeds and every practice they added."""
    added = db.session.scalars(select(Practice.key).where(Practice.user_id == user.id))
    return set(PRACTICES) | set(added)


def find_practice(user, key):
    """The person's practice with this key, stored so that it can change; None if they
    have no such practice (another person's keys do not exist here)."""
    _store_seeds(user)
    return db.session.scalar(
        select(Practice).where(Practice.user_id == user.id, Practice.key == key)
    )


def find_done(user, entry_id):
    """The user's practice done with this id (undone ones too), or None."""
    return db.session.scalar(
        select(PracticeDone).where(
            PracticeDone.id == str(entry_id), PracticeDone.user_id == user.id
        )
    )


def add_practice(user, name, micro):
    """Add a practice at the end of the person's list; NameTaken if the name is in use."""
    _store_seeds(user)
    _check_name_free(user.id, name)
    taken = known_keys(user)
    key = _new_key()
    while key in taken:
        key = _new_key()
    last = db.session.scalar(select(func.max(Practice.position)).where(Practice.user_id == user.id))
    practice = Practice(
        user_id=user.id, key=key, name=name, micro=micro, position=last + 1, created_at=utcnow()
    )
    db.session.add(practice)
    _count_change(user.id)
    db.session.commit()
    return practice


def change_practice(practice, name, micro):
    """Rename a practice, or say whether it fits a 10-minute gap; NameTaken if the new
    name is another active practice's."""
    _check_name_free(practice.user_id, name, practice.id)
    practice.name, practice.micro = name, micro
    _count_change(practice.user_id)
    db.session.commit()


def archive_practice(practice):
    """Hide a practice from every choice; entries that name it keep its name."""
    practice.archived = True
    _count_change(practice.user_id)
    db.session.commit()


def restore_practice(practice):
    """Bring an archived practice back; NameTaken if an active one took its name since."""
    _check_name_free(practice.user_id, practice.name, practice.id)
    practice.archived = False
    _count_change(practice.user_id)
    db.session.commit()


def move_practice(user, practice, direction):
    """Swap a practice with its neighbour (UP or DOWN) among the active practices of its
    group (for a 10-minute gap, or longer): the order the person sees them in."""
    group = [other for other in practice_list(user).active if other.micro == practice.micro]
    index = group.index(practice) + (-1 if direction == UP else 1)
    if 0 <= index < len(group):
        neighbour = group[index]
        practice.position, neighbour.position = neighbour.position, practice.position
        _count_change(user.id)
        db.session.commit()


def added_practice_names(pairs):
    """The names of practices people added, for (user id, key) pairs: {(user id, key): name}.

    Seeded keys are left out: their words are written for them (schedule.INVITATIONS).
    """
    wanted = {(user_id, key) for user_id, key in pairs if key and key not in PRACTICES}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Practice.user_id, Practice.key, Practice.name).where(
            Practice.user_id.in_({user_id for user_id, _ in wanted}),
            Practice.key.in_({key for _, key in wanted}),
        )
    )
    return {(user_id, key): name for user_id, key, name in rows if (user_id, key) in wanted}


def _stored(user):
    return db.session.scalars(
        select(Practice)
        .where(Practice.user_id == user.id)
        .order_by(Practice.position, Practice.id)
    ).all()


def _count_change(user_id):
    """Note a change to the person's list (see the module's docstring)."""
    db.session.execute(
        update(User).where(User.id == user_id).values(practice_version=User.practice_version + 1)
    )


def _store_seeds(user):
    """Store the seeded list before the person's first change to it.

    Inserted so that a second request doing the same at the same moment adds nothing
    (and fails on nothing) instead of seeding twice.
    """
    if db.session.scalar(select(func.count()).where(Practice.user_id == user.id)):
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    rows = [
        {"user_id": user.id, "key": seed.key, "name": seed.name, "micro": seed.micro,
         "archived": False, "position": seed.position, "created_at": now}
        for seed in SEEDS
    ]
    db.session.execute(
        insert(Practice).values(rows).on_conflict_do_nothing(index_elements=["user_id", "key"])
    )


def _check_name_free(user_id, name, except_id=None):
    """Raise NameTaken if another active practice of the user has this name, whatever
    its capitals."""
    query = select(Practice.id).where(
        Practice.user_id == user_id,
        Practice.archived.is_(False),
        func.lower(Practice.name) == name.lower(),
    )
    if except_id is not None:
        query = query.where(Practice.id != except_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise NameTaken(name)


def _new_key():
    """A key for an added practice that says nothing of its name (a name may be renamed
    away later; a key stays in every entry that used it)."""
    return f"own-{secrets.token_hex(4)}"
