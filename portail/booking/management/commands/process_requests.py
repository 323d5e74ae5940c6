from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portail.booking.processing import process_requests
from portail.structures.models import Structure


class Command(BaseCommand):
    help = "Traite les demandes « Non transmis » (toutes les structures, ou une seule) et prépare les comptes-rendus."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--structure", type=int, help="identifiant de la structure (par défaut : toutes)")

    def handle(self, *args: Any, structure: int | None = None, **options: Any) -> None:
        structures = Structure.objects.order_by("pk")
        if structure is not None:
            structures = structures.filter(pk=structure)
            if not structures.exists():
                raise CommandError(f"Structure {structure} inconnue.")
        for item in structures:
            run = process_requests(item)
            self.stdout.write(f"{item.name} : {run.movements_count} mouvements, {run.families_count} familles.")
