"""The processing run ("transmission", N1): every "Non transmis" movement is
stamped exactly once, a crashed run is resumed and finished, one report per
family and run, structures processed separately, the header date (A4), and
the worker that starts each structure's run at its time."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from portail.booking import drafts, processing, rules
from portail.booking.confirm import confirm_draft
from portail.booking.models import FamilyReport, Movement, MovementKind, ProcessingRun
from portail.booking.processing import is_due, process_requests
from portail.family.context_processors import header
from tests import factories as f

PARIS = rules.PARIS
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=PARIS)
MON, TUE, WED, THU = (datetime.date(2026, 12, d) for d in (7, 8, 9, 10))


def confirm(family, account, clicks, now=NOW):
    """Click each (child, activity, day) into the account's draft, then confirm."""
    draft = drafts.get_draft(family, account)
    for child, activity, day in clicks:
        drafts.toggle_day(draft, child, activity, day, now=now)
    result = confirm_draft(draft, draft.token, user=account, now=now)
    assert result.error is None
    return result


@pytest.fixture
def movements(world):
    """Fourteen movements of structure A from three families, one of B.

    A: DUPONT books 5 canteen days and 1 APS day, then cancels both (6 bookings,
    2 cancellations); MARTIN books 3 canteen days and 1 APS day, waitlisted then
    promoted (4 bookings, 1 promotion); a third family books 1 day.
    B: DUPONT books 1 day of ALSH MERCREDI.
    """
    canteen, aps = world.cantine_a, world.aps_a
    aps.capacity, aps.waiting_list_capacity = 1, 1
    aps.save()
    for day in (MON, TUE, WED, THU):
        f.OpeningFactory(activity=canteen, date=day)
    third_account = f.UserFactory(username="bernard")
    third = f.FamilyFactory(structure=world.a, last_name="BERNARD", accounts=[third_account])
    zoe = f.ChildFactory(family=third, first_name="Zoé")
    for child in (world.paolo, world.amalia, world.leo, zoe):
        f.EnrolmentFactory(child=child, activity=canteen)
    f.EnrolmentFactory(child=world.leo, activity=aps)

    confirm(world.family_a, world.dupont, [(world.paolo, canteen, d) for d in (MON, TUE, WED)]
            + [(world.amalia, canteen, d) for d in (MON, TUE)] + [(world.paolo, aps, MON)])  # fmt: skip
    confirm(world.martin_a, world.martin, [(world.leo, canteen, d) for d in (MON, TUE, WED)] + [(world.leo, aps, MON)])
    confirm(world.family_a, world.dupont2, [(world.paolo, canteen, WED), (world.paolo, aps, MON)])
    confirm(third, third_account, [(zoe, canteen, THU)])
    confirm(world.family_b, world.dupont, [(world.paolo_b, world.alsh_b, WED)])

    assert Movement.objects.filter(structure=world.a).count() == 14
    assert Movement.objects.filter(kind=MovementKind.PROMOTION, family=world.martin_a).count() == 1
    return {  # family -> (new bookings, cancellations) expected in its report
        world.family_a.pk: (6, 2),
        world.martin_a.pk: (4, 0),
        third.pk: (1, 0),
    }


def reports(run):
    return {r.family_id: (r.new_bookings, r.cancellations) for r in FamilyReport.objects.filter(run=run)}


def test_every_movement_stamped_once_and_one_report_per_family(world, movements):
    run = process_requests(world.a, now=NOW)
    assert run.finished_at is not None
    assert (run.movements_count, run.families_count) == (14, 3)
    assert set(Movement.objects.filter(structure=world.a).values_list("run", flat=True)) == {run.pk}
    assert reports(run) == movements
    # Structure B's movement is not this run's business.
    assert Movement.objects.get(structure=world.b).run is None

    again = process_requests(world.a, now=NOW)
    assert again.pk != run.pk and again.finished_at is not None
    assert (again.movements_count, again.families_count) == (0, 0)
    assert not Movement.objects.filter(run=again).exists()
    assert FamilyReport.objects.count() == 3 and reports(run) == movements


class Crash(Exception):
    pass


@pytest.mark.parametrize("crash_after", [1, 3])
def test_crash_midway_resumes_the_same_run(world, movements, monkeypatch, crash_after):
    batches = []
    stamp_batch = processing._stamp_batch

    def crashing_stamp_batch(structure, run, batch_size):
        stamped = stamp_batch(structure, run, batch_size)  # committed
        if stamped:
            batches.append(run.pk)
        if len(batches) == crash_after:
            raise Crash("panne après un lot")
        return stamped

    monkeypatch.setattr(processing, "_stamp_batch", crashing_stamp_batch)
    with pytest.raises(Crash):
        process_requests(world.a, now=NOW, batch_size=3)
    crashed = ProcessingRun.objects.get(structure=world.a)
    assert crashed.finished_at is None
    stamped = Movement.objects.filter(run=crashed)
    assert stamped.count() == 3 * crash_after
    assert Movement.objects.filter(structure=world.a, run__isnull=True).count() == 14 - 3 * crash_after
    assert not FamilyReport.objects.exists()
    # An unfinished run is no "last update" and the structure's run is still due.
    assert header_date(world) is None

    # A demande confirmed between the crash and the resumption joins the resumed run.
    confirm(world.family_a, world.dupont, [(world.amalia, world.cantine_a, WED)])
    expected = dict(movements)
    expected[world.family_a.pk] = (7, 2)

    monkeypatch.setattr(processing, "_stamp_batch", stamp_batch)  # the worker restarted
    resumed = process_requests(world.a, now=NOW, batch_size=3)
    assert resumed.pk == crashed.pk and resumed.finished_at is not None
    assert ProcessingRun.objects.filter(structure=world.a).count() == 1
    assert (resumed.movements_count, resumed.families_count) == (15, 3)
    assert set(Movement.objects.filter(structure=world.a).values_list("run", flat=True)) == {resumed.pk}
    assert reports(resumed) == expected

    rerun = process_requests(world.a, now=NOW, batch_size=3)
    assert rerun.pk != resumed.pk and rerun.movements_count == 0
    assert FamilyReport.objects.count() == 3


def test_crash_while_building_the_reports_is_resumed(world, movements, monkeypatch):
    """The reports and the end of the run are one transaction: a crash there
    leaves every movement stamped, no report, and the run to resume."""
    real_bulk_create = FamilyReport.objects.bulk_create

    def crash(*args, **kwargs):
        raise Crash("panne pendant les comptes-rendus")

    monkeypatch.setattr(FamilyReport.objects, "bulk_create", crash)
    with pytest.raises(Crash):
        process_requests(world.a, now=NOW)
    crashed = ProcessingRun.objects.get(structure=world.a)
    assert crashed.finished_at is None and crashed.movements_count == 0
    assert Movement.objects.filter(run=crashed).count() == 14
    assert not FamilyReport.objects.exists()

    monkeypatch.setattr(FamilyReport.objects, "bulk_create", real_bulk_create)
    resumed = process_requests(world.a, now=NOW)
    assert resumed.pk == crashed.pk and resumed.finished_at is not None
    assert (resumed.movements_count, resumed.families_count) == (14, 3)
    assert reports(resumed) == movements


def test_structures_are_processed_separately(world, movements):
    out = StringIO()
    call_command("process_requests", structure=world.b.pk, stdout=out)
    assert out.getvalue() == "Accueil de loisirs Les Pinsons : 1 mouvements, 1 familles.\n"
    run_b = ProcessingRun.objects.get()
    assert run_b.structure == world.b and run_b.finished_at is not None
    assert Movement.objects.get(structure=world.b).run == run_b
    assert not Movement.objects.filter(structure=world.a, run__isnull=False).exists()
    assert FamilyReport.objects.get().family == world.family_b

    call_command("process_requests", structure=world.a.pk, stdout=StringIO())
    run_a = ProcessingRun.objects.get(structure=world.a)
    assert set(Movement.objects.filter(structure=world.a).values_list("run", flat=True)) == {run_a.pk}
    assert ProcessingRun.objects.filter(structure=world.b).count() == 1
    assert reports(run_a) == movements

    with pytest.raises(CommandError, match="Structure 987654321 inconnue"):
        call_command("process_requests", structure=987654321, stdout=StringIO())


def test_without_structure_every_structure_is_processed(world, movements):
    out = StringIO()
    call_command("process_requests", stdout=out)
    assert out.getvalue().splitlines() == [
        "Mairie de CarteVille : 14 mouvements, 3 familles.",
        "Accueil de loisirs Les Pinsons : 1 mouvements, 1 familles.",
    ]
    assert not Movement.objects.filter(run__isnull=True).exists()


def header_date(world, account=None):
    request = RequestFactory().get("/")
    request.user = account or world.martin
    request.session = {}
    return header(request)["header"]["last_update"]


