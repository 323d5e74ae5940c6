from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class DemoConfig(AppConfig):
    """`manage.py load_demo` and its data. Above every other app (it creates
    accounts, structures and a finished processing run), so that no app below
    reaches up to build the demo."""

    name = "portail.demo"
    verbose_name = gettext_lazy("Démonstration")
