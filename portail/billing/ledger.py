"""A family's account (issue 16 points 3 and 5): payments and credit notes
settle invoices, oldest due first; what is left stays as the family's credit.

    balance = invoices − credit notes − payments   (> 0: the family owes)

A payment typed by mistake at the régie is cancelled (`cancel_payment`), never
deleted: it stays in the accounts and the exports, marked cancelled, and
counts for nothing here (every sum below reads `active_payments`).

Invoice.settled_cents is what covers an invoice (payments' Allocations and
credit notes); a credit note's own settled_cents is how much of it was used.
`allot(family)` keeps them under the family's row lock, and is called by every
writer: after a payment (`record_payment`), after issuing invoices or a credit
note. So: sum(invoices settled) = sum(allocations) + sum(credit notes settled).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.billing.models import MAX_CENTS, Allocation, Invoice, InvoiceKind, Payment, PaymentMethod
from portail.structures.models import Family

if TYPE_CHECKING:
    # The account, whatever settings.AUTH_USER_MODEL is (django-stubs resolves
    # `_User` to it): billing never imports portail.accounts.
    from django.contrib.auth.models import _User as User


def active_payments() -> QuerySet[Payment]:
    """The payments that count: all but the cancelled ones."""
    return Payment.objects.filter(cancelled_at=None)


def lock_family(family_id: int) -> None:
    """The lock every writer of a family's account takes first (in a transaction)."""
    Family.objects.select_for_update().filter(pk=family_id).values_list("pk", flat=True).get()


def balance_cents(family: Family | int) -> int:
    """invoices − credit notes − payments (not cancelled), in cents (positive: due)."""
    family_id = family if isinstance(family, int) else family.pk
    totals = dict(
        Invoice.objects.filter(family_id=family_id)
        .order_by()  # grouped by kind only, whatever the model's ordering
        .values_list("kind")
        .annotate(t=Sum("total_cents"))
        .values_list("kind", "t")
    )
    paid = active_payments().filter(family_id=family_id).aggregate(t=Sum("amount_cents"))["t"] or 0
    return (totals.get(InvoiceKind.INVOICE) or 0) - (totals.get(InvoiceKind.CREDIT_NOTE) or 0) - paid


def credit_cents(family: Family | int) -> int:
    """Money of the family not used yet (« Avoir / crédit »): what its payments
    and credit notes hold beyond what they settle. After `allot` a family has
    either invoices due or credit, never both: then balance = due − credit."""
    family_id = family if isinstance(family, int) else family.pk
    paid = active_payments().filter(family_id=family_id).aggregate(t=Sum("amount_cents"))["t"] or 0
    allotted = Allocation.objects.filter(payment__family_id=family_id).aggregate(t=Sum("amount_cents"))["t"] or 0
    credit_notes = Invoice.objects.filter(family_id=family_id, kind=InvoiceKind.CREDIT_NOTE).aggregate(
        total=Sum("total_cents"), used=Sum("settled_cents")
    )
    return paid - allotted + (credit_notes["total"] or 0) - (credit_notes["used"] or 0)


