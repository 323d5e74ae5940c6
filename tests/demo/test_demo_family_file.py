"""Issue 17 acceptance: the demo family has a filled file, with one document
missing and one expiring soon, and load_demo run again adds nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from portail.demo import data as demo
from portail.dossier import documents
from portail.dossier.models import (
    Absence,
    AbsenceStatus,
    AuthorisedPerson,
    Document,
    DocumentKind,
    DocumentType,
    Guardian,
    HealthSheet,
    private_storage,
)
from portail.structures.models import Family
from tests.helpers import page_text

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 15, 0))
TODAY = NOW.date()
DOSSIER_MODELS = [Guardian, HealthSheet, AuthorisedPerson, DocumentType, Document, Absence]


@pytest.fixture
def loaded(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo.load_demo(now=NOW)
    return Family.objects.get(structure__name="Mairie de CarteVille", reference="DUP001")


def test_the_dupont_file_is_filled_in(loaded):
    family = loaded
    assert {g.first_name for g in Guardian.objects.filter(family=family)} == {"Jean-Paul", "Marie"}
    assert all(g.account_id and g.mobile_phone for g in Guardian.objects.filter(family=family))
    paolo = family.children.get(first_name="Paolo")
    assert paolo.health.has_food_allergy and "Arachide" in paolo.health.allergies
    for child in family.children.all():
        assert AuthorisedPerson.objects.filter(child=child, can_pick_up=True).count() == 2
    assert family.address and family.phone


def test_one_document_missing_one_expiring_soon_the_others_validated(loaded):
    states = {(r.doc_type.kind, r.child.first_name if r.child else None): r.state
              for r in documents.family_requirements(loaded, TODAY)}  # fmt: skip
    assert states == {
        (DocumentKind.CAF, None): documents.MISSING,
        (DocumentKind.INSURANCE, None): documents.EXPIRING,
        (DocumentKind.MEDICAL, "Amalia"): documents.VALID,
        (DocumentKind.MEDICAL, "Paolo"): documents.VALID,
    }
    # Real files, stored privately, that the checks of an upload accept.
    for document in Document.objects.filter(family=loaded):
        assert private_storage.exists(document.file.name)
        with document.file.open("rb") as stored:
            assert documents.sniff(stored.read()) == "application/pdf"


def test_an_absence_with_a_certificate_waits_for_staff(loaded):
    absence = Absence.objects.get(family=loaded)
    assert absence.status == AbsenceStatus.PENDING and absence.child.first_name == "Paolo"
    assert absence.certificate is not None and absence.bookings.filter(date__gt=TODAY).exists()


def test_loading_again_adds_nothing_to_the_file(loaded):
    before = {model.__name__: model.objects.count() for model in DOSSIER_MODELS}
    demo.load_demo(now=NOW)
    assert {model.__name__: model.objects.count() for model in DOSSIER_MODELS} == before


def test_the_parent_sees_the_file_on_its_pages(loaded, client):
    client.force_login(loaded.accounts.get(username="dupont"))
    client.post(reverse("family:switch_structure"), {"family": loaded.pk})
    page = page_text(client.get(reverse("family:my_data")))
    assert "Arachide" in page and "Josette DUPONT" in page and "assurance-scolaire.pdf" in page
