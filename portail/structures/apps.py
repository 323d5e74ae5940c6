from django.apps import AppConfig


class StructuresConfig(AppConfig):
    name = "portail.structures"
    verbose_name = "Structures et activités"

    def ready(self):
        from portail.lib import lookups

        lookups.register()  # ids no column holds never reach the database driver
