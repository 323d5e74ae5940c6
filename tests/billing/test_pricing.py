"""Prices (issue 16 point 1, billing.pricing): the tariff of the day, the QF
bracket, the units from the times, the 2nd / 3rd child reductions, the walk-in
surcharge, what each billing basis bills (late cancellations yes, justified
absences no), and the lines grouped per child × activity × unit price with
their dates. Checked through invoicing.preview, the staff's view of them."""

import datetime

import pytest
from django.utils import timezone

from portail.billing import invoicing, pricing
from portail.billing.models import BillingBasis, PriceUnit
from portail.billing.money import percent_of
from portail.booking.models import BookingStatus, Consumption
from portail.booking.staff_actions import staff_cancel
from tests import factories as f
from tests.billing.tariffs import NOVEMBER, make_tariff
from tests.helpers import make_booking

T = datetime.time


def day(n):
    return datetime.date(2026, 11, n)


def book(child, activity, n, arrival=None, departure=None):
    return make_booking(
        child=child, activity=activity, date=day(n), status=BookingStatus.ACCEPTED, arrival=arrival,
        departure=departure,
    )  # fmt: skip


def present(child, activity, n, arrival=None, departure=None):
    return Consumption.objects.create(
        child=child, activity=activity, date=day(n), present=True, arrival=arrival, departure=departure
    )


def lines(world, family=None):
    """{(child first name, label, days of the month, quantity, unit price, amount)} of the family's preview."""
    family = family or world.family_a
    found = set()
    for fp in invoicing.preview(world.a, NOVEMBER).families:
        if fp.family.pk == family.pk:
            for line in fp.lines:
                days = tuple(d.day for d in line.dates)
                found.add((line.child.first_name, line.label, days, line.quantity, line.unit_price_cents,
                           line.amount_cents))  # fmt: skip
            assert len(found) == len(fp.lines)
            assert fp.total_cents == sum(line.amount_cents for line in fp.lines)
    return found


def anomalies(world, family=None):
    family = family or world.family_a
    return next(fp.anomalies for fp in invoicing.preview(world.a, NOVEMBER).families if fp.family.pk == family.pk)


def with_qf(family, qf, until=datetime.date(2026, 12, 31)):
    family.quotient_familial, family.qf_valid_until = qf, until
    family.save()


# ------------------------------------------------------------ tariff and bracket


def test_the_tariff_of_the_day_is_the_latest_valid_from(world):
    september = make_tariff(world.aps_a, {None: 300}, valid_from=datetime.date(2026, 9, 1))
    november = make_tariff(world.aps_a, {None: 350}, valid_from=day(16))
    assert pricing.tariff_on(world.aps_a, datetime.date(2026, 8, 31)) is None
    assert pricing.tariff_on(world.aps_a, day(15)) == september
    assert pricing.tariff_on(world.aps_a, day(16)) == november
    book(world.paolo, world.aps_a, 13)
    book(world.paolo, world.aps_a, 16)
    book(world.paolo, world.aps_a, 17)
    # A new rate never reprices the days before it: two lines, one per price.
    assert lines(world) == {("Paolo", "APS MATIN", (13,), 1, 300, 300), ("Paolo", "APS MATIN", (16, 17), 2, 350, 700)}


@pytest.mark.parametrize(
    ("qf", "until", "price"),
    [
        (0, datetime.date(2026, 12, 31), 100),
        (400, datetime.date(2026, 12, 31), 100),  # at the limit: this bracket
        (401, datetime.date(2026, 12, 31), 200),
        (800, datetime.date(2026, 12, 31), 200),
        (801, datetime.date(2026, 12, 31), 300),  # above every limit: the top bracket
        (400, datetime.date(2026, 11, 1), 300),  # expired on the day: the top bracket
        (None, None, 300),  # no QF: the top bracket
    ],
)
def test_the_bracket_of_the_familys_qf_on_the_day(world, qf, until, price):
    tariff = make_tariff(world.aps_a, {400: 100, 800: 200, None: 300})
    with_qf(world.family_a, qf, until)
    assert pricing.unit_price_cents(tariff, world.family_a, day(2)) == price
    book(world.paolo, world.aps_a, 2)
    assert lines(world) == {("Paolo", "APS MATIN", (2,), 1, price, price)}
    missing = "Quotient familial manquant ou expiré : tranche haute"
    assert (missing in anomalies(world)) == (qf is None or until < day(2))


