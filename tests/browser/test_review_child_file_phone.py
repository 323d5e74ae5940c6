"""The review of the demo, point 6, in a real browser at 375 px: the child's
file with a long « Modifié par la famille » table (an address over two lines,
a long name) does not scroll sideways, and the roll call's « Fiche de
l'enfant » links are targets of 24 px at least (WCAG 2.2, 2.5.8)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portail.booking.staff_actions import staff_book
from portail.dossier.models import FamilyChange, HealthSheet
from portail.structures.models import Enrolment, Opening
from tests.browser.login import login_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def changed_child(world):
    today = timezone.localdate()
    Opening.objects.get_or_create(activity=world.aps_a, date=today)
    for child in (world.paolo, world.amalia):
        Enrolment.objects.get_or_create(
            child=child, activity=world.aps_a, defaults={"start_date": today, "end_date": today}
        )
        staff_book(child, world.aps_a, today, actor=world.staff_a, reason="Inscription")
    sheet = HealthSheet.objects.create(child=world.paolo, has_food_allergy=True, allergies="Arachide")
    for field, old, new in [
        ("allergies", "", "Arachide : éviction stricte, stylo d'adrénaline dans le sac à dos"),
        ("notes", "Lunettes", "Lunettes de vue à retirer pour la piscine\nAppareil dentaire la nuit"),
        ("doctor_name", "", "Docteur Marie-Hélène DE LA FONTAINE-SAINT-GERMAIN"),
    ]:
        FamilyChange.objects.create(
            family=world.family_a, child=world.paolo, field_label=f"Fiche sanitaire — {field} de Paolo DUPONT",
            field_key=f"healthsheet.{sheet.pk}.{field}", old_value=old, new_value=new,
            changed_by=world.dupont, changed_at=timezone.now(),
        )  # fmt: skip
    return today


@pytest.fixture
def phone_page(browser, live_server, password, world, changed_child):
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    login_staff(page, live_server, "agent.a", password)
    yield page
    context.close()


def test_the_child_file_does_not_scroll_sideways_at_375(phone_page, live_server, world, changed_child):
    page = phone_page
    page.goto(f"{live_server.url}/gestion/enfant/{world.paolo.pk}/fiche/")
    expect(page.get_by_test_id("health-changes")).to_contain_text("DE LA FONTAINE-SAINT-GERMAIN")
    page.wait_for_load_state("load")  # measured with its stylesheets
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the child's file scrolls {overflow} px sideways at 375 px"


def test_the_roll_calls_child_file_links_are_24_px_targets(phone_page, live_server, world, changed_child):
    page = phone_page
    page.goto(f"{live_server.url}/gestion/pointage/?date={changed_child.isoformat()}&activite={world.aps_a.pk}")
    links = page.get_by_role("link", name="Fiche de l'enfant")
    expect(links.first).to_be_visible()
    page.wait_for_load_state("load")
    heights = [links.nth(i).bounding_box()["height"] for i in range(links.count())]
    assert len(heights) == 2
    assert min(heights) >= 24, f"« Fiche de l'enfant » targets of {heights} px"
