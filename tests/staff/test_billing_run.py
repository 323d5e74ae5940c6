"""« Facturation » (issue 16 point 2): the staff's monthly run (preview, then
« Émettre » with a confirmation, once), the issued invoices filtered by month
and state, an invoice's page and PDF, « Faire un avoir »; each scoped to the
staff member's structures (another structure's invoice is a 404)."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from portail.accounts.models import StaffRole
from portail.billing import invoicing, ledger
from portail.billing.models import Invoice, InvoiceKind, PaymentMethod
from portail.booking.models import BookingStatus
from portail.notifications.models import OutboxEmail
from portail.structures.models import Family
from tests import factories as f
from tests.billing.invoice_rows import make_invoice
from tests.billing.tariffs import NOVEMBER, make_tariff
from tests.fuzz.values import fingerprint
from tests.helpers import make_booking, page_text

MONTH = "2026-11"


@pytest.fixture
def month(world):
    """November at CarteVille: DUPONT (QF 400, valid) has Paolo on APS MATIN
    two days, MARTIN (no QF: top bracket, an anomaly) Léo one day."""
    make_tariff(world.aps_a, {500: 150, None: 250})
    Family.objects.filter(pk=world.family_a.pk).update(quotient_familial=400, qf_valid_until=datetime.date(2027, 6, 30))
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    for day in (2, 3):
        make_booking(child=world.paolo, activity=world.aps_a, date=NOVEMBER.replace(day=day),
                     status=BookingStatus.ACCEPTED)  # fmt: skip
    make_booking(child=world.leo, activity=world.aps_a, date=NOVEMBER.replace(day=4), status=BookingStatus.ACCEPTED)
    return world


def _issue(client, world, **more):
    return client.post(reverse("staff:billing_issue"), {"structure": world.a.pk, "mois": MONTH, **more})


@pytest.fixture
def december(staff, world):
    """2 December: November is over, it can be issued (logged in again: the
    session of 26/11 has expired by then)."""
    with time_machine.travel(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        staff.force_login(world.staff_a)
        yield staff


def test_the_preview_shows_families_lines_totals_and_anomalies_and_writes_nothing(staff, month):
    before = fingerprint()
    response = staff.get(reverse("staff:billing"), {"mois": MONTH})
    assert response.status_code == 200
    text = page_text(response)
    assert "2 factures à émettre, pour un total de 5,50\u00a0€." in text
    assert "M. DUPONT Jean-Paul" in text and "M. MARTIN Luc" in text
    assert "lun. 02/11, mar. 03/11 — 2 × 1,50\u00a0€ = 3,00\u00a0€" in text
    assert "mer. 04/11 — 1 × 2,50\u00a0€ = 2,50\u00a0€" in text
    # MARTIN's row is the one highlighted, with the anomaly in words.
    assert text.count('data-testid="anomaly-row"') == 1
    row = text.split('data-testid="anomaly-row"')[1].split("</tr>")[0]
    assert "MARTIN" in row and "Quotient familial manquant ou expiré" in row
    assert 'data-testid="billing-anomalies"' in text
    assert fingerprint() == before


def test_the_preview_defaults_to_the_previous_month(staff, month):
    text = page_text(staff.get(reverse("staff:billing")))
    assert 'value="2026-10"' in text  # on 26/11, the run to do is October's
    assert "Aperçu d'octobre 2026" in text


def test_issuing_asks_to_confirm_then_issues_once(december, month):
    staff = december
    before = fingerprint()
    confirm = _issue(staff, month)
    assert confirm.status_code == 200
    assert "2 factures seront émises, pour un total de 5,50\u00a0€." in page_text(confirm)
    assert fingerprint() == before  # the confirmation page writes nothing
    response = _issue(staff, month, confirmation="oui")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:invoices") + f"?structure={month.a.pk}&mois={MONTH}"
    invoices = Invoice.objects.filter(structure=month.a).order_by("number")
    assert [(i.family_id, i.total_cents) for i in invoices] == [(month.family_a.pk, 300), (month.martin_a.pk, 250)]
    listing = page_text(staff.get(response["Location"]))
    assert "2 factures émises (F-2026-000001 à F-2026-000002) pour un total de 5,50\u00a0€." in listing
    assert "F-2026-000001" in listing and "F-2026-000002" in listing
    # The double submit, the back button: nothing more, and it says so.
    again = _issue(staff, month, confirmation="oui")
    assert again.status_code == 302 and Invoice.objects.count() == 2
    assert "Aucune nouvelle facture" in page_text(staff.get(again["Location"]))
    assert OutboxEmail.objects.filter(kind="facture").count() == 3  # DUPONT's two addresses, MARTIN's one


def test_the_preview_after_issuing_links_each_family_to_its_invoice(december, month):
    staff = december
    _issue(staff, month, confirmation="oui")
    text = page_text(staff.get(reverse("staff:billing"), {"mois": MONTH}))
    assert "0 facture à émettre" in text and "2 familles déjà facturées pour ce mois." in text
    assert 'data-testid="issue-invoices"' not in text
    invoice = Invoice.objects.get(family=month.family_a)
    assert reverse("staff:invoice", args=[invoice.pk]) in text


@pytest.fixture
def invoices(world):
    """A paid, a due, an overdue invoice of CarteVille (written as issued), a
    credit note (through the invoicing: its number from the sequence), and
    Les Pinsons' invoice."""
    w = world
    w.paid = make_invoice(w.family_a, month=datetime.date(2026, 9, 1), number=1, settled_cents=500)
    w.due = make_invoice(w.family_a, month=datetime.date(2026, 10, 1), number=2, due_date=datetime.date(2026, 12, 31))
    w.overdue = make_invoice(w.martin_a, month=datetime.date(2026, 10, 1), number=3,
                             due_date=datetime.date(2026, 11, 10))  # fmt: skip
    w.credit = invoicing.credit_note(w.overdue, amount_cents=100, reason="Erreur", actor=w.staff_a)
    w.invoice_b = make_invoice(w.family_b, number=1)
    return w


