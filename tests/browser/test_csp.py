"""The Content-Security-Policy (issue 7 point 4) in a real browser: the
family's screens (A4 header, R5-R12 booking, H history, P profile), the staff
screens (B6 planning, printable sheet, roll call) and the admin (B1-B4) run
under the enforced policy without a single violation — a blocked inline
script, handler, style or eval would silently break the feature built on it —
the htmx calls still swap without a reload (D4), and the print buttons (B6,
R12) still print."""

import re

import pytest
import time_machine
from playwright.sync_api import expect

from portail.booking.models import BookingStatus
from portail.structures.models import Opening
from tests.browser.header import open_menu
from tests.browser.login import login_staff
from tests.browser.test_booking_screens import (
    NOW,
    SCHOOL_DAYS,
    cell,
    day_button,
    dec,
    log_in,
    open_calendar,
    open_days,
)
from tests.helpers import make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of every document: records each CSP violation, and
# replaces the print dialog (which would block a headless browser) by a counter.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
}, true);
window.__printed = 0;
window.print = function () { window.__printed += 1; };
"""


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def watched(page):
    """The page, with the violation recorder, and the console's CSP messages kept too."""
    page.add_init_script(WATCH)
    page.console_csp = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and page.console_csp.append(message.text),
    )
    return page


def assert_no_violation(page, where):
    """No violation on the document shown now (events are queued: give them a moment)."""
    page.wait_for_load_state("load")
    recorded = page.evaluate("new Promise(done => setTimeout(() => done(window.__csp), 100))")
    assert recorded == [], f"{where}: {recorded}"
    assert page.console_csp == [], f"{where}: {page.console_csp}"


def visit(page, url, where):
    response = page.goto(url)
    assert response.headers.get("content-security-policy"), where
    assert_no_violation(page, where)


def test_family_screens_run_under_the_policy(watched, live_server, world, password):
    """Login, home, calendar with an htmx day toggle, recap, confirmation,
    Mes réservations (and its print button), Historiques, Profil."""
    page = watched
    open_days(world.aps_a, SCHOOL_DAYS)
    visit(page, f"{live_server.url}/connexion/", "login")
    log_in(page, live_server, password)
    assert_no_violation(page, "home")

    open_calendar(page, activity="APS MATIN")
    assert_no_violation(page, "calendar")
    page.evaluate("window.__marker = 1")
    day_button(page, dec(8)).click()
    expect(cell(page, dec(8))).to_have_attribute("data-state", "book")
    page.get_by_role("link", name="Mois précédent").click()  # hx-get + hx-push-url
    expect(page.locator("#month-title")).to_have_text("Novembre 2026")
    assert page.evaluate("window.__marker") == 1  # htmx swapped, no reload
    assert_no_violation(page, "calendar after htmx swaps")

    page.get_by_role("link", name="Valider").click()
    expect(page.get_by_test_id("recap-bookings").locator("tbody tr")).to_have_count(1)
    assert_no_violation(page, "recap")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_test_id("result").locator("tbody tr")).to_have_count(1)
    assert_no_violation(page, "result")

    menu = page.get_by_role("navigation", name="Menu principal")
    open_menu(page)
    menu.get_by_role("link", name="Mes réservations").click()
    expect(page.get_by_test_id("reservations").locator("tbody tr")).to_have_count(1)
    # The print button's handler is a deferred script's: wait for the page's load before the click.
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("window.__printed") == 1
    assert_no_violation(page, "mes-reservations")

    open_menu(page)
    menu.get_by_role("link", name="Historiques").click()
    # Mes réservations has a title too: check the page the link leads to.
    expect(page.get_by_role("heading", name="Historiques", level=1)).to_be_visible()
    assert_no_violation(page, "historiques")
    open_menu(page)
    menu.get_by_role("link", name="Profil").click()
    expect(page.get_by_role("heading", name="Profil", level=1)).to_be_visible()
    assert_no_violation(page, "profil")


