"""An overdue invoice blocks a family's new bookings (issue 16 point 5) when
its structure asks for it (Structure.block_bookings_overdue_days): the
receiver of booking.signals.family_booking_block, connected in
BillingConfig.ready(). Cancellations are never blocked (the engine asks only
for new bookings)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import ngettext

from portail.billing.models import Invoice, InvoiceKind
from portail.billing.money import euros
from portail.structures.models import Family


def overdue_invoices(family: Family, today: datetime.date, more_than_days: int) -> list[Invoice]:
    """The family's invoices still due more than `more_than_days` days after
    their due date on `today`, oldest first."""
    return list(
        Invoice.objects.filter(
            family_id=family.pk,
            kind=InvoiceKind.INVOICE,
            settled_cents__lt=F("total_cents"),
            due_date__lt=today - datetime.timedelta(days=more_than_days),
        )
        .order_by("due_date", "year", "number")
        .only("reference", "total_cents", "settled_cents", "kind", "due_date")
    )


def blocking_message(invoices: list[Invoice]) -> str:
    """« Une facture est en retard de paiement (F-2026-000123, 42,00 €) : réglez-la
    pour réserver de nouveaux jours. » (the amount still due of each)."""
    listed = " ; ".join(f"{invoice.reference}, {euros(invoice.due_cents)}" for invoice in invoices)
    return ngettext(
        "Une facture est en retard de paiement (%(invoices)s) : réglez-la pour réserver de nouveaux jours.",
        "Des factures sont en retard de paiement (%(invoices)s) : réglez-les pour réserver de nouveaux jours.",
        len(invoices),
    ) % {"invoices": listed}


def overdue_invoice_block(sender: Any, family: Family, **kwargs: Any) -> str | None:
    """The French reason why `family` may not book new days, or None. Without
    a query when the structure's option is off (the family's structure is
    loaded by the engine)."""
    days = family.structure.block_bookings_overdue_days
    if days is None:
        return None
    invoices = overdue_invoices(family, timezone.localdate(), days)
    return blocking_message(invoices) if invoices else None
