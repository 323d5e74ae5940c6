from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AccountsConfig(AppConfig):
    name = "portail.accounts"
    verbose_name = gettext_lazy("Comptes")

    def ready(self):
        from portail.accounts import last_family

        last_family.connect()