@pytest.mark.parametrize(
    ("state", "expected"),
    [("", {"paid", "due", "overdue", "credit"}), ("payee", {"paid"}), ("a_payer", {"due"}),
     ("en_retard", {"overdue"}), ("avoirs", {"credit"})],
)  # fmt: skip
def test_the_list_filters_by_state_as_the_ledger_judges(staff, invoices, state, expected):
    text = page_text(staff.get(reverse("staff:invoices"), {"etat": state}))
    links = {name: f'href="{reverse("staff:invoice", args=[getattr(invoices, name).pk])}"'
             for name in ("paid", "due", "overdue", "credit", "invoice_b")}  # fmt: skip
    shown = {name for name, link in links.items() if link in text}
    assert shown == expected  # and never Les Pinsons' invoice
    today = datetime.date(2026, 11, 26)
    states = {"paid": "paid", "due": "due", "overdue": "overdue", "credit": "credit"}
    for name in expected:
        assert ledger.invoice_state(getattr(invoices, name), today) == states[name]


def test_the_list_filters_by_month(staff, invoices):
    text = page_text(staff.get(reverse("staff:invoices"), {"mois": "2026-09"}))
    assert f'href="{reverse("staff:invoice", args=[invoices.paid.pk])}"' in text
    assert f'href="{reverse("staff:invoice", args=[invoices.due.pk])}"' not in text


@pytest.mark.parametrize(
    ("search", "expected"),
    [("F-2026-000002", {"due"}), ("000003", {"overdue"}), ("martin", {"overdue", "credit"}),
     ("DUPONT", {"paid", "due"}), ("dup", {"paid", "due"}), ("Pinsons", set()), ("<b>inconnu", set())],
)  # fmt: skip
def test_the_list_finds_an_invoice_by_number_family_name_or_reference(staff, invoices, search, expected):
    """A family on the phone gives its name or an invoice number: the clerk
    types it (found by the review of the demo: no search on 200 families)."""
    response = staff.get(reverse("staff:invoices"), {"recherche": search})
    assert response.status_code == 200
    text = page_text(response)
    links = {name: f'href="{reverse("staff:invoice", args=[getattr(invoices, name).pk])}"'
             for name in ("paid", "due", "overdue", "credit", "invoice_b")}  # fmt: skip
    assert {name for name, link in links.items() if link in text} == expected
    assert b"<b>inconnu" not in response.content  # kept in the box, escaped


def test_a_hostile_search_is_a_french_message(staff, invoices):
    response = staff.get(reverse("staff:invoices"), {"recherche": "x" * 101})
    assert response.status_code == 400
    assert "Recherche trop longue : 100 caractères au plus." in page_text(response)


def test_staff_never_see_another_structures_invoices(client, invoices):
    client.force_login(invoices.staff_b)
    text = page_text(client.get(reverse("staff:invoices")))
    assert invoices.invoice_b.family_name in text
    assert f'href="{reverse("staff:invoice", args=[invoices.due.pk])}"' not in text
    before = fingerprint()
    for name in ("staff:invoice", "staff:invoice_pdf"):
        assert client.get(reverse(name, args=[invoices.due.pk])).status_code == 404
    assert client.post(reverse("staff:credit_note", args=[invoices.due.pk]),
                       {"motif": "Erreur", "avoirs": "0"}).status_code == 404  # fmt: skip
    assert client.get(reverse("staff:billing"), {"structure": invoices.a.pk}).status_code == 404
    assert client.post(reverse("staff:billing_issue"),
                       {"structure": invoices.a.pk, "mois": MONTH, "confirmation": "oui"}).status_code == 404  # fmt: skip
    assert fingerprint() == before


