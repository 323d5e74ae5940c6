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
