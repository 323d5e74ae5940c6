"""Issue 17 point 6: « Anonymiser cette famille », for a structure manager
(responsable) only, after a confirmation, refused while a booking is to come
or an invoice is due."""

import datetime

import pytest
from django.urls import reverse

from portail.accounts.models import StaffRole
from portail.billing.models import Invoice
from portail.booking.models import BookingStatus
from portail.dossier.models import Guardian, HealthSheet
from tests import factories as f
from tests.helpers import make_booking, page_text
from tests.test_aria_references import assert_references_exist


@pytest.fixture
def manager(client, world):
    world.resp_a = f.StaffFactory(username="resp.a", structures=[world.a], staff_role=StaffRole.RESPONSABLE)
    client.force_login(world.resp_a)
    return client


@pytest.fixture
def left(world):
    """DUPONT has left structure A: only bookings of the past, a health sheet, a parent."""
    make_booking(child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 10, 5), status="accepted")
    HealthSheet.objects.create(child=world.paolo, allergies="Arachide")
    Guardian.objects.create(family=world.family_a, last_name="DUPONT", first_name="Marie", mobile_phone="06 01")
    return world


def _url(family):
    return reverse("staff:anonymise_family", args=[family.pk])


def test_the_manager_sees_what_goes_then_confirms(manager, left):
    w = left
    response = manager.get(_url(w.family_a))
    assert response.status_code == 200
    text = page_text(response)
    assert "Ce qui est effacé" in text and 'data-testid="confirm-anonymise"' in text
    assert assert_references_exist(response, "the confirmation page")
    # The admin's family page links to it, for a manager.
    assert _url(w.family_a) in page_text(manager.get(reverse("admin:structures_family_change", args=[w.family_a.pk])))

    response = manager.post(_url(w.family_a), {"confirmer": "on"})
    assert response.status_code == 302
    w.family_a.refresh_from_db()
    assert w.family_a.last_name == f"Famille anonymisée n° {w.family_a.pk}"
    assert not HealthSheet.objects.filter(child=w.paolo).exists()
    assert not Guardian.objects.filter(family=w.family_a).exists()
    assert "Famille anonymisée" in page_text(manager.get(response.url))


def test_without_the_confirmation_nothing_changes(manager, left):
    response = manager.post(_url(left.family_a), {})
    assert response.status_code == 400
    assert "Cochez la case pour confirmer" in page_text(response)
    left.family_a.refresh_from_db()
    assert left.family_a.last_name == "DUPONT"


def test_a_booking_to_come_is_said_and_refused(manager, left):
    w = left
    make_booking(child=w.paolo, activity=w.aps_a, date=datetime.date(2026, 12, 7), status=BookingStatus.WAITLISTED)
    page = page_text(manager.get(_url(w.family_a)))
    assert "Il reste 1 réservation à venir : annulez-la d'abord." in page
    assert 'data-testid="confirm-anonymise"' not in page
    response = manager.post(_url(w.family_a), {"confirmer": "on"})
    assert response.status_code == 400
    assert "réservation à venir" in page_text(response)
    w.family_a.refresh_from_db()
    assert w.family_a.last_name == "DUPONT" and HealthSheet.objects.filter(child=w.paolo).exists()


def test_an_invoice_due_is_refused(manager, left):
    w = left
    Invoice.objects.create(
        structure=w.a, family=w.family_a, year=2026, number=1, reference="F-2026-000001",
        period_start=datetime.date(2026, 10, 1), period_end=datetime.date(2026, 10, 31),
        due_date=datetime.date(2026, 11, 15), total_cents=1200, settled_cents=0, family_name="DUPONT",
    )  # fmt: skip
    response = manager.post(_url(w.family_a), {"confirmer": "on"})
    assert response.status_code == 400
    assert "Il reste 1 facture à payer." in page_text(response)
    w.family_a.refresh_from_db()
    assert w.family_a.last_name == "DUPONT"


def test_an_agent_or_an_animator_gets_a_403_and_changes_nothing(client, left):
    w = left
    animator = f.StaffFactory(username="anim.a", structures=[w.a], staff_role=StaffRole.ANIMATEUR)
    for user in (w.staff_a, animator):
        client.force_login(user)
        assert client.get(_url(w.family_a)).status_code == 403
        assert client.post(_url(w.family_a), {"confirmer": "on"}).status_code == 403
    # An agent's family page has no link to it.
    client.force_login(w.staff_a)
    page = page_text(client.get(reverse("admin:structures_family_change", args=[w.family_a.pk])))
    assert _url(w.family_a) not in page
    w.family_a.refresh_from_db()
    assert w.family_a.last_name == "DUPONT"


def test_another_structures_family_is_a_404(manager, left):
    w = left
    assert manager.get(_url(w.family_b)).status_code == 404
    assert manager.post(_url(w.family_b), {"confirmer": "on"}).status_code == 404
    w.family_b.refresh_from_db()
    assert w.family_b.last_name == "DUPONT"


def test_a_parent_is_sent_to_the_back_office_login(client, left):
    client.force_login(left.dupont)
    response = client.post(_url(left.family_a), {"confirmer": "on"})
    assert response.status_code == 302 and reverse("admin:login") in response.url
    left.family_a.refresh_from_db()
    assert left.family_a.last_name == "DUPONT"
