"""The fields every screen reads its request parameters with (issue 12, point 2).

One boundary for input: the family screens (portail.family.forms) and the staff
screens (portail.staff.forms) declare one Form per endpoint with these fields, so
a day, a month, a time or an id means the same thing, within the same ranges
(portail.lib.validators), everywhere. A view calls `read(FormClass, data)`:

- a malformed or out-of-range id raises Http404, exactly like an id of another
  family or structure (the ids are then scoped by the caller);
- any other bad value raises BadValue with a French message, rendered escaped
  (portail.web.errors.bad_request), never echoing the raw value.
"""

import datetime
import re

from django import forms
from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portail.lib.validators import FIRST_DATE, LAST_DATE, MAX_ID

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_MONTH = re.compile(r"\d{4}-\d{2}", re.ASCII)
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)", re.ASCII)
DIGITS = re.compile(r"\d{1,20}", re.ASCII)


class BadValue(ValueError):
    """A parameter a view refuses, with the French message to show."""


class IdField(forms.IntegerField):
    """A primary key: ASCII digits, 1..MAX_ID. A bad one is a 404 in `read`, like an
    id of another family or structure; a screen's filter (`label` given) is a 400
    that names it instead ("Activité invalide.")."""

    def __init__(self, label=None, **kwargs):
        self.is_id = label is None
        # Lazy: the label and the message are translated when shown, in the language of the request.
        message = format_lazy(_("{label} invalide."), label=label) if label else "invalid"
        super().__init__(
            label=label,
            min_value=1,
            max_value=MAX_ID,
            error_messages={"invalid": message, "min_value": message, "max_value": message, "required": message},
            **kwargs,
        )

    def to_python(self, value):
        # IntegerField alone would also take "1e3", "1.0" or Arabic-Indic digits.
        if value not in self.empty_values and not (isinstance(value, str) and DIGITS.fullmatch(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class DayField(forms.Field):
    """A day as YYYY-MM-DD within the product's window (2000–2100)."""

    def __init__(self, label=None, **kwargs):
        message = format_lazy(
            _("{label} invalide : indiquez un jour entre le {first} et le {last}."),
            label=_("Date") if label is None else label,
            first=f"{FIRST_DATE:%d/%m/%Y}",
            last=f"{LAST_DATE:%d/%m/%Y}",
        )
        super().__init__(label=label, error_messages={"required": message, "invalid": message}, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not FIRST_DATE <= day <= LAST_DATE:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return day


class MonthField(forms.Field):
    """A month as YYYY-MM within the window; cleaned to (year, month)."""

    default_error_messages = {
        "invalid": format_lazy(
            _("Mois invalide : choisissez un mois entre janvier {first} et décembre {last}."),
            first=FIRST_DATE.year,
            last=LAST_DATE.year,
        )
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (isinstance(value, str) and _MONTH.fullmatch(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month = int(value[:4]), int(value[5:])
        if not (FIRST_DATE.year <= year <= LAST_DATE.year and 1 <= month <= 12):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return year, month


class HourField(forms.Field):
    """A time as HH:MM (00:00–23:59), no seconds, no UTC offset: "2026-00" is no time.
    Whether it is on the activity's grid is the booking rules' decision
    (rules.check_times), which explains it in French."""

    def __init__(self, label, **kwargs):
        kwargs.setdefault("required", False)
        message = format_lazy(
            _("{label} invalide : indiquez une heure au format HH:MM, par exemple 08:30."), label=label
        )
        super().__init__(error_messages={"required": message, "invalid": message}, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        match = _TIME.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return datetime.time(int(match[1]), int(match[2]))


def read(form_class, data, **kwargs):
    """The cleaned values of `data` through `form_class`, or an exception:
    Http404 for a bad id, BadValue (a French message) for any other bad value."""
    form = form_class(data, **kwargs)
    if form.is_valid():
        return form.cleaned_data
    if any(getattr(form.fields[name], "is_id", False) for name in form.errors if name in form.fields):
        raise Http404
    raise BadValue(next(iter(form.errors.values()))[0])
