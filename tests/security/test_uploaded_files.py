"""Issue 17, acceptance: uploaded files.

- Every uploaded file (a required document, an absence's certificate) is
  refused — the same 404 as an id that does not exist — to another family,
  to DUPONT's own account while it consults its other structure, and to the
  staff of another structure, on the family's and on the staff's URL alike;
  anonymous visitors are sent to log in.
- Every new URL of documents and absences answers another family and another
  structure's staff with a 404 (or a page without DUPONT's data), changing
  nothing.
- HTML or SVG disguised as a PDF (or an image) is refused on both upload
  endpoints, and random bytes under any name are stored only when they are a
  real PDF, JPEG or PNG; never a 500.
- No static path serves a stored file.
"""

import datetime
import os

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail.dossier import documents as service
from portail.dossier.models import Absence, AbsenceStatus, Document, DocumentStatus, DocumentType
from tests.dossier.samples import HTML, JPEG_THAT_IS_HTML, PDF, PDF_THAT_IS_HTML, SVG, image_bytes, upload
from tests.fuzz.values import NASTY_STRINGS, fingerprint
from tests.helpers import make_booking, page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _family_client(user, family):
    client = Client()
    client.force_login(user)
    client.post(reverse("family:switch_structure"), {"family": family.pk})
    return client


@pytest.fixture
def files(world):
    """DUPONT's files in CarteVille: a document and an absence's certificate."""
    world.insurance = DocumentType.objects.create(structure=world.a, name="Assurance")
    world.insurance_b = DocumentType.objects.create(structure=world.b, name="Assurance")
    make_booking(child=world.paolo, activity=world.aps_a, date=DAY, status="accepted")
    dupont = _family_client(world.dupont, world.family_a)
    assert (
        dupont.post(
            reverse("family:document_upload"), {"document": world.insurance.pk, "fichier": upload(PDF)}
        ).status_code
        == 302
    )
    assert dupont.post(reverse("family:absence_declare"),
                       {"enfant": world.paolo.pk, "du": "2026-12-07", "au": "2026-12-07", "motif": "illness",
                        "justificatif": upload(image_bytes("JPEG"), "certif.jpg", "image/jpeg")}).status_code == 302  # fmt: skip
    world.document = Document.objects.get(doc_type=world.insurance)
    world.absence = Absence.objects.get()
    world.certificate = world.absence.certificate
    return world


def _outsiders(w):
    return {
        "martin": ("family", _family_client(w.martin, w.martin_a)),
        "dupont-in-b": ("family", _family_client(w.dupont, w.family_b)),
        "staff-b": ("staff", _staff(w.staff_b)),
    }


