"""Invariants of places and waiting lists under random sequences of family
demandes and staff actions (R5d, R10, N3, D3, D5, B7).

Several families (one with two parent accounts, so two drafts of the same
family race) click days of one limited activity open on three days, confirm
now or later (a stale draft is re-checked at confirmation), and staff change
an opening's capacity, book or cancel for a family, give a waitlisted child a
place or close a day (through portail.booking.staff_actions: lock, snapshot,
promotion). After every step:

- every opening's place counters (Opening.accepted_count, waitlisted_count)
  are its active rows, counted (issue 15): whatever the engine did, the
  counters moved with the rows;
- accepted ≤ capacity and waitlisted ≤ waiting-list capacity per opening.
  Decision: a capacity lowered below the accepted count is the only excess
  allowed; nobody is removed, and no new acceptance happens on that opening
  while it stays over capacity;
- nobody waits while a place they could take is free: if the cancellation
  délai still allows it and accepted < capacity, the waiting list is empty;
  where that délai has passed, nobody is promoted (nor can cancel);
- promotions take the waiting list from its head (FIFO), and a newcomer is
  never accepted ahead of someone already waiting (while promotions apply);
  a staff member may choose a child out of turn (staff_promote), and cancel
  or promote past the families' délais: those are the only exceptions;
- a closed day has no active booking and every child sees it closed;
- waiting-list order is confirmation order (row id, taken under the lock) and the positions
  the snapshot shows are 1..n in that order;
- at most one active booking per child, activity and day (and the database
  constraint refuses a second one).
"""

import datetime
import os

import hypothesis
import pytest
from django.db import IntegrityError, transaction
from django.db.models import Count
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from portail.booking import drafts, rules
from portail.booking.confirm import confirm_draft
from portail.booking.counters import find_drift
from portail.booking.errors import BookingError
from portail.booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingAudit,
    BookingStatus,
    Confirmation,
    Draft,
    DraftItem,
    Movement,
    MovementKind,
    OpeningAudit,
)
from portail.booking.snapshot import load_snapshot
from portail.booking.staff_actions import change_capacity, close_day, staff_book, staff_cancel, staff_promote
from portail.structures.models import Opening
from tests import factories as f
from tests.helpers import make_booking

DAYS = [datetime.date(2026, 12, 7), datetime.date(2026, 12, 8), datetime.date(2026, 12, 9)]  # Mon–Wed
# Well before every délai: everything can be booked and cancelled.
EARLY = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=rules.PARIS)
# Cancellation délai (D-2 at 10:00) passed for DAYS[0] only; booking (D-0 at 10:00) still open everywhere.
LATE = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=rules.PARIS)


@pytest.fixture
def scene(world):
    """APS MATIN of A open on DAYS; four families, five children, five parent accounts."""
    activity = world.aps_a
    activity.booking_deadline_days = 0
    activity.cancellation_deadline_days = 2
    activity.save()
    openings = [world.opening_a] + [f.OpeningFactory(activity=activity, date=day) for day in DAYS[1:]]
    for child in (world.amalia, world.leo):
        f.EnrolmentFactory(child=child, activity=activity)
    parents = [(world.family_a, world.dupont), (world.family_a, world.dupont2), (world.martin_a, world.martin)]
    children = [world.paolo, world.amalia, world.leo]
    for n in range(2):
        account = f.UserFactory(username=f"parent{n}")
        family = f.FamilyFactory(structure=world.a, accounts=[account])
        child = f.ChildFactory(family=family)
        f.EnrolmentFactory(child=child, activity=activity)
        parents.append((family, account))
        children.append(child)
    return world, activity, openings, parents, children


def reset(openings, capacities, waiting):
    """Each example starts from no booking at all (the test's database is shared by its examples)."""
    BookingAudit.objects.all().delete()
    Movement.objects.all().delete()
    Booking.objects.all().delete()
    Confirmation.objects.all().delete()
    DraftItem.objects.all().delete()
    Draft.objects.all().delete()
    OpeningAudit.objects.all().delete()
    for opening, capacity, wl in zip(openings, capacities, waiting, strict=True):
        # Open again (an example may have closed it), no booking, so nothing counted.
        Opening.objects.filter(pk=opening.pk).update(
            capacity=capacity, waiting_list_capacity=wl, accepted_count=0, waitlisted_count=0,
            closed_at=None, closed_by=None, closure_reason="",
        )  # fmt: skip


