"""The recap shows the estimated cost of the booking demandes (issue 16 point
1: « the price shows where a parent decides »), priced by the invoice's own
line builder: the family's QF bracket, the 2nd child's reduction (also next to
an elder already booked), nothing for the cancellations, nothing at all when
no tariff applies."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from portail.billing.money import euros
from portail.booking import drafts
from portail.booking.models import DraftAction, DraftItem
from portail.booking.staff_actions import staff_book
from tests import factories as f
from tests.billing.tariffs import make_tariff
from tests.helpers import page_text

NOW = datetime.datetime(2026, 12, 5, 11, 0, tzinfo=datetime.UTC)
MON, TUE = datetime.date(2026, 12, 7), datetime.date(2026, 12, 8)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene(world):
    """APS MATIN of A open MON and TUE, both DUPONT children enrolled; a tariff
    of 1,50 € up to QF 600, 3,00 € above, 2nd child −20 %."""
    aps = world.aps_a
    aps.booking_deadline_days = aps.cancellation_deadline_days = 0
    aps.save()
    f.OpeningFactory(activity=aps, date=TUE)
    f.EnrolmentFactory(child=world.amalia, activity=aps)
    make_tariff(aps, {600: 150, None: 300}, second_child_reduction_percent=20)
    return world


@pytest.fixture
def parent(client, scene):
    client.force_login(scene.dupont)
    client.post(reverse("family:switch_structure"), {"family": scene.family_a.pk})
    return client


def mark(world, child, day, action=DraftAction.BOOK, activity=None):
    draft = drafts.get_draft(world.family_a, world.dupont)
    return DraftItem.objects.create(draft=draft, child=child, activity=activity or world.aps_a, date=day, action=action)


def estimate(client):
    """The recap's « Coût estimé » text, or None when it shows none."""
    response = client.get(reverse("family:recap"))
    assert response.status_code == 200
    found = re.search(r'data-testid="recap-estimate"[^>]*>(.*?)</p>', page_text(response), re.S)
    if found is None:
        return None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def said(cents):
    """« Coût estimé : 23,40 € » as estimate() reads it (spaces folded)."""
    return "Coût estimé : " + re.sub(r"\s+", " ", euros(cents))


def test_the_estimate_uses_the_familys_qf_bracket(parent, scene):
    mark(scene, scene.paolo, MON)
    mark(scene, scene.paolo, TUE)
    assert estimate(parent).startswith(said(600))  # no QF: the top bracket, 2 × 3,00 €
    scene.family_a.quotient_familial, scene.family_a.qf_valid_until = 450, datetime.date(2026, 12, 31)
    scene.family_a.save()
    assert estimate(parent).startswith(said(300))  # QF 450 ≤ 600: 2 × 1,50 €
    scene.family_a.qf_valid_until = datetime.date(2026, 12, 7)  # valid on MON only
    scene.family_a.save()
    assert estimate(parent).startswith(said(150 + 300))
    assert "la facture du mois fait foi" in estimate(parent)


def test_the_second_child_gets_the_reduction(parent, scene):
    mark(scene, scene.paolo, MON)
    mark(scene, scene.amalia, MON)
    # Paolo (2017) is the elder: full price; Amalia: 3,00 € − 20 % = 2,40 €.
    assert estimate(parent).startswith(said(300 + 240))


def test_a_second_child_booked_next_to_an_elder_already_booked(parent, scene):
    staff_book(scene.paolo, scene.aps_a, MON, actor=scene.staff_a, reason="Au guichet", now=NOW)
    mark(scene, scene.amalia, MON)
    assert estimate(parent).startswith(said(240))


def test_cancellations_and_untariffed_activities_show_no_estimate(parent, scene):
    staff_book(scene.paolo, scene.aps_a, TUE, actor=scene.staff_a, reason="Au guichet", now=NOW)
    mark(scene, scene.paolo, TUE, DraftAction.CANCEL)
    assert estimate(parent) is None
    f.OpeningFactory(activity=scene.cantine_a, date=MON)
    f.EnrolmentFactory(child=scene.paolo, activity=scene.cantine_a)
    mark(scene, scene.paolo, MON, activity=scene.cantine_a)  # RESTAURATION has no tariff
    assert estimate(parent) is None


def test_the_estimate_is_in_english_for_an_english_reader(parent, scene):
    mark(scene, scene.paolo, MON)
    html = page_text(parent.get(reverse("family:recap"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Estimated cost: 3,00" in html and "the month's invoice is what counts" in html
