from django.apps import AppConfig
from django.utils.translation import gettext_lazy

# The receivers' dispatch_uid: connecting twice (a second ready()) is a no-op,
# and a test can disconnect one by its uid.
PLACE_GIVEN_UID = "notifications.notify_place_given"
DAY_CLOSED_UID = "notifications.notify_day_closed"
RUN_FINISHED_UID = "notifications.queue_run_reports"
DAYS_CLOSED_UID = "notifications.notify_days_closed"
MOVED_TO_WAITING_LIST_UID = "notifications.notify_moved_to_waiting_list"


class NotificationsConfig(AppConfig):
    name = "portail.notifications"
    verbose_name = gettext_lazy("E-mails")

    def ready(self):
        # The booking engine announces promotions, closures and finished runs
        # (portail/booking/signals.py); the e-mails are written here, in the
        # sender's transaction (N3, N2, N4).
        from portail.booking import signals
        from portail.notifications import receivers

        signals.place_given.connect(receivers.notify_place_given, dispatch_uid=PLACE_GIVEN_UID)
        signals.day_closed.connect(receivers.notify_day_closed, dispatch_uid=DAY_CLOSED_UID)
        signals.run_finished.connect(receivers.queue_run_reports, dispatch_uid=RUN_FINISHED_UID)
        signals.days_closed.connect(receivers.notify_days_closed, dispatch_uid=DAYS_CLOSED_UID)
        signals.moved_to_waiting_list.connect(
            receivers.notify_moved_to_waiting_list, dispatch_uid=MOVED_TO_WAITING_LIST_UID
        )
