"""The booking screens' acceptance in a real browser (R5–R12): the parent
logs in, builds a draft by clicking (htmx swaps, no page reload), validates,
confirms, and reads the outcome; every test checks the DOM and the database."""

import datetime
import re
import time

import pytest
import time_machine
from playwright.sync_api import expect

from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.models import Booking, BookingStatus, DraftItem
from portail.family import booking_views
from tests import factories as f
from tests.browser.header import open_menu
from tests.browser.login import login_family
from tests.helpers import make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


def dec(day):
    return datetime.date(2026, 12, day)


# Mon/Tue/Thu/Fri of December before the Christmas closure (19/12–03/01; 25/12 is a public holiday).
SCHOOL_DAYS = [dec(d) for d in range(1, 19) if dec(d).weekday() in (0, 1, 3, 4)]


@pytest.fixture(autouse=True)
def clock():
    # tick=True: the clock runs on (Playwright's timeouts work); the live server thread sees it too.
    with time_machine.travel(NOW, tick=True):
        yield


# ------------------------------------------------------------------ helpers


def log_in(page, live_server, password):
    """The real login form, then the header's structure switch to CarteVille."""
    login_family(page, live_server, "dupont", password, structure="Mairie de CarteVille")
    expect(page.get_by_test_id("info-message").first).to_contain_text("CarteVille")


def open_calendar(page, child="Paolo", activity=None, month="Décembre 2026"):
    """Réserver → child → activity (or all) → month, through the menus and links."""
    open_menu(page)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Réserver").click()
    page.get_by_role("link", name=f"{child} DUPONT").click()
    expect(page).to_have_url(re.compile(r"/reserver/\?enfant=\d+"))
    if activity:
        page.get_by_label("Activité", exact=True).select_option(label=activity)
        page.get_by_role("button", name="Afficher").click()
        # The calendar of all activities has a month title too: read the one Afficher leads to.
        expect(page).to_have_url(re.compile(r"[?&]activite=\d+"))
    title = page.locator("#month-title")
    for _ in range(3):
        wait_for_htmx(page)  # "Mois suivant" is an htmx link once htmx has wired it
        shown = title.inner_text()
        if shown == month:
            break
        page.get_by_role("link", name="Mois suivant").click()
        expect(title).not_to_have_text(shown)
    expect(title).to_have_text(month)
    wait_for_htmx(page)  # the day buttons and tools post by htmx once it has wired them