def test_staff_screens_and_admin_run_under_the_policy(watched, live_server, world, password):
    """B6/B7 screens (planning, sheet and meals with their print buttons, the
    htmx roll call, an invalid request's "Retour" link) and the admin (index,
    change list, change forms with autocomplete, date and filter widgets)."""
    page = watched
    today = NOW.date()
    Opening.objects.get_or_create(activity=world.aps_a, date=today)
    make_booking(child=world.paolo, activity=world.aps_a, date=today, status=BookingStatus.ACCEPTED)
    day = f"date={today.isoformat()}&activite={world.aps_a.pk}"

    visit(page, f"{live_server.url}/admin/login/", "admin login")
    login_staff(page, live_server, "agent.a", password)
    expect(page.get_by_role("link", name="Gestion quotidienne")).to_be_visible()
    assert_no_violation(page, "admin index")
    # Its "Gestion quotidienne" box is sized by staff.css now, not by a style="": as wide as the others.
    widths = page.evaluate(
        "['#gestion-quotidienne table', '.app-structures table']"
        ".map(s => Math.round(document.querySelector(s).getBoundingClientRect().width))"
    )
    assert widths[0] == widths[1], widths

    visit(page, f"{live_server.url}/gestion/", "staff index")
    visit(page, f"{live_server.url}/gestion/planning/?{day}", "planning")
    expect(page.get_by_text("PAOLO", exact=False).first).to_be_visible()

    for url, where in [(f"/gestion/feuille/?{day}", "sheet"), ("/gestion/repas/", "meals")]:
        visit(page, live_server.url + url, where)
        page.get_by_role("button", name="Imprimer").click()
        assert page.evaluate("window.__printed") == 1, where

    visit(page, f"{live_server.url}/gestion/pointage/?{day}", "roll call")
    page.evaluate("window.__marker = 1")
    row = page.get_by_test_id("roll-row")
    row.get_by_role("button", name="Présent", exact=True).click()
    expect(row.locator(".roll-status")).to_contain_text("Enregistré : présent")
    assert page.evaluate("window.__marker") == 1  # an htmx swap, not a reload
    assert_no_violation(page, "roll call after a tap")

    # An invalid request's "Retour" goes back to the screen the staff member came from.
    meals = f"{live_server.url}/gestion/repas/"
    visit(page, meals, "meals")
    page.goto(f"{live_server.url}/gestion/planning/?date=hier", referer=meals)
    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_violation(page, "staff error page")
    page.get_by_role("link", name="Retour").click()
    expect(page).to_have_url(meals)

    visit(page, f"{live_server.url}/admin/structures/family/", "family change list")
    page.get_by_role("link", name="DUPONT").first.click()
    expect(page).to_have_url(re.compile(r"/admin/structures/family/\d+/change/"))  # not the list before
    assert_no_violation(page, "family change form")
    visit(page, f"{live_server.url}/admin/structures/enrolment/add/", "enrolment add form")
    page.locator("#id_child").locator("xpath=following-sibling::span[contains(@class, 'select2')]").click()
    expect(page.locator(".select2-results__option").first).to_be_visible()  # autocomplete answered
    page.keyboard.press("Escape")
    page.locator("#calendarlink0").click()  # the date widget's calendar pop-up
    page.locator("#calendarbox0 .calendar td a").first.click()
    expect(page.locator("#id_start_date")).not_to_have_value("")
    assert_no_violation(page, "enrolment add form, after the widgets")


def test_site_administrator_admin_forms_run_under_the_policy(watched, live_server, world, password):
    """The account form's structure chooser (filter widget) and the structure's staff chooser."""
    page = watched
    login_staff(page, live_server, "admin", password)
    assert_no_violation(page, "admin index")
    visit(page, f"{live_server.url}/admin/accounts/user/{world.dupont.pk}/change/", "user change form")
    visit(page, f"{live_server.url}/admin/structures/structure/{world.a.pk}/change/", "structure change form")
    expect(page.locator(".selector").first).to_be_visible()  # SelectFilter2 built the two boxes
    assert_no_violation(page, "structure change form, filter widget built")
    visit(page, f"{live_server.url}/admin/structures/activity/{world.aps_a.pk}/change/", "activity change form")
    visit(page, f"{live_server.url}/admin/structures/activity/{world.aps_a.pk}/ouvertures/", "bulk openings")
