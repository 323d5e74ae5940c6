from django.apps import AppConfig
from django.utils.translation import gettext_lazy

# The receiver's dispatch_uid: connecting twice (a second ready()) is a no-op.
FREE_DELETED_PLACE_UID = "booking.free_deleted_place"


class BookingConfig(AppConfig):
    name = "portail.booking"
    verbose_name = gettext_lazy("Réservations")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from portail.booking import receivers
        from portail.booking.models import Booking

        # A booking deleted by a cascade keeps its opening's place counters right.
        post_delete.connect(receivers.free_deleted_place, sender=Booking, dispatch_uid=FREE_DELETED_PLACE_UID)
