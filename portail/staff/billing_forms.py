"""The parameters of the « Facturation » screens (issue 16 point 2), one Form
per endpoint, read by `read` (staff/forms.py): months within the product's
window, ids scoped by the view, an amount in euros (French comma) turned into
exact cents, a required reason of one line."""

import re

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portail.billing.models import MAX_CENTS
from portail.billing.money import cents_from_euros, euros
from portail.staff.forms import PageField, ReasonField, SearchField
from portail.web.forms import DIGITS, IdField, MonthField

CONFIRMED = "oui"
# The invoice list's « état » filter: ledger.invoice_state's answers, and the credit notes.
DUE, PAID, OVERDUE, CREDIT = "a_payer", "payee", "en_retard", "avoirs"
STATES = [
    (DUE, _("À payer")),
    (OVERDUE, _("En retard")),
    (PAID, _("Payées")),
    (CREDIT, _("Avoirs")),
]
AMOUNT = re.compile(r"\d{1,7}(?:[.,]\d{1,2})?", re.ASCII)
# « Faire un avoir »: all that is left of the invoice, or an amount.
TOTAL, PARTIAL = "total", "partiel"
MAX_CREDIT_NOTES = 10_000  # no invoice has more: the form's token is a small count


class RunForm(forms.Form):
    """The monthly run's preview: a month (default: the previous one) and a
    structure (needed only for staff of several structures)."""

    mois = MonthField(required=False)
    structure = IdField(_("Structure"), required=False)
    page = PageField()


class IssueForm(forms.Form):
    """« Émettre les factures »: the month and structure of the preview, then
    the confirmation."""

    mois = MonthField(error_messages={"required": _("Choisissez le mois à facturer.")})
    structure = IdField(_("Structure"))
    confirmation = forms.ChoiceField(choices=[("", "-"), (CONFIRMED, CONFIRMED)], required=False)


class InvoiceListForm(forms.Form):
    structure = IdField(_("Structure"), required=False)
    mois = MonthField(required=False)
    etat = forms.ChoiceField(
        choices=[("", "-"), *STATES], required=False, error_messages={"invalid_choice": _("État inconnu.")}
    )
    # An invoice's number, or its family's name or reference.
    recherche = SearchField()
    page = PageField()


class EurosAmountField(forms.CharField):
    """An amount in euros (« 12,50 », « 12.5 », « 12 »), 0,01 € to 1 000 000 €,
    cleaned to integer cents; empty is None."""

    def __init__(self, **kwargs):
        message = format_lazy(
            _("Montant invalide : indiquez un montant en euros entre 0,01 et {maximum}, par exemple 12,50."),
            maximum=euros(MAX_CENTS),
        )
        super().__init__(required=False, error_messages={"invalid": message}, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > 20:  # checked here: CharField's max_length would measure the cents
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        value = "".join(value.split())  # « 1 000,50 » (no-break spaces too)
        # ASCII digits only: Decimal would also take « 1e3 », « NaN » or other scripts' digits.
        if not AMOUNT.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            cents = cents_from_euros(value)
        except (ValueError, ArithmeticError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not 1 <= cents <= MAX_CENTS:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return cents


class CreditNoteForm(forms.Form):
    """« Faire un avoir »: the whole of what is left (`etendue` total) or an
    amount (partiel: required), and a reason; `confirmation` once the
    confirmation page was read. `avoirs` is how many credit notes the invoice
    had when the form was shown: a second submit of the same form (double
    click, back button) finds one more and records nothing."""

    etendue = forms.ChoiceField(
        choices=[(TOTAL, _("Avoir total")), (PARTIAL, _("Avoir partiel"))],
        error_messages={
            "required": _("Choisissez un avoir total ou un avoir partiel."),
            "invalid_choice": _("Choisissez un avoir total ou un avoir partiel."),
        },
    )
    montant = EurosAmountField()
    motif = ReasonField()
    avoirs = forms.CharField(max_length=6, error_messages={"required": _("Formulaire incomplet : rechargez la page.")})
    confirmation = forms.ChoiceField(choices=[("", "-"), (CONFIRMED, CONFIRMED)], required=False)

    def clean_avoirs(self):
        value = self.cleaned_data["avoirs"]
        if not (DIGITS.fullmatch(value) and int(value) <= MAX_CREDIT_NOTES):
            raise forms.ValidationError(_("Formulaire incomplet : rechargez la page."), code="invalid")
        return int(value)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("etendue") == PARTIAL and "montant" in cleaned and cleaned["montant"] is None:
            self.add_error("montant", _("Indiquez le montant de l'avoir partiel, par exemple 12,50."))
        return cleaned
