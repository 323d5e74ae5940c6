"""The engine asks the apps above it whether a family may book new days
(booking.guards, issues 16 and 17): a receiver's French answer blocks the
family's new bookings — nothing recorded, the draft kept — and never its
cancellations. Staff cancelling after the délai bill the day (cancelled_late)."""

import datetime

import pytest
from django.utils import timezone

from portail.booking import drafts, signals, staff_actions
from portail.booking.confirm import confirm_draft
from portail.booking.guards import booking_block, booking_blocks
from portail.booking.models import Booking, BookingStatus, DraftItem
from tests.helpers import make_booking

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
MON = datetime.date(2026, 12, 7)
OVERDUE = "Une facture est en retard de paiement : réglez-la pour réserver de nouveaux jours."


@pytest.fixture
def blocked(world):
    """A receiver that blocks DUPONT of structure A only."""

    def receiver(sender, family, **kwargs):
        return OVERDUE if family.pk == world.family_a.pk else None

    signals.family_booking_block.connect(receiver, dispatch_uid="test-guard")
    yield
    signals.family_booking_block.disconnect(dispatch_uid="test-guard")


def test_no_receiver_answer_means_the_family_may_book(world):
    assert booking_blocks(world.family_a) == []
    assert booking_block(world.family_a) is None


def test_a_blocked_family_books_nothing_and_keeps_its_draft(world, blocked):
    assert booking_block(world.family_a) == OVERDUE
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, world.aps_a, MON, now=NOW)
    result = confirm_draft(draft, draft.token, user=world.dupont, now=NOW)
    assert result.error == OVERDUE
    assert not Booking.objects.exists()
    assert DraftItem.objects.filter(draft=draft).count() == 1
    assert confirm_draft(draft, draft.token, user=world.dupont, now=NOW).error == OVERDUE


def test_a_blocked_family_may_still_cancel(world, blocked):
    booking = make_booking(child=world.paolo, activity=world.aps_a, date=MON, status=BookingStatus.ACCEPTED)
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, world.aps_a, MON, now=NOW)
    result = confirm_draft(draft, draft.token, user=world.dupont, now=NOW)
    assert result.error is None
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_another_family_is_not_blocked(world, blocked):
    assert booking_block(world.martin_a) is None


def test_staff_cancelling_after_the_delai_bills_the_day_and_before_does_not(world):
    late = make_booking(child=world.paolo, activity=world.aps_a, date=MON, status=BookingStatus.ACCEPTED)
    staff_actions.staff_cancel(late, actor=world.staff_a, reason="Appel tardif", now=NOW + datetime.timedelta(days=11))
    late.refresh_from_db()
    assert late.cancelled_late is True
    early = make_booking(child=world.amalia, activity=world.aps_a, date=MON, status=BookingStatus.ACCEPTED)
    staff_actions.staff_cancel(early, actor=world.staff_a, reason="Prévenu à temps", now=NOW)
    early.refresh_from_db()
    assert early.cancelled_late is False


def test_a_justified_absence_is_never_billed_even_after_the_delai(world):
    booking = make_booking(child=world.paolo, activity=world.aps_a, date=MON, status=BookingStatus.ACCEPTED)
    staff_actions.staff_cancel(
        booking, actor=world.staff_a, reason="Absence justifiée", now=NOW + datetime.timedelta(days=11), late=False
    )
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_late) == (BookingStatus.CANCELLED, False)
