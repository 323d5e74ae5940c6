"""Issue 17 point 4: the documents a structure requires, the files families
send (their real type read from the bytes, a size limit, a random stored name
outside the static files), and staff's decision (validate until a date; a CAF
attestation sets the family's QF; refuse with a reason the family reads)."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portail.dossier import documents as service
from portail.dossier.models import Document, DocumentKind, DocumentStatus, DocumentType
from tests.dossier.samples import HTML, JPEG_THAT_IS_HTML, PDF, PDF_THAT_IS_HTML, SVG, image_bytes, upload
from tests.helpers import page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def types(world):
    world.insurance = DocumentType.objects.create(
        structure=world.a, name="Assurance", kind=DocumentKind.INSURANCE, validity_months=12
    )
    world.caf = DocumentType.objects.create(structure=world.a, name="Attestation CAF", kind=DocumentKind.CAF)
    world.medical = DocumentType.objects.create(
        structure=world.a, name="Certificat médical", kind=DocumentKind.MEDICAL, per_child=True, required=False
    )
    world.insurance_b = DocumentType.objects.create(structure=world.b, name="Assurance", kind=DocumentKind.INSURANCE)
    return world


def _dupont(world):
    client = Client()
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


def _staff(world, user=None):
    client = Client()
    client.force_login(user or world.staff_a)
    return client


def _send(client, key, data, name="attestation.pdf", content_type="application/pdf"):
    return client.post(
        reverse("family:document_upload"), {"document": key, "fichier": upload(data, name, content_type)}
    )


# ------------------------------------------------------------------ the file's real type


@pytest.mark.parametrize(
    "data, expected",
    [
        (PDF, service.PDF),
        (image_bytes("PNG"), service.PNG),
        (image_bytes("JPEG"), service.JPEG),
        (HTML, None),
        (SVG, None),
        (PDF_THAT_IS_HTML, None),
        (JPEG_THAT_IS_HTML, None),
        (b"%PDF-1.4\nno end of file", None),
        (b"MZ\x90\x00executable", None),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, None),
    ],
    ids=["pdf", "png", "jpeg", "html", "svg", "pdf-that-is-html", "jpeg-header-then-html", "pdf-no-eof", "exe",
         "png-signature-only"],
)  # fmt: skip
def test_the_type_is_read_from_the_bytes(data, expected):
    assert service.sniff(data) == expected


def test_a_pdf_is_stored_under_a_random_name_outside_the_static_files(types, settings):
    client = _dupont(types)
    response = _send(client, str(types.insurance.pk), PDF, name="Assurance Dupont 2026.pdf")
    assert response.status_code == 302
    document = Document.objects.get(family=types.family_a)
    assert (document.status, document.content_type, document.size) == (DocumentStatus.PENDING, service.PDF, len(PDF))
    assert document.original_name == "Assurance Dupont 2026.pdf"
    assert document.doc_type == types.insurance and document.uploaded_by == types.dupont
    assert "Assurance" not in document.file.name and document.file.name.endswith(".pdf")
    path = document.file.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    with open(path, "rb") as stored:
        assert stored.read() == PDF


def test_two_uploads_of_the_same_name_get_two_unguessable_names(types):
    client = _dupont(types)
    _send(client, str(types.insurance.pk), PDF)
    _send(client, str(types.insurance.pk), PDF)
    names = [d.file.name.rsplit("/", 1)[1] for d in Document.objects.all()]
    assert len(set(names)) == 2 and all(len(n.split(".")[0]) == 32 for n in names)


@pytest.mark.parametrize(
    "data, name, content_type",
    [
        (HTML, "attestation.pdf", "application/pdf"),
        (SVG, "attestation.pdf", "application/pdf"),
        (SVG, "photo.png", "image/png"),
        (PDF_THAT_IS_HTML, "attestation.pdf", "application/pdf"),
        (b"plain text", "attestation.pdf", "application/pdf"),
    ],
    ids=["html-as-pdf", "svg-as-pdf", "svg-as-png", "pdf-that-is-html", "text"],
)
def test_anything_but_a_pdf_jpeg_or_png_is_refused_in_french(types, data, name, content_type):
    client = _dupont(types)
    response = _send(client, str(types.insurance.pk), data, name, content_type)
    assert response.status_code == 400
    assert "Ce fichier n'est ni un PDF ni une image JPEG ou PNG." in page_text(response)
    assert not Document.objects.exists()


def test_a_file_too_heavy_is_refused_with_its_size(types, settings):
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    data = PDF + b"%" * (1024 * 1024 // 2 + 1024 * 1024) + b"\n%%EOF\n"
    response = _send(_dupont(types), str(types.insurance.pk), data)
    assert response.status_code == 400
    assert "Fichier trop lourd (1,5 Mo) : 1 Mo au plus." in page_text(response)
    assert not Document.objects.exists()


def test_the_size_message_of_the_default_limit():
    assert service.megabytes(5 * 1024 * 1024) == "5"
    assert service.megabytes(int(12.3 * 1024 * 1024)) == "12,3"


def test_an_empty_file_is_refused(types):
    response = _send(_dupont(types), str(types.insurance.pk), b"")
    assert response.status_code == 400 and not Document.objects.exists()


@pytest.mark.parametrize("which", ["other-structure-type", "other-family-child", "garbage"])
def test_a_requirement_that_is_not_the_familys_is_a_404(types, which):
    key = {
        "other-structure-type": str(types.insurance_b.pk),
        "other-family-child": f"{types.medical.pk}-{types.leo.pk}",
        "garbage": "1;2",
    }[which]
    response = _send(_dupont(types), key, PDF)
    assert response.status_code == (400 if which == "garbage" else 404)
    assert not Document.objects.exists()


def test_a_per_child_document_is_stored_for_that_child(types):
    _send(_dupont(types), f"{types.medical.pk}-{types.amalia.pk}", image_bytes("JPEG"), "certif.jpg", "image/jpeg")
    document = Document.objects.get()
    assert document.child == types.amalia and document.content_type == service.JPEG


# ------------------------------------------------------------------ where each requirement stands


def _doc(world, doc_type, status=DocumentStatus.PENDING, valid_until=None, reason="", child=None, at=NOW):
    return Document.objects.create(
        family=world.family_a, doc_type=doc_type, child=child, file="documents/x.pdf", original_name="x.pdf",
        content_type=service.PDF, size=10, status=status, valid_until=valid_until, refusal_reason=reason,
        uploaded_at=at,
    )  # fmt: skip


def _states(world):
    return {r.name: r.state for r in service.family_requirements(world.family_a, TODAY)}


def test_requirement_states(types):
    assert _states(types) == {
        "Assurance": "missing", "Attestation CAF": "missing",
        "Certificat médical (Amalia)": "missing", "Certificat médical (Paolo)": "missing",
    }  # fmt: skip
    _doc(types, types.insurance, DocumentStatus.VALIDATED, TODAY + datetime.timedelta(days=31))
    _doc(types, types.caf, DocumentStatus.VALIDATED, TODAY + datetime.timedelta(days=30))
    _doc(types, types.medical, DocumentStatus.VALIDATED, TODAY - datetime.timedelta(days=1), child=types.paolo)
    _doc(types, types.medical, DocumentStatus.REFUSED, reason="Illisible", child=types.amalia)
    assert _states(types) == {
        "Assurance": "valid", "Attestation CAF": "expiring",
        "Certificat médical (Amalia)": "refused", "Certificat médical (Paolo)": "expired",
    }  # fmt: skip
    _doc(types, types.medical, child=types.paolo)  # a new one sent: the structure's turn
    assert _states(types)["Certificat médical (Paolo)"] == "pending"


def test_requirements_take_three_queries_whatever_the_number(types, django_assert_num_queries):
    for _ in range(3):
        _doc(types, types.medical, child=types.paolo)
        _doc(types, types.insurance, DocumentStatus.VALIDATED, TODAY)
    family = types.family_a
    with django_assert_num_queries(3):
        service.family_requirements(family, TODAY)


def test_the_family_page_shows_each_state_and_the_refusal_reason(types):
    _doc(types, types.insurance, DocumentStatus.VALIDATED, datetime.date(2027, 6, 30))
    _doc(types, types.caf, DocumentStatus.REFUSED, reason="Attestation de plus de 3 mois")
    _doc(types, types.medical, DocumentStatus.VALIDATED, TODAY + datetime.timedelta(days=10), child=types.paolo)
    text = page_text(_dupont(types).get(reverse("family:documents")))
    assert "Validé jusqu'au 30/06/2027" in text
    assert "Refusé : Attestation de plus de 3 mois" in text
    assert "Expire bientôt (valable jusqu'au 06/12/2026)" in text
    assert "Manquant" in text  # Amalia's certificate


# ------------------------------------------------------------------ staff's decision


def _pending(world, doc_type, child=None):
    client = _dupont(world)
    key = str(doc_type.pk) if child is None else f"{doc_type.pk}-{child.pk}"
    assert _send(client, key, PDF).status_code == 302
    return Document.objects.filter(doc_type=doc_type).latest("pk")


def test_staff_list_the_pending_documents_of_their_structures_only(types):
    mine = _pending(types, types.insurance)
    dupont_b = Client()
    dupont_b.force_login(types.dupont)
    dupont_b.post(reverse("family:switch_structure"), {"family": types.family_b.pk})
    _send(dupont_b, str(types.insurance_b.pk), PDF)
    text = page_text(_staff(types).get(reverse("staff:documents")))
    assert reverse("staff:document", args=[mine.pk]) in text
    other = Document.objects.get(family=types.family_b)
    assert reverse("staff:document", args=[other.pk]) not in text
    assert _staff(types).get(reverse("staff:document", args=[other.pk])).status_code == 404
    assert _staff(types, types.staff_b).get(reverse("staff:document", args=[mine.pk])).status_code == 404


def test_validation_proposes_the_types_validity(types):
    document = _pending(types, types.insurance)
    response = _staff(types).get(reverse("staff:document", args=[document.pk]))
    assert 'value="2027-11-26"' in response.content.decode()  # 12 months from today


def test_staff_validate_until_a_date(types):
    document = _pending(types, types.insurance)
    response = _staff(types).post(
        reverse("staff:document", args=[document.pk]), {"decision": "valider", "valable_jusqu_au": "2027-11-26"}
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.VALIDATED and document.valid_until == datetime.date(2027, 11, 26)
    assert document.decided_by == types.staff_a
    assert _states(types)["Assurance"] == "valid"


def test_a_validated_caf_attestation_sets_the_familys_qf(types):
    document = _pending(types, types.caf)
    response = _staff(types).post(
        reverse("staff:document", args=[document.pk]),
        {"decision": "valider", "quotient": "742", "qf_jusqu_au": "2027-12-31", "valable_jusqu_au": "2027-12-31"},
    )
    assert response.status_code == 302
    types.family_a.refresh_from_db()
    assert (types.family_a.quotient_familial, types.family_a.qf_valid_until) == (742, datetime.date(2027, 12, 31))
    assert types.family_a.qf_on(datetime.date(2027, 6, 1)) == 742


def test_a_caf_attestation_without_its_qf_is_not_validated(types):
    document = _pending(types, types.caf)
    response = _staff(types).post(reverse("staff:document", args=[document.pk]), {"decision": "valider"})
    assert response.status_code == 400
    assert "indiquez le quotient familial" in page_text(response)
    document.refresh_from_db()
    types.family_a.refresh_from_db()
    assert document.status == DocumentStatus.PENDING and types.family_a.quotient_familial is None


@pytest.mark.parametrize(
    "dates", [{"valable_jusqu_au": "2025-11-26"}, {"valable_jusqu_au": "2027-12-31", "qf_jusqu_au": "2026-01-31"}]
)
def test_a_validity_date_already_past_is_refused_and_changes_nothing(types, dates):
    document = _pending(types, types.caf)
    response = _staff(types).post(
        reverse("staff:document", args=[document.pk]), {"decision": "valider", "quotient": "742", **dates}
    )
    assert response.status_code == 400
    assert "Cette date de validité est déjà passée" in page_text(response)
    document.refresh_from_db()
    types.family_a.refresh_from_db()
    assert document.status == DocumentStatus.PENDING and types.family_a.quotient_familial is None


def test_a_refusal_needs_a_reason_and_the_family_reads_it(types):
    document = _pending(types, types.insurance)
    url = reverse("staff:document", args=[document.pk])
    assert _staff(types).post(url, {"decision": "refuser", "motif": "  "}).status_code == 400
    document.refresh_from_db()
    assert document.status == DocumentStatus.PENDING
    assert _staff(types).post(url, {"decision": "refuser", "motif": "Nom de l'enfant absent"}).status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.REFUSED
    assert "Refusé : Nom de l'enfant absent" in page_text(_dupont(types).get(reverse("family:documents")))


def test_a_document_is_decided_once(types):
    document = _pending(types, types.insurance)
    url = reverse("staff:document", args=[document.pk])
    assert _staff(types).post(url, {"decision": "valider"}).status_code == 302
    response = _staff(types).post(url, {"decision": "refuser", "motif": "Trop tard"})
    assert response.status_code == 400 and "déjà été examiné" in page_text(response)
    document.refresh_from_db()
    assert document.status == DocumentStatus.VALIDATED


def test_add_months_keeps_to_the_end_of_a_short_month():
    assert service.add_months(datetime.date(2027, 1, 31), 1) == datetime.date(2027, 2, 28)
    assert service.add_months(datetime.date(2026, 11, 26), 14) == datetime.date(2028, 1, 26)
