"""The parameters of the « Régie » screens (issue 16 point 5), one Form per
endpoint, read by `read` (staff/forms.py): ids scoped by the view, a search
of one line, an amount in euros turned into exact cents (billing.money), a
receipt number, a day within the product's window and never in the future,
a period of at most a year."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portail.billing import exports
from portail.billing.models import MAX_CENTS, PaymentMethod
from portail.lib.validators import MAX_ID, validate_single_line
from portail.staff.billing_forms import EurosAmountField
from portail.staff.forms import PageField, PeriodForm, SearchField
from portail.web.forms import DIGITS, DayField, IdField

# What staff record at the desk (online payments are recorded by the bank's answer).
DESK_METHODS = [
    (PaymentMethod.CHEQUE, _("Chèque")),
    (PaymentMethod.CASH, _("Espèces")),
    (PaymentMethod.CESU, _("CESU")),
    (PaymentMethod.TRANSFER, _("Virement")),
]
# The cheque's number, the CESU titles' numbers, the transfer's bank reference:
# what the régie's deposit is reconciled with. Cash needs none (the payment's
# row is its trace; a paper quittance's number may still be entered).
RECEIPT_REQUIRED = {PaymentMethod.CHEQUE, PaymentMethod.CESU, PaymentMethod.TRANSFER}
RECEIPT_MAX_LENGTH = 50  # Payment.receipt_number
NOTE_MAX_LENGTH = 200  # Payment.note
MAX_PRINTED = 1000  # invoices marked printed in one submit
INCOMPLETE = _("Formulaire incomplet : rechargez la page.")


class RegieForm(forms.Form):
    """The régie's family search: a structure, a name or a reference, a page."""

    structure = IdField(_("Structure"), required=False)
    recherche = SearchField()
    page = PageField()


class AmountField(EurosAmountField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.required = True
        self.error_messages["required"] = _("Indiquez le montant reçu, par exemple 42,50.")


class PaymentForm(forms.Form):
    """« Enregistrer un paiement ». `dernier` is the id of the family's last
    payment when the form was shown (0: none): a second submit of the same form
    (double click, back button) finds a newer payment and records nothing."""

    famille = IdField()
    moyen = forms.ChoiceField(
        choices=DESK_METHODS,
        error_messages={"required": _("Choisissez le moyen de paiement."), "invalid_choice": _("Moyen de paiement inconnu.")},
    )  # fmt: skip
    montant = AmountField()
    recu = forms.CharField(
        required=False,
        max_length=RECEIPT_MAX_LENGTH,
        validators=[validate_single_line],
        error_messages={
            "max_length": format_lazy(_("Numéro de reçu trop long : {maximum} caractères au plus."), maximum=50),
            "control_characters": _("Numéro de reçu invalide : écrivez-le sur une ligne."),
            "null_characters_not_allowed": _("Numéro de reçu invalide : écrivez-le sur une ligne."),
        },
    )
    recu_le = DayField(_("Date de réception"))
    remarque = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_single_line],
        error_messages={
            "max_length": format_lazy(_("Remarque trop longue : {maximum} caractères au plus."), maximum=200),
            "control_characters": _("Remarque invalide : écrivez-la sur une ligne."),
            "null_characters_not_allowed": _("Remarque invalide : écrivez-la sur une ligne."),
        },
    )
    dernier = forms.CharField(max_length=20, error_messages={"required": INCOMPLETE, "max_length": INCOMPLETE})
    # The amount (in cents) the clerk confirmed beyond what the family owes
    # (the checkbox shown after a first submit): recorded only when it is the
    # amount sent, so changing the amount asks again.
    confirme = forms.CharField(required=False, max_length=20, error_messages={"max_length": INCOMPLETE})

    def clean_confirme(self):
        value = self.cleaned_data["confirme"]
        if not value:
            return None
        if not (DIGITS.fullmatch(value) and int(value) <= MAX_CENTS):
            raise forms.ValidationError(INCOMPLETE, code="invalid")
        return int(value)

    def clean_dernier(self):
        value = self.cleaned_data["dernier"]
        if not (DIGITS.fullmatch(value) and int(value) <= MAX_ID):
            raise forms.ValidationError(INCOMPLETE, code="invalid")
        return int(value)

    def clean_recu_le(self):
        day = self.cleaned_data["recu_le"]
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("La date de réception ne peut pas être dans le futur."), code="future")
        return day

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        cleaned["recu"] = cleaned["recu"].strip()
        if cleaned["moyen"] in RECEIPT_REQUIRED and not cleaned["recu"]:
            # Next to the field it concerns (the page shows each error by its field).
            self.add_error("recu", _("Indiquez le numéro du chèque, des titres CESU ou la référence du virement."))
        return cleaned


