"""The one clock Tend reads, so that time can be reasoned about in one place."""
from datetime import UTC, datetime


def utcnow():
    """The current moment as an aware UTC datetime."""
    return datetime.now(UTC)
