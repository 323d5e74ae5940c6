"""Days not yet open say when they open (issue 14 point 2): the calendar's
notice for an activity whose bookings open later, its countdown within the
last hour, and the poll at which the server, never the browser's clock,
decides that the days are open."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.helpers import page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
OPENS = datetime.datetime(2026, 11, 27, 17, 0, tzinfo=datetime.UTC)  # Friday 27/11, 18:00 in Paris
DAY = datetime.date(2026, 12, 7)
HTMX = {"HTTP_HX_REQUEST": "true"}
NOTICE = "Réservations ouvertes le ven. 27/11 à 18:00"


@pytest.fixture
def parent(client, world):
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    world.aps_a.bookings_open_at = OPENS
    world.aps_a.save()
    return client


def calendar(client, world, activity=True, **headers):
    params = {"enfant": world.paolo.pk, "mois": "2026-12"}
    if activity:
        params["activite"] = world.aps_a.pk
    return page_text(client.get(reverse("family:reserve"), params, **headers))


def poll(client, world, waiting=1, **headers):
    params = {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12", "attente": waiting}
    return client.get(reverse("family:opening"), params, **headers)


def test_the_calendar_says_when_bookings_open(parent, world):
    with time_machine.travel(NOW, tick=False):
        html = calendar(parent, world)
    assert NOTICE in html and 'data-testid="opening-notice"' in html
    assert 'data-date="2026-12-07" data-state="S0"' in html  # not bookable yet
    assert "Réservations pas encore ouvertes" in html  # what a tap on the day shows
    # More than an hour before: no countdown and no polling yet, only the moment to ask again.
    assert 'data-testid="countdown"' not in html and "every " not in html
    assert f'data-opening-in="{int((OPENS - NOW).total_seconds())}"' in html


def test_all_activities_mode_names_the_activity(parent, world):
    with time_machine.travel(NOW, tick=False):
        html = calendar(parent, world, activity=False)
    assert f"<strong>APS MATIN</strong> : {NOTICE}" in html


def test_within_the_last_hour_it_counts_down_and_polls(parent, world, settings):
    settings.OPENING_POLL_SECONDS = 7
    with time_machine.travel(OPENS - datetime.timedelta(minutes=12, seconds=5), tick=False):
        html = calendar(parent, world)
    assert 'data-countdown="725"' in html and "Ouverture dans <span data-countdown-text>12:05</span>" in html
    assert 'hx-trigger="every 7s, opening-due"' in html and "attente=1" in html


def test_the_poll_answers_the_notice_until_the_server_says_it_is_open(parent, world):
    with time_machine.travel(OPENS - datetime.timedelta(seconds=30), tick=False):
        response = poll(parent, world, **HTMX)
    html = page_text(response)
    assert response.status_code == 200 and NOTICE in html and 'data-countdown="30"' in html
    assert 'id="calendar"' not in html and "HX-Retarget" not in response

    with time_machine.travel(OPENS, tick=False):  # the opening moment itself: open
        response = poll(parent, world, **HTMX)
    html = page_text(response)
    assert response["HX-Retarget"] == "#calendar" and response["HX-Reswap"] == "outerHTML"
    assert html.lstrip().startswith('<div id="calendar"')
    assert 'data-date="2026-12-07" data-state="S2"' in html and NOTICE not in html
    assert "Les réservations sont ouvertes : vous pouvez réserver." in html


def test_the_poll_follows_a_change_of_the_opening_time(parent, world):
    """Staff move the opening later: the notice shows the new moment."""
    world.aps_a.bookings_open_at = OPENS + datetime.timedelta(days=1)
    world.aps_a.save()
    with time_machine.travel(NOW, tick=False):
        html = page_text(poll(parent, world, **HTMX))
    assert "Réservations ouvertes le sam. 28/11 à 18:00" in html and 'id="calendar"' not in html


def test_the_poll_without_javascript_goes_to_the_calendar(parent, world):
    with time_machine.travel(NOW, tick=False):
        response = poll(parent, world)
    assert response.status_code == 302 and response["Location"].startswith(reverse("family:reserve"))


@pytest.mark.parametrize("waiting", ["-1", "1001", "x", ""])
def test_a_bad_count_is_refused_in_french(parent, world, waiting):
    with time_machine.travel(NOW, tick=False):
        response = poll(parent, world, waiting=waiting, **HTMX)
    assert response.status_code == 400 and "Nombre d'activités invalide." in page_text(response)
