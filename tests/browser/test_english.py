"""Issue 13 point 3: a parent who chooses English reads the family side in
English, from the login page to the booking result (login → Réserver →
recap → result), and the choice stays with the account.

The English wording is read from the catalogues (`en()`), so this test does
not repeat the translations; it checks that they are really used: each page
says lang="en", and no French sentence of the catalogues nor common French
word is left on it (the data — structure, children, activities — aside)."""

import datetime
import re

import pytest
import time_machine
from django.utils import translation
from playwright.sync_api import expect

from portail.booking.models import Booking, BookingStatus
from tests.browser.header import open_menu
from tests.browser.login import switch_structure
from tests.browser.test_booking_screens import wait_for_htmx
from tests.test_translations import ENGLISH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAYS = [datetime.date(2026, 12, d) for d in (7, 8, 10)]

# Words a French page has and an English one does not (whole words).
FRENCH_WORDS = re.compile(
    r"\b(vos|votre|les|des|une|aucune?|pour|avec|dans|sont|été|réservations?|demandes?|jours?|enfants?|"
    r"semaine|mois|accueil|valider|confirmer|annuler|retour|lun|mar|mer|jeu|ven|sam|dim)\b",
    re.IGNORECASE,
)


def en(msgid, context=None):
    with translation.override("en"):
        return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


def french_left(page, data):
    """French text on the page: catalogue sentences shown untranslated, and
    French words outside the data's own names."""
    text = page.locator("body").inner_text()
    found = [
        entry.msgid
        for entry in ENGLISH.values()
        if not entry.msgid_plural and entry.msgstr != entry.msgid and len(entry.msgid) > 12
        and "%(" not in entry.msgid and entry.msgid in text
    ]  # fmt: skip
    for name in data:
        text = text.replace(name, " ")
    found += sorted({word.lower() for word in FRENCH_WORDS.findall(text)})
    return found


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


def test_a_parent_books_in_english(page, live_server, world, password):
    for day in DAYS:
        world.aps_a.openings.get_or_create(date=day)
    data = [world.a.name, world.b.name, "APS MATIN", "RESTAURATION", "Paolo", "Amalia", "DUPONT", "Jean-Paul"]
    data += [world.message_a.title, world.message_b.title, world.message_a.text, world.message_b.text]
    leftovers = {}

    def check(step):
        # Called once the step's page is shown (its lang is "en" from the login page on):
        # read it whole, once it has loaded.
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.wait_for_load_state("load")
        if found := french_left(page, data):
            leftovers[step] = found

    # The login page is French (a French browser); the parent chooses English there.
    page.goto(f"{live_server.url}/connexion/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert french_left(page, data)  # the detector sees the French page
    page.get_by_test_id("language-select").select_option("en")
    page.get_by_test_id("language-submit").click()
    check("login")
    page.locator("#id_username").fill("dupont")
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=en("Se connecter")).click()
    expect(page).not_to_have_url(re.compile(r"/connexion/"))

    # The switch leads to the home page, in English like the page before: wait for it.
    switch_structure(page, world.a.name, label=en("Structure consultée"), button=en("Changer"))
    check("home")
    world.dupont.refresh_from_db()
    assert world.dupont.language == "en"  # chosen before logging in: kept on the account

    open_menu(page)
    menu = page.get_by_role("navigation", name=en("Menu principal"))
    menu.get_by_role("link", name=en("Réserver"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/reserver/$"))  # not the home page before
    check("reserve: choose a child")
    page.get_by_role("link", name="Paolo DUPONT").click()
    page.get_by_label(en("Activité"), exact=True).select_option(label="APS MATIN")
    page.get_by_role("button", name=en("Afficher"), exact=True).click()
    # The calendar of all activities has a month title too: read the one Afficher leads to.
    expect(page).to_have_url(re.compile(r"[?&]activite=\d+"))
    title = page.locator("#month-title")
    for _ in range(3):
        wait_for_htmx(page)  # "Mois suivant" is an htmx link once htmx has wired it
        if title.inner_text() == "December 2026":
            break
        shown = title.inner_text()
        page.get_by_role("link", name=en("Mois suivant")).click()
        expect(title).not_to_have_text(shown)
    expect(title).to_have_text("December 2026")
    check("reserve: calendar")
    for day in DAYS:
        page.locator(f"#d-{day.isoformat()}").click()
        expect(page.locator(f'td[data-date="{day.isoformat()}"]')).to_have_attribute("data-state", "book")
    check("reserve: draft")

    page.get_by_role("link", name=en("Valider"), exact=True).click()
    recap = page.get_by_test_id("recap-bookings").locator("tbody tr")
    expect(recap).to_have_count(len(DAYS))
    expect(recap.first).to_contain_text("Mon 07/12")
    check("recap")

    page.get_by_role("button", name=en("Confirmer"), exact=True).click()
    expect(page.get_by_role("heading", name=en("Vos demandes ont été enregistrées"))).to_be_visible()
    rows = page.get_by_test_id("result").locator("tbody tr")
    expect(rows).to_have_count(len(DAYS))
    expect(rows.first).to_contain_text(en("Place réservée"))
    check("result")

    bookings = Booking.objects.filter(child=world.paolo, activity=world.aps_a)
    assert sorted(bookings.values_list("date", flat=True)) == DAYS
    assert set(bookings.values_list("status", flat=True)) == {BookingStatus.ACCEPTED}
    assert leftovers == {}, f"French left on the English pages: {leftovers}"


def test_the_english_wording_is_really_english():
    """The words the walk relies on are translated (else the walk proves nothing)."""
    for msgid in ("Réserver", "Valider", "Confirmer", "Place réservée", "Se connecter", "Mois suivant"):
        assert en(msgid) != msgid, msgid
