"""The openings' place counters against the booking rows (issue 15 point 1):
`manage.py recount` repairs them and says what it changed, the processing run
reports a drift to staff without repairing it, and a booking deleted by a
cascade (a child, family or activity deleted in the admin) frees its place."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from portail.booking.counters import find_drift, recount
from portail.booking.models import Booking, BookingStatus, ProcessingRun
from portail.booking.processing import process_requests
from portail.structures.models import Activity, Child, Family, Opening
from tests import factories as f
from tests.helpers import make_booking, page_text

DAY = datetime.date(2026, 12, 7)
NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))


def counters(opening):
    opening = Opening.objects.get(pk=opening.pk)
    return opening.accepted_count, opening.waitlisted_count


def rows(opening):
    active = Booking.objects.filter(activity_id=opening.activity_id, date=opening.date)
    return (
        active.filter(status=BookingStatus.ACCEPTED).count(),
        active.filter(status=BookingStatus.WAITLISTED).count(),
    )


@pytest.fixture
def booked(world):
    """APS MATIN of A on DAY: Paolo accepted, Léo waitlisted, a cancelled trace;
    ALSH of B on its day: Paolo B accepted. Counters right (make_booking)."""
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    make_booking(child=world.paolo, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    make_booking(child=world.leo, activity=world.aps_a, date=DAY, status=BookingStatus.WAITLISTED)
    make_booking(child=world.amalia, activity=world.aps_a, date=DAY, status=BookingStatus.CANCELLED)
    make_booking(child=world.paolo_b, activity=world.alsh_b, date=world.opening_b.date, status=BookingStatus.ACCEPTED)
    assert counters(world.opening_a) == rows(world.opening_a) == (1, 1)
    assert find_drift() == []
    return world


def tamper(opening, accepted, waitlisted):
    """A counter written behind the engine's back (a raw fix, a bug)."""
    Opening.objects.filter(pk=opening.pk).update(accepted_count=accepted, waitlisted_count=waitlisted)


def recount_output(*args):
    out = io.StringIO()
    call_command("recount", *args, stdout=out)
    return out.getvalue()


def test_recount_repairs_a_tampered_counter_and_says_what_it_changed(booked):
    world = booked
    tamper(world.opening_a, 7, 0)
    tamper(world.opening_b, 0, 2)
    output = recount_output()
    assert "APS MATIN, lun. 07/12/2026 : places prises 7 → 1, liste d'attente 0 → 1" in output
    assert "ALSH MERCREDI, mer. 09/12/2026 : places prises 0 → 1, liste d'attente 2 → 0" in output
    assert "Mairie de CarteVille — APS MATIN" in output
    assert "2 journées corrigées." in output
    assert counters(world.opening_a) == (1, 1) and counters(world.opening_b) == (1, 0)
    assert recount_output() == "Compteurs exacts : aucune correction.\n"


def test_recount_dry_run_changes_nothing(booked):
    tamper(booked.opening_a, 0, 0)
    output = recount_output("--dry-run")
    assert "places prises 0 → 1, liste d'attente 0 → 1" in output
    assert "1 journée aux compteurs faux (--dry-run : rien n'a été modifié)." in output
    assert counters(booked.opening_a) == (0, 0)


def test_recount_of_one_structure_leaves_the_others_alone(booked):
    world = booked
    tamper(world.opening_a, 5, 5)
    tamper(world.opening_b, 5, 5)
    output = recount_output("--structure", str(world.b.pk))
    assert "ALSH MERCREDI" in output and "APS MATIN" not in output
    assert counters(world.opening_b) == (1, 0)
    assert counters(world.opening_a) == (5, 5)
    with pytest.raises(CommandError, match="inconnue"):
        recount_output("--structure", "999999")


def test_recount_counts_a_closed_day_too(booked):
    """A closed day has no active booking: its counters are 0, and a drift there is repaired."""
    world = booked
    from portail.booking.staff_actions import close_day

    close_day(world.opening_a, actor=world.staff_a, reason="Grève", now=NOW)
    assert counters(world.opening_a) == (0, 0) and find_drift() == []
    tamper(world.opening_a, 1, 0)
    assert [d.opening_id for d in recount()] == [world.opening_a.pk]
    assert counters(world.opening_a) == (0, 0)


