"""Reframe cards: other ways to see a hard moment with a client, grouped by situation.

The cards are data, not rows: everyone gets the same set, and what is personal is which
ones helped (ReframeMark entries, see services/reflect.py).
"""
from dataclasses import dataclass

# The moments a card is for, in the order the filter shows them.
SITUATIONS = {
    "frustrated": "Frustrated with a client's choice",
    "relapse": "After a relapse",
    "fix": "Feeling I must fix everything",
    "carrying": "Doing more of the work than the client",
    "safety": "After a safety session",
    "alone": "Alone with a case",
}


@dataclass(frozen=True)
class Reframe:
    """One card: a title, a few sentences to read, and one small thing to try."""

    key: str
    situation: str
    title: str
    body: str
    try_this: str


REFRAMES = (
    Reframe(
        "their-road", "frustrated", "Their road, their pace",
        "You can want the very best for someone and still leave the steering wheel in "
        "their hands. Caring a lot and letting go of the outcome are not opposites: "
        "together they are what lets you stay in this work.",
        "Say to yourself: I care, and this choice is theirs.",
    ),
    Reframe(
        "person-not-behaviour", "frustrated", "The person, not the behaviour",
        "Accepting someone is not the same as approving of what they did. Try a second "
        "description of the same behaviour: \"demanding\" may be someone fighting for "
        "what they need; \"won't engage\" may be someone keeping themselves safe.",
        "Find one kinder word for the behaviour that got to you.",
    ),
    Reframe(
        "it-made-sense", "frustrated", "It made sense to them",
        "A choice that looks self-defeating from your chair usually solves some problem "
        "from theirs. Being curious about what it protects them from will take you "
        "further than being annoyed that they made it.",
        "Ask yourself: what might this choice be doing for them right now?",
    ),
    Reframe(
        "part-of-the-path", "relapse", "Going back is part of the path",
        "Change rarely runs in a straight line. Slipping back is common, and it does not "
        "wipe out what was learned on the way. Feeling let down is natural: it shows how "
        "much you hoped for them, not that you or they failed.",
        "Name one thing they can do now that they couldn't do at the start.",
    ),
    Reframe(
        "alive-for-later", "relapse", "Safe for now, ready later",
        "Today your job may not be to get them all the way there. It may be to help keep "
        "them as safe and well as possible, so that when they are ready to try again, "
        "they still can.",
        "Write down one way today's contact made them a little safer.",
    ),
    Reframe(
        "cant-fix-everything", "fix", "I can't fix everything",
        "Much of what hurts the people you work with is out of your reach: their history, "
        "the systems around them, money, other people. Trying to carry all of it will "
        "empty you, and an empty helper helps no one. Step back and find the part that "
        "is yours.",
        "Take three slow breaths, then name the one part that is yours.",
    ),
    Reframe(
        "small-steps", "fix", "Small steps count",
        "Turning up, keeping an appointment, a bit less risk than last week: these are "
        "real steps. Noticing them out loud, with the person, often matters more than the "
        "big change you were hoping to see.",
        "Notice one small step this client took, and tell them next time.",
    ),
    Reframe(
        "leave-their-share", "carrying", "Leave them their share",
        "When you do most of the work in the room, the client loses the chance to find "
        "their own way, and you carry a weight that was never yours. A little less from "
        "you can leave more room for them.",
        "Next session, wait a breath longer before you offer an answer.",
    ),
    Reframe(
        "whose-plan", "carrying", "Whose plan is this?",
        "If the homework keeps not happening, the plan may be more yours than theirs. "
        "Going back to what they want, in their own words, can restart things without "
        "anyone being at fault.",
        "Bring their goals back next time and ask which still fit.",
    ),
    Reframe(
        "more-was-right", "safety", "Doing more was right today",
        "When someone's safety is at stake, carrying more than your usual share is the "
        "job, not a boundary slipping. It is also heavy, and it deserves care afterwards: "
        "a debrief, not an afterthought.",
        "Tell a colleague or your supervisor what happened, today if you can.",
    ),
    Reframe(
        "after-the-storm", "safety", "After the storm",
        "Your body may still be on alert after a crisis, long after the room has gone "
        "quiet. That is normal. Give it a clear signal that this part is over before the "
        "next person comes in.",
        "One minute: a glass of water, a stretch, both feet on the floor.",
    ),
    Reframe(
        "not-about-me", "alone", "It isn't about me",
        "The client does not need you to be everything. Someone else may hold the piece "
        "you can't: a doctor, a case manager, a peer worker, someone in their family they "
        "trust. Good care is often shared care.",
        "List the others around this client. Who could carry part of this?",
    ),
    Reframe(
        "bring-it-in", "alone", "Bring it to someone",
        "Carrying a case on your own is how helpers wear out. Supervision, a peer "
        "consultation or a trusted colleague can see what is hard to see from inside it.",
        "Mark this for supervision, or ask a colleague for ten minutes.",
    ),
)

CARDS = {card.key: card for card in REFRAMES}
