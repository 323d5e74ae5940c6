"""What the invoice PDF says of money (issue 16 point 2, the review of the
demo): a paid invoice says it is paid, a partly paid one its remainder, a
credit note « Émis le » (un avoir), and a line priced at the top bracket for
want of a valid QF says why, on the PDF and the staff's invoice page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from portail.billing import invoicing, ledger
from portail.billing.models import InvoiceKind, PaymentMethod
from portail.billing.pdf import invoice_pdf
from portail.booking.models import BookingStatus
from portail.structures.models import Family
from tests import factories as f
from tests.billing.invoice_rows import make_invoice
from tests.billing.tariffs import NOVEMBER, make_tariff
from tests.billing.test_pdf import read_back
from tests.helpers import make_booking, page_text

ISSUE_AT = timezone.make_aware(datetime.datetime(2026, 12, 2, 10, 0))


@pytest.fixture
def invoice(world):
    return make_invoice(world.family_a, number=40, due_date=datetime.date(2026, 12, 31))  # 5,00 €


def test_an_unpaid_invoice_says_what_to_pay_and_by_when(invoice):
    text, _pages = read_back(invoice_pdf(invoice))
    assert "Montant à payer : 5,00 €, avant le jeudi 31 décembre 2026" in text
    assert "acquittée" not in text and "Déjà réglé" not in text


def test_a_paid_invoice_says_it_is_paid_and_nothing_is_left(world, invoice):
    ledger.record_payment(world.family_a, 500, PaymentMethod.CHEQUE, receipt_number="CHQ-1",
                          received_on=datetime.date(2026, 12, 4))  # fmt: skip
    invoice.refresh_from_db()
    text, _pages = read_back(invoice_pdf(invoice))
    assert "Facture acquittée le vendredi 4 décembre 2026" in text
    assert "Déjà réglé : 5,00 €" in text and "Reste à payer : 0,00 €" in text
    assert "Montant à payer" not in text


def test_a_partly_paid_invoice_says_its_remainder(world, invoice):
    ledger.record_payment(world.family_a, 200, PaymentMethod.CASH, received_on=datetime.date(2026, 12, 4))
    invoice.refresh_from_db()
    text, _pages = read_back(invoice_pdf(invoice))
    assert "Déjà réglé : 2,00 €" in text
    assert "Reste à payer : 3,00 €, avant le jeudi 31 décembre 2026" in text
    assert "acquittée" not in text and "Montant à payer : 5,00" not in text


def test_a_credit_note_is_emis_not_emise(world, invoice):
    note = invoicing.credit_note(invoice, amount_cents=100, reason="Erreur", actor=world.staff_a, now=ISSUE_AT)
    text, _pages = read_back(invoice_pdf(note))
    assert "Émis le mercredi 2 décembre 2026" in text and "Émise le" not in text
    assert note.kind == InvoiceKind.CREDIT_NOTE
    invoice_text, _pages = read_back(invoice_pdf(invoice))
    assert "Émise le" in invoice_text


def test_a_line_at_the_top_bracket_for_want_of_a_qf_says_why(client, world):
    """MARTIN has no QF: the top bracket, and the invoice says so; DUPONT's QF
    ends on 15/11: its days after are at the top bracket, from the 16th."""
    make_tariff(world.aps_a, {500: 150, None: 250})
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    Family.objects.filter(pk=world.family_a.pk).update(
        quotient_familial=400, qf_valid_until=datetime.date(2026, 11, 15)
    )
    for child, day in ((world.leo, 4), (world.paolo, 2), (world.paolo, 16), (world.paolo, 17)):
        make_booking(child=child, activity=world.aps_a, date=NOVEMBER.replace(day=day), status=BookingStatus.ACCEPTED)
    preview = {fp.family.pk: fp for fp in invoicing.preview(world.a, NOVEMBER).families}
    assert [line.note for line in preview[world.martin_a.pk].lines] == [
        "Tarif maximum appliqué : pas de quotient familial valide au 04/11/2026"
    ]
    invoices = {i.family_id: i for i in invoicing.issue(world.a, NOVEMBER, actor=world.staff_a, now=ISSUE_AT)}
    martin_text, _pages = read_back(invoice_pdf(invoices[world.martin_a.pk]))
    assert "Tarif maximum appliqué : pas de quotient familial valide au 04/11/2026" in martin_text
    dupont = invoices[world.family_a.pk]
    labels = {line.unit_price_cents: line.label for line in dupont.lines.all()}
    assert labels[150] == "APS MATIN"  # the 2nd, with a valid QF
    assert labels[250] == "APS MATIN — Tarif maximum appliqué : pas de quotient familial valide au 16/11/2026"
    client.force_login(world.staff_a)
    page = page_text(client.get(reverse("staff:invoice", args=[dupont.pk])))
    assert "Tarif maximum appliqué : pas de quotient familial valide au 16/11/2026" in page
