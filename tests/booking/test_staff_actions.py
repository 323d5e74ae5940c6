"""B7 staff actions through the engine: each promotes, notifies and audits
like a family's demande, in one transaction; each requires a reason and
records one audit entry (who, when, why); a closed day keeps its opening."""

import datetime

import pytest
from django.utils import timezone

from portail.booking import drafts, rules, staff_actions
from portail.booking.confirm import confirm_draft
from portail.booking.errors import BookingError
from portail.booking.models import (
    AuditSource,
    Booking,
    BookingAudit,
    BookingStatus,
    DraftItem,
    Movement,
    MovementKind,
    OpeningAudit,
    OpeningEvent,
)
from portail.booking.states import month_states
from portail.notifications.models import OutboxEmail
from portail.structures.models import Opening
from portail.structures.openings import create_openings
from tests import factories as f
from tests.fuzz.values import fingerprint
from tests.helpers import make_booking, set_booking_status

NOW = timezone.make_aware(datetime.datetime(2026, 12, 6, 18, 0))  # after the families' délai for the 7th
DAY = datetime.date(2026, 12, 7)


@pytest.fixture
def full_day(world):
    """APS MATIN on DAY: 1 place taken by Paolo, 3 families on the waiting list (in order)."""
    world.aps_a.capacity, world.aps_a.waiting_list_capacity = 1, 5
    world.aps_a.save()
    paolo = make_booking(child=world.paolo, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    waiting = []
    for n in range(3):
        account = f.UserFactory(username=f"attente{n}", email=f"attente{n}@example.org")
        family = f.FamilyFactory(structure=world.a, accounts=[account])
        child = f.ChildFactory(family=family)
        f.EnrolmentFactory(child=child, activity=world.aps_a)
        queued = NOW - datetime.timedelta(days=3, minutes=10 - n)
        waiting.append(
            make_booking(child=child, activity=world.aps_a, date=DAY, status=BookingStatus.WAITLISTED, queued_at=queued)
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
    set_booking_status(paolo, BookingStatus.ACCEPTED)
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
        opening, capacity=3, waiting_list_capacity=None, actor=world.staff_a, reason="Renfort", now=early
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
    assert not Opening.objects.open().filter(activity=world.aps_a, date=DAY).exists()
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
    set_booking_status(paolo, BookingStatus.CANCELLED)
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


# ---------------------------------------------------------------- reasons and audit (issue 13)


def _actions(world, full_day):
    """Each staff action, called with a given reason; and what it would change."""
    paolo, waiting = full_day
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    opening = Opening.objects.select_related("activity").get(activity=world.aps_a, date=DAY)
    early = NOW - datetime.timedelta(days=3)
    return {
        "book": lambda reason: staff_actions.staff_book(
            world.amalia, world.aps_a, DAY, actor=world.staff_a, reason=reason, now=NOW
        ),
        "cancel": lambda reason: staff_actions.staff_cancel(paolo, actor=world.staff_a, reason=reason, now=NOW),
        "promote": lambda reason: staff_actions.staff_promote(waiting[1], actor=world.staff_a, reason=reason, now=NOW),
        "capacity": lambda reason: staff_actions.change_capacity(
            opening, capacity=3, waiting_list_capacity=None, actor=world.staff_a, reason=reason, now=early
        ),
        "close": lambda reason: staff_actions.close_day(opening, actor=world.staff_a, reason=reason, now=NOW),
    }


ACTIONS = ["book", "cancel", "promote", "capacity", "close"]


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("reason", [None, "", "   \t "])
def test_every_staff_action_is_refused_without_a_reason_and_changes_nothing(world, full_day, name, reason):
    paolo, _ = full_day
    set_booking_status(paolo, BookingStatus.CANCELLED)  # a free place: promote could run
    action = _actions(world, full_day)[name]
    before = fingerprint()
    with pytest.raises(BookingError, match=str(staff_actions.REASON_REQUIRED)):
        action(reason)
    assert fingerprint() == before


@pytest.mark.parametrize("name", ACTIONS)
def test_every_staff_action_records_one_audit_entry_with_who_when_and_why(world, full_day, name):
    paolo, waiting = full_day
    if name == "promote":
        set_booking_status(paolo, BookingStatus.CANCELLED)
    _actions(world, full_day)[name]("Motif du guichet")
    staff_rows = list(BookingAudit.objects.filter(source=AuditSource.STAFF)) + list(OpeningAudit.objects.all())
    if name == "close":
        # the closure itself, once; and each booking it cancelled, with the same reason
        (closure,) = OpeningAudit.objects.all()
        assert closure.event == OpeningEvent.CLOSURE
        cancelled = BookingAudit.objects.filter(source=AuditSource.STAFF, to_status=BookingStatus.CANCELLED)
        assert sorted(a.booking_id for a in cancelled) == sorted(b.pk for b in [paolo, *waiting])
        staff_rows = [closure, *cancelled]
    else:
        assert len(staff_rows) == 1, staff_rows
    for row in staff_rows:
        assert row.actor == world.staff_a and row.note == "Motif du guichet"
        assert row.at in (NOW, NOW - datetime.timedelta(days=3))


def test_a_capacity_change_keeps_the_places_before_and_after(world, full_day):
    opening = Opening.objects.select_related("activity").get(activity=world.aps_a, date=DAY)
    early = NOW - datetime.timedelta(days=3)
    staff_actions.change_capacity(
        opening, capacity=2, waiting_list_capacity=None, actor=world.staff_a, reason="Renfort", now=early
    )
    staff_actions.change_capacity(
        opening, capacity=None, waiting_list_capacity=1, actor=world.staff_a, reason="Animateur malade", now=NOW
    )
    history = list(opening.audit.order_by("at").values_list("capacity_before", "capacity_after", "waiting_before",
                                                              "waiting_after", "note"))  # fmt: skip
    # the activity's defaults are 1 place and 5 on the waiting list
    assert history == [(1, 2, 5, 5, "Renfort"), (2, 1, 5, 1, "Animateur malade")]


def test_a_closed_day_keeps_its_opening_and_its_capacity_history(world, full_day):
    opening = Opening.objects.select_related("activity").get(activity=world.aps_a, date=DAY)
    early = NOW - datetime.timedelta(days=3)
    staff_actions.change_capacity(
        opening, capacity=3, waiting_list_capacity=None, actor=world.staff_a, reason="Renfort", now=early
    )
    staff_actions.close_day(opening, actor=world.staff_a, reason="Grève du personnel", now=NOW)
    kept = Opening.objects.get(pk=opening.pk)
    assert (kept.closed_at, kept.closed_by, kept.closure_reason) == (NOW, world.staff_a, "Grève du personnel")
    assert kept.is_closed and kept.capacity == 3
    events = list(kept.audit.order_by("at").values_list("event", "capacity_before", "capacity_after", "note"))
    assert events == [(OpeningEvent.CAPACITY, 1, 3, "Renfort"), (OpeningEvent.CLOSURE, 3, None, "Grève du personnel")]
    # closed once: a second closure, or any other staff action on it, is refused and changes nothing
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    before = fingerprint()
    with pytest.raises(BookingError, match="déjà fermée"):
        staff_actions.close_day(kept, actor=world.staff_a, reason="Encore", now=NOW)
    with pytest.raises(BookingError, match=str(rules.NOT_OPEN)):
        staff_actions.change_capacity(
            kept, capacity=9, waiting_list_capacity=None, actor=world.staff_a, reason="Renfort", now=NOW
        )
    with pytest.raises(BookingError, match=str(rules.NOT_OPEN)):
        staff_actions.staff_book(world.amalia, world.aps_a, DAY, actor=world.staff_a, reason="Guichet", now=NOW)
    assert fingerprint() == before


def test_a_closed_day_is_not_bookable_by_families(world, full_day):
    early = NOW - datetime.timedelta(days=5)  # within the families' délais
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    draft = drafts.get_draft(world.family_a, world.dupont)
    # marked while the day was open, confirmed after it was closed
    drafts.toggle_day(draft, world.amalia, world.aps_a, DAY, now=early)
    assert DraftItem.objects.filter(draft=draft).count() == 1
    opening = Opening.objects.get(activity=world.aps_a, date=DAY)
    staff_actions.close_day(opening, actor=world.staff_a, reason="Sortie annulée", now=early)
    draft.refresh_from_db()
    result = confirm_draft(draft, draft.token, user=world.dupont, now=early)
    (movement,) = result.movements
    assert (movement.outcome, movement.reason) == (BookingStatus.REFUSED, str(rules.NOT_OPEN))
    assert not Booking.objects.filter(child=world.amalia, status__in=["accepted", "waitlisted"]).exists()
    # the family's calendar shows it closed, and it cannot be marked again
    states = month_states(world.amalia, DAY.year, DAY.month, now=early, activity_id=world.aps_a.pk)
    (month,) = states.activities
    assert month.days[DAY].state == rules.S.CLOSED
    with pytest.raises(BookingError):
        drafts.toggle_day(draft, world.amalia, world.aps_a, DAY, now=early)


def test_bulk_openings_do_not_reopen_a_closed_day(world, full_day):
    opening = Opening.objects.get(activity=world.aps_a, date=DAY)
    staff_actions.close_day(opening, actor=world.staff_a, reason="Grève", now=NOW)
    create_openings(world.aps_a, DAY, DAY + datetime.timedelta(days=1), weekdays=[0, 1])
    assert Opening.objects.get(pk=opening.pk).is_closed
    assert Opening.objects.filter(activity=world.aps_a, date=DAY).count() == 1


def test_the_copy_tool_does_not_copy_onto_a_closed_day(world, full_day):
    early = NOW - datetime.timedelta(days=5)  # within the families' délais
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    Opening.objects.get_or_create(activity=world.cantine_a, date=DAY)
    make_booking(child=world.amalia, activity=world.cantine_a, date=DAY, status=BookingStatus.ACCEPTED)
    draft = drafts.get_draft(world.family_a, world.dupont)
    staff_actions.close_day(
        Opening.objects.get(activity=world.aps_a, date=DAY), actor=world.staff_a, reason="Sortie annulée", now=early
    )
    copied, not_copied = drafts.copy_bookings(
        draft, world.amalia, world.cantine_a, DAY, DAY, world.amalia, world.aps_a, now=early
    )
    assert copied == 0 and [(n.day, n.reason) for n in not_copied] == [(DAY, str(rules.NOT_OPEN))]
    assert not DraftItem.objects.filter(draft=draft).exists()