class CancelPaymentForm(forms.Form):
    """« Annuler ce paiement »: the reason is required (kept with the payment, shown, exported)."""

    motif = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_single_line],
        error_messages={
            "required": _("Indiquez le motif de l'annulation."),
            "max_length": format_lazy(_("Motif trop long : {maximum} caractères au plus."), maximum=200),
            "control_characters": _("Motif invalide : écrivez-le sur une ligne."),
            "null_characters_not_allowed": _("Motif invalide : écrivez-le sur une ligne."),
        },
    )

    def clean_motif(self):
        motif = self.cleaned_data["motif"].strip()
        if not motif:
            raise forms.ValidationError(_("Indiquez le motif de l'annulation."), code="required")
        return motif


class RemindersForm(forms.Form):
    structure = IdField(_("Structure"), required=False)


class SendRemindersForm(forms.Form):
    structure = IdField(_("Structure"))


class PrintListForm(forms.Form):
    structure = IdField(_("Structure"), required=False)
    format = forms.ChoiceField(
        choices=[("", "page"), ("csv", "CSV")], required=False, error_messages={"invalid_choice": _("Format inconnu.")}
    )
    tout = forms.ChoiceField(
        choices=[("", "-"), ("1", "1")], required=False, error_messages={"invalid_choice": _("Choix inconnu.")}
    )


class InvoiceIdsField(forms.Field):
    """Invoice ids posted as repeated fields (the list shown); each scoped by the view."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > MAX_PRINTED:
            raise forms.ValidationError(_("Trop de factures à la fois."), code="too_many")
        ids = []
        for item in values:
            if not (isinstance(item, str) and DIGITS.fullmatch(item) and 1 <= int(item) <= MAX_ID):
                raise forms.ValidationError(INCOMPLETE, code="invalid")
            ids.append(int(item))
        return ids


class MarkPrintedForm(forms.Form):
    structure = IdField(_("Structure"))
    facture = InvoiceIdsField(error_messages={"required": _("Aucune facture à marquer : la liste est vide.")})


class ExportForm(PeriodForm):
    """A structure, a period (both days or neither: neither is the previous
    month), the documents, a format (empty: the page)."""

    documents = forms.ChoiceField(
        choices=[("", "-"), (exports.INVOICES, exports.INVOICES), (exports.CREDIT_NOTES, exports.CREDIT_NOTES),
                 (exports.PAYMENTS, exports.PAYMENTS)],
        required=False, error_messages={"invalid_choice": _("Documents inconnus.")},
    )  # fmt: skip
    # Invoices and credit notes by the month they bill (default: October's,
    # issued on 1 November, are October's) or by their issue date.
    selon = forms.ChoiceField(
        choices=[("", "-"), (exports.BILLED_MONTH, exports.BILLED_MONTH), (exports.ISSUED, exports.ISSUED)],
        required=False, error_messages={"invalid_choice": _("Choix de la période inconnu.")},
    )  # fmt: skip

    def default_period(self):
        first = timezone.localdate().replace(day=1)
        end = first - datetime.timedelta(days=1)
        return end.replace(day=1), end

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            cleaned["documents"] = cleaned["documents"] or exports.INVOICES
            cleaned["selon"] = cleaned["selon"] or exports.BILLED_MONTH
        return cleaned
