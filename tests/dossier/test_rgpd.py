"""Issue 17 point 6: the export of everything the portal holds about a family,
and the anonymisation of a family that has left."""

import datetime
import json

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from portail.billing.models import Invoice, InvoiceLine, Payment
from portail.booking.models import Booking, BookingStatus, Consumption
from portail.dossier import rgpd
from portail.dossier.documents import store_document
from portail.dossier.models import (
    Absence,
    AbsenceReason,
    AuthorisedPerson,
    Document,
    FamilyChange,
    Guardian,
    HealthSheet,
    private_storage,
)
from portail.notifications.models import EmailStatus, OutboxEmail
from tests.helpers import make_booking

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def file_a(world):
    """DUPONT's family file in structure A, filled in every part."""
    w = world
    w.family_a.phone = "06 11 22 33 44"
    w.family_a.address = "3 rue des Lilas\n75000 CarteVille"
    w.family_a.save()
    w.guardian = Guardian.objects.create(
        family=w.family_a, last_name="DUPONT", first_name="Marie", email="marie.dupont@example.org",
        mobile_phone="06 99 88 77 66", account=w.dupont2,
    )  # fmt: skip
    HealthSheet.objects.create(child=w.paolo, has_food_allergy=True, allergies="Arachide (choc anaphylactique)")
    AuthorisedPerson.objects.create(child=w.paolo, name="Josette GRANDMÈRE", relationship="grand-mère", phone="01 02")
    w.document = store_document(
        w.family_a, SimpleUploadedFile("attestation-caf.pdf", PDF), doc_type=None, uploaded_by=w.dupont
    )
    Absence.objects.create(
        family=w.family_a, child=w.paolo, start_date=datetime.date(2026, 11, 2), end_date=datetime.date(2026, 11, 3),
        reason=AbsenceReason.ILLNESS, comment="Gastro-entérite", declared_by=w.dupont,
    )  # fmt: skip
    FamilyChange.objects.create(
        family=w.family_a, field_label="Téléphone", field_key="family.phone", old_value="01 00", new_value="06 11"
    )
    w.past = make_booking(child=w.paolo, activity=w.aps_a, date=datetime.date(2026, 11, 2), status="accepted")
    Consumption.objects.create(child=w.paolo, activity=w.aps_a, date=datetime.date(2026, 11, 2))
    # MARTIN's file, which DUPONT's export and anonymisation never touch.
    HealthSheet.objects.create(child=w.leo, allergies="Pollen de bouleau")
    Guardian.objects.create(family=w.martin_a, last_name="MARTIN", first_name="Luc", email="luc@example.org")
    return w


def _invoice(w, *, total, settled):
    invoice = Invoice.objects.create(
        structure=w.a, family=w.family_a, year=2026, number=Invoice.objects.count() + 1,
        reference=f"F-2026-{Invoice.objects.count() + 1:06d}", period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 10, 31), due_date=datetime.date(2026, 11, 30), total_cents=total,
        settled_cents=settled, family_name="M. DUPONT Jean-Paul", family_address="3 rue des Lilas",
    )  # fmt: skip
    InvoiceLine.objects.create(
        invoice=invoice, child=w.paolo, child_name="DUPONT Paolo", label="APS MATIN", quantity=1,
        unit_price_cents=total, amount_cents=total,
    )  # fmt: skip
    return invoice


# ---- export


def test_the_export_holds_every_part_of_the_family_file_and_nothing_of_another_family(file_a):
    w = file_a
    sections = rgpd.family_data(w.family_a, document_url=lambda d: f"/doc/{d.pk}/")
    data = rgpd.export_json(w.family_a, sections)
    text = json.dumps(data, ensure_ascii=False)

    assert data["family"][0]["phone"] == "06 11 22 33 44"
    assert data["guardians"][0]["mobile_phone"] == "06 99 88 77 66"
    assert {a["username"] for a in data["accounts"]} == {"dupont", "dupont2"}
    assert {c["first_name"] for c in data["children"]} == {"Paolo", "Amalia"}
    assert data["health_sheets"][0]["allergies"] == "Arachide (choc anaphylactique)"
    assert data["authorised_people"][0]["name"] == "Josette GRANDMÈRE"
    assert data["documents"][0]["original_name"] == "attestation-caf.pdf"
    assert data["absences"][0]["comment"] == "Gastro-entérite"
    assert data["bookings"][0]["date"] == "2026-11-02"
    assert data["consumptions"][0]["date"] == "2026-11-02"
    assert data["changes"][0]["old_value"] == "01 00"
    # The file is reached by its link, never by its stored path.
    documents = next(s for s in sections if s.key == "documents")
    assert documents.links == [f"/doc/{w.document.pk}/"]
    assert w.document.file.name not in text
    # Never a password hash (the test settings hash with MD5), never another family.
    assert w.dupont.password not in text and "md5$" not in text
    assert "Pollen" not in text and "luc@example.org" not in text and "Léo" not in text


