"""The Réserver calendar stays lean (issue 15 point 4) and shows more (issue 14
points 2-3): a constant number of queries and of templates whatever the month
holds, the month tool answering with the cells it changed, mode 2's draft
marks apart from confirmed bookings, and why a closed day is closed."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.models import DraftItem
from portail.structures.models import Enrolment, Opening
from tests import factories as f
from tests.helpers import page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)  # a Monday with an opening of APS MATIN in the world
HTMX = {"HTTP_HX_REQUEST": "true"}
# Session, account, families, children, activities (chooser), draft, enrolled activities,
# enrolments, closed days, openings, the child's bookings, the draft's marks and count,
# the days' closures, the header's last run: the figure today, kept as a ceiling.
PAGE_MAX_QUERIES = 15
# A month-tool click: session, account, families, child, activity, draft, the month's
# snapshot (enrolments, closed days, openings, bookings), the draft's change (savepoint,
# token, marks, delete, insert, release), then only the draft's count for the answer.
TOOL_MAX_QUERIES = 17


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def parent(client, world):
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


def weekdays(year, month):
    day, days = datetime.date(year, month, 1), []
    while day.month == month:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def reserve(client, child, activity=None, month="2026-12", **headers):
    params = {"enfant": child.pk, "mois": month}
    if activity is not None:
        params["activite"] = activity.pk
    return client.get(reverse("family:reserve"), params, **headers)


def tool(client, child, activity, **data):
    data = {"enfant": child.pk, "activite": activity.pk, "mois": "2026-12", **data}
    return client.post(reverse("family:toggle_set"), data, **HTMX)


def count_queries(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200
    return len(queries.captured_queries), response


def cell(html, day):
    """The <td> of a day in an answer."""
    found = re.search(rf'<td [^>]*data-date="{day.isoformat()}"[^>]*>.*?</td>', html, re.S)
    assert found, f"no cell for {day}"
    return found.group(0)


def book_through_the_engine(world, child, activity, days):
    """Bookings made as a parent makes them: a draft, then Confirmer."""
    draft = drafts.get_draft(world.family_a, world.dupont)
    for day in days:
        drafts.toggle_day(draft, child, activity, day, now=NOW)
    draft.refresh_from_db()
    result = confirm_draft(draft, draft.token, user=world.dupont, now=NOW)
    assert result.error is None


def grow(world):
    """Two more children, five more activities, every weekday of December open
    for all of them, a month of bookings, a day closed by staff."""
    december = [d for d in weekdays(2026, 12) if d < datetime.date(2026, 12, 19)]
    activities = [world.aps_a, world.cantine_a] + [
        f.ActivityFactory(structure=world.a, name=f"ACTIVITÉ {n}", code=f"ACT{n}", is_limited=n % 2 == 0, capacity=9)
        for n in range(5)
    ]
    Opening.objects.bulk_create(
        [Opening(activity=a, date=d) for a in activities for d in december if not (a == world.aps_a and d == DAY)]
    )
    children = [world.paolo, world.amalia] + [f.ChildFactory(family=world.family_a, first_name=n) for n in "XY"]
    Enrolment.objects.bulk_create(
        Enrolment(child=c, activity=a, start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2027, 7, 3))
        for c in children
        for a in activities
        if not (c == world.paolo and a == world.aps_a)
    )
    for activity in activities[:4]:
        book_through_the_engine(world, world.paolo, activity, december[:8])
    Opening.objects.filter(activity=world.cantine_a, date=december[-1]).update(closed_at=NOW, closure_reason="Grève")
    return activities


def test_calendar_and_month_tool_queries_do_not_grow(parent, world):
    """The page in both modes and the quick tools' answers: the same number of
    queries for one child, one activity and one open day as for four children,
    seven activities, a month of openings, bookings and a closed day."""
    drafts.get_draft(world.family_a, world.dupont)  # a parent's draft exists after the first click

    def figures(tool_activity):
        one = count_queries(lambda: reserve(parent, world.paolo, world.aps_a))[0]
        all_ = count_queries(lambda: reserve(parent, world.paolo))[0]
        htmx = count_queries(lambda: reserve(parent, world.paolo, world.aps_a, **HTMX))[0]
        # The month tool marks the month's open days; the week tool then unmarks its week's.
        month = count_queries(lambda: tool(parent, world.paolo, tool_activity, outil="mois"))[0]
        week = count_queries(lambda: tool(parent, world.paolo, tool_activity, outil="semaine", debut="2026-12-07"))[0]
        return one, all_, htmx, month, week

    small = figures(world.aps_a)
    activities = grow(world)
    assert figures(activities[-1]) == small
    assert max(small[:3]) <= PAGE_MAX_QUERIES and max(small[3:]) <= TOOL_MAX_QUERIES


def test_no_template_is_rendered_per_cell(parent, world):
    """The cells are drawn in one pass: the templates rendered for a month do
    not depend on how many days it has nor on the mode."""
    grow(world)
    rendered = {}
    for key, activity, month in [("dec-one", world.aps_a, "2026-12"), ("feb-one", world.aps_a, "2027-02"),
                                 ("dec-all", None, "2026-12")]:  # fmt: skip
        response = reserve(parent, world.paolo, activity, month)
        names = [t.name for t in response.templates]
        rendered[key] = names
        assert max(names.count(n) for n in set(names)) <= 2, names  # one include per cell would repeat 28 to 31 times
    assert len(rendered["dec-one"]) == len(rendered["feb-one"])


def test_month_tool_answers_with_the_cells_it_changed(parent, world):
    """issue 15 point 4: the month tool's htmx answer holds the changed days'
    cells (out-of-band) and the draft's count, not the whole calendar."""
    tuesday = DAY + datetime.timedelta(days=1)
    Opening.objects.create(activity=world.aps_a, date=tuesday)
    response = tool(parent, world.paolo, world.aps_a, outil="mois")
    html = page_text(response)
    assert response.status_code == 200 and 'id="calendar"' not in html
    cells = re.findall(r"<td [^>]*>", html)
    assert len(cells) == 2 and all('hx-swap-oob="true"' in c and 'data-state="book"' in c for c in cells)
    assert {cell(html, DAY), cell(html, tuesday)}  # exactly Monday 7 and Tuesday 8
    assert 'id="draft-summary" hx-swap-oob="true"' in html and '<strong data-testid="draft-count">2</strong>' in html
    assert sorted(DraftItem.objects.values_list("date", flat=True)) == [DAY, tuesday]

    # The weekday tool on Tuesdays: only Tuesday 8 changes back (unmarked).
    html = page_text(tool(parent, world.paolo, world.aps_a, outil="jour-semaine", jour_semaine="1"))
    assert len(re.findall(r"<td [^>]*>", html)) == 1 and 'data-state="S2"' in cell(html, tuesday)
    assert '<strong data-testid="draft-count">1</strong>' in html
    assert list(DraftItem.objects.values_list("date", flat=True)) == [DAY]


