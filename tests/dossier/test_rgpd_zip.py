"""Issue 17 point 6: « Tout télécharger » on « Mes données » gives one zip:
the JSON, the readable page (standalone) and the family's documents, named
readably; never another family's file."""

import datetime
import io
import json
import zipfile

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portail.dossier import rgpd
from portail.dossier.documents import store_document
from portail.dossier.models import Document, DocumentType, HealthAccess, HealthSheet, private_storage
from tests.helpers import page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
URL = reverse("family:my_data")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(out, "PNG")
    return out.getvalue()


PNG = _png()


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def files(world):
    w = world
    caf = DocumentType.objects.create(structure=w.a, name="Attestation CAF")
    sent = datetime.datetime(2026, 9, 3, 10, 0, tzinfo=datetime.UTC)
    # Two attestations sent the same day: two files, never one over the other.
    w.caf1 = store_document(w.family_a, SimpleUploadedFile("a.pdf", PDF + b"1"), doc_type=caf, uploaded_by=w.dupont, now=sent)  # fmt: skip
    w.caf2 = store_document(w.family_a, SimpleUploadedFile("b.pdf", PDF + b"2"), doc_type=caf, uploaded_by=w.dupont, now=sent)  # fmt: skip
    # No type, a hostile name, for a child.
    w.odd = store_document(
        w.family_a, SimpleUploadedFile('.Certificat: "médical"*?\t<b>.png', PNG), doc_type=None, child=w.paolo,
        uploaded_by=w.dupont, now=sent,
    )  # fmt: skip
    HealthSheet.objects.create(child=w.paolo, allergies="Arachide <script>alert(1)</script>")
    w.martin_doc = store_document(w.martin_a, SimpleUploadedFile("martin.pdf", PDF + b"MARTIN"), doc_type=caf, uploaded_by=w.martin)  # fmt: skip
    return w


def _zip(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-mairie-de-carteville-')
    assert response["Content-Disposition"].endswith('.zip"')
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_a_parent_downloads_the_json_the_page_and_the_documents_in_one_zip(client, files):
    w = files
    client.force_login(w.dupont)
    client.post(reverse("family:switch_structure"), {"family": w.family_a.pk})
    archive = _zip(client.get(URL, {"format": "zip"}))
    names = archive.namelist()

    assert {"donnees.json", "donnees.html"} <= set(names)
    documents = sorted(n for n in names if n.startswith("documents/"))
    assert documents == [
        "documents/2026-09-03 Attestation CAF (2).pdf",
        "documents/2026-09-03 Attestation CAF.pdf",
        "documents/2026-09-03 Certificat médical b - Paolo.png",
    ]
    assert archive.read("documents/2026-09-03 Attestation CAF.pdf") == PDF + b"1"
    assert archive.read("documents/2026-09-03 Attestation CAF (2).pdf") == PDF + b"2"
    assert archive.read("documents/2026-09-03 Certificat médical b - Paolo.png") == PNG
    # Another family's file is not inside, under any name.
    assert all(archive.read(n) != PDF + b"MARTIN" for n in names)

    data = json.loads(archive.read("donnees.json"))
    assert data["health_sheets"][0]["allergies"] == "Arachide <script>alert(1)</script>"
    assert len(data["documents"]) == 3 and "Pollen" not in json.dumps(data)

    page = archive.read("donnees.html").decode()
    assert page.startswith("<!DOCTYPE html>") and "Arachide &lt;script&gt;" in page
    assert "<script" not in page and "<link" not in page and "http" not in page
    # The page links each file inside the archive.
    assert 'href="documents/2026-09-03%20Attestation%20CAF%20%282%29.pdf"' in page
    # A parent's download is not a staff view of the health sheet.
    assert not HealthAccess.objects.exists()


def test_the_page_offers_the_zip(client, files):
    client.force_login(files.dupont)
    client.post(reverse("family:switch_structure"), {"family": files.family_a.pk})
    text = page_text(client.get(URL))
    assert 'href="?format=zip"' in text and "Tout télécharger" in text


def test_the_structure_chosen_decides_whose_files_are_inside(client, files):
    """DUPONT's account has a family in B too, without documents: B's zip has none of A's."""
    w = files
    client.force_login(w.dupont)
    client.post(reverse("family:switch_structure"), {"family": w.family_b.pk})
    archive = _zip_named(client.get(URL, {"format": "zip"}))
    assert sorted(archive.namelist()) == ["donnees.html", "donnees.json"]
    assert json.loads(archive.read("donnees.json"))["structure"] == w.b.name


def _zip_named(response):
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.zip"')
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_a_file_missing_from_the_storage_is_left_out_not_a_500(client, files):
    w = files
    private_storage.delete(w.caf1.file.name)
    client.force_login(w.dupont)
    client.post(reverse("family:switch_structure"), {"family": w.family_a.pk})
    archive = _zip(client.get(URL, {"format": "zip"}))
    assert len([n for n in archive.namelist() if n.startswith("documents/")]) == 2


def test_a_document_sent_while_the_zip_is_made_is_listed_without_a_file_not_a_500(client, files, monkeypatch):
    """The documents are read twice (their names in the archive, then the
    sections): one the other parent sends in between has no name yet."""
    w = files
    named = rgpd.document_archive_names

    def then_the_other_parent_sends_one(documents):
        names = named(documents)
        store_document(w.family_a, SimpleUploadedFile("late.pdf", PDF + b"late"), doc_type=None, uploaded_by=w.dupont2)
        return names

    monkeypatch.setattr(rgpd, "document_archive_names", then_the_other_parent_sends_one)
    client.force_login(w.dupont)
    client.post(reverse("family:switch_structure"), {"family": w.family_a.pk})
    archive = _zip(client.get(URL, {"format": "zip"}))
    assert len([n for n in archive.namelist() if n.startswith("documents/")]) == 3  # the three listed first
    assert "late.pdf" in archive.read("donnees.json").decode()  # listed, without a file


def test_a_visitor_or_a_staff_account_gets_no_zip(client, files):
    response = client.get(URL, {"format": "zip"})
    assert response.status_code == 302 and "/connexion/" in response.url
    client.force_login(files.staff_a)
    response = client.get(URL, {"format": "zip"})
    assert response.status_code in (302, 403, 404)
    assert "zip" not in response.get("Content-Type", "")


@pytest.mark.parametrize("value", ["ZIP", "zip ", "zip\x00", "tar.gz"])
def test_a_near_miss_format_is_a_french_400(client, files, value):
    client.force_login(files.dupont)
    response = client.get(URL, {"format": value})
    assert response.status_code == 400
    assert "Format inconnu : choisissez JSON, HTML ou ZIP." in page_text(response)


def test_archive_names_are_readable_unique_and_never_leave_the_documents_folder(files):
    w = files
    documents = list(Document.objects.filter(family=w.family_a).select_related("doc_type", "child"))
    names = rgpd.document_archive_names(documents)
    assert len(set(names.values())) == len(documents)
    for name in names.values():
        folder, _, file_name = name.partition("/")
        assert folder == "documents" and "/" not in file_name and "\\" not in file_name
        assert not file_name.startswith(".") and ".." not in file_name
