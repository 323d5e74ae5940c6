"""Issue 18 points 5 and 9: the roll call filters by the activity's age groups
(the child's age on the day in the group's range, as the engine places it)."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from portail.booking import rules
from portail.structures.models import AgeGroup
from tests import factories as f
from tests.booking.test_age_groups import DAY, book, grouped_scene
from tests.helpers import page_text

# The roll call is for today or a past day: the morning of DAY.
MORNING = datetime.datetime.combine(DAY, datetime.time(8, 0), tzinfo=rules.PARIS)
EARLY = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=rules.PARIS)


@pytest.fixture
def scene(world):
    activity, groups, _, people = grouped_scene(world, petits=(2, 0), grands=(2, 0))
    for key in ("p1", "p2", "g1"):
        book(people, key, activity, now=EARLY)
    return world, activity, groups


def roll_call(client, world, activity, **filters):
    with time_machine.travel(MORNING, tick=False):
        client.force_login(world.staff_a)  # at that hour: a session opened days before has expired
        return client.get(reverse("staff:roll_call"), {"date": DAY.isoformat(), "activite": activity.pk, **filters})


def rows(html):
    """The first names of the children listed (each row is `data-child="NAME First"`)."""
    return sorted(name.split()[-1] for name in re.findall(r'data-testid="roll-row" data-child="([^"]*)"', html))


def test_the_roll_call_shows_one_age_group(client, scene):
    world, activity, (petits, grands) = scene
    everyone = page_text(roll_call(client, world, activity))
    assert rows(everyone) == ["G1", "P1", "P2"]
    assert "Groupe d'âge" in everyone and ">Petits</option>" in everyone
    assert rows(page_text(roll_call(client, world, activity, groupe=petits.pk))) == ["P1", "P2"]
    assert rows(page_text(roll_call(client, world, activity, groupe=grands.pk))) == ["G1"]


def test_another_activitys_group_is_not_found(client, scene):
    world, activity, _ = scene
    other = f.ActivityFactory(structure=world.a)
    foreign = AgeGroup.objects.create(activity=other, name="Autres", min_age=0, max_age=20, capacity=5)
    assert roll_call(client, world, activity, groupe=foreign.pk).status_code == 404


def test_an_activity_without_groups_offers_no_group_filter(client, world):
    with time_machine.travel(MORNING, tick=False):
        f.OpeningFactory(activity=world.aps_a, date=DAY)
    html = page_text(roll_call(client, world, world.aps_a))
    assert "Groupe d'âge" not in html
