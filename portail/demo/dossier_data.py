"""The demo's family file (issue 17): what CarteVille asks of its families and
the DUPONT family's file, filled in — its parents, Paolo's peanut allergy,
two people allowed to collect the children, its documents (the CAF
attestation missing, the insurance expiring soon, the medical certificates
validated) and an absence waiting for staff.

Made through the dossier's services (documents checked and stored like a
parent's upload, the absence on days really booked); found by natural keys
first, so `load_demo` run again adds nothing."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from portail.booking.models import Booking, BookingStatus
from portail.dossier.absences import covered_bookings, declare_absence
from portail.dossier.documents import add_months, store_document, validate_document
from portail.dossier.models import (
    Absence,
    AbsenceReason,
    AuthorisedPerson,
    Diet,
    Document,
    DocumentKind,
    DocumentType,
    Guardian,
    HealthSheet,
)

# CarteVille's required documents: (name, kind, one per child, validity in months).
CARTEVILLE_DOCUMENTS = [
    ("Attestation CAF (quotient familial)", DocumentKind.CAF, False, 12),
    ("Attestation d'assurance", DocumentKind.INSURANCE, False, 12),
    ("Certificat médical", DocumentKind.MEDICAL, True, 12),
]
EXPIRING_IN_DAYS = 20  # « expire bientôt » on the family's page (under 30 days)


def _pdf(title: str) -> bytes:
    """A one-page PDF standing for a scanned document."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(title)
    page.drawString(72, 760, title)
    page.drawString(72, 740, "Document de démonstration du Portail Famille.")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _upload(name: str, title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _pdf(title), content_type="application/pdf")


def document_types(structure) -> dict[str, DocumentType]:
    """CarteVille's required documents, by kind."""
    types: dict[str, DocumentType] = {}
    for name, kind, per_child, months in CARTEVILLE_DOCUMENTS:
        doc_type, _ = DocumentType.objects.get_or_create(
            structure=structure,
            name=name,
            defaults={"kind": kind, "per_child": per_child, "required": True, "validity_months": months},
        )
        types[kind] = doc_type
    return types


def load_family_file(structure, family, accounts, staff, now: datetime.datetime) -> None:
    """DUPONT's family file in `structure` (CarteVille); `accounts` are Jean-Paul's
    and Marie's, `staff` the agent who validated the documents."""
    today = timezone.localdate(now)
    types = document_types(structure)
    changed = []
    if not family.address:
        family.address = "3 rue des Lilas\n75000 CarteVille"
        changed.append("address")
    if not family.phone:
        family.phone = "01 45 67 89 10"
        changed.append("phone")
    if changed:
        family.save(update_fields=changed)

    jean_paul, marie = accounts
    for account, civility, phones in (
        (jean_paul, "M.", {"mobile_phone": "06 12 34 56 78", "work_phone": "01 40 00 00 01"}),
        (marie, "Mme", {"mobile_phone": "06 98 76 54 32"}),
    ):
        Guardian.objects.get_or_create(
            family=family,
            first_name=account.first_name,
            defaults={"civility": civility, "last_name": account.last_name, "email": account.email,
                      "account": account, **phones},
        )  # fmt: skip

    children = {child.first_name: child for child in family.children.all()}
    paolo, amalia = children["Paolo"], children["Amalia"]
    HealthSheet.objects.get_or_create(
        child=paolo,
        defaults={
            "has_food_allergy": True,
            "allergies": "Arachide : éviction stricte (trousse d'urgence dans le cartable).",
            "doctor_name": "Dr Anne ROUSSEL",
            "doctor_phone": "01 42 00 00 00",
            "vaccinations_up_to_date": True,
            "vaccinations_date": datetime.date(today.year - 1, 9, 15),
            "notes": "Porte des lunettes pour lire.",
        },
    )
    HealthSheet.objects.get_or_create(
        child=amalia, defaults={"diet": Diet.NO_PORK, "doctor_name": "Dr Anne ROUSSEL", "vaccinations_up_to_date": True}
    )
    for child in (paolo, amalia):
        for name, relationship, phone, emergency in (
            ("Josette DUPONT", "grand-mère", "06 11 22 33 44", True),
            ("Karim BENALI", "voisin", "06 55 66 77 88", False),
        ):
            AuthorisedPerson.objects.get_or_create(
                child=child,
                name=name,
                defaults={"relationship": relationship, "phone": phone, "emergency_contact": emergency},
            )

    documents = Document.objects.filter(family=family)
    # The insurance: validated last year, ends in a few days (« expire bientôt »).
    insurance = types[DocumentKind.INSURANCE]
    if not documents.filter(doc_type=insurance).exists():
        uploaded = now - datetime.timedelta(days=365 - EXPIRING_IN_DAYS)
        document = store_document(
            family, _upload("assurance-scolaire.pdf", "Attestation d'assurance scolaire"), doc_type=insurance,
            uploaded_by=jean_paul, now=uploaded,
        )  # fmt: skip
        validate_document(
            document, actor=staff, valid_until=today + datetime.timedelta(days=EXPIRING_IN_DAYS), now=uploaded
        )
    # The medical certificates: validated, a year ahead.
    medical = types[DocumentKind.MEDICAL]
    for child in (paolo, amalia):
        if not documents.filter(doc_type=medical, child=child).exists():
            document = store_document(
                family, _upload(f"certificat-{child.first_name.lower()}.pdf", f"Certificat médical — {child.first_name}"),
                doc_type=medical, child=child, uploaded_by=marie, now=now - datetime.timedelta(days=40),
            )  # fmt: skip
            validate_document(
                document, actor=staff, valid_until=add_months(today, 11), now=now - datetime.timedelta(days=38)
            )
    # The CAF attestation is missing: the family's page says so, and the demo's visitor can send it.

    # An absence of Paolo, declared with a certificate, waiting for staff.
    if not Absence.objects.filter(family=family).exists():
        day = (
            Booking.objects.filter(child=paolo, status=BookingStatus.ACCEPTED, date__gt=today)
            .order_by("date")
            .values_list("date", flat=True)
            .first()
        )
        if day is not None and covered_bookings(paolo, day, day).exists():
            declare_absence(
                family, paolo, start=day, end=day, reason=AbsenceReason.ILLNESS, comment="Angine.",
                certificate=_upload("certificat-absence.pdf", "Certificat médical — absence de Paolo"),
                declared_by=marie, now=now,
            )  # fmt: skip
