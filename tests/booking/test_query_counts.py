"""The calendar and the confirmation run a fixed number of queries: it does
not grow with the bookings of other families, the number of activities, the
length of the month or the number of demandes (snapshot.py, states.py,
confirm.py). The constants are the same on SQLite and PostgreSQL."""

import calendar
import datetime
import itertools

import pytest
from django.utils import timezone

from portail.booking import rules
from portail.booking.confirm import confirm_draft
from portail.booking.drafts import get_draft
from portail.booking.models import Booking, BookingStatus, Draft, DraftAction, DraftItem
from portail.booking.states import children_month_states, month_states
from portail.structures.models import Child, Enrolment, Family, Opening
from tests import factories as f
from tests.helpers import recount_all

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
BOOKINGS_PER_OTHER_CHILD = 20

# month_states: the enrolments with their activities, then the snapshot with
# both given (closed periods, the openings with their place counters, the
# child's bookings with their waiting-list positions), then the draft's marks.
# (7 before issue 15: the occupancy was counted from the booking rows, and the
# enrolled activities and the enrolments were two queries.) The same for the
# children of a family together (children_month_states).
MONTH_STATES_QUERIES = 5
# confirm_draft: SAVEPOINT (the test runs in a transaction; BEGIN in
# production is not a logged query), the token taken (the UPDATE that locks
# the draft's row; on PostgreSQL it also sets the transaction's lock_timeout),
# family, the draft's items deleted and read (one DELETE … RETURNING), the
# confirmation, then the snapshot (5: activities, enrolments, closed periods,
# the openings read and locked with their place counters, the children's
# bookings), one INSERT each of bookings and movements (a new booking has no
# BookingAudit row: its movement records it; 60 rows fit one statement, even
# within SQLite's 999 parameters), the openings' counters updated (one
# UPDATE), RELEASE SAVEPOINT.
# (Issue 15: the occupancy count query went, the counters' UPDATE came; the
# items' SELECT and DELETE became one statement.)
CONFIRM_QUERIES = 14

pytestmark = pytest.mark.django_db


def weekdays(year, month):
    last = calendar.monthrange(year, month)[1]
    days = (datetime.date(year, month, d) for d in range(1, last + 1))
    return [d for d in days if d.weekday() < 5]


def activities(world, n, prefix="Q", **kwargs):
    """n activities of structure A (by name in creation order), open every
    weekday of January and February 2027."""
    made = [
        f.ActivityFactory(structure=world.a, name=f"{prefix} {i:02d}", code=f"{prefix}{i}", **kwargs) for i in range(n)
    ]
    days = weekdays(2027, 1) + weekdays(2027, 2)
    Opening.objects.bulk_create(Opening(activity=a, date=d) for a in made for d in days)
    return made


def enrolled_child(world, activities, name):
    child = f.ChildFactory(family=world.family_a, first_name=name)
    Enrolment.objects.bulk_create(
        Enrolment(child=child, activity=a, start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2027, 7, 3))
        for a in activities
    )
    return child


