"""Invoice and credit-note numbers (issue 16 point 2): 1, 2, 3… without gap
nor duplicate per structure, kind and year, even for two issuers at once.

The number is taken from the InvoiceSequence row under its row lock
(SELECT … FOR UPDATE) in the transaction that writes the invoices: a second
issuer of the same structure, kind and year waits on that row until the first
commits (or rolls back, giving its numbers back untouched), then reads the
raised `last_number`. The row is created, if missing, by an INSERT … ON
CONFLICT DO NOTHING under its unique constraint, so two first issuers of a
year cannot both create it.

Lock order of billing's writers: the sequence row first, then the families'
rows (ledger.lock_family) in id order; `record_payment` takes only its
family's. So no two writers wait on each other in a cycle.
"""

from __future__ import annotations

from django.db import transaction

from portail.billing.models import InvoiceKind, InvoiceSequence

PREFIX = {InvoiceKind.INVOICE: "F", InvoiceKind.CREDIT_NOTE: "A"}


def lock_sequence(structure_id: int, kind: str, year: int) -> InvoiceSequence:
    """The structure's sequence of `kind` for `year`, created if missing, row-locked
    until the end of the current transaction (which must be open)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_sequence needs a transaction: the lock would end with the statement")
    InvoiceSequence.objects.bulk_create(
        [InvoiceSequence(structure_id=structure_id, kind=kind, year=year)], ignore_conflicts=True
    )
    return InvoiceSequence.objects.select_for_update().get(structure_id=structure_id, kind=kind, year=year)


def take(sequence: InvoiceSequence, count: int) -> range:
    """The next `count` numbers of a locked sequence, recorded in it."""
    first = sequence.last_number + 1
    if count:
        sequence.last_number += count
        InvoiceSequence.objects.filter(pk=sequence.pk).update(last_number=sequence.last_number)
    return range(first, first + count)


def reference(kind: str, year: int, number: int) -> str:
    """« F-2026-000123 » for an invoice, « A-2026-000004 » for a credit note."""
    return f"{PREFIX[InvoiceKind(kind)]}-{year}-{number:06d}"
