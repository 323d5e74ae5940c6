"""Invoice numbers (issue 16 point 2, billing.numbering): references as
printed, numbers taken from the locked sequence row without gap, one
sequence per structure, kind and year, never outside a transaction (the row
lock would end with its statement). Two issuers at once: test_concurrency_pg.py."""

import pytest
from django.db import transaction

from portail.billing import numbering
from portail.billing.models import InvoiceKind, InvoiceSequence


@pytest.mark.parametrize(
    ("kind", "year", "number", "reference"),
    [
        (InvoiceKind.INVOICE, 2026, 1, "F-2026-000001"),
        (InvoiceKind.INVOICE, 2026, 123, "F-2026-000123"),
        (InvoiceKind.CREDIT_NOTE, 2027, 4, "A-2027-000004"),
        (InvoiceKind.INVOICE, 2026, 1234567, "F-2026-1234567"),
    ],
)
def test_references(kind, year, number, reference):
    assert numbering.reference(kind, year, number) == reference


def test_numbers_follow_each_other_per_structure_kind_and_year(world):
    taken = []
    for structure, kind, year, count in [
        (world.a, InvoiceKind.INVOICE, 2026, 3),
        (world.a, InvoiceKind.INVOICE, 2026, 0),
        (world.a, InvoiceKind.INVOICE, 2026, 2),
        (world.a, InvoiceKind.CREDIT_NOTE, 2026, 1),
        (world.b, InvoiceKind.INVOICE, 2026, 2),
        (world.a, InvoiceKind.INVOICE, 2027, 1),
    ]:
        with transaction.atomic():
            taken.append(list(numbering.take(numbering.lock_sequence(structure.pk, kind, year), count)))
    assert taken == [[1, 2, 3], [], [4, 5], [1], [1, 2], [1]]
    assert InvoiceSequence.objects.count() == 4


def test_numbers_taken_in_a_rolled_back_transaction_are_given_again(world):
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        numbering.take(numbering.lock_sequence(world.a.pk, InvoiceKind.INVOICE, 2026), 5)
        raise Abandon
    with transaction.atomic():
        assert list(numbering.take(numbering.lock_sequence(world.a.pk, InvoiceKind.INVOICE, 2026), 1)) == [1]


def test_the_sequence_is_only_locked_inside_a_transaction(world, django_db_blocker):
    # pytest-django's `db` runs each test in a transaction: leave it to see the guard.
    connection = transaction.get_connection()
    atomic = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError):
            numbering.lock_sequence(world.a.pk, InvoiceKind.INVOICE, 2026)
    finally:
        connection.in_atomic_block = atomic
