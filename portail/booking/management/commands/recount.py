from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portail.booking.counters import recount
from portail.structures.models import Structure


class Command(BaseCommand):
    help = (
        "Recompte les places prises et les listes d'attente de chaque journée ouverte à partir des réservations, "
        "corrige les compteurs faux et dit ce qu'il a changé."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--structure", type=int, help="identifiant de la structure (par défaut : toutes)")
        parser.add_argument("--dry-run", action="store_true", help="montrer les corrections sans rien modifier")

    def handle(self, *args: Any, structure: int | None = None, dry_run: bool = False, **options: Any) -> None:
        if structure is not None and not Structure.objects.filter(pk=structure).exists():
            raise CommandError(f"Structure {structure} inconnue.")
        drift = recount(structure, dry_run=dry_run)
        if not drift:
            self.stdout.write("Compteurs exacts : aucune correction.")
            return
        for item in drift:
            self.stdout.write(f"{item.structure} — {item.describe()}")
        n = len(drift)
        if dry_run:
            self.stdout.write(
                f"{n} journée{'s' if n > 1 else ''} aux compteurs faux (--dry-run : rien n'a été modifié)."
            )
        else:
            self.stdout.write(f"{n} journée{'s' if n > 1 else ''} corrigée{'s' if n > 1 else ''}.")
