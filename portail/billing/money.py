"""The rounding rules of money, in one place (issue 16 point 6).

Amounts are integer cents. A percentage of an amount is rounded to the nearest
cent, halves away from zero (the usual commercial rule: 0,5 c → 1 c), computed
with Decimal, never with floats.
"""

from decimal import ROUND_HALF_UP, Decimal


def percent_of(cents: int, percent: int | Decimal) -> int:
    """`percent` % of `cents`, rounded to the cent (halves away from zero)."""
    value = Decimal(cents) * Decimal(percent) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def euros(cents: int) -> str:
    """23,40 € — the French way (a narrow no-break space between thousands)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d}\u00a0€"


def cents_from_euros(text: str) -> int:
    """'23,40' / '23.4' / '23' → 2340. Raises ValueError on anything else
    (forms validate first, with a French message)."""
    value = Decimal(text.strip().replace("\u00a0", "").replace(" ", "").replace(",", "."))
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(value * 100)
