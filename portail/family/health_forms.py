"""The family's forms of the health sheet and of the people allowed to collect
a child (issue 17 points 2 and 3). Every value has its range: texts of a
bounded length without control characters (the models' validators), a phone
number of digits, a date within the product's window and not in the future."""

import re

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portail.dossier.models import AuthorisedPerson, HealthSheet
from portail.family.dossier_forms import NormalisedTextareas
from portail.web.forms import DayField

# Long enough for a real list of allergies or a note, short enough to stay a note.
MAX_NOTE = 2000
# « 06 12 34 56 78 », « +33 6 12 34 56 78 », « 01.23.45.67.89 »: digits and their usual separators.
PHONE = re.compile(r"\+?[0-9][0-9 .\-()]{5,28}", re.ASCII)
PHONE_MESSAGE = _("Indiquez un numéro de téléphone (chiffres, espaces, points ou tirets), par exemple 06 12 34 56 78.")

# The values are the model's (True/False/None) as text, so the sheet's value shows selected.
YES_NO_UNKNOWN = [("", _("Je ne sais pas")), ("True", _("Oui")), ("False", _("Non"))]


def clean_phone(value, *, required):
    value = " ".join((value or "").split())
    if not value:
        if required:
            raise forms.ValidationError(_("Indiquez un numéro de téléphone."))
        return ""
    digits = sum(c.isdigit() for c in value)
    if not PHONE.fullmatch(value) or not 6 <= digits <= 15:
        raise forms.ValidationError(PHONE_MESSAGE)
    return value


class HealthSheetForm(NormalisedTextareas, forms.ModelForm):
    """The fiche sanitaire. A food allergy ticked needs its description (what
    the kitchen must avoid is then on the sheet, while the kitchen itself sees
    only the mark)."""

    vaccinations_up_to_date = forms.TypedChoiceField(
        label=_("Vaccinations à jour"),
        choices=YES_NO_UNKNOWN,
        required=False,
        coerce=lambda value: value == "True",
        empty_value=None,
    )
    vaccinations_date = DayField(
        _("Date du dernier rappel"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    class Meta:
        model = HealthSheet
        fields = [
            "has_food_allergy", "allergies", "diet", "has_pai", "doctor_name", "doctor_phone",
            "vaccinations_up_to_date", "vaccinations_date", "notes",
        ]  # fmt: skip
        labels = {
            "has_food_allergy": _("Mon enfant a une allergie alimentaire"),
            "allergies": _("Allergies (alimentaires ou autres) et conduite à tenir"),
            "diet": _("Régime alimentaire"),
            "has_pai": _("Mon enfant a un PAI (projet d'accueil individualisé)"),
            "doctor_name": _("Médecin traitant"),
            "doctor_phone": _("Téléphone du médecin"),
            "notes": _("À savoir"),
        }
        help_texts = {
            "allergies": _(
                "Visible seulement par le personnel de la structure. La cuisine ne voit que la mention « allergie »."
            ),
            "notes": _("Ce que l'équipe doit savoir : lunettes, appareil dentaire, peur de l'eau…"),
        }
        widgets = {
            "allergies": forms.Textarea(attrs={"rows": 3, "maxlength": MAX_NOTE}),
            "notes": forms.Textarea(attrs={"rows": 3, "maxlength": MAX_NOTE}),
            "doctor_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    field_order = [
        "has_food_allergy", "allergies", "diet", "has_pai", "doctor_name", "doctor_phone",
        "vaccinations_up_to_date", "vaccinations_date", "notes",
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("allergies", "notes"):
            self.fields[name].max_length = MAX_NOTE
            self.fields[name].validators.append(MaxLengthValidator(MAX_NOTE))

    def clean_doctor_phone(self):
        return clean_phone(self.cleaned_data.get("doctor_phone"), required=False)

    def clean_vaccinations_date(self):
        day = self.cleaned_data.get("vaccinations_date")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("La date du dernier rappel ne peut pas être dans le futur."))
        return day

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("has_food_allergy") and not (cleaned.get("allergies") or "").strip():
            self.add_error("allergies", _("Précisez l'allergie alimentaire : à quoi, et que faire en cas de contact."))
        return cleaned


class AuthorisedPersonForm(NormalisedTextareas, forms.ModelForm):
    """A person allowed to collect the child and/or to call in an emergency."""

    class Meta:
        model = AuthorisedPerson
        fields = ["name", "relationship", "phone", "can_pick_up", "emergency_contact"]
        labels = {
            "name": _("Nom et prénom"),
            "relationship": _("Lien avec l'enfant"),
            "phone": _("Téléphone"),
            "can_pick_up": _("Peut venir chercher l'enfant"),
            "emergency_contact": _("À appeler en cas d'urgence"),
        }
        help_texts = {"relationship": _("Par exemple : grand-mère, voisin, nourrice.")}
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})}

    def clean_phone(self):
        return clean_phone(self.cleaned_data.get("phone"), required=True)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("can_pick_up") and not cleaned.get("emergency_contact"):
            raise forms.ValidationError(
                _("Cochez au moins une case : peut venir chercher l'enfant, ou à appeler en cas d'urgence.")
            )
        return cleaned
