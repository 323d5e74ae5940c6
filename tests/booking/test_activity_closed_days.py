"""The délais of an activity count its own closed days (issue 18 point 2): a
closure chosen for one activity, or school holidays an activity stays open
during, change that activity's délais only — in the calendar (snapshot), the
confirmation, the forecast and Mes réservations alike."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from portail.booking import drafts
from portail.booking.calendar import cancellation_deadline, closed_days
from portail.booking.confirm import confirm_draft
from portail.booking.forecast import Outcome, forecast_draft
from portail.booking.models import BookingStatus, DraftAction, DraftItem
from portail.booking.reservations import family_reservations
from portail.booking.rules import S
from portail.booking.snapshot import load_snapshot
from portail.structures.models import ClosedPeriod, DayCount
from tests import factories as f
from tests.helpers import make_booking

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime.date(2027, 1, 4)  # world: A closed 19/12/2026 – 03/01/2027
# Two working days before Monday 04/01: counting the holidays as closed, the
# délai ends Thu 17/12 10:00; for an activity open in the holidays, Wed 30/12 10:00
# (Fri 01/01 is a public holiday: Thu 31/12 and Wed 30/12 are the two days).
NOW = datetime.datetime(2026, 12, 28, 12, 0, tzinfo=PARIS)


@pytest.fixture
def scene(world):
    ClosedPeriod.objects.filter(structure=world.a).update(school_holidays=True)
    centre = f.ActivityFactory(
        structure=world.a, name="CENTRE DE LOISIRS", code="CLSH", open_during_school_holidays=True
    )
    for activity in (world.aps_a, centre):
        activity.cancellation_deadline_days = 2
        activity.cancellation_deadline_count = DayCount.WORKING
        activity.save()
        f.OpeningFactory(activity=activity, date=MONDAY)
        f.EnrolmentFactory(child=world.amalia, activity=activity)
        make_booking(child=world.amalia, activity=activity, date=MONDAY, status=BookingStatus.ACCEPTED)
    world.centre = centre
    return world


def test_the_snapshot_gives_each_activity_its_closed_days(scene):
    snap = load_snapshot(scene.a.pk, [scene.amalia.pk], [scene.aps_a.pk, scene.centre.pk], MONDAY, MONDAY, NOW)
    christmas_monday = datetime.date(2026, 12, 21)
    assert christmas_monday in snap.closed_for(scene.aps_a.pk)
    assert christmas_monday not in snap.closed_for(scene.centre.pk)
    # The same days as the one-activity reader every other caller uses.
    for activity in (scene.aps_a, scene.centre):
        assert snap.closed_for(activity.pk) == closed_days(scene.a, MONDAY, MONDAY, activity)


def test_a_booked_day_is_locked_or_cancellable_by_its_own_activitys_closures(scene):
    snap = load_snapshot(scene.a.pk, [scene.amalia.pk], [scene.aps_a.pk, scene.centre.pk], MONDAY, MONDAY, NOW)
    assert snap.state(scene.amalia.pk, scene.aps_a.pk, MONDAY).state == S.BOOKED_LOCKED  # délai passed
    assert snap.state(scene.amalia.pk, scene.centre.pk, MONDAY).state == S.BOOKED  # still cancellable
    assert cancellation_deadline(scene.centre, MONDAY) == datetime.datetime(2026, 12, 30, 10, 0, tzinfo=PARIS)
    assert cancellation_deadline(scene.aps_a, MONDAY) == datetime.datetime(2026, 12, 17, 10, 0, tzinfo=PARIS)
    lines = {line.booking.activity_id: line for line in family_reservations(scene.family_a, now=NOW)}
    assert lines[scene.centre.pk].cancellable and not lines[scene.aps_a.pk].cancellable


def test_the_forecast_and_the_confirmation_follow_each_activitys_closures(scene):
    draft = drafts.get_draft(scene.family_a, scene.dupont)
    for activity in (scene.aps_a, scene.centre):
        DraftItem.objects.create(
            draft=draft, child=scene.amalia, activity=activity, date=MONDAY, action=DraftAction.CANCEL
        )
    items = list(draft.items.select_related("child", "activity"))
    found = forecast_draft(scene.family_a, items, now=NOW)
    forecasts = {item.activity_id: found[item.pk] for item in items}
    assert forecasts[scene.centre.pk].outcome == Outcome.CANCELLED
    assert forecasts[scene.aps_a.pk].outcome == Outcome.REFUSED
    result = confirm_draft(draft, draft.token, user=scene.dupont, now=NOW)
    outcomes = {m.booking.activity_id: m.outcome for m in result.movements}
    assert outcomes == {scene.centre.pk: BookingStatus.CANCELLED, scene.aps_a.pk: BookingStatus.REFUSED}
