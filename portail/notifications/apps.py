from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "portail.notifications"
    verbose_name = "E-mails"

    def ready(self):
        # The booking engine announces promotions and finished runs; the
        # e-mails are written here, in the same transaction (N3, N2, N4).
        from portail.booking import processing, staff_actions, waiting_list
        from portail.notifications import reports

        if reports.queue_promotion_notice not in waiting_list.promotion_hooks:
            waiting_list.promotion_hooks.append(reports.queue_promotion_notice)
        if reports.queue_run_reports not in processing.run_finished_hooks:
            processing.run_finished_hooks.append(reports.queue_run_reports)
        if reports.queue_closure_notice not in staff_actions.closure_hooks:
            staff_actions.closure_hooks.append(reports.queue_closure_notice)
