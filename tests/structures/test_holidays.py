"""Public holidays by region (issue 12 point 8): a structure in Alsace-Moselle
or overseas has public holidays metropolitan France does not (Good Friday,
26 December, the abolition-of-slavery days). The structure says where it is;
bulk openings skip its holidays and working-day délais step over them."""

import datetime

import holidays
import pytest
from django.urls import reverse
from django.utils import timezone

from portail.booking.models import BookingStatus
from portail.booking.reservations import family_reservations
from portail.booking.states import month_states
from portail.structures.calendar import is_public_holiday, structure_closed_days
from portail.structures.models import DayCount, HolidaySubdivision, Structure
from portail.structures.openings import preview_openings
from tests import factories as f
from tests.helpers import make_booking, page_text

GOOD_FRIDAY_2027 = datetime.date(2027, 3, 26)  # Easter Sunday is 28/03/2027
SAINT_STEPHEN_2025 = datetime.date(2025, 12, 26)  # a Friday
REUNION_ABOLITION_2027 = datetime.date(2027, 12, 20)  # a Monday
MARTINIQUE_ABOLITION_2026 = datetime.date(2026, 5, 22)  # a Friday


def paris(*args):
    return timezone.make_aware(datetime.datetime(*args))


def set_region(structure, subdivision):
    structure.holiday_subdivision = subdivision
    structure.save(update_fields=["holiday_subdivision"])


# ---------------------------------------------------------------- the calendar


@pytest.mark.parametrize("subdivision", [HolidaySubdivision.MOSELLE, HolidaySubdivision.ALSACE])
def test_alsace_moselle_has_good_friday_and_saint_stephen(subdivision):
    for day in (GOOD_FRIDAY_2027, SAINT_STEPHEN_2025):
        assert is_public_holiday(day, subdivision)
        assert not is_public_holiday(day, HolidaySubdivision.METROPOLITAN)
        assert not is_public_holiday(day)


def test_overseas_abolition_days():
    assert is_public_holiday(REUNION_ABOLITION_2027, HolidaySubdivision.REUNION)
    assert not is_public_holiday(REUNION_ABOLITION_2027, HolidaySubdivision.MARTINIQUE)
    assert is_public_holiday(MARTINIQUE_ABOLITION_2026, HolidaySubdivision.MARTINIQUE)
    for day in (REUNION_ABOLITION_2027, MARTINIQUE_ABOLITION_2026):
        assert not is_public_holiday(day)


def test_every_choice_is_a_subdivision_the_holidays_package_knows():
    known = set(holidays.France.subdivisions)
    assert {value for value, _ in HolidaySubdivision.choices if value} <= known
    assert Structure._meta.get_field("holiday_subdivision").default == HolidaySubdivision.METROPOLITAN


@pytest.mark.parametrize("subdivision", HolidaySubdivision.values)
def test_every_region_keeps_the_national_holidays(subdivision):
    """The pure booking rules check the national holidays themselves: that is only
    right if every region's holidays include them."""
    for year in range(2024, 2036):
        national = set(holidays.France(years=year))
        assert national <= set(holidays.France(years=year, subdiv=subdivision or None)), year


def test_structure_closed_days_hold_its_periods_and_its_region_holidays(world):
    start, end = datetime.date(2026, 12, 1), datetime.date(2027, 4, 30)
    closed = structure_closed_days(world.a.pk, start, end)
    assert datetime.date(2026, 12, 19) in closed and datetime.date(2027, 1, 3) in closed  # A's Christmas closure
    assert datetime.date(2027, 3, 29) in closed  # Easter Monday, everywhere
    assert GOOD_FRIDAY_2027 not in closed
    set_region(world.a, HolidaySubdivision.MOSELLE)
    assert GOOD_FRIDAY_2027 in structure_closed_days(world.a.pk, start, end)
    # B's region did not change
    assert GOOD_FRIDAY_2027 not in structure_closed_days(world.b.pk, start, end)


