"""Issue 18 point 9 on the family's pages: the calendar shows the places
left in the child's age group."""

import datetime

import pytest
import time_machine
from django.urls import reverse

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


def calendar_of(client, people, key, activity):
    family, account, child = people[key]
    client.force_login(account)
    client.post(reverse("family:switch_structure"), {"family": family.pk})
    response = client.get(reverse("family:reserve"), {"enfant": child.pk, "activite": activity.pk, "mois": "2026-12"})
    assert response.status_code == 200
    return page_text(response)


def day_cell(html, day):
    """The calendar's cell of `day` (its button, up to the next cell)."""
    start = html.index(f'data-date="{day.isoformat()}"')
    return html[start : html.index("data-date=", start + 1)]


def test_the_calendar_shows_the_places_of_the_childs_group(client, scene):
    world, activity, people = scene
    petit = day_cell(calendar_of(client, people, "p2", activity), DAY)
    assert 'data-state="S2"' in petit and "1 place restante" in petit
    client.logout()
    grand = day_cell(calendar_of(client, people, "g1", activity), DAY)
    assert 'data-state="S2"' in grand and "5 places restantes" in grand
    client.logout()
    baby = day_cell(calendar_of(client, people, "baby", activity), DAY)
    assert 'data-state="S0"' in baby
