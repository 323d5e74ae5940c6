"""Issue 18 point 9 on the staff's planning: each age group's places and
waiting list, and the free places offered only to their own group's queue."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from portail.structures.models import AgeGroup
from tests.booking.test_age_groups import DAY, book, grouped_scene
from tests.helpers import page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene(world):
    activity, groups, openings, people = grouped_scene(world, petits=(2, 1), grands=(5, 0))
    book(people, "p1", activity, now=NOW)  # one of the Petits' two places taken
    return world, activity, people


def planning(client, world, activity):
    client.force_login(world.staff_a)
    response = client.get(reverse("staff:planning"), {"date": DAY.isoformat(), "activite": activity.pk})
    assert response.status_code == 200
    return page_text(response)


def test_the_planning_counts_each_group(client, scene):
    world, activity, people = scene
    book(people, "g1", activity, now=NOW)
    book(people, "g2", activity, now=NOW)
    html = planning(client, world, activity)
    groups = [
        re.sub(r"\s+", " ", line).strip() for line in re.findall(r'data-testid="age-group">(.*?)</li>', html, re.S)
    ]
    assert groups == [
        "Petits (3–5 ans) : 1 / 2 places · liste d'attente : 0 / 1",
        "Grands (6–11 ans) : 2 / 5 places · liste d'attente : 0 / 0",
    ]
    # The day's places are the groups' (7), not the activity's own (30).
    assert re.search(r'data-testid="places">\s*3 / 7 places', html)
    # They are changed per group (the admin), not by the day's « Places du jour ».
    assert 'data-testid="places-by-group"' in html and "Modifier les places" not in html


def test_a_free_place_is_offered_to_its_own_groups_queue_only(client, world):
    activity, (petits, grands), _, people = grouped_scene(world, petits=(2, 1), grands=(1, 1))
    book(people, "p1", activity, now=NOW)
    book(people, "g1", activity, now=NOW)
    book(people, "g2", activity, now=NOW)  # waits among the Grands
    html = planning(client, world, activity)
    # One place is free, but among the Petits: nobody waiting can take it.
    assert 'data-testid="free-places"' not in html
    AgeGroup.objects.filter(pk=grands.pk).update(capacity=2)  # a Grands' place too, for g2
    html = planning(client, world, activity)
    assert 'data-testid="free-places"' in html
