"""Issue 18 point 2: a closure of the whole structure or of chosen activities;
an activity open during the school holidays is not closed by the structure's
school-holiday closures; the bulk openings honour that, pre-fill ISO dates
(what a type=date input takes) and tick the activity's usual weekdays; the
délais of an activity count the days it is closed."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from portail.booking import calendar, rules
from portail.structures.calendar import closed_dates
from portail.structures.models import ClosedPeriod, DayCount
from portail.structures.openings import create_openings, preview_openings, usual_weekdays
from tests import factories as f
from tests.fuzz.values import fingerprint
from tests.helpers import page_text


def plain(response):
    """The page's text, tags removed and spaces collapsed, as a reader sees it."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split()).replace(" .", ".")


TOUSSAINT = (datetime.date(2026, 10, 17), datetime.date(2026, 11, 1))
WEDNESDAY = 2


@pytest.fixture
def leisure(world):
    """A Wednesday and holidays leisure centre next to the périscolaire of structure A,
    and the Toussaint holidays marked as school holidays."""
    centre = f.ActivityFactory(
        structure=world.a, name="ACCUEIL DE LOISIRS", code="ALSH", open_during_school_holidays=True
    )
    f.ClosedPeriodFactory(
        structure=world.a, label="Toussaint", start_date=TOUSSAINT[0], end_date=TOUSSAINT[1], school_holidays=True
    )
    return centre


def span(start, end):
    return {start + datetime.timedelta(days=n) for n in range((end - start).days + 1)}


def test_school_holidays_close_the_periscolaire_not_the_leisure_centre(world, leisure):
    toussaint = span(*TOUSSAINT)
    assert closed_dates(world.a, *TOUSSAINT, activity=world.aps_a) == toussaint
    assert closed_dates(world.a, *TOUSSAINT, activity=leisure) == set()
    # The structure as a whole (no activity): its closures of everyone, school holidays included.
    assert closed_dates(world.a, *TOUSSAINT) == toussaint


def test_a_closure_of_chosen_activities_closes_only_them(world, leisure):
    trip = f.ClosedPeriodFactory(
        structure=world.a, label="Sortie", start_date=datetime.date(2026, 10, 21), end_date=datetime.date(2026, 10, 21)
    )
    trip.activities.set([leisure])
    day = datetime.date(2026, 10, 21)
    assert day in closed_dates(world.a, day, day, activity=leisure)
    assert closed_dates(world.a, day, day) == {day}  # Toussaint, a closure of everyone but the centre
    # A closure chosen for an activity closes it even in school holidays it is open during.
    outside_holidays = datetime.date(2026, 12, 2)
    trip.start_date = trip.end_date = outside_holidays
    trip.save()
    assert closed_dates(world.a, outside_holidays, outside_holidays, activity=leisure) == {outside_holidays}
    assert closed_dates(world.a, outside_holidays, outside_holidays, activity=world.aps_a) == set()
    assert closed_dates(world.a, outside_holidays, outside_holidays) == set()


def test_bulk_openings_of_the_leisure_centre_run_through_the_holidays(world, leisure):
    plan = preview_openings(leisure, *TOUSSAINT, {WEDNESDAY})
    assert plan.to_create == [datetime.date(2026, 10, 21), datetime.date(2026, 10, 28)]
    assert plan.skipped_closed == 0
    periscolaire = preview_openings(world.aps_a, *TOUSSAINT, {0, 1, 3, 4})
    assert periscolaire.to_create == [] and periscolaire.skipped_closed > 0
    assert create_openings(leisure, *TOUSSAINT, {WEDNESDAY}) == 2


def test_the_bulk_openings_screen_prefills_iso_dates_and_the_usual_weekdays(client, world, leisure):
    create_openings(leisure, datetime.date(2026, 11, 2), datetime.date(2026, 11, 30), {WEDNESDAY})
    client.force_login(world.staff_a)
    url = reverse("admin:structures_activity_bulk_openings", args=[leisure.pk])
    html = page_text(client.get(url))
    assert 'type="date" name="start" value="2026-09-01"' in html
    assert 'type="date" name="end" value="2027-07-03"' in html
    assert "01/09/2026" not in html
    checked = {int(v) for v in re.findall(r'name="weekdays" value="(\d)"[^>]*checked', html)}
    assert checked == {WEDNESDAY}
    # An ISO date posted back, as the browser sends it, is read.
    data = {"start": "2026-10-19", "end": "2026-10-30", "weekdays": [WEDNESDAY]}
    preview = plain(client.post(url, data))
    assert "2 ouvertures seront créées." in preview


