from django.apps import AppConfig
from django.utils.translation import gettext_lazy

# The receivers' dispatch_uid (see notifications.apps).
BOOKING_BLOCK_UID = "billing.overdue_invoice_blocks_booking"
PENDING_PAYMENTS_UID = "billing.recheck_pending_online_payments"
INVOICE_EMAIL_UID = "billing.queue_invoice_emails"
REMINDERS_UID = "billing.daily_reminders"
ANONYMISATION_OBSTACLES_UID = "billing.anonymisation_obstacles"
ANONYMISATION_WARNINGS_UID = "billing.anonymisation_warnings"


class BillingConfig(AppConfig):
    name = "portail.billing"
    verbose_name = gettext_lazy("Facturation")

    def ready(self):
        # An invoice overdue by more than the structure's number of days blocks
        # the family's new bookings (issue 16 point 5), never its cancellations.
        from portail.billing import blocking
        from portail.booking import signals

        signals.family_booking_block.connect(blocking.overdue_invoice_block, dispatch_uid=BOOKING_BLOCK_UID)
        # Online payments left « en cours » (no notification) are asked again at
        # every pass of the worker, after 10 minutes (issue 16 point 4).
        from portail.billing import online
        from portail.notifications.signals import worker_pass

        worker_pass.connect(online.recheck_pending, dispatch_uid=PENDING_PAYMENTS_UID)
        # The e-mail reminders of overdue invoices, once a day (issue 16 point 5).
        from portail.billing import reminders

        worker_pass.connect(reminders.send_daily, dispatch_uid=REMINDERS_UID)
        # The e-mail « Votre facture de … est disponible » (issue 16 point 2),
        # queued in the issuing transaction.
        from portail.billing import emails
        from portail.billing import signals as billing_signals

        billing_signals.invoices_issued.connect(emails.on_invoices_issued, dispatch_uid=INVOICE_EMAIL_UID)
        # A family is not anonymised while it owes money or a payment is en
        # cours; staff are told about its credit first (issue 17 point 6).
        from portail.billing import leaving
        from portail.structures import signals as structure_signals

        structure_signals.family_anonymisation_obstacles.connect(
            leaving.anonymisation_obstacles, dispatch_uid=ANONYMISATION_OBSTACLES_UID
        )
        structure_signals.family_anonymisation_warnings.connect(
            leaving.anonymisation_warnings, dispatch_uid=ANONYMISATION_WARNINGS_UID
        )
        # Staff screens reach invoices through scope_queryset: their structures' only.
        from portail.structures.scoping import register_scope

        register_scope("billing.invoice", "structure")
