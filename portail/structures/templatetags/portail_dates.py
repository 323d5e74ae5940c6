from django import template
from django.utils import timezone, translation

from portail.lib import dates, french

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


@register.filter(name="de")
def de_filter(value):
    """« de » or « d' » before a month, a first name or a common noun: {{ month|de }} is
    « d'octobre 2026 » (portail/lib/french.py). Never for a structure's or an activity's name.

    French only: in another language it is the bare value, which the translation
    places itself ("Attendance in %(de_month)s"). A {% blocktranslate %} gives its
    translation only the variables of the French msgid, so the translation cannot
    use a second, bare variable instead.
    """
    text = str(value)
    return french.de(text) if (translation.get_language() or "fr").startswith("fr") else text
