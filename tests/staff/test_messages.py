"""Messages to families (issue 18 point 8): staff write to everyone booked on
a day (one activity or all), to the families of an activity, or of a class.
A preview first; then one e-mail per family address through the outbox, a
copy on each family's home page (families without e-mail see it there), and
the list of what was sent to whom, scoped to the staff member's structures."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from portail.booking.models import BookingStatus
from portail.notifications.models import EmailKind, EmailStatus, FamilyMessage, FamilyMessageRecipient, OutboxEmail
from tests import factories as f
from tests.fuzz.values import fingerprint
from tests.helpers import make_booking, page_text
from tests.staff.conftest import DAY, visible_text

NEW = reverse("staff:message_new")
TEXT = {"objet": "Bus en retard", "message": "Le bus aura 20 minutes de retard.\nMerci de votre patience."}


@pytest.fixture
def day(world):
    """On DAY: Paolo (family A, two accounts with e-mail) on APS MATIN and on
    the canteen; Léo (MARTIN) on APS MATIN; a family without any e-mail on
    the canteen; Amalia's class CE2; Les Pinsons' Paolo on its own activity."""
    w = world
    f.OpeningFactory(activity=w.cantine_a, date=DAY)
    make_booking(child=w.paolo, activity=w.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    make_booking(child=w.paolo, activity=w.cantine_a, date=DAY, status=BookingStatus.ACCEPTED)
    make_booking(child=w.leo, activity=w.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    no_email = f.UserFactory(username="sansmail", email="")
    w.silent = f.FamilyFactory(structure=w.a, last_name="SILENCE", first_name="Sam", accounts=[no_email])
    w.silent_child = f.ChildFactory(family=w.silent, first_name="Zoé", last_name="SILENCE", school_class="CE2")
    make_booking(child=w.silent_child, activity=w.cantine_a, date=DAY, status=BookingStatus.ACCEPTED)
    # Cancelled: not booked any more, not written to.
    w.gone = f.FamilyFactory(structure=w.a, last_name="PARTI", accounts=[f.UserFactory(username="parti")])
    gone_child = f.ChildFactory(family=w.gone, first_name="Tom", last_name="PARTI")
    make_booking(child=gone_child, activity=w.aps_a, date=DAY, status=BookingStatus.CANCELLED)
    w.amalia.school_class = "CE2"
    w.amalia.save()
    make_booking(child=w.paolo_b, activity=w.alsh_b, date=w.opening_b.date, status=BookingStatus.ACCEPTED)
    return w


def _send(staff, **data):
    preview = staff.post(NEW, {**TEXT, **data})
    assert preview.status_code == 200, visible_text(preview)[:500]
    assert not FamilyMessage.objects.exists()  # the preview sends nothing
    return preview, staff.post(NEW, {**TEXT, **data, "confirmation": "oui"})


def test_everyone_booked_on_a_day_gets_one_email_per_address_and_a_copy_at_home(staff, day):
    preview, sent = _send(staff, destinataires="jour", date=DAY.isoformat())
    text = visible_text(preview)
    assert "3 familles recevront ce message." in text
    assert "1 famille n'a pas d'adresse e-mail" in text
    assert "SILENCE" in text and "PARTI" not in text
    message = FamilyMessage.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse("staff:message_detail", args=[message.pk])
    assert (message.structure, message.sent_by, message.subject) == (day.a, day.staff_a, "Bus en retard")
    families = set(FamilyMessageRecipient.objects.filter(message=message).values_list("family__last_name", flat=True))
    assert families == {"DUPONT", "MARTIN", "SILENCE"}
    # One e-mail per family address: Paolo's two activities make no second one.
    emails = OutboxEmail.objects.filter(kind=EmailKind.MESSAGE)
    assert sorted(emails.values_list("to", flat=True)) == [
        "dupont2@example.org",
        "dupont@example.org",
        "martin@example.org",
    ]
    assert set(emails.values_list("structure", flat=True)) == {day.a.pk}
    assert set(emails.values_list("status", flat=True)) == {EmailStatus.PENDING}  # the worker sends and retries them
    body = emails.get(to="martin@example.org").body_text
    assert "Le bus aura 20 minutes de retard." in body and "MARTIN Luc" in body
    # The family without e-mail reads it on its home page, as the others do.
    for account in ("sansmail", "martin"):
        family = Client()
        family.force_login(f.UserFactory(username=account))
        home = page_text(family.get(reverse("family:home")))
        assert "Bus en retard" in home and "Le bus aura 20 minutes de retard." in home, account
    # Staff see what was sent, to whom, each e-mail's state.
    listing = visible_text(staff.get(reverse("staff:messages")))
    assert "Bus en retard" in listing
    detail = visible_text(staff.get(reverse("staff:message_detail", args=[message.pk])))
    assert "martin@example.org : À envoyer" in detail
    assert "SILENCE" in detail and "aucune adresse : page d'accueil seulement" in detail


def test_one_activity_on_a_day_and_the_families_of_an_activity_or_a_class(staff, day):
    _send(staff, destinataires="jour", date=DAY.isoformat(), activite=day.cantine_a.pk)
    first = FamilyMessage.objects.get()
    assert set(first.recipients.values_list("family__last_name", flat=True)) == {"DUPONT", "SILENCE"}
    assert "RESTAURATION" in first.audience
    FamilyMessage.objects.all().delete()
    # The activity's families: enrolled (Paolo, Léo's enrolment below) or booked from today on.
    f.EnrolmentFactory(child=day.leo, activity=day.aps_a)
    _send(staff, destinataires="activite", activite=day.aps_a.pk)
    assert set(FamilyMessage.objects.get().recipients.values_list("family__last_name", flat=True)) == {
        "DUPONT",
        "MARTIN",
    }
    FamilyMessage.objects.all().delete()
    _send(staff, destinataires="classe", classe="ce2")
    assert set(FamilyMessage.objects.get().recipients.values_list("family__last_name", flat=True)) == {
        "DUPONT",
        "SILENCE",
    }


def test_another_structure_is_out_of_reach(staff, day):
    before = fingerprint()
    # Les Pinsons' activity: not found, nothing written.
    response = staff.post(NEW, {**TEXT, "destinataires": "activite", "activite": day.alsh_b.pk, "confirmation": "oui"})
    assert response.status_code == 404
    response = staff.post(NEW, {**TEXT, "destinataires": "classe", "classe": "CE2", "structure": day.b.pk})
    assert response.status_code == 404
    assert fingerprint() == before
    # B's staff neither see A's messages nor open them.
    _send(staff, destinataires="jour", date=DAY.isoformat())
    message = FamilyMessage.objects.get()
    other = Client()
    other.force_login(day.staff_b)
    assert "Bus en retard" not in visible_text(other.get(reverse("staff:messages")))
    assert other.get(reverse("staff:message_detail", args=[message.pk])).status_code == 404
    # Nor does B's family of the same parent see it on B's home page.
    assert not FamilyMessageRecipient.objects.filter(family=day.family_b).exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"destinataires": "jour"}, "Choisissez le jour."),
        ({"destinataires": "activite"}, "Choisissez l'activité."),
        ({"destinataires": "classe", "classe": "  "}, "Indiquez la classe."),
        ({"destinataires": "tous", "date": "2026-12-07"}, "Destinataires inconnus."),
        ({"destinataires": "jour", "date": "2026-12-07", "objet": ""}, "Indiquez l'objet du message."),
        ({"destinataires": "jour", "date": "2026-12-07", "objet": "Bus\r\nBcc: x@example.org"}, "sur une ligne"),
        ({"destinataires": "jour", "date": "2026-12-07", "message": "x" * 5001}, "5 000 caractères au plus"),
        ({"destinataires": "jour", "date": "2031-01-01"}, "Aucune famille ne correspond à ces destinataires."),
    ],
)
def test_a_refused_message_says_why_in_french_and_sends_nothing(staff, day, data, message):
    before = fingerprint()
    response = staff.post(NEW, {**TEXT, **data, "confirmation": "oui"})
    assert response.status_code == 400
    assert message in visible_text(response)
    assert fingerprint() == before


def test_the_form_and_the_menu(staff, day):
    response = staff.get(NEW, {"activite": day.aps_a.pk, "date": DAY.isoformat()})
    assert response.status_code == 200
    assert "Les familles des enfants réservés un jour" in visible_text(response)
    assert 'value="2026-12-07"' in page_text(response)  # the day the planning linked from, pre-filled
    assert staff.get(NEW, {"date": "1900-01-01"}).status_code == 400
    assert "ALSH MERCREDI" not in page_text(staff.get(NEW, {"activite": day.alsh_b.pk}))  # not offered
    assert reverse("staff:messages") in page_text(staff.get(reverse("staff:index")))
    planning = page_text(staff.get(reverse("staff:planning"), {"date": DAY.isoformat(), "activite": day.aps_a.pk}))
    assert f"{NEW}?activite={day.aps_a.pk}&date=2026-12-07" in planning  # a bus late: one click from the day
    assert datetime.date(2026, 12, 7) == DAY
