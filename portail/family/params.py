"""Parsing of the family screens' query and form values: a malformed value is
a clear French error, never a 500 and never trusted beyond its type."""

import datetime

from django.http import Http404


class BadValue(ValueError):
    pass


def parse_int(value, label):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadValue(f"{label} invalide.") from None


def parse_date(value, label="Date"):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadValue(f"{label} invalide : « {value or ''} ».") from None


def parse_month(value):
    """'2026-12' -> (2026, 12)."""
    try:
        year, month = (int(part) for part in value.split("-"))
        datetime.date(year, month, 1)
    except (AttributeError, TypeError, ValueError):
        raise BadValue(f"Mois invalide : « {value or ''} ».") from None
    return year, month


def parse_time(value, label):
    if value in (None, ""):
        return None
    try:
        return datetime.time.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadValue(f"{label} invalide : « {value} ».") from None


def own_child(family, value, *, among=None):
    """One of the family's children, or 404 (another family's id is not found).
    `among`: the family's children (from family.children) when the caller has them already."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
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
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if among is not None:
        activity = next((a for a in among if a.pk == pk), None)
    else:
        activity = family.structure.activities.filter(pk=pk, enrolments__child=child).distinct().first()
    if activity is None:
        raise Http404
    return activity
