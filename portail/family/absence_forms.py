"""The parameters of « Absences » (issue 17 point 5), one Form per endpoint.
Ids are re-derived from the family by the view (another family's: 404)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portail.dossier.models import AbsenceReason
from portail.lib.validators import validate_single_line
from portail.web.forms import DayField, IdField

SINGLE_LINE = _("Écrivez-la sur une ligne, sans caractère invisible.")


class AbsenceDaysForm(forms.Form):
    """The child and the days: which booked days the declaration covers."""

    enfant = IdField()
    du = DayField(_("Date de début"))
    au = DayField(_("Date de fin"))


class DeclareForm(AbsenceDaysForm):
    motif = forms.ChoiceField(
        label=_("Motif"), choices=AbsenceReason.choices,
        error_messages={"required": _("Choisissez le motif de l'absence."),
                        "invalid_choice": _("Choisissez le motif de l'absence.")},
    )  # fmt: skip
    precision = forms.CharField(
        label=_("Précision (facultatif)"), required=False, max_length=500, validators=[validate_single_line],
        error_messages={"max_length": _("Précision : 500 caractères au plus."),
                        "control_characters": SINGLE_LINE, "null_characters_not_allowed": SINGLE_LINE},
    )  # fmt: skip
    justificatif = forms.FileField(
        label=_("Certificat ou justificatif (facultatif : PDF, JPEG ou PNG)"), required=False,
        allow_empty_file=False,
        error_messages={"empty": _("Le fichier est vide."), "invalid": _("Le justificatif n'a pas pu être lu.")},
    )  # fmt: skip
