"""Issue 17 points 2 and 3 in a real browser: an animator's roll call on a phone
(375 px) shows Paolo's marks (« Allergie alimentaire », « PAI ») beside him,
the people allowed to collect him behind one tap, and opens his file (the
allergy's text there, and only there; the view recorded); no sideways
scrolling, no serious or critical axe violation, on the roll call and the
child's file, at 375 and 1280 px."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from portail.accounts.models import StaffRole
from portail.booking.staff_actions import staff_book
from portail.dossier.models import AuthorisedPerson, Diet, HealthAccess, HealthSheet
from portail.structures.models import Enrolment, Opening
from tests import factories as f
from tests.browser.login import login_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALLERGY = "Arachide : stylo d'adrénaline dans le sac"


@pytest.fixture
def marked_morning(world):
    today = timezone.localdate()
    Opening.objects.get_or_create(activity=world.aps_a, date=today)
    for child in (world.paolo, world.amalia):
        Enrolment.objects.get_or_create(
            child=child, activity=world.aps_a, defaults={"start_date": today, "end_date": today}
        )
        staff_book(child, world.aps_a, today, actor=world.staff_a, reason="Inscription")
    HealthSheet.objects.create(child=world.paolo, has_food_allergy=True, allergies=ALLERGY, has_pai=True)
    HealthSheet.objects.create(child=world.amalia, diet=Diet.NO_PORK)
    AuthorisedPerson.objects.create(
        child=world.paolo, name="Josette DUPONT-DE-LA-GRANDE-MAISON", relationship="grand-mère", phone="06 12 34 56 78"
    )
    f.StaffFactory(username="anim.a", structures=[world.a], staff_role=StaffRole.ANIMATEUR)
    return today


def _serious(page):
    return [
        (v["id"], [n["target"] for n in v["nodes"]])
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [375, 1280])
def test_the_animator_sees_the_marks_and_the_people_and_opens_the_file(
    browser, live_server, world, password, marked_morning, width
):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login_staff(page, live_server, "anim.a", password)
        page.goto(f"{live_server.url}/gestion/pointage/?date={marked_morning.isoformat()}&activite={world.aps_a.pk}")

        paolo = page.locator('[data-child="DUPONT Paolo"]')
        expect(paolo.get_by_test_id("health-mark")).to_have_text(["Allergie alimentaire", "PAI"])
        expect(page.locator('[data-child="DUPONT Amalia"]').get_by_test_id("health-mark")).to_have_text(["Sans porc"])
        people = paolo.get_by_test_id("authorised-people")
        expect(people).to_be_hidden()
        paolo.get_by_text("1 personne autorisée").click()
        expect(people).to_contain_text("Josette DUPONT-DE-LA-GRANDE-MAISON (grand-mère) — 06 12 34 56 78")
        assert ALLERGY not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert _serious(page) == []

        paolo.get_by_role("link", name="Fiche de l'enfant").click()
        expect(page.get_by_test_id("health-allergies")).to_have_text(ALLERGY)
        page.wait_for_load_state("load")  # measured and checked with its stylesheets
        assert HealthAccess.objects.filter(child=world.paolo, viewer__username="anim.a").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert _serious(page) == []
    finally:
        context.close()
