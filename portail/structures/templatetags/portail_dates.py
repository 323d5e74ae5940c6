from django import template
from django.utils import timezone

from portail.lib import dates

# Dates in the active language (portail/lib/dates.py). Plurals are written with
# {% blocktranslate count %} (issue 13): the French rule comes from the catalogue.

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
