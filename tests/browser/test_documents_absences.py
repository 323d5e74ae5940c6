"""Issue 17 points 4, 5 in a real browser, at 375 and 1280 px: a parent sends
a document through « Mes documents » (a page disguised as a PDF is refused in
French), declares an absence with a certificate on « Absences » after seeing
the booked days it covers; axe finds nothing serious or critical on either
page, and neither scrolls sideways."""

import pytest
import time_machine
from playwright.sync_api import expect

from portail.dossier.models import Absence, Document, DocumentStatus, DocumentType
from tests.browser.a11y import blocking_violations
from tests.browser.test_booking_screens import NOW, dec, log_in
from tests.dossier.samples import HTML, PDF
from tests.helpers import make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.mark.parametrize("width", [375, 1280])
def test_a_parent_sends_a_document_and_declares_an_absence(browser, live_server, world, password, width):
    insurance = DocumentType.objects.create(structure=world.a, name="Assurance", validity_months=12)
    DocumentType.objects.create(structure=world.a, name="Certificat médical", per_child=True, required=False)
    make_booking(child=world.paolo, activity=world.aps_a, date=dec(7), status="accepted")
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []

    def check(screen):
        problems.extend(blocking_violations(page, screen))
        if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            problems.append(f"{screen}: scrolls sideways")

    try:
        log_in(page, live_server, password)
        page.goto(f"{live_server.url}/mon-dossier/")
        page.get_by_test_id("dossier-documents-link").click()
        expect(page.get_by_role("heading", name="Mes documents", exact=True)).to_be_visible()
        check("Mes documents, nothing sent")

        form = page.get_by_test_id("document-upload")
        form.get_by_label("Document").select_option(label="Assurance")
        form.get_by_label("Fichier (PDF, JPEG ou PNG)").set_input_files(
            {"name": "attestation.pdf", "mimeType": "application/pdf", "buffer": HTML}
        )
        form.get_by_role("button", name="Envoyer").click()
        expect(page.get_by_test_id("document-error")).to_have_text(
            "Ce fichier n'est ni un PDF ni une image JPEG ou PNG."
        )
        check("Mes documents, a page disguised as a PDF refused")
        assert not Document.objects.exists()

        form = page.get_by_test_id("document-upload")
        form.get_by_label("Document").select_option(label="Assurance")
        form.get_by_label("Fichier (PDF, JPEG ou PNG)").set_input_files(
            {"name": "attestation.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        form.get_by_role("button", name="Envoyer").click()
        row = page.get_by_test_id("requirement").filter(has_text="Assurance")
        expect(row).to_contain_text("À vérifier par la structure")
        check("Mes documents, one sent")
        assert Document.objects.get().doc_type == insurance

        page.goto(f"{live_server.url}/mon-dossier/")
        page.get_by_test_id("dossier-absences-link").click()
        expect(page.get_by_test_id("absence-days")).to_be_visible()
        check("Absences, nothing declared")
        days = page.get_by_test_id("absence-days")
        days.get_by_label("Enfant").select_option(label="Paolo")
        days.get_by_label("Du").fill("2026-12-07")
        days.get_by_label("Au").fill("2026-12-11")
        days.get_by_role("button", name="Voir les jours réservés").click()
        expect(page.get_by_test_id("absence-covered")).to_contain_text("lun. 07/12 — APS MATIN")
        check("Absences, the days covered")
        declare = page.get_by_test_id("absence-declare")
        declare.get_by_label("Certificat ou justificatif (facultatif : PDF, JPEG ou PNG)").set_input_files(
            {"name": "certificat.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        declare.get_by_role("button", name="Déclarer l'absence").click()
        expect(page.get_by_test_id("absence").first).to_contain_text("À examiner")
        check("Absences, one declared")
        absence = Absence.objects.get()
        assert absence.certificate is not None and absence.certificate.status == DocumentStatus.PENDING
    finally:
        context.close()
    assert not problems, "\n".join(problems)
