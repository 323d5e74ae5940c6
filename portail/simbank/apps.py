from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SimbankConfig(AppConfig):
    name = "portail.simbank"
    verbose_name = gettext_lazy("Banque simulée")
