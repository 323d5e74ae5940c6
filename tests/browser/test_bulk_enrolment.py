"""Issue 18 point 1 in a real browser: staff of CarteVille filter the children's
list by class, tick them, choose « Inscrire à… », fill in the activity and the
period with the browser's own date fields, read the preview, confirm, and see
the enrolments in the list."""

import re

import pytest
from playwright.sync_api import expect

from portail.structures.models import Enrolment
from tests import factories as f
from tests.browser.login import login_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLASS = "CE1 — Mme Martin"


@pytest.fixture
def ce1(world):
    """Six children of CarteVille in CE1 — Mme Martin, one of them already enrolled on the canteen."""
    children = []
    for n in range(1, 7):
        family = f.FamilyFactory(structure=world.a, last_name="CLASSE", reference=f"CE1-{n}")
        children.append(f.ChildFactory(family=family, first_name=f"Élève{n}", last_name="CLASSE", school_class=CLASS))
    f.EnrolmentFactory(child=children[0], activity=world.cantine_a)
    return children


def test_enrol_a_class_from_the_childrens_list(page, live_server, world, password, ce1):
    page.set_default_timeout(10_000)
    login_staff(page, live_server, "agent.a", password)

    page.goto(f"{live_server.url}/admin/structures/child/")
    page.get_by_role("link", name=CLASS).click()
    expect(page).to_have_url(re.compile(r"[?&]classe="))  # the list before had rows and a toggle too
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(6)
    # "#action-toggle" ticks every row through the admin's actions.js, wired on DOMContentLoaded.
    page.wait_for_load_state("load")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("enrol_selected")
    page.locator("button[name=index]").first.click()

    expect(page.get_by_text("6 enfants choisis (Mairie de CarteVille).")).to_be_visible()
    page.get_by_label("Activité").select_option(label="RESTAURATION")
    # The browser's date inputs take ISO values: what a clerk picks in the calendar.
    page.get_by_label("Du").fill("2027-01-04")
    page.get_by_label("Au").fill("2027-06-30")
    page.get_by_role("button", name="Voir l'aperçu").click()

    preview = page.get_by_test_id("enrolment-plan")
    expect(preview).to_contain_text("5 enfants seront inscrits à RESTAURATION du 04/01/2027 au 30/06/2027.")
    expect(preview).to_contain_text("1 déjà inscrit sur cette période (inchangé).")
    expect(preview).to_contain_text("CLASSE Élève1")
    assert Enrolment.objects.filter(activity=world.cantine_a).count() == 1  # nothing written by the preview

    page.get_by_role("button", name="Confirmer les inscriptions").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "5 enfants inscrits à RESTAURATION du 04/01/2027 au 30/06/2027."
    )
    # The enrolments list, filtered on the activity, shows them.
    listed = page.locator("#result_list tbody tr")
    expect(listed).to_have_count(6)
    for child in ce1[1:]:
        expect(page.locator("#result_list")).to_contain_text(f"CLASSE {child.first_name}")
    assert Enrolment.objects.filter(activity=world.cantine_a, start_date="2027-01-04").count() == 5
