"""The processing run of a structure ("transmission", N1).

Every "Non transmis" movement is stamped with the run, in batches claimed by
a conditional UPDATE (… WHERE run IS NULL), so a second worker, a rerun or a
rerun after a crash never processes a movement twice. A run that crashed is
resumed (same run row) before a new one starts. Each family with movements
in the run gets one FamilyReport (unique per run and family): the data of its
compte-rendu, sent by the notifications outbox.
"""

import datetime
import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from portail.booking import signals
from portail.booking.counters import find_drift
from portail.booking.models import FamilyReport, Movement, MovementKind, ProcessingRun
from portail.structures.models import Structure

if TYPE_CHECKING:
    # The account, whatever settings.AUTH_USER_MODEL is (django-stubs resolves
    # `_User` to it): booking never imports portail.accounts (tests/test_layering.py).
    from django.contrib.auth.models import _User as User

log = logging.getLogger(__name__)

BATCH_SIZE = 5000


def process_requests(
    structure: Structure,
    *,
    now: datetime.datetime | None = None,
    started_by: "User | None" = None,
    batch_size: int = BATCH_SIZE,
) -> ProcessingRun:
    """Process every pending movement of `structure`; returns the finished run."""
    now = now or timezone.now()
    run = ProcessingRun.objects.filter(structure=structure, finished_at__isnull=True).order_by("started_at").first()
    if run is None:
        run = ProcessingRun.objects.create(structure=structure, started_at=now, started_by=started_by)
    else:
        log.warning("Reprise du traitement interrompu %s de %s", run.pk, structure)

    while _stamp_batch(structure, run, batch_size):
        pass

    # The openings' place counters against their bookings (issue 15): a drift
    # is recorded and shown to staff, who run `manage.py recount`; repairing it
    # here, unseen, would hide whatever wrote rows behind the engine's back.
    # Read before the final transaction (one consistent statement), so that
    # SQLite's write lock is not held while it counts.
    drift = find_drift(structure.pk)
    if drift:
        log.error(
            "Traitement %s de %s : %s journées aux compteurs de places faux (manage.py recount) : %s",
            run.pk, structure, len(drift), "; ".join(d.describe() for d in drift[:10]),
        )  # fmt: skip

    with transaction.atomic():
        per_family = (
            Movement.objects.filter(run=run)
            .values("family_id")
            .annotate(
                new_bookings=Count("id", filter=Q(kind=MovementKind.BOOK)),
                cancellations=Count("id", filter=Q(kind=MovementKind.CANCEL)),
            )
            .order_by()
        )
        FamilyReport.objects.bulk_create(
            [
                FamilyReport(run=run, family_id=row["family_id"], new_bookings=row["new_bookings"],
                             cancellations=row["cancellations"], created_at=now)
                for row in per_family
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )  # fmt: skip
        run.movements_count = Movement.objects.filter(run=run).count()
        run.families_count = FamilyReport.objects.filter(run=run).count()
        run.counter_drift_count = len(drift)
        run.counter_drift = [d.as_json() for d in drift[: ProcessingRun.DRIFT_KEPT]]
        run.finished_at = timezone.now()
        run.save(
            update_fields=["movements_count", "families_count", "counter_drift_count", "counter_drift", "finished_at"]
        )
    # After the final commit, as documented on the signal: the notifications app
    # queues the comptes-rendus of every report not e-mailed yet, in chunks, so a
    # crash there is caught up by the next run.
    signals.run_finished.send(sender=ProcessingRun, run=run)
    log.info(
        "Traitement %s de %s : %s mouvements, %s familles", run.pk, structure, run.movements_count, run.families_count
    )
    return run


def _stamp_batch(structure: Structure, run: ProcessingRun, batch_size: int) -> int:
    """Stamp the next `batch_size` pending movements of `structure` with `run`,
    in a transaction of their own; returns how many there were (0: none left).
    The conditional UPDATE skips a movement another worker stamped meanwhile."""
    ids = list(
        Movement.objects.filter(structure=structure, run__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:batch_size]
    )
    if ids:
        with transaction.atomic():
            Movement.objects.filter(id__in=ids, run__isnull=True).update(run=run)
    return len(ids)


class RunInProgress(Exception):
    """A run of this structure started recently and has not finished."""


# A run unfinished for longer than this has crashed: it may be resumed.
STALE_AFTER = datetime.timedelta(minutes=15)


def start_run_now(
    structure: Structure, *, started_by: "User | None", now: datetime.datetime | None = None
) -> ProcessingRun:
    """Staff's "Lancer le traitement": refuses while another run of the
    structure is still going (the nightly one, or a colleague's click), and
    resumes one that crashed."""
    now = now or timezone.now()
    if ProcessingRun.objects.filter(
        structure=structure, finished_at__isnull=True, started_at__gt=now - STALE_AFTER
    ).exists():
        raise RunInProgress(
            gettext("Un traitement est déjà en cours pour %(structure)s : réessayez dans quelques minutes.")
            % {"structure": structure}
        )
    return process_requests(structure, now=now, started_by=started_by)


def is_due(structure: Structure, now: datetime.datetime) -> bool:
    """Whether the structure's nightly run is due: its time has come today and
    no run has finished since."""
    local = timezone.localtime(now)
    due_at = timezone.make_aware(datetime.datetime.combine(local.date(), structure.processing_time))
    if local < due_at:
        return False
    return not ProcessingRun.objects.filter(structure=structure, finished_at__gte=due_at).exists()