def test_usual_weekdays_ignore_a_one_off_day(world, leisure):
    assert usual_weekdays(world.aps_a) == [0, 1, 3, 4]  # no opening yet: the school days
    assert usual_weekdays(leisure) == [0, 1, 2, 3, 4]  # no opening yet, open in the holidays: every weekday
    create_openings(leisure, datetime.date(2026, 11, 2), datetime.date(2026, 11, 30), {WEDNESDAY})
    f.OpeningFactory(activity=leisure, date=datetime.date(2026, 11, 21))  # a Saturday outing
    assert usual_weekdays(leisure) == [WEDNESDAY]


def test_the_closure_admin_chooses_activities_of_its_structure_only(client, world, leisure):
    client.force_login(world.admin)
    url = reverse("admin:structures_closedperiod_add")
    data = {
        "structure": world.a.pk, "label": "Grève", "start_date": "03/12/2026", "end_date": "03/12/2026",
        "activities": [world.aps_a.pk, world.alsh_b.pk],
    }  # fmt: skip
    before = fingerprint()
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Activités d'une autre structure : ALSH MERCREDI." in page_text(response)
    assert fingerprint() == before
    data["activities"] = [world.aps_a.pk]
    assert client.post(url, data).status_code == 302
    assert list(ClosedPeriod.objects.get(label="Grève").activities.all()) == [world.aps_a]
    listing = page_text(client.get(reverse("admin:structures_closedperiod_changelist")))
    assert "APS MATIN" in listing and "toutes" in listing


def test_a_closure_of_an_activity_counts_for_its_working_day_delais_only(world, leisure):
    """The cancellation délai of a day, 2 working days before at 10:00: a day
    the activity is closed is not a working day for it, and only for it."""
    for activity in (world.aps_a, leisure):
        activity.cancellation_deadline_count = DayCount.WORKING
        activity.cancellation_deadline_days = 2
        activity.save()
    closure = f.ClosedPeriodFactory(
        structure=world.a, label="Travaux", start_date=datetime.date(2026, 12, 8), end_date=datetime.date(2026, 12, 8)
    )
    closure.activities.set([leisure])
    day = datetime.date(2026, 12, 9)  # a Wednesday; the Tuesday 8th is closed for the centre only
    paris = timezone.get_current_timezone()
    assert calendar.cancellation_deadline(world.aps_a, day) == datetime.datetime(2026, 12, 7, 10, 0, tzinfo=paris)
    assert calendar.cancellation_deadline(leisure, day) == datetime.datetime(2026, 12, 4, 10, 0, tzinfo=paris)
    # closed_days: the activity's own (with activity=), the whole structure's without.
    assert datetime.date(2026, 12, 8) in calendar.closed_days(world.a, day, day, activity=leisure)
    assert datetime.date(2026, 12, 8) not in calendar.closed_days(world.a, day, day)
    by_activity = calendar.closed_days_by_activity(world.a.pk, day, day, [world.aps_a, leisure])
    assert by_activity[leisure.pk] == calendar.closed_days(world.a, day, day, activity=leisure)
    assert by_activity[world.aps_a.pk] == calendar.closed_days(world.a, day, day, activity=world.aps_a)
    assert rules.horizon_start(day) <= min(by_activity[leisure.pk] | {day})


def test_school_holidays_are_working_days_for_the_leisure_centre(world, leisure):
    leisure.cancellation_deadline_count = DayCount.WORKING
    leisure.cancellation_deadline_days = 1
    leisure.save()
    world.aps_a.cancellation_deadline_count = DayCount.WORKING
    world.aps_a.cancellation_deadline_days = 1
    world.aps_a.save()
    day = datetime.date(2026, 11, 3)  # Tuesday after Toussaint (1st November: a Sunday and a public holiday)
    paris = timezone.get_current_timezone()
    # The centre counts Monday 2nd; the périscolaire too (after the holidays).
    assert calendar.cancellation_deadline(leisure, day) == datetime.datetime(2026, 11, 2, 10, 0, tzinfo=paris)
    day = datetime.date(2026, 10, 27)  # a Tuesday in the holidays: the périscolaire's Monday 26th is closed
    assert calendar.cancellation_deadline(leisure, day) == datetime.datetime(2026, 10, 26, 10, 0, tzinfo=paris)
    assert calendar.cancellation_deadline(world.aps_a, day) == datetime.datetime(2026, 10, 16, 10, 0, tzinfo=paris)
