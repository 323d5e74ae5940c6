"""The staff screens in English (issue 13 point 3): a staff member whose
account chose English reads the planning, the attendance sheet, the roll call,
the runs and the refusals in English, plurals by English rules; the same pages
stay French for an account that reads French (French plural rule: 0 takes the
singular)."""

import datetime

import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.staff.conftest import DAY, visible_text

PLANNING = reverse("staff:planning")


def read_in(world, language):
    world.staff_a.language = language
    world.staff_a.save(update_fields=["language"])


def test_planning_in_english_then_in_french(staff, world, full_day):
    read_in(world, "en")
    response = staff.get(PLANNING, {"date": DAY.isoformat(), "activite": world.aps_a.pk})
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
    text = visible_text(response)
    for english in ("Children attending (1)", "Waiting list (3)", "Give a place", "Book for a family",
                    "Change the places", "Close the day", "I confirm the closure: the families will be told",
                    "Attendance sheet:", "Daily management"):  # fmt: skip
        assert english in text, english
    for french in ("Enfants accueillis", "Liste d'attente", "Attribuer une place", "Fermer la journée", "Motif"):
        assert french not in text, french

    read_in(world, "fr")
    text = visible_text(staff.get(PLANNING, {"date": DAY.isoformat(), "activite": world.aps_a.pk}))
    assert "Enfants accueillis (1)" in text and "Fermer la journée" in text and "Close the day" not in text


def test_attendance_sheet_and_roll_call_in_english(staff, world, full_day):
    read_in(world, "en")
    query = {"date": DAY.isoformat(), "activite": world.aps_a.pk}
    text = visible_text(staff.get(reverse("staff:sheet"), query))
    assert f"Attendance sheet — {world.aps_a.name}" in text
    assert "Total: 1 child expected" in text and "Leader's name and signature" in text
    assert "Feuille de présence" not in text and "enfant attendu" not in text

    # the roll call is done on the day itself (issue 18 point 5)
    with time_machine.travel(timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(12, 0))), tick=False):
        staff.force_login(world.staff_a)  # the session of NOW has expired by DAY
        text = visible_text(staff.get(reverse("staff:roll_call"), query))
    assert "then tap “Absent” for the exceptions" in text
    assert "Present: 0 · Absent: 0 · Expected: 1 · Not marked: 1" in text and "All present (1 child not marked)" in text
    assert "Not marked" in text and "Non pointé" not in text


def test_runs_counts_and_message_follow_each_languages_plural_rule(staff, world):
    runs = reverse("staff:runs") + f"?structure={world.a.pk}"
    read_in(world, "en")
    assert "0 requests “Not sent”." in visible_text(staff.get(runs))
    response = staff.post(reverse("staff:start_run"), {"structure": world.a.pk})
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Processing finished for Mairie de CarteVille: 0 changes processed, 0 families."]

    read_in(world, "fr")
    assert "0 demande « Non transmis »." in visible_text(staff.get(runs))  # French: 0 is singular
    response = staff.post(reverse("staff:start_run"), {"structure": world.a.pk})
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Traitement terminé pour Mairie de CarteVille : 0 mouvement traité, 0 famille."]


def test_a_refusal_is_explained_in_english(staff, world):
    read_in(world, "en")
    response = staff.get(reverse("staff:runs"), {"page": "douze"})
    assert response.status_code == 400
    text = visible_text(response)
    assert "Invalid page number." in text and "Invalid request" in text
    assert "invalide" not in text


def test_fill_rates_csv_header_in_english(staff, world, full_day):
    read_in(world, "en")
    query = {"activite": world.aps_a.pk, "mois": DAY.strftime("%Y-%m"), "format": "csv"}
    response = staff.get(reverse("staff:fill_rates"), query)
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header == "Date;Day;Booked;Places;Occupancy rate (%);Waiting list;Waiting-list places"
    text = visible_text(staff.get(reverse("staff:fill_rates"), {"activite": world.aps_a.pk, "mois": query["mois"]}))
    assert "1 / 1 places (100%)" in text and "Occupancy rates" in text