def test_the_export_lists_invoices_and_payments_when_billing_has_rows(file_a):
    w = file_a
    _invoice(w, total=2340, settled=2340)
    Payment.objects.create(structure=w.a, family=w.family_a, amount_cents=2340, method="cheque", receipt_number="R1")
    sections = {s.key: s for s in rgpd.family_data(w.family_a)}
    assert sections["invoices"].raw_rows[0]["total_cents"] == 2340
    assert "23,40 €" in sections["invoices"].shown_rows[0]
    assert sections["payments"].raw_rows[0]["receipt_number"] == "R1"


# ---- anonymisation


def test_anonymising_removes_names_and_contacts_and_keeps_bookings_and_invoices(
    file_a, django_capture_on_commit_callbacks
):
    w = file_a
    invoice = _invoice(w, total=1000, settled=1000)
    sent = OutboxEmail.objects.create(
        kind="compte-rendu", to="dupont2@example.org", subject="Compte-rendu DUPONT", body_text="Bonjour Paolo",
        structure=w.a, status=EmailStatus.SENT,
    )  # fmt: skip
    stored = w.document.file.name
    assert private_storage.exists(stored)
    bookings = Booking.objects.filter(child__family=w.family_a).count()

    with django_capture_on_commit_callbacks(execute=True):
        rgpd.anonymise_family(w.family_a, actor=w.staff_a)

    family = type(w.family_a).objects.get(pk=w.family_a.pk)
    assert family.last_name == f"Famille anonymisée n° {family.pk}"
    assert (family.phone, family.address, family.quotient_familial) == ("", "", None)
    assert rgpd.is_anonymised(family)
    names = sorted(family.children.values_list("first_name", flat=True))
    assert names == ["Enfant 1", "Enfant 2"]
    assert not family.children.filter(last_name__icontains="DUPONT").exists()
    # The file is gone with the health data, the people and the parents.
    assert not HealthSheet.objects.filter(child__family=family).exists()
    assert not AuthorisedPerson.objects.filter(child__family=family).exists()
    assert not Document.objects.filter(family=family).exists()
    assert not private_storage.exists(stored)
    assert not Guardian.objects.filter(family=family).exists()
    assert not FamilyChange.objects.filter(family=family).exists()
    assert Absence.objects.get(family=family).comment == ""
    # Kept for the accounts, without the names.
    assert Booking.objects.filter(child__family=family).count() == bookings
    assert Consumption.objects.filter(child__family=family).count() == 1
    invoice.refresh_from_db()
    assert (invoice.family_name, invoice.family_address) == (family.last_name, "")
    assert "DUPONT" not in invoice.lines.get().child_name
    sent.refresh_from_db()
    assert "DUPONT" not in sent.subject and sent.body_text == "" and sent.to == ""
    # Accounts: detached; the one with no other family deactivated and nameless.
    assert not family.accounts.exists()
    w.dupont2.refresh_from_db()
    assert not w.dupont2.is_active and w.dupont2.email == "" and "DUPONT" not in w.dupont2.last_name
    assert not w.dupont2.has_usable_password()
    w.dupont.refresh_from_db()
    assert w.dupont.is_active and w.dupont.families.get() == w.family_b
    # Who did it, in the family's history, and no old name left in it.
    entries = LogEntry.objects.filter(object_id=str(family.pk), content_type__model="family")
    assert entries.filter(user=w.staff_a, change_message__icontains="anonymisée").exists()
    assert not entries.filter(object_repr__icontains="DUPONT").exists()
    # MARTIN's file is untouched.
    assert HealthSheet.objects.filter(child=w.leo).exists()
    assert Guardian.objects.filter(family=w.martin_a).exists()


def test_anonymising_is_refused_while_a_booking_is_to_come(file_a):
    w = file_a
    make_booking(child=w.paolo, activity=w.aps_a, date=datetime.date(2026, 12, 7), status=BookingStatus.ACCEPTED)
    with pytest.raises(rgpd.AnonymisationRefused, match="réservation à venir"):
        rgpd.anonymise_family(w.family_a, actor=w.staff_a)
    w.family_a.refresh_from_db()
    assert w.family_a.last_name == "DUPONT"
    assert HealthSheet.objects.filter(child=w.paolo).exists() and w.family_a.accounts.count() == 2


def test_a_booking_of_the_past_or_cancelled_does_not_stop_it(file_a):
    w = file_a
    make_booking(child=w.paolo, activity=w.aps_a, date=datetime.date(2026, 12, 7), status=BookingStatus.CANCELLED)
    assert rgpd.anonymisation_obstacles(w.family_a) == []


def test_anonymising_is_refused_while_an_invoice_is_due(file_a):
    w = file_a
    _invoice(w, total=1500, settled=500)
    with pytest.raises(rgpd.AnonymisationRefused, match="facture à payer"):
        rgpd.anonymise_family(w.family_a, actor=w.staff_a)
    w.family_a.refresh_from_db()
    assert w.family_a.last_name == "DUPONT"


def test_a_family_is_anonymised_once(file_a):
    w = file_a
    rgpd.anonymise_family(w.family_a, actor=w.staff_a)
    with pytest.raises(rgpd.AnonymisationRefused, match="déjà anonymisée"):
        rgpd.anonymise_family(w.family_a, actor=w.staff_a)
