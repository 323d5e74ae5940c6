"""The staff screens' parameters, one Form per endpoint (issue 12, point 2).

Every value a staff view reads from the query string or a posted form goes
through one of these forms, with explicit ranges: days and months within the
window the product supports (portail.lib.validators: 2000–2100), times as
HH:MM, places between 0 and 10,000, reasons as one line of at most 200
characters (the column that keeps them), ids as positive integers that fit the
column. A view calls `read(FormClass, data)`:

- a malformed id raises Http404, like an id of another structure (ids are then
  scoped to the staff member's structures by access.scoped);
- any other bad value raises BadValue with a French message, shown by
  access.staff_required in the page (or as the htmx call's answer), escaped,
  and nothing is changed.
"""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portail.booking.staff_actions import REASON_REQUIRED
from portail.lib.validators import MAX_ID, MAX_PLACES, validate_single_line
from portail.notifications.models import EmailStatus
from portail.web.forms import DIGITS, BadValue, DayField, HourField, IdField, MonthField, read

__all__ = ["BadValue", "read"]  # the views import them from here with their forms

# Booking.reason, Movement.reason and BookingAudit.note hold 200 characters.
REASON_MAX_LENGTH = 200


class PlacesField(forms.IntegerField):
    """A number of places, 0..10,000; empty means the activity's default (None)."""

    def __init__(self, label, **kwargs):
        # Lazy: the form classes are built at import, the message is shown in the request's language.
        message = format_lazy(
            _("{label} : indiquez un nombre entier entre 0 et {maximum}."),
            label=label,
            maximum=f"{MAX_PLACES:,}".replace(",", "\u202f"),
        )
        kwargs.setdefault("required", False)
        super().__init__(
            min_value=0,
            max_value=MAX_PLACES,
            error_messages={"invalid": message, "min_value": message, "max_value": message},
            **kwargs,
        )

    def to_python(self, value):
        if value not in self.empty_values and not (isinstance(value, str) and DIGITS.fullmatch(value.strip())):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class ReasonField(forms.CharField):
    """The reason ("motif") a staff action records: required (every staff
    action is audited with its reason, booking.staff_actions), one line, 200
    characters at most. Blank or spaces only is refused before anything changes."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=REASON_MAX_LENGTH,
            validators=[validate_single_line],
            error_messages={
                "required": REASON_REQUIRED,
                "max_length": format_lazy(
                    _("Motif trop long : {maximum} caractères au plus."), maximum=REASON_MAX_LENGTH
                ),
                # Codes of the validators: Field.run_validators uses these messages.
                "null_characters_not_allowed": _(
                    "Motif invalide : écrivez-le sur une ligne, sans caractère invisible."
                ),
                "control_characters": _("Motif invalide : écrivez-le sur une ligne, sans caractère invisible."),
            },
            **kwargs,
        )


class PageField(forms.IntegerField):
    """A page of a paginated list (the Paginator shows the last one when beyond)."""

    def __init__(self, **kwargs):
        message = _("Numéro de page invalide.")
        super().__init__(
            required=False,
            min_value=1,
            max_value=MAX_ID,
            error_messages={"invalid": message, "min_value": message, "max_value": message},
            **kwargs,
        )

    def to_python(self, value):
        if value not in self.empty_values and not (isinstance(value, str) and DIGITS.fullmatch(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


# --------------------------------------------------------------- one form per endpoint


class _ViewMixin(forms.Form):
    # The planning the action was sent from (all activities, or the one shown):
    # only used to come back to it, so a bad value is dropped, never refused.
    vue = forms.CharField(required=False, max_length=40)

    def clean_vue(self):
        value = self.cleaned_data["vue"]
        return int(value) if DIGITS.fullmatch(value or "") and 0 < int(value) <= MAX_ID else None


class DayActivityForm(forms.Form):
    """The planning, the attendance sheet and the roll call: a day, an optional activity."""

    date = DayField(required=False)
    activite = IdField(_("Activité"), required=False)


class SheetForm(DayActivityForm):
    format = forms.ChoiceField(
        choices=[("", "page"), ("pdf", "PDF")], required=False, error_messages={"invalid_choice": _("Format inconnu.")}
    )


class WeekForm(forms.Form):
    semaine = DayField(_("Semaine"), required=False)


class FillRatesForm(forms.Form):
    activite = IdField(_("Activité"), required=False)
    mois = MonthField(required=False)
    format = forms.ChoiceField(
        choices=[("", "page"), ("csv", "CSV")], required=False, error_messages={"invalid_choice": _("Format inconnu.")}
    )


class PageForm(forms.Form):
    page = PageField()


class DayAuditForm(forms.Form):
    """The history of an activity's day (capacity changes, closure, bookings)."""

    activite = IdField()
    date = DayField()