def wait_for_htmx(page):
    """The page shown has loaded and htmx (a deferred script) has wired its
    elements on DOMContentLoaded: a click before would post or follow the old way."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")


def cell(page, day):
    return page.locator(f'td[data-date="{day.isoformat()}"]')


def day_button(page, day):
    return page.locator(f"#d-{day.isoformat()}")


def draft_count(page):
    return page.get_by_test_id("draft-count")


def expect_states(page, states):
    for day, state in states.items():
        expect(cell(page, day)).to_have_attribute("data-state", state)


def set_marker(page):
    """A page reload would lose this; an htmx swap keeps it. Set once the page
    has loaded (htmx wires its forms on DOMContentLoaded): a click before that
    would post the form the old way, a reload the test would blame on htmx."""
    wait_for_htmx(page)
    page.evaluate("window.__marker = 1")


def assert_no_reload(page):
    assert page.evaluate("window.__marker") == 1


def result_rows(page):
    return page.get_by_test_id("result").locator("tbody tr")


def open_days(activity, days):
    for day in days:
        activity.openings.get_or_create(date=day)


# ------------------------------------------------------------------ tests


def test_book_a_month_with_the_quick_tools_and_single_days(page, live_server, world, password):
    """R5c, R5d, R9, R10, R12: month icon, week arrow, weekday arrow and single
    clicks build the draft by htmx swaps; the recap, the result and Mes
    réservations show the same days; the database holds exactly them."""
    open_days(world.aps_a, SCHOOL_DAYS)
    log_in(page, live_server, password)
    open_calendar(page, activity="APS MATIN")
    set_marker(page)
    expect_states(page, {dec(7): "S2", dec(9): "S0", dec(25): "S0"})

    # Month icon: the first bookable day is not booked -> every bookable day of the month.
    page.locator("#tool-month").click()
    expect(draft_count(page)).to_have_text(str(len(SCHOOL_DAYS)))
    expect_states(page, dict.fromkeys(SCHOOL_DAYS, "book"))
    expect_states(page, {dec(2): "S0", dec(21): "S0", dec(25): "S0"})  # closed days are left alone

    # Week arrow of the week of Monday 7: its first day is marked -> the whole week is undone.
    page.get_by_role("button", name="Toute la semaine du lun. 07/12 : réserver ou annuler").click()
    expect(draft_count(page)).to_have_text(str(len(SCHOOL_DAYS) - 4))
    expect_states(page, {dec(7): "S2", dec(8): "S2", dec(10): "S2", dec(11): "S2", dec(14): "book"})

    # Weekday arrow under "Lun": the first Monday (7) is not booked -> every Monday is booked.
    page.locator("#tool-weekday-0").click()
    expect(draft_count(page)).to_have_text(str(len(SCHOOL_DAYS) - 3))
    expect_states(page, {dec(7): "book", dec(14): "book", dec(8): "S2"})

    # Single days: book Tuesday 8, then undo Thursday 17 and Friday 18.
    day_button(page, dec(8)).click()
    expect(cell(page, dec(8))).to_have_attribute("data-state", "book")
    day_button(page, dec(17)).click()
    expect(cell(page, dec(17))).to_have_attribute("data-state", "S2")
    day_button(page, dec(18)).click()
    expect(cell(page, dec(18))).to_have_attribute("data-state", "S2")
    wanted = [dec(d) for d in (1, 3, 4, 7, 8, 14, 15)]
    expect(draft_count(page)).to_have_text(str(len(wanted)))
    assert_no_reload(page)
    assert sorted(DraftItem.objects.values_list("date", flat=True)) == wanted
    assert not Booking.objects.exists()  # nothing is saved before the confirmation

    page.get_by_role("link", name="Valider").click()
    recap = page.get_by_test_id("recap-bookings").locator("tbody tr")
    expect(recap).to_have_count(len(wanted))
    expect(recap.first).to_contain_text("mar. 01/12")
    expect(page.get_by_test_id("recap-cancellations")).to_have_count(0)
    set_marker(page)
    page.get_by_role("button", name="Confirmer").click()
    expect(result_rows(page)).to_have_count(len(wanted))
    for row in result_rows(page).all():
        expect(row).to_have_attribute("data-outcome", "accepted")
        expect(row).to_contain_text("Place réservée")
    # One htmx round trip (R10 on registration night): the page was not reloaded, yet
    # the address, the title and the focus are the result page's, and a reload shows it.
    assert_no_reload(page)
    expect(page).to_have_url(re.compile(r"/reserver/resultat/\d+/$"))
    expect(page).to_have_title(re.compile(r"^Demandes enregistrées"))
    expect(page.get_by_role("heading", name="Vos demandes ont été enregistrées")).to_be_focused()
    page.reload()
    expect(result_rows(page)).to_have_count(len(wanted))

    open_menu(page)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes réservations").click()
    lines = page.get_by_test_id("reservations").locator("tbody tr")
    expect(lines).to_have_count(len(wanted))
    for line in lines.all():
        expect(line).to_contain_text("Non transmis (place réservée)")
    bookings = Booking.objects.filter(child=world.paolo, activity=world.aps_a)
    assert sorted(bookings.values_list("date", flat=True)) == wanted
    assert set(bookings.values_list("status", flat=True)) == {BookingStatus.ACCEPTED}
    assert not DraftItem.objects.exists()


def with_times(activity):
    activity.has_times = True
    activity.earliest_time, activity.latest_time, activity.time_step_minutes = (
        datetime.time(7, 30),
        datetime.time(8, 30),
        15,
    )
    activity.save()


def test_times_by_default_and_asked_for_one_day(page, live_server, world, password):
    """R5b: an activité à horaires with the same times for the chosen days, and
    one day with its own times through the time dialog; the recap and the
    bookings carry each day's times. A second click undoes a day (R5d)."""
    with_times(world.aps_a)
    open_days(world.aps_a, [dec(7), dec(8), dec(10)])
    log_in(page, live_server, password)
    open_calendar(page, activity="APS MATIN")
    set_marker(page)
    defaults = page.get_by_role("group", name="Horaires — APS MATIN")
    expect(defaults.get_by_label("Les mêmes horaires pour tous les jours choisis")).to_be_checked()
    defaults.get_by_label("Arrivée").select_option("07:45")
    defaults.get_by_label("Départ").select_option("08:15")

    day_button(page, dec(7)).click()
    expect(cell(page, dec(7))).to_have_attribute("data-state", "book")
    day_button(page, dec(10)).click()
    expect(cell(page, dec(10))).to_have_attribute("data-state", "book")
    day_button(page, dec(10)).click()  # changed my mind: undone
    expect(cell(page, dec(10))).to_have_attribute("data-state", "S2")
    expect(draft_count(page)).to_have_text("1")

    defaults.get_by_label("Me demander les horaires à chaque jour").check()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_hidden()
    day_button(page, dec(8)).click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("APS MATIN — mar. 08/12")
    expect(dialog.get_by_role("button", name="Annuler la réservation")).to_be_hidden()
    dialog.get_by_label("Arrivée").select_option("08:00")
    dialog.get_by_label("Départ").select_option("08:30")
    dialog.get_by_role("button", name="Valider").click()
    expect(dialog).to_be_hidden()
    expect(cell(page, dec(8))).to_have_attribute("data-state", "book")
    expect(draft_count(page)).to_have_text("2")
    assert_no_reload(page)

    page.get_by_role("link", name="Valider").click()
    recap = page.get_by_test_id("recap-bookings")
    expect(recap.locator("tr", has_text="lun. 07/12")).to_contain_text("07:45 – 08:15")
    expect(recap.locator("tr", has_text="mar. 08/12")).to_contain_text("08:00 – 08:30")
    expect(recap.locator("tbody tr")).to_have_count(2)
    wait_for_htmx(page)  # Confirmer posts by htmx once it has wired the form
    page.get_by_role("button", name="Confirmer").click()
    expect(result_rows(page)).to_have_count(2)

    times = {
        b.date: (b.arrival, b.departure, b.status)
        for b in Booking.objects.filter(child=world.paolo, activity=world.aps_a)
    }
    assert times == {
        dec(7): (datetime.time(7, 45), datetime.time(8, 15), BookingStatus.ACCEPTED),
        dec(8): (datetime.time(8, 0), datetime.time(8, 30), BookingStatus.ACCEPTED),
    }


