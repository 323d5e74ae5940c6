"""A parent invites the other parent (issue 17 point 1): the family invitation,
sent by the parent; the invited person accepts (logged in or by creating an
account), joins the family and gets their row among the parents. Same words
whatever the address; at most 5 invitations per family per 24 hours."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from portail.accounts.coparent import DAILY_LIMIT
from portail.accounts.invitations import invite_parent
from portail.accounts.models import Invitation
from portail.dossier.models import Guardian
from portail.notifications.models import OutboxEmail
from tests.helpers import page_text

NOW = datetime.datetime(2026, 11, 27, 17, 0, tzinfo=datetime.UTC)
NEW_PASSWORD = "Un-mot-de-passe-bien-long-42"
User = get_user_model()


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dupont(client, world):
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


def _link(email):
    sent = OutboxEmail.objects.filter(to=email).latest("pk")
    return re.search(r"https?://[^/\s]+(/compte/invitation/\S+/)", sent.body_text).group(1)


def _messages(response):
    """The page's messages (the rest differs by its CSRF token)."""
    return re.search(r'<ul class="messages".*?</ul>', page_text(response), re.S).group(0)


def _success_text(client):
    return page_text(client.get(reverse("family:dossier")))


def test_the_parent_invites_by_email_and_the_invitation_is_the_parents(dupont, world):
    url = reverse("accounts:invite_parent")
    assert dupont.get(url).status_code == 200
    response = dupont.post(url, {"email": "sophie@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("family:dossier")
    invitation = Invitation.objects.get(email="sophie@example.org")
    assert invitation.family == world.family_a and invitation.created_by == world.dupont
    assert OutboxEmail.objects.filter(to="sophie@example.org").count() == 1
    assert "Invitation envoyée à sophie@example.org" in _success_text(dupont)


def test_the_same_words_whether_an_account_uses_the_address_or_not(dupont, world):
    url = reverse("accounts:invite_parent")
    world.martin.email = "luc.martin@example.org"
    world.martin.save()
    known = dupont.post(url, {"email": "luc.martin@example.org"}, follow=True)
    unknown = dupont.post(url, {"email": "personne@example.org"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert _messages(known).replace("luc.martin@example.org", "X") == _messages(unknown).replace(
        "personne@example.org", "X"
    )
    assert Invitation.objects.filter(family=world.family_a).count() == 2


@pytest.mark.parametrize("email", ["", "pas-une-adresse", "a@b", "x" * 250 + "@example.org", "a@example.org\r\nBcc: x"])
def test_a_bad_address_is_refused_and_nothing_is_sent(dupont, world, email):
    response = dupont.post(reverse("accounts:invite_parent"), {"email": email})
    assert response.status_code == 400
    assert not Invitation.objects.exists() and not OutboxEmail.objects.exists()


def test_five_invitations_per_day_then_refused_until_the_next_day(dupont, world, clock):
    url = reverse("accounts:invite_parent")
    # Invitations staff send from the admin do not count against the family.
    invite_parent(world.family_a, "par-la-mairie@example.org", world.staff_a)
    for number in range(DAILY_LIMIT):
        assert dupont.post(url, {"email": f"parent{number}@example.org"}).status_code == 302
    refused = dupont.post(url, {"email": "encore@example.org"})
    assert refused.status_code == 429
    assert "réessayez demain" in page_text(refused)
    assert not Invitation.objects.filter(email="encore@example.org").exists()
    assert not OutboxEmail.objects.filter(to="encore@example.org").exists()
    # Another family of the same structure is not limited by DUPONT's.
    martin = Client()
    martin.force_login(world.martin)
    assert martin.post(url, {"email": "conjointe.martin@example.org"}).status_code == 302
    clock.shift(datetime.timedelta(days=1, minutes=1))
    assert dupont.post(url, {"email": "encore@example.org"}).status_code == 302


def test_the_invited_parent_creates_an_account_joins_the_family_and_gets_their_row(dupont, world):
    sophie = Guardian.objects.create(
        family=world.family_a, last_name="DUPONT", first_name="Sophie", email="Sophie@Example.org"
    )
    other_family_row = Guardian.objects.create(
        family=world.martin_a, last_name="MARTIN", first_name="Sophie", email="sophie@example.org"
    )
    dupont.post(reverse("accounts:invite_parent"), {"email": "sophie@example.org"})
    invited = Client()
    response = invited.post(
        _link("sophie@example.org"),
        {
            "way": "create", "signup-username": "sophie.d", "signup-last_name": "DUPONT", "signup-first_name": "Sophie",
            "signup-password1": NEW_PASSWORD, "signup-password2": NEW_PASSWORD,
        },
    )  # fmt: skip
    assert response.status_code == 302
    account = User.objects.get(username="sophie.d")
    assert world.family_a.accounts.filter(pk=account.pk).exists()
    sophie.refresh_from_db()
    other_family_row.refresh_from_db()
    assert sophie.account == account
    assert other_family_row.account is None
    # She now sees the family's file, with her row marked as hers.
    page = page_text(invited.get(reverse("family:dossier")))
    assert 'Sophie DUPONT <span class="badge">vous</span>' in page


def test_a_logged_in_parent_accepts_and_a_row_with_an_account_is_never_taken_over(dupont, world):
    taken = Guardian.objects.create(
        family=world.family_a, last_name="DUPONT", first_name="Marie", email="marie@example.org", account=world.dupont2
    )
    free = Guardian.objects.create(family=world.family_a, last_name="X", first_name="Y", email="marie@example.org")
    dupont.post(reverse("accounts:invite_parent"), {"email": "marie@example.org"})
    martin = Client()
    martin.force_login(world.martin)
    assert martin.post(_link("marie@example.org"), {"way": "attach"}).status_code == 302
    taken.refresh_from_db()
    free.refresh_from_db()
    assert taken.account == world.dupont2
    assert free.account == world.martin
    assert world.family_a.accounts.filter(pk=world.martin.pk).exists()


def test_another_familys_session_invites_only_into_its_own_family(world):
    martin = Client()
    martin.force_login(world.martin)
    martin.post(reverse("accounts:invite_parent"), {"email": "x@example.org", "family": world.family_a.pk})
    assert Invitation.objects.get().family == world.martin_a


def test_anonymous_and_staff_cannot_invite(client, world):
    url = reverse("accounts:invite_parent")
    assert client.post(url, {"email": "x@example.org"}).status_code == 302
    client.force_login(world.staff_a)
    assert client.post(url, {"email": "x@example.org"}).status_code in (302, 403)
    assert not Invitation.objects.exists()
