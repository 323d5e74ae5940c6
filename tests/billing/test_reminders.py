"""Reminders of overdue invoices (issue 16 point 5, billing.reminders): an
e-mail once per invoice, `reminder_after_days` after its due date, sent by the
worker once a day and by staff; then the list to print of the invoices still
unpaid after the e-mail (and of the families without an address), which staff
mark printed (level 2)."""

import datetime
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from portail.billing import ledger, reminders
from portail.billing.models import BillingSettings, Invoice, PaymentMethod, Reminder
from portail.notifications.models import OutboxEmail
from portail.notifications.signals import worker_pass
from tests.billing.invoice_rows import make_invoice

DUE = datetime.date(2026, 11, 30)  # the invoices' due date; reminders after 15 days: on 15 December


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def day(n):
    """DUE + n days."""
    return DUE + datetime.timedelta(days=n)


@pytest.fixture
def overdue(world):
    BillingSettings.objects.create(structure=world.a, reminder_after_days=15)
    world.invoice = make_invoice(world.family_a, month=datetime.date(2026, 10, 1), number=1, due_date=DUE,
                                 lines=[("DUPONT Paolo", "APS MATIN", [datetime.date(2026, 10, 5)], 10, 420)])  # fmt: skip
    return world


def test_one_email_per_address_once_the_delay_is_over_and_never_twice(overdue):
    w = overdue
    assert reminders.send_email_reminders(w.a, now=at(day(14))).sent == 0
    assert not OutboxEmail.objects.exists()

    ledger.record_payment(w.family_a, 1200, PaymentMethod.CHEQUE, receipt_number="0001234")
    result = reminders.send_email_reminders(w.a, now=at(day(15)), actor=w.staff_a)
    assert (result.sent, result.emails, result.without_address) == (1, 2, 0)
    assert sorted(OutboxEmail.objects.values_list("to", flat=True)) == ["dupont2@example.org", "dupont@example.org"]
    email = OutboxEmail.objects.first()
    assert email.kind == "relance" and email.structure == w.a
    assert "Rappel : facture F-2026-000001 à régler" in email.subject
    assert "il reste 30,00\u00a0€ à payer" in email.body_text  # 42,00 € less the cheque of 12,00 €
    assert "lundi 30 novembre 2026" in email.body_text
    # The link opens this structure's invoices, for an account of several structures too.
    assert reverse("billing:open_invoices", args=[w.a.pk]) in email.body_text
    reminder = Reminder.objects.get()
    assert (reminder.invoice, reminder.level, reminder.by) == (w.invoice, 1, w.staff_a)

    assert reminders.send_email_reminders(w.a, now=at(day(16))).sent == 0
    assert OutboxEmail.objects.count() == 2


def test_a_paid_invoice_and_another_structures_are_not_reminded(overdue):
    w = overdue
    ledger.record_payment(w.family_a, 4200, PaymentMethod.CASH)
    make_invoice(w.family_b, month=datetime.date(2026, 10, 1), number=1, due_date=DUE)
    assert reminders.send_email_reminders(w.a, now=at(day(40))).sent == 0
    assert not OutboxEmail.objects.exists()


def test_a_reminder_written_by_another_sender_meanwhile_sends_nothing_twice(overdue):
    w = overdue
    invoice = Invoice.objects.select_related("family", "structure").get(pk=w.invoice.pk)
    Reminder.objects.create(invoice=invoice, level=1)  # the other sender committed after this one read its list
    with mock.patch.object(reminders, "due_for_email", return_value=[invoice]):
        assert reminders.send_email_reminders(w.a, now=at(day(20))).sent == 0
    assert not OutboxEmail.objects.exists()
    assert Reminder.objects.count() == 1


def test_the_email_is_in_the_parents_language(overdue):
    w = overdue
    w.dupont.language = "en"
    w.dupont.save()
    reminders.send_email_reminders(w.a, now=at(day(15)))
    english = OutboxEmail.objects.get(to="dupont@example.org")
    assert "Reminder: invoice F-2026-000001 to pay" in english.subject
    assert "Monday, November 30, 2026" in english.body_text
    assert "Rappel" in OutboxEmail.objects.get(to="dupont2@example.org").subject


def test_the_worker_sends_them_once_a_day_from_eight(overdue):
    def worker(now):
        return [answer for _receiver, answer in worker_pass.send_robust(sender=None, now=now) if answer]

    assert not any("Relances" in str(line) for line in worker(at(day(20), 7)))
    assert not OutboxEmail.objects.exists()
    assert "Relances : 1 facture en retard relancée par e-mail (2 e-mails)." in worker(at(day(20), 9))
    make_invoice(overdue.martin_a, month=datetime.date(2026, 10, 1), number=2, due_date=DUE)
    assert not any("Relances" in str(line) for line in worker(at(day(20), 11)))  # once that day
    assert OutboxEmail.objects.filter(kind="relance").count() == 2
    assert "Relances : 1 facture en retard relancée par e-mail (1 e-mails)." in worker(at(day(21), 9))


def test_the_list_to_print_after_the_email_then_marked_printed(overdue):
    w = overdue
    # MARTIN's family has no e-mail address: on the list as soon as the delay is over.
    w.martin.email = ""
    w.martin.save()
    martin = make_invoice(w.martin_a, month=datetime.date(2026, 10, 1), number=2, due_date=DUE)
    reminders.send_email_reminders(w.a, now=at(day(15)))
    rows = reminders.print_list(w.a, day(15))
    assert [(r.invoice, r.emailed_at) for r in rows] == [(martin, None)]
    # DUPONT's comes 15 days after its e-mail, if still unpaid.
    assert [r.invoice for r in reminders.print_list(w.a, day(29))] == [martin]
    assert [r.invoice for r in reminders.print_list(w.a, day(30))] == [w.invoice, martin]

    # A payment arrives between printing and marking: that invoice is not marked.
    ledger.record_payment(w.martin_a, 4200, PaymentMethod.CASH)
    marked = reminders.mark_printed(w.a, [w.invoice.pk, martin.pk], today=day(30), actor=w.staff_a)
    assert marked == 1
    assert list(Reminder.objects.filter(level=2).values_list("invoice", flat=True)) == [w.invoice.pk]
    assert reminders.print_list(w.a, day(31)) == []
    assert [r.invoice for r in reminders.print_list(w.a, day(31), include_printed=True)] == [w.invoice]
