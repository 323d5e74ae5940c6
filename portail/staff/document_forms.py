"""The parameters of « Documents à vérifier » and « Absences à examiner »
(issue 17 points 4 and 5), one Form per endpoint."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portail.lib.validators import validate_single_line
from portail.staff.forms import PageField
from portail.web.forms import DayField

VALIDATE, REFUSE = "valider", "refuser"
JUSTIFIED, NOT_JUSTIFIED = "justifiee", "non-justifiee"
SINGLE_LINE = _("Écrivez-le sur une ligne, sans caractère invisible.")


class ListForm(forms.Form):
    page = PageField()


class DocumentDecisionForm(forms.Form):
    """« Valider » (until a date, or without end; a CAF attestation with the
    quotient familial and its end date) or « Refuser » (with a reason)."""

    decision = forms.ChoiceField(
        choices=[(VALIDATE, _("Valider")), (REFUSE, _("Refuser"))],
        error_messages={"required": _("Choisissez : valider ou refuser."),
                        "invalid_choice": _("Choisissez : valider ou refuser.")},
    )  # fmt: skip
    valable_jusqu_au = DayField(_("Valable jusqu'au"), required=False)
    quotient = forms.IntegerField(
        label=_("Quotient familial"), required=False, min_value=0, max_value=100_000,
        error_messages={"invalid": _("Quotient familial : un nombre entier entre 0 et 100 000."),
                        "min_value": _("Quotient familial : un nombre entier entre 0 et 100 000."),
                        "max_value": _("Quotient familial : un nombre entier entre 0 et 100 000.")},
    )  # fmt: skip
    qf_jusqu_au = DayField(_("Quotient familial valable jusqu'au"), required=False)
    motif = forms.CharField(
        label=_("Motif du refus"), required=False, max_length=200, validators=[validate_single_line],
        error_messages={"max_length": _("Motif : 200 caractères au plus."),
                        "control_characters": SINGLE_LINE, "null_characters_not_allowed": SINGLE_LINE},
    )  # fmt: skip


class AbsenceDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(JUSTIFIED, _("Justifiée")), (NOT_JUSTIFIED, _("Non justifiée"))],
        error_messages={"required": _("Choisissez : justifiée ou non justifiée."),
                        "invalid_choice": _("Choisissez : justifiée ou non justifiée.")},
    )  # fmt: skip
    remarque = forms.CharField(
        label=_("Remarque pour la famille"), required=False, max_length=200, validators=[validate_single_line],
        error_messages={"max_length": _("Remarque : 200 caractères au plus."),
                        "control_characters": SINGLE_LINE, "null_characters_not_allowed": SINGLE_LINE},
    )  # fmt: skip
