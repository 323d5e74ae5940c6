"""D4 (RGAA / WCAG 2.1 AA): axe-core finds no serious or critical violation on
any family screen, on a phone (375 px) and a desktop (1280 px), and no page
scrolls sideways. The data puts every S-state and both draft marks on the
calendar, so the contrast of each state colour is checked."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from tests import factories as f
from tests.browser.a11y import blocking_violations
from tests.browser.test_booking_screens import (
    NOW,
    SCHOOL_DAYS,
    cell,
    day_button,
    dec,
    log_in,
    open_days,
)
from tests.helpers import make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


def rich_world(world):
    """APS MATIN in every S-state over December, two more activities (one à horaires)."""
    aps = world.aps_a
    aps.cancellation_deadline_days = 7  # so that early December is hors délai to cancel (S6, S7)
    aps.save()
    open_days(aps, SCHOOL_DAYS)
    capacities = {dec(3): (0, 3), dec(8): (0, 3), dec(10): (1, 0), dec(11): (0, 3), dec(15): (0, 0)}
    for day, (places, waiting) in capacities.items():
        aps.openings.filter(date=day).update(capacity=places, waiting_list_capacity=waiting)
    for day, status in [(1, "accepted"), (3, "waitlisted"), (4, "accepted"), (8, "waitlisted"), (10, "accepted")]:
        make_booking(child=world.paolo, activity=aps, date=dec(day), status=status)
    soir = f.ActivityFactory(
        structure=world.a, name="APS SOIR", code="APSS", has_times=True, earliest_time=datetime.time(16, 30),
        latest_time=datetime.time(18, 30), time_step_minutes=15,
    )  # fmt: skip
    for activity in (world.cantine_a, soir):
        f.EnrolmentFactory(child=world.paolo, activity=activity)
        open_days(activity, SCHOOL_DAYS)
    f.EnrolmentFactory(child=world.amalia, activity=aps)


@pytest.mark.parametrize("width", [375, 1280])
def test_every_screen_is_accessible_and_fits_the_width(browser, live_server, world, password, width):
    rich_world(world)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []

    def check(screen):
        problems.extend(blocking_violations(page, screen))
        if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            wide = page.evaluate("document.documentElement.scrollWidth")
            problems.append(f"{screen}: scrolls sideways ({wide} px wide in {width} px)")

    try:
        page.goto(f"{live_server.url}/connexion/")
        check("login")
        log_in(page, live_server, password)
        check("home")

        reserve = f"{live_server.url}/reserver/"
        page.goto(reserve)
        expect(page.get_by_text("Pour quel enfant")).to_be_visible()
        check("reserve (child choice)")

        page.goto(f"{reserve}?enfant={world.paolo.pk}&activite={world.aps_a.pk}&mois=2026-12")
        day_button(page, dec(14)).click()
        expect(cell(page, dec(14))).to_have_attribute("data-state", "book")
        day_button(page, dec(4)).click()
        expect(cell(page, dec(4))).to_have_attribute("data-state", "cancel")
        states = set(page.locator("td[data-state]").evaluate_all("cells => cells.map(c => c.dataset.state)"))
        assert {"S0", "S1", "S2", "S3", "S5", "S6", "S7", "book", "cancel"} <= states, states
        check("calendar, one activity with marks")

        page.goto(f"{reserve}?enfant={world.paolo.pk}&mois=2026-12")
        day_button(page, dec(7)).click()
        panel = page.get_by_test_id("day-panel")
        expect(panel).to_be_visible()
        check("calendar, all activities, day panel open")

        panel.get_by_role("button", name="Réserver (horaires) APS SOIR").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        check("time dialog open")
        dialog.get_by_role("button", name="Valider").click()
        expect(dialog).to_be_hidden()

        page.goto(
            f"{live_server.url}/reserver/recopier/?enfant={world.amalia.pk}&activite={world.aps_a.pk}&mois=2026-12"
        )
        check("copy form")
        page.get_by_label("Enfant source").select_option(label="Paolo")
        page.get_by_label("Du").fill("2026-12-01")
        page.get_by_label("Au").fill("2026-12-18")
        page.get_by_role("button", name="Recopier").click()
        expect(page.get_by_test_id("not-imported")).to_be_visible()
        check("copy result")

        page.get_by_role("link", name="Retour au calendrier").click()
        page.get_by_role("link", name="Valider").click()
        expect(page.get_by_test_id("recap-cancellations")).to_be_visible()
        check("recap")

        page.get_by_role("button", name="Confirmer").click()
        expect(page.get_by_test_id("result")).to_be_visible()
        check("result")

        page.get_by_role("link", name="Mes réservations").last.click()
        expect(page.get_by_test_id("reservations").first).to_be_visible()
        check("Mes réservations")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
