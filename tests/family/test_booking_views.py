"""The "Réserver" screens through HTTP (R2–R12): htmx partials, no-JS
fallback, tampered ids, recap, confirmation, result, Mes réservations."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portail.booking.models import Booking, BookingStatus, DraftItem, Movement
from tests import factories as f
from tests.helpers import make_booking, page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def parent(client, world):
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


def toggle(client, world, day=DAY, activity=None, **extra):
    activity = activity or world.aps_a
    data = {"enfant": world.paolo.pk, "activite": activity.pk, "mois": "2026-12", "date": day.isoformat(), **extra}
    return client.post(reverse("family:toggle_day"), data, **HTMX)


def test_reserve_asks_for_the_child_first(parent, world):
    html = page_text(parent.get(reverse("family:reserve")))
    assert "Pour quel enfant" in html and "Paolo" in html and "Amalia" in html


def test_calendar_of_one_activity_shows_states_and_places(parent, world):
    response = parent.get(
        reverse("family:reserve"), {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12"}
    )
    html = page_text(response)
    assert response.status_code == 200
    assert "Décembre 2026" in html and "10 places restantes" in html
    assert 'data-date="2026-12-07" data-state="S2"' in html
    assert "Légende" in html and "Mes réservations" in html


def test_toggle_with_htmx_returns_the_calendar_with_the_mark(parent, world):
    response = toggle(parent, world)
    html = page_text(response)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="calendar"')
    assert 'data-date="2026-12-07" data-state="book"' in html
    assert DraftItem.objects.get().date == DAY
    toggle(parent, world)  # click again: undo
    assert not DraftItem.objects.exists()


def test_toggle_without_javascript_redirects_back(parent, world):
    data = {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12", "date": DAY.isoformat()}
    response = parent.post(reverse("family:toggle_day"), data)
    assert response.status_code == 302 and "mois=2026-12" in response["Location"]
    assert DraftItem.objects.count() == 1


def test_closed_day_gives_a_french_message_and_writes_nothing(parent, world):
    html = page_text(toggle(parent, world, day=datetime.date(2026, 12, 8)))
    assert "Activité non ouverte ce jour" in html
    assert not DraftItem.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [("enfant", "999999"), ("enfant", "abc"), ("activite", "999999"), ("activite", "x")],
)
def test_tampered_ids_are_404(parent, world, field, value):
    data = {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "date": DAY.isoformat(), field: value}
    assert parent.post(reverse("family:toggle_day"), data, **HTMX).status_code == 404
    assert not DraftItem.objects.exists()


def test_another_familys_child_is_404(parent, world):
    data = {"enfant": world.leo.pk, "activite": world.aps_a.pk, "date": DAY.isoformat()}
    assert parent.post(reverse("family:toggle_day"), data, **HTMX).status_code == 404
    assert parent.get(reverse("family:reserve"), {"enfant": world.leo.pk}).status_code == 404


def test_other_structures_activity_is_404(parent, world):
    assert toggle(parent, world, activity=world.alsh_b).status_code == 404


@pytest.mark.parametrize("value", ["2026-13-01", "demain", ""])
def test_malformed_date_is_400_in_french(parent, world, value):
    response = toggle(parent, world, date=value)
    assert response.status_code == 400 and "Date invalide" in page_text(response)


def test_state_changes_refuse_get(parent, world):
    for name in ("toggle_day", "toggle_set", "confirm", "discard", "cancel"):
        assert parent.get(reverse(f"family:{name}")).status_code == 405


def test_week_tool_books_the_bookable_days_of_the_week(parent, world):
    for day in (8, 10, 11):
        f.OpeningFactory(activity=world.aps_a, date=datetime.date(2026, 12, day))
    data = {
        "enfant": world.paolo.pk,
        "activite": world.aps_a.pk,
        "mois": "2026-12",
        "outil": "semaine",
        "debut": "2026-12-07",
    }
    parent.post(reverse("family:toggle_set"), data, **HTMX)
    assert sorted(DraftItem.objects.values_list("date__day", flat=True)) == [7, 8, 10, 11]
    parent.post(reverse("family:toggle_set"), data, **HTMX)
    assert not DraftItem.objects.exists()


def test_recap_confirm_result_and_reservations(parent, world):
    toggle(parent, world)
    recap = page_text(parent.get(reverse("family:recap")))
    assert "Réservations demandées" in recap and "lun. 07/12" in recap and "Confirmer" in recap
    token = DraftItem.objects.get().draft.token
    response = parent.post(reverse("family:confirm"), {"jeton": token})
    assert response.status_code == 302
    result = page_text(parent.get(response["Location"]))
    assert "Place réservée" in result and "Non transmis" in result
    again = parent.post(reverse("family:confirm"), {"jeton": token})  # back button + resubmit
    assert again["Location"] == response["Location"]
    assert Booking.objects.count() == 1 and Movement.objects.count() == 1
    mine = page_text(parent.get(reverse("family:reservations")))
    assert "Non transmis (place réservée)" in mine and "lun. 07/12" in mine


def test_htmx_confirmer_answers_with_the_result_and_its_address(parent, world):
    """R10 on registration night: with JavaScript, "Confirmer" is one round trip.
    The answer is the result itself, not a redirect, and it carries the result's
    address for the history. A reload then GETs that page, which shows the same rows."""
    f.OpeningFactory(activity=world.aps_a, date=DAY + datetime.timedelta(days=1))
    for day in (DAY, DAY + datetime.timedelta(days=1)):
        toggle(parent, world, day=day)
    token = DraftItem.objects.first().draft.token
    response = parent.post(reverse("family:confirm"), {"jeton": token}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "<title>Demandes enregistrées" in body  # the content only, with its title
    confirmation = Movement.objects.first().confirmation
    assert response["HX-Push-Url"] == reverse("family:result", args=[confirmation.pk])
    rows = page_text(response)
    assert rows.count("Place réservée") == 2 and "lun. 07/12" in rows and "mar. 08/12" in rows and "Paolo" in rows
    page = page_text(parent.get(response["HX-Push-Url"]))
    assert page.count("Place réservée") == 2 and "lun. 07/12" in page and "mar. 08/12" in page
    assert Booking.objects.filter(status=BookingStatus.ACCEPTED).count() == 2


def test_htmx_confirmer_shows_the_rows_without_a_query_per_row(parent, world):
    """The answer is built from what the confirmation recorded: no query per demande."""

    def confirm_queries(days):
        for day in days:
            toggle(parent, world, day=day)
        token = DraftItem.objects.first().draft.token
        with CaptureQueriesContext(connection) as queries:
            response = parent.post(reverse("family:confirm"), {"jeton": token}, **HTMX)
        assert page_text(response).count("Place réservée") == len(days)
        return len(queries)

    week = [DAY + datetime.timedelta(days=n) for n in range(5)]
    for day in week[1:]:
        f.OpeningFactory(activity=world.aps_a, date=day)
    assert confirm_queries(week[:1]) == confirm_queries(week[1:])


def test_htmx_confirmer_twice_answers_the_same_result_and_records_nothing_twice(parent, world):
    """R10: a second click that got through (or a replayed request) gets the first result."""
    toggle(parent, world)
    token = DraftItem.objects.get().draft.token
    first = parent.post(reverse("family:confirm"), {"jeton": token}, **HTMX)
    again = parent.post(reverse("family:confirm"), {"jeton": token}, **HTMX)
    assert again.status_code == 200 and again["HX-Push-Url"] == first["HX-Push-Url"]
    assert "Place réservée" in page_text(again)
    assert Booking.objects.count() == 1 and Movement.objects.count() == 1


def test_htmx_confirmer_with_a_stale_token_sends_the_browser_to_the_recap(parent, world):
    """A recap whose token is not the draft's (the draft changed or was confirmed
    elsewhere): the browser goes (a full page, not a swap) to the recap, which
    says why in French; nothing is recorded."""
    toggle(parent, world)
    response = parent.post(reverse("family:confirm"), {"jeton": "6f0b7a56-3f0c-4f5b-9a57-6a0f7a2f1b11"}, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("family:recap")
    assert "Vos demandes ont changé" in page_text(parent.get(reverse("family:recap")))
    assert not Booking.objects.exists() and DraftItem.objects.count() == 1


def test_result_of_another_family_is_404(parent, client, world, password):
    toggle(parent, world)
    token = DraftItem.objects.get().draft.token
    location = parent.post(reverse("family:confirm"), {"jeton": token})["Location"]
    client.force_login(world.martin)
    assert client.get(location).status_code == 404


def test_abandon_empties_the_draft(parent, world):
    toggle(parent, world)
    parent.post(reverse("family:discard"))
    assert not DraftItem.objects.exists()


def test_cancel_a_waiting_list_place_goes_through_the_recap(parent, world):
    world.aps_a.capacity, world.aps_a.waiting_list_capacity = 0, 2
    world.aps_a.is_limited = True
    world.aps_a.save()
    toggle(parent, world)
    parent.post(reverse("family:confirm"), {"jeton": DraftItem.objects.get().draft.token})
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.WAITLISTED
    html = page_text(parent.get(reverse("family:reservations")))
    assert "Annuler la place en liste d'attente" in html and "position 1" in html
    response = parent.post(reverse("family:cancel"), {"reservation": booking.pk})
    assert response["Location"] == reverse("family:recap")
    assert "Annulations demandées" in page_text(parent.get(reverse("family:recap")))
    parent.post(reverse("family:confirm"), {"jeton": DraftItem.objects.get().draft.token})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_cancel_another_familys_booking_is_404(parent, world):
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    other = make_booking(child=world.leo, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    assert parent.post(reverse("family:cancel"), {"reservation": other.pk}).status_code == 404
    assert not DraftItem.objects.exists()


def test_all_activities_mode_day_panel(parent, world):
    response = parent.get(reverse("family:day_panel"), {"enfant": world.paolo.pk, "date": DAY.isoformat()}, **HTMX)
    html = page_text(response)
    assert "Activités du lundi 7 décembre 2026" in html and "APS MATIN" in html


def test_copy_lists_days_not_imported(parent, world):
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    toggle(parent, world)
    parent.post(reverse("family:confirm"), {"jeton": DraftItem.objects.get().draft.token})
    f.EnrolmentFactory(child=world.amalia, activity=world.cantine_a)
    response = parent.post(
        reverse("family:copy"),
        {"enfant": world.amalia.pk, "activite": world.cantine_a.pk, "source_enfant": world.paolo.pk,
         "source_activite": world.aps_a.pk, "du": "2026-12-01", "au": "2026-12-31"},
    )  # fmt: skip
    html = page_text(response)
    assert "Réservations non importées" in html and "lun. 07/12" in html and "Activité non ouverte ce jour" in html


def reads_of(queries, table):
    return [q["sql"] for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]


def test_month_tool_judges_and_redraws_from_one_read_of_the_month(parent, world):
    """Registration night (issue 7): the quick tools mark the days and redraw the
    calendar from one read of the month's openings and places, and one of the draft."""
    data = {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12", "outil": "mois"}
    parent.get(reverse("family:recap"))  # the draft exists, as it does after the first click
    with CaptureQueriesContext(connection) as queries:
        response = parent.post(reverse("family:toggle_set"), data, **HTMX)
    assert response.status_code == 200 and 'data-state="book"' in response.content.decode()
    assert list(DraftItem.objects.values_list("date", flat=True)) == [DAY]
    assert len(reads_of(queries, "structures_opening")) == 1
    assert len(reads_of(queries, "booking_draft")) == 1


def test_calendar_page_reads_the_family_and_children_once(parent, world):
    """The header, the chooser and the calendar share what the request has read."""
    url = reverse("family:reserve") + f"?enfant={world.paolo.pk}&activite={world.aps_a.pk}&mois=2026-12"
    with CaptureQueriesContext(connection) as queries:
        response = parent.get(url)
    assert response.status_code == 200 and "APS MATIN" in page_text(response)
    assert len(reads_of(queries, "structures_family")) == 1  # the account's families, header included
    assert len(reads_of(queries, "structures_child")) == 1


def test_one_activity_toggle_answers_with_the_cell_only(parent, world, django_assert_max_num_queries):
    from portail.booking.drafts import get_draft

    get_draft(world.family_a, world.dupont)  # a parent's draft exists after the first click
    # 14 before R9's draft version: + its UPDATE, + SAVEPOINT/RELEASE (BEGIN/COMMIT, not logged, in production).
    with django_assert_max_num_queries(17):
        response = toggle(parent, world, cellule="1")
    html = page_text(response)
    assert html.lstrip().startswith('<td class="day day--book" data-date="2026-12-07"')
    assert 'id="draft-summary" hx-swap-oob="true"' in html and '<strong data-testid="draft-count">1</strong>' in html
    assert '<div id="calendar"' not in html
    html = page_text(toggle(parent, world, cellule="1"))  # undo
    assert 'data-state="S2"' in html and '<strong data-testid="draft-count">0</strong>' in html


def test_cell_toggle_error_redraws_the_calendar_with_the_message(parent, world):
    response = toggle(parent, world, day=datetime.date(2026, 12, 8), cellule="1")
    assert response["HX-Retarget"] == "#calendar"
    assert "Activité non ouverte ce jour" in page_text(response)


# ------------------------------------------------------------------ R9: the recap is what gets confirmed

CHANGED = "Vos demandes ont changé : vérifiez le récapitulatif avant de confirmer."
TUESDAY = DAY + datetime.timedelta(days=1)


def recap_token(client):
    """The token the recap page carries in its Confirmer form."""
    html = client.get(reverse("family:recap")).content.decode()
    return re.search(r'name="jeton" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["sans-js", "htmx"])
def test_a_day_added_in_another_tab_sends_back_to_the_recap_with_the_message(parent, world, headers):
    """Tab A opens the recap of Monday; tab B adds Tuesday; tab A's Confirmer
    records nothing and shows the recap again, with the message and both days;
    the Confirmer of that recap then records both."""
    f.OpeningFactory(activity=world.aps_a, date=TUESDAY)
    toggle(parent, world)
    shown = recap_token(parent)  # tab A
    toggle(parent, world, day=TUESDAY)  # tab B

    response = parent.post(reverse("family:confirm"), {"jeton": shown}, **headers)
    if headers:
        assert response.status_code == 200 and response["HX-Redirect"] == reverse("family:recap")
    else:
        assert response.status_code == 302 and response["Location"] == reverse("family:recap")
    assert not Booking.objects.exists() and not Movement.objects.exists()
    recap = parent.get(reverse("family:recap"))
    html = page_text(recap)
    assert CHANGED in html and "lun. 07/12" in html and "mar. 08/12" in html

    response = parent.post(reverse("family:confirm"), {"jeton": recap_token(parent)}, **headers)
    assert response.status_code == (200 if headers else 302)
    assert sorted(Booking.objects.values_list("date", flat=True)) == [DAY, TUESDAY]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["sans-js", "htmx"])
def test_confirmer_posted_again_after_a_change_still_answers_with_its_result(parent, world, headers):
    """The re-post of a confirmed recap (double click, the no-JS fallback) gets
    that result, not the "changed" message, though a day was marked since."""
    f.OpeningFactory(activity=world.aps_a, date=TUESDAY)
    toggle(parent, world)
    shown = recap_token(parent)
    first = parent.post(reverse("family:confirm"), {"jeton": shown}, **headers)
    toggle(parent, world, day=TUESDAY)
    again = parent.post(reverse("family:confirm"), {"jeton": shown}, **headers)
    if headers:
        assert again.status_code == 200 and again["HX-Push-Url"] == first["HX-Push-Url"]
        assert "Place réservée" in page_text(again)
    else:
        assert again.status_code == 302 and again["Location"] == first["Location"]
    assert CHANGED not in page_text(parent.get(reverse("family:recap")))
    assert list(Booking.objects.values_list("date", flat=True)) == [DAY]
    assert list(DraftItem.objects.values_list("date", flat=True)) == [TUESDAY]
