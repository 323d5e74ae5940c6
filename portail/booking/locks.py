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

`LOCKS_ENABLED` exists only so that a test can show the race the lock prevents.
"""

from collections.abc import Iterable

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
