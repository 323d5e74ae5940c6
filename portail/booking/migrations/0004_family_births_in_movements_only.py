"""A booking made by a family's confirmation is now recorded by its Movement
only (see BookingAudit's docstring); the staff's audit reads those movements.
The BookingAudit rows the confirmation wrote before this change repeat them:
without this, the audit would show each such booking's birth twice."""

from django.db import migrations


def drop_repeated_births(apps, schema_editor):
    BookingAudit = apps.get_model("booking", "BookingAudit")
    Movement = apps.get_model("booking", "Movement")
    born_in_confirmations = Movement.objects.filter(kind="book", confirmation__isnull=False).values("booking_id")
    BookingAudit.objects.filter(source="family", from_status="", booking_id__in=born_in_confirmations).delete()


class Migration(migrations.Migration):
    dependencies = [("booking", "0003_remove_movement_movement_pending_and_more")]

    operations = [migrations.RunPython(drop_repeated_births, migrations.RunPython.noop)]
