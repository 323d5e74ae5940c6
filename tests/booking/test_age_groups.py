"""Age groups (issue 18 point 9): an activity's groups have their own places
and waiting lists by the child's age on the day, through the engine — the
confirmation, the forecast, the calendar's states, the staff's actions, the
waiting list's promotions and the counters' repair."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from portail.booking import drafts, rules
from portail.booking.confirm import confirm_draft
from portail.booking.counters import find_group_drift, recount
from portail.booking.errors import BookingError
from portail.booking.forecast import Outcome, forecast_draft
from portail.booking.models import Booking, BookingStatus
from portail.booking.snapshot import load_snapshot
from portail.booking.staff_actions import close_day, staff_book, staff_cancel, staff_promote
from portail.booking.states import month_states
from portail.structures.models import AgeGroup, GroupCount, Opening
from tests import factories as f

DAY = datetime.date(2026, 12, 9)  # a Wednesday
EARLY = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=rules.PARIS)
# Born so that on DAY: 4, 5 (petits, 3–5 ans), 8, 10 (grands, 6–11 ans) and 2 (no group).
BIRTHS = {
    "p1": datetime.date(2022, 1, 10),
    "p2": datetime.date(2021, 6, 1),
    "g1": datetime.date(2018, 3, 3),
    "g2": datetime.date(2016, 5, 5),
    "baby": datetime.date(2024, 1, 1),
}


def grouped_scene(world, *, petits=(1, 1), grands=(1, 1), days=(DAY,)):
    """ALSH of structure A open on `days` with two age groups (places, waiting
    list); five families, each with one child of BIRTHS enrolled, and its parent."""
    activity = f.ActivityFactory(
        structure=world.a, name="ALSH VACANCES", code="ALSHV", is_limited=True, capacity=30, waiting_list_capacity=5,
        booking_deadline_days=0, cancellation_deadline_days=2,
    )  # fmt: skip
    groups = [
        AgeGroup.objects.create(activity=activity, name="Petits", min_age=3, max_age=5, capacity=petits[0],
                                waiting_list_capacity=petits[1]),
        AgeGroup.objects.create(activity=activity, name="Grands", min_age=6, max_age=11, capacity=grands[0],
                                waiting_list_capacity=grands[1]),
    ]  # fmt: skip
    activity.refresh_from_db()
    openings = [f.OpeningFactory(activity=activity, date=day) for day in days]
    people = {}
    for key, born in BIRTHS.items():
        account = f.UserFactory(username=f"parent-{key}")
        family = f.FamilyFactory(structure=world.a, accounts=[account], reference=f"G{key.upper()}")
        child = f.ChildFactory(family=family, first_name=key.capitalize(), birth_date=born)
        f.EnrolmentFactory(child=child, activity=activity)
        people[key] = (family, account, child)
    return activity, groups, openings, people


def toggle(people, key, activity, day=DAY, now=EARLY):
    family, account, child = people[key]
    drafts.toggle_day(drafts.get_draft(family, account), child, activity, day, now=now)


def confirm(people, key, now=EARLY):
    family, account, _ = people[key]
    draft = drafts.get_draft(family, account)
    result = confirm_draft(draft, draft.token, user=account, now=now)
    assert result.error is None
    (movement,) = result.movements
    return movement


def book(people, key, activity, day=DAY, now=EARLY):
    """The family of `key` books (or cancels) its child on `day` through a draft and its confirmation."""
    toggle(people, key, activity, day, now)
    return confirm(people, key, now)


def group_counts(opening):
    return {
        gc.age_group.name: (gc.accepted_count, gc.waitlisted_count)
        for gc in GroupCount.objects.filter(opening=opening).select_related("age_group")
    }


def test_each_group_has_its_places_and_waiting_list(world):
    activity, (petits, grands), (opening,), people = grouped_scene(world, petits=(1, 1), grands=(1, 0))
    assert book(people, "p1", activity).outcome == BookingStatus.ACCEPTED
    # The Petits' place is taken: the next child of 3–5 waits, though the day has 30 places.
    second = book(people, "p2", activity)
    assert (second.outcome, second.waiting_position) == (BookingStatus.WAITLISTED, 1)
    # The Grands still have their own place, then no waiting list (g2's
    # demande, drafted while the place was free, is refused at confirmation).
    toggle(people, "g2", activity)
    assert book(people, "g1", activity).outcome == BookingStatus.ACCEPTED
    refused = confirm(people, "g2")
    assert (refused.outcome, refused.reason) == (BookingStatus.REFUSED, str(rules.FULL))
    opening.refresh_from_db()
    assert (opening.accepted_count, opening.waitlisted_count) == (2, 1)
    assert group_counts(opening) == {"Petits": (1, 1), "Grands": (1, 0)}
    assert dict(Booking.objects.filter(activity=activity, status=BookingStatus.ACCEPTED).values_list(
        "child__first_name", "age_group__name"
    )) == {"P1": "Petits", "G1": "Grands"}  # fmt: skip


def test_a_child_of_no_group_is_refused_in_french(world):
    activity, _, (opening,), people = grouped_scene(world)
    family, account, baby = people["baby"]
    snap = load_snapshot(world.a.pk, [baby.pk], [activity.pk], DAY, DAY, EARLY)
    state = snap.state(baby.pk, activity.pk, DAY)
    assert (state.state, state.reason) == (rules.S.CLOSED, str(rules.NO_AGE_GROUP))
    # The calendar does not offer the day; a demande slipped in anyway is refused at confirmation.
    with pytest.raises(BookingError):
        drafts.toggle_day(drafts.get_draft(family, account), baby, activity, DAY, now=EARLY)
    with pytest.raises(BookingError, match="Aucun groupe d'âge"):
        staff_book(baby, activity, DAY, actor=world.staff_a, reason="Guichet", now=EARLY)
    assert not Booking.objects.filter(child=baby).exists()
    opening.refresh_from_db()
    assert (opening.accepted_count, opening.waitlisted_count) == (0, 0)


def test_the_group_is_the_age_on_the_day(world):
    """A child of 5 on one day and 6 on the next changes group between them."""
    first, second = datetime.date(2026, 12, 9), datetime.date(2026, 12, 10)
    activity, (petits, grands), _, people = grouped_scene(world, days=(first, second))
    family, account, child = people["p2"]
    child.birth_date = datetime.date(2020, 12, 10)
    child.save()
    book(people, "p2", activity, first)
    book(people, "p2", activity, second)
    assert dict(Booking.objects.filter(child=child).values_list("date", "age_group")) == {
        first: petits.pk,
        second: grands.pk,
    }


def test_the_calendar_shows_the_childs_groups_places(world):
    activity, _, _, people = grouped_scene(world, petits=(1, 1), grands=(3, 0))
    book(people, "p1", activity)
    states = {
        key: month_states(people[key][2], DAY.year, DAY.month, now=EARLY, activity_id=activity.pk)
        .activities[0]
        .days[DAY]
        for key in BIRTHS
    }
    assert (states["p2"].state, states["p2"].places_left) == (rules.S.WAITLIST_OPEN, 0)
    assert (states["g1"].state, states["g1"].places_left) == (rules.S.FREE, 3)
    assert (states["p1"].state, states["p1"].places_left) == (rules.S.BOOKED, 0)
    assert states["baby"].state is rules.S.CLOSED


def test_a_freed_place_goes_to_its_groups_waiting_list(world):
    activity, _, (opening,), people = grouped_scene(world, petits=(1, 2), grands=(1, 2))
    book(people, "p1", activity)
    book(people, "g1", activity)
    book(people, "g2", activity)  # waits among the Grands
    book(people, "p2", activity)  # waits among the Petits, after g2 in the day's order
    # The Petits' place freed by the family: p2 gets it, not g2 who asked first.
    cancel = book(people, "p1", activity)
    assert cancel.outcome == BookingStatus.CANCELLED
    statuses = dict(Booking.objects.filter(activity=activity).exclude(status=BookingStatus.CANCELLED).values_list(
        "child__first_name", "status"
    ))  # fmt: skip
    assert statuses == {"P2": BookingStatus.ACCEPTED, "G1": BookingStatus.ACCEPTED, "G2": BookingStatus.WAITLISTED}
    assert group_counts(opening) == {"Petits": (1, 0), "Grands": (1, 1)}
    # The staff cancel a Grand: g2 is promoted in its group.
    staff_cancel(Booking.objects.get(child=people["g1"][2], status=BookingStatus.ACCEPTED),
                 actor=world.staff_a, reason="Malade", now=EARLY)  # fmt: skip
    assert Booking.objects.get(child=people["g2"][2], status__in=["accepted", "waitlisted"]).status == "accepted"
    assert group_counts(opening) == {"Petits": (1, 0), "Grands": (1, 0)}
    opening.refresh_from_db()
    assert (opening.accepted_count, opening.waitlisted_count) == (2, 0)
    assert find_group_drift() == []


def test_the_forecast_follows_the_groups(world):
    activity, _, _, people = grouped_scene(world, petits=(1, 1), grands=(1, 1))
    book(people, "p1", activity)
    family, account, child = people["p2"]
    draft = drafts.get_draft(family, account)
    drafts.toggle_day(draft, child, activity, DAY, now=EARLY)
    items = list(draft.items.select_related("child", "activity"))
    (forecast,) = forecast_draft(family, items, now=EARLY).values()
    assert (forecast.outcome, forecast.position) == (Outcome.WAITING_LIST, 1)
    family, account, child = people["g1"]
    draft = drafts.get_draft(family, account)
    drafts.toggle_day(draft, child, activity, DAY, now=EARLY)
    items = list(draft.items.select_related("child", "activity"))
    (forecast,) = forecast_draft(family, items, now=EARLY).values()
    assert forecast.outcome == Outcome.PLACE


def test_staff_book_and_promote_within_the_group(world):
    activity, (petits, grands), (opening,), people = grouped_scene(world, petits=(1, 2), grands=(1, 1))
    staff_book(people["p1"][2], activity, DAY, actor=world.staff_a, reason="Guichet", now=EARLY)
    waiting = staff_book(people["p2"][2], activity, DAY, actor=world.staff_a, reason="Guichet", now=EARLY)
    assert (waiting.status, waiting.age_group_id) == (BookingStatus.WAITLISTED, petits.pk)
    # A free place among the Grands is not the Petits'.
    with pytest.raises(BookingError, match="Aucune place libre"):
        staff_promote(waiting, actor=world.staff_a, reason="Priorité", now=EARLY)
    AgeGroup.objects.filter(pk=petits.pk).update(capacity=2)
    staff_promote(waiting, actor=world.staff_a, reason="Priorité", now=EARLY)
    assert group_counts(opening) == {"Petits": (2, 0)}
    staff_book(people["g1"][2], activity, DAY, actor=world.staff_a, reason="Guichet", now=EARLY)
    result = close_day(Opening.objects.get(pk=opening.pk), actor=world.staff_a, reason="Grève", now=EARLY)
    assert len(result.cancelled) == 3
    assert set(group_counts(opening).values()) == {(0, 0)}


def test_recount_repairs_a_group_counter(world):
    activity, (petits, _), (opening,), people = grouped_scene(world, petits=(2, 1))
    book(people, "p1", activity)
    GroupCount.objects.filter(opening=opening, age_group=petits).update(accepted_count=0, waitlisted_count=4)
    (drift,) = find_group_drift(world.a.pk)
    assert (drift.accepted, drift.waitlisted) == ((0, 1), (4, 0))
    assert "Petits" in drift.describe()
    assert [d.group_id for d in recount(world.a.pk)] == [petits.pk]
    assert group_counts(opening) == {"Petits": (1, 0)}
    assert recount(world.a.pk) == []


def test_group_ranges_are_validated(world):
    activity, (petits, _), _, _ = grouped_scene(world)
    overlapping = AgeGroup(activity=activity, name="Moyens", min_age=5, max_age=7, capacity=3)
    with pytest.raises(ValidationError):
        overlapping.full_clean()
    backwards = AgeGroup(activity=activity, name="Ados", min_age=14, max_age=12, capacity=3)
    with pytest.raises(ValidationError):
        backwards.full_clean()
    AgeGroup(activity=activity, name="Ados", min_age=12, max_age=17, capacity=3).full_clean()
    # The activity knows it has groups while it has one.
    for group in AgeGroup.objects.filter(activity=activity):
        group.delete()
    activity.refresh_from_db()
    assert not activity.has_age_groups


def test_without_groups_nothing_changes(world):
    """An activity without groups: no group on its bookings, no group counter."""
    account, family = world.dupont, world.family_a
    draft = drafts.get_draft(family, account)
    drafts.toggle_day(draft, world.paolo, world.aps_a, world.opening_a.date, now=EARLY)
    draft.refresh_from_db()
    result = confirm_draft(draft, draft.token, user=account, now=EARLY)
    (movement,) = result.movements
    assert movement.outcome == BookingStatus.ACCEPTED and movement.booking.age_group_id is None
    assert not GroupCount.objects.exists()
