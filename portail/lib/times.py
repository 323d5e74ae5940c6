"""Times of day as arithmetic needs them."""

import datetime


def minutes(value: datetime.time) -> int:
    """Minutes since midnight (seconds ignored): 07:45 -> 465."""
    return value.hour * 60 + value.minute


def from_minutes(total: int) -> datetime.time:
    """The time of day `total` minutes after midnight: 465 -> 07:45."""
    return datetime.time(total // 60, total % 60)
