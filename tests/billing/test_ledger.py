"""A family's account (issue 16 point 5, billing.ledger): a payment settles the
oldest invoices due first, a credit note first the invoice it corrects, what
is left stays as the family's credit and pays the next invoice; the balance is
invoices − credit notes − payments. A property test runs random sequences of
invoices, credit notes and payments through the ledger's writers."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail.billing import ledger
from portail.billing.models import Allocation, Invoice, InvoiceKind, Payment, PaymentMethod
from tests.billing.invoice_rows import make_invoice

OCT, NOV, DEC = datetime.date(2026, 10, 1), datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)


def _invoice(family, month, number, cents, due_date):
    return make_invoice(family, month=month, number=number, lines=[("DUPONT Paolo", "APS", [month], 1, cents)],
                        due_date=due_date)  # fmt: skip


def _credit_note(invoice, number, cents):
    return make_invoice(
        invoice.family, month=invoice.period_start, number=number, kind=InvoiceKind.CREDIT_NOTE, corrects=invoice,
        reason="Erreur de pointage", lines=[("DUPONT Paolo", "Avoir", [], 1, cents)],
    )  # fmt: skip


def _settled(*invoices):
    return [Invoice.objects.get(pk=i.pk).settled_cents for i in invoices]


def test_a_payment_settles_the_oldest_invoice_first_and_the_rest_stays_as_credit(world):
    family = world.family_a
    november = _invoice(family, NOV, 2, 3000, datetime.date(2026, 12, 31))
    october = _invoice(family, OCT, 1, 2000, datetime.date(2026, 11, 30))

    ledger.record_payment(family, 2500, PaymentMethod.CHEQUE, actor=world.staff_a, receipt_number="CHQ 1")
    assert _settled(october, november) == [2000, 500]
    assert ledger.balance_cents(family) == 2500
    assert ledger.credit_cents(family) == 0

    ledger.record_payment(family, 4000, PaymentMethod.CASH, actor=world.staff_a)
    assert _settled(october, november) == [2000, 3000]
    assert ledger.balance_cents(family) == -1500
    assert ledger.credit_cents(family) == 1500
    assert Allocation.objects.aggregate(t=Sum("amount_cents"))["t"] == 5000

    # The credit pays the next invoice as soon as it is allotted (issuing does it).
    december = _invoice(family, DEC, 3, 1000, datetime.date(2027, 1, 31))
    ledger.allot(family.pk)
    assert _settled(december) == [1000]
    assert ledger.credit_cents(family) == 500
    assert ledger.balance_cents(family) == -500


def test_a_credit_note_settles_its_own_invoice_first(world):
    family = world.family_a
    october = _invoice(family, OCT, 1, 2000, datetime.date(2026, 11, 30))
    november = _invoice(family, NOV, 2, 3000, datetime.date(2026, 12, 31))
    _credit_note(november, 1, 1200)
    ledger.allot(family.pk)
    assert _settled(october, november) == [0, 1200]
    assert ledger.balance_cents(family) == 3800


def test_invoice_states(world):
    invoice = _invoice(world.family_a, OCT, 1, 2000, datetime.date(2026, 11, 30))
    assert ledger.invoice_state(invoice, datetime.date(2026, 11, 30)) == "due"
    assert ledger.invoice_state(invoice, datetime.date(2026, 12, 1)) == "overdue"
    ledger.record_payment(world.family_a, 2000, PaymentMethod.TRANSFER)
    invoice.refresh_from_db()
    assert ledger.invoice_state(invoice, datetime.date(2026, 12, 1)) == "paid"


@pytest.mark.parametrize(
    ("amount", "method"), [(0, PaymentMethod.CASH), (-5, PaymentMethod.CASH), (100_000_001, PaymentMethod.CASH),
                           (True, PaymentMethod.CASH), (10.5, PaymentMethod.CASH), (1000, "bitcoin")],
)  # fmt: skip
def test_record_payment_refuses_a_bad_amount_or_method_and_writes_nothing(world, amount, method):
    invoice = _invoice(world.family_a, OCT, 1, 2000, datetime.date(2026, 11, 30))
    with pytest.raises(ValueError):
        ledger.record_payment(world.family_a, amount, method)
    assert not Payment.objects.exists()
    assert _settled(invoice) == [0]


def test_a_payment_received_late_in_the_evening_is_dated_in_the_structures_time_zone(world):
    # 23:30 UTC on 30 November is already 1 December in Paris (the server's clock may be in UTC).
    with time_machine.travel(timezone.make_aware(datetime.datetime(2026, 11, 30, 23, 30), datetime.UTC), tick=False):
        payment = ledger.record_payment(world.family_a, 1000, PaymentMethod.CASH)
    assert payment.received_on == datetime.date(2026, 12, 1)


def test_cancelling_a_payment_allots_the_account_again_oldest_first(world):
    family = world.family_a
    october = _invoice(family, OCT, 1, 2000, datetime.date(2026, 11, 30))
    november = _invoice(family, NOV, 2, 3000, datetime.date(2026, 12, 31))
    wrong = ledger.record_payment(family, 100050, PaymentMethod.CHEQUE, receipt_number="CHQ 1")
    later = ledger.record_payment(family, 2500, PaymentMethod.CASH)
    assert _settled(october, november) == [2000, 3000] and not later.allocations.exists()

    assert ledger.cancel_payment(wrong, actor=world.staff_a, reason="Montant mal saisi") is True
    wrong.refresh_from_db()
    assert wrong.cancelled_at is not None and wrong.cancelled_by == world.staff_a
    assert wrong.cancellation_reason == "Montant mal saisi" and not wrong.allocations.exists()
    # The cash received after it now settles October first, then November.
    assert _settled(october, november) == [2000, 500]
    assert ledger.balance_cents(family) == 5000 - 2500 and ledger.credit_cents(family) == 0
    assert ledger.invoice_state(Invoice.objects.get(pk=november.pk), datetime.date(2026, 12, 1)) == "due"
    # Twice: once.
    assert ledger.cancel_payment(wrong, actor=None, reason="Encore") is False
    wrong.refresh_from_db()
    assert wrong.cancellation_reason == "Montant mal saisi"


def test_cancelling_keeps_a_credit_note_on_its_own_invoice(world):
    family = world.family_a
    october = _invoice(family, OCT, 1, 2000, datetime.date(2026, 11, 30))
    november = _invoice(family, NOV, 2, 3000, datetime.date(2026, 12, 31))
    payment = ledger.record_payment(family, 5000, PaymentMethod.CASH)
    _credit_note(november, 1, 1000)
    ledger.allot(family.pk)
    ledger.cancel_payment(payment, actor=None, reason="Erreur")
    assert _settled(october, november) == [0, 1000]
    assert ledger.balance_cents(family) == 4000


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_cancellation_needs_a_reason(world, reason):
    payment = ledger.record_payment(world.family_a, 1000, PaymentMethod.CASH)
    with pytest.raises(ledger.CannotCancel):
        ledger.cancel_payment(payment, actor=None, reason=reason)
    payment.refresh_from_db()
    assert payment.cancelled_at is None


def test_an_online_payment_is_never_cancelled_by_the_ledger(world):
    invoice = _invoice(world.family_a, OCT, 1, 2000, datetime.date(2026, 11, 30))
    payment = ledger.record_payment(world.family_a, 2000, PaymentMethod.ONLINE)
    with pytest.raises(ledger.CannotCancel, match="en ligne"):
        ledger.cancel_payment(payment, actor=None, reason="Erreur")
    payment.refresh_from_db()
    assert payment.cancelled_at is None and _settled(invoice) == [2000]


# ------------------------------------------------------------------ the property

INVOICE = st.tuples(st.just("invoice"), st.integers(1, 50_000))
CREDIT = st.tuples(st.just("credit"), st.integers(0, 20), st.integers(1, 50_000))
PAYMENT = st.tuples(st.just("payment"), st.integers(1, 80_000))
CANCEL = st.tuples(st.just("cancel"), st.integers(0, 20))  # a payment typed by mistake, cancelled


def _check(family, paid_in, invoiced, credited):
    """The account's invariants; cancelled payments count for nothing and hold no allocation."""
    invoices = list(Invoice.objects.filter(family=family, kind=InvoiceKind.INVOICE).order_by("due_date", "number"))
    credits = list(Invoice.objects.filter(family=family, kind=InvoiceKind.CREDIT_NOTE))
    payments = list(Payment.objects.filter(family=family, cancelled_at=None))
    assert not Allocation.objects.filter(payment__family=family).exclude(payment__cancelled_at=None).exists()
    allotted = {p.pk: sum(a.amount_cents for a in p.allocations.all()) for p in payments}
    by_invoice = {i.pk: sum(a.amount_cents for a in i.allocations.all()) for i in invoices}
    for document in invoices + credits:
        assert 0 <= document.settled_cents <= document.total_cents
    for payment in payments:
        assert allotted[payment.pk] <= payment.amount_cents
    # What settles the invoices is exactly the payments' allocations and the credit notes' used parts.
    assert sum(i.settled_cents for i in invoices) == sum(allotted.values()) + sum(c.settled_cents for c in credits)
    due = sum(i.due_cents for i in invoices)
    credit = ledger.credit_cents(family)
    assert due == 0 or credit == 0  # never money left unused while something is due
    assert ledger.balance_cents(family) == invoiced - credited - paid_in == due - credit
    # Oldest first: payments never went to an invoice while an older one was still due.
    for older, newer in zip(invoices, invoices[1:], strict=False):
        assert older.due_cents == 0 or by_invoice[newer.pk] == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(INVOICE, CREDIT, PAYMENT, CANCEL), min_size=1, max_size=12))
