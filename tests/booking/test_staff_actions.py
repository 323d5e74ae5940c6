"""B7 staff actions through the engine: each promotes, notifies and audits
like a family's demande, in one transaction."""

import datetime

import pytest
from django.utils import timezone

from portail.booking import staff_actions
from portail.booking.errors import BookingError
from portail.booking.models import AuditSource, Booking, BookingAudit, BookingStatus, Movement, MovementKind
from portail.notifications.models import OutboxEmail
from portail.structures.models import Opening
from tests import factories as f

NOW = timezone.make_aware(datetime.datetime(2026, 12, 6, 18, 0))  # after the families' délai for the 7th
DAY = datetime.date(2026, 12, 7)


@pytest.fixture
def full_day(world):
    """APS MATIN on DAY: 1 place taken by Paolo, 3 families on the waiting list (in order)."""
    world.aps_a.capacity, world.aps_a.waiting_list_capacity = 1, 5
    world.aps_a.save()
    paolo = Booking.objects.create(child=world.paolo, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    waiting = []
    for n in range(3):
        account = f.UserFactory(username=f"attente{n}", email=f"attente{n}@example.org")
        family = f.FamilyFactory(structure=world.a, accounts=[account])
        child = f.ChildFactory(family=family)
        f.EnrolmentFactory(child=child, activity=world.aps_a)
        queued = NOW - datetime.timedelta(days=3, minutes=10 - n)
        waiting.append(
            Booking.objects.create(
                child=child, activity=world.aps_a, date=DAY, status=BookingStatus.WAITLISTED, queued_at=queued
            )
        )
    return paolo, waiting


def statuses(bookings):
    return [Booking.objects.get(pk=b.pk).status for b in bookings]


def test_staff_cancellation_promotes_the_first_waitlisted_and_queues_its_notice(world, full_day):
    paolo, waiting = full_day
    promoted = staff_actions.staff_cancel(paolo, actor=world.staff_a, reason="Enfant malade", now=NOW)
    # the cancellation délai of the 7th has passed for families: nobody can be promoted
    assert promoted == []
    early = NOW - datetime.timedelta(days=3)
    Booking.objects.filter(pk=paolo.pk).update(status=BookingStatus.ACCEPTED)
    promoted = staff_actions.staff_cancel(paolo, actor=world.staff_a, reason="Enfant malade", now=early)
    assert [b.pk for b in promoted] == [waiting[0].pk]
    assert statuses(waiting) == [BookingStatus.ACCEPTED, BookingStatus.WAITLISTED, BookingStatus.WAITLISTED]
    assert OutboxEmail.objects.filter(kind="liste-attente", to="attente0@example.org").count() == 1
    audit = BookingAudit.objects.filter(booking=paolo, source=AuditSource.STAFF).last()
    assert (audit.actor, audit.to_status, audit.note) == (world.staff_a, BookingStatus.CANCELLED, "Enfant malade")


def test_raising_capacity_by_two_promotes_two(world, full_day):
    _, waiting = full_day
    opening = Opening.objects.get(activity=world.aps_a, date=DAY)
    early = NOW - datetime.timedelta(days=3)
    promoted = staff_actions.change_capacity(
        opening, capacity=3, waiting_list_capacity=None, actor=world.staff_a, now=early
    )
    assert [b.pk for b in promoted] == [waiting[0].pk, waiting[1].pk]
    assert statuses(waiting) == [BookingStatus.ACCEPTED, BookingStatus.ACCEPTED, BookingStatus.WAITLISTED]
    assert Movement.objects.filter(kind=MovementKind.PROMOTION).count() == 2
    assert BookingAudit.objects.filter(source=AuditSource.PROMOTION, actor=world.staff_a).count() == 2


def test_closing_a_day_cancels_and_notifies_every_booked_family(world, full_day):
    paolo, waiting = full_day
    result = staff_actions.close_day(
        Opening.objects.get(activity=world.aps_a, date=DAY), actor=world.staff_a, reason="Grève du personnel", now=NOW
    )
    assert len(result.cancelled) == 4
    assert set(statuses([paolo, *waiting])) == {BookingStatus.CANCELLED}
    assert not Opening.objects.filter(activity=world.aps_a, date=DAY).exists()
    notices = OutboxEmail.objects.filter(kind="fermeture")
    assert sorted(notices.values_list("to", flat=True)) == sorted(
        [
            "dupont@example.org",
            "dupont2@example.org",
            "attente0@example.org",
            "attente1@example.org",
            "attente2@example.org",
        ]
    )
    assert all("Grève du personnel" in n.body_text for n in notices)
    assert BookingAudit.objects.filter(source=AuditSource.STAFF, to_status=BookingStatus.CANCELLED).count() == 4
    assert Movement.objects.filter(kind=MovementKind.CANCEL, created_by=world.staff_a).count() == 4


def test_staff_book_bypasses_the_family_deadline_but_not_the_places(world, full_day):
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    booking = staff_actions.staff_book(
        world.amalia, world.aps_a, DAY, actor=world.staff_a, reason="Demande au guichet", now=NOW
    )
    assert booking.status == BookingStatus.WAITLISTED
    assert Movement.objects.get(booking=booking).waiting_position == 4
    with pytest.raises(BookingError, match="Déjà réservé"):
        staff_actions.staff_book(world.amalia, world.aps_a, DAY, actor=world.staff_a, reason="x", now=NOW)


def test_staff_promote_needs_a_free_place(world, full_day):
    paolo, waiting = full_day
    with pytest.raises(BookingError, match="Aucune place libre"):
        staff_actions.staff_promote(waiting[2], actor=world.staff_a, reason="Priorité", now=NOW)
    Booking.objects.filter(pk=paolo.pk).update(status=BookingStatus.CANCELLED)
    staff_actions.staff_promote(waiting[2], actor=world.staff_a, reason="Priorité sociale", now=NOW)
    assert statuses(waiting) == [BookingStatus.WAITLISTED, BookingStatus.WAITLISTED, BookingStatus.ACCEPTED]


def test_a_reason_is_required(world, full_day):
    paolo, _ = full_day
    with pytest.raises(BookingError, match="motif"):
        staff_actions.staff_cancel(paolo, actor=world.staff_a, reason="  ", now=NOW)
    assert Booking.objects.get(pk=paolo.pk).status == BookingStatus.ACCEPTED


def test_back_office_run_refuses_while_another_run_is_going(world):
    from portail.booking.models import ProcessingRun
    from portail.booking.processing import STALE_AFTER, RunInProgress, start_run_now

    ongoing = ProcessingRun.objects.create(structure=world.a, started_at=NOW - datetime.timedelta(minutes=2))
    with pytest.raises(RunInProgress, match="déjà en cours"):
        start_run_now(world.a, started_by=world.staff_a, now=NOW)
    # a run unfinished for longer has crashed: it is resumed and finished
    run = start_run_now(world.a, started_by=world.staff_a, now=NOW + STALE_AFTER)
    assert run.pk == ongoing.pk and run.finished_at is not None
