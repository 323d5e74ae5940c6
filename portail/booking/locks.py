"""How the booking engine locks (read this before changing a confirmation).

What a confirmation consumes is places of openings. It locks the Opening rows
it touches, all at once, sorted by primary key, before it counts anything
(load_snapshot(lock=True) reads them with `locked`, then the counts):
two transactions touching overlapping openings queue behind each other and
never deadlock (same order). The places taken are the openings' counters
(Opening.accepted_count, waitlisted_count), read with the locked rows and
changed in the same transaction as the bookings (Snapshot.count/save_counts,
snapshot.move_counters): whoever changes a booking's status holds its
opening's lock.

- PostgreSQL: SELECT … FOR UPDATE on those rows (the queryset is evaluated,
  otherwise it would lock nothing).
- SQLite: transactions begin IMMEDIATE (settings), which takes the database's
  single write lock at BEGIN; FOR UPDATE is not needed and not supported.

How long a confirmation waits (issue 15): on PostgreSQL, a confirmation
stuck behind other transactions' locks longer than BOOKING_LOCK_TIMEOUT_MS
(settings) gives up: its transaction sets `lock_timeout` for itself only
(`set_config(…, true)` is SET LOCAL), the waiting statement fails with
LockNotAvailable (SQLSTATE 55P03), the transaction rolls back, and the parent
reads "Trop de demandes en même temps" with the draft kept — instead of a
worker waiting until gunicorn's --timeout kills it. SQLite waits for its
single write lock at BEGIN up to the connection's busy timeout (settings).

`LOCKS_ENABLED` exists only so that a test can show the race the lock prevents.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import QuerySet

from portail.structures.models import Opening

LOCKS_ENABLED = True


def lock_openings(opening_ids: Iterable[int]) -> list[int]:
    """Lock these openings (sorted by pk) for the rest of the transaction."""
    if not LOCKS_ENABLED or not opening_ids:
        return []
    return [opening.pk for opening in locked(Opening.objects.filter(pk__in=opening_ids))]


def locked(openings: QuerySet[Opening]) -> list[Opening]:
    """The rows of this Opening queryset, read and locked FOR UPDATE in pk order."""
    if not LOCKS_ENABLED:
        return list(openings)
    return list(openings.select_for_update().order_by("pk"))


# SQLSTATE of PostgreSQL's lock_not_available (psycopg's errors.LockNotAvailable).
LOCK_NOT_AVAILABLE = "55P03"


def lock_wait_limit() -> tuple[str, list[str]] | None:
    """The SQL expression (and its parameter) that limits, for the rest of the
    current transaction, how long a statement waits for a row lock; None where
    there is nothing to set (SQLite). An expression rather than a statement so
    that a caller can evaluate it inside a statement it sends anyway (one round
    trip less); `limit_lock_wait` sends it alone."""
    if connection.vendor != "postgresql":
        return None
    return "set_config('lock_timeout', %s, true)", [f"{int(settings.BOOKING_LOCK_TIMEOUT_MS)}ms"]


def limit_lock_wait() -> None:
    """PostgreSQL: SET LOCAL lock_timeout to BOOKING_LOCK_TIMEOUT_MS (see above)."""
    limit = lock_wait_limit()
    if limit is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {limit[0]}", limit[1])


def lock_wait_timed_out(error: OperationalError) -> bool:
    """Whether `error` is a statement that gave up waiting for a lock (lock_timeout)."""
    return getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE
