"""Booking engine through its services: drafts, confirmation, waiting list,
processing run (R5, R6, R10, N1, N3)."""

import datetime
import importlib

import pytest
from django.utils import timezone

from portail.booking import drafts, rules
from portail.booking.confirm import STALE, confirm_draft
from portail.booking.errors import BookingError
from portail.booking.models import Booking, BookingAudit, BookingStatus, FamilyReport, Movement, MovementKind
from portail.booking.processing import process_requests
from portail.booking.states import month_states
from tests import factories as f
from tests.helpers import make_booking

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
DAY = datetime.date(2026, 12, 7)  # a Monday, well before its délai


@pytest.fixture
def limited(world):
    """APS MATIN of structure A: 1 place, 1 waiting-list place on DAY; the
    DUPONT children and MARTIN's Léo are enrolled."""
    activity = world.aps_a
    activity.capacity, activity.waiting_list_capacity = 1, 1
    activity.save()
    for child in (world.amalia, world.leo):
        f.EnrolmentFactory(child=child, activity=activity)
    return activity


def book(family, account, child, activity, day=DAY, now=NOW):
    draft = drafts.get_draft(family, account)
    drafts.toggle_day(draft, child, activity, day, now=now)
    return confirm_draft(draft, draft.token, user=account, now=now)


def test_booking_gets_place_then_waiting_list(world, limited):
    first = book(world.family_a, world.dupont, world.paolo, limited)
    assert [m.outcome for m in first.movements] == [BookingStatus.ACCEPTED]
    second = book(world.martin_a, world.martin, world.leo, limited)
    assert second.waitlisted and second.movements[0].waiting_position == 1
    assert Booking.objects.filter(status=BookingStatus.WAITLISTED).count() == 1


def test_day_full_waiting_list_included_cannot_be_marked(world, limited):
    book(world.family_a, world.dupont, world.paolo, limited)
    book(world.martin_a, world.martin, world.leo, limited)
    draft = drafts.get_draft(world.family_a, world.dupont)
    with pytest.raises(BookingError, match="Complet"):
        drafts.toggle_day(draft, world.amalia, limited, DAY, now=NOW)


def test_place_taken_between_draft_and_confirmation_goes_to_waiting_list(world, limited):
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, limited, DAY, now=NOW)
    book(world.martin_a, world.martin, world.leo, limited)  # takes the last place meanwhile
    result = confirm_draft(draft, draft.token, user=world.dupont, now=NOW)
    assert result.movements[0].outcome == BookingStatus.WAITLISTED
    assert result.movements[0].waiting_position == 1


def test_confirming_twice_records_nothing_twice(world, limited):
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, limited, DAY, now=NOW)
    token = draft.token
    first = confirm_draft(draft, token, user=world.dupont, now=NOW)
    again = confirm_draft(draft, token, user=world.dupont, now=NOW)
    assert again.replayed and [m.pk for m in again.movements] == [m.pk for m in first.movements]
    assert Booking.objects.count() == 1 and Movement.objects.count() == 1


def test_stale_token_is_refused(world, limited):
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, limited, DAY, now=NOW)
    old = draft.token
    drafts.discard(draft)
    assert confirm_draft(draft, old, user=world.dupont, now=NOW).error == STALE
    assert confirm_draft(draft, "pas-un-uuid", user=world.dupont, now=NOW).error == STALE
    assert not Booking.objects.exists()


def test_cancellation_promotes_first_waitlisted(world, limited):
    book(world.family_a, world.dupont, world.paolo, limited)
    book(world.martin_a, world.martin, world.leo, limited)
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, limited, DAY, now=NOW)  # a booked day → "à annuler"
    result = confirm_draft(draft, draft.token, user=world.dupont, now=NOW)
    assert [(m.kind, m.outcome) for m in result.movements] == [(MovementKind.CANCEL, BookingStatus.CANCELLED)]
    leo = Booking.objects.get(child=world.leo)
    assert leo.status == BookingStatus.ACCEPTED
    promotion = Movement.objects.get(kind=MovementKind.PROMOTION)
    assert promotion.family == world.martin_a
    assert BookingAudit.objects.filter(booking=leo, to_status=BookingStatus.ACCEPTED, source="promotion").exists()


