"""Issue 17 acceptance, in a real browser: a parent updates a phone number,
adds an allergy and a person allowed to pick up, sends the CAF attestation
and declares an absence with a certificate; a clerk validates the document
(the QF with it) and the absence; the kitchen's week shows the allergy mark
(never its text) and the place freed goes to the first family on the
waiting list."""

import datetime
import io

import pytest
import time_machine
from playwright.sync_api import expect
from reportlab.pdfgen import canvas

from portail.booking.models import Booking, BookingStatus
from portail.dossier.models import (
    Absence,
    AbsenceStatus,
    AuthorisedPerson,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentType,
    HealthSheet,
)
from tests import factories as f
from tests.browser.header import open_menu
from tests.browser.login import login_family, login_staff
from tests.helpers import make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)  # Thursday
DAY = datetime.date(2026, 12, 7)  # Monday: Paolo's place, Léo first on the waiting list
TUESDAY = datetime.date(2026, 12, 8)  # Paolo eats at the canteen


@pytest.fixture(autouse=True)
def clock():
    # tick=True: the clock runs on (Playwright's timeouts work); the live server thread sees it too.
    with time_machine.travel(NOW, tick=True):
        yield


def _pdf(text):
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 760, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


@pytest.fixture
def file_world(world):
    """APS MATIN on DAY: one place (Paolo's), then Léo (MARTIN) and Nina (ROUX)
    waiting in that order; the canteen on TUESDAY for Paolo; CarteVille asks
    for the CAF attestation."""
    w = world
    w.aps_a.capacity, w.aps_a.waiting_list_capacity = 1, 3
    w.aps_a.save()
    w.opening_a.capacity, w.opening_a.waiting_list_capacity = 1, 3
    w.opening_a.save()
    roux = f.FamilyFactory(structure=w.a, reference="ROU", last_name="ROUX", first_name="Anne")
    w.nina = f.ChildFactory(family=roux, first_name="Nina", last_name="ROUX")
    for child in (w.leo, w.nina):
        f.EnrolmentFactory(child=child, activity=w.aps_a)
    f.EnrolmentFactory(child=w.paolo, activity=w.cantine_a)
    f.OpeningFactory(activity=w.cantine_a, date=TUESDAY)
    w.place = make_booking(child=w.paolo, activity=w.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    w.first = make_booking(child=w.leo, activity=w.aps_a, date=DAY, status=BookingStatus.WAITLISTED)
    w.second = make_booking(child=w.nina, activity=w.aps_a, date=DAY, status=BookingStatus.WAITLISTED)
    make_booking(child=w.paolo, activity=w.cantine_a, date=TUESDAY, status=BookingStatus.ACCEPTED)
    w.caf = DocumentType.objects.create(
        structure=w.a, name="Attestation CAF", kind=DocumentKind.CAF, required=True, validity_months=12
    )
    return w


def test_the_family_file_from_the_parent_to_the_kitchen_and_the_waiting_list(
    browser, live_server, file_world, password, tmp_path
):
    w = file_world
    base = live_server.url
    caf_file = tmp_path / "attestation-caf.pdf"
    caf_file.write_bytes(_pdf("Attestation CAF - QF 850"))
    certificate = tmp_path / "certificat.pdf"
    certificate.write_bytes(_pdf("Certificat medical - Paolo"))

    parent = browser.new_context(viewport={"width": 375, "height": 900}, locale="fr-FR").new_page()
    parent.set_default_timeout(15_000)
    login_family(parent, base, "dupont", password, structure="Mairie de CarteVille")
    expect(parent.get_by_test_id("info-message").first).to_contain_text("CarteVille")

    # 1. A phone number, from « Mon dossier ».
    open_menu(parent)
    parent.get_by_role("link", name="Mon dossier").click()
    parent.get_by_role("link", name="Modifier les coordonnées").click()
    parent.get_by_label("Téléphone").fill("01 45 67 89 10")
    parent.get_by_role("button", name="Enregistrer").click()
    expect(parent.get_by_text("Vos modifications sont enregistrées.")).to_be_visible()
    expect(parent.get_by_test_id("dossier-household")).to_contain_text("01 45 67 89 10")

    # 2. Paolo's food allergy, on his health sheet.
    parent.goto(f"{base}/mon-dossier/enfants/{w.paolo.pk}/sante/")
    parent.get_by_label("Mon enfant a une allergie alimentaire").check()
    parent.get_by_label("Allergies (alimentaires ou autres) et conduite à tenir").fill("Arachide : éviction stricte")
    parent.get_by_role("button", name="Enregistrer la fiche sanitaire").click()
    expect(parent.get_by_text("La fiche sanitaire de Paolo est enregistrée.")).to_be_visible()

    # 3. His grandmother may collect him.
    parent.goto(f"{base}/mon-dossier/enfants/{w.paolo.pk}/personnes/")
    parent.get_by_label("Nom et prénom").fill("Josette DUPONT")
    parent.get_by_label("Lien avec l'enfant").fill("grand-mère")
    parent.get_by_label("Téléphone").fill("06 11 22 33 44")
    parent.get_by_label("Peut venir chercher l'enfant").check()
    parent.get_by_role("button", name="Ajouter").click()
    expect(parent.get_by_test_id("people")).to_contain_text("Josette DUPONT")

    # 4. The CAF attestation.
    parent.goto(f"{base}/mes-documents/")
    expect(parent.get_by_test_id("requirement")).to_have_attribute("data-state", "missing")
    parent.get_by_label("Document", exact=True).select_option(label="Attestation CAF")
    parent.get_by_label("Fichier (PDF, JPEG ou PNG)").set_input_files(str(caf_file))
    parent.get_by_role("button", name="Envoyer").click()
    expect(parent.get_by_test_id("requirement")).to_have_attribute("data-state", "pending")

    # 5. Paolo is ill on DAY: an absence with a certificate, although past the délai does not matter.
    parent.goto(f"{base}/absences/")
    parent.get_by_label("Enfant").select_option(label="Paolo")
    parent.get_by_label("Du").fill(DAY.isoformat())
    parent.get_by_label("Au").fill(DAY.isoformat())
    parent.get_by_role("button", name="Voir les jours réservés").click()
    expect(parent.get_by_test_id("absence-covered")).to_contain_text("APS MATIN")
    parent.get_by_label("Maladie").check()
    parent.get_by_label("Certificat ou justificatif (facultatif : PDF, JPEG ou PNG)").set_input_files(str(certificate))
    parent.get_by_role("button", name="Déclarer l'absence").click()
    expect(parent.get_by_text("Absence déclarée : la structure va l'examiner.")).to_be_visible()
    expect(parent.get_by_test_id("absence")).to_have_attribute("data-state", "pending")
    parent.context.close()

    w.family_a.refresh_from_db()
    assert w.family_a.phone == "01 45 67 89 10"
    sheet = HealthSheet.objects.get(child=w.paolo)
    assert sheet.has_food_allergy and sheet.allergies == "Arachide : éviction stricte"
    assert AuthorisedPerson.objects.filter(child=w.paolo, name="Josette DUPONT", can_pick_up=True).exists()

    # The clerk: the document, then the absence.
    clerk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
    clerk.set_default_timeout(15_000)
    login_staff(clerk, base, "agent.a", password)
    clerk.goto(f"{base}/gestion/documents/")
    clerk.get_by_test_id("document-pending").get_by_role("link", name="Attestation CAF").click()
    clerk.get_by_label("Valable jusqu'au (vide : sans fin)").fill("2027-11-30")
    clerk.get_by_label("Quotient familial", exact=True).fill("850")
    clerk.get_by_label("Quotient familial valable jusqu'au").fill("2027-11-30")
    clerk.get_by_role("button", name="Valider").click()
    expect(clerk.get_by_text("Document validé.")).to_be_visible()

    clerk.goto(f"{base}/gestion/absences/")
    pending = clerk.get_by_test_id("absence-pending")
    expect(pending).to_contain_text("Paolo")
    pending.get_by_role("button", name="Justifiée", exact=True).click()
    expect(clerk.get_by_test_id("absences-decided")).to_contain_text("Justifiée")

    # The kitchen's week: Paolo's meal on Tuesday carries the mark, never the text.
    clerk.goto(f"{base}/gestion/repas/?semaine={DAY.isoformat()}")
    marks = clerk.get_by_test_id("meal-marks")
    expect(marks).to_contain_text("Paolo")
    expect(marks).to_contain_text("Allergie alimentaire")
    expect(clerk.locator("body")).not_to_contain_text("Arachide")
    clerk.context.close()

    document = Document.objects.get(family=w.family_a, doc_type=w.caf)
    assert document.status == DocumentStatus.VALIDATED and document.original_name == "attestation-caf.pdf"
    w.family_a.refresh_from_db()
    assert (w.family_a.quotient_familial, w.family_a.qf_valid_until) == (850, datetime.date(2027, 11, 30))
    absence = Absence.objects.get(family=w.family_a)
    assert absence.status == AbsenceStatus.JUSTIFIED and absence.certificate.original_name == "certificat.pdf"
    # The place went to the first family waiting, not to the second; the justified day is not billed.
    statuses = dict(Booking.objects.filter(activity=w.aps_a, date=DAY).values_list("child__first_name", "status"))
    assert statuses == {"Paolo": "cancelled", "Léo": "accepted", "Nina": "waitlisted"}
    assert not Booking.objects.get(pk=w.place.pk).cancelled_late
