from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "portail.booking"
    verbose_name = "Réservations"
