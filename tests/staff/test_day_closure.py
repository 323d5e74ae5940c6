"""Issue 18 point 4: a day closed for all activities in one action, with its
reason (a strike). « Fermer une journée » previews the bookings and families
affected, closes every chosen activity in one transaction
(booking.staff_actions.close_days), sends ONE e-mail per family listing all
its children and activities, puts a notice on the family's home page, and
lists the families without an e-mail address, with their phone, to call.
Every booking is made through the engine."""

import pytest
from django.urls import reverse

from portail.booking import staff_actions
from portail.booking.models import AuditSource, BookingAudit, BookingStatus, OpeningAudit, OpeningEvent
from portail.notifications import closures
from portail.notifications.models import OutboxEmail
from portail.structures.models import Opening
from tests import factories as f
from tests.helpers import page_text
from tests.staff.conftest import DAY, NOW, statuses, visible_text
from tests.staff.test_planning import messages_of

CLOSE_DAY = reverse("staff:close_day")
CALL_LIST = reverse("staff:call_list")


class Boom(Exception):
    pass


@pytest.fixture
def strike_day(world):
    """On DAY, CarteVille runs APS MATIN, RESTAURATION and ÉTUDE. DUPONT's
    Paolo and Amalia are booked on APS MATIN and RESTAURATION, MARTIN's Léo on
    RESTAURATION, SANSMAIL's Lina (a family without an account, hence without
    e-mail) on ÉTUDE and APS MATIN. Nothing for the Pinsons (structure B)."""
    etude = f.ActivityFactory(structure=world.a, name="ÉTUDE", code="ETU")
    for activity in (world.cantine_a, etude):
        f.OpeningFactory(activity=activity, date=DAY)
    sansmail = f.FamilyFactory(structure=world.a, last_name="SANSMAIL", first_name="Nora", phone="06 12 34 56 78")
    lina = f.ChildFactory(family=sansmail, first_name="Lina", last_name="SANSMAIL")
    plan = [
        (world.paolo, [world.aps_a, world.cantine_a]),
        (world.amalia, [world.aps_a, world.cantine_a]),
        (world.leo, [world.cantine_a]),
        (lina, [etude, world.aps_a]),
    ]
    bookings = []
    for child, activities in plan:
        for activity in activities:
            if not child.enrolments.filter(activity=activity).exists():
                f.EnrolmentFactory(child=child, activity=activity)
            bookings.append(
                staff_actions.staff_book(child, activity, DAY, actor=world.staff_a, reason="Guichet", now=NOW)
            )
    assert {b.status for b in bookings} == {BookingStatus.ACCEPTED}
    return etude, bookings


def close(staff, world, activities, **extra):
    data = {
        "date": DAY.isoformat(), "structure": world.a.pk, "activite": [a.pk for a in activities],
        "motif": "Grève", "confirmation": "oui", "action": "fermer", **extra,
    }  # fmt: skip
    return staff.post(CLOSE_DAY, data, follow=True)


def test_the_screen_ticks_every_activity_and_previews_the_families(staff, world, strike_day):
    etude, bookings = strike_day
    response = staff.get(CLOSE_DAY, {"date": DAY.isoformat()})
    html, text = page_text(response), visible_text(response)
    for activity in (world.aps_a, world.cantine_a, etude):
        assert f'name="activite" value="{activity.pk}" checked' in html
    assert "7 réservations annulées, 3 familles concernées, 1 sans e-mail (à appeler)" in text
    assert "DUPONT Amalia : APS MATIN, RESTAURATION" in text and "DUPONT Paolo : APS MATIN, RESTAURATION" in text
    assert "SANSMAIL Lina : APS MATIN, ÉTUDE" in text and "à appeler — 06 12 34 56 78" in text
    # « Aperçu » with only ÉTUDE ticked: its one family, and nothing changes
    response = staff.post(
        CLOSE_DAY, {"date": DAY.isoformat(), "structure": world.a.pk, "activite": [etude.pk], "action": "apercu"}
    )
    text = visible_text(response)
    assert "1 réservation annulée, 1 famille concernée" in text and "DUPONT" not in text.split("Aperçu")[-1]
    assert Opening.objects.open().filter(date=DAY, activity__structure=world.a).count() == 3
    assert set(statuses(bookings)) == {BookingStatus.ACCEPTED}


def test_a_strike_closes_every_activity_at_once_and_tells_each_family_once(staff, world, strike_day):
    etude, bookings = strike_day
    response = close(staff, world, [world.aps_a, world.cantine_a, etude])
    assert (
        "3 activités fermées le lun. 07/12, 7 réservations annulées, 2 familles prévenues par e-mail, "
        "1 famille à appeler."
    ) in messages_of(response)
    for activity in (world.aps_a, world.cantine_a, etude):
        o = Opening.objects.get(activity=activity, date=DAY)
        assert o.is_closed and o.closure_reason == "Grève" and o.closed_by == world.staff_a
        assert (o.accepted_count, o.waitlisted_count) == (0, 0)
        assert OpeningAudit.objects.filter(opening=o, event=OpeningEvent.CLOSURE, note="Grève").count() == 1
    assert set(statuses(bookings)) == {BookingStatus.CANCELLED}
    assert BookingAudit.objects.filter(source=AuditSource.STAFF, to_status=BookingStatus.CANCELLED).count() == 7

    # ONE e-mail per address of each family, listing all its children and activities
    notices = OutboxEmail.objects.filter(kind="fermeture")
    assert sorted(notices.values_list("to", flat=True)) == [
        "dupont2@example.org", "dupont@example.org", "martin@example.org",
    ]  # fmt: skip
    dupont = notices.get(to="dupont@example.org")
    assert "lun. 07/12" in dupont.subject
    for line in ("DUPONT Amalia : APS MATIN, RESTAURATION", "DUPONT Paolo : APS MATIN, RESTAURATION", "Motif : Grève"):
        assert line in dupont.body_text
    assert "MARTIN Léo : RESTAURATION" in notices.get(to="martin@example.org").body_text

    # then the printable list of the families to call: SANSMAIL only, with its phone
    assert response.redirect_chain[-1][0].startswith(CALL_LIST)
    html, text = page_text(response), visible_text(response)
    assert html.count('data-testid="family-to-call"') == 1
    assert "M. SANSMAIL Nora 06 12 34 56 78 SANSMAIL Lina : APS MATIN, ÉTUDE" in text
    assert "2 familles prévenues par e-mail" in text and "data-print" in html


