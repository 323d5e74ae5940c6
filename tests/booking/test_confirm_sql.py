"""The set-based confirmation (issue 15 point 3, booking/confirm.py) writes
its rows with SQL of its own: what it writes must read back through the ORM
exactly as the ORM would have written it, on both databases (the CI runs
this file on SQLite and on PostgreSQL)."""

import calendar
import datetime

import pytest
from django.utils import timezone

from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.models import (
    Booking,
    BookingStatus,
    Confirmation,
    Draft,
    DraftAction,
    DraftItem,
    Movement,
    MovementKind,
)
from portail.structures.models import Opening
from tests import factories as f

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0, 30, 123456))
DAY = datetime.date(2026, 12, 7)  # world.opening_a

pytestmark = pytest.mark.django_db


def weekdays(year, month):
    last = calendar.monthrange(year, month)[1]
    return [d for d in (datetime.date(year, month, n) for n in range(1, last + 1)) if d.weekday() < 5]


def test_rows_read_back_as_written_times_and_instants_included(world):
    """Times of an à horaires activity, the instant (microseconds and time zone),
    the token: what the SQL wrote is what the ORM reads."""
    garderie = f.ActivityFactory(
        structure=world.a, name="GARDERIE", code="GARD", has_times=True, earliest_time=datetime.time(7, 30),
        latest_time=datetime.time(18, 30), time_step_minutes=15,
    )  # fmt: skip
    f.OpeningFactory(activity=garderie, date=DAY)
    f.EnrolmentFactory(child=world.paolo, activity=garderie)
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(
        draft, world.paolo, garderie, DAY, now=NOW, arrival=datetime.time(8, 15), departure=datetime.time(17, 45)
    )
    drafts.toggle_day(draft, world.paolo, world.aps_a, DAY, now=NOW)
    token = Draft.objects.get(pk=draft.pk).token

    result = confirm_draft(draft, token, user=world.dupont, now=NOW)

    assert result.error is None
    by_activity = {b.activity_id: b for b in Booking.objects.all()}
    timed, plain = by_activity[garderie.pk], by_activity[world.aps_a.pk]
    assert (timed.arrival, timed.departure) == (datetime.time(8, 15), datetime.time(17, 45))
    assert (plain.arrival, plain.departure) == (None, None)
    assert timed.queued_at == timed.updated_at == NOW and timed.status == BookingStatus.ACCEPTED
    confirmation = Confirmation.objects.get()
    assert (confirmation.token, confirmation.confirmed_at, confirmation.family, confirmation.confirmed_by) == (
        token, NOW, world.family_a, world.dupont,
    )  # fmt: skip
    stored = list(Movement.objects.order_by("id").values_list("id", "booking_id", "kind", "created_at", "run_id"))
    assert stored == [(m.pk, m.booking.pk, MovementKind.BOOK, NOW, None) for m in result.movements]
    assert all(m.family_id == world.family_a.pk and m.structure_id == world.a.pk for m in Movement.objects.all())
    # The objects returned are the rows written, with what the result page shows.
    assert {m.booking.child.first_name for m in result.movements} == {"Paolo"}
    assert {m.booking.activity.name for m in result.movements} == {"GARDERIE", "APS MATIN"}
    # The token now names this confirmation: the same click again is a replay.
    again = confirm_draft(draft, token, user=world.dupont, now=NOW)
    assert again.replayed and again.confirmation.pk == confirmation.pk
    assert [m.pk for m in again.movements] == [m.pk for m in result.movements]


def test_more_demandes_than_one_insert_holds_each_movement_on_its_own_booking(world):
    """120 demandes: more rows than one INSERT takes on SQLite (999 parameters:
    111 bookings, 99 movements), so the ids come back in several batches;
    every movement still points at the booking of its own day and activity."""
    made = [
        f.ActivityFactory(structure=world.a, name=f"STAGE {i}", code=f"ST{i}", is_limited=True, capacity=5)
        for i in range(3)
    ]
    days = weekdays(2027, 1) + weekdays(2027, 2)[:19]
    assert len(days) * len(made) == 120
    Opening.objects.bulk_create(Opening(activity=a, date=d) for a in made for d in days)
    for activity in made:
        f.EnrolmentFactory(child=world.amalia, activity=activity)
    draft = drafts.get_draft(world.family_a, world.dupont)
    DraftItem.objects.bulk_create(
        DraftItem(draft=draft, child=world.amalia, activity=a, date=d, action=DraftAction.BOOK)
        for a in made
        for d in days
    )
    draft = Draft.objects.get(pk=draft.pk)

    result = confirm_draft(draft, draft.token, user=world.dupont, now=NOW)

    assert result.error is None and len(result.movements) == 120
    rows = {
        pk: (activity_id, day)
        for pk, activity_id, day in Booking.objects.values_list("pk", "activity_id", "date")
    }  # fmt: skip
    assert len(rows) == 120
    for m in result.movements:
        assert rows[m.booking.pk] == (m.booking.activity_id, m.booking.date)
    stored = dict(Movement.objects.values_list("id", "booking_id"))
    assert stored == {m.pk: m.booking.pk for m in result.movements}
    # The result is in (date, activity, child) order, as the draft was read.
    assert [(m.booking.date, m.booking.activity_id) for m in result.movements] == sorted(
        (d, a.pk) for a in made for d in days
    )
    # The counters moved with the rows: one place on each opening.
    assert set(Opening.objects.filter(activity__in=made).values_list("accepted_count", flat=True)) == {1}


def test_a_demande_whose_child_left_the_family_is_dropped_and_the_draft_emptied(world):
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, world.aps_a, DAY, now=NOW)
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    drafts.toggle_day(draft, world.amalia, world.aps_a, DAY, now=NOW)
    world.amalia.family = world.martin_a  # moved to another family since her day was marked
    world.amalia.save()
    token = Draft.objects.get(pk=draft.pk).token

    result = confirm_draft(draft, token, user=world.dupont, now=NOW)

    assert [(m.booking.child.pk, m.outcome) for m in result.movements] == [(world.paolo.pk, BookingStatus.ACCEPTED)]
    assert list(Booking.objects.values_list("child_id", flat=True)) == [world.paolo.pk]
    assert not DraftItem.objects.exists()
