"""Issue 17 acceptance: axe finds no serious or critical violation on the new
family pages (the family file, its health sheets, people, documents,
absences, « Mes données »), on a phone (375 px) and a desktop (1280 px),
filled in, with a form's errors shown, and none scrolls sideways."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from portail.booking.models import BookingStatus
from portail.dossier.absences import declare_absence
from portail.dossier.documents import store_document, validate_document
from portail.dossier.models import (
    AbsenceReason,
    AuthorisedPerson,
    DocumentKind,
    DocumentType,
    Guardian,
    HealthSheet,
)
from tests.browser.a11y import blocking_violations
from tests.browser.login import login_family
from tests.helpers import make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def filled(world):
    """DUPONT's file in CarteVille with something in every part, so every table and list is drawn."""
    w = world
    w.marie = Guardian.objects.create(
        family=w.family_a, civility="Mme", last_name="DUPONT", first_name="Marie", mobile_phone="06 11 22 33 44",
        email="marie@example.org", account=w.dupont2,
    )  # fmt: skip
    HealthSheet.objects.create(child=w.paolo, has_food_allergy=True, allergies="Arachide", has_pai=True)
    AuthorisedPerson.objects.create(child=w.paolo, name="Josette DUPONT", relationship="grand-mère", phone="0611223344")
    caf = DocumentType.objects.create(structure=w.a, name="Attestation CAF", kind=DocumentKind.CAF, validity_months=12)
    DocumentType.objects.create(structure=w.a, name="Assurance", kind=DocumentKind.INSURANCE)
    DocumentType.objects.create(structure=w.a, name="Certificat médical", kind=DocumentKind.MEDICAL, per_child=True)
    document = store_document(w.family_a, SimpleUploadedFile("caf.pdf", PDF), doc_type=caf, uploaded_by=w.dupont)
    validate_document(
        document, actor=w.staff_a, valid_until=datetime.date(2026, 12, 10), quotient=850,
        qf_valid_until=datetime.date(2026, 12, 10),
    )  # fmt: skip
    make_booking(child=w.paolo, activity=w.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    declare_absence(
        w.family_a, w.paolo, start=DAY, end=DAY, reason=AbsenceReason.ILLNESS, comment="Angine",
        certificate=SimpleUploadedFile("certificat.pdf", PDF), declared_by=w.dupont,
    )  # fmt: skip
    return w


@pytest.mark.parametrize("width", [375, 1280])
def test_the_family_file_pages_are_accessible(browser, live_server, filled, password, width):
    w = filled
    base = live_server.url
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = []

    def check(screen):
        page.wait_for_load_state("load")
        problems.extend(blocking_violations(page, f"{screen} @{width}"))
        if not page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"):
            problems.append(f"{screen} @{width}: scrolls sideways")

    try:
        login_family(page, base, "dupont", password, structure="Mairie de CarteVille")
        expect(page.get_by_test_id("info-message").first).to_contain_text("CarteVille")

        paolo = w.paolo.pk
        for screen, path in [
            ("Mon dossier", "/mon-dossier/"),
            ("coordonnées", "/mon-dossier/coordonnees/"),
            ("un parent", f"/mon-dossier/parents/{w.marie.pk}/"),
            ("ajouter un parent", "/mon-dossier/parents/ajouter/"),
            ("un enfant", f"/mon-dossier/enfants/{paolo}/"),
            ("inviter un parent", "/compte/inviter-un-parent/"),
            ("fiche sanitaire", f"/mon-dossier/enfants/{paolo}/sante/"),
            ("fiche sanitaire vide", f"/mon-dossier/enfants/{w.amalia.pk}/sante/"),
            ("personnes autorisées", f"/mon-dossier/enfants/{paolo}/personnes/"),
            ("personnes autorisées vides", f"/mon-dossier/enfants/{w.amalia.pk}/personnes/"),
            ("Mes documents", "/mes-documents/"),
            ("Absences", "/absences/"),
            ("Absences: a day chosen", f"/absences/?enfant={paolo}&du=2026-12-07&au=2026-12-11"),
            ("Mes données", "/mon-dossier/mes-donnees/"),
        ]:
            page.goto(base + path)
            expect(page.locator("h1")).to_be_visible()
            check(screen)

        # Forms with their errors shown.
        page.goto(f"{base}/mon-dossier/enfants/{paolo}/sante/")
        page.get_by_label("Allergies (alimentaires ou autres) et conduite à tenir").fill("")
        page.get_by_role("button", name="Enregistrer la fiche sanitaire").click()
        expect(page.get_by_text("Précisez l'allergie alimentaire")).to_be_visible()
        check("fiche sanitaire, erreur")
        page.goto(f"{base}/mon-dossier/enfants/{paolo}/personnes/")
        page.get_by_role("button", name="Ajouter").click()
        expect(page.locator(".field-error").first).to_be_visible()  # the page with the errors, not the one before
        check("personnes autorisées, erreur")
        page.goto(f"{base}/mes-documents/")
        page.get_by_label("Fichier (PDF, JPEG ou PNG)").set_input_files(
            files=[{"name": "page.pdf", "mimeType": "application/pdf", "buffer": b"<html><script>x</script>"}]
        )
        page.get_by_role("button", name="Envoyer").click()
        expect(page.get_by_test_id("document-error")).to_be_visible()
        check("Mes documents, fichier refusé")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
