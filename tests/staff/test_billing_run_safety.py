"""« Facturation », what the review of the demo found (issue 16 point 2):
a month not over is refused (view and service), the preview of an invoiced
month shows the issued invoice and how today's computation differs from it,
absences still « À examiner » are an anomaly, and « Faire un avoir » asks to
confirm an explicit total or partial amount before the credit note is made."""

import contextlib
import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portail.billing import invoicing
from portail.billing.errors import BillingError
from portail.billing.models import Invoice, InvoiceKind
from portail.booking.models import BookingStatus
from portail.dossier.models import Absence, AbsenceReason, AbsenceStatus
from portail.structures.models import Family
from tests import factories as f
from tests.billing.invoice_rows import make_invoice
from tests.billing.tariffs import NOVEMBER, make_tariff
from tests.fuzz.values import fingerprint
from tests.helpers import make_booking, page_text, set_booking_status

DECEMBER_2 = timezone.make_aware(datetime.datetime(2026, 12, 2, 9, 0))  # November is over


@pytest.fixture
def month(world):
    """November at CarteVille (the staff screens' clock is 26/11): DUPONT (QF
    400) has Paolo on APS MATIN two days at 1,50 €, MARTIN (no QF: the top
    bracket) Léo one day at 2,50 €."""
    make_tariff(world.aps_a, {500: 150, None: 250})
    Family.objects.filter(pk=world.family_a.pk).update(quotient_familial=400, qf_valid_until=datetime.date(2027, 6, 30))
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    for day in (2, 3):
        make_booking(child=world.paolo, activity=world.aps_a, date=NOVEMBER.replace(day=day),
                     status=BookingStatus.ACCEPTED)  # fmt: skip
    world.leo_booking = make_booking(child=world.leo, activity=world.aps_a, date=NOVEMBER.replace(day=4),
                                     status=BookingStatus.ACCEPTED)  # fmt: skip
    return world


@contextlib.contextmanager
def december(client, world):
    """On 2 December (November is over), logged in again: the staff session
    of 26/11 has expired by then."""
    with time_machine.travel(DECEMBER_2, tick=False):
        client.force_login(world.staff_a)
        yield


def _issue(client, world, month, **more):
    return client.post(reverse("staff:billing_issue"), {"structure": world.a.pk, "mois": month, **more})


# ------------------------------------------------------------ point 1: a month not over


@pytest.mark.parametrize(
    ("mois", "message"),
    [
        ("2026-12", "Le mois de décembre n'est pas terminé : ses factures pourront être émises à partir du 01/01."),
        ("2026-11", "Le mois de novembre n'est pas terminé : ses factures pourront être émises à partir du 01/12."),
    ],
)
def test_issuing_a_month_not_over_is_refused_in_french_and_writes_nothing(staff, month, mois, message):
    before = fingerprint()
    for confirmation in ("", "oui"):
        response = _issue(staff, month, mois, confirmation=confirmation)
        assert response.status_code == 400
        assert message in page_text(response)
    assert fingerprint() == before and not Invoice.objects.exists()


def test_the_preview_of_a_month_not_over_says_so_and_offers_no_issue(staff, month):
    text = page_text(staff.get(reverse("staff:billing"), {"mois": "2026-11"}))
    assert 'data-testid="month-not-over"' in text
    assert "Le mois de novembre n'est pas terminé : ses factures pourront être émises à partir du 01/12." in text
    assert "2 factures à émettre" in text  # still previewed
    assert 'data-testid="issue-invoices"' not in text
    october = page_text(staff.get(reverse("staff:billing"), {"mois": "2026-10"}))
    assert 'data-testid="month-not-over"' not in october


