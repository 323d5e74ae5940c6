"""The forms of « Mon dossier » (issue 17 point 1): what a family may change
in its file. Names and birth dates of the children are not here: staff lock
them (the page shows them as text). Every field has its length; phones are
checked by `dossier.validators.validate_phone`; the models' validators refuse
control characters. Which object is edited is never taken from the form: the
view finds it among the family's own (another family's id is a 404)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portail.dossier.changes import normalise_text
from portail.dossier.models import Guardian
from portail.dossier.validators import validate_phone
from portail.structures.models import Child, Family

ADDRESS_MAX = 500
TOO_LONG = _("Texte trop long : %(limit_value)d caractères au plus.")


class NormalisedTextareas:
    """Every textarea's text with its newlines as stored: CRLF and CR (what a
    browser posts) become LF, trailing spaces go (dossier.changes.normalise_text).
    Before the comparison with the stored value and before the save, so that
    re-saving an unchanged address is no change and no CRLF is stored."""

    def clean(self):
        cleaned = super().clean()  # type: ignore[misc]
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            value = cleaned.get(name)
            if isinstance(field.widget, forms.Textarea) and isinstance(value, str):
                cleaned[name] = normalise_text(value)
        return cleaned


def _phone(label):
    return forms.CharField(
        label=label, required=False, max_length=30, validators=[validate_phone],
        error_messages={"max_length": TOO_LONG},
    )  # fmt: skip


def _address(label):
    return forms.CharField(
        label=label, required=False, max_length=ADDRESS_MAX, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": TOO_LONG},
    )  # fmt: skip


class HouseholdForm(NormalisedTextareas, forms.ModelForm):
    phone = _phone(_("Téléphone"))
    address = _address(_("Adresse"))

    class Meta:
        model = Family
        fields = ["address", "phone"]


class GuardianForm(NormalisedTextareas, forms.ModelForm):
    last_name = forms.CharField(
        label=_("Nom"), max_length=100,
        error_messages={"required": _("Indiquez le nom."), "max_length": TOO_LONG},
    )  # fmt: skip
    first_name = forms.CharField(
        label=_("Prénom"), max_length=100,
        error_messages={"required": _("Indiquez le prénom."), "max_length": TOO_LONG},
    )  # fmt: skip
    email = forms.EmailField(
        label=_("E-mail"), required=False, max_length=254,
        error_messages={"invalid": _("Adresse e-mail invalide."), "max_length": TOO_LONG},
    )  # fmt: skip
    mobile_phone = _phone(_("Téléphone portable"))
    home_phone = _phone(_("Téléphone fixe"))
    work_phone = _phone(_("Téléphone professionnel"))
    address = _address(_("Adresse, si différente de celle de la famille"))

    class Meta:
        model = Guardian
        fields = ["civility", "last_name", "first_name", "email", "mobile_phone", "home_phone", "work_phone", "address"]
        error_messages = {"civility": {"invalid_choice": _("Civilité inconnue.")}}


class NewGuardianForm(GuardianForm):
    """Adding a parent; « C'est moi » links the new row to the account that adds
    it (shown only while the account has no row in this family)."""

    moi = forms.BooleanField(label=_("Il s'agit de moi (mon compte)"), required=False)


class ChildForm(NormalisedTextareas, forms.ModelForm):
    school_class = forms.CharField(
        label=_("Classe"), required=False, max_length=50, error_messages={"max_length": TOO_LONG}
    )

    class Meta:
        model = Child
        fields = ["school_class"]
