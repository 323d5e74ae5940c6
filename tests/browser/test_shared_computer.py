"""A shared computer (issue 12 point 7): once a parent has logged out, the
browser's Back button and its storage show nothing of the family. The pages
are `Cache-Control: no-store`, and htmx keeps no copy of the pages it pushed."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from tests.browser.header import open_menu
from tests.browser.login import login_family

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


def test_back_after_logout_shows_no_family_data(page, live_server, world, password):
    login_family(page, live_server, "dupont", password, structure="Mairie de CarteVille")
    expect(page.get_by_test_id("info-message").first).to_contain_text("CarteVille")
    open_menu(page)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Réserver").click()
    page.get_by_role("link", name="Paolo DUPONT").click()
    title = page.locator("#month-title")
    shown = title.inner_text()
    # The month arrows are htmx swaps that push the address, once htmx (a deferred
    # script) has wired them: clicked before, the link would load the next page the old way.
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("window.__marker = 1")
    page.get_by_role("link", name="Mois suivant").click()
    expect(title).not_to_have_text(shown)
    assert page.evaluate("window.__marker") == 1  # swapped by htmx, not a new page
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None
    assert page.evaluate("localStorage.length") == 0

    # Back inside the calendar still works: the page is asked again from the server.
    page.go_back()
    expect(title).to_have_text(shown)

    open_menu(page)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("Identifiant")).to_be_visible()
    # The next user of the computer presses Back: the server is asked again
    # (nothing is kept), and it answers with the login page.
    page.go_back()
    expect(page.get_by_label("Identifiant")).to_be_visible()
    assert "Paolo" not in page.content()
    page.go_back()
    expect(page.get_by_label("Identifiant")).to_be_visible()
    assert "Paolo" not in page.content()
