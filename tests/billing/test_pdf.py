"""The invoice PDF (issue 16 point 2, acceptance): read back with pypdf, it
carries the structure and its identifiers, the family, the period, every line,
the total, the due date, the ways to pay and the reference; a credit note says
« Avoir » and which invoice it corrects; a long invoice runs over several pages."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from portail.billing.models import BillingSettings, InvoiceKind
from portail.billing.pdf import invoice_pdf
from portail.structures.models import Family, Structure
from tests.billing.invoice_rows import make_invoice

NOV = datetime.date(2026, 11, 1)


def read_back(data):
    """(text of every page, each run of spaces or line breaks of any kind made
    one plain space, so a table's row reads as one line; number of pages)."""
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages)


@pytest.fixture
def billed(world):
    Structure.objects.filter(pk=world.a.pk).update(address="1 place de la Mairie\n12345 CarteVille")
    Family.objects.filter(pk=world.family_a.pk).update(address="3 rue des Lilas\n12345 CarteVille")
    world.family_a.refresh_from_db()
    BillingSettings.objects.create(
        structure=world.a, legal_name="Commune de CarteVille", siret="21120001200017", regie_number="R-0042",
        payment_ways="Paiement en ligne sur le portail\nChèque à l'ordre du Trésor public",
    )  # fmt: skip
    world.invoice = make_invoice(
        world.family_a,
        number=123,
        lines=[
            ("DUPONT Paolo", "APS MATIN", [datetime.date(2026, 11, 2), datetime.date(2026, 11, 3)], 2, 250),
            ("DUPONT Amalia", "RESTAURATION", [datetime.date(2026, 11, 5)], 1, 1234),
            ("DUPONT Amalia", "Réduction 2e enfant", [datetime.date(2026, 11, 5)], 1, -123),
        ],
    )
    return world


def test_the_pdf_carries_number_family_lines_total_and_how_to_pay(billed):
    text, pages = read_back(invoice_pdf(billed.invoice))
    assert pages == 1
    assert "Facture n° F-2026-000123" in text
    for issuer in ("Mairie de CarteVille", "Commune de CarteVille", "1 place de la Mairie", "21120001200017",
                   "R-0042"):  # fmt: skip
        assert issuer in text
    assert "M. DUPONT Jean-Paul" in text and "3 rue des Lilas" in text
    assert "Période du 01/11/2026 au 30/11/2026" in text
    # Each line: child, activity, days, quantity × unit price, amount.
    assert "DUPONT Paolo APS MATIN lun. 02/11, mar. 03/11 2 × 2,50 € 5,00 €" in text
    assert "DUPONT Amalia RESTAURATION jeu. 05/11 1 × 12,34 € 12,34 €" in text
    assert "DUPONT Amalia Réduction 2e enfant jeu. 05/11 1 × -1,23 € -1,23 €" in text
    total = 500 + 1234 - 123
    assert billed.invoice.total_cents == total
    assert f"Total {total // 100},{total % 100:02d} €" in text
    assert "avant le jeudi 31 décembre 2026" in text
    assert "Référence à rappeler avec votre paiement : F-2026-000123" in text
    assert "Chèque à l'ordre du Trésor public" in text


def test_a_credit_note_says_avoir_and_the_invoice_it_corrects(billed):
    credit = make_invoice(
        billed.family_a, kind=InvoiceKind.CREDIT_NOTE, number=4, corrects=billed.invoice, reason="Absence justifiée",
        lines=[("DUPONT Paolo", "APS MATIN", [datetime.date(2026, 11, 3)], 1, 250)],
    )  # fmt: skip
    text, _pages = read_back(invoice_pdf(credit))
    assert "Avoir n° A-2026-000004" in text
    assert "Avoir sur la facture n° F-2026-000123" in text
    assert "Motif : Absence justifiée" in text
    assert "Total 2,50 €" in text
    assert "Montant à payer" not in text


def test_a_long_invoice_runs_over_numbered_pages_with_every_line(billed):
    lines = [(f"ENFANT{n:03d} Test", f"ACTIVITE{n:03d}", [datetime.date(2026, 10, 1) + datetime.timedelta(days=n % 30)], 1, 100 + n)
             for n in range(90)]  # fmt: skip
    invoice = make_invoice(billed.family_a, month=datetime.date(2026, 10, 1), number=124, lines=lines)
    text, pages = read_back(invoice_pdf(invoice))
    assert pages >= 3
    assert f"Page 1 / {pages}" in text and f"Page {pages} / {pages}" in text
    for n in range(90):
        assert f"ENFANT{n:03d}" in text and f"ACTIVITE{n:03d}" in text
    assert text.count("Quantité × prix unitaire") == pages  # the header on every page
    total = sum(100 + n for n in range(90))
    assert f"Total {total // 100},{total % 100:02d} €" in text


def test_hostile_names_are_printed_as_text(billed):
    """Names stored before the validators (markup, control characters) neither
    break the document nor become markup."""
    invoice = make_invoice(
        billed.family_a, month=datetime.date(2026, 9, 1), number=125,
        lines=[("<b>DUPONT</b> & Cie\x07", "APS <i>MATIN</i>", [NOV], 1, 100)],
    )  # fmt: skip
    type(invoice).objects.filter(pk=invoice.pk).update(family_name="DUPONT <font size=40>Jean</font>\x1b")
    text, _pages = read_back(invoice_pdf(invoice))
    assert "<b>DUPONT</b> & Cie" in text
    assert "APS <i>MATIN</i>" in text
    assert "DUPONT <font size=40>Jean</font>" in text


def test_without_billing_settings_the_pdf_still_says_what_to_pay(world):
    invoice = make_invoice(world.family_a, number=7)
    text, _pages = read_back(invoice_pdf(invoice))
    assert "Facture n° F-2026-000007" in text and "Mairie de CarteVille" in text
    assert "Montant à payer : 5,00 €" in text


# ------------------------------------------------------------------ the family's download (family:invoice_pdf)


def consulting_carteville(client, world):
    """DUPONT logged in, consulting CarteVille (its first structure is Les Pinsons)."""
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})


def test_the_family_downloads_its_invoice_pdf(client, billed):
    consulting_carteville(client, billed)
    response = client.get(reverse("family:invoice_pdf", args=[billed.invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="facture-f-2026-000123.pdf"'
    text, _pages = read_back(response.content)
    assert "Facture n° F-2026-000123" in text and "M. DUPONT Jean-Paul" in text


def test_another_familys_or_structures_invoice_is_not_found(client, billed):
    invoice_b = make_invoice(billed.family_b, number=1)
    client.force_login(billed.martin)
    assert client.get(reverse("family:invoice_pdf", args=[billed.invoice.pk])).status_code == 404
    # DUPONT, consulting CarteVille, does not reach its Pinsons invoice by id.
    consulting_carteville(client, billed)
    assert client.get(reverse("family:invoice_pdf", args=[invoice_b.pk])).status_code == 404
    assert client.get(reverse("family:invoice_pdf", args=[2**63])).status_code == 404


def test_the_pdf_needs_a_login(client, billed):
    response = client.get(reverse("family:invoice_pdf", args=[billed.invoice.pk]))
    assert response.status_code == 302 and "/connexion/" in response["Location"]
