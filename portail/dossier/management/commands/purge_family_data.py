"""`manage.py purge_family_data [--dry-run]`: the retention purge of health
data and documents (issue 17 point 6) now, as the worker does once a day."""

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from portail.dossier.rgpd import purge_expired


class Command(BaseCommand):
    help = "Supprime les données de santé et les documents des familles sans activité depuis la durée de conservation."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="dire ce qui serait supprimé, sans rien supprimer")

    def handle(self, *args, dry_run=False, **options):
        purged = purge_expired(dry_run=dry_run)
        for item in purged:
            self.stdout.write(f"{item.family.structure.name} — {item.family.reference} : {item.what}")
        if dry_run:
            line = ngettext("%(count)d famille à purger.", "%(count)d familles à purger.", len(purged))
        else:
            line = ngettext("%(count)d famille purgée.", "%(count)d familles purgées.", len(purged))
        self.stdout.write(line % {"count": len(purged)})