def test_a_qf_expiring_in_the_month_changes_the_bracket_that_day(world):
    make_tariff(world.aps_a, {400: 100, None: 300})
    with_qf(world.family_a, 350, until=day(10))
    book(world.paolo, world.aps_a, 10)
    book(world.paolo, world.aps_a, 12)
    assert lines(world) == {("Paolo", "APS MATIN", (10,), 1, 100, 100), ("Paolo", "APS MATIN", (12,), 1, 300, 300)}
    assert anomalies(world) == ["Quotient familial manquant ou expiré : tranche haute"]


def test_a_single_price_tariff_reports_no_missing_qf(world):
    make_tariff(world.aps_a, {None: 300})
    book(world.paolo, world.aps_a, 2)
    assert anomalies(world) == []


def test_without_a_top_bracket_the_highest_one_applies(world):
    tariff = make_tariff(world.aps_a, {400: 100, 800: 200})
    assert pricing.unit_price_cents(tariff, world.family_a, day(2)) == 200


def test_an_activity_without_tariff_is_reported_and_not_billed(world):
    make_tariff(world.aps_a, {None: 300})
    book(world.paolo, world.aps_a, 2)
    book(world.paolo, world.cantine_a, 2)
    preview = invoicing.preview(world.a, NOVEMBER)
    (fp,) = [fp for fp in preview.families if fp.family == world.family_a]
    assert [line.activity for line in fp.lines] == [world.aps_a]
    assert fp.anomalies == ["Pas de tarif pour RESTAURATION : non facturé"]
    assert "Pas de tarif pour RESTAURATION : non facturé" in preview.anomalies


# ------------------------------------------------------------ units


@pytest.mark.parametrize(
    ("unit", "arrival", "departure", "count"),
    [
        (PriceUnit.DAY, T(7, 30), T(18, 30), 1),
        (PriceUnit.QUARTER_HOUR, T(16, 30), T(17, 0), 2),
        (PriceUnit.QUARTER_HOUR, T(16, 30), T(17, 1), 3),  # a started quarter hour counts
        (PriceUnit.QUARTER_HOUR, T(16, 30), T(16, 30), 1),  # at least one
        (PriceUnit.HOUR, T(16, 30), T(18, 30), 2),
        (PriceUnit.HOUR, T(16, 30), T(18, 31), 3),
        (PriceUnit.HOUR, None, T(18, 0), None),
    ],
)
def test_units_are_started_quarter_hours_or_hours(unit, arrival, departure, count):
    assert pricing.units(unit, arrival, departure) == count


def test_timed_units_come_from_the_booked_times_then_the_activitys(world):
    garderie = f.ActivityFactory(
        structure=world.a, name="GARDERIE", code="GARD", has_times=True, earliest_time=T(16, 30),
        latest_time=T(18, 30), time_step_minutes=15,
    )  # fmt: skip
    make_tariff(garderie, {None: 80}, unit=PriceUnit.QUARTER_HOUR)
    book(world.paolo, garderie, 2, T(16, 30), T(17, 15))  # 3 quarter hours
    book(world.paolo, garderie, 3)  # no booked times: the activity's, 8 quarter hours
    assert lines(world) == {("Paolo", "GARDERIE (par quart d'heure commencé)", (2, 3), 11, 80, 880)}


def test_consumptions_basis_counts_the_roll_calls_times(world):
    garderie = f.ActivityFactory(
        structure=world.a, name="GARDERIE", code="GARD", has_times=True, earliest_time=T(16, 30),
        latest_time=T(18, 30), time_step_minutes=15,
    )  # fmt: skip
    make_tariff(garderie, {None: 200}, unit=PriceUnit.HOUR, basis=BillingBasis.CONSUMPTIONS)
    book(world.paolo, garderie, 2, T(16, 30), T(17, 0))
    present(world.paolo, garderie, 2, T(16, 30), T(18, 10))  # stayed later: 2 started hours
    book(world.paolo, garderie, 3, T(16, 30), T(17, 0))
    present(world.paolo, garderie, 3)  # no times at the roll call: the booked ones, 1 hour
    book(world.paolo, garderie, 5, T(16, 30), T(17, 0))  # booked, absent: not billed on this basis
    assert lines(world) == {("Paolo", "GARDERIE (par heure commencée)", (2, 3), 3, 200, 600)}


# ------------------------------------------------------------ children and walk-ins


