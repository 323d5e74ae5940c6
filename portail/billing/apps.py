from django.apps import AppConfig
from django.utils.translation import gettext_lazy

# The receivers' dispatch_uid (see notifications.apps).
BOOKING_BLOCK_UID = "billing.overdue_invoice_blocks_booking"
INVOICE_EMAIL_UID = "billing.queue_invoice_emails"


class BillingConfig(AppConfig):
    name = "portail.billing"
    verbose_name = gettext_lazy("Facturation")

    def ready(self):
        # The e-mail « Votre facture de … est disponible » (issue 16 point 2),
        # queued in the issuing transaction.
        from portail.billing import emails
        from portail.billing import signals as billing_signals

        billing_signals.invoices_issued.connect(emails.on_invoices_issued, dispatch_uid=INVOICE_EMAIL_UID)
