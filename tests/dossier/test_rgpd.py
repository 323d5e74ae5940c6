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


# ---- anonymisation leaves no name anywhere (model-driven)

NAMES = ("QUESNOY", "Ysoline", "Barnabé", "claire.quesnoy@example.org", "papa.q@example.net", "06 12 34 56 78")


def _quesnoy(w):
    """A family of structure A filled everywhere a name can land: its file,
    bookings with staff reasons (and their movements and history), a
    consumption, an invoice with a credit note, a payment, an online payment
    whose bank answer repeats the parent's e-mail and name, e-mails sent and
    failed, admin history, login records. Its accounts belong to no other family."""
    from axes.models import AccessAttempt, AccessLog

    from portail.accounts.models import SecurityQuestion
    from portail.billing import invoicing, ledger
    from portail.billing.models import OnlinePayment
    from portail.booking.staff_actions import staff_book, staff_cancel
    from portail.dossier.models import HealthAccess, PurgeLog
    from tests import factories as f

    claire = f.UserFactory(
        username="claire.quesnoy", email="claire.quesnoy@example.org", first_name="Claire", last_name="QUESNOY"
    )
    family = f.FamilyFactory(
        structure=w.a, reference="QUESNOY", last_name="QUESNOY", first_name="Claire", accounts=[claire],
        phone="06 12 34 56 78", address="1 rue Haute, 75000 CarteVille",
    )  # fmt: skip
    ysoline = f.ChildFactory(family=family, first_name="Ysoline", birth_date=datetime.date(2018, 4, 9))
    f.ChildFactory(family=family, first_name="Barnabé", birth_date=datetime.date(2020, 1, 30))
    guardian = Guardian.objects.create(
        family=family, last_name="QUESNOY", first_name="Marc", email="papa.q@example.net", mobile_phone="06 12 34 56 78"
    )
    HealthSheet.objects.create(child=ysoline, allergies="Kiwi", notes="Ysoline porte des lunettes")
    HealthAccess.objects.create(child=ysoline, viewer=w.staff_a, where="fiche sanitaire")
    AuthorisedPerson.objects.create(child=ysoline, name="Odile QUESNOY", relationship="tante", phone="06 12 34 56 78")
    document = store_document(
        family, SimpleUploadedFile("CAF QUESNOY Ysoline.pdf", PDF), doc_type=None, uploaded_by=claire
    )
    Absence.objects.create(
        family=family, child=ysoline, start_date=datetime.date(2026, 11, 2), end_date=datetime.date(2026, 11, 2),
        reason=AbsenceReason.OTHER, comment="Ysoline chez sa grand-mère", declared_by=claire,
        decision_note="Vu avec Claire QUESNOY",
    )  # fmt: skip
    FamilyChange.objects.create(
        family=family, field_label="Téléphone", field_key="family.phone", new_value="06 12 34 56 78"
    )
    PurgeLog.objects.create(at=NOW, structure=w.a, family_reference="QUESNOY", what="1 document")

    # Bookings: one of the past typed in at the counter, one booked then
    # cancelled by staff with the reasons they write.
    past = make_booking(
        child=ysoline, activity=w.aps_a, date=datetime.date(2026, 11, 2), status="accepted",
        reason="Inscrite au guichet par Claire QUESNOY",
    )  # fmt: skip
    Consumption.objects.create(child=ysoline, activity=w.aps_a, date=datetime.date(2026, 11, 2))
    f.EnrolmentFactory(child=ysoline, activity=w.aps_a)
    coming = staff_book(ysoline, w.aps_a, datetime.date(2026, 12, 7), actor=w.staff_a, reason="Demande de Claire QUESNOY")  # fmt: skip
    staff_cancel(coming, actor=w.staff_a, reason="Ysoline malade, prévenu par sa mère", late=False)

    # Money: an invoice paid, a credit note with its reason, online and cheque payments.
    invoice = Invoice.objects.create(
        structure=w.a, family=family, year=2026, number=90, reference="F-2026-000090",
        period_start=datetime.date(2026, 11, 1), period_end=datetime.date(2026, 11, 30),
        due_date=datetime.date(2026, 12, 15), total_cents=2000, family_name="Mme QUESNOY Claire",
        family_address="1 rue Haute",
    )  # fmt: skip
    InvoiceLine.objects.create(
        invoice=invoice, child=ysoline, child_name="QUESNOY Ysoline", label="APS MATIN", quantity=2,
        unit_price_cents=1000, amount_cents=2000,
    )  # fmt: skip
    ledger.record_payment(
        family, 2000, "cheque", actor=w.staff_a, receipt_number="R-9", note="Chèque de Claire QUESNOY"
    )
    invoicing.credit_note(invoice, amount_cents=500, reason="Absence de Ysoline (certificat)", actor=w.staff_a)
    typo = ledger.record_payment(family, 100000, "cash", actor=w.staff_a, receipt_number="R-10")
    ledger.cancel_payment(typo, actor=w.staff_a, reason="Tapé 1000 € au lieu de 10 € pour Claire QUESNOY")
    online = OnlinePayment.objects.create(
        structure=w.a, family=family, amount_cents=2000, order_id="O-QUE-1", transaction_id="T-77",
        backend="simulated", status="paid", created_by=claire,
        bank_data={
            "status_url": "http://testserver/simbank/status/",
            "answer": {"order": "O-QUE-1", "amount": "2000", "result": "paid", "transaction": "T-77",
                       "email": "claire.quesnoy@example.org", "holder": "MME CLAIRE QUESNOY",
                       "extra": ["Ysoline", 3]},
        },
    )  # fmt: skip

    # E-mails: one sent (its dedupe key names the address), one failed.
    OutboxEmail.objects.create(
        kind="facture", to="claire.quesnoy@example.org", subject="Facture QUESNOY", body_text="Bonjour Claire QUESNOY",
        structure=w.a, status=EmailStatus.SENT, dedupe_key=f"invoice:{invoice.pk}:claire.quesnoy@example.org",
    )  # fmt: skip
    OutboxEmail.objects.create(
        kind="facture", to="Papa.Q@example.net", subject="Facture", body_text="Bonjour", structure=w.a,
        status=EmailStatus.FAILED, last_error="SMTPRecipientsRefused({'papa.q@example.net': (550, b'no')})",
        dedupe_key=f"invoice:{invoice.pk}:papa.q@example.net",
    )  # fmt: skip

    # The admin history of rows that stay or go, and the login records.
    for obj in (guardian, document, past, invoice, claire):
        LogEntry.objects.log_actions(
            user_id=w.staff_a.pk, queryset=[obj], action_flag=2, change_message="Vu avec Claire QUESNOY",
            single_object=True,
        )  # fmt: skip
    SecurityQuestion.objects.create(user=claire, question="Ville de naissance de Barnabé ?", answer_hash="x")
    AccessLog.objects.create(username="claire.quesnoy", user_agent="Firefox", ip_address="10.0.0.1", http_accept="*/*", path_info="/connexion/")  # fmt: skip
    AccessAttempt.objects.create(
        username="claire.quesnoy@example.org", user_agent="Firefox", ip_address="10.0.0.1", http_accept="*/*",
        path_info="/connexion/", get_data="", post_data="username=claire.quesnoy@example.org", failures_since_start=1,
    )  # fmt: skip
    return family, online


