"""Whether a family may book new days now (issues 16 and 17): the engine asks
the apps above it through `signals.family_booking_block` and never knows who
answers (an overdue invoice, a missing document…). Cancellations are never
blocked: only the demandes that would book a new day."""

from __future__ import annotations

from portail.booking import signals
from portail.structures.models import Family


def booking_blocks(family: Family) -> list[str]:
    """Every reason (French, for the parent) why `family` may not book new
    days now; empty when it may."""
    return [
        str(answer) for _receiver, answer in signals.family_booking_block.send(sender=Family, family=family) if answer
    ]


def booking_block(family: Family) -> str | None:
    """The reasons of booking_blocks as one message, or None."""
    reasons = booking_blocks(family)
    return " ".join(reasons) if reasons else None
