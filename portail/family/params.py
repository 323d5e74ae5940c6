"""Scoping of the family screens' ids, and the parsing helpers other screens
still call: a malformed value is a clear French error, never a 500 and never
trusted beyond its type. The family views read their parameters through the
forms of portail.family.forms; these helpers use the same fields (same ranges)."""

from django import forms
from django.http import Http404

from portail.lib.validators import MAX_ID
from portail.web.forms import BadValue, DayField, HourField, MonthField

__all__ = ["BadValue", "own_activity", "own_child", "parse_date", "parse_int", "parse_month", "parse_time"]


def _clean(field, value):
    try:
        return field.clean(value)
    except forms.ValidationError as error:
        raise BadValue(error.messages[0]) from None


def parse_int(value, label):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadValue(f"{label} invalide.") from None


def parse_date(value, label="Date"):
    """YYYY-MM-DD between 2000-01-01 and 2100-12-31 (see forms.DayField)."""
    return _clean(DayField(label), value)


def parse_month(value):
    """'2026-12' -> (2026, 12), between 2000 and 2100 (see forms.MonthField)."""
    return _clean(MonthField(), value)


def parse_time(value, label):
    """HH:MM or None when empty; no seconds, no UTC offset (see forms.HourField)."""
    return _clean(HourField(label), value)


def _pk(value):
    """A primary key from a cleaned form (int) or a raw value; 404 if it cannot be one."""
    if isinstance(value, int) and not isinstance(value, bool):
        pk = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        pk = int(value)
    else:
        raise Http404
    if not 1 <= pk <= MAX_ID:
        raise Http404
    return pk


def own_child(family, value, *, among=None):
    """One of the family's children, or 404 (another family's id is not found).
    `among`: the family's children (from family.children) when the caller has them already."""
    pk = _pk(value)
    if among is not None:
        child = next((c for c in among if c.pk == pk), None)
    else:
        child = family.children.select_related("family").filter(pk=pk).first()
    if child is None:
        raise Http404
    return child


def own_activity(family, child, value, *, among=None):
    """An activity of the family's structure the child is enrolled in, or 404.
    `among`: the child's enrolled activities when the caller has them already."""
    pk = _pk(value)
    if among is not None:
        activity = next((a for a in among if a.pk == pk), None)
    else:
        activity = family.structure.activities.filter(pk=pk, enrolments__child=child).distinct().first()
    if activity is None:
        raise Http404
    return activity
