"""The booking engine's signals (portail/booking/signals.py) reach the
notifications app once each, and its notices are queued inside the
transaction of the change: a notice that cannot be written undoes the change,
so a family is never left untold (N3, N4)."""

import datetime

import pytest
from django.apps import apps

from portail.booking import signals, staff_actions
from portail.booking.models import Booking, BookingStatus, Movement, MovementKind
from portail.notifications import reports
from portail.notifications.models import OutboxEmail
from portail.structures.models import Opening
from tests import factories as f
from tests.helpers import make_booking

DAY = datetime.date(2026, 12, 7)  # world: APS MATIN is open that day


class Boom(Exception):
    pass


@pytest.fixture
def waiting(world):
    """APS MATIN on DAY: 2 places, Paolo on one, another family's child waitlisted."""
    world.aps_a.capacity = 2
    world.aps_a.save()
    make_booking(child=world.paolo, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    account = f.UserFactory(username="attente", email="attente@example.org")
    child = f.ChildFactory(family=f.FamilyFactory(structure=world.a, accounts=[account]))
    f.EnrolmentFactory(child=child, activity=world.aps_a)
    return make_booking(child=child, activity=world.aps_a, date=DAY, status=BookingStatus.WAITLISTED)


def test_each_receiver_is_connected_once_even_when_ready_runs_again(db):
    apps.get_app_config("notifications").ready()
    for signal in (signals.place_given, signals.day_closed, signals.run_finished):
        assert len(signal.receivers) == 1


def test_a_place_given_is_told_to_the_family(world, waiting):
    staff_actions.staff_promote(waiting, actor=world.staff_a, reason="Place libérée par la mairie")
    notice = OutboxEmail.objects.get(kind="liste-attente")
    assert notice.to == "attente@example.org"


def test_a_notice_that_cannot_be_queued_undoes_the_place(world, waiting, monkeypatch):
    def broken(movement):
        raise Boom

    monkeypatch.setattr(reports, "queue_promotion_notice", broken)
    with pytest.raises(Boom):
        staff_actions.staff_promote(waiting, actor=world.staff_a, reason="Place libérée par la mairie")
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.WAITLISTED
    assert not Movement.objects.filter(kind=MovementKind.PROMOTION).exists()
    assert not OutboxEmail.objects.exists()


def test_a_closure_notice_that_cannot_be_queued_undoes_the_closure(world, waiting, monkeypatch):
    def broken(booking, reason):
        raise Boom

    queue_closure_notice = reports.queue_closure_notice
    monkeypatch.setattr(reports, "queue_closure_notice", broken)
    opening = Opening.objects.get(activity=world.aps_a, date=DAY)
    with pytest.raises(Boom):
        staff_actions.close_day(opening, actor=world.staff_a, reason="Grève du personnel")
    assert set(Booking.objects.filter(date=DAY).values_list("status", flat=True)) == {
        BookingStatus.ACCEPTED,
        BookingStatus.WAITLISTED,
    }
    assert Opening.objects.open().filter(pk=opening.pk).exists()
    assert not OutboxEmail.objects.exists()
    # Without the failure, every family hears of it in the same step.
    monkeypatch.setattr(reports, "queue_closure_notice", queue_closure_notice)
    staff_actions.close_day(opening, actor=world.staff_a, reason="Grève du personnel")
    assert sorted(OutboxEmail.objects.filter(kind="fermeture").values_list("to", flat=True)) == [
        "attente@example.org",
        "dupont2@example.org",
        "dupont@example.org",
    ]
