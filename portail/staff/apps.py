from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "portail.staff"
    verbose_name = "Gestion"