def test_the_service_refuses_a_month_until_its_last_day_is_past(month):
    for now in (timezone.make_aware(datetime.datetime(2026, 11, 30, 23, 59)),
                timezone.make_aware(datetime.datetime(2026, 11, 27, 10, 0))):  # fmt: skip
        before = fingerprint()
        with pytest.raises(BillingError, match="Le mois de novembre n'est pas terminé"):
            invoicing.issue(month.a, NOVEMBER, actor=month.staff_a, now=now)
        assert fingerprint() == before
    with pytest.raises(BillingError, match="Le mois de décembre n'est pas terminé.*à partir du 01/01"):
        invoicing.issue(month.a, datetime.date(2026, 12, 1), actor=month.staff_a, now=DECEMBER_2)
    first_day = timezone.make_aware(datetime.datetime(2026, 12, 1, 0, 1))
    invoices = invoicing.issue(month.a, NOVEMBER, actor=month.staff_a, now=first_day)
    assert len(invoices) == 2
    for invoice in invoices:  # the default 30 days of payment terms, never before the period's end + terms
        assert invoice.due_date >= invoice.period_end + datetime.timedelta(days=30)


def test_once_the_month_is_over_the_view_issues(staff, month):
    with december(staff, month):
        assert _issue(staff, month, "2026-11", confirmation="oui").status_code == 302
    assert Invoice.objects.filter(kind=InvoiceKind.INVOICE).count() == 2


# ------------------------------------------------------------ point 2: the preview after issuing


def test_the_preview_after_issuing_shows_the_invoice_and_the_difference_since(staff, month):
    with december(staff, month):
        _issue(staff, month, "2026-11", confirmation="oui")
        martin = Invoice.objects.get(family=month.martin_a)
        assert martin.total_cents == 250
        # MARTIN's attestation arrives after the issue: today's computation is 1,50 €.
        Family.objects.filter(pk=month.martin_a.pk).update(quotient_familial=300,
                                                           qf_valid_until=datetime.date(2027, 6, 30))  # fmt: skip
        text = page_text(staff.get(reverse("staff:billing"), {"mois": "2026-11"}))
        row = text.split(f'data-family="{month.martin_a.pk}"')[1].split("</tr>")[0]
        assert "2,50\u00a0€" in row and "1,00\u00a0€ = 1,50" not in row.split("</td>")[1]
        assert "Différence depuis l'émission : \u22121,00\u00a0€ — faites un avoir si elle est justifiée" in row
        assert reverse("staff:invoice", args=[martin.pk]) in row
        dupont = text.split(f'data-family="{month.family_a.pk}"')[1].split("</tr>")[0]
        assert "Différence depuis l'émission" not in dupont
        # The credit note made, nothing is left to correct.
        invoicing.credit_note(martin, amount_cents=100, reason="QF reçu", actor=month.staff_a)
        text = page_text(staff.get(reverse("staff:billing"), {"mois": "2026-11"}))
        row = text.split(f'data-family="{month.martin_a.pk}"')[1].split("</tr>")[0]
        assert "Différence depuis l'émission" not in row and "après avoirs : 1,50\u00a0€" in row


def test_an_invoiced_family_with_nothing_billable_today_still_shows_its_invoice(staff, month):
    with december(staff, month):
        _issue(staff, month, "2026-11", confirmation="oui")
        martin = Invoice.objects.get(family=month.martin_a)
        set_booking_status(month.leo_booking, BookingStatus.CANCELLED)
        text = page_text(staff.get(reverse("staff:billing"), {"mois": "2026-11"}))
    row = text.split(f'data-family="{month.martin_a.pk}"')[1].split("</tr>")[0]
    assert martin.reference in row
    assert "Différence depuis l'émission : \u22122,50\u00a0€ — faites un avoir si elle est justifiée" in row


def _absence(world, child, start, end, status=AbsenceStatus.PENDING):
    return Absence.objects.create(family=child.family, child=child, start_date=start, end_date=end,
                                  reason=AbsenceReason.ILLNESS, status=status)  # fmt: skip


