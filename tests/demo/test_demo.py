"""`make demo` data: idempotent, realistic, and the printed logins work."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from portail.demo import data as demo
from portail.structures.calendar import is_public_holiday
from portail.structures.models import Activity, Child, ClosedPeriod, Enrolment, Family, InfoMessage, Opening

MODELS = [Family, Child, Activity, Opening, Enrolment, ClosedPeriod, InfoMessage]


@pytest.fixture
def fast_demo_password(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_demo_is_idempotent(db, fast_demo_password):
    demo.load_demo(today=datetime.date(2026, 11, 26))
    first = counts()
    demo.load_demo(today=datetime.date(2026, 11, 26))
    assert counts() == first
    assert first["Family"] >= 4 and first["Opening"] > 300


def test_demo_openings_skip_holidays_and_closed_days(db, fast_demo_password):
    demo.load_demo(today=datetime.date(2026, 11, 26))
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


def test_dupont_has_families_in_both_structures(db, fast_demo_password):
    demo.load_demo(today=datetime.date(2026, 11, 26))
    families = Family.objects.filter(accounts__username="dupont")
    assert {f.structure.name for f in families} == {"Mairie de CarteVille", "Accueil de loisirs Les Pinsons"}
    a = families.get(structure__name="Mairie de CarteVille")
    assert sorted(c.first_name for c in a.children.all()) == ["Amalia", "Paolo"]
    assert a.accounts.count() == 2


def test_command_prints_logins_and_they_work(db, client, capsys, fast_demo_password):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "dupont" in out and "agent.carteville" in out and demo.DEMO_PASSWORD in out
    response = client.post(reverse("login"), {"username": "dupont", "password": demo.DEMO_PASSWORD})
    assert response["Location"] == reverse("family:home")
    assert "DUPONT Jean-Paul" in client.get(reverse("family:home")).content.decode()
