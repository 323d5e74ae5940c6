"""The régie in a real browser (issue 16 point 5): CarteVille's agent finds
DUPONT, records a cheque with a double click (one payment), sees the invoice
« Payée » and the account settled; every régie screen passes axe (no serious
or critical violation) at 1280 px."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portail.billing.models import BillingSettings, Payment, PaymentMethod
from tests.billing.invoice_rows import make_invoice
from tests.browser.a11y import blocking_violations
from tests.browser.login import login_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cheque_recorded_once_and_every_regie_screen_accessible(browser, live_server, world, password):
    today = timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    BillingSettings.objects.create(structure=world.a, reminder_after_days=1)
    invoice = make_invoice(world.family_a, month=month, number=1, due_date=today - datetime.timedelta(days=3),
                           lines=[("DUPONT Paolo", "APS MATIN", [month], 4, 1050)])  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []

    def check(screen):
        problems.extend(blocking_violations(page, screen))

    login_staff(page, live_server, "agent.a", password)
    expect(page.get_by_role("link", name="Gestion quotidienne")).to_be_visible()

    page.goto(f"{live_server.url}/gestion/")
    page.get_by_role("link", name="Régie", exact=True).click()
    expect(page.get_by_label("Famille (nom ou référence)")).to_be_visible()
    check("régie: families that owe")
    page.get_by_label("Famille (nom ou référence)").fill("dupont")
    page.get_by_role("button", name="Rechercher").click()
    # The families that owe, before the search, list DUPONT too: follow the link the search shows.
    expect(page).to_have_url(re.compile(r"[?&]recherche=dupont"))
    page.get_by_role("link", name="M. DUPONT Jean-Paul").click()
    expect(page.get_by_test_id("regie-balance")).to_have_text("Solde : 42,00\u00a0€ à payer")
    check("régie: a family's account")

    page.get_by_label("Chèque").check()
    page.get_by_label("Montant en euros").fill("42,00")
    page.get_by_label("N° de reçu").fill("CHQ 7654321")
    page.get_by_test_id("regie-record-payment").dblclick()
    expect(page.get_by_test_id("regie-balance")).to_have_text("Compte soldé")
    expect(page.get_by_test_id("regie-invoices")).to_contain_text("Payée")
    payment = Payment.objects.get()  # the double click recorded one payment
    assert (payment.amount_cents, payment.method, payment.receipt_number) == (4200, PaymentMethod.CHEQUE, "CHQ 7654321")
    invoice.refresh_from_db()
    assert invoice.settled_cents == invoice.total_cents == 4200
    check("régie: the account after the payment")

    for path, screen in [("/gestion/regie/relances/", "reminders"), ("/gestion/regie/relances/a-imprimer/", "print"),
                         (f"/gestion/regie/exports/?du={month}&au={today}&documents=paiements", "exports")]:  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check(f"régie: {screen}")
    expect(page.get_by_test_id("regie-export")).to_contain_text("CHQ 7654321")
    assert not problems, "\n".join(problems)


def test_a_surplus_confirmed_then_the_payment_cancelled(browser, live_server, world, password):
    """A clerk types 1 000,50 € for 42,00 € due: the form asks to confirm the
    surplus, a missing receipt number is shown by its field, then the payment
    is cancelled with its reason (struck through); every state passes axe."""
    today = timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    invoice = make_invoice(world.family_a, month=month, number=1, due_date=today + datetime.timedelta(days=3),
                           lines=[("DUPONT Paolo", "APS MATIN", [month], 4, 1050)])  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    login_staff(page, live_server, "agent.a", password)
    expect(page.get_by_role("link", name="Gestion quotidienne")).to_be_visible()
    page.goto(f"{live_server.url}/gestion/regie/famille/{world.family_a.pk}/")
    expect(page.get_by_test_id("regie-balance")).to_have_text("Solde : 42,00\u00a0€ à payer")

    page.get_by_label("Montant en euros").fill("1000,50")
    page.get_by_test_id("regie-record-payment").click()
    # No receipt number for a cheque: the same page, the error by the field, the amount kept.
    expect(page.get_by_label("N° de reçu")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#p-recu-error")).to_contain_text("Indiquez le numéro du chèque")
    expect(page.get_by_label("Montant en euros")).to_have_value("1000,50")
    problems.extend(blocking_violations(page, "régie: a form error"))

    page.get_by_label("N° de reçu").fill("CHQ 1")
    page.get_by_test_id("regie-record-payment").click()
    expect(page.get_by_test_id("regie-confirm")).to_contain_text(
        "Ce paiement dépasse le solde dû (42,00\u00a0€) : 958,50\u00a0€ resteront au crédit de la famille."
    )
    problems.extend(blocking_violations(page, "régie: the surplus to confirm"))
    assert not Payment.objects.exists()
    page.get_by_test_id("regie-confirm-box").check()
    page.get_by_test_id("regie-record-payment").click()
    expect(page.get_by_test_id("regie-balance")).to_have_text("Crédit en faveur de la famille : 958,50\u00a0€")
    payment = Payment.objects.get()

    page.get_by_text("Annuler ce paiement", exact=True).first.click()  # the <summary>
    page.get_by_label("Motif de l'annulation").fill("Montant mal saisi")
    page.get_by_test_id(f"regie-cancel-{payment.pk}").click()
    expect(page.get_by_test_id("regie-balance")).to_have_text("Solde : 42,00\u00a0€ à payer")
    expect(page.get_by_test_id("regie-cancelled")).to_contain_text("Montant mal saisi")
    expect(page.get_by_test_id(f"regie-payment-{payment.pk}").locator("del").first).to_be_visible()
    problems.extend(blocking_violations(page, "régie: a cancelled payment"))
    invoice.refresh_from_db()
    assert invoice.settled_cents == 0
    assert not problems, "\n".join(problems)
