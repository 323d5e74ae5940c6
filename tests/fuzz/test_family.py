"""Fuzz suite of the family side and the account pages (issue 12, points 2-3).

ROUTES lists every URL name of the `family:` and `accounts:` namespaces and
`login`/`logout` (tests/fuzz/test_guard.py fails when one is missing). For
each, hypothesis sends random and hostile values (tests/fuzz/values.py: out of
range dates, months and numbers, unicode, control characters, 100 KB strings,
missing and repeated fields, other families' and structures' ids), as DUPONT
on his CarteVille family, as MARTIN (another family of the same structure) and
anonymously, with and without htmx. Never a 500, never the request's markup
echoed raw, and a refused request (4xx) changes nothing in the database.

Then the exact cases of issue 12 that gave a 500 on 3472ea3, one test each.
"""

import csv
import datetime
import io
import os
import uuid

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail.booking import rules
from portail.booking.models import Booking, BookingStatus, Consumption, DraftItem
from portail.structures.models import Activity, ClosedPeriod, Family
from tests import factories as f
from tests.fuzz.values import (
    Route,
    check_answer,
    fingerprint,
    hostile,
    mutations,
    params,
    send,
)
from tests.helpers import make_booking

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}
FAMILY_USERS = ("dupont", "martin", None)  # None: anonymous
# Small in the normal run (the whole file well under a minute); FUZZ_EXAMPLES=500 for a long hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


def _ids(w):
    """Ids a tester would try: the family's own, another family's, another structure's."""
    return [str(x.pk) for x in (w.paolo, w.amalia, w.leo, w.paolo_b)]


def _activities(w):
    return [str(x.pk) for x in (w.aps_a, w.cantine_a, w.alsh_b)]


def _target(w):
    return {
        "enfant": _ids(w),
        "activite": _activities(w),
        "activite_jour": _activities(w),
        "mois": ["2026-12", "2027-01"],
        "date": ["2026-12-07", "2026-12-08"],
        "jour": ["2026-12-07"],
        "debut": ["2026-11-30", "2026-12-07"],
        "arrivee": ["07:30", "08:00"],
        "depart": ["08:30", "09:00"],
    }


def _booking_ids(w):
    return [str(pk) for pk in Booking.objects.values_list("pk", flat=True)] or ["1"]


PHONES = ["06 12 34 56 78", "+33 2.98.00.00.00", ""]
GUARDIAN_FIELDS = {
    "civility": "choice", "last_name": "text", "first_name": "text", "email": "text", "mobile_phone": "text",
    "home_phone": "text", "work_phone": "text", "address": "text",
}  # fmt: skip


def _guardian(w):
    """DUPONT's parent row in CarteVille (created before the fingerprint is taken)."""
    from portail.dossier.models import Guardian

    return Guardian.objects.get_or_create(family=w.family_a, first_name="Marie", last_name="DUPONT")[0]


def _guardian_values(w):
    return {
        "civility": ["M.", "Mme", ""], "last_name": ["DUPONT"], "first_name": ["Marie"],
        "email": ["marie@example.org", ""], "mobile_phone": PHONES, "home_phone": PHONES,
    }  # fmt: skip


HEALTH_FIELDS = {
    "has_food_allergy": "bool", "allergies": "text", "diet": "choice", "has_pai": "bool", "doctor_name": "text",
    "doctor_phone": "text", "vaccinations_up_to_date": "choice", "vaccinations_date": "date", "notes": "text",
}  # fmt: skip
PERSON_FIELDS = {
    "name": "text", "relationship": "text", "phone": "text", "can_pick_up": "bool", "emergency_contact": "bool"
}  # fmt: skip


def _health_values(w):
    return {
        "has_food_allergy": ["on", ""], "allergies": ["Arachide", ""], "diet": ["", "no_pork", "other"],
        "has_pai": ["on"], "doctor_phone": ["01 23 45 67 89"], "vaccinations_up_to_date": ["", "True", "False"],
        "vaccinations_date": ["2026-09-03", "2026-11-27"],
    }  # fmt: skip


