from django.apps import AppConfig
from django.utils.translation import gettext_lazy

# The receivers' dispatch_uid (see notifications.apps).
BOOKING_BLOCK_UID = "dossier.missing_document_blocks_booking"
RETENTION_PURGE_UID = "dossier.retention_purge"


class DossierConfig(AppConfig):
    name = "portail.dossier"
    verbose_name = gettext_lazy("Dossier famille")

    def ready(self):
        # Staff reach the family file through scope_queryset: its rows belong to
        # the family's (or the type's) structure.
        from portail.structures.scoping import register_scope

        register_scope("dossier.documenttype", "structure")
        register_scope("dossier.document", "family__structure")
        register_scope("dossier.absence", "family__structure")
        register_scope("dossier.guardian", "family__structure")
        register_scope("dossier.familychange", "family__structure")

        # A required document missing or expired blocks new bookings (issue 17
        # point 4) when the structure asks for it.
        from portail.booking import signals
        from portail.dossier import blocking

        signals.family_booking_block.connect(blocking.missing_documents_block, dispatch_uid=BOOKING_BLOCK_UID)

        # The retention purge of health data and documents (issue 17 point 6),
        # once a day from the worker's pass.
        from portail.dossier import rgpd
        from portail.notifications.signals import worker_pass

        worker_pass.connect(rgpd.purge_daily, dispatch_uid=RETENTION_PURGE_UID)