def test_month_tool_without_javascript_posts_and_redirects(parent, world):
    data = {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12", "outil": "mois"}
    response = parent.post(reverse("family:toggle_set"), data)
    assert response.status_code == 302 and "mois=2026-12" in response["Location"]
    assert list(DraftItem.objects.values_list("date", flat=True)) == [DAY]
    # The page the browser lands on: one form per kind of action, the buttons naming theirs.
    html = page_text(parent.get(response["Location"]))
    assert '<form id="tool-month-form" method="post"' in html and 'form="tool-month-form"' in html
    assert 'form="day-form" name="date" value="2026-12-07"' in html
    assert 'data-state="book"' in cell(html, DAY)


def test_month_tool_error_redraws_the_calendar_with_its_message(parent, world):
    world.aps_a.has_times = True
    world.aps_a.earliest_time, world.aps_a.latest_time = datetime.time(7, 30), datetime.time(8, 30)
    world.aps_a.time_step_minutes = 15
    world.aps_a.save()
    response = tool(parent, world.paolo, world.aps_a, outil="mois")
    assert response["HX-Retarget"] == "#calendar" and response["HX-Reswap"] == "outerHTML"
    assert "Choisissez des horaires par défaut" in page_text(response)
    assert not DraftItem.objects.exists()


def test_mode_2_shows_draft_marks_apart_from_confirmed_bookings(parent, world):
    """R7 / issue 14 point 3: in the calendar of all activities, a day with
    demandes in the draft is marked « à réserver » / « à annuler »; a day with
    confirmed bookings only is not."""
    confirmed, to_book, to_cancel = DAY, DAY + datetime.timedelta(days=1), DAY + datetime.timedelta(days=2)
    for day in (to_book, to_cancel):
        Opening.objects.create(activity=world.aps_a, date=day)
    f.EnrolmentFactory(child=world.paolo, activity=world.cantine_a)
    Opening.objects.create(activity=world.cantine_a, date=to_book)
    book_through_the_engine(world, world.paolo, world.aps_a, [confirmed, to_cancel])
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, world.cantine_a, to_book, now=NOW)  # a demande to book
    drafts.toggle_day(draft, world.paolo, world.aps_a, to_cancel, now=NOW)  # a demande to cancel

    html = page_text(reserve(parent, world.paolo))
    plain, booking, cancelling = cell(html, confirmed), cell(html, to_book), cell(html, to_cancel)
    assert 'data-state="T4"' in plain and "data-draft" not in plain and "day--draft" not in plain
    assert 'data-draft="book"' in booking and "day--draft-book" in booking and "demandes à réserver" in booking
    assert 'data-draft="cancel"' in cancelling and "demandes à annuler" in cancelling
    # Each mark has its entry in the legend.
    assert "Jour avec au moins une activité que vous avez choisi de réserver" in html
    assert "Jour avec au moins une activité que vous avez choisi d'annuler" in html


