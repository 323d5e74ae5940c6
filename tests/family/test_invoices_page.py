"""The family's « Factures » page (issue 16 point 3): its invoices and credit
notes with their state, the PDF of each, the balance of its account, and
« Payer en ligne » only for what is due and only when its structure takes
online payment. Another family's or structure's invoices never show."""

import datetime
import re

import pytest
from django.urls import reverse

from portail.billing import ledger
from portail.billing.models import BillingSettings, InvoiceKind, OnlinePayment, OnlinePaymentStatus
from tests.billing.invoice_rows import make_invoice
from tests.helpers import page_text

TODAY = datetime.date(2026, 12, 15)


@pytest.fixture
def w(world, client, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 15, 10, 0, tzinfo=datetime.UTC), tick=False)
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    world.client = client
    return world


def rows(text):
    """{reference: state} of the page's invoice rows."""
    return {ref: state for state, ref in re.findall(r'data-state="(\w+)" data-testid="invoice-([\w-]+)"', text)}


def page(w):
    response = w.client.get(reverse("family:invoices"))
    assert response.status_code == 200
    return page_text(response)


def test_states_amounts_and_balance(w):
    september = make_invoice(
        w.family_a, month=datetime.date(2026, 9, 1), number=1, due_date=datetime.date(2026, 10, 31)
    )
    october = make_invoice(w.family_a, month=datetime.date(2026, 10, 1), number=2, due_date=datetime.date(2026, 11, 30))
    november = make_invoice(
        w.family_a, month=datetime.date(2026, 11, 1), number=3, due_date=datetime.date(2026, 12, 31),
        lines=[("DUPONT Paolo", "APS MATIN", [datetime.date(2026, 11, 2)], 3, 780)],
    )  # fmt: skip
    ledger.record_payment(w.family_a, 500, "cheque", receipt_number="C1", received_on=datetime.date(2026, 11, 3))

    text = page(w)

    # The payment went to the oldest: September paid, October late, November due.
    assert rows(text) == {september.reference: "paid", october.reference: "overdue", november.reference: "due"}
    assert "Payée" in text and "En retard" in text and "À payer" in text
    assert "Novembre 2026" in text and "23,40\u00a0€" in text
    assert "Solde : 28,40\u00a0€ à payer" in text  # 5,00 + 5,00 + 23,40 − 5,00
    assert ledger.balance_cents(w.family_a) == 2840


def test_a_credit_note_and_a_credit_balance(w):
    november = make_invoice(w.family_a, number=1)
    make_invoice(w.family_a, number=1, kind=InvoiceKind.CREDIT_NOTE, corrects=november, reason="Erreur")
    ledger.allot(w.family_a.pk)
    ledger.record_payment(w.family_a, 1200, "cash")

    text = page(w)

    assert rows(text)["A-2026-000001"] == "credit"
    assert "Avoir sur la facture F-2026-000001" in text
    assert rows(text)["F-2026-000001"] == "paid"
    assert "Crédit : 12,00\u00a0€" in text
    assert 'data-testid="pay-all"' not in text


def test_each_invoice_links_to_its_pdf(w):
    november = make_invoice(w.family_a, number=1)
    assert reverse("family:invoice_pdf", args=[november.pk]) in page(w)


def test_payer_en_ligne_only_when_due_and_offered(w):
    november = make_invoice(w.family_a, number=1)
    assert 'data-testid="pay-all"' not in page(w)  # no provider for CarteVille yet

    BillingSettings.objects.create(structure=w.a, payment_backend="simulated")
    text = page(w)
    assert "Payer en ligne : 5,00\u00a0€" in text
    assert f'name="facture" value="{november.pk}"' in text

    ledger.record_payment(w.family_a, 500, "cheque")
    text = page(w)
    assert 'data-testid="pay-all"' not in text and "Solde : rien à payer" in text


def test_a_payment_en_cours_is_said(w):
    make_invoice(w.family_a, number=1)
    BillingSettings.objects.create(structure=w.a, payment_backend="simulated")
    OnlinePayment.objects.create(structure=w.a, family=w.family_a, amount_cents=500, order_id="o1", backend="simulated")
    assert "attend encore la réponse de la banque" in page(w)
    OnlinePayment.objects.update(status=OnlinePaymentStatus.REFUSED)
    assert "Un paiement en ligne est en cours de vérification" not in page(w)


def test_only_the_current_familys_invoices(w):
    """DUPONT's CarteVille page never shows MARTIN's nor DUPONT's own Pinsons invoices."""
    make_invoice(w.family_a, number=1)
    make_invoice(w.martin_a, number=2)
    make_invoice(w.family_b, number=1)

    text = page(w)
    assert list(rows(text)) == ["F-2026-000001"]
    assert "F-2026-000002" not in text and "5,00" in text
    assert "Solde : 5,00\u00a0€ à payer" in text  # MARTIN's and the Pinsons' not counted


def test_another_familys_invoice_or_payment_is_a_404_and_creates_nothing(w):
    BillingSettings.objects.create(structure=w.a, payment_backend="simulated")
    martins = make_invoice(w.martin_a, number=2)
    pinsons = make_invoice(w.family_b, number=1)
    martins_payment = OnlinePayment.objects.create(
        structure=w.a, family=w.martin_a, amount_cents=500, order_id="martin1", backend="simulated"
    )

    for invoice in (martins, pinsons):
        assert w.client.post(reverse("family:pay"), {"facture": invoice.pk}).status_code == 404
    assert w.client.get(reverse("family:payment_return", args=[martins_payment.order_id])).status_code == 404
    assert OnlinePayment.objects.count() == 1


def test_pay_refuses_get_and_a_malformed_invoice_id(w):
    assert w.client.get(reverse("family:pay")).status_code == 405
    for value in ("abc", "-1", "1e3", "9" * 30):
        assert w.client.post(reverse("family:pay"), {"facture": value}).status_code == 404
    assert not OnlinePayment.objects.exists()


def test_a_payment_en_cours_is_said_with_its_amount_and_time_while_something_is_due(w):
    """A parent back from the bank without an answer yet must not pay twice:
    the page says what is waiting and what to do; once nothing is due it
    says nothing (found by the review of the demo: « en cours » sat next to
    « Solde : rien à payer »)."""
    november = make_invoice(
        w.family_a, month=datetime.date(2026, 11, 1), number=1, due_date=datetime.date(2026, 12, 31)
    )
    started = OnlinePayment.objects.create(
        structure=w.a, family=w.family_a, amount_cents=november.total_cents, order_id="20261215pending",
        backend="simulated", status=OnlinePaymentStatus.PENDING,
    )  # fmt: skip
    OnlinePayment.objects.filter(pk=started.pk).update(
        created_at=datetime.datetime(2026, 12, 15, 8, 41, tzinfo=datetime.UTC)
    )

    text = page(w)
    assert 'data-testid="payment-pending"' in text
    assert (
        "Un paiement en ligne de 5,00\u00a0€, commencé le mar. 15/12 à 09:41, attend encore la réponse de la banque. "
        "Si votre compte a été débité, ne payez pas à nouveau"
    ) in text

    ledger.record_payment(w.family_a, november.total_cents, "cheque", receipt_number="C9")
    assert 'data-testid="payment-pending"' not in page(w)
