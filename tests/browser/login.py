"""Logging in, in browser tests, once for every file: each step returns only
once the page it leads to has loaded.

A click returns before the navigation it starts has always finished (under load
it may return on the page it was made on). A `goto` right after a login's click
can cancel the login's POST (its session cookie is then never set); a check
right after it reads the login page. So each helper waits for the new page."""

import re
from contextlib import contextmanager

from playwright.sync_api import expect

from tests.browser.header import open_menu


def _url(base):
    """The live server's URL (its fixture or the URL itself, e.g. the demo's)."""
    return getattr(base, "url", base)


def login_staff(page, base, username, password):
    """Log `username` in through the admin's login form; returns on the loaded page it leads to."""
    page.goto(f"{_url(base)}/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("input[type=submit]").click()
    # A refused login stays on /admin/login/ (and fails here, not later).
    expect(page).not_to_have_url(re.compile(r"/admin/login/"))
    page.wait_for_load_state("load")


def login_family(page, base, username, password, structure=None):
    """Log a parent in through the site's login form; then, if `structure` is
    given, switch the header's structure to it. Returns on the loaded page."""
    page.goto(f"{_url(base)}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    # A refused login stays on /connexion/ (and fails here, not later).
    expect(page).not_to_have_url(re.compile(r"/connexion/"))
    page.wait_for_load_state("load")
    if structure is not None:
        switch_structure(page, structure)


def switch_structure(page, structure, *, label="Structure consultée", button="Changer"):
    """The header's structure switch (`label` and `button` in the page's language);
    returns once the home page it leads to has loaded. That home page may show the
    same structure as the page before, so the wait is for another document."""
    open_menu(page)
    page.get_by_label(label, exact=True).select_option(label=structure)
    with next_document(page):
        page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".site-header__brand")).to_have_text(structure)


@contextmanager
def next_document(page):
    """`with next_document(page): <a click that navigates>`: on leaving the block,
    waits until another document has replaced the one shown before and has
    loaded — for a navigation that may lead to the same address, where
    `expect(page).to_have_url(...)` cannot tell the pages apart."""
    page.evaluate("window.__replacedByNextDocument = true")
    yield
    # Evaluated again in each new document: the mark is only on the old one.
    page.wait_for_function("() => window.__replacedByNextDocument === undefined && document.readyState === 'complete'")