def test_all_activities_day_panel_books_two_and_cancels_one(page, live_server, world, password):
    """R7: without an activity, click a day; in its panel book an activité à
    horaires through the time dialog and a plain one, cancel an accepted
    booking; the day's T-state follows; confirm; the database agrees."""
    with_times(world.aps_a)
    aps_soir = f.ActivityFactory(structure=world.a, name="APS SOIR", code="APSS")
    for activity in (world.cantine_a, aps_soir):
        f.EnrolmentFactory(child=world.paolo, activity=activity)
        open_days(activity, [dec(7)])
    booked = make_booking(child=world.paolo, activity=aps_soir, date=dec(7), status=BookingStatus.ACCEPTED)
    log_in(page, live_server, password)
    open_calendar(page)  # "Toutes les activités"
    expect(page.get_by_label("Activité", exact=True)).to_have_value("")
    set_marker(page)
    expect(cell(page, dec(7))).to_have_attribute("data-state", "T4")  # one booked, others still bookable

    day_button(page, dec(7)).click()
    panel = page.get_by_test_id("day-panel")
    expect(panel).to_contain_text("Activités du lundi 7 décembre 2026")
    rows = {name: panel.locator(f'li[data-activity="{name}"]') for name in ("APS MATIN", "RESTAURATION", "APS SOIR")}
    expect(rows["APS MATIN"]).to_have_attribute("data-state", "S2")
    expect(rows["APS SOIR"]).to_have_attribute("data-state", "S4")

    rows["APS MATIN"].get_by_role("button", name="Réserver (horaires) APS MATIN").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Arrivée").select_option("07:30")
    dialog.get_by_label("Départ").select_option("08:00")
    dialog.get_by_role("button", name="Valider").click()
    expect(dialog).to_be_hidden()
    expect(rows["APS MATIN"]).to_have_attribute("data-state", "book")

    rows["RESTAURATION"].get_by_role("button", name="Réserver RESTAURATION").click()
    expect(rows["RESTAURATION"]).to_have_attribute("data-state", "book")
    rows["APS SOIR"].get_by_role("button", name="Annuler APS SOIR").click()
    expect(rows["APS SOIR"]).to_have_attribute("data-state", "cancel")
    expect(draft_count(page)).to_have_text("3")
    expect(cell(page, dec(7))).to_have_attribute("data-state", "T4")

    panel.get_by_role("link", name="Retour au calendrier").click()
    expect(panel).to_have_count(0)
    assert_no_reload(page)

    page.get_by_role("link", name="Valider").click()
    expect(page.get_by_test_id("recap-bookings").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("recap-bookings").locator("tr", has_text="APS MATIN")).to_contain_text("07:30 – 08:00")
    cancellations = page.get_by_test_id("recap-cancellations").locator("tbody tr")
    expect(cancellations).to_have_count(1)
    expect(cancellations).to_contain_text("APS SOIR")
    wait_for_htmx(page)  # Confirmer posts by htmx once it has wired the form
    page.get_by_role("button", name="Confirmer").click()
    expect(result_rows(page)).to_have_count(3)
    outcomes = {r.locator("td").nth(1).inner_text(): r.get_attribute("data-outcome") for r in result_rows(page).all()}
    assert outcomes == {"APS MATIN": "accepted", "RESTAURATION": "accepted", "APS SOIR": "cancelled"}

    booked.refresh_from_db()
    assert booked.status == BookingStatus.CANCELLED
    matin = Booking.objects.get(child=world.paolo, activity=world.aps_a, date=dec(7))
    assert (matin.status, matin.arrival, matin.departure) == (
        BookingStatus.ACCEPTED,
        datetime.time(7, 30),
        datetime.time(8, 0),
    )
    assert (
        Booking.objects.get(child=world.paolo, activity=world.cantine_a, date=dec(7)).status == BookingStatus.ACCEPTED
    )


