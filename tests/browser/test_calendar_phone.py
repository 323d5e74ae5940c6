"""The Réserver calendar on a phone and on a desktop (issue 14 points 1-3),
in Chromium: nothing scrolls sideways at 320, 375 and 1280 px, the month
title holds on one line, the quick tools carry a visible label, the legend
is folded on a phone and open on a desktop, every day and tool is a 44 × 44
px target at 375 px, a tap on a closed day says why, the month tool marks
days without redrawing the calendar, and a countdown turns the days bookable
at the moment bookings open, without a reload."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from portail.booking.models import DraftItem
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DECEMBER = [datetime.date(2026, 12, d) for d in range(1, 19) if datetime.date(2026, 12, d).weekday() < 5]
WIDTHS = [320, 375, 1280]


@pytest.fixture(autouse=True)
def clock():
    # tick=True: the clock runs on; the live server thread sees it too.
    with time_machine.travel(NOW, tick=True):
        yield


def log_in(page, live_server, world):
    """DUPONT's session on CarteVille, set as a cookie: this file tests the calendar, not the header."""
    client = Client()
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def open_calendar(page, live_server, world, activity=True, month="2026-12"):
    url = f"{live_server.url}{reverse('family:reserve')}?enfant={world.paolo.pk}&mois={month}"
    if activity:
        url += f"&activite={world.aps_a.pk}"
    page.goto(url)
    expect(page.get_by_test_id("calendar")).to_be_visible()


def cell(page, day):
    return page.locator(f'td[data-date="{day.isoformat()}"]')


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_calendar_fits_the_screen_with_labelled_tools(page, live_server, world, width):
    for day in DECEMBER:
        world.aps_a.openings.get_or_create(date=day)
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_server, world)
    open_calendar(page, live_server, world)
    assert no_sideways_scroll(page)
    title = page.locator("#month-title")
    expect(title).to_have_text("Décembre 2026")
    assert title.evaluate("t => t.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(t).lineHeight)")

    # Each tool: a visible short label, and its full accessible name.
    month_tool = page.get_by_role("button", name="Tout le mois de décembre 2026 : réserver ou annuler")
    expect(month_tool).to_contain_text("Mois")
    expect(page.get_by_role("link", name="Recopier des réservations")).to_contain_text("Recopier")
    expect(page.get_by_role("columnheader", name="Semaine")).to_be_visible()
    monday = page.get_by_role("button", name="Tous les lun. du mois : réserver ou annuler")
    expect(monday).to_be_visible()
    expect(monday.locator(".tool-long" if width >= 1280 else ".tool-short")).to_be_visible()

    # The legend: folded on a phone, open on a desktop.
    legend = page.locator("details[data-legend]")
    expect(legend).to_have_js_property("open", width >= 1280)
    if width < 1280:
        page.get_by_text("Légende", exact=True).click()
        expect(legend).to_have_js_property("open", True)
        assert no_sideways_scroll(page)

    if width == 375:
        # WCAG 2.5.5: every day and every button of the calendar is a 44 × 44 px target.
        targets = page.locator("#calendar").locator(
            ".day-button, .day-static, .tool, .tool-button, .month-nav:not(.month-nav--none), .draft-bar .button"
        )
        assert targets.count() > 40
        small = [
            box
            for box in (t.bounding_box() for t in targets.all())
            if box["width"] < 44 - 0.01 or box["height"] < 44 - 0.01
        ]
        assert not small, small


def test_a_tap_on_a_closed_day_says_why(page, live_server, world):
    world.aps_a.openings.create(date=datetime.date(2026, 12, 10), closed_at=NOW, closure_reason="Grève")
    log_in(page, live_server, world)
    open_calendar(page, live_server, world)
    status = page.get_by_test_id("day-status")
    expect(status).to_have_text("")
    cell(page, datetime.date(2026, 12, 10)).click()
    expect(status).to_contain_text("Fermé : Grève")
    expect(status).to_be_visible()
    cell(page, datetime.date(2026, 12, 21)).click()
    expect(status).to_contain_text("Fermé : Vacances de Noël")
    cell(page, datetime.date(2026, 12, 8)).click()
    expect(status).to_contain_text("Activité non ouverte ce jour")


