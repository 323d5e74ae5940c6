"""Issue 18 point 5 in a real browser, on a tablet (768×1024, touch): the
morning's roll call of twelve booked children — « Tous présents » in one tap
(an htmx swap, no reload), then the two exceptions tapped « Absent », the live
counts following each tap; no sideways scrolling, no serious axe violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from portail.booking.models import Consumption
from portail.booking.staff_actions import staff_book
from portail.structures.models import Enrolment, Opening
from tests import factories as f
from tests.browser.login import login_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ABSENT = ("MATIN Enfant4", "MATIN Enfant9")


@pytest.fixture
def morning(world):
    """APS MATIN open today; Paolo and eleven children of CarteVille booked by staff (the engine)."""
    today = timezone.localdate()
    world.aps_a.capacity = 20
    world.aps_a.save()
    Opening.objects.get_or_create(activity=world.aps_a, date=today)
    children = [world.paolo]
    for n in range(1, 12):
        family = f.FamilyFactory(structure=world.a, last_name="MATIN", reference=f"MAT{n}")
        children.append(f.ChildFactory(family=family, first_name=f"Enfant{n}", last_name="MATIN"))
    for child in children:
        Enrolment.objects.get_or_create(child=child, activity=world.aps_a, defaults={"start_date": today,
                                                                                      "end_date": today})  # fmt: skip
        staff_book(child, world.aps_a, today, actor=world.staff_a, reason="Inscription de rentrée")
    return today, children


def test_all_present_then_the_exceptions_on_a_tablet(browser, live_server, world, password, morning):
    today, children = morning
    tablet = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True, locale="fr-FR")
    staff = tablet.new_page()
    staff.set_default_timeout(10_000)
    try:
        login_staff(staff, live_server, "agent.a", password)
        expect(staff.get_by_role("link", name="Gestion quotidienne")).to_be_visible()

        staff.goto(f"{live_server.url}/gestion/pointage/?date={today.isoformat()}&activite={world.aps_a.pk}")
        counts = staff.get_by_test_id("roll-counts")
        expect(counts).to_have_text("Présents : 0 · Absents : 0 · Attendus : 12 · Non pointés : 12")
        expect(staff.get_by_test_id("roll-row")).to_have_count(12)
        staff.evaluate("window.__marker = 1")

        all_present = staff.get_by_role("button", name="Tous présents (12 enfants non pointés)")
        box = all_present.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 1024 and box["x"] + box["width"] <= 768
        all_present.tap()
        expect(staff.get_by_role("status").first).to_have_text(
            "Tous présents : 12 enfants marqués présents. Touchez « Absent » pour les exceptions."
        )
        expect(counts).to_have_text("Présents : 12 · Absents : 0 · Attendus : 12")
        expect(staff.get_by_role("button", name="Tous présents", exact=False)).to_have_count(0)
        for status in staff.locator(".roll-status").all():
            expect(status).to_contain_text("Enregistré : présent")
        assert staff.evaluate("window.__marker") == 1  # swapped by htmx, not reloaded

        for n, name in enumerate(ABSENT, start=1):
            row = staff.locator(f'[data-child="{name}"]')
            row.get_by_role("button", name="Absent", exact=True).tap()
            expect(row.locator(".roll-status")).to_contain_text("Enregistré : absent")
            expect(row.get_by_role("button", name="Absent", exact=True)).to_have_attribute("aria-pressed", "true")
            expect(counts).to_have_text(f"Présents : {12 - n} · Absents : {n} · Attendus : 12")
        assert staff.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        violations = [v for v in Axe().run(staff).response["violations"] if v["impact"] in ("serious", "critical")]
        assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    finally:
        tablet.close()

    consumptions = Consumption.objects.filter(activity=world.aps_a, date=today)
    assert consumptions.count() == 12
    absent = {f"{c.child.last_name} {c.child.first_name}" for c in consumptions.filter(present=False)}
    assert absent == set(ABSENT)
    assert set(consumptions.values_list("recorded_by", flat=True)) == {world.staff_a.pk}
