"""`manage.py worker`: the background worker. It lives in notifications, the
layer above the booking engine: it starts each structure's processing run
(booking) and sends the outbox (notifications); booking itself never reaches
up to the outbox."""

import logging
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from portail.booking.processing import is_due, process_requests
from portail.notifications import signals
from portail.notifications.outbox import send_due
from portail.structures.models import Structure

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Travailleur de fond : lance le traitement de nuit de chaque structure à son heure "
        "et envoie les e-mails de la boîte d'envoi (avec nouvelles tentatives)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="un seul passage, puis s'arrêter")
        parser.add_argument("--interval", type=int, default=60, help="secondes entre deux passages")

    def handle(self, *args, once=False, interval=60, **options):
        while True:
            started = time.monotonic()
            now = timezone.now()
            for structure in Structure.objects.order_by("pk"):
                if is_due(structure, now):
                    run = process_requests(structure, now=now)
                    self.stdout.write(f"{structure.name} : {run.movements_count} mouvements traités.")
            # The apps above (billing, dossier) do their periodic work here;
            # what they queue in the outbox goes in this same pass.
            for receiver, answer in signals.worker_pass.send_robust(sender=self.__class__, now=now):
                if isinstance(answer, Exception):
                    logger.error("worker_pass receiver %r failed", receiver, exc_info=answer)
                elif answer:
                    self.stdout.write(str(answer))
            # Until the outbox is empty or OUTBOX_MAX_PER_MINUTE e-mails were sent (N4).
            result = send_due()
            sent, retried, failed = result
            if sent or retried or failed:
                line = f"E-mails : {sent} envoyés, {retried} à réessayer, {failed} en échec"
                if result.resent:
                    line += f", dont {result.resent} renvoyés après incident"
                self.stdout.write(line + ".")
            if once:
                return
            # Passes start `interval` seconds apart; after a pass stopped by the rate
            # limit, the next one waits for the minute to be over.
            pause = max(interval, 60 if result.rate_limited else 0) - (time.monotonic() - started)
            time.sleep(max(pause, 0))
