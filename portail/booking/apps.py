from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class BookingConfig(AppConfig):
    name = "portail.booking"
    verbose_name = gettext_lazy("Réservations")