def test_structure_closed_days_clip_an_absurd_closure(world):
    f.ClosedPeriodFactory(structure=world.b, start_date=datetime.date(1, 1, 1), end_date=datetime.date(2026, 12, 29))
    closed = structure_closed_days(world.b.pk, datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    assert min(closed) == datetime.date(2026, 12, 1) and max(closed) <= datetime.date(2026, 12, 31)


# ---------------------------------------------------------------- bulk openings (B3)


def bulk_url(activity):
    return reverse("admin:structures_activity_bulk_openings", args=[activity.pk])


FRIDAYS_AROUND_EASTER_2027 = {"start": "2027-03-15", "end": "2027-04-09", "weekdays": ["4"]}


def test_bulk_openings_skip_good_friday_in_moselle_only(client, world):
    client.force_login(world.staff_a)
    activity = world.cantine_a
    set_region(world.a, HolidaySubdivision.MOSELLE)
    preview = page_text(client.post(bulk_url(activity), FRIDAYS_AROUND_EASTER_2027))
    assert "1 jour férié ignoré" in preview
    assert client.post(bulk_url(activity), {**FRIDAYS_AROUND_EASTER_2027, "confirm": "1"}).status_code == 302
    assert GOOD_FRIDAY_2027 not in set(activity.openings.values_list("date", flat=True))
    assert activity.openings.count() == 3  # 19/03, 02/04, 09/04

    # The same days for a metropolitan structure: Good Friday is an ordinary Friday.
    metropolitan = f.ActivityFactory(structure=world.b, name="CANTINE B")
    plan = preview_openings(metropolitan, datetime.date(2027, 3, 15), datetime.date(2027, 4, 9), {4})
    assert GOOD_FRIDAY_2027 in plan.to_create and plan.skipped_holidays == 0


def test_bulk_openings_skip_an_overseas_abolition_day(world):
    set_region(world.b, HolidaySubdivision.REUNION)
    activity = f.ActivityFactory(structure=world.b, name="APS REUNION")
    start, end = datetime.date(2027, 12, 13), datetime.date(2027, 12, 17 + 7)
    plan = preview_openings(activity, start, end, {0})
    assert REUNION_ABOLITION_2027 not in plan.to_create
    assert plan.skipped_holidays == 1 and plan.to_create == [datetime.date(2027, 12, 13)]


# ---------------------------------------------------------------- working-day délais


@pytest.fixture
def working_day_activity(world):
    """Structure B (no closure in spring), an activity booked one working day before, at 10:00."""
    activity = f.ActivityFactory(
        structure=world.b,
        name="PERISCOLAIRE",
        booking_deadline_days=1,
        booking_deadline_count=DayCount.WORKING,
        cancellation_deadline_days=1,
        cancellation_deadline_count=DayCount.WORKING,
    )
    f.EnrolmentFactory(child=world.paolo_b, activity=activity)
    return activity


# Tuesday 30/03/2027, one working day back over Easter Monday (everywhere a holiday):
# Friday 26/03 in metropolitan France, Thursday 25/03 where Good Friday is a holiday.
TUESDAY_AFTER_EASTER = datetime.date(2027, 3, 30)


def state_on(world, activity, day, now):
    child = world.family_b.children.get(pk=world.paolo_b.pk)
    months = month_states(child, day.year, day.month, now=now, activity_id=activity.pk)
    return months.activities[0].days[day]


def test_booking_deadline_counts_good_friday_in_moselle(world, working_day_activity):
    f.OpeningFactory(activity=working_day_activity, date=TUESDAY_AFTER_EASTER)
    friday_morning = paris(2027, 3, 26, 9, 0)
    assert state_on(world, working_day_activity, TUESDAY_AFTER_EASTER, friday_morning).bookable

    set_region(world.b, HolidaySubdivision.MOSELLE)
    state = state_on(world, working_day_activity, TUESDAY_AFTER_EASTER, friday_morning)
    assert not state.bookable
    assert state.reason == "Hors délai de réservation (jusqu'au jeu. 25/03 à 10:00)"
    # and on Thursday before 10:00 it still can be booked
    assert state_on(world, working_day_activity, TUESDAY_AFTER_EASTER, paris(2027, 3, 25, 9, 59)).bookable


def test_cancellation_deadline_counts_saint_stephen_in_alsace(world, working_day_activity):
    """Monday 29/12/2025, one working day back: Friday 26/12 in metropolitan France;
    in Alsace 26/12 is a holiday and 25/12 too, so Wednesday 24/12."""
    monday = datetime.date(2025, 12, 29)
    make_booking(
        child=world.paolo_b,
        activity=working_day_activity,
        date=monday,
        status=BookingStatus.ACCEPTED,
        queued_at=paris(2025, 12, 1, 12, 0),
    )
    christmas_noon = paris(2025, 12, 25, 12, 0)

    def line():
        [reservation] = family_reservations(world.family_b, now=christmas_noon)
        return reservation

    assert line().cancellable
    set_region(world.b, HolidaySubdivision.ALSACE)
    assert not line().cancellable
    assert "24/12" in line().cancel_refusal


def test_promotion_notice_gives_the_cancellation_deadline_of_the_region(world, working_day_activity):
    """The e-mail of a place given from the waiting list tells until when it can
    be cancelled: one working day before Tuesday 30/03/2027, over Good Friday in Moselle."""
    from portail.booking.models import Movement, MovementKind
    from portail.notifications.models import OutboxEmail
    from portail.notifications.reports import queue_promotion_notice

    set_region(world.b, HolidaySubdivision.MOSELLE)
    booking = make_booking(
        child=world.paolo_b,
        activity=working_day_activity,
        date=TUESDAY_AFTER_EASTER,
        status=BookingStatus.ACCEPTED,
        queued_at=paris(2027, 3, 1, 12, 0),
    )
    movement = Movement.objects.create(
        kind=MovementKind.PROMOTION,
        booking=booking,
        family=world.family_b,
        structure=world.b,
        outcome=BookingStatus.ACCEPTED,
    )
    assert queue_promotion_notice(movement) == 1
    [email] = OutboxEmail.objects.all()
    assert "annulez-la avant le jeu. 25/03 à 10:00" in email.body_text


# ---------------------------------------------------------------- the structure's admin


def test_staff_set_the_region_in_the_structure_admin(client, world):
    client.force_login(world.staff_a)
    url = reverse("admin:structures_structure_change", args=[world.a.pk])
    html = page_text(client.get(url))
    assert "Jours fériés" in html
    for label in ("France métropolitaine", "Alsace-Moselle (Moselle)", "La Réunion"):
        assert label in html
    data = {
        "name": world.a.name,
        "email": world.a.email,
        "phone": world.a.phone,
        "address": world.a.address,
        "processing_time": "02:00",
        "holiday_subdivision": HolidaySubdivision.MOSELLE,
    }
    assert client.post(url, data).status_code == 302
    world.a.refresh_from_db()
    assert world.a.holiday_subdivision == "57"
    # A value that is not a region is refused and changes nothing.
    response = client.post(url, {**data, "holiday_subdivision": "ZZ"})
    assert response.status_code == 200
    world.a.refresh_from_db()
    assert world.a.holiday_subdivision == "57"