def test_recount_is_set_based(world, django_assert_max_num_queries):
    """The same few statements for one drifted opening or forty: nothing per opening or per row."""
    days = [DAY + datetime.timedelta(days=n) for n in range(1, 41)]
    openings = [f.OpeningFactory(activity=world.aps_a, date=day) for day in days]
    children = [f.ChildFactory(family=world.family_a, first_name=f"Enfant{n}") for n in range(3)]
    Booking.objects.bulk_create(
        Booking(child=child, activity=world.aps_a, date=day, status=BookingStatus.ACCEPTED)
        for child in children
        for day in days
    )  # behind the engine: every counter is now wrong
    assert len(find_drift()) == 40
    # the drift read, the savepoint, the locks, the drift read again, one UPDATE, the release,
    # and the age groups' counters read once (issue 18 point 9: none here)
    with django_assert_max_num_queries(7):
        assert len(recount()) == 40
    assert all(counters(o) == (3, 0) for o in openings)


def test_the_processing_run_reports_a_drift_to_staff_and_does_not_repair_it(booked, client):
    world = booked
    run = process_requests(world.a, now=NOW)
    assert (run.counter_drift_count, run.counter_drift) == (0, [])
    tamper(world.opening_a, 4, 0)
    run = process_requests(world.a, now=NOW)
    run.refresh_from_db()
    assert run.counter_drift_count == 1
    assert run.counter_drift == [
        {"opening": world.opening_a.pk, "activity": "APS MATIN", "date": "2026-12-07", "accepted": [4, 1],
         "waitlisted": [0, 1]}
    ]  # fmt: skip
    assert counters(world.opening_a) == (4, 0)  # reported, not repaired
    # another structure's run does not see A's drift
    assert process_requests(world.b, now=NOW).counter_drift_count == 0

    client.force_login(world.staff_a)
    text = " ".join(page_text(client.get(reverse("staff:runs"), {"structure": world.a.pk})).split())
    assert "a trouvé 1 journée dont les places comptées ne correspondent pas aux réservations" in text
    assert "APS MATIN, lun. 07/12 : 4 places prises comptées pour 1 réservations acceptées" in text
    assert "manage.py recount" in text

    recount()
    process_requests(world.a, now=NOW)
    text = page_text(client.get(reverse("staff:runs"), {"structure": world.a.pk}))
    assert "manage.py recount" not in text  # the latest run found the counters right


def test_only_the_latest_run_s_drift_is_shown(booked, client):
    world = booked
    ProcessingRun.objects.create(
        structure=world.a, started_at=NOW, finished_at=NOW, counter_drift_count=1,
        counter_drift=[{"opening": 1, "activity": "APS MATIN", "date": "2026-12-07", "accepted": [2, 1],
                        "waitlisted": [0, 0]}],
    )  # fmt: skip
    client.force_login(world.staff_a)
    assert "manage.py recount" in page_text(client.get(reverse("staff:runs"), {"structure": world.a.pk}))
    ProcessingRun.objects.create(structure=world.a, started_at=NOW, finished_at=NOW + datetime.timedelta(hours=1))
    assert "manage.py recount" not in page_text(client.get(reverse("staff:runs"), {"structure": world.a.pk}))