def invoice_state(invoice: Invoice, today: datetime.date) -> str:
    """'paid', 'overdue' (due date passed) or 'due' ('credit' for a credit note)."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return "credit"
    if invoice.settled_cents >= invoice.total_cents:
        return "paid"
    return "overdue" if today > invoice.due_date else "due"


def allot(family_id: int) -> None:
    """Spread the family's unused credit notes and payments over its invoices
    due, oldest first (a credit note first on the invoice it corrects)."""
    with transaction.atomic():
        lock_family(family_id)
        due = list(
            Invoice.objects.filter(
                family_id=family_id, kind=InvoiceKind.INVOICE, settled_cents__lt=F("total_cents")
            ).order_by("due_date", "year", "number")
        )
        if not due:
            return
        credits = list(
            Invoice.objects.filter(
                family_id=family_id, kind=InvoiceKind.CREDIT_NOTE, settled_cents__lt=F("total_cents")
            ).order_by("issued_at", "number")
        )
        by_pk = {i.pk: i for i in due}
        changed: set[int] = set()
        for credit in credits:
            order = sorted(due, key=lambda i: i.pk != credit.corrects_id)  # its own invoice first
            for invoice in order:
                take = min(credit.total_cents - credit.settled_cents, invoice.total_cents - invoice.settled_cents)
                if take > 0:
                    credit.settled_cents += take
                    invoice.settled_cents += take
                    changed.update({credit.pk, invoice.pk})
            if credit.pk in changed:
                credit.save(update_fields=["settled_cents"])
        allocations = []
        used = dict(
            Allocation.objects.filter(payment__family_id=family_id)
            .values("payment").annotate(t=Sum("amount_cents")).values_list("payment", "t")
        )  # fmt: skip
        for payment in active_payments().filter(family_id=family_id).order_by("received_on", "pk"):
            left = payment.amount_cents - used.get(payment.pk, 0)
            for invoice in due:
                if left <= 0:
                    break
                take = min(left, invoice.total_cents - invoice.settled_cents)
                if take > 0:
                    allocations.append(Allocation(payment=payment, invoice=invoice, amount_cents=take))
                    invoice.settled_cents += take
                    left -= take
                    changed.add(invoice.pk)
        # Several allocations of one payment to one invoice cannot happen: each
        # pass fills an invoice before the next.
        Allocation.objects.bulk_create(allocations)
        for pk in changed & by_pk.keys():
            Invoice.objects.filter(pk=pk).update(settled_cents=by_pk[pk].settled_cents)


def record_payment(
    family: Family,
    amount_cents: int,
    method: str,
    *,
    actor: User | None = None,
    receipt_number: str = "",
    received_on: datetime.date | None = None,
    note: str = "",
) -> Payment:
    """Record money received and allot it (oldest invoices due first); what is
    left stays as the family's credit. `received_on` defaults to today (the
    structure's time zone). Refuses (ValueError) an amount outside
    1..MAX_CENTS or an unknown method: the forms check them first, in French."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not 1 <= amount_cents <= MAX_CENTS:
        raise ValueError(f"amount_cents out of range: {amount_cents!r}")
    if method not in PaymentMethod.values:
        raise ValueError(f"unknown payment method: {method!r}")
    with transaction.atomic():
        lock_family(family.pk)
        payment = Payment.objects.create(
            structure_id=family.structure_id, family=family, amount_cents=amount_cents, method=method,
            receipt_number=receipt_number, received_on=received_on or timezone.localdate(), recorded_by=actor,
            note=note,
        )  # fmt: skip
        allot(family.pk)
    return payment


class CannotCancel(ValueError):
    """A payment that cannot be cancelled here, with the French message to show."""


def cancel_payment(payment: Payment, *, actor: User | None, reason: str) -> bool:
    """Cancel a payment recorded by mistake at the régie: kept (accounts,
    exports) but marked cancelled (who, when, why), its allocations removed
    and the family's account allotted again from scratch, as if the payment had
    never been received (its other payments and credit notes settle the oldest
    invoices due first, like `allot`; invoices' settled amounts and states
    follow). Under the family's lock, like `record_payment`: returns False
    when the payment was already cancelled (a second submit cancels once).
    Refuses (CannotCancel) an online payment — that money was really taken
    from the family's card, it is refunded through the bank — and an empty
    reason."""
    reason = reason.strip()
    if not reason:
        raise CannotCancel(_("Indiquez le motif de l'annulation."))
    with transaction.atomic():
        lock_family(payment.family_id)
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.method == PaymentMethod.ONLINE:
            raise CannotCancel(
                _(
                    "Un paiement en ligne ne s'annule pas ici : l'argent a bien été prélevé sur la carte de la "
                    "famille. Un remboursement se fait auprès de la banque (ou du Trésor public)."
                )
            )
        if current.cancelled_at is not None:
            return False
        current.cancelled_at, current.cancelled_by, current.cancellation_reason = timezone.now(), actor, reason
        current.save(update_fields=["cancelled_at", "cancelled_by", "cancellation_reason"])
        # Allotted again from scratch: only removing this payment's parts could
        # leave an older invoice due while a later payment covers a newer one
        # (the ledger's rule is oldest first).
        Allocation.objects.filter(payment__family_id=payment.family_id).delete()
        Invoice.objects.filter(family_id=payment.family_id).update(settled_cents=0)
        allot(payment.family_id)
    payment.refresh_from_db()
    return True
