"""Anonymising a family that has money with the town (issue 17 point 6, found
by the review of the demo): a payment still « en cours » at the bank prevents
it (its answer would find nobody to record for); a credit does not prevent it
(refunds are made outside the portal) but the responsable reads it before
confirming. The family file asks billing through a signal (siblings never
import each other)."""

import datetime

import pytest
from django.urls import reverse

from portail.accounts.models import StaffRole
from portail.billing import ledger
from portail.billing.models import OnlinePayment, OnlinePaymentStatus, PaymentMethod
from portail.dossier import rgpd
from tests import factories as f
from tests.helpers import make_booking, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, world):
    world.resp_a = f.StaffFactory(username="resp.a", structures=[world.a], staff_role=StaffRole.RESPONSABLE)
    client.force_login(world.resp_a)
    make_booking(child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 10, 5), status="accepted")
    return client


def _url(family):
    return reverse("staff:anonymise_family", args=[family.pk])


def test_an_online_payment_en_cours_prevents_it(manager, world):
    OnlinePayment.objects.create(
        structure=world.a, family=world.family_a, amount_cents=4200, order_id="20261127abc", backend="simulated",
        status=OnlinePaymentStatus.PENDING,
    )  # fmt: skip
    page = page_text(manager.get(_url(world.family_a)))
    assert "Un paiement en ligne attend la réponse de la banque : attendez-la." in page
    assert 'data-testid="confirm-anonymise"' not in page
    response = manager.post(_url(world.family_a), {"confirmer": "on"})
    assert response.status_code == 400
    world.family_a.refresh_from_db()
    assert world.family_a.last_name == "DUPONT"

    OnlinePayment.objects.update(status=OnlinePaymentStatus.ABANDONED)
    assert rgpd.anonymisation_obstacles(world.family_a) == []


def test_a_credit_is_said_before_confirming_and_does_not_prevent_it(manager, world):
    ledger.record_payment(world.family_a, 1250, PaymentMethod.CASH)
    assert rgpd.anonymisation_obstacles(world.family_a) == []
    page = page_text(manager.get(_url(world.family_a)))
    assert 'data-testid="anonymise-warnings"' in page
    assert "La famille a un crédit de 12,50\u00a0€." in page
    assert 'data-testid="confirm-anonymise"' in page
    assert manager.post(_url(world.family_a), {"confirmer": "on"}).status_code == 302
    world.family_a.refresh_from_db()
    assert world.family_a.last_name.startswith("Famille anonymisée")


def test_no_credit_no_warning(manager, world):
    assert rgpd.anonymisation_warnings(world.family_a) == []
    assert 'data-testid="anonymise-warnings"' not in page_text(manager.get(_url(world.family_a)))
