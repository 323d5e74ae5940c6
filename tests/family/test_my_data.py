"""Issue 17 point 6: « Mes données » shows and exports everything the portal
holds about the account's family, and nothing of another family."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portail.dossier.documents import store_document
from portail.dossier.models import AuthorisedPerson, Guardian, HealthSheet
from tests.helpers import make_booking, page_text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
URL = reverse("family:my_data")


@pytest.fixture
def dupont(client, world):
    w = world
    Guardian.objects.create(family=w.family_a, last_name="DUPONT", first_name="Marie", mobile_phone="06 99 88 77 66")
    HealthSheet.objects.create(child=w.paolo, has_food_allergy=True, allergies="Arachide <script>alert(1)</script>")
    AuthorisedPerson.objects.create(child=w.paolo, name="Josette GRANDMÈRE", relationship="grand-mère", phone="01 02")
    w.document = store_document(w.family_a, SimpleUploadedFile("caf.pdf", PDF), doc_type=None, uploaded_by=w.dupont)
    make_booking(child=w.paolo, activity=w.aps_a, date=datetime.date(2026, 12, 7), status="accepted")
    # MARTIN's file: never on DUPONT's page.
    HealthSheet.objects.create(child=w.leo, allergies="Pollen de bouleau")
    client.force_login(w.dupont)
    client.post(reverse("family:switch_structure"), {"family": w.family_a.pk})
    return client


def test_the_page_shows_every_part_of_the_file_escaped(dupont, world):
    response = dupont.get(URL)
    assert response.status_code == 200
    text = page_text(response)
    for expected in ("06 99 88 77 66", "Josette GRANDMÈRE", "caf.pdf", "APS MATIN", "24 mois sans activité"):
        assert expected in text
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert reverse("family:document_file", args=[world.document.pk]) in text
    assert "Pollen" not in text and "Léo" not in text
    assert world.dupont.password not in text


def test_the_json_download_is_an_attachment_without_a_password(dupont, world):
    response = dupont.get(URL, {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-mairie-de-carteville-')
    data = json.loads(response.content)
    assert data["health_sheets"][0]["allergies"].startswith("Arachide")
    assert {a["username"] for a in data["accounts"]} == {"dupont", "dupont2"}
    assert "password" not in response.content.decode()
    assert "Pollen" not in response.content.decode()


def test_the_html_download_is_a_page_of_its_own_with_full_links(dupont, world):
    response = dupont.get(URL, {"format": "html"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.html"')
    text = page_text(response)
    assert text.startswith("<!DOCTYPE html>") and "Josette GRANDMÈRE" in text
    assert "http://testserver" + reverse("family:document_file", args=[world.document.pk]) in text


def test_the_structure_chosen_decides_which_family_is_exported(dupont, world):
    """DUPONT's account has a family in B too: B's page shows B's file only."""
    dupont.post(reverse("family:switch_structure"), {"family": world.family_b.pk})
    data = json.loads(dupont.get(URL, {"format": "json"}).content)
    assert data["structure"] == world.b.name
    assert data["health_sheets"] == [] and data["guardians"] == [] and data["documents"] == []


@pytest.mark.parametrize("value", ["pdf", "JSON", "../../etc", "x" * 5000])
def test_an_unknown_format_is_a_french_400(dupont, value):
    response = dupont.get(URL, {"format": value})
    assert response.status_code == 400
    assert "Format inconnu" in page_text(response)


def test_a_visitor_is_sent_to_the_login(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "/connexion/" in response.url
