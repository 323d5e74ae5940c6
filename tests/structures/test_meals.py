"""Meals are a field of the activity (issue 13 point 2), no longer a guess from its name."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from portail.booking.models import BookingStatus
from portail.structures.models import Opening
from tests import factories as f
from tests.helpers import make_booking
from tests.staff.conftest import DAY, visible_text

BEFORE = ("structures", "0003_input_validators")
AFTER = ("structures", "0004_activity_meal")


@pytest.mark.django_db(transaction=True)
def test_migration_marks_the_activities_named_as_meals():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old_apps = executor.loader.project_state([BEFORE]).apps
    Structure = old_apps.get_model("structures", "Structure")
    Activity = old_apps.get_model("structures", "Activity")
    structure = Structure.objects.create(name="Mairie")
    names = {
        "REST": "RESTAURATION",
        "REPAS": "Repas du mercredi",
        "CANT": "CANTINE B",
        "APS": "APS MATIN",
        "ALSH": "ALSH MERCREDI",
    }
    for code, name in names.items():
        Activity.objects.create(
            structure=structure,
            code=code,
            name=name,
            booking_period_start=datetime.date(2026, 9, 1),
            booking_period_end=datetime.date(2027, 7, 3),
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])
    new_apps = executor.loader.project_state([AFTER]).apps
    meals = set(
        new_apps.get_model("structures", "Activity").objects.filter(serves_meal=True).values_list("code", flat=True)
    )
    assert meals == {"REST", "REPAS", "CANT"}

    # back to the current schema for the tests that follow
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_kitchen_count_follows_the_field_not_the_name(client, world):
    """An activity named like a meal without the field is not counted; a meal with any name is."""
    world.cantine_a.serves_meal = False
    world.cantine_a.save()
    lunch = f.ActivityFactory(structure=world.a, name="MIDI", code="MIDI", serves_meal=True)
    for activity in (world.cantine_a, lunch):
        Opening.objects.get_or_create(activity=activity, date=DAY)
    make_booking(child=world.paolo, activity=lunch, date=DAY, status=BookingStatus.ACCEPTED)
    make_booking(child=world.leo, activity=world.cantine_a, date=DAY, status=BookingStatus.ACCEPTED)
    make_booking(child=world.amalia, activity=world.cantine_a, date=DAY, status=BookingStatus.ACCEPTED)

    client.force_login(world.staff_a)
    text = visible_text(client.get(reverse("staff:meals"), {"semaine": DAY.isoformat()}))
    assert "Repas MIDI 1" in text
    assert "Repas RESTAURATION" not in text and "RESTAURATION 2" in text
    assert "Total des repas 1 " in text
    assert text.index("MIDI 1") < text.index("RESTAURATION 2")
