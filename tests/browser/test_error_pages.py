"""Issue 12 point 4 on a phone (375 px, mobile emulation: the viewport meta is
honoured only there): an error page is readable and leads back; a failed htmx
call says why in the page's live region, never nothing, never as markup."""

import datetime
import re

import pytest
import time_machine
from django.urls import get_resolver
from playwright.sync_api import expect

from portail.web import errors
from tests.browser.login import login_family, switch_structure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)
HOSTILE = (
    'Mois invalide : « <meta http-equiv="refresh" content="0;url=/connexion/"><img src=x onerror="window.__pwned=1"> »'
)


@pytest.fixture(autouse=True)
def clock():
    # tick=True: the clock runs on (Playwright's timeouts work); the live server thread sees it too.
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, live_server, password, family):
    """The real login form, then the header's switch to `family`'s structure."""
    login_family(page, live_server, "dupont", password)
    switch_to(page, family)


def switch_to(page, family):
    """The header's switch; returns on the loaded page it leads to (the select of
    the page before already showed `family`: it cannot tell the pages apart)."""
    switch_structure(page, family.structure.name)
    expect(page.get_by_test_id("structure-select")).to_have_value(str(family.pk))


def fits_the_phone(page):
    """The viewport meta is honoured (without it a mobile browser lays out 980 px and
    shrinks the text) and nothing scrolls sideways."""
    return page.evaluate("window.innerWidth === 375 && document.documentElement.scrollWidth <= 375")


def test_a_404_on_a_phone_is_readable_and_leads_back(phone, live_server, world, password):
    """The issue's path: Réserver for a CarteVille child, switch to Les Pinsons, Back, reload."""
    log_in(phone, live_server, password, world.family_a)
    calendar = f"{live_server.url}/reserver/?enfant={world.paolo.pk}"
    phone.goto(calendar)
    expect(phone.locator("#month-title")).to_be_visible()
    switch_to(phone, world.family_b)
    phone.go_back()
    phone.reload()

    main = phone.get_by_role("main")
    expect(main.get_by_role("heading", name="Page introuvable")).to_be_visible()
    expect(main).to_contain_text("Cette page n'existe pas ou plus.")
    expect(phone.get_by_test_id("account-name")).to_have_text("DUPONT Jean-Paul")
    assert fits_the_phone(phone)
    assert phone.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)") >= 16

    main.get_by_role("link", name="Réserver").click()
    expect(phone).to_have_url(re.compile(rf"/reserver/\?enfant={world.paolo_b.pk}(&|$)"))
    expect(phone.locator("#month-title")).to_be_visible()


def test_the_500_page_on_a_phone(phone, live_server, monkeypatch):
    def crash(request):
        raise RuntimeError("boom")

    # The home page's URL pattern holds its view: make that view crash.
    pattern = next(p for p in get_resolver().url_patterns[-1].url_patterns if p.name == "home")
    monkeypatch.setattr(pattern, "callback", crash)
    phone.goto(f"{live_server.url}/")
    expect(phone.get_by_role("heading", name="Erreur du serveur")).to_be_visible()
    assert fits_the_phone(phone)
    expect(phone.get_by_role("link", name="Retour à l'accueil")).to_be_visible()


def live_text(page):
    return page.get_by_test_id("htmx-error").locator(".live-error__text")


def test_a_failed_htmx_call_says_why_in_the_live_region(phone, live_server, world, password):
    world.aps_a.openings.get_or_create(date=DAY)
    log_in(phone, live_server, password, world.family_a)
    phone.goto(f"{live_server.url}/reserver/?enfant={world.paolo.pk}&activite={world.aps_a.pk}&mois=2026-12")
    day = phone.locator(f"#d-{DAY.isoformat()}")
    expect(day).to_be_visible()
    phone.evaluate("window.__marker = 1")
    live = phone.get_by_test_id("htmx-error")
    expect(live).to_have_attribute("aria-live", "assertive")

    # Our refusal for htmx: its text, shown as text, never read as markup.
    phone.route(
        "**/reserver/jour/",
        lambda route: route.fulfill(status=400, content_type="text/plain; charset=utf-8", body=HOSTILE),
    )
    day.click()
    expect(live_text(phone)).to_have_text(HOSTILE)
    expect(live_text(phone)).to_be_in_viewport()
    assert phone.locator("meta[http-equiv], img[src=x]").count() == 0
    assert phone.evaluate("window.__pwned") is None
    assert fits_the_phone(phone)
    live.get_by_role("button", name="Fermer").click()
    expect(live).to_be_empty()

    # Somebody else's error page (a proxy's HTML): a French sentence by status.
    phone.unroute("**/reserver/jour/")
    phone.route(
        "**/reserver/jour/",
        lambda route: route.fulfill(status=502, content_type="text/html", body="<h1>Bad Gateway</h1>"),
    )
    day.click()
    expect(live_text(phone)).to_have_text("Erreur du serveur, réessayez dans un instant.")

    # No network at all.
    phone.unroute("**/reserver/jour/")
    phone.route("**/reserver/jour/", lambda route: route.abort("internetdisconnected"))
    day.click()
    expect(live_text(phone)).to_have_text("Connexion impossible : vérifiez votre réseau, puis réessayez.")
    phone.unroute("**/reserver/jour/")

    # The real server, after the structure was switched in another tab: a 404 as text.
    other = phone.context.new_page()
    other.goto(f"{live_server.url}/")
    switch_to(other, world.family_b)
    other.close()
    day.click()
    expect(live_text(phone)).to_have_text(errors.NOT_FOUND)
    expect(phone.locator(f'td[data-date="{DAY.isoformat()}"]')).to_have_attribute("data-state", "S2")

    # The session is gone: the view redirects to the login page; not swapped into the calendar.
    phone.context.clear_cookies(name="sessionid")
    day.click()
    expect(live_text(phone)).to_have_text("Votre session a expiré : reconnectez-vous, puis recommencez.")
    expect(phone.locator("#id_username")).to_have_count(0)
    assert phone.evaluate("window.__marker") == 1  # every answer above left the page in place
    live.get_by_role("link", name="Se reconnecter").click()
    expect(phone).to_have_url(re.compile(rf"/connexion/\?next=%2Freserver%2F%3Fenfant%3D{world.paolo.pk}%26"))
