from django import template
from django.utils import timezone

from portail.lib import dates

register = template.Library()


@register.filter
def short_day(value):
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value).date()
    return dates.short_day(value)


@register.filter
def long_date(value):
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value).date()
    return dates.long_date(value)


@register.filter
def fr_plural(value, suffixes="s"):
    """French plural: 0 and 1 take the singular ("0 demande", "2 demandes").
    `suffixes` is "plural" or "singular,plural" like Django's pluralize."""
    singular, plural = suffixes.split(",") if "," in suffixes else ("", suffixes)
    try:
        return plural if abs(int(value)) > 1 else singular
    except (TypeError, ValueError):
        return singular
