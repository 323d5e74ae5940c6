"""The worker's daily tasks run once a day (notifications.periodic): the day
is kept in the database, so a cron'd `worker --once` passing every minute, or
a restarted worker, runs the reminders and the purge once (issues 16, 17)."""

import datetime

import pytest

from portail.notifications.models import DailyTask
from portail.notifications.periodic import claim_today

MON, TUE = datetime.date(2026, 11, 30), datetime.date(2026, 12, 1)


@pytest.mark.django_db
def test_a_task_is_claimed_once_a_day_and_again_the_next_day():
    assert claim_today("reminders", MON) is True
    assert claim_today("reminders", MON) is False
    assert claim_today("purge", MON) is True  # each task its own day
    assert claim_today("reminders", TUE) is True
    assert claim_today("reminders", TUE) is False
    assert claim_today("reminders", MON) is False  # a clock gone back does not run it again
    assert DailyTask.objects.get(name="reminders").last_day == TUE


@pytest.mark.django_db
def test_the_daily_reminders_run_once_per_day_across_worker_passes(world):
    from portail.billing.reminders import send_daily

    first = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
    send_daily(None, now=first)
    assert DailyTask.objects.get(name="billing.reminders").last_day == MON
    # The second pass of the same day claims nothing (the task is not even asked).
    assert claim_today("billing.reminders", MON) is False
