"""The family's draft (R5–R9): pending book/cancel marks kept on the server.

Every operation re-derives the child and activity from the family and judges
the day with the same rules as the confirmation; nothing from the browser is
trusted at confirmation time (confirm.py re-checks everything again).

The draft's token is its version (R9: the recap is what gets confirmed). Every
change of a draft's items begins with `_new_version`, in the transaction that
makes the change: one UPDATE that gives the draft a new token and holds its
row until the commit. So:
- a recap shows the token read *before* its items: a change committed after
  the token was read comes with a newer token, and the recap's "Confirmer"
  (confirm.py, `UPDATE … WHERE token = recap's token`) finds it gone;
- a change still running when "Confirmer" arrives holds the row: the
  confirmation waits for its commit, then PostgreSQL re-checks the WHERE on the
  new row and finds the token gone;
- a change arriving while a confirmation holds the row waits for it, and then
  reads the draft the confirmation left (emptied), never half of it.
A change that changes nothing rolls its new token back: an open recap stays valid.
"""

import datetime
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from portail.booking import rules
from portail.booking.errors import BookingError
from portail.booking.models import Booking, BookingStatus, Draft, DraftAction, DraftItem
from portail.booking.snapshot import Snapshot, load_snapshot
from portail.lib.dates import short_day
from portail.structures.models import Activity, Child, Family

if TYPE_CHECKING:
    # The account, whatever settings.AUTH_USER_MODEL is (django-stubs resolves
    # `_User` to it): booking never imports portail.accounts (tests/test_layering.py).
    from django.contrib.auth.models import _User as User

ALREADY_BOOKED = gettext_lazy("Déjà réservé ce jour")


def get_draft(family: Family, account: "User") -> Draft:
    draft, _ = Draft.objects.get_or_create(family=family, account_id=account.pk)
    draft.family = family  # known already: no query to read it back
    return draft


@contextmanager
def _new_version(draft: Draft, now: datetime.datetime | None = None) -> Iterator[Callable[[], None]]:
    """The transaction of one change of `draft`'s items, opened by giving the
    draft a new token (its version) with an UPDATE that locks its row first.

    Yields a callable that cancels the change (nothing to do after all): the
    transaction, new token included, is rolled back. `draft.token` is set only
    once the block has committed (or its savepoint released)."""
    token = uuid.uuid4()
    changed = [True]

    def unchanged() -> None:
        changed[0] = False
        transaction.set_rollback(True)

    with transaction.atomic():
        Draft.objects.filter(pk=draft.pk).update(token=token, updated_at=now or timezone.now())
        yield unchanged
    if changed[0]:
        draft.token = token


def family_child(family: Family, child_id: int) -> Child:
    child = family.children.filter(pk=child_id).select_related("family").first()
    if child is None:
        raise BookingError(gettext("Enfant inconnu pour cette famille"))
    return child


def family_activity(family: Family, activity_id: int) -> Activity:
    activity = family.structure.activities.filter(pk=activity_id).first()
    if activity is None:
        raise BookingError(gettext("Activité inconnue dans cette structure"))
    return activity


def _times(
    activity: Activity, arrival: datetime.time | None, departure: datetime.time | None
) -> tuple[datetime.time | None, datetime.time | None]:
    """Validated times for a booking mark: required for an à horaires activity."""
    if not activity.has_times:
        return None, None
    reason = rules.check_times(rules.ActivityRules.from_activity(activity), arrival, departure)
    if reason:
        raise BookingError(reason)
    return arrival, departure


def toggle_day(
    draft: Draft,
    child: Child,
    activity: Activity,
    day: datetime.date,
    *,
    now: datetime.datetime,
    arrival: datetime.time | None = None,
    departure: datetime.time | None = None,
) -> rules.DayState:
    """Click on a day (R5d, R7b): mark it "à réserver" or "à annuler", or undo its mark.

    Returns the new DayState. With times on an already-marked à horaires day,
    the times are updated instead of undoing the mark. On an error nothing changes.
    """
    with _new_version(draft, now):
        return _toggle_day(draft, child, activity, day, now=now, arrival=arrival, departure=departure)


