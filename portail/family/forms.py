"""The family screens' parameters, one Form per endpoint (issue 12, point 2).

Every value a family view reads from the query string or a posted form goes
through one of these forms, with explicit ranges: days and months within the
window the product supports (2000–2100), times as HH:MM (no seconds, no UTC
offset), ids as positive integers that fit the database column, choices from
fixed sets. A view only calls `read(FormClass, data)`:

- a malformed or out-of-range id raises Http404, like another family's id (the
  ids are then scoped to the family by params.own_child / own_activity);
- any other bad value raises BadValue with a French message, which the view
  renders with portail.web.errors.bad_request (escaped, never the raw value:
  a request's markup is never echoed back).

What the booking rules decide (the activity's period, its time grid, délais)
is still decided by portail.booking, which answers in French as well.
"""

import datetime
import re

from django import forms
from django.http import Http404

FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2100, 12, 31)
# Primary keys are BigAutoField (settings.DEFAULT_AUTO_FIELD): a signed 64-bit column.
MAX_ID = 2**63 - 1

_WINDOW = f"entre le {FIRST_DAY:%d/%m/%Y} et le {LAST_DAY:%d/%m/%Y}"
_MONTH = re.compile(r"\d{4}-\d{2}", re.ASCII)
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)", re.ASCII)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class BadValue(ValueError):
    """A parameter a view refuses, with the French message to show."""


class IdField(forms.IntegerField):
    """A primary key: a positive integer that fits the column (else 404 in `read`)."""

    is_id = True

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def to_python(self, value):
        # Digits only: IntegerField would also take "1e3", "1.0" or " ١٢ ".
        if value not in self.empty_values and not (isinstance(value, str) and value.isascii() and value.isdigit()):
            raise forms.ValidationError("invalid", code="invalid")
        return super().to_python(value)


class DayField(forms.Field):
    """A day as YYYY-MM-DD, between 2000-01-01 and 2100-12-31."""

    def __init__(self, label="Date", **kwargs):
        message = f"{label} invalide : indiquez un jour {_WINDOW}."
        super().__init__(error_messages={"required": message, "invalid": message}, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return day


class MonthField(forms.Field):
    """A month as YYYY-MM, between 2000-01 and 2100-12; cleaned to (year, month)."""

    default_error_messages = {
        "invalid": f"Mois invalide : choisissez un mois entre janvier {FIRST_DAY.year} et décembre {LAST_DAY.year}."
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (isinstance(value, str) and _MONTH.fullmatch(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month = int(value[:4]), int(value[5:])
        if not (FIRST_DAY.year <= year <= LAST_DAY.year and 1 <= month <= 12):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return year, month


class HourField(forms.Field):
    """A time as HH:MM (00:00–23:59), no seconds, no UTC offset: "2026-00" is no time.

    Whether it falls on the activity's grid is the booking rules' decision
    (rules.check_times), which explains it in French."""

    def __init__(self, label, **kwargs):
        kwargs.setdefault("required", False)
        message = f"{label} invalide : indiquez une heure au format HH:MM, par exemple 08:30."
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
    Http404 for a bad id, BadValue (French message) for any other bad value."""
    form = form_class(data, **kwargs)
    if form.is_valid():
        return form.cleaned_data
    if any(getattr(form.fields[name], "is_id", False) for name in form.errors if name in form.fields):
        raise Http404
    raise BadValue(next(iter(form.errors.values()))[0])


# --------------------------------------------------------------- one form per endpoint


class ReserveForm(forms.Form):
    enfant = IdField()
    activite = IdField()
    mois = MonthField(required=False)
    jour = DayField(required=False)


class ToggleDayForm(forms.Form):
    enfant = IdField(required=True)
    activite = IdField()
    activite_jour = IdField()
    mois = MonthField(required=False)
    date = DayField()
    arrivee = HourField("Heure d'arrivée")
    depart = HourField("Heure de départ")
    panneau = forms.BooleanField(required=False)
    cellule = forms.BooleanField(required=False)


TOOLS = ("semaine", "jour-semaine", "mois")


class ToggleSetForm(forms.Form):
    enfant = IdField(required=True)
    activite = IdField()
    mois = MonthField(required=False)
    outil = forms.ChoiceField(
        choices=[(t, t) for t in TOOLS],
        error_messages={"required": "Outil inconnu.", "invalid_choice": "Outil inconnu."},
    )
    debut = DayField("Semaine", required=False)
    jour_semaine = forms.TypedChoiceField(
        choices=[(str(n), str(n)) for n in range(7)],
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Jour de la semaine invalide."},
    )
    arrivee = HourField("Heure d'arrivée")
    depart = HourField("Heure de départ")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("activite") is None or data.get("mois") is None:
            raise forms.ValidationError("Choisissez une activité et un mois.")
        if data["outil"] == "semaine" and data.get("debut") is None:
            raise forms.ValidationError(self.fields["debut"].error_messages["invalid"])
        if data["outil"] == "jour-semaine" and data.get("jour_semaine") is None:
            raise forms.ValidationError("Jour de la semaine invalide.")
        return data


class DayPanelForm(forms.Form):
    enfant = IdField(required=True)
    date = DayField()


class DiscardForm(forms.Form):
    enfant = IdField()


class CopyTargetForm(forms.Form):
    """The calendar the copy tool was opened from (GET and POST)."""

    enfant = IdField(required=True)
    activite = IdField(required=True)
    mois = MonthField(required=False)


class CopySourceForm(forms.Form):
    """R6: what to copy; the period is bounded by the product's window."""

    source_enfant = IdField(required=True)
    source_activite = IdField(required=True)
    du = DayField("Date de début")
    au = DayField("Date de fin")


class ReservationsForm(forms.Form):
    """R12's filters: an id that is not one of the family's shows everything."""

    enfant = IdField()
    activite = IdField()
    mois = MonthField(required=False)
    imprimer = forms.BooleanField(required=False)


class CancelForm(forms.Form):
    reservation = IdField(required=True)


EXPORTS = ("csv", "xlsx")


class HistoryForm(forms.Form):
    mois = MonthField(required=False)
    format = forms.ChoiceField(
        choices=[("", "")] + [(e, e) for e in EXPORTS],
        required=False,
        error_messages={"invalid_choice": "Format d'export inconnu : choisissez CSV ou XLSX."},
    )


class SwitchStructureForm(forms.Form):
    family = IdField(required=True)
