"""Issue 17 point 1 in a real browser: a parent opens « Mon dossier » from the
menu, changes a phone number (a bad one first: refused with a French message
next to the field), and the clerk sees it on « Modifications des familles »
with the previous value and marks it as seen. axe finds nothing serious or
critical on the family's pages, at 375 and 1280 px, and none scrolls sideways."""

import pytest
from playwright.sync_api import expect

from portail.dossier.models import FamilyChange, Guardian
from tests.browser.a11y import blocking_violations
from tests.browser.header import open_menu
from tests.browser.login import login_family, login_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_a_parent_updates_a_phone_and_the_clerk_sees_it(browser, live_server, world, password, width):
    marie = Guardian.objects.create(
        family=world.family_a, civility="Mme", last_name="DUPONT", first_name="Marie", mobile_phone="06 11 22 33 44"
    )
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []

    def check(screen):
        problems.extend(blocking_violations(page, screen))
        if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            problems.append(f"{screen}: scrolls sideways")

    try:
        login_family(page, live_server, "dupont", password, structure="Mairie de CarteVille")
        open_menu(page)
        page.get_by_role("link", name="Mon dossier").click()
        expect(page.get_by_role("heading", name="Mon dossier", level=1)).to_be_visible()
        expect(page.get_by_test_id("dossier-children")).to_contain_text("Paolo DUPONT")
        check("Mon dossier")

        page.get_by_role("link", name="Modifier Marie").click()
        expect(page.get_by_label("Téléphone portable")).to_be_visible()
        check("parent's form")
        phone = page.get_by_label("Téléphone portable")
        phone.fill("06 12")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_text("Numéro de téléphone invalide")).to_be_visible()
        check("parent's form with its error")
        marie.refresh_from_db()
        assert marie.mobile_phone == "06 11 22 33 44"

        page.get_by_label("Téléphone portable").fill("07 98 76 54 32")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_text("Vos modifications sont enregistrées.")).to_be_visible()
        expect(page.get_by_test_id("dossier-guardians")).to_contain_text("07 98 76 54 32")

        for path in ("/mon-dossier/coordonnees/", "/mon-dossier/parents/ajouter/", "/compte/inviter-un-parent/",
                     f"/mon-dossier/enfants/{world.paolo.pk}/"):  # fmt: skip
            page.goto(live_server.url + path)
            check(path)
        expect(page.get_by_test_id("locked-fields")).to_contain_text("modifiable par la structure uniquement")

        # The clerk of CarteVille.
        staff = context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
        login_staff(staff, live_server, "agent.a", password)
        staff.goto(f"{live_server.url}/gestion/modifications-familles/")
        row = staff.get_by_test_id("family-change")
        expect(row).to_contain_text("Téléphone portable de Marie DUPONT")
        expect(row).to_contain_text("06 11 22 33 44")
        expect(row).to_contain_text("07 98 76 54 32")
        expect(row).to_contain_text("modifié par la famille le")
        row.get_by_role("button", name="Vu").click()
        expect(staff.get_by_test_id("no-family-changes")).to_be_visible()
        assert FamilyChange.objects.get().seen_by == world.staff_a
        staff.context.close()
    finally:
        context.close()
    assert not problems, "\n".join(problems)
