"""Invitations go through the outbox and show in their structure's
Gestion → E-mails (issue 18 point 8), and sending an e-mail again — an
invitation, a report in the outbox — asks first, saying when it was last
sent (a slip of the mouse must not e-mail a family twice)."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portail.accounts.invitations import send_invitation
from portail.accounts.models import Invitation, StaffRole
from portail.notifications import outbox
from portail.notifications.models import EmailStatus, OutboxEmail
from tests import factories as f
from tests.fuzz.values import fingerprint
from tests.helpers import page_text

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 9, 30))
USERS = reverse("admin:accounts_user_changelist")
OUTBOX = reverse("admin:notifications_outboxemail_changelist")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def newcomer(world):
    """A parent account staff of A just created: no password yet."""
    user = f.UserFactory(username="nouveau", email="nouveau@example.org", last_name="NOUVEAU")
    user.set_unusable_password()
    user.save()
    world.martin_a.accounts.add(user)
    return user


def _staff(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_invitation_is_an_outbox_email_of_its_structure_sent_and_retried_by_the_worker(world, newcomer):
    staff = _staff(world.staff_a)
    staff.post(USERS, {"action": "send_invitations", "_selected_action": [newcomer.pk]})
    email = OutboxEmail.objects.get(to="nouveau@example.org")
    assert (email.kind, email.structure, email.status) == ("invitation", world.a, EmailStatus.PENDING)
    assert not mail.outbox  # nothing sent behind the outbox's back
    assert "nouveau@example.org" in page_text(staff.get(reverse("staff:emails")))
    assert "nouveau@example.org" not in page_text(_staff(world.staff_b).get(reverse("staff:emails")))
    # The worker sends it, like every other e-mail.
    outbox.send_due()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and [m.to for m in mail.outbox] == [["nouveau@example.org"]]


def test_a_staff_account_invitation_lands_in_its_structure_outbox(world):
    colleague = f.StaffFactory(username="collegue.b", structures=[world.b], staff_role=StaffRole.ANIMATEUR)
    colleague.set_unusable_password()
    colleague.save()
    send_invitation(colleague, created_by=world.admin)
    email = OutboxEmail.objects.get(to=colleague.email)
    assert email.structure == world.b  # Les Pinsons' staff see it; it was invisible (no structure) before
    assert "Les Pinsons" in email.body_text
    assert "collegue.b@example.org" in page_text(_staff(world.staff_b).get(reverse("staff:emails")))


def test_inviting_again_asks_first_and_says_when_the_last_one_was_sent(world, newcomer):
    staff = _staff(world.staff_a)
    staff.post(USERS, {"action": "send_invitations", "_selected_action": [newcomer.pk]})
    assert Invitation.objects.filter(user=newcomer).count() == 1
    before = fingerprint()
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        response = staff.post(USERS, {"action": "send_invitations", "_selected_action": [newcomer.pk]})
    assert response.status_code == 200
    text = page_text(response)
    assert "Ces comptes ont déjà reçu une invitation" in text
    assert "26/11/2026 09:30" in text  # when the last one was sent
    assert fingerprint() == before  # nothing sent yet
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        response = staff.post(
            USERS, {"action": "send_invitations", "_selected_action": [newcomer.pk], "confirmation": "oui"}
        )
    assert response.status_code == 302
    assert Invitation.objects.filter(user=newcomer).count() == 2
    assert OutboxEmail.objects.filter(to="nouveau@example.org").count() == 2


def test_a_first_invitation_is_sent_without_a_question(world, newcomer):
    _staff(world.staff_a).post(USERS, {"action": "send_invitations", "_selected_action": [newcomer.pk]})
    assert OutboxEmail.objects.filter(to="nouveau@example.org").count() == 1


@pytest.fixture
def failed_report(world):
    return OutboxEmail.objects.create(
        kind="compte-rendu", to="martin@example.org", subject="Compte-rendu du 25/11", body_text="…",
        structure=world.a, status=EmailStatus.FAILED, attempts=6, last_error="SMTPRecipientsRefused(550)",
        sent_at=timezone.make_aware(datetime.datetime(2026, 11, 20, 18, 5)),
    )  # fmt: skip


def test_renvoyer_in_gestion_asks_first_showing_when_it_was_last_sent(world, failed_report):
    staff = _staff(world.staff_a)
    url = reverse("staff:resend_email", args=[failed_report.pk])
    before = fingerprint()
    response = staff.post(url, {"etat": "failed"})
    assert response.status_code == 200
    text = " ".join(page_text(response).split())
    assert "Dernier envoi réussi le 20/11/2026" in text
    assert "6 tentatives" in text and "SMTPRecipientsRefused(550)" in text
    assert fingerprint() == before
    response = staff.post(url, {"etat": "failed", "confirmation": "oui"})
    assert response.status_code == 302
    failed_report.refresh_from_db()
    assert (failed_report.status, failed_report.attempts) == (EmailStatus.PENDING, 0)


def test_renvoyer_in_the_admin_asks_first_too(world, failed_report):
    sent = OutboxEmail.objects.create(
        kind="compte-rendu", to="dupont@example.org", subject="Compte-rendu", body_text="…", structure=world.a,
        status=EmailStatus.SENT, sent_at=NOW - datetime.timedelta(hours=3),
    )  # fmt: skip
    staff = _staff(world.staff_a)
    selected = [failed_report.pk, sent.pk]
    before = fingerprint()
    response = staff.post(OUTBOX, {"action": "resend_selected", "_selected_action": selected})
    assert response.status_code == 200
    text = page_text(response)
    # When each was last sent: the failed report on 20/11, the other 3 hours ago.
    assert "20/11/2026 18:05" in text and "26/11/2026 06:30" in text
    assert fingerprint() == before
    staff.post(OUTBOX, {"action": "resend_selected", "_selected_action": selected, "confirmation": "oui"})
    assert set(OutboxEmail.objects.filter(pk__in=selected).values_list("status", flat=True)) == {EmailStatus.PENDING}
