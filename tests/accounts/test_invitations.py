"""A1: accounts are invited by e-mail with a single-use, expiring link; no
password is ever generated, stored in clear or sent."""

import datetime
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse

from portail.accounts.invitations import send_invitation
from portail.accounts.models import Invitation, User
from portail.notifications.models import OutboxEmail
from tests.helpers import page_text

NEW_PASSWORD = "Un-Nouveau-Mot-2026"


def sent():
    """The e-mails queued in the outbox (N4), oldest first, as mail.outbox shows them."""
    return [
        SimpleNamespace(to=[e.to], body=e.body_text, alternatives=[(e.body_html, "text/html")] if e.body_html else [])
        for e in OutboxEmail.objects.order_by("pk")
    ]


def invite(user, django_capture_on_commit_callbacks):
    if user.has_usable_password():
        user.set_unusable_password()
        user.save()
    with django_capture_on_commit_callbacks(execute=True):
        send_invitation(user)
    message = sent()[-1]
    link = re.search(r"http\S+/compte/invitation/(\S+)/", message.body)
    return message, link.group(1)


def choose(client, token, password=NEW_PASSWORD):
    return client.post(
        reverse("accounts:invitation", args=[token]), {"new_password1": password, "new_password2": password}
    )


def test_invitation_lets_parent_choose_password_once(client, world, django_capture_on_commit_callbacks):
    message, token = invite(world.martin, django_capture_on_commit_callbacks)
    assert message.to == [world.martin.email]
    assert "martin" in message.body and "Mairie de CarteVille" in message.body
    assert message.alternatives, "an HTML part is sent too"
    assert client.get(reverse("accounts:invitation", args=[token])).status_code == 200

    response = choose(client, token)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    world.martin.refresh_from_db()
    assert world.martin.check_password(NEW_PASSWORD)
    # single use
    assert client.get(reverse("accounts:invitation", args=[token])).status_code == 404
    assert choose(client, token, "Encore-Un-Autre-2026").status_code == 404
    world.martin.refresh_from_db()
    assert world.martin.check_password(NEW_PASSWORD)


def test_invitation_expires(client, world, django_capture_on_commit_callbacks, settings):
    with time_machine.travel(datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        _, token = invite(world.martin, django_capture_on_commit_callbacks)
    later = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.UTC) + datetime.timedelta(
        days=settings.INVITATION_VALID_DAYS, minutes=1
    )
    with time_machine.travel(later, tick=False):
        response = client.get(reverse("accounts:invitation", args=[token]))
    assert response.status_code == 404
    assert "n'est plus valable" in page_text(response)


def test_token_is_not_stored_and_no_password_is_sent(world, django_capture_on_commit_callbacks):
    message, token = invite(world.martin, django_capture_on_commit_callbacks)
    stored = Invitation.objects.get(user=world.martin)
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert "mot de passe :" not in message.body.lower()


def test_weak_password_is_refused_in_french(client, world, django_capture_on_commit_callbacks):
    _, token = invite(world.martin, django_capture_on_commit_callbacks)
    response = choose(client, token, "1234")
    assert response.status_code == 200
    assert "trop court" in page_text(response) or "trop courant" in page_text(response)
    world.martin.refresh_from_db()
    assert not world.martin.check_password("1234")
    assert Invitation.objects.usable().filter(user=world.martin).exists()


@pytest.mark.parametrize("token", ["nimportequoi", "a" * 43])
def test_unknown_token_is_404(client, db, token):
    assert client.get(reverse("accounts:invitation", args=[token])).status_code == 404


def test_staff_creates_account_without_password_and_invites(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.staff_a)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"username": "nouveau.parent", "last_name": "NOUVEAU", "first_name": "Ana",
         "email": "ana@example.org", "family": world.martin_a.pk, "_save": "1"},
    )  # fmt: skip
    assert response.status_code == 302, page_text(response)
    user = User.objects.get(username="nouveau.parent")
    assert not user.has_usable_password()
    assert world.martin_a.accounts.filter(pk=user.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "send_invitations", "_selected_action": [user.pk]},
        )
    assert sent()[-1].to == ["ana@example.org"]
    assert Invitation.objects.filter(user=user, created_by=world.staff_a).count() == 1


def test_invitation_action_reports_accounts_without_email(client, world):
    world.martin.email = ""
    world.martin.save()
    client.force_login(world.staff_a)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_invitations", "_selected_action": [world.martin.pk]},
        follow=True,
    )
    assert "Aucune adresse e-mail pour : martin" in page_text(response)
    assert not Invitation.objects.exists() and not sent()


def test_invitation_never_replaces_a_password_already_chosen(client, world, django_capture_on_commit_callbacks):
    """Staff of another structure must not be able to take over a parent's account."""
    from portail.accounts.invitations import InvitationRefused

    with pytest.raises(InvitationRefused):
        send_invitation(world.dupont)  # dupont already has a password
    # an invitation issued before the parent chose a password stops working once one is chosen
    world.martin.set_unusable_password()
    world.martin.save()
    _, first = invite(world.martin, django_capture_on_commit_callbacks)
    _, second = invite(world.martin, django_capture_on_commit_callbacks)
    assert choose(client, second).status_code == 302
    world.martin.refresh_from_db()
    assert choose(client, first, "Pirate-Mot-De-Passe-1").status_code == 404
    world.martin.refresh_from_db()
    assert world.martin.check_password(NEW_PASSWORD)


def test_invitation_action_skips_accounts_with_a_password(client, world):
    client.force_login(world.staff_a)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_invitations", "_selected_action": [world.martin.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "ont déjà un mot de passe" in page_text(response)
    assert not Invitation.objects.exists() and not sent()
