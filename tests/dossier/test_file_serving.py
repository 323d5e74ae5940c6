"""Issue 17 point 4: a family's file is served by a view only (by Document id,
never by its stored path), with the type checked at upload, nosniff, an ASCII
file name and a sandbox, to the family's accounts and to the staff of its
structure; the storage has no public URL and lies outside the static files."""

import datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portail.dossier.models import Document, DocumentType, private_storage
from tests.dossier.samples import PDF, image_bytes, upload

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _dupont(world, family=None):
    client = Client()
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": (family or world.family_a).pk})
    return client


@pytest.fixture
def sent(world):
    world.insurance = DocumentType.objects.create(structure=world.a, name="Assurance")
    client = _dupont(world)
    client.post(
        reverse("family:document_upload"),
        {"document": world.insurance.pk, "fichier": upload(PDF, "Attestation d'assurance « 2026 ».pdf")},
    )
    client.post(reverse("family:document_upload"),
                {"document": world.insurance.pk, "fichier": upload(image_bytes("PNG"), "photo.png", "image/png")})  # fmt: skip
    world.pdf = Document.objects.get(content_type="application/pdf")
    world.png = Document.objects.get(content_type="image/png")
    return world


def _body(response):
    return b"".join(response.streaming_content)


def test_the_family_gets_its_pdf_as_an_attachment_with_safe_headers(sent):
    response = _dupont(sent).get(reverse("family:document_file", args=[sent.pdf.pk]))
    assert response.status_code == 200
    assert _body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Content-Disposition"] == 'attachment; filename="attestation-d-assurance-2026.pdf"'
    assert "private" in response["Cache-Control"]


def test_an_image_is_shown_inline_with_its_checked_type(sent):
    response = _dupont(sent).get(reverse("family:document_file", args=[sent.png.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]


def test_the_other_parent_and_the_structures_staff_get_it(sent, world):
    other_parent = Client()
    other_parent.force_login(world.dupont2)
    assert other_parent.get(reverse("family:document_file", args=[sent.pdf.pk])).status_code == 200
    staff = Client()
    staff.force_login(world.staff_a)
    response = staff.get(reverse("staff:document_file", args=[sent.pdf.pk]))
    assert response.status_code == 200 and _body(response) == PDF


def test_a_missing_file_on_disk_is_a_404_not_a_500(sent):
    private_storage.delete(sent.pdf.file.name)
    assert _dupont(sent).get(reverse("family:document_file", args=[sent.pdf.pk])).status_code == 404


def test_the_storage_has_no_public_url_and_lies_outside_the_static_files(sent):
    with pytest.raises(ValueError):
        private_storage.url(sent.pdf.file.name)
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    for static in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        static = static.resolve()
        assert not private.is_relative_to(static) and not static.is_relative_to(private)


def test_no_static_path_serves_a_stored_file(sent, client):
    name = sent.pdf.file.name
    for path in (f"/static/{name}", f"/static/{Path(name).name}", f"/{name}", f"/media/{name}", f"/private/{name}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert PDF not in (response.content if not response.streaming else _body(response))
