"""« Facturation » in a real browser (issue 16 point 2): CarteVille's agent
reads last month's preview (MARTIN's missing QF highlighted), issues with a
double click on the confirmation (two invoices, numbered once), opens an
invoice and makes a credit note, confirmed with a double click (one credit
note); every
screen passes axe (no serious or critical violation) at 1280 px."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portail.billing import invoicing
from portail.billing.models import Invoice, InvoiceKind
from portail.booking.models import BookingStatus
from portail.structures.models import Family
from tests import factories as f
from tests.billing.tariffs import make_tariff
from tests.browser.a11y import blocking_violations
from tests.browser.login import login_staff
from tests.helpers import make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_month_issued_once_and_a_credit_note_made_once(browser, live_server, world, password):
    today = timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    make_tariff(world.aps_a, {500: 150, None: 250}, valid_from=month)
    world.family_a.quotient_familial, world.family_a.qf_valid_until = 400, today + datetime.timedelta(days=200)
    world.family_a.save()
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    for day, child in ((2, world.paolo), (3, world.paolo), (4, world.leo)):
        make_booking(child=child, activity=world.aps_a, date=month.replace(day=day), status=BookingStatus.ACCEPTED)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []

    def check(screen):
        problems.extend(blocking_violations(page, screen))

    login_staff(page, live_server, "agent.a", password)
    page.goto(f"{live_server.url}/gestion/")
    page.get_by_role("link", name="Facturation", exact=True).click()
    expect(page.get_by_test_id("billing-summary")).to_contain_text("2 factures à émettre, pour un total de 5,50")
    expect(page.get_by_test_id("anomaly-row")).to_contain_text("MARTIN")
    check("facturation: the preview")

    page.get_by_test_id("issue-invoices").click()
    expect(page.get_by_test_id("issue-summary")).to_contain_text("2 factures seront émises")
    check("facturation: the confirmation")
    page.get_by_test_id("confirm-issue").dblclick()
    expect(page.get_by_test_id("invoices")).to_contain_text("F-")
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2]  # the double click issued once
    check("facturation: the issued invoices")

    dupont = Invoice.objects.get(family=world.family_a)
    page.get_by_role("link", name=dupont.reference, exact=True).click()
    expect(page.get_by_test_id("invoice-total")).to_have_text("3,00\u00a0€")
    check("facturation: an invoice")
    page.get_by_label("Avoir partiel").check()
    page.get_by_label("montant en euros").fill("1,50")
    page.get_by_label("Motif").fill("Absence justifiée")
    page.get_by_test_id("make-credit-note").click()
    # A confirmation first: the invoice, the amount, the reason; nothing issued yet.
    expect(page.get_by_test_id("credit-note-amount")).to_have_text("1,50\u00a0€")
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()
    check("facturation: the credit note's confirmation")
    page.get_by_test_id("confirm-credit-note").dblclick()
    expect(page.get_by_test_id("invoice-credit-notes")).to_contain_text("Absence justifiée")
    notes = Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, corrects=dupont)
    assert list(notes.values_list("total_cents", flat=True)) == [150]  # the double click made one
    check("facturation: the invoice with its credit note")
    assert not problems, "\n".join(problems)


def test_the_preview_says_a_month_is_not_over_and_what_changed_since_an_issue(browser, live_server, world, password):
    """The current month: a notice and no « Émettre »; last month, issued, then
    MARTIN's QF arrives: the issued total, the difference and the link to the
    invoice (where the credit note is made); both pass axe."""
    today = timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    make_tariff(world.aps_a, {500: 150, None: 250}, valid_from=month)
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    make_booking(child=world.leo, activity=world.aps_a, date=month.replace(day=4), status=BookingStatus.ACCEPTED)
    (martin,) = invoicing.issue(world.a, month, actor=world.staff_a)
    Family.objects.filter(pk=world.martin_a.pk).update(quotient_familial=300,
                                                       qf_valid_until=today + datetime.timedelta(days=200))  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    login_staff(page, live_server, "agent.a", password)
    page.goto(f"{live_server.url}/gestion/facturation/?mois={month:%Y-%m}")
    expect(page.get_by_test_id("issued-difference")).to_contain_text(
        "Différence depuis l'émission : \u22121,00\u00a0€ — faites un avoir si elle est justifiée"
    )
    problems.extend(blocking_violations(page, "facturation: an issued month changed since"))
    page.get_by_role("link", name=f"voir la facture {martin.reference}").click()
    expect(page.get_by_test_id("credit-note-form")).to_be_visible()
    page.goto(f"{live_server.url}/gestion/facturation/?mois={today:%Y-%m}")
    expect(page.get_by_test_id("month-not-over")).to_contain_text("n'est pas terminé")
    expect(page.get_by_test_id("issue-invoices")).to_have_count(0)
    problems.extend(blocking_violations(page, "facturation: a month not over"))
    assert not problems, "\n".join(problems)
