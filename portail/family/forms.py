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

from django import forms
from django.utils.translation import gettext_lazy as _

from portail.web.forms import BadValue, DayField, HourField, IdField, MonthField, read

__all__ = ["BadValue", "read"]  # the views import them from here with their forms


# --------------------------------------------------------------- one form per endpoint


class ReserveForm(forms.Form):
    enfant = IdField(required=False)
    activite = IdField(required=False)
    mois = MonthField(required=False)
    jour = DayField(required=False)


class ToggleDayForm(forms.Form):
    enfant = IdField()
    activite = IdField(required=False)
    activite_jour = IdField(required=False)
    mois = MonthField(required=False)
    date = DayField()
    arrivee = HourField(_("Heure d'arrivée"))
    depart = HourField(_("Heure de départ"))
    panneau = forms.BooleanField(required=False)
    cellule = forms.BooleanField(required=False)


TOOLS = ("semaine", "jour-semaine", "mois")


class ToggleSetForm(forms.Form):
    enfant = IdField()
    activite = IdField(required=False)
    mois = MonthField(required=False)
    outil = forms.ChoiceField(
        choices=[(t, t) for t in TOOLS],
        error_messages={"required": _("Outil inconnu."), "invalid_choice": _("Outil inconnu.")},
    )
    debut = DayField(_("Semaine"), required=False)
    jour_semaine = forms.TypedChoiceField(
        choices=[(str(n), str(n)) for n in range(7)],
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Jour de la semaine invalide.")},
    )
    arrivee = HourField(_("Heure d'arrivée"))
    depart = HourField(_("Heure de départ"))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("activite") is None or data.get("mois") is None:
            raise forms.ValidationError(_("Choisissez une activité et un mois."))
        if data["outil"] == "semaine" and data.get("debut") is None:
            raise forms.ValidationError(self.fields["debut"].error_messages["invalid"])
        if data["outil"] == "jour-semaine" and data.get("jour_semaine") is None:
            raise forms.ValidationError(_("Jour de la semaine invalide."))
        return data


class OpeningForm(forms.Form):
    """The calendar counting down to an opening (issue 14 point 2): which
    calendar, and how many activities it showed as not yet open."""

    enfant = IdField()
    activite = IdField(required=False)
    mois = MonthField()
    attente = forms.IntegerField(
        min_value=0,
        max_value=1000,
        error_messages={
            "required": _("Nombre d'activités invalide."),
            "invalid": _("Nombre d'activités invalide."),
            "min_value": _("Nombre d'activités invalide."),
            "max_value": _("Nombre d'activités invalide."),
        },
    )


class DayPanelForm(forms.Form):
    enfant = IdField()
    date = DayField()


class DiscardForm(forms.Form):
    enfant = IdField(required=False)


class CopyTargetForm(forms.Form):
    """The calendar the copy tool was opened from (GET and POST)."""

    enfant = IdField()
    activite = IdField()
    mois = MonthField(required=False)


class CopySourceForm(forms.Form):
    """R6: what to copy; the period is bounded by the product's window."""

    source_enfant = IdField()
    source_activite = IdField()
    du = DayField(_("Date de début"))
    au = DayField(_("Date de fin"))


class ReservationsForm(forms.Form):
    """R12's filters: an id that is not one of the family's shows everything."""

    enfant = IdField(required=False)
    activite = IdField(required=False)
    mois = MonthField(required=False)
    imprimer = forms.BooleanField(required=False)


class CancelForm(forms.Form):
    reservation = IdField()


EXPORTS = ("csv", "xlsx")


class HistoryForm(forms.Form):
    mois = MonthField(required=False)
    format = forms.ChoiceField(
        choices=[("", "")] + [(e, e) for e in EXPORTS],
        required=False,
        error_messages={"invalid_choice": _("Format d'export inconnu : choisissez CSV ou XLSX.")},
    )


class SwitchStructureForm(forms.Form):
    family = IdField()
