"""`make demo` data: dense, realistic, made through the engine, idempotent, and
the printed logins work (issue 14 point 5)."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portail.accounts.models import User
from portail.booking.models import (
    Booking,
    BookingStatus,
    Confirmation,
    Consumption,
    FamilyReport,
    Movement,
    MovementKind,
    ProcessingRun,
)
from portail.demo import data as demo
from portail.notifications.models import EmailKind, EmailStatus, OutboxEmail
from portail.structures.calendar import is_public_holiday
from portail.structures.models import (
    Activity,
    Child,
    ClosedPeriod,
    Enrolment,
    Family,
    InfoMessage,
    Opening,
    Structure,
)

MODELS = [
    Structure, Family, Child, User, Activity, Opening, Enrolment, ClosedPeriod, InfoMessage, Booking, Movement,
    Confirmation, Consumption, ProcessingRun, FamilyReport, OutboxEmail,
]  # fmt: skip
# Thursday 26 November 2026, 15:00 in Paris: the previous month is October, the next December.
NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 15, 0))
TODAY = NOW.date()


@pytest.fixture
def fast_demo_password(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.parametrize(
    "now",
    # Mid-year; and mid-July: the school year is over (a previous month with bookings, no next one).
    [NOW, timezone.make_aware(datetime.datetime(2026, 7, 20, 23, 0))],
    ids=["november", "july"],
)
def test_demo_is_idempotent(db, fast_demo_password, now):
    demo.load_demo(now=now)
    first = counts()
    demo.load_demo(now=now)
    assert counts() == first
    assert first["Family"] >= 40 and first["Opening"] > 300 and first["Booking"] > 300


def test_the_demo_lives(db, fast_demo_password):
    """Two structures, ~40 families; DUPONT booked this month and next (a place
    given from the waiting list, a waiting list, a refusal on a full day);
    the roll call of the last two months; runs in the past, last night's
    compte-rendu in the outbox; an activity whose bookings open tonight."""
    demo.load_demo(now=NOW)

    assert Structure.objects.count() == 2
    assert Family.objects.count() >= 40
    assert Family.objects.values("last_name").distinct().count() >= 35  # varied names, not FAMILLE 1…40

    # Through the engine: every opening's place counters are its bookings (issue 15).
    wrong = [
        o
        for o in Opening.objects.filter(Q(accepted_count__gt=0) | Q(waitlisted_count__gt=0)).select_related("activity")
        if (o.accepted_count, o.waitlisted_count) != occupancy(o)
    ]
    assert wrong == []
    assert (
        Movement.objects.filter(kind=MovementKind.BOOK).count()
        >= Booking.objects.count() - Booking.objects.filter(status=BookingStatus.CANCELLED).count()
    )

    dupont = Family.objects.get(structure__name="Mairie de CarteVille", accounts__username="dupont")
    bookings = Booking.objects.filter(child__family=dupont)
    current = bookings.filter(date__year=2026, date__month=11)
    following = bookings.filter(date__year=2026, date__month=12)
    assert current.filter(status=BookingStatus.ACCEPTED).count() > 10
    assert following.filter(status=BookingStatus.ACCEPTED).count() > 10
    assert following.filter(status=BookingStatus.WAITLISTED).exists()
    refused = following.get(status=BookingStatus.REFUSED)
    assert "Complet" in refused.reason

    # The full day: every place and every waiting-list place taken.
    full = Opening.objects.get(activity=refused.activity, date=refused.date)
    assert full.accepted_count == full.activity.capacity
    assert full.waitlisted_count == full.activity.waiting_list_capacity
    # A place given from the waiting list to DUPONT when another family cancelled.
    promotion = Movement.objects.get(kind=MovementKind.PROMOTION)
    assert promotion.family == dupont and promotion.booking.status == BookingStatus.ACCEPTED

    # The roll call of October and November up to yesterday, with some absences.
    consumptions = Consumption.objects.filter(child__family=dupont)
    assert consumptions.filter(date__month=10).count() > 10
    assert consumptions.filter(date__month=11).count() > 10
    assert not consumptions.filter(date__gte=TODAY).exists()
    assert Consumption.objects.filter(present=False).exists()
    # The roll call of children who had a place (the engine's accepted bookings).
    accepted = set(Booking.objects.filter(status=BookingStatus.ACCEPTED).values_list("child_id", "activity_id", "date"))
    assert set(Consumption.objects.values_list("child_id", "activity_id", "date")) <= accepted

    # Runs in the past; the last one last night, so the header has a last update.
    runs = ProcessingRun.objects.filter(structure=dupont.structure).order_by("-finished_at")
    assert runs.count() >= 3 and all(run.finished_at < NOW for run in runs)
    assert timezone.localtime(runs[0].finished_at).date() == TODAY
    # Last night's compte-rendu waits in the outbox for the demo's worker; older ones were sent.
    assert OutboxEmail.objects.filter(
        kind=EmailKind.REPORT, to="jean-paul.dupont@example.org", status=EmailStatus.PENDING
    ).exists()
    assert OutboxEmail.objects.filter(kind=EmailKind.REPORT, status=EmailStatus.SENT, sent_at__lt=NOW).exists()
    # What DUPONT booked today, after the run, is « Non transmis ».
    assert Movement.objects.filter(family=dupont, run__isnull=True).exists()

    # The étude opens tonight at 18:00: its days are there, not bookable yet.
    etude = Activity.objects.get(structure=dupont.structure, code="ETUDE")
    assert timezone.localtime(etude.bookings_open_at) == timezone.make_aware(datetime.datetime(2026, 11, 26, 18, 0))
    assert etude.openings.filter(date__month=12).exists()
    assert dupont.children.get(first_name="Paolo").enrolments.filter(activity=etude).exists()


def occupancy(opening):
    rows = Booking.objects.filter(activity_id=opening.activity_id, date=opening.date)
    return rows.filter(status=BookingStatus.ACCEPTED).count(), rows.filter(status=BookingStatus.WAITLISTED).count()


@pytest.mark.parametrize(
    ("hour", "expected"),
    [(9, datetime.datetime(2026, 11, 26, 18, 0)), (16, datetime.datetime(2026, 11, 26, 18, 0)),
     (17, datetime.datetime(2026, 11, 27, 18, 0)), (23, datetime.datetime(2026, 11, 27, 18, 0))],
)  # fmt: skip
def test_the_etude_opens_tonight_or_tomorrow_evening_when_it_is_late(hour, expected):
    now = timezone.make_aware(datetime.datetime(2026, 11, 26, hour, 30))
    opening = demo._opening_tonight(now)
    assert opening > now
    assert timezone.localtime(opening) == timezone.make_aware(expected)


def test_demo_openings_skip_holidays_and_closed_days(db, fast_demo_password):
    demo.load_demo(now=NOW)
    aps = Activity.objects.get(structure__name="Mairie de CarteVille", name="APS MATIN")
    dates = set(aps.openings.values_list("date", flat=True))
    assert datetime.date(2026, 9, 1) in dates  # a Tuesday, first day of school
    assert datetime.date(2026, 11, 11) not in dates  # Armistice
    assert not any(is_public_holiday(d) for d in dates)
    assert not any(d.weekday() in (2, 5, 6) for d in dates)
    for period in ClosedPeriod.objects.filter(structure=aps.structure):
        assert not any(period.start_date <= d <= period.end_date for d in dates)
    assert aps.has_times and aps.is_limited and aps.waiting_list_capacity > 0
    assert [t.strftime("%H:%M") for t in aps.time_choices()] == ["07:30", "07:45", "08:00", "08:15", "08:30"]

    families = Family.objects.filter(accounts__username="dupont")
    assert {f.structure.name for f in families} == {"Mairie de CarteVille", "Accueil de loisirs Les Pinsons"}
    a = families.get(structure__name="Mairie de CarteVille")
    assert sorted(c.first_name for c in a.children.all()) == ["Amalia", "Paolo"]
    assert a.accounts.count() == 2


def test_command_prints_logins_and_they_work(db, client, capsys, fast_demo_password):
    call_command("load_demo")
    out = capsys.readouterr().out
    for username in ("dupont", "dupont.marie", "martin", "agent.carteville", "agent.pinsons", "admin"):
        assert username in out
    assert demo.DEMO_PASSWORD in out
    response = client.post(reverse("login"), {"username": "dupont", "password": demo.DEMO_PASSWORD})
    assert response["Location"] == reverse("family:home")
    assert "DUPONT Jean-Paul" in client.get(reverse("family:home")).content.decode()
    client.logout()
    response = client.post(reverse("admin:login"), {"username": "agent.carteville", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("staff:index")).status_code == 200


def test_the_demo_lets_a_town_try_the_staff_roles(db, client, fast_demo_password):
    """Issue 18 point 7 in the demo: the animator reaches the roll call, not the admin;
    the structure manager reaches the staff accounts screen."""
    call_command("load_demo")
    client.post(reverse("admin:login"), {"username": "animateur.carteville", "password": demo.DEMO_PASSWORD})
    assert client.get(reverse("staff:index")).status_code == 200
    assert client.get(reverse("admin:structures_family_changelist")).status_code == 403
    client.logout()
    client.post(reverse("admin:login"), {"username": "responsable.carteville", "password": demo.DEMO_PASSWORD})
    assert client.get(reverse("admin:structures_family_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_staffaccount_changelist")).status_code == 200
    call_command("load_demo")  # idempotent: the roles stay
    roles = dict(User.objects.filter(username__endswith=".carteville").values_list("username", "staff_role"))
    assert roles == {
        "agent.carteville": "agent",
        "responsable.carteville": "responsable",
        "animateur.carteville": "animateur",
    }
