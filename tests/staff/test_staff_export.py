"""Issue 17 point 6: a family writes to the town asking for its data; a
structure manager (responsable) downloads the same zip as « Mes données »
from the family's page, and the family's admin history says so."""

import io
import json
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portail.accounts.models import StaffRole
from portail.dossier.documents import store_document
from portail.dossier.models import HealthAccess, HealthSheet
from tests import factories as f
from tests.helpers import page_text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def asked(world):
    """DUPONT asked structure A for its data: a health sheet and a document to send."""
    w = world
    w.resp_a = f.StaffFactory(username="resp.a", structures=[w.a], staff_role=StaffRole.RESPONSABLE)
    HealthSheet.objects.create(child=w.paolo, allergies="Arachide")
    w.document = store_document(w.family_a, SimpleUploadedFile("caf.pdf", PDF), doc_type=None, uploaded_by=w.dupont)
    store_document(w.martin_a, SimpleUploadedFile("m.pdf", PDF + b"MARTIN"), doc_type=None, uploaded_by=w.martin)
    return w


def _url(family):
    return reverse("staff:export_family_data", args=[family.pk])


def _exports(family):
    return LogEntry.objects.filter(
        content_type__model="family", object_id=str(family.pk), change_message="Données exportées (RGPD)"
    )


def test_a_manager_downloads_the_familys_zip_and_it_is_recorded(client, asked):
    w = asked
    client.force_login(w.resp_a)
    # The family's page in the back office links to it, beside « Anonymiser cette famille ».
    page = page_text(client.get(reverse("admin:structures_family_change", args=[w.family_a.pk])))
    assert _url(w.family_a) in page and "Télécharger ses données (zip)" in page

    response = client.get(_url(w.family_a))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="donnees-mairie-de-carteville-dup-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert {"donnees.json", "donnees.html"} <= set(names)
    documents = [n for n in names if n.startswith("documents/")]
    assert len(documents) == 1 and archive.read(documents[0]) == PDF
    data = json.loads(archive.read("donnees.json"))
    assert data["family"][0]["reference"] == "DUP" and data["health_sheets"][0]["allergies"] == "Arachide"
    assert "MARTIN" not in json.dumps(data)

    # Who, in the family's history; the health sheet seen, in its log.
    entry = _exports(w.family_a).get()
    assert entry.user == w.resp_a
    assert HealthAccess.objects.filter(child=w.paolo, viewer=w.resp_a, where="export RGPD").count() == 1
    # The list of views names it in French, like the child file's.
    views = page_text(client.get(reverse("staff:health_accesses"), {"enfant": w.paolo.pk}))
    assert "Export des données de la famille (RGPD)" in views


def test_another_structures_family_is_a_404_and_nothing_is_recorded(client, asked):
    w = asked
    client.force_login(w.resp_a)
    assert client.get(_url(w.family_b)).status_code == 404
    assert client.get(reverse("staff:export_family_data", args=[999999])).status_code == 404
    assert not _exports(w.family_b).exists() and not HealthAccess.objects.exists()


def test_an_agent_or_an_animator_gets_a_403_and_no_link(client, asked):
    w = asked
    animator = f.StaffFactory(username="anim.a", structures=[w.a], staff_role=StaffRole.ANIMATEUR)
    for user in (w.staff_a, animator):
        client.force_login(user)
        response = client.get(_url(w.family_a))
        assert response.status_code == 403
        assert "zip" not in response.get("Content-Type", "")
    client.force_login(w.staff_a)
    page = page_text(client.get(reverse("admin:structures_family_change", args=[w.family_a.pk])))
    assert _url(w.family_a) not in page
    assert not _exports(w.family_a).exists() and not HealthAccess.objects.exists()


def test_a_post_is_refused_and_a_parent_is_sent_to_the_back_office_login(client, asked):
    w = asked
    client.force_login(w.resp_a)
    assert client.post(_url(w.family_a)).status_code == 405
    client.force_login(w.dupont)
    response = client.get(_url(w.family_a))
    assert response.status_code == 302 and reverse("admin:login") in response.url
    assert not _exports(w.family_a).exists()