def test_the_month_tool_marks_days_without_redrawing_the_calendar(page, live_server, world):
    for day in DECEMBER:
        world.aps_a.openings.get_or_create(date=day)
    log_in(page, live_server, world)
    open_calendar(page, live_server, world)
    # A mark kept on the calendar's own element: a redraw of the calendar would lose it.
    page.evaluate("document.getElementById('calendar').dataset.kept = '1'")
    page.get_by_role("button", name="Tout le mois de décembre 2026 : réserver ou annuler").click()
    expect(page.get_by_test_id("draft-count")).to_have_text(str(len(DECEMBER)))
    for day in DECEMBER:
        expect(cell(page, day)).to_have_attribute("data-state", "book")
    page.get_by_role("button", name="Tous les lun. du mois : réserver ou annuler").click()
    mondays = [d for d in DECEMBER if d.weekday() == 0]
    expect(page.get_by_test_id("draft-count")).to_have_text(str(len(DECEMBER) - len(mondays)))
    expect(cell(page, mondays[0])).to_have_attribute("data-state", "S2")
    assert page.evaluate("document.getElementById('calendar').dataset.kept") == "1"
    # The focus stays on the tool the parent used.
    expect(page.locator("#tool-weekday-0")).to_be_focused()
    assert DraftItem.objects.count() == len(DECEMBER) - len(mondays)


def test_mode_2_marks_draft_days_apart(page, live_server, world):
    """R7: in the calendar of all activities, the day panel's « Réserver » turns
    the day into a draft day, drawn apart from a day with confirmed bookings."""
    log_in(page, live_server, world)
    open_calendar(page, live_server, world, activity=False)
    expect(cell(page, datetime.date(2026, 12, 7))).not_to_have_attribute("data-draft", "book")
    page.locator("#d-2026-12-07").click()
    page.get_by_test_id("day-panel").get_by_role("button", name="Réserver APS MATIN").click()
    expect(cell(page, datetime.date(2026, 12, 7))).to_have_attribute("data-draft", "book")
    colour = (
        cell(page, datetime.date(2026, 12, 7))
        .locator(".day-button")
        .evaluate("b => getComputedStyle(b).backgroundColor")
    )
    assert colour == "rgb(179, 71, 0)"  # the « à réserver » colour, not the booked green
    assert no_sideways_scroll(page)


def test_the_countdown_turns_the_days_bookable_at_the_opening(page, live_server, world, settings):
    """issue 14 point 2: bookings open in 8 seconds; the calendar shows the
    notice and counts down; at the moment (the server's), the days turn
    bookable without a reload, and a click books one."""
    settings.OPENING_POLL_SECONDS = 2
    f.OpeningFactory(activity=world.aps_a, date=datetime.date(2026, 12, 8))
    opens = timezone.now() + datetime.timedelta(seconds=8)
    world.aps_a.bookings_open_at = opens
    world.aps_a.save()
    log_in(page, live_server, world)
    open_calendar(page, live_server, world)
    page.evaluate("window.__marker = 1")

    moment = timezone.localtime(opens)
    notice = page.get_by_test_id("opening-notice")
    expect(notice).to_contain_text(f"Réservations ouvertes le jeu. 26/11 à {moment:%H:%M}")
    expect(page.get_by_test_id("countdown")).to_contain_text("Ouverture dans 00:0")
    monday = cell(page, datetime.date(2026, 12, 7))
    expect(monday).to_have_attribute("data-state", "S0")
    monday.click()
    expect(page.get_by_test_id("day-status")).to_contain_text("Réservations pas encore ouvertes")

    expect(monday).to_have_attribute("data-state", "S2", timeout=20_000)
    assert timezone.now() >= opens  # the server opened them, at the moment
    expect(notice).to_have_count(0)
    expect(page.get_by_test_id("calendar-opened")).to_have_text(
        "Les réservations sont ouvertes : vous pouvez réserver."
    )
    assert page.evaluate("window.__marker") == 1  # no reload
    page.locator("#d-2026-12-07").click()
    expect(monday).to_have_attribute("data-state", "book")
    assert list(DraftItem.objects.values_list("date", flat=True)) == [datetime.date(2026, 12, 7)]