def test_the_invoice_page_shows_lines_payments_credit_notes_and_its_pdf(staff, invoices):
    ledger.record_payment(invoices.martin_a, 200, PaymentMethod.CHEQUE, receipt_number="CHQ-77")
    text = page_text(staff.get(reverse("staff:invoice", args=[invoices.overdue.pk])))
    assert "MARTIN Luc" in text and "F-2026-000003" in text
    assert "2 × 2,50\u00a0€" in text and "5,00\u00a0€" in text
    assert "CHQ-77" in text and "Chèque" in text
    assert "A-2026-000001" in text and "Erreur" in text
    assert "En retard" in text
    pdf = staff.get(reverse("staff:invoice_pdf", args=[invoices.overdue.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert 'filename="facture-f-2026-000003.pdf"' in pdf["Content-Disposition"]
    assert "F-2026-000003" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def _credit(client, invoice, **data):
    """« Faire un avoir » as confirmed (test_billing_run_safety.py shows the confirmation first)."""
    data = {"avoirs": "0", "etendue": "partiel" if data.get("montant") is not None else "total",
            "confirmation": "oui", **data}  # fmt: skip
    return client.post(reverse("staff:credit_note", args=[invoice.pk]), data)


def test_a_credit_note_of_an_amount_then_of_the_rest(staff, invoices):
    response = _credit(staff, invoices.due, montant="1,50", motif="Absence justifiée le 02/10")
    assert response.status_code == 302
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE, corrects=invoices.due)
    assert note.total_cents == 150 and note.reason == "Absence justifiée le 02/10"
    assert "Avoir A-2026-000002 de 1,50\u00a0€ émis sur la facture F-2026-000002." in page_text(
        staff.get(response["Location"])
    )
    # The whole of what is left: 5,00 − 1,50.
    assert _credit(staff, invoices.due, avoirs="1", motif="Facture annulée").status_code == 302
    assert sorted(Invoice.objects.filter(corrects=invoices.due).values_list("total_cents", flat=True)) == [150, 350]
    assert "Faire un avoir" not in page_text(staff.get(reverse("staff:invoice", args=[invoices.due.pk])))


def test_the_same_credit_note_form_sent_twice_makes_one(staff, invoices):
    data = {"montant": "1,00", "motif": "Geste commercial"}
    assert _credit(staff, invoices.due, **data).status_code == 302
    before = fingerprint()
    twice = _credit(staff, invoices.due, **data)
    assert twice.status_code == 400
    assert "Un avoir vient d'être fait sur cette facture" in page_text(twice)
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"montant": "1,00"}, "motif"),
        ({"montant": "1,00", "motif": "   "}, "motif"),
        ({"montant": "5,01", "motif": "Trop"}, ""),
        ({"montant": "1e3", "motif": "x"}, "Montant invalide"),
        ({"montant": "NaN", "motif": "x"}, "Montant invalide"),
        ({"montant": "-1", "motif": "x"}, "Montant invalide"),
        ({"montant": "0", "motif": "x"}, "Montant invalide"),
        ({"montant": "١٢", "motif": "x"}, "Montant invalide"),
        ({"montant": "99999999999999999999", "motif": "x"}, "Montant invalide"),
        ({"montant": "1,001", "motif": "x"}, "Montant invalide"),
        ({"montant": "1", "motif": "x", "avoirs": "-1"}, "rechargez la page"),
    ],
)
def test_a_refused_credit_note_says_why_in_french_and_changes_nothing(staff, invoices, data, message):
    before = fingerprint()
    response = _credit(staff, invoices.due, **data)
    assert response.status_code == 400
    assert message.lower() in page_text(response).lower()
    assert fingerprint() == before


def test_a_credit_note_is_not_credited_again(staff, invoices):
    before = fingerprint()
    response = _credit(staff, invoices.credit, montant="1,00", motif="x")
    assert response.status_code == 400 and "pas un autre avoir" in page_text(response)
    assert fingerprint() == before


def test_a_structure_manager_runs_the_billing_and_an_animator_is_refused(client, month):
    manager = f.StaffFactory(username="resp.a", structures=[month.a], staff_role=StaffRole.RESPONSABLE)
    animator = f.StaffFactory(username="anim.a", structures=[month.a], staff_role=StaffRole.ANIMATEUR)
    client.force_login(manager)
    assert client.get(reverse("staff:billing"), {"mois": MONTH}).status_code == 200
    client.force_login(animator)
    before = fingerprint()
    assert client.get(reverse("staff:billing"), {"mois": MONTH}).status_code == 403
    assert _issue(client, month, confirmation="oui").status_code == 403
    assert fingerprint() == before


def test_the_staff_menu_links_to_the_billing(staff, world):
    assert reverse("staff:billing") in page_text(staff.get(reverse("staff:index")))
