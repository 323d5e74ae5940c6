"""The day planning runs a fixed number of queries, whatever the number of
children booked or waiting (queries.day_planning)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portail.booking.models import Booking, BookingStatus
from portail.structures.models import Child, Enrolment, Family
from tests.helpers import recount_all
from tests.staff.conftest import DAY, NOW

# session, user, the staff's structures (scoping), activities, openings,
# bookings (with their waiting-list positions), enrolments (children one may
# still book), the structure's closed days (is the day's cancellation délai
# past, so no automatic promotion: issue 18 point 3; one per structure shown)
# and the account's two permission lookups (the admin's frame); the family
# header is lazy and not shown here.
PLANNING_QUERIES = 10


def crowd(world, n, waiting=5):
    """n children of structure A booked on APS MATIN on DAY, the last `waiting` on its waiting list."""
    world.aps_a.capacity, world.aps_a.waiting_list_capacity = n, waiting
    world.aps_a.save()
    families = Family.objects.bulk_create(
        Family(structure=world.a, reference=f"N{n}-{i}", civility="Mme", last_name=f"FAMILLE{i:03d}", first_name="Anne")
        for i in range(n)
    )  # fmt: skip
    children = Child.objects.bulk_create(
        Child(family=family, first_name="Enfant", last_name=family.last_name, birth_date=datetime.date(2018, 4, 1),
              school_class="CE1")
        for family in families
    )  # fmt: skip
    Enrolment.objects.bulk_create(
        Enrolment(child=c, activity=world.aps_a, start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2027, 7, 3))
        for c in children
    )  # fmt: skip
    Booking.objects.bulk_create(
        Booking(child=c, activity=world.aps_a, date=DAY, queued_at=NOW - datetime.timedelta(minutes=i),
                status=BookingStatus.WAITLISTED if i >= n - waiting else BookingStatus.ACCEPTED)
        for i, c in enumerate(children)
    )  # fmt: skip
    recount_all()  # rows inserted behind the engine: the opening's counters follow them (issue 15)


def planning_queries(client, world):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("staff:planning"), {"date": DAY.isoformat()})
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("n", [30, 300])
def test_planning_query_count_is_fixed(staff, world, django_assert_num_queries, n):
    crowd(world, n)
    with django_assert_num_queries(PLANNING_QUERIES):
        response = staff.get(reverse("staff:planning"), {"date": DAY.isoformat()})
    html = response.content.decode()
    assert f"{n - 5} / {n} places" in html and html.count("FAMILLE") >= n


def test_thirty_and_three_hundred_children_cost_the_same(staff, world):
    crowd(world, 30)
    small, _ = planning_queries(staff, world)
    Booking.objects.all().delete()
    Enrolment.objects.filter(child__family__reference__startswith="N30-").delete()
    crowd(world, 300)
    large, response = planning_queries(staff, world)
    assert small == large == PLANNING_QUERIES
    assert "295 / 300 places" in response.content.decode()
