"""B6 → H1 in a real browser: on a 768 px tablet, staff of CarteVille log in
to the back office and do the roll call of ten booked children with taps
(each tap saved at once); the DUPONT family then sees Paolo's consommation in
its "Historiques"."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portail.booking.models import BookingStatus, Consumption
from portail.lib.dates import short_day
from portail.structures.models import Enrolment, Opening
from tests import factories as f
from tests.browser.login import login_family, login_staff
from tests.helpers import make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ABSENT = {"ROLLIN Enfant3", "ROLLIN Enfant7"}


@pytest.fixture
def booked_today(world):
    """APS MATIN open today, ten children booked: Paolo and nine others of CarteVille."""
    today = timezone.localdate()
    world.aps_a.capacity = 20
    world.aps_a.save()
    Opening.objects.get_or_create(activity=world.aps_a, date=today)
    children = [world.paolo]
    for n in range(1, 10):
        family = f.FamilyFactory(structure=world.a, last_name="ROLLIN", reference=f"ROL{n}")
        children.append(f.ChildFactory(family=family, first_name=f"Enfant{n}", last_name="ROLLIN"))
    for child in children:
        Enrolment.objects.get_or_create(
            child=child, activity=world.aps_a, start_date=today, defaults={"end_date": today}
        )
        make_booking(child=child, activity=world.aps_a, date=today, status=BookingStatus.ACCEPTED)
    return today, children


def test_roll_call_on_a_tablet_then_the_family_sees_it(browser, page, live_server, world, password, booked_today):
    today, children = booked_today
    tablet = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True, locale="fr-FR")
    staff = tablet.new_page()
    staff.set_default_timeout(10_000)
    login_staff(staff, live_server, "agent.a", password)
    expect(staff.get_by_role("link", name="Gestion quotidienne")).to_be_visible()

    staff.goto(f"{live_server.url}/gestion/pointage/?date={today.isoformat()}&activite={world.aps_a.pk}")
    rows = staff.get_by_test_id("roll-row")
    expect(rows).to_have_count(10)
    for child in children:
        name = f"{child.last_name.upper()} {child.first_name}"
        row = staff.locator(f'[data-child="{name}"]')
        absent = name in ABSENT
        row.get_by_role("button", name="Absent" if absent else "Présent", exact=True).tap()
        expect(row.locator(".roll-status")).to_contain_text("Enregistré : absent" if absent else "Enregistré : présent")
        pressed = row.get_by_role("button", name="Absent" if absent else "Présent", exact=True)
        expect(pressed).to_have_attribute("aria-pressed", "true")
    assert staff.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    tablet.close()

    consumptions = Consumption.objects.filter(activity=world.aps_a, date=today)
    assert consumptions.count() == 10
    assert consumptions.filter(present=True).count() == 8
    assert set(consumptions.values_list("recorded_by", flat=True)) == {world.staff_a.pk}

    login_family(page, live_server, "dupont", password, structure="Mairie de CarteVille")
    page.goto(f"{live_server.url}/historiques/")
    history = page.get_by_test_id("history")
    row = history.locator("tr", has_text=short_day(today))
    expect(row).to_contain_text("Paolo")
    expect(row).to_contain_text("APS MATIN")
    expect(row).to_contain_text("Présent")
    assert "ROLLIN" not in history.inner_text() and "Enfant3" not in history.inner_text()
