from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class StaffConfig(AppConfig):
    name = "portail.staff"
    verbose_name = gettext_lazy("Gestion")