def _staff(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("which", ["document", "certificate"])
@pytest.mark.parametrize("who", ["martin", "dupont-in-b", "staff-b"])
def test_every_uploaded_file_is_a_404_to_anyone_else(files, which, who):
    pk = getattr(files, which).pk
    _side, client = _outsiders(files)[who]
    for name in ("family:document_file", "staff:document_file"):
        response = client.get(reverse(name, args=[pk]))
        assert response.status_code in (302, 404), (name, response.status_code)
        if response.status_code == 302:
            # a parent on /gestion/: the back office's login; staff on the family site: the back office
            assert response["Location"].startswith("/admin/"), response["Location"]
    # exactly like an id that does not exist
    missing = client.get(reverse("family:document_file", args=[pk + 1000]))
    assert missing.status_code in (302, 404)


@pytest.mark.parametrize("which", ["document", "certificate"])
def test_anonymous_visitors_are_sent_to_log_in(files, which, client):
    pk = getattr(files, which).pk
    for name in ("family:document_file", "staff:document_file"):
        response = client.get(reverse(name, args=[pk]))
        assert response.status_code == 302
        assert "login" in response["Location"] or "connexion" in response["Location"]


@pytest.mark.parametrize("which", ["document", "certificate"])
def test_the_owner_and_the_structures_staff_do_get_them(files, which):
    """So the 404s above mean something."""
    pk = getattr(files, which).pk
    assert (
        _family_client(files.dupont, files.family_a).get(reverse("family:document_file", args=[pk])).status_code == 200
    )
    assert _staff(files.staff_a).get(reverse("staff:document_file", args=[pk])).status_code == 200


def _new_url_cases(w):
    """(who, method, url, data) for every new URL, sent by someone who must not reach DUPONT's rows."""
    doc, absence = w.document.pk, w.absence.pk
    return [
        ("martin", "get", reverse("family:documents"), {}),
        ("martin", "post", reverse("family:document_upload"), {"document": w.insurance_b.pk, "fichier": upload(PDF)}),
        ("martin", "get", reverse("family:document_file", args=[doc]), {}),
        ("martin", "get", reverse("family:absences"), {"enfant": w.paolo.pk, "du": "2026-12-01", "au": "2026-12-31"}),
        ("martin", "post", reverse("family:absence_declare"),
         {"enfant": w.paolo.pk, "du": "2026-12-07", "au": "2026-12-07", "motif": "illness"}),
        ("staff-b", "get", reverse("staff:documents"), {}),
        ("staff-b", "get", reverse("staff:document", args=[doc]), {}),
        ("staff-b", "post", reverse("staff:document", args=[doc]), {"decision": "refuser", "motif": "Non"}),
        ("staff-b", "get", reverse("staff:document_file", args=[doc]), {}),
        ("staff-b", "get", reverse("staff:absences"), {}),
        ("staff-b", "post", reverse("staff:absence_decide", args=[absence]), {"decision": "justifiee"}),
    ]  # fmt: skip


def test_every_new_url_refuses_another_family_and_another_structures_staff(files):
    clients = {"martin": _family_client(files.martin, files.martin_a), "staff-b": _staff(files.staff_b)}
    for who, method, url, data in _new_url_cases(files):
        before = fingerprint()
        response = getattr(clients[who], method)(url, data)
        if response.status_code == 200:
            assert "Paolo" not in page_text(response) and "DUPONT" not in page_text(response), url
            assert url in (reverse("family:documents"), reverse("staff:documents"), reverse("staff:absences")), url
        else:
            assert response.status_code == 404, (url, response.status_code)
        assert fingerprint() == before, url
    files.document.refresh_from_db()
    files.absence.refresh_from_db()
    assert files.document.status == DocumentStatus.PENDING and files.absence.status == AbsenceStatus.PENDING


@pytest.mark.parametrize(
    "data, name, content_type",
    [
        (HTML, "attestation.pdf", "application/pdf"),
        (SVG, "attestation.pdf", "application/pdf"),
        (SVG, "image.svg", "image/svg+xml"),
        (PDF_THAT_IS_HTML, "attestation.pdf", "application/pdf"),
        (JPEG_THAT_IS_HTML, "photo.jpg", "image/jpeg"),
    ],
    ids=["html-as-pdf", "svg-as-pdf", "svg", "pdf-that-is-html", "jpeg-that-is-html"],
)
@pytest.mark.parametrize("endpoint", ["document", "absence"])
def test_html_or_svg_disguised_as_a_document_is_refused(files, data, name, content_type, endpoint):
    Document.objects.all().delete()
    Absence.objects.all().delete()
    dupont = _family_client(files.dupont, files.family_a)
    if endpoint == "document":
        response = dupont.post(
            reverse("family:document_upload"),
            {"document": files.insurance.pk, "fichier": upload(data, name, content_type)},
        )
    else:
        response = dupont.post(reverse("family:absence_declare"),
                               {"enfant": files.paolo.pk, "du": "2026-12-07", "au": "2026-12-07", "motif": "illness",
                                "justificatif": upload(data, name, content_type)})  # fmt: skip
    assert response.status_code == 400
    assert "Ce fichier n'est ni un PDF ni une image JPEG ou PNG." in page_text(response)
    assert not Document.objects.exists() and not Absence.objects.exists()


FILE_BYTES = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from([HTML, SVG, PDF_THAT_IS_HTML, JPEG_THAT_IS_HTML, PDF, image_bytes("PNG")]),
    st.builds(lambda head, tail: head + tail, st.sampled_from([b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"]),
              st.binary(max_size=512)),
)  # fmt: skip
FILE_NAMES = (
    st.one_of(st.sampled_from(NASTY_STRINGS[:40]), st.text(max_size=80))
    .filter(lambda s: "\x00" not in s)
    # A name a browser can send: Django's upload object refuses "/" or ".." (not the view's concern).
    .filter(lambda s: os.path.basename(s or "f") not in {"", ".", ".."})
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=FILE_BYTES, name=FILE_NAMES, content_type=st.sampled_from(["application/pdf", "image/png", "text/html"]))
def test_hostile_files_never_crash_and_are_stored_only_when_real(files, data, name, content_type):
    dupont = _family_client(files.dupont, files.family_a)
    before = Document.objects.count()
    response = dupont.post(
        reverse("family:document_upload"),
        {"document": files.insurance.pk, "fichier": upload(data, name or "f", content_type)},
    )
    assert response.status_code < 500
    stored = Document.objects.count() - before
    # A name Django's multipart parser cannot make a file name of (control
    # characters only…) arrives as no file at all: the form asks for one.
    received = "Choisissez le fichier à envoyer." not in page_text(response)
    assert stored == (1 if received and service.sniff(data) else 0)
    if stored:
        document = Document.objects.latest("pk")
        assert document.content_type == service.sniff(data)
        assert "\n" not in document.original_name and "/" not in document.original_name
        body = b"".join(dupont.get(reverse("family:document_file", args=[document.pk])).streaming_content)
        assert body == data


def test_no_static_path_serves_a_stored_file(files, client):
    for document in (files.document, files.certificate):
        name = document.file.name
        for path in (f"/static/{name}", f"/static/{name.rsplit('/', 1)[1]}", f"/{name}", f"/media/{name}"):
            assert client.get(path).status_code == 404, path
