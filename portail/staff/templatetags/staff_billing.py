"""Money and invoice days on the « Facturation » screens (issue 16 point 2)."""

import datetime

from django import template

from portail.billing.money import euros as format_euros
from portail.lib.dates import short_day

register = template.Library()


@register.filter
def euros(cents):
    """1234 -> « 12,34 € » (billing.money: the one way money is written)."""
    return "" if cents is None else format_euros(cents)


@register.filter
def short_days(days):
    """An invoice line's days (dates, or ISO strings as stored) -> « lun. 02/11, mar. 03/11 »."""
    out = []
    for day in days or []:
        if not isinstance(day, datetime.date):
            try:
                day = datetime.date.fromisoformat(str(day))
            except ValueError:
                continue
        out.append(short_day(day))
    return ", ".join(out)
