import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from portail.booking.processing import is_due, process_requests
from portail.notifications.outbox import send_due
from portail.structures.models import Structure


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
            now = timezone.now()
            for structure in Structure.objects.order_by("pk"):
                if is_due(structure, now):
                    run = process_requests(structure, now=now)
                    self.stdout.write(f"{structure.name} : {run.movements_count} mouvements traités.")
            sent, retried, failed = send_due()
            if sent or retried or failed:
                self.stdout.write(f"E-mails : {sent} envoyés, {retried} à réessayer, {failed} en échec.")
            if once:
                return
            time.sleep(interval)
