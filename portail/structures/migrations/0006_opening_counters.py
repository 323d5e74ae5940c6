# Place counters on Opening (issue 15), filled from the booking rows.

from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def fill_counters(apps, schema_editor):
    """Count the active bookings of every opening, in one UPDATE per counter
    (a correlated subquery: no row is loaded into Python, whatever the size)."""
    Booking = apps.get_model("booking", "Booking")
    Opening = apps.get_model("structures", "Opening")

    def counted(status):
        rows = (
            Booking.objects.filter(activity_id=OuterRef("activity_id"), date=OuterRef("date"), status=status)
            .order_by()
            .values("activity_id")
            .annotate(n=Count("*"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    Opening.objects.update(accepted_count=counted("accepted"), waitlisted_count=counted("waitlisted"))


class Migration(migrations.Migration):
    dependencies = [
        ("structures", "0005_opening_closed"),
        ("booking", "0006_opening_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="opening",
            name="accepted_count",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="places prises"),
        ),
        migrations.AddField(
            model_name="opening",
            name="waitlisted_count",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="en liste d'attente"),
        ),
        migrations.RunPython(fill_counters, migrations.RunPython.noop),
    ]