def _toggle_day(
    draft: Draft,
    child: Child,
    activity: Activity,
    day: datetime.date,
    *,
    now: datetime.datetime,
    arrival: datetime.time | None,
    departure: datetime.time | None,
) -> rules.DayState:
    snap = load_snapshot(draft.family.structure_id, [child.pk], [activity.pk], day, day, now, activities=[activity])
    item = DraftItem.objects.filter(draft=draft, child=child, activity=activity, date=day).first()
    if item is not None:
        if item.action == DraftAction.BOOK and activity.has_times and arrival is not None:
            item.arrival, item.departure = _times(activity, arrival, departure)
            item.save(update_fields=["arrival", "departure"])
            return snap.state(child.pk, activity.pk, day, mark=rules.Mark.BOOK)
        item.delete()
        return snap.state(child.pk, activity.pk, day)
    state = snap.state(child.pk, activity.pk, day)
    if state.bookable:
        times = _times(activity, arrival, departure)
        DraftItem.objects.create(
            draft=draft, child=child, activity=activity, date=day, action=DraftAction.BOOK,
            arrival=times[0], departure=times[1],
        )  # fmt: skip
        return snap.state(child.pk, activity.pk, day, mark=rules.Mark.BOOK)
    if state.cancellable:
        DraftItem.objects.create(draft=draft, child=child, activity=activity, date=day, action=DraftAction.CANCEL)
        return snap.state(child.pk, activity.pk, day, mark=rules.Mark.CANCEL)
    raise BookingError(state.reason or gettext("Ce jour ne peut pas être modifié"))


def toggle_set(
    draft: Draft,
    child: Child,
    activity: Activity,
    days: Iterable[datetime.date],
    *,
    now: datetime.datetime,
    arrival: datetime.time | None = None,
    departure: datetime.time | None = None,
    snapshot: Snapshot | None = None,
) -> dict[datetime.date, rules.Mark | None]:
    """Quick tools (R5c): a week, a weekday of the month, or the whole month.

    "If the first bookable day of the set is not booked, book every bookable day
    of the set, otherwise cancel every cancellable one." Returns {date: Mark|None}.
    `snapshot`: one already read for this child and activity, covering the days.
    """
    ordered = sorted(set(days))
    if not ordered:
        return {}
    with _new_version(draft, now) as unchanged:
        return _toggle_set(draft, child, activity, ordered, now=now, arrival=arrival, departure=departure,
                           snapshot=snapshot, unchanged=unchanged)  # fmt: skip


def _toggle_set(
    draft: Draft,
    child: Child,
    activity: Activity,
    days: list[datetime.date],
    *,
    now: datetime.datetime,
    arrival: datetime.time | None,
    departure: datetime.time | None,
    snapshot: Snapshot | None,
    unchanged: Callable[[], None],
) -> dict[datetime.date, rules.Mark | None]:
    snap = snapshot
    if snap is None:
        snap = load_snapshot(
            draft.family.structure_id, [child.pk], [activity.pk], days[0], days[-1], now, activities=[activity]
        )
    items = {i.date: i for i in DraftItem.objects.filter(draft=draft, child=child, activity=activity, date__in=days)}
    states = [
        (d, snap.state(child.pk, activity.pk, d, mark=rules.Mark(items[d].action) if d in items else None))
        for d in days
    ]
    changes = rules.set_toggle(states)
    if not changes:
        unchanged()
        return changes
    booking_days = [d for d, mark in changes.items() if mark is rules.Mark.BOOK]
    times = _times(activity, arrival, departure) if booking_days else (None, None)
    DraftItem.objects.filter(draft=draft, child=child, activity=activity, date__in=list(changes)).delete()
    DraftItem.objects.bulk_create(
        DraftItem(
            draft=draft, child=child, activity=activity, date=d, action=DraftAction(mark.value),
            arrival=times[0] if mark is rules.Mark.BOOK else None,
            departure=times[1] if mark is rules.Mark.BOOK else None,
        )
        for d, mark in changes.items()
        if mark is not None
    )  # fmt: skip
    return changes


