"""The review of the demo, point 4: a clerk with many families filters
« Documents à vérifier » (type, family), « Absences » (state, name) and
« Modifications des familles » (seen or not, family); the filters stay in the
pagination's links; a hostile value is a French message, never a 500. And a
document is looked at without downloading it: « Voir » serves it inline, with
nosniff and the sandbox, only to its structure's staff."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portail.dossier import documents as service
from portail.dossier.models import Absence, AbsenceReason, AbsenceStatus, DocumentKind, DocumentType, FamilyChange
from portail.staff import absence_views, changes_views, document_views
from tests.dossier.samples import PDF, upload
from tests.helpers import page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 2)
HOSTILE = ["x" * 101, "a\x00b", "a\x1bb", "\u202e", "<script>alert(1)</script>\nx"]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _staff(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def docs(world):
    world.insurance = DocumentType.objects.create(structure=world.a, name="Assurance", kind=DocumentKind.INSURANCE)
    world.caf = DocumentType.objects.create(structure=world.a, name="Attestation CAF", kind=DocumentKind.CAF)
    world.insurance_b = DocumentType.objects.create(structure=world.b, name="Assurance B", kind=DocumentKind.INSURANCE)

    def store(family, doc_type, user):
        return service.store_document(family, upload(PDF, "piece.pdf"), doc_type=doc_type, uploaded_by=user)

    world.dupont_insurance = store(world.family_a, world.insurance, world.dupont)
    world.dupont_caf = store(world.family_a, world.caf, world.dupont)
    world.martin_insurance = store(world.martin_a, world.insurance, world.martin)
    world.doc_b = store(world.family_b, world.insurance_b, world.dupont)
    return world


def _rows(response, testid):
    return page_text(response).count(f'data-testid="{testid}"')


# ------------------------------------------------------------------ documents


def test_documents_filter_by_type_and_by_family_name_or_reference(docs):
    client = _staff(docs.staff_a)
    url = reverse("staff:documents")
    assert _rows(client.get(url), "document-pending") == 3
    by_type = client.get(url, {"type": docs.insurance.pk})
    assert _rows(by_type, "document-pending") == 2 and "Attestation CAF</a>" not in page_text(by_type)
    assert _rows(client.get(url, {"famille": "marT"}), "document-pending") == 1
    assert _rows(client.get(url, {"famille": "MAR"}), "document-pending") == 1  # the reference
    assert _rows(client.get(url, {"type": docs.caf.pk, "famille": "dupont"}), "document-pending") == 1
    # Another structure's type: nothing of it, nothing of B's documents.
    assert _rows(client.get(url, {"type": docs.insurance_b.pk}), "document-pending") == 0


def test_a_name_with_markup_is_searched_and_shown_escaped(docs):
    response = _staff(docs.staff_a).get(reverse("staff:documents"), {"famille": '"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


def test_the_filters_stay_in_the_pagination_links(docs, monkeypatch):
    monkeypatch.setattr(document_views, "PAGE_SIZE", 1)
    text = page_text(_staff(docs.staff_a).get(reverse("staff:documents"), {"type": docs.insurance.pk, "famille": "u"}))
    assert f'href="?type={docs.insurance.pk}&famille=u&page=2"' in text.replace("&amp;", "&")


@pytest.mark.parametrize(
    ("field", "value"),
    [("type", v) for v in [*HOSTILE, "-1", "0", "1e9", "99999999999999999999"]] + [("famille", v) for v in HOSTILE],
)
def test_documents_hostile_filters_are_a_french_message(docs, field, value):
    response = _staff(docs.staff_a).get(reverse("staff:documents"), {field: value})
    assert response.status_code == 400
    text = page_text(response)
    assert "Type de document invalide." in text or "caractères au plus" in text
    assert "<script>alert" not in text


def test_voir_serves_a_pdf_inline_with_nosniff_without_the_sandbox_that_stops_chromes_viewer(docs):
    client = _staff(docs.staff_a)
    url = reverse("staff:document_file", args=[docs.dupont_insurance.pk])
    shown = client.get(url, {"voir": "1"})
    assert shown.status_code == 200
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["Content-Type"] == "application/pdf"
    assert shown["X-Content-Type-Options"] == "nosniff"
    # Chrome's PDF viewer does not open in a sandboxed document: no policy on
    # the checked PDF shown inline (django-csp adds none either).
    assert "Content-Security-Policy" not in shown
    assert b"".join(shown.streaming_content) == PDF
    downloaded = client.get(url)
    assert downloaded["Content-Disposition"].startswith("attachment")
    assert downloaded["Content-Security-Policy"].startswith("sandbox")
    detail = page_text(client.get(reverse("staff:document", args=[docs.dupont_insurance.pk])))
    assert f'href="{url}?voir=1" target="_blank"' in detail and f'href="{url}"' in detail


def test_voir_is_a_404_for_another_structures_staff_and_a_bad_value_a_message(docs):
    url = reverse("staff:document_file", args=[docs.dupont_insurance.pk])
    assert _staff(docs.staff_b).get(url, {"voir": "1"}).status_code == 404
    assert _staff(docs.staff_a).get(url, {"voir": "<b>"}).status_code == 400


# ------------------------------------------------------------------ absences


@pytest.fixture
def declared(world):
    def absence(child, status, when):
        return Absence.objects.create(
            family=child.family, child=child, start_date=DAY, end_date=DAY, reason=AbsenceReason.choices[0][0],
            status=status, declared_at=when, declared_by=world.dupont,
        )  # fmt: skip

    world.pending_amalia = absence(world.amalia, AbsenceStatus.PENDING, NOW)
    world.pending_leo = absence(world.leo, AbsenceStatus.PENDING, NOW)
    world.justified_paolo = absence(world.paolo, AbsenceStatus.JUSTIFIED, NOW - datetime.timedelta(days=1))
    world.refused_leo = absence(world.leo, AbsenceStatus.NOT_JUSTIFIED, NOW - datetime.timedelta(days=2))
    world.pending_b = absence(world.paolo_b, AbsenceStatus.PENDING, NOW)
    return world


def test_absences_filter_by_state_and_by_child_or_family_name(declared):
    client = _staff(declared.staff_a)
    url = reverse("staff:absences")
    assert _rows(client.get(url), "absence-pending") == 2
    assert _rows(client.get(url, {"etat": "justifiee"}), "absence-pending") == 1
    assert _rows(client.get(url, {"etat": "non_justifiee"}), "absence-pending") == 1
    assert _rows(client.get(url, {"etat": "toutes"}), "absence-pending") == 4
    assert _rows(client.get(url, {"nom": "amal"}), "absence-pending") == 1
    assert _rows(client.get(url, {"nom": "martin", "etat": "toutes"}), "absence-pending") == 2  # Léo's family
    assert _rows(client.get(url, {"nom": "léo", "etat": "a_examiner"}), "absence-pending") == 1


def test_absences_pagination_keeps_the_filters(declared, monkeypatch):
    monkeypatch.setattr(absence_views, "PAGE_SIZE", 1)
    text = page_text(_staff(declared.staff_a).get(reverse("staff:absences"), {"etat": "toutes", "nom": "u"}))
    assert 'href="?etat=toutes&nom=u&page=2"' in text.replace("&amp;", "&")


@pytest.mark.parametrize(
    ("field", "value"), [("etat", v) for v in ["x", "<b>", "\x00"]] + [("nom", v) for v in HOSTILE]
)
def test_absences_hostile_filters_are_a_french_message(declared, field, value):
    response = _staff(declared.staff_a).get(reverse("staff:absences"), {field: value})
    assert response.status_code == 400
    text = page_text(response)
    assert "État inconnu" in text or "caractères au plus" in text


# ------------------------------------------------------------------ family changes


@pytest.fixture
def changed(world):
    def change(family, key, seen=False):
        return FamilyChange.objects.create(
            family=family, field_label="Téléphone de la famille", field_key=f"family.{family.pk}.{key}",
            old_value="", new_value="01 02 03 04 05", changed_by=world.dupont, changed_at=timezone.now(),
            seen_at=timezone.now() if seen else None, seen_by=world.staff_a if seen else None,
        )  # fmt: skip

    change(world.family_a, "phone")
    change(world.family_a, "address", seen=True)
    change(world.martin_a, "phone")
    change(world.family_b, "phone")
    return world


def test_changes_filter_by_seen_and_by_family(changed):
    client = _staff(changed.staff_a)
    url = reverse("staff:family_changes")
    assert _rows(client.get(url), "family-change") == 2
    assert _rows(client.get(url, {"etat": "vues"}), "family-change") == 1
    assert _rows(client.get(url, {"etat": "toutes"}), "family-change") == 3
    assert _rows(client.get(url, {"famille": "martin"}), "family-change") == 1
    assert _rows(client.get(url, {"famille": "DUP", "etat": "toutes"}), "family-change") == 2


def test_changes_pagination_keeps_the_filters(changed, monkeypatch):
    monkeypatch.setattr(changes_views, "PAGE_SIZE", 1)
    text = page_text(_staff(changed.staff_a).get(reverse("staff:family_changes"), {"etat": "toutes", "famille": "u"}))
    assert 'href="?etat=toutes&famille=u&page=2"' in text.replace("&amp;", "&")


@pytest.mark.parametrize(
    ("field", "value"), [("etat", v) for v in ["x", "<b>", "\x00"]] + [("famille", v) for v in HOSTILE]
)
def test_changes_hostile_filters_are_a_french_message(changed, field, value):
    response = _staff(changed.staff_a).get(reverse("staff:family_changes"), {field: value})
    assert response.status_code == 400
    text = page_text(response)
    assert "État inconnu" in text or "caractères au plus" in text
