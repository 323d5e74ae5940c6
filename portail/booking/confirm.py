"""Confirmation of a draft (R10, D5): one transaction that locks, re-checks
every rule for every demande at this instant, and records each one as a
place, a waiting-list place or a refusal with its French reason.

Set-based (issue 15 point 3): on registration night this is the request
thousands of parents send within minutes, and its cost was the ORM's, not
the database's — about 1 ms of Python per ORM query against 0.2 ms for the
same SQL sent as is, and a model instance prepared field by field for each
of the 40 rows written. So the hot path speaks SQL through the connection's
cursor (the statements below, on both databases): take the draft's token,
take its items (deleted and read in one statement on PostgreSQL), record the
confirmation, then — the openings locked and read with their place counters
by `load_snapshot` — decide every demande in memory with the rules, write
the bookings and the movements each in one multi-row INSERT, and the
openings' counters in one UPDATE. The objects returned (Confirmation,
Movement, Booking) are built from what was written, for the result page; no
model's save() runs and no signal is sent for these rows (none is connected
to them). The rare paths — cancellations, their promotions and audit rows —
keep the ORM (waiting_list.promote is shared with the staff's actions).
"""

import datetime
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portail.booking import locks, rules
from portail.booking.guards import booking_block
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
from portail.structures.models import Activity, Child, Family, Opening

if TYPE_CHECKING:
    # The account, whatever settings.AUTH_USER_MODEL is (django-stubs resolves
    # `_User` to it): booking never imports portail.accounts (tests/test_layering.py).
    from django.contrib.auth.models import _User as User

# Lazy: written in the language of the request that reads them.
STALE = gettext_lazy("Ce récapitulatif n'est plus à jour : vos demandes ont déjà été confirmées ou abandonnées.")
CHANGED = gettext_lazy("Vos demandes ont changé : vérifiez le récapitulatif avant de confirmer.")
NOT_BOOKED = gettext_lazy("Aucune réservation à annuler ce jour")
# PostgreSQL: the openings stayed locked by other confirmations longer than
# BOOKING_LOCK_TIMEOUT_MS (booking.locks); nothing was recorded, the draft is kept.
BUSY = gettext_lazy("Trop de demandes en même temps : réessayez dans un instant.")


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

    On PostgreSQL, a confirmation that waits for the openings' locks longer
    than BOOKING_LOCK_TIMEOUT_MS records nothing and returns BUSY: its
    transaction rolled back, the draft keeps its items and its token, and the
    same recap can be confirmed again (booking.locks).
    """
    # The family with its structure: the booking guards read its options (guards.py).
    return _confirm_guarded(
        _Target(draft.family_id, draft_pk=draft.pk),
        lambda: Family.objects.select_related("structure").get(pk=draft.family_id),
        token,
        user,
        now,
    )


def confirm_family_draft(
    family: Family, token: object, *, user: "User", now: datetime.datetime | None = None
) -> ConfirmationResult:
    """confirm_draft for `user`'s draft of `family` (drafts.get_draft), found
    by the UPDATE that takes its token instead of being read first: Confirmer's
    view sends one query less. Same answers as confirm_draft."""
    return _confirm_guarded(_Target(family.pk, account_id=user.pk), lambda: family, token, user, now)


@dataclass(frozen=True, slots=True)
class _Target:
    """Which draft: by its id, or as the account's draft of the family."""

    family_id: int
    draft_pk: int | None = None
    account_id: int | None = None

    def where(self) -> tuple[str, list[int]]:
        if self.draft_pk is not None:
            return f"{_columns(Draft, 'id')} = %s", [self.draft_pk]
        assert self.account_id is not None
        return f"{_columns(Draft, 'family')} = %s AND {_columns(Draft, 'account')} = %s", [
            self.family_id,
            self.account_id,
        ]


def _confirm_guarded(
    target: _Target,
    family: Callable[[], Family],
    token: object,
    user: "User",
    now: datetime.datetime | None,
) -> ConfirmationResult:
    now = now or timezone.now()
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return _not_current(target)
    try:
        with transaction.atomic():
            return _confirm(target, family, token, user=user, now=now)
    except _Blocked as blocked:
        return ConfirmationResult(None, error=blocked.message)
    except IntegrityError:
        # A concurrent double click won the race on the token's unique index.
        previous = _replay(token, target.family_id)
        if previous is not None:
            return previous
        raise
    except OperationalError as error:
        if not locks.lock_wait_timed_out(error):
            raise
        return ConfirmationResult(None, error=str(BUSY))


