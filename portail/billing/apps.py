from django.apps import AppConfig
from django.utils.translation import gettext_lazy

# The receivers' dispatch_uid (see notifications.apps).
BOOKING_BLOCK_UID = "billing.overdue_invoice_blocks_booking"


class BillingConfig(AppConfig):
    name = "portail.billing"
    verbose_name = gettext_lazy("Facturation")
