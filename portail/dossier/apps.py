from django.apps import AppConfig
from django.utils.translation import gettext_lazy

# The receivers' dispatch_uid (see notifications.apps).
BOOKING_BLOCK_UID = "dossier.missing_document_blocks_booking"


class DossierConfig(AppConfig):
    name = "portail.dossier"
    verbose_name = gettext_lazy("Dossier famille")