class _Blocked(Exception):
    """The family may not book new days now (guards.booking_block): raised
    inside the confirmation's transaction so that it rolls back, draft kept."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _not_current(target: _Target) -> ConfirmationResult:
    """The answer to a token that is not the draft's and was never confirmed:
    nothing is recorded, and the parent is told what to look at again."""
    if target.draft_pk is not None:
        items = DraftItem.objects.filter(draft_id=target.draft_pk)
    else:
        items = DraftItem.objects.filter(draft__family_id=target.family_id, draft__account_id=target.account_id)
    return ConfirmationResult(None, error=str(CHANGED if items.exists() else STALE))


def _replay(token: uuid.UUID, family_id: int) -> ConfirmationResult | None:
    confirmation = Confirmation.objects.filter(token=token, family_id=family_id).first()
    if confirmation is None:
        return None
    movements = list(confirmation.movements.select_related("booking__child", "booking__activity").order_by("id"))
    return ConfirmationResult(confirmation, movements, replayed=True)


def _confirm(
    target: _Target, family_of: Callable[[], Family], token: uuid.UUID, *, user: "User", now: datetime.datetime
) -> ConfirmationResult:
    # Taking the token is the draft's lock: one UPDATE that holds the row until
    # the commit, so the same draft confirmed twice at once queues here, and the
    # second one then finds the token gone.
    # The same WHERE is the version check (R9): a change of the draft committed
    # since the recap, or committing while this waits for the row, gave the
    # draft a new token, and this UPDATE then takes nothing.
    draft_pk = _take_token(target, token, now)
    if draft_pk is None:
        # The token is no longer the draft's: confirmed already (a replay, or a
        # double click that waited here for the first click to commit: same
        # answer), or the draft changed since the recap, or was emptied.
        return _replay(token, target.family_id) or _not_current(target)
    family = family_of()
    # The draft is this transaction's (its row is locked): empty it before
    # taking the openings' locks, which other families wait for.
    items = _take_items(draft_pk, family)
    if any(i.action == DraftAction.BOOK for i in items):
        # Issues 16/17: an overdue invoice or a missing document may block new
        # bookings (the structure's option). Rolled back: the draft is kept.
        blocked = booking_block(family)
        if blocked:
            raise _Blocked(blocked)
    confirmation = _record_confirmation(token, family, user, now)
    movements = _apply(family, items, confirmation, user=user, now=now) if items else []
    return ConfirmationResult(confirmation, movements)


# ------------------------------------------------------------------ SQL of the hot path
# Table and column names come from the models' _meta; values are always
# parameters (hence the `noqa: S608` on the f-strings that assemble them).
# Each helper says which statements it sends.


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _field(model: type[Model], name: str) -> Field:  # type: ignore[type-arg]
    return cast(Field, model._meta.get_field(name))  # type: ignore[type-arg]


def _columns(model: type[Model], *names: str) -> str:
    return ", ".join(connection.ops.quote_name(cast(str, _field(model, n).column)) for n in names)


def _db(model: type[Model], name: str, value: Any) -> Any:
    """`value` as the database stores `model.name` (a UUID, an aware datetime,
    a time on SQLite): prepared once per distinct value, not once per row."""
    return _field(model, name).get_db_prep_save(value, connection)


def _take_token(target: _Target, token: uuid.UUID, now: datetime.datetime) -> int | None:
    """One UPDATE … RETURNING the draft's id (None: the token was not the
    draft's). On PostgreSQL its RETURNING also sets this transaction's
    lock_timeout (SET LOCAL, booking.locks), once the draft's row is ours:
    no extra round trip."""
    token_column, updated_at, pk = _columns(Draft, "token"), _columns(Draft, "updated_at"), _columns(Draft, "id")
    where, where_params = target.where()
    sql = f"UPDATE {_table(Draft)} SET {token_column} = %s, {updated_at} = %s WHERE {where} AND {token_column} = %s RETURNING {pk}"  # noqa: S608
    params = [
        _db(Draft, "token", uuid.uuid4()),
        _db(Draft, "updated_at", now),
        *where_params,
        _db(Draft, "token", token),
    ]
    limit = locks.lock_wait_limit()
    if limit is not None:
        sql, params = f"{sql}, {limit[0]}", params + limit[1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


@dataclass(slots=True)
class _Item:
    """A demande of the draft, as read by `_take_items` (a DraftItem's fields,
    with its child for the result page)."""

    child: Child
    child_id: int
    activity_id: int
    date: datetime.date
    action: str
    arrival: datetime.time | None
    departure: datetime.time | None


def _take_items(draft_pk: int, family: Family) -> list[_Item]:
    """Delete the draft's items and return those whose child is still the
    family's and whose activity is still its structure's (the others are
    dropped), in (date, activity, child) order: one DELETE … RETURNING on both
    databases, the child's name and the activity's structure read by
    subqueries in its RETURNING."""
    q = connection.ops.quote_name
    item_columns = ", ".join(q(c) for c in ("child_id", "activity_id", "date", "action", "arrival", "departure"))
    table, child_id, activity_id = _table(DraftItem), q("child_id"), q("activity_id")
    first_name = f"SELECT c.{q('first_name')} FROM {_table(Child)} c WHERE c.{q('id')} = {table}.{child_id} AND c.{q('family_id')} = %s"  # noqa: S608
    same_structure = (
        f"SELECT 1 FROM {_table(Activity)} a WHERE a.{q('id')} = {table}.{activity_id} AND a.{q('structure_id')} = %s"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {q('draft_id')} = %s RETURNING {item_columns}, ({first_name}), ({same_structure})",  # noqa: S608
            [draft_pk, family.pk, family.structure_id],
        )
        rows = sorted(
            (row for row in cursor.fetchall() if row[6] is not None and row[7] is not None),
            key=lambda row: (_date(row[2]), row[1], row[0]),
        )
    children: dict[int, Child] = {}
    items = []
    for child_id, activity_id, day, action, arrival, departure, first_name, _ in rows:
        child = children.get(child_id)
        if child is None:
            # Only what the result shows is read; any other field is loaded if asked for.
            child = children[child_id] = Child.from_db(
                connection.alias, ["id", "family_id", "first_name"], [child_id, family.pk, first_name]
            )
        items.append(_Item(child, child_id, activity_id, _date(day), action, _time(arrival), _time(departure)))
    return items


def _date(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _time(value: Any) -> datetime.time | None:
    if value is None or isinstance(value, datetime.time):
        return value
    return datetime.time.fromisoformat(value)


def _record_confirmation(token: uuid.UUID, family: Family, user: "User", now: datetime.datetime) -> Confirmation:
    """One INSERT … RETURNING id."""
    names = ("token", "family", "confirmed_by", "confirmed_at")
    values = [_db(Confirmation, "token", token), family.pk, user.pk, _db(Confirmation, "confirmed_at", now)]
    (pk,) = _insert(Confirmation, names, [values])
    confirmation = Confirmation(id=pk, token=token, family=family, confirmed_by=user, confirmed_at=now)
    confirmation._state.adding = False
    return confirmation


def _insert(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Multi-row INSERT … RETURNING id (both databases), in batches that fit
    SQLite's limit on parameters; returns the new ids in the rows' order (the
    order both databases return them in, which Django's bulk_create relies on too)."""
    ids: list[int] = []
    per_batch = max(1, (connection.features.max_query_params or 65_000) // len(names))
    placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
    into = f"INSERT INTO {_table(model)} ({_columns(model, *names)})"
    pk = connection.ops.quote_name(cast(str, model._meta.pk.column))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            batch = rows[start : start + per_batch]
            values = ", ".join([placeholder] * len(batch))
            cursor.execute(f"{into} VALUES {values} RETURNING {pk}", [value for row in batch for value in row])
            ids += [row[0] for row in cursor.fetchall()]
    return ids


def _insert_bookings(bookings: Sequence[Booking], now: datetime.datetime) -> None:
    """One INSERT for the new bookings; sets their ids."""
    names = ("child", "activity", "date", "status", "arrival", "departure", "queued_at", "reason", "updated_at",
             "age_group", "cancelled_late")  # fmt: skip
    at = _db(Booking, "queued_at", now)
    times: dict[datetime.time, Any] = {}

    def time(value: datetime.time | None) -> Any:
        if value is None:
            return None
        if value not in times:
            times[value] = _db(Booking, "arrival", value)
        return times[value]

    rows = [
        (b.child_id, b.activity_id, b.date, b.status, time(b.arrival), time(b.departure), at, b.reason, at,
         b.age_group_id, False)
        for b in bookings
    ]  # fmt: skip
    for booking, pk in zip(bookings, _insert(Booking, names, rows), strict=True):
        booking.pk = pk
        booking._state.adding = False


def _insert_movements(movements: Sequence[Movement], now: datetime.datetime) -> None:
    """One INSERT for the movements (their bookings have ids); sets their ids."""
    names = ("kind", "booking", "family", "structure", "outcome", "waiting_position", "reason", "confirmation",
             "created_by", "created_at")  # fmt: skip
    at = _db(Movement, "created_at", now)
    rows = [
        (m.kind, m.booking.pk, m.family_id, m.structure_id, m.outcome, m.waiting_position, m.reason,
         m.confirmation_id, m.created_by_id, at)
        for m in movements
    ]  # fmt: skip
    for movement, pk in zip(movements, _insert(Movement, names, rows), strict=True):
        movement.pk = pk
        movement._state.adding = False


def _apply(
    family: Family, items: Sequence[_Item], confirmation: Confirmation, *, user: "User", now: datetime.datetime
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
    if new_bookings:
        _insert_bookings(new_bookings, now)
    _insert_movements(movements, now)
    if audits:
        BookingAudit.objects.bulk_create(audits)
    _save_counts(snap)  # the openings' counters change with the rows, under their locks
    return movements


def _save_counts(snap: Snapshot) -> None:
    """Snapshot.save_counts in one SQL UPDATE: the places this confirmation
    moved (snap.pending, by difference) added to the openings' counters, a
    CASE per counter. The ORM's Case/When for twenty openings cost 1.7 ms of
    Python a confirmation; this costs a tenth. The age groups' counters, only
    on activities with groups, by Snapshot.save_group_counts."""
    snap.save_group_counts()
    moved = sorted((pk, delta) for pk, delta in snap.pending.items() if delta != (0, 0))
    snap.pending.clear()
    if not moved:
        return
    q = connection.ops.quote_name
    pk, accepted, waitlisted = (
        q(cast(str, _field(Opening, n).column)) for n in ("id", "accepted_count", "waitlisted_count")
    )
    whens = " ".join(["WHEN %s THEN %s"] * len(moved))
    ids = ", ".join(["%s"] * len(moved))
    sql = (
        f"UPDATE {_table(Opening)} SET {accepted} = {accepted} + CASE {pk} {whens} ELSE 0 END,"  # noqa: S608
        f" {waitlisted} = {waitlisted} + CASE {pk} {whens} ELSE 0 END WHERE {pk} IN ({ids})"
    )
    params = [v for opening_id, (a, _) in moved for v in (opening_id, a)]
    params += [v for opening_id, (_, w) in moved for v in (opening_id, w)]
    params += [opening_id for opening_id, _ in moved]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


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
    items: Sequence[_Item],
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
            item.date, snap.rules[item.activity_id], now=now, closed_days=snap.closed_for(item.activity_id)
        )
        if reason:
            movements.append(
                _movement(MovementKind.CANCEL, existing, family, confirmation, outcome=BookingStatus.REFUSED,
                          reason=reason, user=user, now=now)
            )  # fmt: skip
            continue
        opening = snap.openings.get((item.activity_id, item.date))
        if opening is not None:
            group = snap.group(item.activity_id, existing.age_group_id)
            if existing.status == BookingStatus.ACCEPTED:
                snap.count(opening, accepted=-1, group=group)
                freed.add(opening.pk)
            else:
                snap.count(opening, waitlisted=-1, group=group)
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
    items: Sequence[_Item],
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
        opening = snap.openings.get((item.activity_id, item.date))
        # The rules, then the places of the child's age group (issue 18 point 9) if the activity has some.
        reason, group = snap.booking_refusal(
            item.child_id, item.activity_id, item.date, item.arrival, item.departure, now=now
        )
        status, position = BookingStatus.REFUSED, None
        if reason is None:
            assert opening is not None  # booking_refusal refuses a day that is not open
            placed = rules.placement(snap.occupancy(opening, group))
            if placed == rules.ACCEPTED:
                status = BookingStatus.ACCEPTED
                snap.count(opening, accepted=1, group=group)
            elif placed == rules.WAITLISTED:
                status = BookingStatus.WAITLISTED
                position = snap.count(opening, waitlisted=1, group=group).waitlisted
            else:
                reason = str(rules.FULL)
        booking = Booking(
            child=item.child, activity=snap.activities[item.activity_id], date=item.date, status=status,
            arrival=item.arrival, departure=item.departure, queued_at=now, reason=reason or "",
            age_group=group if status != BookingStatus.REFUSED else None,
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
