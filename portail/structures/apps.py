from django.apps import AppConfig


class StructuresConfig(AppConfig):
    name = "portail.structures"
    verbose_name = "Structures et activités"
