"""The notifications app's answers to the booking engine's signals
(portail.booking.signals), connected in NotificationsConfig.ready(). Each one
runs where the signal is sent: the notices are queued in the outbox inside the
transaction that made the change (N3, N4); the comptes-rendus right after the
run committed (N2)."""

from portail.notifications import closures, reports


def notify_place_given(sender, movement, **kwargs):
    reports.queue_promotion_notice(movement)


def notify_day_closed(sender, cancelled, reason, **kwargs):
    for booking in cancelled:
        reports.queue_closure_notice(booking, reason)


def queue_run_reports(sender, run, **kwargs):
    reports.queue_run_reports(run)


def notify_days_closed(sender, cancelled, reason, **kwargs):
    """Several activities closed on a day (a strike): one e-mail per family (issue 18 point 4)."""
    closures.queue_family_closure_notices(cancelled, reason)


def notify_moved_to_waiting_list(sender, opening, moved, reason, **kwargs):
    closures.queue_moved_to_waiting_list_notices(opening, moved, reason)
