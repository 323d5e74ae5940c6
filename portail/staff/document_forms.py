"""The parameters of « Documents à vérifier » and « Absences à examiner »
(issue 17 points 4 and 5), one Form per endpoint."""

from django import forms
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from portail.lib.validators import validate_single_line
from portail.staff.forms import PageField, SearchField
from portail.web.forms import DayField, IdField

VALIDATE, REFUSE = "valider", "refuser"
JUSTIFIED, NOT_JUSTIFIED = "justifiee", "non-justifiee"
SINGLE_LINE = _("Écrivez-le sur une ligne, sans caractère invisible.")


class ListForm(forms.Form):
    page = PageField()


NAME_MESSAGE = _("Nom ou référence : une ligne de 100 caractères au plus, sans caractère invisible.")


def query_string(cleaned: dict, names) -> str:
    """« type=3&famille=dupont& »: the filters in use, for the pagination's links
    (which add « page=N »); "" when none."""
    used = {name: cleaned[name] for name in names if cleaned.get(name) not in (None, "")}
    return urlencode(used) + "&" if used else ""


class DocumentListForm(ListForm):
    """« Documents à vérifier »: by type of document, by family name or reference."""

    type = IdField(_("Type de document"), required=False)
    famille = SearchField(_("Famille (nom ou référence)"), message=NAME_MESSAGE)


PENDING, ALL_STATES = "a_examiner", "toutes"
ABSENCE_STATES = [
    (PENDING, _("À examiner")),
    ("justifiee", _("Justifiées")),
    ("non_justifiee", _("Non justifiées")),
    (ALL_STATES, _("Toutes")),
]


class AbsenceListForm(ListForm):
    """« Absences à examiner »: by state, by child's or family's name."""

    etat = forms.ChoiceField(
        label=_("État"), required=False, choices=ABSENCE_STATES,
        error_messages={"invalid_choice": _("État inconnu : choisissez dans la liste.")},
    )  # fmt: skip
    nom = SearchField(_("Enfant ou famille (nom)"), message=NAME_MESSAGE)


UNSEEN, SEEN = "non_vues", "vues"
CHANGE_STATES = [(UNSEEN, _("Non vues")), (SEEN, _("Vues")), (ALL_STATES, _("Toutes"))]


class ChangeListForm(ListForm):
    """« Modifications des familles »: seen or not, by family name or reference."""

    etat = forms.ChoiceField(
        label=_("État"), required=False, choices=CHANGE_STATES,
        error_messages={"invalid_choice": _("État inconnu : choisissez dans la liste.")},
    )  # fmt: skip
    famille = SearchField(_("Famille (nom ou référence)"), message=NAME_MESSAGE)


class FileForm(forms.Form):
    """The document's file: downloaded (by default) or « Voir », shown in the browser."""

    voir = forms.ChoiceField(
        required=False, choices=[("1", _("Voir"))],
        error_messages={"invalid_choice": _("Affichage inconnu.")},
    )  # fmt: skip


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