def test_copy_paolos_bookings_to_amalia_lists_days_not_imported(page, live_server, world, password):
    """R6: from Amalia's calendar, copy Paolo's APS MATIN bookings of a period;
    the copied days become "à réserver" marks, the full day is listed under
    "Réservations non importées" with its reason."""
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    open_days(world.aps_a, [dec(8), dec(10), dec(14)])
    world.aps_a.openings.filter(date=dec(10)).update(capacity=1, waiting_list_capacity=0)  # Paolo's place fills it
    for day in (dec(7), dec(8), dec(10)):
        make_booking(child=world.paolo, activity=world.aps_a, date=day, status=BookingStatus.ACCEPTED)
    make_booking(child=world.paolo, activity=world.aps_a, date=dec(14), status=BookingStatus.CANCELLED)
    log_in(page, live_server, password)
    open_calendar(page, child="Amalia")  # all activities, moved on to December by "Mois suivant" (htmx)
    page.get_by_label("Activité", exact=True).select_option(label="APS MATIN")
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(r"[?&]activite=\d+"))  # the calendar before had a title too
    expect(page.locator("#month-title")).to_have_text("Décembre 2026")  # the month shown is kept
    expect_states(page, {dec(7): "S2", dec(8): "S2", dec(10): "S1", dec(14): "S2"})

    page.get_by_role("link", name="Recopier des réservations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recopier des réservations")
    page.get_by_label("Enfant source").select_option(label="Paolo")
    page.get_by_label("Activité source").select_option(label="APS MATIN")
    page.get_by_label("Du").fill("2026-12-01")
    page.get_by_label("Au").fill("2026-12-18")
    page.get_by_role("button", name="Recopier").click()

    expect(page.get_by_test_id("copy-result")).to_contain_text("2 jours recopiés")
    not_imported = page.get_by_test_id("not-imported")
    expect(not_imported.get_by_role("heading")).to_have_text("Réservations non importées")
    expect(not_imported.locator("tbody tr")).to_have_count(1)
    expect(not_imported.locator("tbody tr")).to_contain_text("jeu. 10/12")
    expect(not_imported.locator("tbody tr")).to_contain_text("Complet, liste d'attente comprise")

    page.get_by_role("link", name="Retour au calendrier").click()
    expect(page.locator("#month-title")).to_have_text("Décembre 2026")
    expect_states(page, {dec(7): "book", dec(8): "book", dec(10): "S1", dec(14): "S2"})
    expect(draft_count(page)).to_have_text("2")
    items = DraftItem.objects.filter(child=world.amalia, activity=world.aps_a)
    assert sorted(items.values_list("date", flat=True)) == [dec(7), dec(8)]
    assert not Booking.objects.filter(child=world.amalia).exists()


