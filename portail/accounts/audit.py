"""The audit of what staff (and parents) do to accounts and families: Django
admin's own LogEntry, so each entry shows in the object's "Historique" page of
the back office (who, when, what), next to the admin's own changes."""

from django.contrib.admin.models import CHANGE, LogEntry


def record(actor, obj, message):
    """Write one history entry on `obj`, made by `actor`, saying `message`."""
    LogEntry.objects.log_actions(
        actor.pk, [obj], CHANGE, change_message=message, single_object=True
    )  # fmt: skip
