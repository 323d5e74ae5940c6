"""Issue 18 point 1: enrolling children in bulk from the back office's list of
children (filters: structure, age, class; action « Inscrire à… » with a
preview, then one transaction), the class in the family import, and ending
an enrolment: the bookings it leaves behind are listed and cancelled through
the engine, never left silently."""

import datetime
import re

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portail.booking import staff_actions
from portail.booking.enrolment_ends import bookings_outside_enrolments
from portail.booking.models import Booking, BookingStatus, Movement, MovementKind
from portail.structures import importer
from portail.structures.import_views import SESSION_KEY
from portail.structures.models import Child, Enrolment
from tests import factories as f
from tests.fuzz.values import fingerprint
from tests.helpers import page_text


def plain(response):
    """The page's text, tags removed and spaces collapsed, as a reader sees it."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split()).replace(" .", ".")


CHANGELIST = "admin:structures_child_changelist"
NOW = timezone.make_aware(datetime.datetime(2026, 11, 27, 9, 0))
START, END = datetime.date(2027, 1, 4), datetime.date(2027, 6, 30)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent(client, world):
    client.force_login(world.staff_a)
    return client


def action(children, **fields):
    return {"action": "enrol_selected", ACTION_CHECKBOX_NAME: [c.pk for c in children], **fields}


def step(children, activity, start=START, end=END, **extra):
    fields = {"enrolment_step": "1", "activity": activity.pk, "start": start.isoformat(), "end": end.isoformat()}
    return action(children, **fields, **extra)


# ------------------------------------------------------------------ the action


def test_enrol_selected_children_previews_then_writes_in_one_go(agent, world):
    url = reverse(CHANGELIST)
    chosen = [world.paolo, world.amalia, world.leo]
    # Paolo is already enrolled on APS MATIN for the whole school year (the world's enrolment_a).
    page = agent.post(url, {**action(chosen), "index": "0"})
    assert page.status_code == 200
    text = page_text(page)
    assert "3 enfants choisis (Mairie de CarteVille)" in text
    assert 'type="date"' in text
    # Only the children's structure's activities are offered.
    assert "APS MATIN" in text and "ALSH MERCREDI" not in text
    before = Enrolment.objects.count()

    preview = plain(agent.post(url, step(chosen, world.aps_a, preview="1")))
    assert "2 enfants seront inscrits à APS MATIN du 04/01/2027 au 30/06/2027." in preview
    assert "1 déjà inscrit sur cette période (inchangé)." in preview
    assert Enrolment.objects.count() == before  # a preview writes nothing

    done = agent.post(url, step(chosen, world.aps_a, confirm="1"), follow=True)
    assert done.redirect_chain[-1][0].startswith(reverse("admin:structures_enrolment_changelist"))
    text = page_text(done)
    assert "2 enfants inscrits à APS MATIN du 04/01/2027 au 30/06/2027." in text
    assert "1 enfant déjà inscrit sur cette période, inchangé : DUPONT Paolo." in text
    assert Enrolment.objects.count() == before + 2
    for child in (world.amalia, world.leo):
        enrolment = Enrolment.objects.get(child=child, activity=world.aps_a)
        assert (enrolment.start_date, enrolment.end_date) == (START, END)
    assert Enrolment.objects.filter(child=world.paolo, activity=world.aps_a).count() == 1


def test_confirming_twice_enrols_no_child_twice(agent, world):
    url = reverse(CHANGELIST)
    chosen = [world.amalia, world.leo]
    agent.post(url, step(chosen, world.cantine_a, confirm="1"))
    agent.post(url, step(chosen, world.cantine_a, start=START + datetime.timedelta(days=7), confirm="1"))
    assert Enrolment.objects.filter(activity=world.cantine_a).count() == 2


@pytest.mark.parametrize(
    "activity, start, end",
    [
        ("alsh_b", START, END),  # another structure's activity
        ("cantine_a", END, START),  # the end before the start
        ("cantine_a", datetime.date(1900, 1, 1), END),  # outside the dates' window
    ],
)
def test_a_refused_enrolment_writes_nothing(agent, world, activity, start, end):
    before = fingerprint()
    chosen = [world.amalia, world.leo]
    response = agent.post(reverse(CHANGELIST), step(chosen, getattr(world, activity), start, end, confirm="1"))
    assert response.status_code == 200
    assert "Corrigez les erreurs ci-dessous." in page_text(response)
    assert fingerprint() == before


def test_children_of_two_structures_are_refused(client, world):
    client.force_login(world.admin)
    before = fingerprint()
    response = client.post(
        reverse(CHANGELIST), step([world.paolo, world.paolo_b], world.cantine_a, confirm="1"), follow=True
    )
    assert "Choisissez des enfants d'une seule structure" in page_text(response)
    assert fingerprint() == before


def test_another_structures_child_is_never_enrolled(agent, world):
    # Agent A posts the id of B's child with one of A's: the admin's scoped list drops it.
    agent.post(reverse(CHANGELIST), step([world.amalia, world.paolo_b], world.cantine_a, confirm="1"))
    assert Enrolment.objects.filter(activity=world.cantine_a).count() == 1
    assert not Enrolment.objects.filter(child=world.paolo_b, activity=world.cantine_a).exists()


@pytest.mark.parametrize("hostile", ["abc", "-1", "1e3", "99999999999999999999", "١"])
def test_hostile_selections_never_crash_nor_write(agent, world, hostile):
    before = fingerprint()
    data = step([world.amalia], world.cantine_a, confirm="1")
    data[ACTION_CHECKBOX_NAME] = [hostile, str(world.amalia.pk)]
    response = agent.post(reverse(CHANGELIST), data)
    assert response.status_code in (200, 302)
    assert fingerprint() == before


# ------------------------------------------------------------------ filters


def test_the_list_filters_by_age_and_class(agent, world, clock):
    world.leo.school_class = "CE1 — Mme Martin"
    world.leo.save()
    small = f.ChildFactory(family=world.martin_a, first_name="Lou", birth_date=datetime.date(2022, 11, 27))
    url = reverse(CHANGELIST)
    # Lou is 4 today; Léo (born 14/03/2018) is 8; Paolo (02/05/2017) 9; Amalia (21/08/2019) 7.
    three_to_five = page_text(agent.get(url, {"age": "3-5"}))
    assert "MARTIN Lou" in three_to_five and "MARTIN Léo" not in three_to_five
    six_to_eleven = page_text(agent.get(url, {"age": "6-11"}))
    assert "MARTIN Léo" in six_to_eleven and "DUPONT Amalia" in six_to_eleven and "MARTIN Lou" not in six_to_eleven
    by_class = page_text(agent.get(url, {"classe": "CE1 — Mme Martin"}))
    assert "MARTIN Léo" in by_class and "DUPONT Paolo" not in by_class
    assert small.pk  # created in A's scope: listed above
    # B's children are never listed nor offered as a class, whatever the filter.
    f.ChildFactory(family=world.family_b, first_name="Zoé", school_class="CM2 Pinsons")
    assert "CM2 Pinsons" not in page_text(agent.get(url))


def test_a_child_turning_six_today_is_in_six_to_eleven(agent, world, clock):
    f.ChildFactory(family=world.martin_a, first_name="Tim", birth_date=datetime.date(2020, 11, 27))
    f.ChildFactory(family=world.martin_a, first_name="Tam", birth_date=datetime.date(2020, 11, 28))
    url = reverse(CHANGELIST)
    assert "MARTIN Tim" in page_text(agent.get(url, {"age": "6-11"}))
    assert "MARTIN Tam" in page_text(agent.get(url, {"age": "3-5"}))


# ------------------------------------------------------------------ the import


def test_the_import_writes_and_updates_the_class(world):
    header = importer.COLUMN_NAMES

    def line(**cells):
        values = dict.fromkeys(header, "")
        values.update(reference_famille="DUP", civilite="M.", nom="DUPONT", prenom="Jean-Paul", **cells)
        return [values[c] for c in header]

    def run(rows):
        plan = importer.validate(
            world.a, [importer.Row(n + 2, dict(zip(header, r, strict=True))) for n, r in enumerate(rows)]
        )
        return plan

    child = {"enfant_prenom": "Paolo", "enfant_nom": "DUPONT", "enfant_naissance": "02/05/2017"}
    plan = run(
        [
            line(**child, enfant_classe="CE2 — Mme Martin"),
            line(enfant_prenom="Noé", enfant_nom="DUPONT", enfant_naissance="01/02/2020", enfant_classe="MS"),
        ]
    )
    assert plan.is_valid, plan.errors
    assert plan.counts.children_updated == 1 and plan.counts.children_created == 1
    importer.apply(plan)
    world.paolo.refresh_from_db()
    assert world.paolo.school_class == "CE2 — Mme Martin"
    assert Child.objects.get(family=world.family_a, first_name="Noé").school_class == "MS"
    # An empty class keeps the known one; the same file again changes nothing.
    again = run([line(**child)])
    assert again.is_valid and again.counts.changes == 0
    refused = run([line(**child, enfant_classe="CE1\nX"), line(enfant_classe="CP")])
    assert {(e.line, e.column) for e in refused.errors} == {(2, "enfant_classe"), (3, "enfant_classe")}
    assert "enfant_classe" in importer.example_csv().decode("utf-8")


# ------------------------------------------------------------------ ending an enrolment


@pytest.fixture
def booked(world, clock):
    """Paolo booked through the engine on APS MATIN on three days of January."""
    days = [datetime.date(2027, 1, d) for d in (11, 12, 18)]
    for day in days:
        f.OpeningFactory(activity=world.aps_a, date=day)
        staff_actions.staff_book(world.paolo, world.aps_a, day, actor=world.staff_a, reason="Par téléphone", now=NOW)
    return days


def test_shortening_an_enrolment_lists_the_bookings_after_its_new_end(agent, world, booked):
    enrolment = world.enrolment_a
    url = reverse("admin:structures_enrolment_change", args=[enrolment.pk])
    response = agent.post(
        url,
        {"child": world.paolo.pk, "activity": world.aps_a.pk, "start_date": "01/09/2026", "end_date": "11/01/2027"},
    )
    outside_url = reverse("admin:structures_child_outside_enrolments", args=[world.paolo.pk])
    assert response.status_code == 302 and response["Location"] == outside_url
    text = page_text(agent.get(outside_url))
    assert "12/01/2027 — APS MATIN" in text and "18/01/2027 — APS MATIN" in text
    assert "11/01/2027 — APS MATIN" not in text  # still inside the enrolment
    # Nothing is cancelled until staff confirm.
    assert Booking.objects.filter(child=world.paolo, status=BookingStatus.ACCEPTED).count() == 3


def test_cancelling_them_goes_through_the_engine(agent, world, booked):
    Enrolment.objects.filter(pk=world.enrolment_a.pk).update(end_date=datetime.date(2027, 1, 11))
    outside = bookings_outside_enrolments([world.paolo.pk])
    assert [b.date for b in outside] == booked[1:]
    url = reverse("admin:structures_child_outside_enrolments", args=[world.paolo.pk])
    response = agent.post(url, {"bookings": [b.pk for b in outside], "reason": "Fin d'inscription"})
    assert response.status_code == 302
    cancelled = Booking.objects.filter(child=world.paolo, status=BookingStatus.CANCELLED)
    assert sorted(b.date for b in cancelled) == booked[1:]
    # Each one is a movement the family reads in its compte-rendu, with the reason.
    movements = Movement.objects.filter(booking__in=cancelled, kind=MovementKind.CANCEL)
    assert movements.count() == 2 and {m.reason for m in movements} == {"Fin d'inscription"}
    # The counters follow (issue 15): the places are free again.
    for day in booked[1:]:
        assert world.aps_a.openings.get(date=day).accepted_count == 0
    assert bookings_outside_enrolments([world.paolo.pk]) == []


def test_cancelling_needs_a_reason_and_takes_only_listed_bookings(agent, world, booked):
    Enrolment.objects.filter(pk=world.enrolment_a.pk).update(end_date=datetime.date(2027, 1, 11))
    inside = Booking.objects.get(child=world.paolo, date=booked[0])
    url = reverse("admin:structures_child_outside_enrolments", args=[world.paolo.pk])
    before = fingerprint()
    assert agent.post(url, {"bookings": [inside.pk], "reason": "x"}).status_code == 200
    assert agent.post(url, {"bookings": ["abc"], "reason": "x"}).status_code == 200
    outside = bookings_outside_enrolments([world.paolo.pk])
    assert agent.post(url, {"bookings": [outside[0].pk], "reason": " "}).status_code == 200
    assert fingerprint() == before


def test_deleting_an_enrolment_offers_the_same(agent, world, booked):
    url = reverse("admin:structures_enrolment_delete", args=[world.enrolment_a.pk])
    response = agent.post(url, {"post": "yes"})
    assert response["Location"] == reverse("admin:structures_child_outside_enrolments", args=[world.paolo.pk])
    assert len(bookings_outside_enrolments([world.paolo.pk])) == 3


def test_ending_an_enrolment_in_the_childs_page_offers_the_same(agent, world, booked):
    url = reverse("admin:structures_child_change", args=[world.paolo.pk])
    data = {
        "family": world.family_a.pk, "first_name": "Paolo", "last_name": "DUPONT", "birth_date": "02/05/2017",
        "school_class": "", "enrolments-TOTAL_FORMS": "1", "enrolments-INITIAL_FORMS": "1",
        "enrolments-MIN_NUM_FORMS": "0", "enrolments-MAX_NUM_FORMS": "500",
        "enrolments-0-id": world.enrolment_a.pk, "enrolments-0-child": world.paolo.pk,
        "enrolments-0-activity": world.aps_a.pk, "enrolments-0-start_date": "01/09/2026",
        "enrolments-0-end_date": "17/01/2027",
    }  # fmt: skip
    response = agent.post(url, data)
    assert response.status_code == 302, page_text(response)[:3000]
    assert response["Location"] == reverse("admin:structures_child_outside_enrolments", args=[world.paolo.pk])
    assert [b.date for b in bookings_outside_enrolments([world.paolo.pk])] == booked[2:]


def test_another_structures_staff_cannot_see_nor_cancel(client, world, booked):
    Enrolment.objects.filter(pk=world.enrolment_a.pk).update(end_date=datetime.date(2027, 1, 11))
    client.force_login(world.staff_b)
    url = reverse("admin:structures_child_outside_enrolments", args=[world.paolo.pk])
    before = fingerprint()
    assert client.get(url).status_code == 404
    ids = [b.pk for b in bookings_outside_enrolments([world.paolo.pk])]
    assert client.post(url, {"bookings": ids, "reason": "x"}).status_code == 404
    assert fingerprint() == before


def test_an_import_ending_an_enrolment_earlier_points_to_the_bookings_left(agent, world, booked):
    header = importer.COLUMN_NAMES
    values = dict.fromkeys(header, "")
    values.update(
        reference_famille="DUP", civilite="M.", nom="DUPONT", prenom="Jean-Paul", enfant_prenom="Paolo",
        enfant_nom="DUPONT", enfant_naissance="02/05/2017", activite="APSM", inscription_debut="01/09/2026",
        inscription_fin="11/01/2027",
    )  # fmt: skip
    data = ("\r\n".join([";".join(header), ";".join(values[c] for c in header)]) + "\r\n").encode()
    url = reverse("admin:structures_family_import")
    agent.post(url, {"structure": world.a.pk, "file": SimpleUploadedFile("f.csv", data)})
    done = agent.post(url, {"confirm": "1", "sha256": agent.session[SESSION_KEY]["sha256"]}, follow=True)
    world.enrolment_a.refresh_from_db()
    assert world.enrolment_a.end_date == datetime.date(2027, 1, 11)
    text = page_text(done)
    assert "Inscriptions raccourcies : vérifiez les réservations après leur nouvelle fin :" in text
    assert reverse("admin:structures_child_outside_enrolments", args=[world.paolo.pk]) in text
    assert [b.date for b in bookings_outside_enrolments([world.paolo.pk])] == booked[1:]