class BookForm(_ViewMixin):
    activite = IdField()
    date = DayField()
    enfant = IdField()
    arrivee = HourField(_("Heure d'arrivée"))
    depart = HourField(_("Heure de départ"))
    motif = ReasonField()


class BookingActionForm(_ViewMixin):
    """Cancel a booking, or give a waitlisted child a place."""

    reservation = IdField()
    motif = ReasonField()


class OpeningActionForm(_ViewMixin):
    activite = IdField()
    date = DayField()
    motif = ReasonField()


class CapacityForm(OpeningActionForm):
    places = PlacesField(_("Places"))
    places_attente = PlacesField(_("Places en liste d'attente"))


class CloseForm(OpeningActionForm):
    confirmation = forms.CharField(required=False, max_length=10)


class MarkForm(forms.Form):
    activite = IdField()
    date = DayField()
    enfant = IdField()
    presence = forms.ChoiceField(
        choices=[("present", _("Présent")), ("absent", _("Absent"))],
        error_messages={
            "required": _("Indiquez « Présent » ou « Absent »."),
            "invalid_choice": _("Indiquez « Présent » ou « Absent »."),
        },
    )
    arrivee = HourField(_("Heure d'arrivée"))
    depart = HourField(_("Heure de départ"))


class RunsForm(forms.Form):
    structure = IdField(_("Structure"), required=False)
    page = PageField()


class StartRunForm(forms.Form):
    structure = IdField()


class ResendForm(forms.Form):
    """The outbox's filter to come back to after "Renvoyer"."""

    etat = forms.ChoiceField(
        choices=[("", _("tous")), *EmailStatus.choices],
        required=False,
        error_messages={"invalid_choice": _("État d'e-mail inconnu.")},
    )
    # "oui" once staff saw when it was sent (issue 18 point 8); without it, the confirmation page.
    confirmation = forms.ChoiceField(
        choices=[("", "-"), ("oui", "oui")], required=False, error_messages={"invalid_choice": _("Réponse inconnue.")}
    )


# ---------------------------------------------------------------- CAF figures (issue 18 point 10)

# The longest period one CAF report covers: a year, a leap one included.
CAF_MAX_PERIOD_DAYS = 366  # a period of the CAF figures and of the régie's exports: a year at most


class PeriodForm(forms.Form):
    """A structure (scoped by the view), a period of at most a year — both days
    or neither —, a file format (empty: the page). What "neither" means is the
    subclass's `default_period` (None, None: the view decides)."""

    structure = IdField(_("Structure"), required=False)
    du = DayField(_("Début de la période"), required=False)
    au = DayField(_("Fin de la période"), required=False)
    format = forms.ChoiceField(
        choices=[("", "page"), ("csv", "CSV"), ("xlsx", "XLSX")],
        required=False,
        error_messages={"invalid_choice": _("Format inconnu.")},
    )

    def default_period(self):
        return None, None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start, end = cleaned.get("du"), cleaned.get("au")
        if (start is None) != (end is None):
            raise forms.ValidationError(_("Indiquez le début et la fin de la période, ou ni l'un ni l'autre."))
        if start is None:
            start, end = self.default_period()
        if start is not None and end < start:
            raise forms.ValidationError(_("La fin de la période doit suivre son début."))
        if start is not None and (end - start).days + 1 > CAF_MAX_PERIOD_DAYS:
            raise forms.ValidationError(
                format_lazy(_("Période trop longue : {maximum} jours au plus."), maximum=CAF_MAX_PERIOD_DAYS)
            )
        cleaned["du"], cleaned["au"] = start, end
        return cleaned


class CafForm(PeriodForm):
    """The CAF figures: neither day is the current month (the view's default)."""


# ---------------------------------------------------------------- roll call of the real morning (issue 18 point 5)

# Age bands of the roll call's filter and of the kitchen's counts (the CAF's: under 6 / 6 and over).
AGE_BANDS = [("moins6", _("Moins de 6 ans")), ("6plus", _("6 ans et plus"))]


