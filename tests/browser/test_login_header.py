"""A1, A2, A4 in a real browser: the demo parent logs in, reads the header,
switches structure and sees the other structure's messages."""

import pytest
from playwright.sync_api import expect

from tests.browser.header import open_menu
from tests.browser.login import login_family

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_parent_logs_in_reads_header_and_switches_structure(page, live_server, world, password):
    login_family(page, live_server, "dupont", password)

    header = page.get_by_role("banner")
    # On a phone the header is one bar with a Menu button (issue 14 point 1); it unfolds the rest.
    assert header.evaluate("h => h.getBoundingClientRect().height") <= 120
    assert not header.get_by_role("button", name="Se déconnecter").is_visible()
    assert header.get_by_test_id("last-update").is_visible()
    open_menu(page)
    assert header.get_by_role("button", name="Se déconnecter").is_visible()
    assert header.get_by_test_id("account-name").inner_text() == "DUPONT Jean-Paul"
    assert "Dernière mise à jour du site" in header.inner_text()
    select = header.get_by_label("Structure consultée")
    assert select.locator("option").all_inner_texts() == ["Accueil de loisirs Les Pinsons", "Mairie de CarteVille"]

    select.select_option(label="Mairie de CarteVille")
    header.get_by_role("button", name="Changer").click()
    messages = page.get_by_test_id("info-message")
    expect(messages.first).to_contain_text("Menus de décembre à CarteVille")  # waits for the new page
    page.wait_for_load_state("load")  # the whole page, not the part parsed so far
    assert "Sortie au zoo des Pinsons" not in page.content()

    open_menu(page)
    page.get_by_label("Structure consultée").select_option(label="Accueil de loisirs Les Pinsons")
    page.get_by_role("button", name="Changer").click()
    expect(page.get_by_test_id("info-message").first).to_contain_text("Sortie au zoo des Pinsons")
    page.wait_for_load_state("load")  # the whole page, not the part parsed so far (measured below too)
    assert "Menus de décembre à CarteVille" not in page.content()

    # the page fits a 375 px phone screen: no horizontal scroll
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    open_menu(page)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