def _text_columns():
    """Every (model, text field) of the database: char, text, e-mail and JSON columns."""
    from django.apps import apps
    from django.db import models

    kinds = (models.CharField, models.TextField, models.JSONField)
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, kinds):
                yield model, model_field


def _where_names_remain(names):
    found = []
    for model, model_field in _text_columns():
        for pk, value in model._base_manager.values_list("pk", model_field.attname):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for name in names:
                if name.casefold() in (text or "").casefold():
                    found.append(f"{model._meta.label}.{model_field.name} #{pk}: {name!r} in {text[:120]!r}")
    return found


def test_after_anonymisation_no_column_of_any_table_holds_a_name_an_email_or_the_phone(
    world, django_capture_on_commit_callbacks
):
    family, online = _quesnoy(world)
    # The check finds what there is to find before.
    before = _where_names_remain(NAMES)
    for where in ("booking.Booking.reason", "booking.BookingAudit.note", "billing.OnlinePayment.bank_data",
                  "billing.Invoice.reason", "admin.LogEntry.object_repr", "axes.AccessLog.username"):  # fmt: skip
        assert any(line.startswith(where) for line in before), where

    with django_capture_on_commit_callbacks(execute=True):
        rgpd.anonymise_family(family, actor=world.staff_a)

    left = _where_names_remain(NAMES)
    assert left == [], "names left after the anonymisation:\n" + "\n".join(left)
    # What the accounts need stays: the bookings, the amounts and the bank's ids.
    assert Booking.objects.filter(child__family=family).count() == 2
    online.refresh_from_db()
    answer = online.bank_data["answer"]
    assert (answer["amount"], answer["transaction"], answer["order"], answer["result"]) == (
        "2000",
        "T-77",
        "O-QUE-1",
        "paid",
    )
    assert online.bank_data["status_url"] == "http://testserver/simbank/status/"
    credit = Invoice.objects.get(family=family, kind="credit")
    assert credit.total_cents == 500 and credit.reason != ""
    # DUPONT, who shares nothing with that family, keeps every name.
    assert world.family_a.children.filter(first_name="Paolo").exists()
