"""P2 and A3b in a real browser: the parent sets an e-mail address in
"Profil", logs out, recovers the password through the e-mail link and logs
in with the new one."""

import re

import pytest
from playwright.sync_api import expect

from portail.notifications.models import OutboxEmail
from tests.browser.header import open_menu
from tests.browser.login import login_family

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Un-Tout-Nouveau-2026"


def test_parent_changes_email_then_recovers_password_by_link(page, live_server, world, password):
    login_family(page, live_server, "dupont", password)
    open_menu(page)
    page.get_by_role("navigation").get_by_role("link", name="Profil").click()
    page.get_by_role("textbox", name="Adresse e-mail", exact=True).fill("jp.dupont@exemple.fr")
    page.locator("#email_current_password").fill(password)
    page.get_by_role("button", name="Enregistrer l'adresse").click()
    expect(page.get_by_role("status").filter(has_text="Votre adresse e-mail est enregistrée.")).to_be_visible()
    expect(page.get_by_test_id("current-email")).to_contain_text("jp.dupont@exemple.fr")
    page.wait_for_load_state("load")  # measured with its stylesheets
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    open_menu(page)
    page.get_by_role("button", name="Se déconnecter").click()

    page.get_by_role("link", name="Le retrouver").click()
    expect(page.get_by_test_id("recovery-help")).to_contain_text("contactez votre structure")
    page.get_by_label("Identifiant").fill("dupont")
    page.get_by_role("button", name="Recevoir un lien par e-mail").click()
    # The page before had the field filled in too: read the one the button leads to.
    email_field = page.get_by_label("Adresse e-mail enregistrée dans votre profil")
    expect(email_field).to_be_visible()
    expect(page.get_by_label("Identifiant")).to_have_value("dupont")
    email_field.fill("jp.dupont@exemple.fr")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("status").filter(has_text="Si cette adresse correspond")).to_be_visible()

    email = OutboxEmail.objects.get(kind="recuperation")
    assert email.to == "jp.dupont@exemple.fr"
    path = re.search(r"http\S+(/compte/mot-de-passe-oublie/lien/\S+/)", email.body_text).group(1)
    page.goto(live_server.url + path)
    assert "/lien/" not in page.url, "the token leaves the address bar"
    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("status").filter(has_text="Votre nouveau mot de passe est enregistré")).to_be_visible()

    login_family(page, live_server, "dupont", NEW_PASSWORD)
    expect(page.get_by_test_id("account-name")).to_have_text("DUPONT Jean-Paul")

    # the link was single-use
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", name="Ce lien n'est plus valable")).to_be_visible()