@pytest.mark.parametrize("deleted", ["child", "family", "activity"])
def test_bookings_deleted_by_a_cascade_free_their_places(booked, deleted):
    world = booked
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    make_booking(child=world.amalia, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    assert counters(world.opening_a) == (2, 1)
    if deleted == "child":
        Child.objects.get(pk=world.leo.pk).delete()  # Léo's waiting-list place
        assert counters(world.opening_a) == (2, 0)
    elif deleted == "family":
        Family.objects.get(pk=world.family_a.pk).delete()  # Paolo's and Amalia's places
        assert counters(world.opening_a) == (0, 1)
    else:
        Activity.objects.get(pk=world.aps_a.pk).delete()  # its openings go with it
        assert not Opening.objects.filter(pk=world.opening_a.pk).exists()
    assert find_drift() == []
    assert counters(world.opening_b) == (1, 0)  # the other structure's day is untouched


def test_a_delete_on_a_counter_already_wrong_is_not_refused(booked):
    """A counter at 0 that should be 1 (drifted): deleting the child still
    works, the counter stays at 0 (right again), and the runs report any drift."""
    world = booked
    tamper(world.opening_a, 1, 0)  # Léo's waiting-list place was not counted
    Child.objects.get(pk=world.leo.pk).delete()
    assert counters(world.opening_a) == rows(world.opening_a) == (1, 0)


# ---------------------------------------------------------------- point 2: the rules once per (activity, day)


def expected(snap, now, child, activity, day, mark):
    """rules.day_state of one child, activity and day, from the snapshot's inputs."""
    from portail.booking import rules

    opening = snap.openings.get((activity.pk, day))
    booking = snap.bookings.get((child.pk, activity.pk, day))
    waiting = booking is not None and booking.status == BookingStatus.WAITLISTED
    return rules.day_state(
        day, snap.rules[activity.pk], now=now, is_open=opening is not None,
        enrolled=snap.enrolled(child.pk, activity.pk, day), closed_days=snap.closed_days,
        occupancy=snap.occupancy(opening) if opening is not None else None,
        booking_status=booking.status if booking is not None else None,
        waiting_position=booking.earlier_in_queue + 1 if waiting else None, mark=mark,
    )  # fmt: skip


def test_snapshot_states_are_the_rules_day_states(world):
    """Snapshot.state shares what does not depend on the child between the
    children: every child, activity, day and mark still gets exactly what
    rules.day_state says, and a place taken in the snapshot is seen at once."""
    from portail.booking import rules
    from portail.booking.snapshot import load_snapshot

    world.aps_a.capacity, world.aps_a.waiting_list_capacity = 1, 1
    world.aps_a.save()
    first, last = datetime.date(2026, 11, 30), datetime.date(2026, 12, 13)
    for day in (datetime.date(2026, 12, 1), datetime.date(2026, 12, 8), datetime.date(2026, 12, 10)):
        f.OpeningFactory(activity=world.aps_a, date=day)
    f.OpeningFactory(activity=world.cantine_a, date=DAY)
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a, end_date=datetime.date(2026, 12, 8))
    f.EnrolmentFactory(child=world.paolo, activity=world.cantine_a)
    make_booking(child=world.paolo, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    make_booking(child=world.leo, activity=world.aps_a, date=DAY, status=BookingStatus.WAITLISTED)
    make_booking(child=world.leo, activity=world.aps_a, date=datetime.date(2026, 12, 1), status=BookingStatus.ACCEPTED)
    children = [world.paolo, world.amalia, world.leo]  # Amalia is enrolled in nothing
    activities = [world.aps_a, world.cantine_a]
    for now in (NOW, timezone.make_aware(datetime.datetime(2026, 12, 7, 12, 0))):  # before and after délais
        snap = load_snapshot(
            world.a.pk, [c.pk for c in children], [a.pk for a in activities], first, last, now, activities=activities
        )

        seen = set()
        for day in (first + datetime.timedelta(days=n) for n in range((last - first).days + 1)):
            for activity in activities:
                for child in children:
                    for mark in (None, rules.Mark.BOOK, rules.Mark.CANCEL):
                        state = snap.state(child.pk, activity.pk, day, mark)
                        assert state == expected(snap, now, child, activity, day, mark), (child, activity, day, mark)
                        seen.add(state.state)
        assert {rules.S.CLOSED, rules.S.BOOKED if now == NOW else rules.S.BOOKED_LOCKED} <= seen
        # A place taken in the snapshot (a confirmation judging its demandes) is seen at once.
        opening = snap.openings[(world.aps_a.pk, datetime.date(2026, 12, 8))]
        before = snap.state(world.amalia.pk, world.aps_a.pk, opening.date)
        snap.count(opening, accepted=1)
        after = snap.state(world.paolo.pk, world.aps_a.pk, opening.date)
        assert after == expected(snap, now, world.paolo, world.aps_a, opening.date, None)
        if now == NOW:
            assert (before.state, after.state) == (rules.S.CLOSED, rules.S.WAITLIST_OPEN)
            assert after.places_left == 0
