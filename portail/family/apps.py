from django.apps import AppConfig


class FamilyConfig(AppConfig):
    name = "portail.family"
    verbose_name = "Espace famille"