def test_second_and_third_children_get_their_reductions_by_birth_date(world):
    make_tariff(world.aps_a, {None: 333}, second_child_reduction_percent=20, third_child_reduction_percent=50)
    youngest = f.ChildFactory(family=world.family_a, first_name="Zoé", birth_date=datetime.date(2021, 1, 1))
    for child in (youngest, world.amalia, world.paolo):
        book(child, world.aps_a, 2)
    book(youngest, world.aps_a, 3)  # alone that day: the full price
    second = 333 - percent_of(333, 20)  # 333 − 66,6 → 67 (half up) = 266
    third = 333 - percent_of(333, 50)  # 333 − 166,5 → 167 = 166
    assert (second, third) == (266, 166)
    assert lines(world) == {
        ("Amalia", "APS MATIN — 2e enfant : −20 %", (2,), 1, second, second),
        ("Paolo", "APS MATIN", (2,), 1, 333, 333),
        ("Zoé", "APS MATIN — 3e enfant et suivants : −50 %", (2,), 1, third, third),
        ("Zoé", "APS MATIN", (3,), 1, 333, 333),
    }


def test_reductions_count_children_per_activity(world):
    make_tariff(world.aps_a, {None: 300}, second_child_reduction_percent=20)
    make_tariff(world.cantine_a, {None: 400}, second_child_reduction_percent=20)
    book(world.paolo, world.aps_a, 2)
    book(world.amalia, world.cantine_a, 2)  # another activity: she is the first there
    assert lines(world) == {
        ("Amalia", "RESTAURATION", (2,), 1, 400, 400),
        ("Paolo", "APS MATIN", (2,), 1, 300, 300),
    }


@pytest.mark.parametrize("basis", [BillingBasis.BOOKINGS, BillingBasis.CONSUMPTIONS])
def test_a_child_present_without_a_booking_pays_the_surcharge(world, basis):
    make_tariff(world.aps_a, {None: 300}, walk_in_surcharge_percent=50, basis=basis)
    book(world.paolo, world.aps_a, 2)
    present(world.paolo, world.aps_a, 2)
    present(world.paolo, world.aps_a, 3)  # no booking
    present(world.paolo, world.aps_a, 4)
    assert lines(world) == {
        ("Paolo", "APS MATIN", (2,), 1, 300, 300),
        ("Paolo", "APS MATIN — présence sans réservation : +50 %", (3, 4), 2, 450, 900),
    }


def test_a_refused_booking_does_not_count_as_booked(world):
    make_tariff(world.aps_a, {None: 300}, walk_in_surcharge_percent=10)
    make_booking(child=world.paolo, activity=world.aps_a, date=day(2), status=BookingStatus.WAITLISTED)
    present(world.paolo, world.aps_a, 2)
    assert lines(world) == {("Paolo", "APS MATIN — présence sans réservation : +10 %", (2,), 1, 330, 330)}


# ------------------------------------------------------------ cancellations and absences


def test_late_cancellations_are_billed_justified_absences_are_not(world):
    make_tariff(world.aps_a, {None: 300})
    on_time, late, justified, absent = (book(world.paolo, world.aps_a, n) for n in (2, 3, 4, 5))
    before = timezone.make_aware(datetime.datetime(2026, 10, 20, 9, 0))
    staff_cancel(on_time, actor=world.staff_a, reason="Demande de la famille", now=before)
    after = timezone.make_aware(datetime.datetime(2026, 11, 3, 9, 0))
    staff_cancel(late, actor=world.staff_a, reason="Demande tardive", now=after)  # after the délai: billed
    staff_cancel(justified, actor=world.staff_a, reason="Absence justifiée", now=after, late=False)
    Consumption.objects.create(child=world.paolo, activity=world.aps_a, date=day(5), present=False)
    assert lines(world) == {
        ("Paolo", "APS MATIN", (5,), 1, 300, 300),  # booked, absent without justification: billed
        ("Paolo", "APS MATIN — annulation hors délai", (3,), 1, 300, 300),
    }


def test_other_structures_and_months_are_not_billed(world):
    make_tariff(world.aps_a, {None: 300})
    make_tariff(world.alsh_b, {None: 900})
    book(world.paolo, world.aps_a, 30)
    make_booking(child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 12, 1), status="accepted")
    make_booking(child=world.paolo_b, activity=world.alsh_b, date=day(4), status="accepted")
    preview = invoicing.preview(world.a, day(17))  # any day of the month
    assert (preview.month, preview.period_end) == (NOVEMBER, day(30))
    assert [(fp.family, fp.total_cents) for fp in preview.families] == [(world.family_a, 300)]