def queue_key(booking):
    return booking.pk


def event(label):
    """Count how many examples reach a situation (shown by --hypothesis-show-statistics)."""
    if currently_in_test_context():
        hypothesis.event(label)


def observe(activity, openings):
    """Per opening: its capacities, the accepted ids and the waiting list in id order."""
    active = sorted(Booking.objects.filter(activity=activity, status__in=ACTIVE_STATUSES), key=queue_key)
    seen = {}
    for opening in Opening.objects.filter(pk__in=[o.pk for o in openings]).select_related("activity"):
        day = [b for b in active if b.date == opening.date]
        seen[opening.date] = {
            "capacity": opening.effective_capacity,
            "wl_capacity": opening.effective_waiting_list_capacity,
            "accepted": {b.pk for b in day if b.status == BookingStatus.ACCEPTED},
            "waiting": [b for b in day if b.status == BookingStatus.WAITLISTED],
            "counters": (opening.accepted_count, opening.waitlisted_count),
            "closed": opening.is_closed,
        }
    return seen


def check(world, activity, openings, children, before, now, locked_days, step_start_movement):
    after = observe(activity, openings)

    duplicates = (
        Booking.objects.filter(status__in=ACTIVE_STATUSES)
        .values("child", "activity", "date")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()

    snap = load_snapshot(world.a.pk, [c.pk for c in children], [activity.pk], DAYS[0], DAYS[-1], now)
    new_movements = list(Movement.objects.filter(pk__gt=step_start_movement).select_related("booking", "confirmation"))
    for m in new_movements:
        if m.kind == MovementKind.BOOK:
            # A demande queues at the instant its confirmation (or the staff's booking) was made.
            assert m.booking.queued_at == (m.confirmation.confirmed_at if m.confirmation else m.created_at)

    # What a staff member did out of the families' rules in this step: cancel
    # (or close the day) past the délai, choose a waitlisted child out of turn.
    staff_cancelled = {
        m.booking_id for m in new_movements if m.kind == MovementKind.CANCEL and m.created_by_id == world.staff_a.pk
    }
    staff_promoted = {m.booking_id for m in new_movements if m.kind == MovementKind.PROMOTION and m.reason}
    # Every opening's counters are its rows, counted (issue 15), and nothing anywhere drifted.
    assert find_drift() == []

    for day in DAYS:
        prev, cur = before[day], after[day]
        accepted, waiting = cur["accepted"], cur["waiting"]
        waiting_ids = [b.pk for b in waiting]
        newly_accepted = accepted - prev["accepted"]
        assert cur["counters"] == (len(accepted), len(waiting)), day
        if cur["closed"]:
            assert not accepted and not waiting, day
            event("day closed")

        # Places and waiting-list places.
        assert len(waiting) <= cur["wl_capacity"], day
        if len(accepted) > cur["capacity"]:
            # Only a capacity lowered below the bookings explains this: no new acceptance then.
            assert not newly_accepted, day

        # Promotions come from the head of the waiting list, in order (a staff
        # member's choice aside).
        prev_waiting_ids = [b.pk for b in prev["waiting"]]
        still_active = [pk for pk in prev_waiting_ids if pk in accepted or pk in waiting_ids]
        promoted = [pk for pk in still_active if pk in accepted]
        in_turn = [pk for pk in still_active if pk not in staff_promoted]
        by_queue = [pk for pk in promoted if pk not in staff_promoted]
        assert by_queue == in_turn[: len(by_queue)], day
        if staff_promoted & set(promoted):
            event("staff promotion out of turn")
        promotions = [m for m in new_movements if m.kind == MovementKind.PROMOTION and m.booking.date == day]
        assert sorted(m.booking_id for m in promotions) == sorted(promoted), day
        if promoted:
            event("promotion")
        if waiting:
            event("someone waiting")
        if len(prev["accepted"] - accepted) and prev["waiting"]:
            event("accepted cancelled with a queue")
        if len(accepted) > cur["capacity"]:
            event("capacity lowered below the accepted bookings")
        if waiting and len(accepted) < cur["capacity"]:
            event("waiting while a place is free (cancellation délai passed)")

        # Positions shown are 1..n in confirmation order.
        assert [snap.bookings[(b.child_id, activity.pk, day)].pk for b in waiting] == waiting_ids
        positions = [snap.state(b.child_id, activity.pk, day).waiting_position for b in waiting]
        assert positions == list(range(1, len(waiting) + 1)), day
        for m in new_movements:
            if m.kind == MovementKind.BOOK and m.outcome == BookingStatus.WAITLISTED and m.booking.date == day:
                assert m.waiting_position == waiting_ids.index(m.booking_id) + 1, day

        if day in locked_days:
            # Cancellation délai passed: no family can cancel, nobody is promoted by the queue.
            assert not by_queue, day
            assert prev["accepted"] - staff_cancelled <= accepted, day
            assert set(prev_waiting_ids) - staff_cancelled - staff_promoted <= set(waiting_ids), day
        else:
            # Nobody waits while a place they could take is free.
            if len(accepted) < cur["capacity"]:
                assert not waiting, day
            # A newcomer is never accepted ahead of someone already waiting.
            direct = newly_accepted - set(promoted)
            if direct:
                assert not any(pk in waiting_ids for pk in prev_waiting_ids), day

        # The S-state every child sees agrees with the bookings.
        places_left = max(cur["capacity"] - len(accepted), 0)
        for child in children:
            state = snap.state(child.pk, activity.pk, day)
            booking = snap.bookings.get((child.pk, activity.pk, day))
            if cur["closed"]:
                assert booking is None and state.state is rules.S.CLOSED, (child, day, state)
                continue
            assert state.places_left == places_left
            if booking is None:
                if len(accepted) < cur["capacity"]:
                    expected = rules.S.FREE
                elif len(waiting) < cur["wl_capacity"]:
                    expected = rules.S.WAITLIST_OPEN
                else:
                    expected = rules.S.FULL
            elif booking.status == BookingStatus.ACCEPTED:
                expected = rules.S.BOOKED_LOCKED if day in locked_days else rules.S.BOOKED
            else:
                expected = rules.S.WAITLISTED_LOCKED if day in locked_days else rules.S.WAITLISTED
            assert state.state is expected, (child, day, state)
    return after


capacity = st.sampled_from([1, 0, 2, 3])
waiting_capacity = st.sampled_from([1, 2, 0])
# Days drawn unevenly so that places and waiting lists fill up within a short sequence.
day_index = st.sampled_from([0, 0, 0, 1, 1, 2])
parent_index = st.integers(0, 1)  # which parent account of the child's family, when it has two
confirm_at_once = st.sampled_from(
    [True, True, True, False]
)  # False: the draft waits and is re-checked when confirmed later
index = st.integers(0, 4)
# A parent books a day for one of the children not booked (nor marked) that day.
book = st.tuples(st.just("book"), day_index, index, parent_index, confirm_at_once)
operation = st.one_of(
    book,
    book,
    # A parent clicks a booked day of that day's n-th active booking (so, cancels it): accepted first.
    st.tuples(st.just("cancel"), day_index, index, parent_index, confirm_at_once),
    # The same, aimed at an accepted booking of a day whose waiting list is not empty.
    st.tuples(st.just("free_a_place"), index, parent_index, confirm_at_once),
    # A parent clicks any day of any child (a book, a cancel, or undoing a mark of the draft).
    st.tuples(st.just("click"), index, day_index, parent_index, confirm_at_once),
    # A parent confirms the draft, whatever it holds by now.
    st.tuples(st.just("confirm"), index),
    # Staff set a day's capacity, or add places to a day whose waiting list is not empty.
    st.tuples(st.just("capacity"), day_index, capacity),
    st.tuples(st.just("add_places"), index, st.integers(1, 2)),
    # Staff book for a child not booked that day (past the families' délais, never past the places),
    st.tuples(st.just("staff_book"), day_index, index),
    # cancel that day's n-th active booking (past the délai too),
    st.tuples(st.just("staff_cancel"), day_index, index),
    # give that day's n-th waitlisted child a place (refused without a free place),
    st.tuples(st.just("staff_promote"), day_index, index),
    # close a day (the later days more often, so that the others keep being booked).
    st.tuples(st.just("close_day"), st.sampled_from([2, 2, 1, 0])),
)

# A staff action refused for a reason the families' rules give too.
STAFF_REFUSALS = {str(rules.FULL), str(rules.NOT_OPEN), "Aucune place libre : augmentez d'abord les places de ce jour."}


def click(parent, child, activity, day, now, confirm):
    family, account = parent
    draft = drafts.get_draft(family, account)
    items = DraftItem.objects.count()
    try:
        drafts.toggle_day(draft, child, activity, day, now=now)
    except BookingError as error:
        # Only a full day, a closed one or a booking past its cancellation délai is not clickable here.
        assert str(error) in (rules.FULL, rules.NOT_OPEN) or str(error).startswith("Hors délai d'annulation")
        assert DraftItem.objects.count() == items
    if confirm:
        confirm_parent(parent, now)


def confirm_parent(parent, now):
    family, account = parent
    draft = drafts.get_draft(family, account)
    result = confirm_draft(draft, draft.token, user=account, now=now)
    assert result.error is None and not result.replayed
    if result.refused:
        event("refused at confirmation")
    if len(result.movements) > 1:
        event("confirmation of several demandes")
    for movement in result.refused:
        assert movement.reason in (rules.FULL, rules.NOT_OPEN) or movement.reason.startswith("Hors délai d'annulation")


def run_scenario(scene, capacities, waiting, operations, start):
    world, activity, openings, parents, children = scene
    # The parent accounts of each child: both DUPONT parents for Paolo and Amalia.
    parents_of = [parents[:2], parents[:2], [parents[2]], [parents[3]], [parents[4]]]
    reset(openings, capacities, waiting)
    locked_days = {day for day in DAYS if rules.cancellation_refusal(
        day, rules.ActivityRules.from_activity(activity), now=start, closed_days=frozenset()
    )}  # fmt: skip
    before = observe(activity, openings)
    for step, op in enumerate(operations):
        now = start + datetime.timedelta(minutes=step)
        last_movement = Movement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        queued = [day for day in DAYS if before[day]["waiting"]]
        if op[0] in ("capacity", "add_places"):
            if op[0] == "capacity":
                day, value = DAYS[op[1]], op[2]
            elif queued:
                day = queued[op[1] % len(queued)]
                value = Opening.objects.get(activity=activity, date=day).capacity + op[2]
            else:
                day = None
            if day is not None:
                opening = Opening.objects.select_related("activity").get(activity=activity, date=day)
                staff_action(
                    change_capacity, opening, capacity=value, waiting_list_capacity=opening.waiting_list_capacity,
                    actor=world.staff_a, reason="Renfort", now=now,
                )  # fmt: skip
        elif op[0] in ("staff_book", "staff_cancel", "staff_promote", "close_day"):
            run_staff_action(world, activity, children, op, now)
        elif op[0] == "click":
            _, c, d, p, at_once = op
            choices = parents_of[c]
            click(choices[p % len(choices)], children[c], activity, DAYS[d], now, at_once)
        elif op[0] == "book":
            _, d, n, p, at_once = op
            busy = set(
                Booking.objects.filter(date=DAYS[d], status__in=ACTIVE_STATUSES).values_list("child_id", flat=True)
            ) | set(DraftItem.objects.filter(date=DAYS[d]).values_list("child_id", flat=True))
            free = [c for c, child in enumerate(children) if child.pk not in busy]
            if free:
                c = free[n % len(free)]
                choices = parents_of[c]
                click(choices[p % len(choices)], children[c], activity, DAYS[d], now, at_once)
        elif op[0] in ("cancel", "free_a_place"):
            if op[0] == "cancel":
                _, d, n, p, at_once = op
                day = DAYS[d]
            else:
                _, n, p, at_once = op
                day = queued[n % len(queued)] if queued else None
            active = Booking.objects.filter(date=day, status__in=ACTIVE_STATUSES).order_by("status", "pk")
            if op[0] == "free_a_place":
                active = active.filter(status=BookingStatus.ACCEPTED)
            active = list(active)
            if active:
                booking = active[n % len(active)]
                c = next(i for i, child in enumerate(children) if child.pk == booking.child_id)
                choices = parents_of[c]
                click(choices[p % len(choices)], children[c], activity, booking.date, now, at_once)
        else:
            confirm_parent(parents[op[1]], now)
        before = check(world, activity, openings, children, before, now, locked_days, last_movement)


def staff_action(action, *args, **kwargs):
    """A staff action; a refusal must be one the rules give (and changes nothing: checked next)."""
    try:
        action(*args, **kwargs)
    except BookingError as error:
        assert str(error) in STAFF_REFUSALS, error
        event(f"staff refused: {error}")


def run_staff_action(world, activity, children, op, now):
    day = DAYS[op[1]]
    active = list(Booking.objects.filter(date=day, status__in=ACTIVE_STATUSES).order_by("status", "pk"))
    if op[0] == "staff_book":
        busy = {b.child_id for b in active}
        free = [child for child in children if child.pk not in busy]
        if free:
            child = free[op[2] % len(free)]
            staff_action(staff_book, child, activity, day, actor=world.staff_a, reason="Guichet", now=now)
    elif op[0] == "staff_cancel":
        if active:
            staff_action(staff_cancel, active[op[2] % len(active)], actor=world.staff_a, reason="Malade", now=now)
    elif op[0] == "staff_promote":
        waiting = [b for b in active if b.status == BookingStatus.WAITLISTED]
        if waiting:
            booking = waiting[op[2] % len(waiting)]
            staff_action(staff_promote, booking, actor=world.staff_a, reason="Priorité", now=now)
    else:
        opening = Opening.objects.select_related("activity").get(activity=activity, date=day)
        if opening.is_closed:
            with pytest.raises(BookingError):
                close_day(opening, actor=world.staff_a, reason="Grève", now=now)
        else:
            close_day(opening, actor=world.staff_a, reason="Grève", now=now)


# 30 random sequences per run keep the suite fast; INVARIANT_EXAMPLES=500 explores much further.
EXAMPLES = int(os.environ.get("INVARIANT_EXAMPLES", "30"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.sampled_from([EARLY, LATE]),
    capacities=st.lists(capacity, min_size=3, max_size=3),
    waiting=st.lists(waiting_capacity, min_size=3, max_size=3),
    # Bookings first, so that places and waiting lists are taken before anything else happens.
    bookings=st.lists(book, min_size=3, max_size=6),
    operations=st.lists(operation, min_size=2, max_size=7),
)
# Always run: a cancellation and a capacity raise promote in order, then a capacity
# lowered below the bookings (a newcomer waits, a cancellation promotes nobody).
@example(
    start=EARLY, capacities=[1, 1, 1], waiting=[2, 2, 2], bookings=[("book", 0, 0, 0, True)] * 3,
    operations=[
        ("cancel", 0, 0, 0, True), ("capacity", 0, 3), ("capacity", 0, 1), ("book", 0, 0, 0, True),
        ("cancel", 0, 0, 0, True),
    ],
)  # fmt: skip
# Cancellation délai passed on DAYS[0]: no cancel, no promotion; a newcomer takes a raised place.
@example(
    start=LATE, capacities=[1, 1, 1], waiting=[2, 2, 2], bookings=[("book", 0, 0, 0, True)] * 3,
    operations=[("cancel", 0, 0, 0, True), ("capacity", 0, 3), ("book", 0, 0, 0, True)],
)  # fmt: skip
# Stale drafts: both DUPONT parents book then cancel Paolo; Léo's draft confirmed once the day is full.
@example(
    start=EARLY, capacities=[1, 1, 1], waiting=[1, 1, 1], bookings=[],
    operations=[
        ("click", 2, 0, 0, False), ("click", 0, 0, 0, False), ("click", 0, 0, 1, True), ("confirm", 0),
        ("book", 0, 0, 0, True), ("confirm", 2), ("click", 0, 0, 0, False), ("click", 0, 0, 1, False),
        ("confirm", 0), ("confirm", 1),
    ],
)  # fmt: skip
# Staff out of the families' rules, past the cancellation délai of DAYS[0]: places
# raised (nobody promoted by the queue), the second waitlisted child chosen, a
# cancellation, a direct booking into the free place, then the day closed.
@example(
    start=LATE, capacities=[1, 1, 1], waiting=[3, 3, 3], bookings=[("book", 0, 0, 0, True)] * 4,
    operations=[
        ("capacity", 0, 3), ("staff_promote", 0, 1), ("staff_cancel", 0, 0), ("staff_book", 0, 0),
        ("close_day", 0), ("book", 0, 0, 0, True), ("staff_book", 0, 0),
    ],
)  # fmt: skip
def test_places_and_waiting_lists_hold(scene, start, capacities, waiting, bookings, operations):
    """EARLY: every day can still be cancelled. LATE: DAYS[0] is past its
    cancellation délai (still bookable), so nobody is promoted there."""
    run_scenario(scene, capacities, waiting, bookings + operations, start)


def test_capacity_raised_after_cancellation_delai_promotes_nobody(scene):
    """The example the random test must be able to find, written out."""
    world, activity, openings, parents, children = scene
    reset(openings, [1, 1, 1], [2, 2, 2])
    for (family, account), child in ((parents[0], world.paolo), (parents[2], world.leo)):
        draft = drafts.get_draft(family, account)
        drafts.toggle_day(draft, child, activity, DAYS[0], now=LATE)
        confirm_draft(draft, draft.token, user=account, now=LATE)
    leo = Booking.objects.get(child=world.leo)
    assert leo.status == BookingStatus.WAITLISTED
    opening = Opening.objects.select_related("activity").get(pk=openings[0].pk)
    promoted = change_capacity(
        opening, capacity=2, waiting_list_capacity=2, actor=world.staff_a, reason="Renfort", now=LATE
    )
    assert promoted == []
    leo.refresh_from_db()
    assert leo.status == BookingStatus.WAITLISTED
    assert not Movement.objects.filter(kind=MovementKind.PROMOTION).exists()
    # Before that délai the same change promotes at once (N3, D3).
    reset(openings, [1, 1, 1], [2, 2, 2])
    for (family, account), child in ((parents[0], world.paolo), (parents[2], world.leo)):
        draft = drafts.get_draft(family, account)
        drafts.toggle_day(draft, child, activity, DAYS[0], now=EARLY)
        confirm_draft(draft, draft.token, user=account, now=EARLY)
    opening = Opening.objects.select_related("activity").get(pk=openings[0].pk)
    promoted = change_capacity(
        opening, capacity=2, waiting_list_capacity=2, actor=world.staff_a, reason="Renfort", now=EARLY
    )
    assert [b.child_id for b in promoted] == [world.leo.pk]


def test_database_refuses_a_second_active_booking(world):
    day = world.opening_a.date
    make_booking(child=world.paolo, activity=world.aps_a, date=day, status=BookingStatus.ACCEPTED)
    for status in (BookingStatus.ACCEPTED, BookingStatus.WAITLISTED):
        with pytest.raises(IntegrityError), transaction.atomic():
            make_booking(child=world.paolo, activity=world.aps_a, date=day, status=status)
    # Refused and cancelled traces are not active: any number of them may coexist.
    for status in (BookingStatus.REFUSED, BookingStatus.REFUSED, BookingStatus.CANCELLED, BookingStatus.CANCELLED):
        make_booking(child=world.paolo, activity=world.aps_a, date=day, status=status)
    # Another day, activity or child is another booking.
    make_booking(child=world.amalia, activity=world.aps_a, date=day, status=BookingStatus.ACCEPTED)
    make_booking(child=world.paolo, activity=world.cantine_a, date=day, status=BookingStatus.ACCEPTED)
    assert Booking.objects.filter(child=world.paolo, status__in=ACTIVE_STATUSES).count() == 2


# ------------------------------------------- issue 18 point 9: age groups
# An activity with two age groups (Petits 3–5, Grands 6–11, each with its
# places and waiting list) open on two days, five children (two per group and
# one of no group); random family demandes (drafted, confirmed at once or
# later), staff bookings, cancellations, promotions and closures. After every
# step: never more than a group's places nor its waiting list, each group's
# counters are its rows (and each opening's its totals), every active booking
# is in the group of the child's age that day, the child of no group has none,
# and nobody waits in a group with a free place (every délai is still open).

GROUP_KEYS = ["p1", "p2", "g1", "g2", "baby"]
GROUP_DAYS = [datetime.date(2026, 12, 9), datetime.date(2026, 12, 10)]
group_places = st.tuples(st.integers(0, 2), st.integers(0, 2))
group_operation = st.one_of(
    st.tuples(st.just("click"), st.integers(0, 4), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("confirm"), st.integers(0, 4)),
    st.tuples(st.sampled_from(["staff_book", "staff_cancel", "staff_promote"]), st.integers(0, 4), st.integers(0, 1)),
    st.tuples(st.just("close_day"), st.integers(0, 1)),
)


@pytest.fixture
def group_scene(world):
    from tests.booking.test_age_groups import grouped_scene

    return world, *grouped_scene(world, days=GROUP_DAYS)


def check_groups(activity, groups, openings, people):
    from portail.booking.counters import find_group_drift
    from portail.structures.models import GroupCount

    assert find_drift() == [] and find_group_drift() == []
    capacities = {g.pk: g for g in groups}
    counters = {
        (c.opening_id, c.age_group_id): (c.accepted_count, c.waitlisted_count) for c in GroupCount.objects.all()
    }
    active = list(Booking.objects.filter(activity=activity, status__in=ACTIVE_STATUSES).select_related("child"))
    assert not [b for b in active if b.child_id == people["baby"][2].pk]
    for booking in active:
        expected = rules.age_group_of(groups, booking.child.birth_date, booking.date)
        assert booking.age_group_id == expected.pk
    for opening in Opening.objects.filter(pk__in=[o.pk for o in openings]):
        for group_id, group in capacities.items():
            rows = [b for b in active if b.date == opening.date and b.age_group_id == group_id]
            accepted = sum(b.status == BookingStatus.ACCEPTED for b in rows)
            waiting = len(rows) - accepted
            assert accepted <= group.capacity and waiting <= group.waiting_list_capacity
            assert counters.get((opening.pk, group_id), (0, 0)) == (accepted, waiting)
            if waiting:
                assert accepted == group.capacity  # nobody waits while the group has a place
                event("a group's waiting list")
            if opening.is_closed:
                assert not rows


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(petits=group_places, grands=group_places, operations=st.lists(group_operation, min_size=3, max_size=14))
@example(
    petits=(1, 1), grands=(1, 0),
    operations=[
        ("click", 0, 0, True), ("click", 1, 0, True), ("click", 2, 0, False), ("click", 3, 0, True), ("confirm", 2),
        ("click", 0, 0, True), ("staff_book", 4, 0), ("staff_cancel", 0, 0), ("staff_promote", 1, 0),
        ("close_day", 0),
    ],
)  # fmt: skip
def test_age_groups_places_and_waiting_lists_hold(group_scene, petits, grands, operations):
    from portail.structures.models import AgeGroup, GroupCount

    world, activity, groups, openings, people = group_scene
    # Each example starts from nothing booked, with its groups' places.
    reset(openings, [None] * len(openings), [None] * len(openings))
    GroupCount.objects.all().delete()
    for group, (places, waiting) in zip(groups, (petits, grands), strict=True):
        group.capacity, group.waiting_list_capacity = places, waiting
        group.save()
    groups = list(AgeGroup.objects.filter(activity=activity).order_by("min_age"))
    for step, op in enumerate(operations):
        now = EARLY + datetime.timedelta(minutes=step)
        if op[0] in ("click", "confirm"):
            family, account, child = people[GROUP_KEYS[op[1]]]
            draft = drafts.get_draft(family, account)
            if op[0] == "click":
                try:
                    drafts.toggle_day(draft, child, activity, GROUP_DAYS[op[2]], now=now)
                except BookingError as error:
                    assert str(error) in (rules.FULL, rules.NOT_OPEN, rules.NO_AGE_GROUP), error
            if op[0] == "confirm" or op[3]:
                draft = drafts.get_draft(family, account)
                result = confirm_draft(draft, draft.token, user=account, now=now)
                assert result.error is None
                for movement in result.refused:
                    assert movement.reason in (rules.FULL, rules.NOT_OPEN, rules.NO_AGE_GROUP)
                    event(f"refused: {movement.reason}")
        elif op[0] == "close_day":
            opening = Opening.objects.select_related("activity").get(pk=openings[op[1]].pk)
            if not opening.is_closed:
                close_day(opening, actor=world.staff_a, reason="Grève", now=now)
        else:
            day = GROUP_DAYS[op[2]]
            active = list(
                Booking.objects.filter(activity=activity, date=day, status__in=ACTIVE_STATUSES).order_by("status", "pk")
            )
            try:
                if op[0] == "staff_book":
                    child = people[GROUP_KEYS[op[1]]][2]
                    if child.pk not in {b.child_id for b in active}:
                        staff_book(child, activity, day, actor=world.staff_a, reason="Guichet", now=now)
                elif op[0] == "staff_cancel" and active:
                    staff_cancel(active[op[1] % len(active)], actor=world.staff_a, reason="Malade", now=now)
                elif op[0] == "staff_promote":
                    waiting = [b for b in active if b.status == BookingStatus.WAITLISTED]
                    if waiting:
                        staff_promote(waiting[op[1] % len(waiting)], actor=world.staff_a, reason="Priorité", now=now)
            except BookingError as error:
                assert str(error) in {*STAFF_REFUSALS, str(rules.NO_AGE_GROUP)}, error
        check_groups(activity, groups, openings, people)
