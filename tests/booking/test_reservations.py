"""R12 states as the family sees them: Non transmis with the provisional
outcome until the run, then the definitive state."""

import datetime

import pytest
from django.utils import timezone

from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.processing import process_requests
from portail.booking.reservations import NOT_TRANSMITTED_REMARK, family_reservations
from tests import factories as f

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
DAY = datetime.date(2026, 12, 7)


@pytest.fixture
def one_place(world):
    world.aps_a.capacity, world.aps_a.waiting_list_capacity = 1, 2
    world.aps_a.save()
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    return world.aps_a


def confirm(world, child, activity, day=DAY, now=NOW):
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, child, activity, day, now=now)
    return confirm_draft(draft, draft.token, user=world.dupont, now=now)


def labels(world, **filters):
    return [
        (line.booking.child.first_name, line.label) for line in family_reservations(world.family_a, now=NOW, **filters)
    ]


def test_non_transmis_then_definitive(world, one_place):
    confirm(world, world.paolo, one_place)
    confirm(world, world.amalia, one_place)
    assert labels(world) == [
        ("Amalia", "Non transmis (liste d'attente, position 1)"),
        ("Paolo", "Non transmis (place réservée)"),
    ]
    assert family_reservations(world.family_a, now=NOW)[0].remark == NOT_TRANSMITTED_REMARK
    process_requests(world.a, now=NOW)
    assert labels(world) == [("Amalia", "En liste d'attente (position 1)"), ("Paolo", "Acceptée")]


def test_cancellation_is_non_transmis_until_the_run(world, one_place):
    confirm(world, world.paolo, one_place)
    process_requests(world.a, now=NOW)
    confirm(world, world.paolo, one_place)  # toggling a booked day marks it "à annuler"
    assert labels(world) == [("Paolo", "Non transmis (annulée)")]
    process_requests(world.a, now=NOW)
    assert labels(world) == [("Paolo", "Annulée")]
    assert not family_reservations(world.family_a, now=NOW)[0].cancellable


def test_filters_and_other_families_never_appear(world, one_place):
    confirm(world, world.paolo, one_place)
    f.EnrolmentFactory(child=world.leo, activity=one_place)
    draft = drafts.get_draft(world.martin_a, world.martin)
    drafts.toggle_day(draft, world.leo, one_place, DAY, now=NOW)
    confirm_draft(draft, draft.token, user=world.martin, now=NOW)
    assert [line.booking.child for line in family_reservations(world.family_a, now=NOW)] == [world.paolo]
    assert labels(world, child_id=world.amalia.pk) == []
    assert labels(world, activity_id=world.cantine_a.pk) == []
    assert len(labels(world, start=DAY, end=DAY)) == 1


def test_cancellable_follows_the_cancellation_deadline(world, one_place):
    confirm(world, world.paolo, one_place)
    late = timezone.make_aware(
        datetime.datetime(2026, 12, 6, 12, 0)
    )  # default délai: 2 calendar days before, 10:00 → 05/12 10:00
    line = family_reservations(world.family_a, now=late)[0]
    assert not line.cancellable and line.cancel_refusal.startswith("Hors délai d'annulation")
    assert family_reservations(world.family_a, now=NOW)[0].cancellable
