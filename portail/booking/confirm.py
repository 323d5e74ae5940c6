"""Confirmation of a draft (R10, D5): one transaction that locks, re-checks
every rule for every demande at this instant, and records each one as a
place, a waiting-list place or a refusal with its French reason."""

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portail.booking import rules
from portail.booking.models import (
    AuditSource,
    Booking,
    BookingAudit,
    BookingStatus,
    Confirmation,
    Draft,
    DraftAction,
    DraftItem,
    Movement,
    MovementKind,
)
from portail.booking.snapshot import Snapshot, load_snapshot
from portail.booking.waiting_list import promote_waiting_list
from portail.structures.models import Family

if TYPE_CHECKING:
    # The account, whatever settings.AUTH_USER_MODEL is (django-stubs resolves
    # `_User` to it): booking never imports portail.accounts (tests/test_layering.py).
    from django.contrib.auth.models import _User as User

# Lazy: written in the language of the request that reads them.
STALE = gettext_lazy("Ce récapitulatif n'est plus à jour : vos demandes ont déjà été confirmées ou abandonnées.")
CHANGED = gettext_lazy("Vos demandes ont changé : vérifiez le récapitulatif avant de confirmer.")
NOT_BOOKED = gettext_lazy("Aucune réservation à annuler ce jour")


@dataclass
class ConfirmationResult:
    confirmation: Confirmation | None
    movements: list[Movement] = field(default_factory=list)
    replayed: bool = False
    error: str | None = None

    def of(self, kind: str, outcome: str) -> list[Movement]:
        return [m for m in self.movements if m.kind == kind and m.outcome == outcome]

    @property
    def waitlisted(self) -> list[Movement]:
        return self.of(MovementKind.BOOK, BookingStatus.WAITLISTED)

    @property
    def refused(self) -> list[Movement]:
        return [m for m in self.movements if m.outcome == BookingStatus.REFUSED]


def confirm_draft(
    draft: Draft, token: object, *, user: "User", now: datetime.datetime | None = None
) -> ConfirmationResult:
    """Confirm `draft` if `token` is its current token (from the recap page).

    The token is the draft's version (drafts.py): every change of the draft
    gives it a new one, so a recap confirms exactly the demandes it showed (R9).
    Replaying a token already confirmed returns that confirmation's result and
    records nothing; a token neither current nor confirmed records nothing and
    returns an error: CHANGED when the draft still holds demandes (changed in
    another tab since the recap: the parent checks them again), STALE when it
    is empty (confirmed or abandoned meanwhile).
    """
    now = now or timezone.now()
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return _not_current(draft)
    try:
        with transaction.atomic():
            return _confirm(draft, token, user=user, now=now)
    except IntegrityError:
        # A concurrent double click won the race on the token's unique index.
        previous = _replay(token, draft.family_id)
        if previous is not None:
            return previous
        raise


def _not_current(draft: Draft) -> ConfirmationResult:
    """The answer to a token that is not the draft's and was never confirmed:
    nothing is recorded, and the parent is told what to look at again."""
    return ConfirmationResult(None, error=str(CHANGED if DraftItem.objects.filter(draft=draft).exists() else STALE))


def _replay(token: uuid.UUID, family_id: int) -> ConfirmationResult | None:
    confirmation = Confirmation.objects.filter(token=token, family_id=family_id).first()
    if confirmation is None:
        return None
    movements = list(confirmation.movements.select_related("booking__child", "booking__activity").order_by("id"))
    return ConfirmationResult(confirmation, movements, replayed=True)


def _confirm(draft: Draft, token: uuid.UUID, *, user: "User", now: datetime.datetime) -> ConfirmationResult:
    # Taking the token is the draft's lock: one UPDATE that holds the row until
    # the commit, so the same draft confirmed twice at once queues here, and the
    # second one then finds the token gone.
    # The same WHERE is the version check (R9): a change of the draft committed
    # since the recap, or committing while this waits for the row, gave the
    # draft a new token, and this UPDATE then takes nothing.
    taken = type(draft).objects.filter(pk=draft.pk, token=token).update(token=uuid.uuid4(), updated_at=now)
    if not taken:
        # The token is no longer the draft's: confirmed already (a replay, or a
        # double click that waited here for the first click to commit: same
        # answer), or the draft changed since the recap, or was emptied.
        return _replay(token, draft.family_id) or _not_current(draft)
    family = draft.family
    items = list(
        DraftItem.objects.filter(draft=draft, child__family=family, activity__structure_id=family.structure_id)
        .select_related("child")  # the result shows the child's name without a query per row
        .order_by("date", "activity_id", "child_id")
    )
    # Items whose child or activity left the family/structure are dropped by the filter above.
    confirmation = Confirmation.objects.create(token=token, family=family, confirmed_by=user, confirmed_at=now)
    # The draft is this transaction's (its row is locked): empty it before
    # taking the openings' locks, which other families wait for.
    DraftItem.objects.filter(draft=draft).delete()
    movements = _apply(family, items, confirmation, user=user, now=now) if items else []
    return ConfirmationResult(confirmation, movements)


