"""One small fixed world that tests start from.

Two structures (A: Mairie de CarteVille, B: Les Pinsons). The DUPONT account
has a family in both; a second parent account shares family A; MARTIN is
another family of A; each structure has one staff account, plus a site
administrator. Every object of A has a twin in B, so scoping tests can check
that staff of one never reach the other's.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from tests import factories as f


@pytest.fixture
def world(db):
    a = f.StructureFactory(name="Mairie de CarteVille")
    b = f.StructureFactory(name="Accueil de loisirs Les Pinsons")

    dupont = f.UserFactory(username="dupont", first_name="Jean-Paul", last_name="DUPONT")
    dupont2 = f.UserFactory(username="dupont2", first_name="Marie", last_name="DUPONT")
    martin = f.UserFactory(username="martin", first_name="Luc", last_name="MARTIN")
    staff_a = f.StaffFactory(username="agent.a", last_name="AGENT", first_name="Alice", structures=[a])
    staff_b = f.StaffFactory(username="agent.b", last_name="AGENT", first_name="Bob", structures=[b])
    admin = f.UserFactory(username="admin", is_staff=True, is_superuser=True)

    family_a = f.FamilyFactory(
        structure=a, reference="DUP", last_name="DUPONT", first_name="Jean-Paul", accounts=[dupont, dupont2]
    )
    family_b = f.FamilyFactory(
        structure=b, reference="DUP", last_name="DUPONT", first_name="Jean-Paul", accounts=[dupont]
    )
    martin_a = f.FamilyFactory(structure=a, reference="MAR", last_name="MARTIN", first_name="Luc", accounts=[martin])

    paolo = f.ChildFactory(
        family=family_a, first_name="Paolo", last_name="DUPONT", birth_date=datetime.date(2017, 5, 2)
    )
    amalia = f.ChildFactory(
        family=family_a, first_name="Amalia", last_name="DUPONT", birth_date=datetime.date(2019, 8, 21)
    )
    paolo_b = f.ChildFactory(
        family=family_b, first_name="Paolo", last_name="DUPONT", birth_date=datetime.date(2017, 5, 2)
    )
    leo = f.ChildFactory(family=martin_a, first_name="Léo", last_name="MARTIN")

    aps_a = f.ActivityFactory(
        structure=a, name="APS MATIN", code="APSM", is_limited=True, capacity=10, waiting_list_capacity=3
    )
    cantine_a = f.ActivityFactory(structure=a, name="RESTAURATION", code="REST", serves_meal=True)
    alsh_b = f.ActivityFactory(structure=b, name="ALSH MERCREDI", code="ALSH", is_limited=True, capacity=20)

    opening_a = f.OpeningFactory(activity=aps_a, date=datetime.date(2026, 12, 7))
    opening_b = f.OpeningFactory(activity=alsh_b, date=datetime.date(2026, 12, 9))
    enrolment_a = f.EnrolmentFactory(child=paolo, activity=aps_a)
    enrolment_b = f.EnrolmentFactory(child=paolo_b, activity=alsh_b)
    closed_a = f.ClosedPeriodFactory(structure=a)
    closed_b = f.ClosedPeriodFactory(structure=b, label="Fermeture estivale")
    message_a = f.InfoMessageFactory(structure=a, title="Menus de décembre à CarteVille")
    message_b = f.InfoMessageFactory(structure=b, title="Sortie au zoo des Pinsons")

    return SimpleNamespace(**locals())


@pytest.fixture
def password():
    return f.PASSWORD


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language: a request in English
    (LocaleMiddleware, User.language) leaves English active in the thread, as
    the next request of a server would reset it (issue 13 point 3)."""
    with translation.override(settings.LANGUAGE_CODE):
        yield