class _RollCallFilterMixin(forms.Form):
    """What a roll call screen carries from one tap to the next: the confirmation
    of a day before yesterday, and the filters by class and age band."""

    confirmer = forms.ChoiceField(
        choices=[("", "non"), ("1", "oui")],
        required=False,
        error_messages={"invalid_choice": _("Confirmation invalide : repartez de la page du pointage.")},
    )
    classe = forms.CharField(
        required=False,
        max_length=50,  # Child.school_class
        validators=[validate_single_line],
        error_messages={
            "max_length": _("Classe invalide : 50 caractères au plus."),
            "null_characters_not_allowed": _("Classe invalide : une ligne, sans caractère invisible."),
            "control_characters": _("Classe invalide : une ligne, sans caractère invisible."),
        },
    )
    age = forms.ChoiceField(
        choices=[("", _("tous les âges")), *AGE_BANDS],
        required=False,
        error_messages={"invalid_choice": _("Tranche d'âge inconnue.")},
    )
    # One of the activity's age groups (issue 18 point 9), when it has some.
    groupe = IdField(_("Groupe d'âge"), required=False)


class SearchField(forms.CharField):
    """A screen's search box (a family's name or reference, an invoice's
    number): one line, 100 characters at most, empty allowed. `message`, when
    given, says every refusal (a filter naming what it searches)."""

    MAX_LENGTH = 100

    def __init__(self, label=None, *, message=None, **kwargs):
        invalid = message or _("Recherche invalide : écrivez-la sur une ligne, sans caractère invisible.")
        too_long = message or format_lazy(
            _("Recherche trop longue : {maximum} caractères au plus."), maximum=self.MAX_LENGTH
        )
        super().__init__(
            label=label,
            required=False,
            max_length=self.MAX_LENGTH,
            validators=[validate_single_line],
            error_messages={
                "max_length": too_long,
                "control_characters": invalid,
                "null_characters_not_allowed": invalid,
            },
            **kwargs,
        )


class RollCallForm(_RollCallFilterMixin, DayActivityForm):
    recherche = forms.CharField(
        required=False,
        max_length=100,
        validators=[validate_single_line],
        error_messages={
            "max_length": _("Recherche trop longue : 100 caractères au plus."),
            "null_characters_not_allowed": _("Recherche invalide : une ligne, sans caractère invisible."),
            "control_characters": _("Recherche invalide : une ligne, sans caractère invisible."),
        },
    )


class RollCallMarkForm(_RollCallFilterMixin, MarkForm):
    """One tap (MarkForm) and the screen's filters, to send back its counts."""


class AllPresentForm(_RollCallFilterMixin, forms.Form):
    activite = IdField()
    date = DayField()


class KitchenForm(WeekForm):
    format = forms.ChoiceField(
        choices=[("", "page"), ("pdf", "PDF")], required=False, error_messages={"invalid_choice": _("Format inconnu.")}
    )


# ------------------------------------------- freed places, places lowered, a day closed (issue 18 points 3 and 4)

# More ids than this in one list is no clerk's form: refused like a bad id.
MAX_IDS_IN_LIST = 1000


class IdListField(forms.Field):
    """Several primary keys sent under one name (ticked boxes): each as IdField
    (ASCII digits, 1..MAX_ID), duplicates dropped, in the order sent; empty
    list when none. A bad one is a 404 in `read`, like a bad id."""

    widget = forms.MultipleHiddenInput  # reads every value of the name (QueryDict.getlist)

    def __init__(self, **kwargs):
        self.is_id = True
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return []
        if not isinstance(value, (list, tuple)) or len(value) > MAX_IDS_IN_LIST:
            raise forms.ValidationError("invalid", code="invalid")
        ids = []
        for item in value:
            if not (isinstance(item, str) and DIGITS.fullmatch(item) and 1 <= int(item) <= MAX_ID):
                raise forms.ValidationError("invalid", code="invalid")
            if int(item) not in ids:
                ids.append(int(item))
        return ids


class PlacesForm(CapacityForm):
    """The day's places, and who goes to the waiting list when they are
    lowered below the children booked (booking.staff_actions.change_places)."""

    liste_attente = IdListField()


class DayClosureForm(forms.Form):
    """« Fermer une journée »: a day, a structure (when the staff member has several)."""

    date = DayField(required=False)
    structure = IdField(_("Structure"), required=False)


class DayClosePostForm(forms.Form):
    """The activities ticked, and « Aperçu » (the preview again, nothing
    changed) or « Fermer la journée » (the reason then required, by the engine)."""

    date = DayField()
    structure = IdField()
    activite = IdListField()
    motif = ReasonField(required=False)
    confirmation = forms.CharField(required=False, max_length=10)
    action = forms.ChoiceField(
        choices=[("apercu", "apercu"), ("fermer", "fermer")],
        error_messages={"required": _("Action inconnue."), "invalid_choice": _("Action inconnue.")},
    )


class CallListForm(forms.Form):
    """The families to call about a closed day: those without an e-mail address."""

    date = DayField()
    structure = IdField()
