"""R9 in a real browser: the recap is what gets confirmed, even with two tabs
of the same session open on the same draft (issue 12, point 5)."""

import re

import pytest
from playwright.sync_api import expect

from portail.booking.models import Booking, BookingStatus, Confirmation, DraftItem
from tests.browser.test_booking_screens import (
    SCHOOL_DAYS,
    cell,
    clock,  # noqa: F401 (autouse: the frozen, ticking clock of the booking screens)
    day_button,
    dec,
    draft_count,
    log_in,
    open_calendar,
    open_days,
    result_rows,
    wait_for_htmx,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGED = "Vos demandes ont changé : vérifiez le récapitulatif avant de confirmer."


def test_a_day_added_in_another_tab_is_not_confirmed_unseen(page, live_server, world, password):
    """Tab A opens the recap of 7 demandes; tab B (same browser, same session)
    adds an eighth day; tab A's Confirmer records nothing and shows the recap
    again with the message and the eighth day; its Confirmer then records
    exactly the 8 days shown."""
    open_days(world.aps_a, SCHOOL_DAYS)
    log_in(page, live_server, password)
    open_calendar(page, activity="APS MATIN")
    page.get_by_role("button", name="Toute la semaine du lun. 07/12 : réserver ou annuler").click()
    expect(draft_count(page)).to_have_text("4")  # 7, 8, 10, 11
    for day in (dec(14), dec(15), dec(17)):
        day_button(page, day).click()
        expect(cell(page, day)).to_have_attribute("data-state", "book")
    seven = [dec(d) for d in (7, 8, 10, 11, 14, 15, 17)]
    page.get_by_role("link", name="Valider").click()
    tab_a_rows = page.get_by_test_id("recap-bookings").locator("tbody tr")
    expect(tab_a_rows).to_have_count(len(seven))
    wait_for_htmx(page)  # Confirmer, clicked below, posts by htmx once it has wired the form

    tab_b = page.context.new_page()  # a second tab of the same session
    tab_b.goto(page.url)
    expect(tab_b.get_by_test_id("recap-bookings").locator("tbody tr")).to_have_count(len(seven))
    tab_b.get_by_role("link", name="Modifier").click()
    expect(tab_b.locator("#month-title")).to_have_text("Décembre 2026")
    wait_for_htmx(tab_b)  # the day buttons post by htmx once it has wired them
    day_button(tab_b, dec(18)).click()
    expect(cell(tab_b, dec(18))).to_have_attribute("data-state", "book")
    expect(draft_count(tab_b)).to_have_text("8")
    tab_b.close()

    page.bring_to_front()
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("status").filter(has_text=CHANGED)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/reserver/recapitulatif/$"))
    expect(tab_a_rows).to_have_count(len(seven) + 1)
    expect(page.get_by_test_id("recap-bookings").locator("tr", has_text="ven. 18/12")).to_have_count(1)
    assert not Booking.objects.exists() and not Confirmation.objects.exists()
    assert DraftItem.objects.count() == len(seven) + 1

    page.get_by_role("button", name="Confirmer").click()
    expect(result_rows(page)).to_have_count(len(seven) + 1)
    expect(page).to_have_url(re.compile(r"/reserver/resultat/\d+/$"))
    bookings = Booking.objects.filter(child=world.paolo, activity=world.aps_a, status=BookingStatus.ACCEPTED)
    assert sorted(bookings.values_list("date", flat=True)) == [*seven, dec(18)]
    assert Booking.objects.count() == len(seven) + 1 and Confirmation.objects.count() == 1
    assert not DraftItem.objects.exists()
