"""Once a day for the worker's periodic tasks (issues 16 and 17).

`claim_today(name, day)` answers True once per task and day, to one caller,
even for two workers at once: one conditional UPDATE (or the INSERT of the
task's row, under its unique name) takes the day. A task that fails after its
claim is not retried the same day; the next day catches up (reminders and the
purge are idempotent: what was done is never done twice).
"""

import datetime

from django.db import IntegrityError, transaction

from portail.notifications.models import DailyTask


def claim_today(name: str, day: datetime.date) -> bool:
    """True when `name` had not run on `day` yet: it now has (the caller runs it)."""
    if DailyTask.objects.filter(name=name, last_day__lt=day).update(last_day=day):
        return True
    if DailyTask.objects.filter(name=name).exists():
        return False  # ran today already
    try:
        with transaction.atomic():
            DailyTask.objects.create(name=name, last_day=day)
    except IntegrityError:
        return False  # another worker created it first: it runs the task
    return True