def test_recap_modifier_keeps_the_draft_and_abandonner_empties_it(page, live_server, world, password):
    """R9: "Modifier" returns to the calendar with the draft intact (same
    count, marks still shown); "Abandonner" discards it."""
    open_days(world.aps_a, [dec(8), dec(10)])
    log_in(page, live_server, password)
    open_calendar(page, activity="APS MATIN")
    for day in (dec(7), dec(10)):
        day_button(page, day).click()
        expect(cell(page, day)).to_have_attribute("data-state", "book")
    expect(draft_count(page)).to_have_text("2")

    page.get_by_role("link", name="Valider").click()
    expect(page.get_by_test_id("recap-bookings").locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Modifier").click()
    expect(page.locator("#month-title")).to_have_text("Décembre 2026")
    expect(page.get_by_label("Activité", exact=True).locator("option:checked")).to_have_text("APS MATIN")
    expect(draft_count(page)).to_have_text("2")
    expect_states(page, {dec(7): "book", dec(8): "S2", dec(10): "book"})
    assert DraftItem.objects.count() == 2

    page.get_by_role("link", name="Valider").click()
    page.get_by_role("button", name="Abandonner").click()
    expect(
        page.get_by_role("status").filter(has_text="Vos demandes non confirmées ont été abandonnées.")
    ).to_be_visible()
    expect(draft_count(page)).to_have_text("0")
    assert not DraftItem.objects.exists()
    assert not Booking.objects.exists()
    page.get_by_role("link", name="Valider").click()
    expect(page.get_by_role("main")).to_contain_text("Vous n'avez aucune demande en cours.")


def test_last_place_taken_before_confirmer_gives_a_waiting_list_place(page, live_server, world, password):
    """R3, R10, D5: the places shown are an indication; while the recap is
    open another family confirms the last place; "Confirmer" re-checks and
    puts Paolo on the waiting list, and says so."""
    world.aps_a.openings.filter(date=dec(7)).update(capacity=1)
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    log_in(page, live_server, password)
    open_calendar(page, activity="APS MATIN")
    expect(day_button(page, dec(7))).to_contain_text("1 pl.")
    day_button(page, dec(7)).click()
    expect(cell(page, dec(7))).to_have_attribute("data-state", "book")
    page.get_by_role("link", name="Valider").click()
    expect(page.get_by_test_id("recap-bookings").locator("tbody tr")).to_have_count(1)
    wait_for_htmx(page)  # Confirmer posts by htmx once it has wired the form

    # Meanwhile the MARTIN family confirms Léo on the same day through the engine.
    other = drafts.get_draft(world.martin_a, world.martin)
    drafts.toggle_day(other, world.leo, world.aps_a, dec(7), now=NOW)
    assert confirm_draft(other, other.token, user=world.martin).movements[0].outcome == BookingStatus.ACCEPTED

    page.get_by_role("button", name="Confirmer").click()
    row = result_rows(page)
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-outcome", "waitlisted")
    expect(row).to_contain_text("Plus de place : inscrit en liste d'attente, position 1")
    paolo = Booking.objects.get(child=world.paolo, activity=world.aps_a, date=dec(7))
    assert paolo.status == BookingStatus.WAITLISTED
    assert Booking.objects.get(child=world.leo).status == BookingStatus.ACCEPTED


def test_mes_reservations_prints_and_cancels_a_waiting_list_place(page, live_server, world, password):
    """R12: the print layout hides the filters and actions; a waiting-list
    place is cancelled from Mes réservations through the recap and
    "Confirmer"; it is then Annulée in the database."""
    open_days(world.aps_a, [dec(8)])
    world.aps_a.openings.filter(date=dec(8)).update(capacity=0)
    accepted = make_booking(child=world.paolo, activity=world.aps_a, date=dec(7), status="accepted")
    waiting = make_booking(child=world.paolo, activity=world.aps_a, date=dec(8), status="waitlisted")
    log_in(page, live_server, password)
    open_menu(page)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes réservations").click()
    lines = page.get_by_test_id("reservations").locator("tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Acceptée")
    expect(lines.nth(1)).to_contain_text("En liste d'attente (position 1)")

    # Print: the Imprimer button calls the browser's print; the print layout hides .no-print.
    # Its handler is a deferred script's: wait for the page's load before replacing print and clicking.
    page.wait_for_load_state("load")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("window.__printed") is True
    no_print = page.locator(".no-print")
    assert no_print.count() >= 3  # the filters and each line's action cell
    expect(no_print.first).to_be_visible()
    page.emulate_media(media="print")
    for element in no_print.all():
        expect(element).to_be_hidden()
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_hidden()
    expect(lines.nth(1)).to_be_visible()
    page.emulate_media(media="screen")

    lines.nth(1).get_by_role("button", name="Annuler la place en liste d'attente").click()
    cancellations = page.get_by_test_id("recap-cancellations").locator("tbody tr")
    expect(cancellations).to_have_count(1)
    expect(cancellations).to_contain_text("mar. 08/12")
    wait_for_htmx(page)  # Confirmer posts by htmx once it has wired the form
    page.get_by_role("button", name="Confirmer").click()
    expect(result_rows(page)).to_have_attribute("data-outcome", "cancelled")
    expect(result_rows(page)).to_contain_text("Annulation enregistrée")
    waiting.refresh_from_db()
    accepted.refresh_from_db()
    assert (waiting.status, accepted.status) == (BookingStatus.CANCELLED, BookingStatus.ACCEPTED)
    page.get_by_role("link", name="Mes réservations").last.click()
    expect(lines.nth(1)).to_contain_text("Non transmis (annulée)")


def settled(page):
    """htmx has wired up the swapped-in cell (a key pressed before would post the plain form)."""
    page.wait_for_function("!document.querySelector('.htmx-settling, .htmx-swapping, .htmx-request')")


def test_keyboard_only_toggles_a_day_and_keeps_the_focus(page, live_server, world, password):
    """D4 (RGAA): Tab to a day, Enter books it, Space undoes it; after each htmx
    swap the focus is back on that day's button."""
    log_in(page, live_server, password)
    open_calendar(page, activity="APS MATIN")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.click(1, 1)  # start from the top of the page
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "d-2026-12-07":
            break
    else:
        pytest.fail("Tab never reached the day button of 7 December")

    page.keyboard.press("Enter")
    expect(cell(page, dec(7))).to_have_attribute("data-state", "book")
    expect(day_button(page, dec(7))).to_be_focused()
    settled(page)
    assert page.evaluate("document.activeElement.id") == "d-2026-12-07"
    assert DraftItem.objects.get().date == dec(7)

    page.keyboard.press("Space")
    expect(cell(page, dec(7))).to_have_attribute("data-state", "S2")
    expect(day_button(page, dec(7))).to_be_focused()
    settled(page)
    assert not DraftItem.objects.exists()
    page.keyboard.press("Enter")
    expect(cell(page, dec(7))).to_have_attribute("data-state", "book")
    expect(draft_count(page)).to_have_text("1")
    expect(day_button(page, dec(7))).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "d-2026-12-07"


def test_confirmer_falls_back_to_the_plain_form_when_the_htmx_call_fails(page, live_server, world, password):
    """R10, nothing confirmed is lost: if the htmx call fails (here the connection
    drops), the form is posted the ordinary way and the parent gets the result page."""
    open_days(world.aps_a, SCHOOL_DAYS[:1])
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, world.aps_a, SCHOOL_DAYS[0], now=NOW)
    log_in(page, live_server, password)
    calls = []

    def drop_htmx_calls(route):
        calls.append("htmx" if route.request.headers.get("hx-request") else "form")
        route.abort() if route.request.headers.get("hx-request") else route.continue_()

    page.route("**/reserver/confirmer/", drop_htmx_calls)
    page.goto(f"{live_server.url}/reserver/recapitulatif/")
    page.get_by_role("button", name="Confirmer").click()
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page)).to_have_attribute("data-outcome", "accepted")
    expect(page).to_have_url(re.compile(r"/reserver/resultat/\d+/$"))
    assert calls == ["htmx", "form"]
    assert Booking.objects.filter(child=world.paolo, status=BookingStatus.ACCEPTED).count() == 1