def test_month_states_show_places_and_marks(world, limited):
    draft = drafts.get_draft(world.family_a, world.dupont)
    month = month_states(world.paolo, 2026, 12, now=NOW, draft=draft, activity_id=limited.pk)
    assert month.activities[0].days[DAY].state is rules.S.FREE
    assert month.activities[0].days[DAY].places_left == 1
    drafts.toggle_day(draft, world.paolo, limited, DAY, now=NOW)
    month = month_states(world.paolo, 2026, 12, now=NOW, draft=draft)
    assert month.activities[0].days[DAY].mark is rules.Mark.BOOK
    assert month.t_states[DAY] is rules.T.BOOKED or month.t_states[DAY] is rules.T.LOCKED
    assert month.activities[0].days[datetime.date(2026, 12, 8)].state is rules.S.CLOSED


def test_copy_lists_days_not_imported(world, limited):
    other_day = datetime.date(2026, 12, 8)
    f.OpeningFactory(activity=limited, date=other_day)
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, limited, DAY, now=NOW)
    drafts.toggle_day(draft, world.paolo, limited, other_day, now=NOW)
    confirm_draft(draft, draft.token, user=world.dupont, now=NOW)
    book(world.martin_a, world.martin, world.leo, limited, day=DAY)  # waitlisted on DAY: WL now full
    draft = drafts.get_draft(world.family_a, world.dupont)
    copied, not_copied = drafts.copy_bookings(
        draft, world.paolo, limited, DAY, other_day, world.amalia, limited, now=NOW
    )
    # DAY is full, waiting list included; the 8th still has waiting-list room
    assert copied == 1
    assert [(n.day, n.reason) for n in not_copied] == [(DAY, rules.FULL)]
    assert draft.items.get().date == other_day


def test_processing_run_stamps_each_movement_once(world, limited):
    book(world.family_a, world.dupont, world.paolo, limited)
    run = process_requests(world.a, now=NOW)
    assert run.movements_count == 1 and run.finished_at is not None
    assert FamilyReport.objects.get(run=run).new_bookings == 1
    again = process_requests(world.a, now=NOW)
    assert again.pk != run.pk and again.movements_count == 0
    assert Movement.objects.filter(run=run).count() == 1


def test_waiting_list_order_is_the_order_confirmations_took_the_lock(world, limited):
    """A parent whose click read the clock first but reached the lock second is
    queued second: the recorded position, the position shown and the promotion
    all follow the order in which the confirmations took effect (R10, D5)."""
    book(world.family_a, world.dupont, world.paolo, limited)  # the only place
    limited.waiting_list_capacity = 2
    limited.save()
    later = NOW + datetime.timedelta(seconds=1)
    leo = book(world.martin_a, world.martin, world.leo, limited, now=later)  # locked first
    amalia = book(world.family_a, world.dupont, world.amalia, limited, now=NOW)  # clock read earlier
    assert (leo.movements[0].waiting_position, amalia.movements[0].waiting_position) == (1, 2)
    month = month_states(world.amalia, 2026, 12, now=NOW, draft=None, activity_id=limited.pk)
    assert month.activities[0].days[DAY].waiting_position == 2

    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, limited, DAY, now=NOW)  # Paolo's place is cancelled
    confirm_draft(draft, draft.token, user=world.dupont, now=NOW)
    assert Booking.objects.get(child=world.leo).status == BookingStatus.ACCEPTED
    assert Booking.objects.get(child=world.amalia, status__in=["accepted", "waitlisted"]).status == "waitlisted"


def test_migration_0004_drops_only_the_audit_rows_that_repeat_a_confirmations_movement(world):
    """Before, a family's confirmation wrote a BookingAudit row beside each new
    booking's Movement; the staff's audit now reads the movement, so those rows
    go (once), and every other audit row stays."""
    from django.apps import apps

    migration = importlib.import_module("portail.booking.migrations.0004_family_births_in_movements_only")
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, world.aps_a, datetime.date(2026, 12, 7), now=NOW)
    booking = confirm_draft(draft, draft.token, user=world.dupont, now=NOW).movements[0].booking
    repeated = BookingAudit.objects.create(booking=booking, source="family", to_status=booking.status)
    cancelled = BookingAudit.objects.create(
        booking=booking, source="family", from_status="accepted", to_status="cancelled"
    )
    staff_booking = make_booking(child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 12, 8))
    staff_made = BookingAudit.objects.create(booking=staff_booking, source="staff", to_status="accepted")

    migration.drop_repeated_births(apps, None)
    assert set(BookingAudit.objects.values_list("pk", flat=True)) == {cancelled.pk, staff_made.pk}
    assert repeated.booking.movements.count() == 1