def test_random_invoices_credit_notes_and_payments_keep_the_account_exact(world, steps):
    family = world.family_a
    with transaction.atomic():  # each example starts from the same world
        invoices, paid_in, invoiced, credited, credit_number = [], 0, 0, 0, 0
        for step in steps:
            if step[0] == "invoice":
                # Monthly invoices: each one due a month after the previous one.
                month = datetime.date(2026 + len(invoices) // 12, len(invoices) % 12 + 1, 1)
                invoices.append(_invoice(family, month, len(invoices) + 1, step[1], month + datetime.timedelta(40)))
                invoiced += step[1]
                ledger.allot(family.pk)  # what invoicing.issue does for a family with credit
            elif step[0] == "credit" and invoices:
                invoice = invoices[step[1] % len(invoices)]
                corrected = sum(c.total_cents for c in invoice.credit_notes.all())
                amount = min(step[2], invoice.total_cents - corrected)
                if amount > 0:
                    credit_number += 1
                    _credit_note(invoice, credit_number, amount)
                    credited += amount
                    ledger.allot(family.pk)  # what invoicing.credit_note does
            elif step[0] == "payment":
                ledger.record_payment(family, step[1], PaymentMethod.CHEQUE, receipt_number=str(len(steps)))
                paid_in += step[1]
            elif step[0] == "cancel":
                kept = list(Payment.objects.filter(family=family, cancelled_at=None).order_by("pk"))
                if kept:
                    payment = kept[step[1] % len(kept)]
                    assert ledger.cancel_payment(payment, actor=None, reason="Erreur de saisie")
                    paid_in -= payment.amount_cents
            _check(family, paid_in, invoiced, credited)
        transaction.set_rollback(True)