def test_closed_days_say_why(parent, world):
    """issue 14 point 2: a day that cannot be clicked carries its reason (shown
    on a tap by booking.js): closed by staff, a closed period, a public
    holiday, no opening, hors délai."""
    strike = DAY + datetime.timedelta(days=3)  # Thursday 10
    Opening.objects.create(activity=world.aps_a, date=strike, closed_at=NOW, closure_reason="Grève")
    html = page_text(reserve(parent, world.paolo, world.aps_a))
    assert "Fermé : Grève" in cell(html, strike) and 'class="day-static"' in cell(html, strike)
    assert "Fermé : Vacances de Noël" in cell(html, datetime.date(2026, 12, 21))
    assert "Activité non ouverte ce jour" in cell(html, DAY + datetime.timedelta(days=1))
    assert '<p class="day-status" id="day-status"' in html  # where a tap writes it

    november = page_text(reserve(parent, world.paolo, world.aps_a, month="2026-11"))
    assert "Fermé : jour férié" in cell(november, datetime.date(2026, 11, 11))
    Opening.objects.create(activity=world.aps_a, date=datetime.date(2026, 11, 27))  # tomorrow: past the 2-day délai
    november = page_text(reserve(parent, world.paolo, world.aps_a, month="2026-11"))
    assert "Hors délai de réservation" in cell(november, datetime.date(2026, 11, 27))

    # Mode 2: every activity closed for the same reason says it once; the day panel too.
    f.EnrolmentFactory(child=world.paolo, activity=world.cantine_a)
    Opening.objects.create(activity=world.cantine_a, date=strike, closed_at=NOW, closure_reason="Grève")
    html = page_text(reserve(parent, world.paolo))
    assert "Fermé : Grève" in cell(html, strike)
    assert "Aucune activité ouverte ce jour" in cell(html, DAY + datetime.timedelta(days=1))
    panel = page_text(parent.get(reverse("family:day_panel"), {"enfant": world.paolo.pk, "date": strike}, **HTMX))
    assert "Fermé : Grève" in panel
