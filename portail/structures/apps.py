from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class StructuresConfig(AppConfig):
    name = "portail.structures"
    verbose_name = gettext_lazy("Structures et activités")

    def ready(self):
        from portail.lib import lookups

        lookups.register()  # ids no column holds never reach the database driver
