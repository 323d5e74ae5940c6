"""The recap's forecast (issue 14 point 3, R9, R10): what the confirmation
would record for each demande of a draft if the parent clicked "Confirmer"
at this instant and nobody else acted in between.

It judges with what the confirmation judges with, so the two cannot drift
apart: the same snapshot (booking.snapshot.load_snapshot, read without lock),
the same rules (rules.booking_refusal, rules.check_times, rules.placement,
rules.cancellation_refusal), the same filter of the draft's items, and the
same order (`confirmation_order`): cancellations first, then the waiting
lists take the places they freed (N3), then the bookings, each in (date,
activity, child) order — so two demandes of one draft on the last place of a
day are forecast as the confirmation will place them.

It locks nothing and writes nothing: an estimate shown on the recap. Another
family may take the place before "Confirmer"; the confirmation decides (R10).
tests/booking/test_forecast.py checks, for random drafts and occupancies,
that each forecast is what confirm_draft then records.
"""

import datetime
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from django.utils.translation import gettext_lazy

from portail.booking import rules
from portail.booking.drafts import ALREADY_BOOKED
from portail.booking.models import DraftAction, DraftItem
from portail.booking.snapshot import Snapshot, load_snapshot
from portail.structures.models import AgeGroup, Family, Opening

# The confirmation's own words when a cancellation finds nothing left to
# cancel (booking.confirm.NOT_BOOKED; not imported from there so that
# confirm.py may one day import `confirmation_order` from here).
NOTHING_TO_CANCEL = gettext_lazy("Aucune réservation à annuler ce jour")


class Outcome(StrEnum):
    """What the confirmation would record for one demande."""

    PLACE = "place"  # a booking gets a place
    WAITING_LIST = "waiting-list"  # a booking gets a waiting-list place, at `position`
    FULL = "full"  # a booking is refused: no place, waiting list full (rules.FULL)
    REFUSED = "refused"  # a booking or a cancellation is refused for `reason` (délai, enrolment, times…)
    CANCELLED = "cancelled"  # a cancellation frees its place
    UNCHANGED = "unchanged"  # nothing is recorded: already booked, or nothing left to cancel (`reason`)


@dataclass(frozen=True)
class Forecast:
    """The forecast of one demande (see `Outcome`).

    `reason` is the engine's French reason for REFUSED, FULL and UNCHANGED.
    `cannot_cancel` is set for PLACE and WAITING_LIST when the day's
    cancellation délai has already passed: the engine's "Hors délai
    d'annulation (jusqu'au …)" — the booking could not be cancelled afterwards.
    """

    outcome: Outcome
    reason: str = ""
    position: int | None = None
    cannot_cancel: str = ""

    @property
    def booked(self) -> bool:
        """A place or a waiting-list place."""
        return self.outcome in (Outcome.PLACE, Outcome.WAITING_LIST)


class Demande(Protocol):
    """What orders a demande: a DraftItem, or anything shaped like one."""

    @property
    def date(self) -> datetime.date: ...
    @property
    def activity_id(self) -> int: ...
    @property
    def child_id(self) -> int: ...
    @property
    def action(self) -> str: ...


D = TypeVar("D", bound=Demande)


def confirmation_order(items: Iterable[D]) -> tuple[list[D], list[D]]:
    """The draft's demandes in the order the confirmation judges them: the
    cancellations, then the bookings, each by (date, activity, child).

    Cancellations come first so that the waiting lists take the freed places
    before this confirmation's own bookings: someone already waiting is served
    before a newcomer, even one of the same confirmation (booking.confirm)."""
    ordered = sorted(items, key=lambda i: (i.date, i.activity_id, i.child_id))
    return (
        [i for i in ordered if i.action == DraftAction.CANCEL],
        [i for i in ordered if i.action == DraftAction.BOOK],
    )


def promotions(
    occupancy: rules.Occupancy,
    day: datetime.date,
    activity_rules: rules.ActivityRules,
    *,
    now: datetime.datetime,
    closed_days: Container[datetime.date],
) -> int:
    """How many waiting bookings a day's free places take at once (N3), as
    booking.waiting_list.promote_waiting_list does: none on an unlimited
    activity, none once the day's cancellation délai has passed (a promotion
    would impose a place nobody could give back), else as many as there are
    free places and people waiting."""
    if not occupancy.limited:
        return 0
    if rules.cancellation_refusal(day, activity_rules, now=now, closed_days=closed_days):
        return 0
    return min(occupancy.places_left or 0, occupancy.waitlisted)


