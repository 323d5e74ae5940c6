"""Issue 17 point 2: health data is visible only to the family and to the staff
of the child's structure, and every staff view of it is recorded (who, when,
where); structure managers read the list of those views."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portail.accounts.models import StaffRole
from portail.dossier.health import WHERE_CHILD_FILE
from portail.dossier.models import AuthorisedPerson, Diet, HealthAccess, HealthSheet
from tests import factories as f
from tests.helpers import page_text

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
ALLERGY = "Arachide : stylo d'adrénaline dans le sac"
ACCESSES = reverse("staff:health_accesses")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def filled(world):
    w = world
    HealthSheet.objects.create(
        child=w.paolo, has_food_allergy=True, allergies=ALLERGY, diet=Diet.NO_PORK, has_pai=True,
        doctor_name="Dr Martine LEROY", doctor_phone="01 23 45 67 89", vaccinations_up_to_date=True,
    )  # fmt: skip
    HealthSheet.objects.create(child=w.paolo_b, has_food_allergy=True, allergies="Kiwi")
    AuthorisedPerson.objects.create(child=w.paolo, name="Josette DUPONT", relationship="grand-mère", phone="0612345678")
    w.animator = f.StaffFactory(username="anim.a", structures=[w.a], staff_role=StaffRole.ANIMATEUR)
    w.manager = f.StaffFactory(username="resp.a", structures=[w.a], staff_role=StaffRole.RESPONSABLE)
    w.manager_b = f.StaffFactory(username="resp.b", structures=[w.b], staff_role=StaffRole.RESPONSABLE)
    return w


def child_file(child):
    return reverse("staff:child_file", kwargs={"pk": child.pk})


@pytest.mark.parametrize("who", ["staff_a", "animator", "manager"])
def test_staff_of_the_structure_see_the_sheet_and_their_view_is_recorded(client, filled, who):
    viewer = getattr(filled, who)
    client.force_login(viewer)
    response = client.get(child_file(filled.paolo))
    assert response.status_code == 200
    text = page_text(response)
    assert ALLERGY in text and "Dr Martine LEROY" in text and "Sans porc" in text
    assert "Josette DUPONT (grand-mère)" in text and "Votre consultation de cette fiche est enregistrée" in text
    access = HealthAccess.objects.get()
    assert (access.child, access.viewer, access.where, access.at) == (filled.paolo, viewer, WHERE_CHILD_FILE, NOW)
    client.get(child_file(filled.paolo))
    assert HealthAccess.objects.count() == 2  # every view, not only the first


def test_a_child_without_a_sheet(client, filled):
    client.force_login(filled.staff_a)
    text = page_text(client.get(child_file(filled.amalia)))
    assert "La famille n'a pas encore rempli la fiche sanitaire." in text
    assert HealthAccess.objects.filter(child=filled.amalia).count() == 1


@pytest.mark.parametrize("who", ["staff_b", "manager_b"])
def test_another_structures_staff_get_a_404_and_nothing_is_recorded(client, filled, who):
    client.force_login(getattr(filled, who))
    response = client.get(child_file(filled.paolo))
    assert response.status_code == 404 and ALLERGY not in page_text(response)
    assert not HealthAccess.objects.exists()


def test_families_and_strangers_do_not_reach_the_staff_page(client, filled):
    assert client.get(child_file(filled.paolo)).status_code == 302  # to the back office's login
    client.force_login(filled.dupont)
    response = client.get(child_file(filled.paolo))
    assert response.status_code == 302 and ALLERGY not in page_text(response)
    assert not HealthAccess.objects.exists()


def test_the_roll_call_and_the_sheet_link_to_the_childs_file_without_recording(client, filled):
    """Only the full sheet is recorded: the marks on the roll call are not a view of it."""
    day = datetime.date(2026, 11, 26)
    f.OpeningFactory(activity=filled.aps_a, date=day)
    from tests.helpers import make_booking

    make_booking(child=filled.paolo, activity=filled.aps_a, date=day, status="accepted")
    client.force_login(filled.animator)
    response = client.get(reverse("staff:roll_call"), {"date": day.isoformat(), "activite": filled.aps_a.pk})
    assert child_file(filled.paolo) in page_text(response)
    assert not HealthAccess.objects.exists()


def test_managers_read_who_looked_at_which_sheet(client, filled):
    for viewer, child in (
        (filled.staff_a, filled.paolo),
        (filled.animator, filled.amalia),
        (filled.staff_b, filled.paolo_b),
    ):
        client.force_login(viewer)
        assert client.get(child_file(child)).status_code == 200
    client.force_login(filled.manager)
    text = " ".join(page_text(client.get(ACCESSES)).split())
    assert "DUPONT Paolo" in text and "DUPONT Amalia" in text and "Fiche de l'enfant" in text
    assert filled.staff_a.display_name in text and filled.animator.display_name in text
    assert filled.staff_b.display_name not in text  # Les Pinsons' views are not CarteVille's
    one = page_text(client.get(ACCESSES, {"enfant": filled.amalia.pk}))
    assert "DUPONT Amalia" in one and filled.staff_a.display_name not in one
    # Another structure's child: not found, like every foreign id.
    assert client.get(ACCESSES, {"enfant": filled.paolo_b.pk}).status_code == 404
    assert client.get(ACCESSES, {"enfant": "abc"}).status_code == 404
    assert client.get(ACCESSES, {"page": "0"}).status_code == 400


@pytest.mark.parametrize("who", ["staff_a", "animator"])
def test_the_list_of_views_is_for_managers_only(client, filled, who):
    client.force_login(getattr(filled, who))
    assert client.get(ACCESSES).status_code == 403
    text = page_text(client.get(reverse("staff:index")))
    assert ACCESSES not in text


def test_the_managers_menu_links_to_the_list(client, filled):
    client.force_login(filled.manager)
    assert ACCESSES in page_text(client.get(reverse("staff:index")))


def test_the_familys_admin_page_links_to_each_childs_file(client, filled):
    client.force_login(filled.staff_a)
    response = client.get(reverse("admin:structures_family_change", args=[filled.family_a.pk]))
    assert response.status_code == 200
    text = page_text(response)
    assert child_file(filled.paolo) in text and child_file(filled.amalia) in text
    assert ALLERGY not in text and not HealthAccess.objects.exists()  # a link, not a view of the sheet


def test_the_pai_sent_with_the_documents_is_linked_from_the_childs_file(client, filled):
    """The PAI's upload belongs to « Mes documents » (dossier.documents): the sheet links the family's PAI."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portail.dossier.documents import store_document
    from portail.dossier.models import DocumentKind, DocumentType

    pai_type = DocumentType.objects.create(structure=filled.a, name="PAI", kind=DocumentKind.PAI, per_child=True)
    pdf = SimpleUploadedFile("pai.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    document = store_document(filled.family_a, pdf, doc_type=pai_type, child=filled.paolo, uploaded_by=filled.dupont)
    # The family saves the sheet (PAI ticked): the sheet points to that document.
    client.force_login(filled.dupont)
    client.post(reverse("family:switch_structure"), {"family": filled.family_a.pk})
    sheet = {"has_food_allergy": "on", "allergies": ALLERGY, "has_pai": "on", "doctor_phone": "01 23 45 67 89"}
    assert client.post(reverse("family:health", args=[filled.paolo.pk]), sheet).status_code == 302
    assert HealthSheet.objects.get(child=filled.paolo).pai_document == document
    client.force_login(filled.staff_a)
    text = page_text(client.get(child_file(filled.paolo)))
    assert reverse("staff:document_file", args=[document.pk]) in text
    # Amalia has no PAI: no link to her brother's.
    assert reverse("staff:document_file", args=[document.pk]) not in page_text(client.get(child_file(filled.amalia)))
