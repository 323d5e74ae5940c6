"""Issue 18 points 3 and 4 in Chromium. A place freed after the cancellation
délai: the planning says « 1 place libre », why nobody was promoted, and one
click on « Attribuer » gives it to the first family waiting without reloading
the page. A strike day: « Fermer une journée » closes every activity of the
day at once; each family gets ONE e-mail for all its children and
activities; the families without e-mail are listed with their phone; the
family's home page and the calendar's day say « Fermé : Grève »."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from portail.booking import staff_actions
from portail.booking.calendar import cancellation_deadline
from portail.booking.models import BookingAudit, BookingStatus
from portail.notifications.models import OutboxEmail
from portail.structures.models import Opening
from tests import factories as f
from tests.browser.a11y import blocking_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)


def accessible(page, screen):
    """No serious or critical axe-core violation on the screen (RGAA, as tests/browser/test_accessibility.py),
    checked once the page has loaded (after a click's navigation, axe would read a half-replaced document)."""
    blocking = blocking_violations(page, screen)
    assert not blocking, "\n".join(blocking)


def logged_in(page, live_server, user, family=None):
    """A session for `user` set as a cookie (these tests are about the screens, not the login)."""
    client = Client()
    client.force_login(user)
    if family is not None:
        client.post(reverse("family:switch_structure"), {"family": family.pk})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def test_one_click_attribuer_gives_a_place_freed_after_the_deadline(page, live_server, world):
    world.aps_a.capacity, world.aps_a.waiting_list_capacity = 1, 5
    world.aps_a.save()
    early = NOW
    paolo = staff_actions.staff_book(world.paolo, world.aps_a, DAY, actor=world.staff_a, reason="Guichet", now=early)
    waiting = []
    for n in range(2):
        account = f.UserFactory(username=f"attente{n}", email=f"attente{n}@example.org")
        family = f.FamilyFactory(structure=world.a, last_name=f"ATTENTE{n}", accounts=[account])
        child = f.ChildFactory(family=family, first_name=f"Enfant{n}", last_name=f"ATTENTE{n}")
        f.EnrolmentFactory(child=child, activity=world.aps_a)
        waiting.append(
            staff_actions.staff_book(child, world.aps_a, DAY, actor=world.staff_a, reason="Guichet", now=early)
        )
    late = cancellation_deadline(world.aps_a, DAY) + datetime.timedelta(minutes=5)
    with time_machine.travel(late, tick=True):
        assert staff_actions.staff_cancel(paolo, actor=world.staff_a, reason="Malade") == []
        logged_in(page, live_server, world.staff_a)
        page.goto(f"{live_server.url}{reverse('staff:planning')}?date={DAY.isoformat()}")
        offer = page.get_by_test_id("free-places")
        expect(offer).to_contain_text("1 place libre")
        expect(offer).to_contain_text("Pas de promotion automatique : le délai d'annulation de ce jour est dépassé")
        expect(offer.get_by_test_id("offer")).to_have_count(1)  # one place: the first family waiting
        expect(offer).to_contain_text("ATTENTE0 Enfant0")
        reason = offer.get_by_label("Motif")
        expect(reason).to_have_value("Place libérée : attribuée par Alice AGENT")
        accessible(page, "planning with a free place")
        page.evaluate("window.__marker = 1")  # a reload would lose it; the htmx swap keeps it

        offer.get_by_role("button", name="Attribuer une place à Enfant0").click()

        section = page.locator(f"#activite-{world.aps_a.pk}")
        expect(section.get_by_test_id("outcome")).to_have_text("ATTENTE0 Enfant0 a obtenu une place le lun. 07/12.")
        expect(section.get_by_test_id("free-places")).to_have_count(0)
        expect(section.get_by_test_id("accepted")).to_contain_text("ATTENTE0 Enfant0")
        expect(section.get_by_test_id("places")).to_have_text("1 / 1 place")
        assert page.evaluate("window.__marker") == 1
    first, second = (type(b).objects.get(pk=b.pk) for b in waiting)
    assert (first.status, second.status) == (BookingStatus.ACCEPTED, BookingStatus.WAITLISTED)
    audit = BookingAudit.objects.get(booking=first, to_status=BookingStatus.ACCEPTED)
    assert (audit.actor, audit.note) == (world.staff_a, "Place libérée : attribuée par Alice AGENT")
    o = Opening.objects.get(activity=world.aps_a, date=DAY)
    assert (o.accepted_count, o.waitlisted_count) == (1, 1)


def test_a_strike_day_closed_in_one_action(page, browser, live_server, world):
    with time_machine.travel(NOW, tick=True):
        f.OpeningFactory(activity=world.cantine_a, date=DAY)
        sansmail = f.FamilyFactory(structure=world.a, last_name="SANSMAIL", first_name="Nora", phone="06 12 34 56 78")
        lina = f.ChildFactory(family=sansmail, first_name="Lina", last_name="SANSMAIL")
        for child in (world.paolo, world.amalia, lina):
            for activity in (world.aps_a, world.cantine_a):
                if not child.enrolments.filter(activity=activity).exists():
                    f.EnrolmentFactory(child=child, activity=activity)
                staff_actions.staff_book(child, activity, DAY, actor=world.staff_a, reason="Guichet", now=NOW)

        logged_in(page, live_server, world.staff_a)
        page.goto(f"{live_server.url}{reverse('staff:index')}")
        page.get_by_role("link", name="Fermer une journée").first.click()
        page.get_by_label("Jour").fill(DAY.isoformat())
        page.get_by_role("button", name="Afficher").click()
        expect(page.get_by_label("APS MATIN")).to_be_checked()
        expect(page.get_by_label("RESTAURATION")).to_be_checked()
        preview = page.get_by_test_id("preview")
        expect(preview).to_contain_text("6 réservations annulées, 2 familles concernées, 1 sans e-mail (à appeler)")
        expect(preview).to_contain_text("06 12 34 56 78")
        accessible(page, "Fermer une journée")
        page.get_by_label("Motif (dit aux familles)").fill("Grève")
        page.get_by_label("Je confirme la fermeture : les familles seront prévenues").check()
        page.get_by_role("button", name="Fermer la journée pour les activités cochées").click()

        # the list of the families to call, printable
        expect(page.locator(".messagelist")).to_contain_text(
            "2 activités fermées le lun. 07/12, 6 réservations annulées, 1 famille prévenue par e-mail, "
            "1 famille à appeler."
        )
        calls = page.get_by_test_id("family-to-call")
        expect(calls).to_have_count(1)
        expect(calls).to_contain_text("SANSMAIL Nora")
        expect(calls).to_contain_text("06 12 34 56 78")
        expect(page.get_by_role("button", name="Imprimer")).to_be_visible()
        accessible(page, "families to call")

        # ONE e-mail per address of the DUPONT family, for both children and both activities
        notices = OutboxEmail.objects.filter(kind="fermeture")
        assert sorted(notices.values_list("to", flat=True)) == ["dupont2@example.org", "dupont@example.org"]
        body = notices.get(to="dupont@example.org").body_text
        assert "DUPONT Amalia : APS MATIN, RESTAURATION" in body and "DUPONT Paolo : APS MATIN, RESTAURATION" in body

        # the family: a notice on its home page, and the calendar's day says why it is closed
        family = browser.new_context(viewport={"width": 375, "height": 800}, locale="fr-FR")
        parent = family.new_page()
        parent.set_default_timeout(10_000)
        logged_in(parent, live_server, world.dupont, world.family_a)
        parent.goto(f"{live_server.url}{reverse('family:home')}")
        notice = parent.get_by_test_id("closure-notice")
        expect(notice).to_contain_text("Fermé le lun. 07/12 : Grève")
        expect(notice).to_contain_text("Paolo : APS MATIN, RESTAURATION")
        expect(notice).to_contain_text("Amalia : APS MATIN, RESTAURATION")
        accessible(parent, "family home with the closure notice")
        parent.goto(
            f"{live_server.url}{reverse('family:reserve')}?enfant={world.paolo.pk}&mois=2026-12"
            f"&activite={world.aps_a.pk}"
        )
        parent.locator(f'td[data-date="{DAY.isoformat()}"]').click()
        expect(parent.get_by_test_id("day-status")).to_contain_text("Fermé : Grève")
        family.close()