def _person_values(w):
    return {"name": ["Josette DUPONT"], "relationship": ["grand-mère"], "phone": PHONES, "can_pick_up": ["on", ""]}


def _person(w):
    """A person allowed to collect Paolo (created before the fingerprint is taken)."""
    from portail.dossier.models import AuthorisedPerson

    return AuthorisedPerson.objects.get_or_create(
        child=w.paolo, name="Josette DUPONT", defaults={"relationship": "grand-mère", "phone": "0612345678"}
    )[0]


def _requirement_keys(w):
    """CarteVille's insurance, per family (created before the fingerprint is taken)."""
    from portail.dossier.models import DocumentType

    insurance = DocumentType.objects.get_or_create(structure=w.a, name="Assurance")[0]
    return [str(insurance.pk), f"{insurance.pk}-{w.paolo.pk}"]


def _document(w):
    """A file DUPONT sent in CarteVille (created before the fingerprint is taken)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portail.dossier.documents import store_document
    from portail.dossier.models import Document, DocumentType

    found = Document.objects.filter(family=w.family_a).first()
    if found is not None:
        return found
    insurance = DocumentType.objects.get_or_create(structure=w.a, name="Assurance")[0]
    pdf = SimpleUploadedFile("assurance.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    return store_document(w.family_a, pdf, doc_type=insurance, uploaded_by=w.dupont)


def _absence_days(w):
    return {"enfant": [str(w.paolo.pk), str(w.leo.pk)], "du": ["2026-12-14", "2026-12-01"], "au": ["2026-12-14"]}


ROUTES = {
    "family:home": Route("get", {"x": "text"}, users=FAMILY_USERS),
    "family:switch_structure": Route(
        "post",
        {"family": "id"},
        valid=lambda w: {"family": [str(x.pk) for x in (w.family_a, w.family_b, w.martin_a)]},
        users=FAMILY_USERS,
    ),
    "family:reserve": Route(
        "get", {"enfant": "id", "activite": "id", "mois": "month", "jour": "date"}, valid=_target, users=FAMILY_USERS
    ),
    "family:toggle_day": Route(
        "post",
        {
            "enfant": "id",
            "activite": "id",
            "activite_jour": "id",
            "mois": "month",
            "date": "date",
            "arrivee": "time",
            "depart": "time",
            "panneau": "bool",
            "cellule": "bool",
        },
        valid=_target,
        users=FAMILY_USERS,
        htmx=True,
    ),
    "family:toggle_set": Route(
        "post",
        {
            "enfant": "id",
            "activite": "id",
            "mois": "month",
            "outil": "choice",
            "debut": "date",
            "jour_semaine": "int",
            "arrivee": "time",
            "depart": "time",
        },
        valid=lambda w: {**_target(w), "outil": ["semaine", "jour-semaine", "mois"], "jour_semaine": ["0", "6"]},
        users=FAMILY_USERS,
        htmx=True,
    ),
    "family:day_panel": Route("get", {"enfant": "id", "date": "date"}, valid=_target, users=FAMILY_USERS, htmx=True),
    "family:opening": Route(
        "get",
        {"enfant": "id", "activite": "id", "mois": "month", "attente": "int"},
        valid=lambda w: {**_target(w), "attente": ["0", "1", "2"]},
        users=FAMILY_USERS,
        htmx=True,
    ),
    "family:copy": Route(
        "post",
        {
            "enfant": "id",
            "activite": "id",
            "mois": "month",
            "source_enfant": "id",
            "source_activite": "id",
            "du": "date",
            "au": "date",
        },
        valid=lambda w: {
            **_target(w),
            "source_enfant": _ids(w),
            "source_activite": _activities(w),
            "du": ["2026-12-01"],
            "au": ["2026-12-31", "2100-12-31"],
        },
        users=FAMILY_USERS,
    ),
    "family:discard": Route("post", {"enfant": "id"}, valid=_target, users=FAMILY_USERS),
    "family:recap": Route("get", {"x": "text"}, users=FAMILY_USERS),
    "family:confirm": Route("post", {"jeton": "text"}, users=FAMILY_USERS, htmx=True),
    "family:result": Route("get", {}, url_kwargs=lambda w: {"pk": 1}, users=FAMILY_USERS),
    "family:reservations": Route(
        "get",
        {"enfant": "id", "activite": "id", "mois": "month", "imprimer": "bool"},
        valid=_target,
        users=FAMILY_USERS,
    ),
    "family:cancel": Route(
        "post", {"reservation": "id"}, valid=lambda w: {"reservation": _booking_ids(w)}, users=FAMILY_USERS
    ),  # fmt: skip
    "family:history": Route(
        "get",
        {"mois": "month", "format": "choice"},
        valid=lambda w: {"mois": ["2026-10", "2026-11"], "format": ["csv", "xlsx"]},
        users=FAMILY_USERS,
    ),
    "family:my_data": Route(
        "get", {"format": "choice"}, valid=lambda w: {"format": ["json", "html", "zip"]}, users=FAMILY_USERS
    ),
    # « Mon dossier » (issue 17 point 1): the family's own rows only; another family's id is a 404.
    "family:dossier": Route("get", {"x": "text"}, users=FAMILY_USERS),
    "family:dossier_household": Route(
        "post", {"address": "text", "phone": "text"}, valid=lambda w: {"phone": PHONES}, users=FAMILY_USERS
    ),
    "family:dossier_guardian": Route(
        "post",
        GUARDIAN_FIELDS,
        url_kwargs=lambda w: {"pk": _guardian(w).pk},
        valid=_guardian_values,
        users=FAMILY_USERS,
    ),
    "family:dossier_guardian_new": Route(
        "post", {**GUARDIAN_FIELDS, "moi": "bool"}, valid=_guardian_values, users=FAMILY_USERS
    ),
    "family:dossier_child": Route(
        "post", {"school_class": "text"}, url_kwargs=lambda w: {"pk": w.paolo.pk}, users=FAMILY_USERS
    ),
    "accounts:invite_parent": Route(
        "post", {"email": "text"}, valid=lambda w: {"email": ["sophie@example.org"]}, users=FAMILY_USERS
    ),
    # Issue 16 points 3, 4: « Factures », « Payer en ligne » (an invoice id) and the return from the bank.
    "family:invoices": Route("get", {"x": "text"}, users=FAMILY_USERS),
    "family:pay": Route("post", {"facture": "id"}, valid=lambda w: {"facture": ["1", "2"]}, users=FAMILY_USERS),
    "family:payment_return": Route(
        "get", {"x": "text"}, url_kwargs=lambda w: {"order": "20261126abcdef"}, users=FAMILY_USERS
    ),
    # Issue 16 point 2: the PDF of one of the family's invoices (another family's is a 404).
    "family:invoice_pdf": Route(
        "get", {"x": "text"}, url_kwargs=lambda w: {"pk": _dupont_invoice(w).pk}, users=FAMILY_USERS
    ),
    # Issue 17 points 2, 3: a child's health sheet and the people allowed to collect it (the family's own only).
    "family:health": Route(
        "post", HEALTH_FIELDS, url_kwargs=lambda w: {"pk": w.paolo.pk}, valid=_health_values, users=FAMILY_USERS
    ),
    "family:authorised_people": Route(
        "post", PERSON_FIELDS, url_kwargs=lambda w: {"pk": w.paolo.pk}, valid=_person_values, users=FAMILY_USERS
    ),
    "family:authorised_person_edit": Route(
        "post",
        PERSON_FIELDS,
        url_kwargs=lambda w: {"pk": w.paolo.pk, "person": _person(w).pk},
        valid=_person_values,
        users=FAMILY_USERS,
    ),
    "family:authorised_person_delete": Route(
        "post", {"x": "text"}, url_kwargs=lambda w: {"pk": w.paolo.pk, "person": _person(w).pk}, users=FAMILY_USERS
    ),
    # Issue 17 points 4, 5: « Mes documents » (a file id of the family's own) and « Absences ».
    "family:documents": Route("get", {"x": "text"}, users=FAMILY_USERS),
    "family:document_upload": Route(
        "post",
        {"document": "text", "fichier": "text"},
        valid=lambda w: {"document": _requirement_keys(w)},
        users=FAMILY_USERS,
    ),
    "family:document_file": Route(
        "get", {"x": "text"}, url_kwargs=lambda w: {"pk": _document(w).pk}, users=FAMILY_USERS
    ),
    "family:absences": Route(
        "get", {"enfant": "id", "du": "date", "au": "date"}, valid=_absence_days, users=FAMILY_USERS
    ),
    "family:absence_declare": Route(
        "post",
        {"enfant": "id", "du": "date", "au": "date", "motif": "choice", "precision": "text", "justificatif": "text"},
        valid=lambda w: {**_absence_days(w), "motif": ["illness", "other"], "precision": ["Angine", ""]},
        users=FAMILY_USERS,
    ),
    "accounts:invitation": Route(
        "post",
        {"new_password1": "text", "new_password2": "text"},
        url_kwargs=lambda w: {"token": "pas-un-jeton"},
        users=(None, "dupont"),
    ),
    "accounts:profile": Route("get", {"x": "text"}, users=FAMILY_USERS),
    # The language choice (issue 13): a choice among the languages, and where to go back.
    "accounts:language": Route("post", {"language": "choice", "next": "text"}, users=FAMILY_USERS),
    "accounts:profile_password": Route(
        "post", {"old_password": "text", "new_password1": "text", "new_password2": "text"}, users=FAMILY_USERS
    ),
    "accounts:profile_email": Route("post", {"email": "text", "current_password": "text"}, users=FAMILY_USERS),
    "accounts:profile_question": Route(
        "post", {"question": "text", "answer": "text", "current_password": "text"}, users=FAMILY_USERS
    ),
    "accounts:recovery": Route(
        "post",
        {"username": "text", "way": "choice"},
        valid=lambda w: {"username": ["dupont", "martin"], "way": ["email", "question"]},
        users=(None,),
    ),
    "accounts:recovery_question": Route("post", {"answer": "text"}, users=(None,)),
    "accounts:recovery_email": Route(
        "post",
        {"username": "text", "email": "text"},
        valid=lambda w: {"username": ["dupont"], "email": ["dupont@example.org"]},
        users=(None,),
    ),
    "accounts:recovery_email_sent": Route("get", {"x": "text"}, users=(None,)),
    "accounts:recovery_link": Route(
        "get", {}, url_kwargs=lambda w: {"uidb64": "MQ", "token": "abc-def"}, users=(None, "dupont")
    ),
    "accounts:recovery_password": Route("post", {"new_password1": "text", "new_password2": "text"}, users=(None,)),
    "login": Route(
        "post",
        {"username": "text", "password": "text", "next": "text"},
        valid=lambda w: {"username": ["dupont", "martin"], "next": ["/reserver/", "//evil.example/"]},
        users=(None,),
    ),
    "logout": Route("post", {"next": "text"}, users=("dupont", None)),
}

NEW_PASSWORD = "Un-mot-de-passe-bien-long-42"

# The right request of each route (DUPONT's own child, an open day...): the
# fuzz also spoils one or two fields of it (values.mutations), which reaches
# the checks and the booking rules behind the first id check.
RIGHT = {
    "family:switch_structure": lambda w: {"family": [str(w.family_a.pk), str(w.family_b.pk)]},
    "family:reserve": lambda w: {
        "enfant": [str(w.paolo.pk)], "activite": [str(w.aps_a.pk), ""], "mois": ["2026-12"], "jour": ["2026-12-07"]
    },
    "family:toggle_day": lambda w: {
        "enfant": [str(w.paolo.pk)], "activite": [str(w.aps_a.pk)], "activite_jour": [str(w.aps_a.pk)],
        "mois": ["2026-12"], "date": ["2026-12-07", "2026-12-14"], "panneau": ["", "1"], "cellule": ["1"],
        "arrivee": ["07:30"], "depart": ["08:30"],
    },
    "family:toggle_set": lambda w: {
        "enfant": [str(w.paolo.pk)], "activite": [str(w.aps_a.pk)], "mois": ["2026-12"],
        "outil": ["semaine", "jour-semaine", "mois"], "debut": ["2026-11-30", "2026-12-07"], "jour_semaine": ["0"],
        "arrivee": ["07:30"], "depart": ["08:30"],
    },
    "family:day_panel": lambda w: {"enfant": [str(w.paolo.pk)], "date": ["2026-12-07"]},
    "family:opening": lambda w: {
        "enfant": [str(w.paolo.pk)], "activite": [str(w.aps_a.pk), ""], "mois": ["2026-12"], "attente": ["0", "1"]
    },
    "family:copy": lambda w: {
        "enfant": [str(w.amalia.pk)], "activite": [str(w.aps_a.pk)], "mois": ["2026-12"],
        "source_enfant": [str(w.paolo.pk)], "source_activite": [str(w.aps_a.pk)],
        "du": ["2026-12-01"], "au": ["2026-12-31"],
    },
    "family:discard": lambda w: {"enfant": [str(w.paolo.pk)]},
    "family:reservations": lambda w: {
        "enfant": [str(w.paolo.pk)], "activite": [str(w.aps_a.pk)], "mois": ["2026-12"], "imprimer": ["1"]
    },
    "family:cancel": lambda w: {"reservation": _booking_ids(w)},
    "family:absence_declare": lambda w: {
        "enfant": [str(w.paolo.pk)], "du": ["2026-12-14"], "au": ["2026-12-14"], "motif": ["illness"]
    },
    "family:history": lambda w: {"mois": ["2026-11", "2026-10"], "format": ["csv", "xlsx", ""]},
    "accounts:profile_password": lambda w: {
        "old_password": [f.PASSWORD], "new_password1": [NEW_PASSWORD], "new_password2": [NEW_PASSWORD]
    },
    "accounts:profile_email": lambda w: {"email": ["jean-paul@example.org", ""], "current_password": [f.PASSWORD]},
    "accounts:profile_question": lambda w: {
        "question": ["Le nom de mon premier chat ?"], "answer": ["Minou le chat"], "current_password": [f.PASSWORD]
    },
    "accounts:recovery": lambda w: {"username": ["dupont"], "way": ["email", "question"]},
    "accounts:language": lambda w: {"language": ["fr", "en"], "next": ["/reserver/", "//evil.example/", ""]},
    "accounts:recovery_email": lambda w: {"username": ["dupont"], "email": ["dupont@example.org"]},
    "login": lambda w: {"username": ["dupont"], "password": [f.PASSWORD], "next": ["/reserver/"]},
}  # fmt: skip


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def fuzz_world(world):
    """The world, with what the deeper paths need: APS MATIN à horaires (the
    times are checked), Amalia enrolled too (a copy target), a booking of
    Paolo (to cancel), a consumption (history)."""
    _timed(world)
    world.aps_a.refresh_from_db()
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    f.OpeningFactory(activity=world.aps_a, date=datetime.date(2026, 12, 14))
    make_booking(
        child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 12, 14), status=BookingStatus.ACCEPTED
    )
    Consumption.objects.create(child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 11, 3))
    return world


def _client(world, user, htmx):
    """A fresh client logged in as `user` (on DUPONT's CarteVille family); the
    login itself (last_login, session) happens before any fingerprint."""
    client = Client(**(HTMX if htmx else {}))
    if user is not None:
        client.force_login(getattr(world, user))
        if user == "dupont":
            client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


@pytest.mark.parametrize("name", sorted(ROUTES))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draw=st.data())
def test_hostile_parameters_never_crash_nor_change_anything_when_refused(fuzz_world, name, draw):
    world = fuzz_world
    route = ROUTES[name]
    random = params(route.fields, route.valid(world) if route.valid else None)
    spoiled = mutations(route.fields, RIGHT[name](world) if name in RIGHT else {})
    data = draw.draw(random | spoiled, label="data")
    user = draw.draw(st.sampled_from(route.users), label="user")
    htmx = draw.draw(st.booleans(), label="htmx")
    client = _client(world, user, htmx)
    url = reverse(name, kwargs=route.url_kwargs(world) if route.url_kwargs else None)
    before = fingerprint()
    check_answer(send(client, route, url, data), data, f"{name} as {user} htmx={htmx} with {data!r:.300}", before)


# URL arguments: <int:pk> takes any digits, <str:...> anything but a slash.
PK = st.integers(min_value=0, max_value=2**70)
PATH_ARGUMENTS = {
    "family:result": {"pk": st.integers(min_value=0, max_value=2**70)},
    "family:invoice_pdf": {"pk": st.integers(min_value=0, max_value=2**70)},
    # <slug:order>: letters, digits, - and _ (anything else never reaches the view).
    "family:payment_return": {
        "order": st.text(
            alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=300
        )
    },
    "family:health": {"pk": st.integers(min_value=0, max_value=2**70)},
    "family:authorised_people": {"pk": st.integers(min_value=0, max_value=2**70)},
    "family:authorised_person_edit": {"pk": PK, "person": PK},
    "family:authorised_person_delete": {"pk": PK, "person": PK},
    "family:document_file": {"pk": st.integers(min_value=0, max_value=2**70)},
    "family:dossier_guardian": {"pk": st.integers(min_value=0, max_value=2**70)},
    "family:dossier_child": {"pk": st.integers(min_value=0, max_value=2**70)},
    "accounts:invitation": {"token": hostile("text").filter(lambda s: s and "/" not in s)},
    "accounts:recovery_link": {
        "uidb64": hostile("text").filter(lambda s: s and "/" not in s),
        "token": hostile("text").filter(lambda s: s and "/" not in s),
    },
}


def test_every_route_with_url_arguments_has_their_strategies():
    assert {name for name, route in ROUTES.items() if route.url_kwargs} == set(PATH_ARGUMENTS)


@pytest.mark.parametrize("name", sorted(PATH_ARGUMENTS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draw=st.data())
def test_hostile_url_arguments_never_crash(world, name, draw):
    kwargs = draw.draw(st.fixed_dictionaries(PATH_ARGUMENTS[name]), label="kwargs")
    if name == "family:result" and draw.draw(st.booleans()):
        # Another family's confirmation: found by id, refused by scope.
        kwargs = {"pk": _martins_confirmation(world).pk}
    user = draw.draw(st.sampled_from(ROUTES[name].users), label="user")
    client = _client(world, user, htmx=False)
    before = fingerprint()
    response = client.get(reverse(name, kwargs=kwargs))
    check_answer(response, {k: str(v) for k, v in kwargs.items()}, f"{name} {kwargs!r:.200} as {user}", before)
    if name == "family:result" and user == "dupont":
        assert response.status_code == 404


def _martins_confirmation(world):
    from portail.booking.models import Confirmation

    return Confirmation.objects.filter(family=world.martin_a).first() or Confirmation.objects.create(
        token=uuid.uuid4(), family=world.martin_a, confirmed_by=world.martin
    )


# ------------------------------------------------------------------ exact cases of issue 12


@pytest.fixture
def dupont(world):
    return _client(world, "dupont", htmx=False)


def _reserve_target(world, **more):
    return {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12", **more}


def _timed(world):
    """APS MATIN as an activité à horaires (07:00–09:00 by 30 minutes)."""
    Activity.objects.filter(pk=world.aps_a.pk).update(
        has_times=True, earliest_time=datetime.time(7), latest_time=datetime.time(9), time_step_minutes=30
    )


EXACT_CASES = [
    pytest.param("family:toggle_day", _reserve_target, {"date": "0001-01-01"}, id="jour-date-0001-01-01"),
    pytest.param("family:toggle_day", _reserve_target, {"date": "9999-12-31"}, id="jour-date-9999-12-31"),
    pytest.param(
        "family:toggle_set", _reserve_target, {"mois": "0001-01", "outil": "mois"}, id="ensemble-mois-0001-01"
    ),
    pytest.param(
        "family:toggle_set",
        _reserve_target,
        {"outil": "semaine", "debut": "9999-12-31"},
        id="ensemble-semaine-debut-9999-12-31",
    ),
    pytest.param(
        "family:toggle_day",
        _reserve_target,
        {"date": "2026-12-07", "arrivee": "2026-00", "depart": "08:30"},
        id="jour-arrivee-2026-00",
    ),
    pytest.param(
        "family:toggle_set",
        _reserve_target,
        {"outil": "mois", "arrivee": "2026-00", "depart": "08:30"},
        id="ensemble-arrivee-2026-00",
    ),
    pytest.param(
        "family:toggle_day",
        _reserve_target,
        {"date": "2026-12-07", "arrivee": "07:30:00+05:00", "depart": "08:30"},
        id="jour-arrivee-avec-decalage",
    ),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("name, target, values", EXACT_CASES)
def test_issue_12_malformed_values_are_a_french_400_that_changes_nothing(world, dupont, name, target, values, htmx):
    _timed(world)
    before = fingerprint()
    response = dupont.post(reverse(name), {**target(world), **values}, **(HTMX if htmx else {}))
    assert response.status_code == 400
    text = response.content.decode()
    assert "invalide" in text
    if htmx:
        assert response["Content-Type"].startswith("text/plain")
    assert fingerprint() == before


def test_a_time_off_the_activitys_grid_is_refused_in_french(world, dupont):
    _timed(world)
    data = _reserve_target(world, date="2026-12-07", arrivee="07:10", depart="08:30")
    response = dupont.post(reverse("family:toggle_day"), data, **HTMX)
    assert response.status_code == 200 and "par pas de 30 minutes" in response.content.decode()
    assert not DraftItem.objects.exists()


META = '<meta http-equiv="refresh" content="0;url=//evil.example">'


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    "method, name, field",
    [
        ("post", "family:toggle_set", "mois"),
        ("post", "family:toggle_day", "mois"),
        ("post", "family:toggle_day", "date"),
        ("get", "family:reserve", "mois"),
        ("get", "family:reserve", "jour"),
        ("get", "family:day_panel", "date"),
    ],
)
def test_a_refused_value_is_never_echoed_as_markup(world, dupont, method, name, field, htmx):
    data = {**_reserve_target(world, outil="mois", date="2026-12-07"), field: META}
    response = getattr(dupont, method)(reverse(name), data, **(HTMX if htmx else {}))
    assert response.status_code == 400
    body = response.content.decode()
    assert '<meta http-equiv="refresh" content="0;url=//evil' not in body
    assert "invalide" in body


@pytest.mark.parametrize("count", ["working", "calendar"])
@pytest.mark.parametrize("end", [datetime.date(2026, 12, 29), datetime.date(9999, 12, 31)])
def test_a_closure_from_year_one_stored_in_the_database_never_breaks_reserver(world, dupont, count, end):
    """The admin once accepted a closure from 01/01/0001: every parent of the
    structure then got a 500 on Réserver (the délai walked back to year 1).
    Stored anyway (bulk_create skips the validators), the calendar still answers."""
    ClosedPeriod.objects.bulk_create(
        [ClosedPeriod(structure=world.a, label="Erreur de saisie", start_date=datetime.date(1, 1, 1), end_date=end)]
    )
    Activity.objects.filter(pk=world.aps_a.pk).update(booking_deadline_count=count, cancellation_deadline_count=count)
    for data in ({"enfant": world.paolo.pk}, _reserve_target(world)):
        response = dupont.get(reverse("family:reserve"), data)
        assert response.status_code == 200
    response = dupont.post(reverse("family:toggle_day"), _reserve_target(world, date="2026-12-07"), **HTMX)
    assert response.status_code == 200
    assert dupont.get(reverse("family:reservations")).status_code == 200


def test_a_working_day_delai_stops_at_the_horizon_whatever_is_closed():
    class Everything:
        def __contains__(self, day):
            return True

    day = datetime.date(2026, 12, 7)
    deadline = rules.Deadline(365, datetime.time(10), working_days=True)
    moment = rules.last_moment(day, deadline, Everything())
    assert moment.date() == day - rules.DEADLINE_HORIZON
    # Near the first representable day, neither count overflows.
    for working in (True, False):
        early = rules.last_moment(datetime.date(1, 1, 3), rules.Deadline(365, datetime.time(0), working), set())
        assert early.date() == datetime.date.min


def test_an_opening_and_a_period_stored_in_year_one_never_break_the_calendar(world, dupont):
    Activity.objects.filter(pk=world.aps_a.pk).update(
        booking_period_start=datetime.date(1, 1, 1), booking_period_end=datetime.date(9999, 12, 31)
    )
    f.OpeningFactory(activity=world.aps_a, date=datetime.date(1, 1, 1))
    for month in ("2000-01", "2100-12", "2026-12"):
        response = dupont.get(reverse("family:reserve"), _reserve_target(world, mois=month))
        assert response.status_code == 200, month


# Names stored before the validators; BEL rather than NUL, which PostgreSQL cannot store at all.
NAMES = ["DUPONT\r\nJean", 'Nom "avec" guillemets', "Dupont\x07\x1b[31m", "Ünïcødé 🙂", "<script>"]


@pytest.mark.parametrize("export", ["csv", "xlsx"])
@pytest.mark.parametrize("name", NAMES)
def test_history_exports_of_any_name_have_a_safe_file_name_and_clean_cells(world, dupont, name, export):
    Family.objects.filter(pk=world.family_a.pk).update(last_name=name)
    type(world.paolo).objects.filter(pk=world.paolo.pk).update(last_name=name, first_name=name)
    Consumption.objects.create(child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 11, 3))
    response = dupont.get(reverse("family:history"), {"format": export})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.isascii() and disposition.count('"') == 2 and "\r" not in disposition
    filename = disposition.split('"')[1]
    assert filename.startswith("historique-") and filename.endswith(f"-2026-11.{export}")
    assert all(c.isalnum() or c in "-." for c in filename), filename
    if export == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        cells = [cell for row in rows for cell in row]
        assert len(rows) == 2  # the header and the one row: no line break split it
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        cells = [str(c.value or "") for row in sheet.iter_rows() for c in row]
    assert not any(ch < " " for cell in cells for ch in cell), cells


@pytest.mark.parametrize(
    "field, value",
    [("enfant", "99999999999999999999"), ("enfant", "-1"), ("enfant", "1e3"), ("activite", "9223372036854775808")],
)
def test_ids_beyond_the_column_are_not_found(world, dupont, field, value):
    before = fingerprint()
    data = {**_reserve_target(world, date="2026-12-07"), field: value}
    assert dupont.post(reverse("family:toggle_day"), data, **HTMX).status_code == 404
    assert dupont.get(reverse("family:reserve"), data).status_code == 404
    assert fingerprint() == before


def test_another_familys_ids_stay_not_found(world, dupont):
    before = fingerprint()
    for data in (_reserve_target(world, enfant=world.leo.pk), _reserve_target(world, activite=world.alsh_b.pk)):
        assert dupont.post(reverse("family:toggle_day"), {**data, "date": "2026-12-07"}, **HTMX).status_code == 404
    assert fingerprint() == before


# The edges of the product's window and the values that broke 3472ea3, put in
# every day, month and time field of every route's right request: random
# draws rarely land on year 1 exactly, this sweep always does.
EDGES = ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01", "0001-01", "9999-12", "2026-00", "12:00:00+05:00"]


def test_edge_values_in_every_day_month_and_time_field(fuzz_world):
    world = fuzz_world
    client = _client(world, "dupont", htmx=True)
    before = fingerprint()
    tried = 0
    for name, right in sorted(RIGHT.items()):
        route = ROUTES[name]
        base = {field: values[0] for field, values in right(world).items()}
        for field in (name for name, kind in route.fields.items() if kind in ("date", "month", "time")):
            for value in EDGES:
                data = {**base, field: value}
                response = send(client, route, reverse(name), data)
                check_answer(response, data, f"{name} {field}={value}", before)
                if response.status_code < 400:
                    before = fingerprint()
                tried += 1
    assert tried > 100  # the sweep reached the fields


def _dupont_invoice(world):
    """DUPONT's November invoice in CarteVille (issue 16 point 2), written as issued."""
    from tests.billing.invoice_rows import make_invoice

    return world.family_a.invoices.first() or make_invoice(world.family_a, month=datetime.date(2026, 11, 1))