def add_other_bookings(world, activities, count):
    """`count` bookings of children of other families of structure A on these
    activities, on the weekdays of January and February (20 per child),
    in every status."""
    slots = [(a, d) for a in activities for d in weekdays(2027, 1) + weekdays(2027, 2)]
    n_children = -(-count // BOOKINGS_PER_OTHER_CHILD)
    offset = Family.objects.count()
    families = Family.objects.bulk_create(
        Family(structure=world.a, reference=f"AUTRE{offset + i}", civility="Mme", last_name="AUTRE", first_name="Eve")
        for i in range(n_children)
    )
    children = Child.objects.bulk_create(
        Child(family=family, first_name="Autre", last_name="AUTRE", birth_date=datetime.date(2018, 1, 1))
        for family in families
    )
    statuses = itertools.cycle([BookingStatus.ACCEPTED] * 3 + [BookingStatus.WAITLISTED, BookingStatus.CANCELLED])
    bookings = (
        Booking(child=child, activity=activity, date=day, status=next(statuses), queued_at=NOW)
        for k, child in enumerate(children)
        for activity, day in (
            slots[(k * BOOKINGS_PER_OTHER_CHILD + j) % len(slots)] for j in range(BOOKINGS_PER_OTHER_CHILD)
        )
    )
    Booking.objects.bulk_create(itertools.islice(bookings, count), batch_size=2000)
    recount_all()  # rows inserted behind the engine: the openings' counters follow them (issue 15)


def test_month_states_queries_do_not_grow(world, django_assert_num_queries):
    six = activities(world, 6, is_limited=True, capacity=50, waiting_list_capacity=5)
    child6 = enrolled_child(world, six, "Six")
    child1 = enrolled_child(world, six[:1], "Une")
    january = weekdays(2027, 1)
    Booking.objects.bulk_create(
        [
            Booking(child=child6, activity=six[0], date=january[3], status=BookingStatus.ACCEPTED, queued_at=NOW),
            Booking(child=child6, activity=six[1], date=january[4], status=BookingStatus.WAITLISTED, queued_at=NOW),
            Booking(child=child6, activity=six[2], date=january[5], status=BookingStatus.CANCELLED, queued_at=NOW),
            Booking(
                child=child6, activity=six[0], date=weekdays(2027, 2)[0], status=BookingStatus.ACCEPTED, queued_at=NOW
            ),
        ]
    )
    recount_all()
    draft = get_draft(world.family_a, world.dupont)
    DraftItem.objects.bulk_create(
        DraftItem(draft=draft, child=child6, activity=six[3], date=d, action=DraftAction.BOOK) for d in january[:5]
    )

    def states(child, year, month):
        # as the views get it: from the logged-in family, its family cached
        child = Family.objects.get(pk=world.family_a.pk).children.get(pk=child.pk)
        with django_assert_num_queries(MONTH_STATES_QUERIES):
            return month_states(child, year, month, now=NOW, draft=draft)

    def check_all():
        month = states(child6, 2027, 1)
        assert len(month.activities) == 6 and len(month.days) == 31
        assert month.activities[0].days[january[3]].state is rules.S.BOOKED
        assert month.activities[3].days[january[0]].mark is rules.Mark.BOOK
        month = states(child1, 2027, 1)
        assert len(month.activities) == 1 and len(month.days) == 31
        month = states(child6, 2027, 2)
        assert len(month.activities) == 6 and len(month.days) == 28
        # Both children at once: the same queries, the same states as one by one.
        family_children = list(Family.objects.get(pk=world.family_a.pk).children.filter(pk__in=[child6.pk, child1.pk]))
        with django_assert_num_queries(MONTH_STATES_QUERIES):
            together = children_month_states(family_children, 2027, 1, now=NOW, draft=draft)
        for child, month in zip(family_children, together, strict=True):
            alone = month_states(child, 2027, 1, now=NOW, draft=draft)
            assert month.child == child and month.t_states == alone.t_states
            assert [(a.activity, a.days) for a in month.activities] == [(a.activity, a.days) for a in alone.activities]
        return states(child6, 2027, 2).activities[1].days[weekdays(2027, 2)[0]].places_left

    add_other_bookings(world, six, 10)
    assert check_all() == 50
    add_other_bookings(world, six, 9_990)
    assert Booking.objects.exclude(child__in=[child6, child1]).count() == 10_000
    assert check_all() < 50  # the other families' bookings are counted


def test_confirm_queries_do_not_grow(world, django_assert_num_queries):
    free = activities(world, 1)[0]  # unlimited
    roomy, tight = activities(world, 2, "L", is_limited=True, capacity=100, waiting_list_capacity=10)[:2]
    tight.capacity, tight.waiting_list_capacity = 1, 1
    tight.save()
    three = [free, roomy, tight]
    days = weekdays(2027, 1)[1:21]  # Monday 4 to Friday 29 January
    draft_pk = get_draft(world.family_a, world.dupont).pk

    def confirm(name, activities):
        child = enrolled_child(world, three, name)
        DraftItem.objects.bulk_create(
            DraftItem(draft_id=draft_pk, child=child, activity=a, date=d, action=DraftAction.BOOK)
            for a in activities
            for d in days
        )
        draft = Draft.objects.get(pk=draft_pk)
        with django_assert_num_queries(CONFIRM_QUERIES):
            result = confirm_draft(draft, draft.token, user=world.dupont, now=NOW)
        assert result.error is None and len(result.movements) == 20 * len(activities)
        assert not DraftItem.objects.filter(draft_id=draft_pk).exists()
        return {m.outcome for m in result.movements}

    add_other_bookings(world, three, 10)
    assert confirm("Vingt", [roomy]) == {BookingStatus.ACCEPTED}
    assert confirm("Soixante", three) == {BookingStatus.ACCEPTED}
    add_other_bookings(world, three, 9_990)
    assert Booking.objects.filter(child__first_name="Autre").count() == 10_000
    assert confirm("Encore", three) == {BookingStatus.ACCEPTED, BookingStatus.REFUSED}
