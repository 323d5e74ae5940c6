"""The request parameters of the family's « Factures » pages (issue 16 points 3, 4)."""

from django import forms

from portail.web.forms import IdField


class PayForm(forms.Form):
    """« Payer en ligne »: one invoice (`facture`), or every invoice due (empty)."""

    facture = IdField(required=False)