def test_a_double_click_on_confirmer_sends_one_confirmation(page, live_server, world, password, monkeypatch):
    """R10 on registration night: a parent clicking "Confirmer" again while the
    busy server has not answered yet posts once (the engine would answer a
    second post with the first one's result anyway)."""
    slow = booking_views.confirm_family_draft

    def busy_server(*args, **kwargs):
        time.sleep(0.5)
        return slow(*args, **kwargs)

    monkeypatch.setattr(booking_views, "confirm_family_draft", busy_server)
    open_days(world.aps_a, SCHOOL_DAYS[:2])
    draft = drafts.get_draft(world.family_a, world.dupont)
    for day in SCHOOL_DAYS[:2]:
        drafts.toggle_day(draft, world.paolo, world.aps_a, day, now=NOW)
    log_in(page, live_server, password)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/confirmer/" in r.url else None)
    page.goto(f"{live_server.url}/reserver/recapitulatif/")
    # Two clicks 0.15 s apart, the first one's answer still awaited.
    page.get_by_role("button", name="Confirmer").evaluate("b => { b.click(); setTimeout(() => b.click(), 150); }")
    expect(result_rows(page)).to_have_count(2)
    assert len(posts) == 1
    assert Booking.objects.filter(child=world.paolo, status=BookingStatus.ACCEPTED).count() == 2