@dataclass(frozen=True)
class NotCopied:
    day: datetime.date
    reason: str

    def __str__(self) -> str:
        return gettext("%(day)s : %(reason)s") % {"day": short_day(self.day), "reason": self.reason}


def copy_bookings(
    draft: Draft,
    source_child: Child,
    source_activity: Activity,
    start: datetime.date,
    end: datetime.date,
    target_child: Child,
    target_activity: Activity,
    *,
    now: datetime.datetime,
) -> tuple[int, list[NotCopied]]:
    """R6: apply the source's bookings of a period (as they will be once the
    draft applies) onto the target child/activity, as "à réserver" marks.

    Returns (number of days copied, [NotCopied] with French reasons).
    """
    if start > end:
        raise BookingError(gettext("La période est invalide : la fin précède le début"))
    if (source_child.pk, source_activity.pk) == (target_child.pk, target_activity.pk):
        raise BookingError(gettext("Choisissez un autre enfant ou une autre activité que la source"))
    with _new_version(draft, now) as unchanged:
        copied, not_copied = _copy_bookings(
            draft, source_child, source_activity, start, end, target_child, target_activity, now=now
        )
        if not copied:
            unchanged()
    return copied, not_copied


def _copy_bookings(
    draft: Draft,
    source_child: Child,
    source_activity: Activity,
    start: datetime.date,
    end: datetime.date,
    target_child: Child,
    target_activity: Activity,
    *,
    now: datetime.datetime,
) -> tuple[int, list[NotCopied]]:
    booked = {
        b.date: (b.arrival, b.departure)
        for b in Booking.objects.filter(
            child=source_child, activity=source_activity, date__range=(start, end),
            status__in=[BookingStatus.ACCEPTED, BookingStatus.WAITLISTED],
        )
    }  # fmt: skip
    for item in DraftItem.objects.filter(
        draft=draft, child=source_child, activity=source_activity, date__range=(start, end)
    ):
        if item.action == DraftAction.BOOK:
            booked[item.date] = (item.arrival, item.departure)
        else:
            booked.pop(item.date, None)
    if not booked:
        return 0, []

    days = sorted(booked)
    snap = load_snapshot(
        draft.family.structure_id, [target_child.pk], [target_activity.pk], days[0], days[-1], now,
        activities=[target_activity],
    )  # fmt: skip
    target_rules = snap.rules[target_activity.pk]
    marked = set(
        DraftItem.objects.filter(draft=draft, child=target_child, activity=target_activity, date__in=days).values_list(
            "date", flat=True
        )
    )
    to_create: list[DraftItem] = []
    not_copied: list[NotCopied] = []
    for day in days:
        state = snap.state(target_child.pk, target_activity.pk, day)
        if day in marked or state.booked:
            not_copied.append(NotCopied(day, str(ALREADY_BOOKED)))
            continue
        if not state.bookable:
            not_copied.append(NotCopied(day, state.reason or str(rules.FULL)))
            continue
        arrival, departure = booked[day] if target_activity.has_times else (None, None)
        if target_activity.has_times:
            reason = rules.check_times(target_rules, arrival, departure)
            if reason:
                not_copied.append(NotCopied(day, reason))
                continue
        to_create.append(
            DraftItem(
                draft=draft, child=target_child, activity=target_activity, date=day,
                action=DraftAction.BOOK, arrival=arrival, departure=departure,
            )
        )  # fmt: skip
    DraftItem.objects.bulk_create(to_create)
    return len(to_create), not_copied


def discard(draft: Draft) -> None:
    """R5e/R9 "Annuler"/"Abandonner": forget every pending change."""
    with _new_version(draft):
        draft.items.all().delete()