def test_header_shows_when_the_last_run_finished(world, movements):
    assert header_date(world) is None
    finished = datetime.datetime(2026, 11, 27, 2, 0, 42, tzinfo=PARIS)
    with time_machine.travel(finished, tick=False):
        run = process_requests(world.a)
    assert run.finished_at == finished
    assert header_date(world) == finished
    # Structure B's header is B's own: it has not been processed yet.
    family_b_only = f.UserFactory(username="parent.b")
    world.family_b.accounts.add(family_b_only)
    assert header_date(world, family_b_only) is None
    # A later run moves the date on.
    later = finished + datetime.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        process_requests(world.a)
    assert header_date(world) == later


def at(day, hour, minute=0):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


def finished_run(structure, moment):
    return ProcessingRun.objects.create(structure=structure, started_at=moment, finished_at=moment)


def test_is_due_after_processing_time_until_a_run_finishes(world):
    a = world.a  # processing at 02:00 (the default)
    assert a.processing_time == datetime.time(2, 0)
    assert not is_due(a, at(27, 1, 59))
    assert is_due(a, at(27, 2, 0))
    assert is_due(a, at(27, 23, 59))
    finished_run(a, at(26, 2, 5))  # yesterday's run
    assert is_due(a, at(27, 2, 0))
    finished_run(a, at(27, 1, 30))  # a run started by staff before today's time
    assert is_due(a, at(27, 2, 30))
    unfinished = ProcessingRun.objects.create(structure=a, started_at=at(27, 2, 1))  # crashed
    assert is_due(a, at(27, 2, 30))
    unfinished.finished_at = at(27, 2, 10)
    unfinished.save()
    assert not is_due(a, at(27, 2, 30))
    assert not is_due(a, at(27, 23, 59))
    assert not is_due(a, at(28, 1, 59))
    assert is_due(a, at(28, 2, 0))
    # Another structure's run does not count.
    assert is_due(world.b, at(27, 2, 30))


def test_is_due_follows_each_structures_time(world):
    world.b.processing_time = datetime.time(21, 30)
    world.b.save()
    assert not is_due(world.b, at(27, 21, 29))
    assert is_due(world.b, at(27, 21, 30))
    finished_run(world.b, at(27, 21, 31))
    assert not is_due(world.b, at(28, 2, 0))  # before 21:30 the next day, yesterday's evening run counts
    assert is_due(world.b, at(28, 21, 30))


def test_is_due_on_daylight_saving_days(world):
    """02:00 does not exist on 28/03/2027 in Paris (clocks jump to 03:00): the run is due from 03:00."""
    spring = datetime.date(2027, 3, 28)
    assert not is_due(world.a, datetime.datetime.combine(spring, datetime.time(1, 59), tzinfo=PARIS))
    assert is_due(world.a, datetime.datetime.combine(spring, datetime.time(3, 0), tzinfo=PARIS))
    autumn = datetime.date(2026, 10, 25)  # 02:00–03:00 happens twice: due from the first 02:00
    assert not is_due(world.a, datetime.datetime.combine(autumn, datetime.time(1, 59), tzinfo=PARIS))
    assert is_due(world.a, datetime.datetime.combine(autumn, datetime.time(2, 0), tzinfo=PARIS))


def worker(moment):
    """The processing lines of one pass of the worker (it also sends the e-mail outbox)."""
    out = StringIO()
    with time_machine.travel(moment, tick=False):
        call_command("worker", once=True, stdout=out)
    return [line for line in out.getvalue().splitlines() if "mouvements" in line]


def test_worker_runs_due_structures_only(world, movements):
    world.b.processing_time = datetime.time(3, 0)
    world.b.save()

    assert worker(at(27, 1, 59)) == []
    assert not ProcessingRun.objects.exists()

    assert worker(at(27, 2, 30)) == ["Mairie de CarteVille : 14 mouvements traités."]
    run_a = ProcessingRun.objects.get()
    assert (run_a.structure, run_a.finished_at) == (world.a, at(27, 2, 30))
    assert Movement.objects.get(structure=world.b).run is None

    assert worker(at(27, 2, 45)) == []
    assert ProcessingRun.objects.count() == 1

    assert worker(at(27, 3, 0)) == ["Accueil de loisirs Les Pinsons : 1 mouvements traités."]
    assert ProcessingRun.objects.filter(structure=world.b).count() == 1
    assert ProcessingRun.objects.filter(structure=world.a).count() == 1

    # The next night: A again (nothing new), and a demande of the day is processed.
    confirm(world.martin_a, world.martin, [(world.leo, world.cantine_a, THU)], now=at(27, 12))
    assert worker(at(28, 2, 0)) == ["Mairie de CarteVille : 1 mouvements traités."]
    assert not Movement.objects.filter(run__isnull=True).exists()
    assert FamilyReport.objects.filter(run__structure=world.a).count() == 4
