"""Issue 16 acceptance, in real Chromium against the live server: the DUPONT
family sees its November invoice, pays it through the simulated bank and sees
it paid; a refused payment leaves it due with a French message.

Nothing is injected here: the bank's notification is a real server-to-server
HTTP POST from the bank's page to the live server (urllib), like a real
provider's, and the parent's return only shows what that answer recorded.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from portail.billing.models import BillingSettings, OnlinePayment, OnlinePaymentStatus, Payment
from tests.billing.invoice_rows import make_invoice
from tests.browser.header import open_menu
from tests.browser.test_booking_screens import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSED = "Le paiement a été refusé par la banque : votre facture reste à payer."


@pytest.fixture
def november(world):
    BillingSettings.objects.create(structure=world.a, payment_backend="simulated")
    return make_invoice(
        world.family_a,
        month=datetime.date(2026, 11, 1),
        number=12,
        lines=[("DUPONT Paolo", "APS MATIN", [datetime.date(2026, 11, 2), datetime.date(2026, 11, 3)], 2, 1170)],
        due_date=datetime.date(2099, 12, 31),
    )


def open_invoices(page):
    open_menu(page)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Factures").click()
    expect(page.get_by_role("heading", name="Factures", exact=True)).to_be_visible()


def invoice_row(page, invoice):
    return page.get_by_test_id(f"invoice-{invoice.reference}")


def pay_at_the_bank(page, choice):
    page.get_by_test_id("pay-all").click()
    expect(page.get_by_test_id("simbank-amount")).to_have_text("23,40\u00a0€")
    page.get_by_role("button", name=choice, exact=True).click()


def test_dupont_pays_its_november_invoice_and_sees_it_paid(page, live_server, world, password, november):
    log_in(page, live_server, password)
    open_invoices(page)
    row = invoice_row(page, november)
    expect(row).to_contain_text("Novembre 2026")
    expect(row).to_contain_text("23,40")
    expect(row.get_by_test_id("invoice-state")).to_have_text("À payer")
    expect(page.get_by_test_id("invoices-balance")).to_contain_text("Solde : 23,40\u00a0€ à payer")

    pay_at_the_bank(page, "Payer")

    expect(page).to_have_url(re.compile(r"/factures/$"))
    expect(page.get_by_text("Paiement reçu, merci.")).to_be_visible()
    expect(invoice_row(page, november).get_by_test_id("invoice-state")).to_have_text("Payée")
    expect(page.get_by_test_id("invoices-balance")).to_contain_text("Solde : rien à payer")
    expect(page.get_by_test_id("pay-all")).to_have_count(0)
    payment = Payment.objects.get()
    assert (payment.family, payment.amount_cents, payment.method) == (world.family_a, 2340, "online")
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PAID


def test_a_refused_payment_leaves_the_invoice_due_with_a_french_message(page, live_server, world, password, november):
    log_in(page, live_server, password)
    open_invoices(page)

    pay_at_the_bank(page, "Refuser")

    expect(page).to_have_url(re.compile(r"/factures/$"))
    expect(page.get_by_text(REFUSED)).to_be_visible()
    expect(invoice_row(page, november).get_by_test_id("invoice-state")).to_have_text("À payer")
    expect(page.get_by_test_id("pay-all")).to_be_visible()
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.REFUSED


def test_payer_en_ligne_clicked_twice_is_posted_once(page, live_server, world, password, november):
    """Issue 16 point 4: « Payer en ligne » clicked again while the first
    click's request is still on its way (a double click, a slow bank) sends
    nothing more (the form's data-submit-once, handled by menu.js)."""
    log_in(page, live_server, password)
    open_invoices(page)
    held = []  # the requests of « Payer en ligne », held until both clicks are done

    def hold(route):
        held.append(route)

    page.route("**/factures/payer/", hold)
    box = page.get_by_test_id("pay-all").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    # The parent's own mouse: a locator's click would wait for the first navigation.
    with page.expect_request("**/factures/payer/"):
        page.mouse.click(x, y)
    page.mouse.click(x, y)
    page.wait_for_timeout(500)  # time for a second request, if the page sent one, to reach the route
    requests = len(held)
    for route in held:
        route.continue_()
    page.unroute("**/factures/payer/", hold)

    expect(page.get_by_test_id("simbank-amount")).to_have_text("23,40\u00a0€")
    assert requests == 1
    assert OnlinePayment.objects.count() == 1

    # Back from the bank's page with « Précédent », the parent can click again:
    # sent to the same order (billing.online.start gives it again).
    bank_page = page.url
    page.go_back()
    page.get_by_test_id("pay-all").click()
    expect(page.get_by_test_id("simbank-amount")).to_have_text("23,40\u00a0€")
    assert page.url == bank_page
    assert OnlinePayment.objects.count() == 1
