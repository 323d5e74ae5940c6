"""Issue 16 acceptance on PostgreSQL: two notifications of the same payment
at once (or a notification and the parent's return asking the bank) record
ONE payment.

Real threads, one database connection each. The first answer is held inside
its transaction, after it took the OnlinePayment's row lock and recorded the
Payment, by wrapping ledger.record_payment (no test-only code in billing);
the second starts meanwhile. Without the row lock both would see the payment
« en cours » and record it twice: the lock makes the second wait, then find
it paid. Skipped on SQLite, whose transactions begin IMMEDIATE (one writer).
"""

import datetime
import threading

import pytest
from django.db import connection, connections

from portail.billing import ledger, online
from portail.billing.models import BillingSettings, OnlinePayment, OnlinePaymentStatus, Payment
from portail.billing.payment import Answer
from tests.billing.invoice_rows import make_invoice

WAIT = 15  # seconds: any wait longer than this is a failure, never a hang

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent connections (run by .ci/run via scripts/with-postgres.sh)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def pending(world):
    BillingSettings.objects.create(structure=world.a, payment_backend="simulated")
    invoice = make_invoice(world.family_a, month=datetime.date(2026, 11, 1))
    online_payment = OnlinePayment.objects.create(
        structure=world.a, family=world.family_a, amount_cents=invoice.total_cents, order_id="20261127race",
        backend="simulated",
    )  # fmt: skip
    online_payment.invoices.set([invoice])
    return online_payment


def paid_answer(online_payment, transaction="SIM1"):
    return Answer(online_payment.order_id, transaction, online_payment.amount_cents, OnlinePaymentStatus.PAID, True)


def in_thread(target, errors, results, name):
    def run():
        try:
            results.append(target())
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def race(monkeypatch, first, second):
    """Run `first` until it has recorded its Payment (still in its transaction),
    then `second`; release `first`; both finish."""
    recorded, release = threading.Event(), threading.Event()
    real_record = ledger.record_payment

    def held_record_payment(*args, **kwargs):
        payment = real_record(*args, **kwargs)
        if threading.current_thread().name == "first-answer":
            recorded.set()
            assert release.wait(WAIT), "never released"
        return payment

    monkeypatch.setattr(ledger, "record_payment", held_record_payment)
    errors, results = [], []
    first_thread = in_thread(first, errors, results, "first-answer")
    assert recorded.wait(WAIT), f"the first answer never recorded its payment: {errors}"
    second_thread = in_thread(second, errors, results, "second-answer")
    second_thread.join(1)
    # The second waits on the row lock while the first holds it.
    assert second_thread.is_alive(), "the second answer did not wait for the first one's lock"
    release.set()
    first_thread.join(WAIT)
    second_thread.join(WAIT)
    assert not first_thread.is_alive() and not second_thread.is_alive()
    assert not errors, errors
    return results


def test_two_notifications_at_once_record_one_payment(pending, monkeypatch):
    answer = paid_answer(pending)
    results = race(
        monkeypatch,
        lambda: online.handle_answer(answer, structure_id=pending.structure_id),
        lambda: online.handle_answer(answer, structure_id=pending.structure_id),
    )

    assert [r.status for r in results] == [OnlinePaymentStatus.PAID] * 2
    payment = Payment.objects.get()
    assert OnlinePayment.objects.get().payment == payment
    assert payment.amount_cents == pending.amount_cents
    assert sum(a.amount_cents for a in payment.allocations.all()) == pending.amount_cents


def test_a_notification_and_the_return_asking_the_bank_at_once_record_one_payment(pending, monkeypatch):
    """The parent's return asks the bank (check_status) while the notification
    is being recorded: the bank says paid to both, one Payment."""
    from portail.billing import payment as payment_module

    monkeypatch.setattr(payment_module.SimulatedBank, "status", lambda self, op: paid_answer(op, "SIM2"))
    pending.bank_data = {"status_url": "http://bank.invalid/etat/"}
    pending.save(update_fields=["bank_data"])

    results = race(
        monkeypatch,
        lambda: online.handle_answer(paid_answer(pending), structure_id=pending.structure_id),
        lambda: online.check_status(OnlinePayment.objects.get(pk=pending.pk)),
    )

    assert {r.status for r in results} == {OnlinePaymentStatus.PAID}
    assert Payment.objects.count() == 1