class _Places:
    """The snapshot's occupancies as this forecast moves them, kept apart from
    the snapshot's own counts so that the forecast never changes what a caller
    (or a later save of the counts) reads from it."""

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap
        # By (opening id, age group id or None): an activity with age groups
        # moves its groups' places (issue 18 point 9).
        self._moved: dict[tuple[int, int | None], rules.Occupancy] = {}

    def of(self, opening: Opening, group: AgeGroup | None = None) -> rules.Occupancy:
        key = (opening.pk, group.pk if group is not None else None)
        return self._moved.get(key) or self._snap.occupancy(opening, group)

    def move(
        self, opening: Opening, *, accepted: int = 0, waitlisted: int = 0, group: AgeGroup | None = None
    ) -> rules.Occupancy:
        occupancy = self.of(opening, group).moved(accepted=accepted, waitlisted=waitlisted)
        self._moved[(opening.pk, group.pk if group is not None else None)] = occupancy
        return occupancy


def forecast_draft(family: Family, items: Sequence[DraftItem], *, now: datetime.datetime) -> dict[int, Forecast]:
    """Forecast each of a draft's `items` (DraftItem, with `child` and
    `activity` loaded, as the recap reads them): {item id: Forecast}.

    Items the confirmation would drop (a child no longer of this family, an
    activity of another structure) get no forecast. A fixed number of queries
    (load_snapshot's, without the activities: the items carry them), none for
    an empty draft.
    """
    kept = [i for i in items if i.child.family_id == family.pk and i.activity.structure_id == family.structure_id]
    if not kept:
        return {}
    dates = {i.date for i in kept}
    activities = {i.activity_id: i.activity for i in kept}
    snap = load_snapshot(
        family.structure_id, {i.child_id for i in kept}, list(activities), min(dates), max(dates), now,
        activities=activities.values(), dates=dates, positions=False,
    )  # fmt: skip
    return judge(snap, kept, now=now)


def judge(snap: Snapshot, items: Iterable[DraftItem], *, now: datetime.datetime) -> dict[int, Forecast]:
    """Forecast `items` against `snap` (loaded for their children, activities
    and days), in the confirmation's order; `snap` is left as it was read."""
    places = _Places(snap)
    # Which of the children's bookings exist once the earlier demandes apply.
    booked = {key: booking.status for key, booking in snap.bookings.items()}
    found: dict[int, Forecast] = {}
    cancels, books = confirmation_order(items)

    freed: set[int] = set()
    for item in cancels:
        key = (item.child_id, item.activity_id, item.date)
        status = booked.get(key)
        if status is None:
            found[item.pk] = Forecast(Outcome.UNCHANGED, str(NOTHING_TO_CANCEL))
            continue
        reason = rules.cancellation_refusal(
            item.date, snap.rules[item.activity_id], now=now, closed_days=snap.closed_for(item.activity_id)
        )
        if reason:
            found[item.pk] = Forecast(Outcome.REFUSED, reason)
            continue
        opening = snap.openings.get((item.activity_id, item.date))
        if opening is not None:
            group = snap.group(item.activity_id, snap.bookings[key].age_group_id)
            if status == rules.ACCEPTED:
                places.move(opening, accepted=-1, group=group)
                freed.add(opening.pk)
            else:
                places.move(opening, waitlisted=-1, group=group)
        del booked[key]
        found[item.pk] = Forecast(Outcome.CANCELLED)

    openings_by_id = {o.pk: o for o in snap.openings.values()}
    for opening_id in sorted(freed):
        opening = openings_by_id[opening_id]
        groups: list[AgeGroup | None] = [*snap.groups.get(opening.activity_id, ())] or [None]
        for promoted_group in groups:
            n = promotions(
                places.of(opening, promoted_group),
                opening.date,
                snap.rules[opening.activity_id],
                now=now,
                closed_days=snap.closed_for(opening.activity_id),
            )
            if n:
                places.move(opening, accepted=n, waitlisted=-n, group=promoted_group)

    for item in books:
        key = (item.child_id, item.activity_id, item.date)
        if key in booked:
            found[item.pk] = Forecast(Outcome.UNCHANGED, str(ALREADY_BOOKED))
            continue
        activity_rules = snap.rules[item.activity_id]
        opening = snap.openings.get((item.activity_id, item.date))
        # The confirmation's own judgement (Snapshot.booking_refusal), then its placement.
        reason, group = snap.booking_refusal(
            item.child_id, item.activity_id, item.date, item.arrival, item.departure, now=now
        )
        if reason is not None:
            found[item.pk] = Forecast(Outcome.REFUSED, reason)
            continue
        assert opening is not None  # booking_refusal refuses a day that is not open
        placed = rules.placement(places.of(opening, group))
        if placed is None:
            found[item.pk] = Forecast(Outcome.FULL, str(rules.FULL))
            continue
        late = (
            rules.cancellation_refusal(
                item.date, activity_rules, now=now, closed_days=snap.closed_for(item.activity_id)
            )
            or ""
        )
        if placed == rules.ACCEPTED:
            places.move(opening, accepted=1, group=group)
            found[item.pk] = Forecast(Outcome.PLACE, cannot_cancel=late)
        else:
            position = places.move(opening, waitlisted=1, group=group).waitlisted
            found[item.pk] = Forecast(Outcome.WAITING_LIST, position=position, cannot_cancel=late)
        booked[key] = placed
    return found
