from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class FamilyConfig(AppConfig):
    name = "portail.family"
    verbose_name = gettext_lazy("Espace famille")