def _apply(
    family: Family, items: Sequence[DraftItem], confirmation: Confirmation, *, user: "User", now: datetime.datetime
) -> list[Movement]:
    activity_ids = {i.activity_id for i in items}
    child_ids = {i.child_id for i in items}
    dates = {i.date for i in items}
    # Locks the openings of these activities on these days, then counts (booking.locks).
    snap = load_snapshot(
        family.structure_id, child_ids, activity_ids, min(dates), max(dates), now,
        dates=dates, lock=True, positions=False,
    )  # fmt: skip

    movements: list[Movement] = []
    audits: list[BookingAudit] = []
    # Cancellations first, then the waiting lists take the freed places, and
    # only then this confirmation's bookings: someone already waiting is served
    # before a newcomer, even one of the same confirmation.
    cancels = [i for i in items if i.action == DraftAction.CANCEL]
    books = [i for i in items if i.action == DraftAction.BOOK]
    freed = _cancel(family, cancels, snap, confirmation, movements, audits, user=user, now=now)
    if freed:
        promote_waiting_list(snap, freed, now=now, actor=user)
    new_bookings = _book(family, books, snap, confirmation, movements, user=user, now=now)
    Booking.objects.bulk_create(new_bookings)
    Movement.objects.bulk_create(movements)
    if audits:
        BookingAudit.objects.bulk_create(audits)
    snap.save_counts()  # the openings' counters change with the rows, under their locks
    return movements


def _movement(
    kind: str,
    booking: Booking,
    family: Family,
    confirmation: Confirmation,
    *,
    outcome: str,
    user: "User",
    now: datetime.datetime,
    reason: str = "",
    position: int | None = None,
) -> Movement:
    return Movement(
        kind=kind, booking=booking, family=family, structure_id=family.structure_id, outcome=outcome,
        waiting_position=position, reason=reason, confirmation=confirmation, created_by=user, created_at=now,
    )  # fmt: skip


def _cancel(
    family: Family,
    items: Sequence[DraftItem],
    snap: Snapshot,
    confirmation: Confirmation,
    movements: list[Movement],
    audits: list[BookingAudit],
    *,
    user: "User",
    now: datetime.datetime,
) -> set[int]:
    """Record the cancellations; returns the openings where a place was freed."""
    cancelled: list[int] = []
    freed: set[int] = set()
    for item in items:
        key = (item.child_id, item.activity_id, item.date)
        existing = snap.bookings.get(key)
        if existing is None:
            continue  # nothing to cancel any more (already cancelled by another parent)
        reason = rules.cancellation_refusal(
            item.date, snap.rules[item.activity_id], now=now, closed_days=snap.closed_days
        )
        if reason:
            movements.append(
                _movement(MovementKind.CANCEL, existing, family, confirmation, outcome=BookingStatus.REFUSED,
                          reason=reason, user=user, now=now)
            )  # fmt: skip
            continue
        opening = snap.openings.get((item.activity_id, item.date))
        if opening is not None:
            if existing.status == BookingStatus.ACCEPTED:
                snap.count(opening, accepted=-1)
                freed.add(opening.pk)
            else:
                snap.count(opening, waitlisted=-1)
        audits.append(
            BookingAudit(booking=existing, at=now, actor=user, source=AuditSource.FAMILY,
                         from_status=existing.status, to_status=BookingStatus.CANCELLED)
        )  # fmt: skip
        existing.status = BookingStatus.CANCELLED
        existing.child, existing.activity = item.child, snap.activities[item.activity_id]  # for the result
        cancelled.append(existing.pk)
        del snap.bookings[key]
        movements.append(
            _movement(MovementKind.CANCEL, existing, family, confirmation, outcome=BookingStatus.CANCELLED,
                      user=user, now=now)
        )  # fmt: skip
    if cancelled:
        Booking.objects.filter(pk__in=cancelled).update(status=BookingStatus.CANCELLED, updated_at=now)
    return freed


def _book(
    family: Family,
    items: Sequence[DraftItem],
    snap: Snapshot,
    confirmation: Confirmation,
    movements: list[Movement],
    *,
    user: "User",
    now: datetime.datetime,
) -> list[Booking]:
    """Judge each booking demande at this instant; returns the Booking rows to create."""
    new_bookings: list[Booking] = []
    for item in items:
        key = (item.child_id, item.activity_id, item.date)
        if key in snap.bookings:
            continue  # already booked (e.g. by the other parent): nothing to record twice
        activity_rules = snap.rules[item.activity_id]
        opening = snap.openings.get((item.activity_id, item.date))
        reason = rules.booking_refusal(
            item.date, activity_rules, now=now, is_open=opening is not None,
            enrolled=snap.enrolled(item.child_id, item.activity_id, item.date), closed_days=snap.closed_days,
        )  # fmt: skip
        if reason is None and activity_rules.has_times:
            reason = rules.check_times(activity_rules, item.arrival, item.departure)
        status, position = BookingStatus.REFUSED, None
        if reason is None:
            assert opening is not None  # booking_refusal refuses a day that is not open
            placed = rules.placement(snap.occupancy(opening))
            if placed == rules.ACCEPTED:
                status = BookingStatus.ACCEPTED
                snap.count(opening, accepted=1)
            elif placed == rules.WAITLISTED:
                status = BookingStatus.WAITLISTED
                position = snap.count(opening, waitlisted=1).waitlisted
            else:
                reason = str(rules.FULL)
        booking = Booking(
            child=item.child, activity=snap.activities[item.activity_id], date=item.date, status=status,
            arrival=item.arrival, departure=item.departure, queued_at=now, reason=reason or "",
        )  # fmt: skip
        if status != BookingStatus.REFUSED:
            snap.bookings[key] = booking
        new_bookings.append(booking)
        # Its Movement is the record of its birth (who, when, outcome, reason):
        # no BookingAudit row repeats it (the staff's audit reads both).
        movements.append(
            _movement(MovementKind.BOOK, booking, family, confirmation, outcome=status, reason=reason or "",
                      position=position, user=user, now=now)
        )  # fmt: skip
    return new_bookings
