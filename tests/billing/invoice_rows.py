"""Issued invoices written directly for the tests of what is done with them
(the PDF, the e-mail, the staff's screens): the invoicing itself
(billing.invoicing) has its own tests; here an Invoice row is a given."""

import datetime

from django.utils import timezone

from portail.billing.models import Invoice, InvoiceKind, InvoiceLine


def make_invoice(family, *, month=datetime.date(2026, 11, 1), number=1, lines=None, kind=InvoiceKind.INVOICE,
                 corrects=None, reason="", due_date=None, settled_cents=0, issued_at=None):  # fmt: skip
    """An issued invoice of `family` for `month` with `lines`: a list of
    (child_name, label, [days], quantity, unit_price_cents); its total is the
    sum of the lines' amounts, as the invoicing writes it."""
    lines = lines if lines is not None else [("DUPONT Paolo", "APS MATIN", [month, month.replace(day=3)], 2, 250)]
    period_end = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    prefix = "A" if kind == InvoiceKind.CREDIT_NOTE else "F"
    invoice = Invoice.objects.create(
        structure=family.structure, family=family, kind=kind, year=month.year, number=number,
        reference=f"{prefix}-{month.year}-{number:06d}", period_start=month, period_end=period_end,
        issued_at=issued_at or timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 0)),
        due_date=due_date or datetime.date(2026, 12, 31),
        total_cents=sum(quantity * price for *_, quantity, price in lines),
        family_name=f"{family.civility} {family.last_name.upper()} {family.first_name}",
        family_address=family.address, corrects=corrects, reason=reason, settled_cents=settled_cents,
    )  # fmt: skip
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            child_name=child_name,
            label=label,
            dates=[d.isoformat() for d in days],
            quantity=quantity,
            unit_price_cents=price,
            amount_cents=quantity * price,
        )  # fmt: skip
        for child_name, label, days, quantity, price in lines
    )
    return invoice
