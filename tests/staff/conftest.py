"""The staff screens' world: structure A's APS MATIN on DAY, with Paolo in its
only place and three families on its waiting list, seen on NOW (early enough
for a freed place to go to the waiting list)."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from portail.booking.models import Booking, BookingStatus
from tests import factories as f
from tests.helpers import make_booking, page_text

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
DAY = datetime.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(client, world):
    client.force_login(world.staff_a)
    return client


@pytest.fixture
def full_day(world):
    world.aps_a.capacity, world.aps_a.waiting_list_capacity = 1, 5
    world.aps_a.save()
    world.paolo.school_class = "CE2"
    world.paolo.save()
    paolo = make_booking(child=world.paolo, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    waiting = []
    for n in range(3):
        account = f.UserFactory(username=f"attente{n}", email=f"attente{n}@example.org")
        family = f.FamilyFactory(structure=world.a, last_name=f"ATTENTE{n}", accounts=[account])
        child = f.ChildFactory(family=family, first_name=f"Enfant{n}", last_name=f"ATTENTE{n}")
        f.EnrolmentFactory(child=child, activity=world.aps_a)
        waiting.append(
            make_booking(
                child=child, activity=world.aps_a, date=DAY, status=BookingStatus.WAITLISTED,
                queued_at=NOW - datetime.timedelta(days=3, minutes=10 - n),
            )
        )  # fmt: skip
    return paolo, waiting


def statuses(bookings):
    return [Booking.objects.get(pk=b.pk).status for b in bookings]


def visible_text(response):
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())