def test_the_family_home_page_says_the_day_is_closed_and_why(client, world, strike_day, password):
    etude, _ = strike_day
    staff_actions.close_days(
        Opening.objects.filter(date=DAY, activity__structure=world.a), actor=world.staff_a, reason="Grève", now=NOW
    )
    client.force_login(world.dupont)
    assert "Fermé le" not in visible_text(client.get(reverse("family:home")))  # the Pinsons closed nothing
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    text = visible_text(client.get(reverse("family:home")))
    assert "Fermé le lun. 07/12 : Grève" in text
    assert "Paolo : APS MATIN, RESTAURATION" in text and "Amalia : APS MATIN, RESTAURATION" in text
    assert "Léo" not in text  # another family's child
    client.force_login(world.martin)
    text = visible_text(client.get(reverse("family:home")))
    assert "Fermé le lun. 07/12 : Grève" in text and "Léo : RESTAURATION" in text


def test_a_family_untouched_by_the_closure_sees_no_notice(client, world, strike_day):
    staff_actions.close_days(
        [Opening.objects.get(activity=world.aps_a, date=DAY)], actor=world.staff_a, reason="Grève", now=NOW
    )
    client.force_login(world.martin)  # Léo was booked on RESTAURATION only, still open
    assert "Fermé le" not in visible_text(client.get(reverse("family:home")))


def test_refusals_change_nothing(staff, world, strike_day):
    etude, bookings = strike_day
    every = [world.aps_a, world.cantine_a, etude]
    for extra, said in [
        ({"confirmation": ""}, "cochez « Je confirme la fermeture"),
        ({"motif": "  "}, "Indiquez un motif."),
        ({"activite": []}, "cochez au moins une activité"),
    ]:
        data = {"date": DAY.isoformat(), "structure": world.a.pk, "activite": [a.pk for a in every],
                "motif": "Grève", "confirmation": "oui", "action": "fermer", **extra}  # fmt: skip
        response = staff.post(CLOSE_DAY, data)
        assert response.status_code == 400 and said in " ".join(messages_of(response))
    assert Opening.objects.open().filter(date=DAY, activity__structure=world.a).count() == 3
    assert set(statuses(bookings)) == {BookingStatus.ACCEPTED} and not OutboxEmail.objects.exists()


def test_a_notice_that_cannot_be_queued_undoes_the_whole_closure(staff, world, strike_day, monkeypatch):
    etude, bookings = strike_day

    def broken(cancelled, reason):
        raise Boom

    monkeypatch.setattr(closures, "queue_family_closure_notices", broken)
    with pytest.raises(Boom):
        staff_actions.close_days(
            Opening.objects.filter(date=DAY, activity__structure=world.a), actor=world.staff_a, reason="Grève"
        )
    assert Opening.objects.open().filter(date=DAY, activity__structure=world.a).count() == 3
    assert set(statuses(bookings)) == {BookingStatus.ACCEPTED} and not OutboxEmail.objects.exists()
    assert all(o.accepted_count for o in Opening.objects.filter(date=DAY, activity__structure=world.a))


def test_another_structures_staff_cannot_close_or_read_the_day(client, world, strike_day):
    etude, bookings = strike_day
    client.force_login(world.staff_b)
    response = close(client, world, [world.aps_a])
    assert response.status_code == 404
    assert client.get(CALL_LIST, {"date": DAY.isoformat(), "structure": world.a.pk}).status_code == 404
    assert client.get(CLOSE_DAY, {"date": DAY.isoformat(), "structure": world.a.pk}).status_code == 404
    # B's own screen does not list A's activities
    text = visible_text(client.get(CLOSE_DAY, {"date": DAY.isoformat()}))
    assert "APS MATIN" not in text
    assert set(statuses(bookings)) == {BookingStatus.ACCEPTED}


@pytest.mark.parametrize(
    "query",
    [{"date": "2026-13-01"}, {"date": "0001-01-01"}, {"structure": "x"}, {"structure": "99999999999999999999"}],
)
def test_hostile_values_are_refused_without_a_500(staff, world, query):
    assert staff.get(CLOSE_DAY, query).status_code in (400, 404)
    assert staff.get(CALL_LIST, {"date": DAY.isoformat(), "structure": world.a.pk, **query}).status_code in (
        400, 404,
    )  # fmt: skip
    data = {"date": DAY.isoformat(), "structure": world.a.pk, "action": "fermer", "motif": "Grève",
            "confirmation": "oui", **query}  # fmt: skip
    assert staff.post(CLOSE_DAY, {**data, "activite": ["1e3"]}).status_code in (400, 404)
    assert staff.post(CLOSE_DAY, {**data, "action": "<script>"}).status_code in (400, 404)