def test_absences_still_to_examine_on_the_month_are_an_anomaly(staff, month):
    _absence(month, month.paolo, datetime.date(2026, 11, 2), datetime.date(2026, 11, 3))
    _absence(month, month.leo, datetime.date(2026, 10, 30), datetime.date(2026, 11, 2))  # overlaps the month
    _absence(month, month.paolo, datetime.date(2026, 12, 7), datetime.date(2026, 12, 7))  # another month
    _absence(month, month.paolo, datetime.date(2026, 11, 9), datetime.date(2026, 11, 9), AbsenceStatus.JUSTIFIED)
    _absence(month, month.paolo_b, datetime.date(2026, 11, 9), datetime.date(2026, 11, 9))  # Les Pinsons'
    text = page_text(staff.get(reverse("staff:billing"), {"mois": "2026-11"}))
    anomalies = text.split('data-testid="billing-anomalies"')[1].split("</div>")[0]
    assert "2 absences à examiner sur ce mois : décidez-les avant d'émettre" in anomalies
    Absence.objects.filter(child=month.leo).update(status=AbsenceStatus.NOT_JUSTIFIED)
    text = page_text(staff.get(reverse("staff:billing"), {"mois": "2026-11"}))
    assert "1 absence à examiner sur ce mois : décidez-la avant d'émettre" in text
    with december(staff, month):  # and on the confirmation page
        assert "1 absence à examiner sur ce mois" in page_text(_issue(staff, month, "2026-11"))


# ------------------------------------------------------------ point 3: a credit note, confirmed


@pytest.fixture
def due(world):
    return make_invoice(
        world.family_a, month=datetime.date(2026, 10, 1), number=2, due_date=datetime.date(2026, 12, 31)
    )  # 5,00 €


def _credit(client, invoice, **data):
    return client.post(reverse("staff:credit_note", args=[invoice.pk]), {"avoirs": "0", **data})


def test_a_credit_note_is_shown_to_confirm_before_it_is_made(staff, due):
    before = fingerprint()
    response = _credit(staff, due, etendue="partiel", montant="1,50", motif="Absence justifiée le 02/10")
    assert response.status_code == 200
    text = page_text(response)
    assert due.reference in text and "1,50\u00a0€" in text and "Absence justifiée le 02/10" in text
    assert 'data-testid="confirm-credit-note"' in text and "Confirmer l'avoir" in text
    assert reverse("staff:invoice", args=[due.pk]) in text.split('data-testid="cancel-credit-note"')[0][-200:]
    assert fingerprint() == before  # nothing issued yet
    confirmed = _credit(staff, due, etendue="partiel", montant="1,50", motif="Absence justifiée le 02/10",
                        confirmation="oui")  # fmt: skip
    assert confirmed.status_code == 302
    assert list(Invoice.objects.filter(corrects=due).values_list("total_cents", flat=True)) == [150]
    # The confirmation sent twice (double click, back button): still one credit note.
    before = fingerprint()
    twice = _credit(staff, due, etendue="partiel", montant="1,50", motif="Absence justifiée le 02/10",
                    confirmation="oui")  # fmt: skip
    assert twice.status_code == 400 and "Un avoir vient d'être fait" in page_text(twice)
    assert fingerprint() == before


def test_the_total_is_an_explicit_choice_and_an_empty_amount_never_means_all(staff, due):
    text = page_text(staff.get(reverse("staff:invoice", args=[due.pk])))
    assert "Avoir total (5,00\u00a0€)" in text and "Avoir partiel" in text
    before = fingerprint()
    for data in ({"montant": "", "motif": "Erreur"}, {"etendue": "partiel", "montant": "", "motif": "Erreur"},
                 {"etendue": "tout", "motif": "Erreur"},
                 {"etendue": "partiel", "montant": "", "motif": "Erreur", "confirmation": "oui"}):  # fmt: skip
        response = _credit(staff, due, **data)
        assert response.status_code == 400, data
        assert "avoir total ou un avoir partiel" in page_text(response) or "montant de l'avoir partiel" in page_text(
            response
        )
    assert fingerprint() == before
    shown = page_text(_credit(staff, due, etendue="total", motif="Facture annulée"))
    assert "5,00\u00a0€" in shown and "tout ce qui reste de la facture" in shown
    assert fingerprint() == before
    assert _credit(staff, due, etendue="total", motif="Facture annulée", confirmation="oui").status_code == 302
    assert list(Invoice.objects.filter(corrects=due).values_list("total_cents", flat=True)) == [500]


def test_a_credit_note_beyond_what_is_left_is_refused_before_its_confirmation(staff, due):
    before = fingerprint()
    response = _credit(staff, due, etendue="partiel", montant="5,01", motif="Trop")
    assert response.status_code == 400 and "ne peut pas dépasser 5,00" in page_text(response)
    assert fingerprint() == before
