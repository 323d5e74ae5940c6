"""Issue 12: a parent who already has an account joins another structure's
family only by accepting an invitation — logged in, or with their password —
and staff never attach it themselves nor learn whether it exists."""

import datetime
import re

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from portail.accounts.invitations import invite_parent
from portail.accounts.models import Invitation, User
from portail.notifications.models import OutboxEmail
from portail.web.family import SESSION_KEY as FAMILY_KEY
from tests import factories as f
from tests.helpers import page_text

INVITE_URL = reverse("admin:accounts_invitation_add")
NEW_PASSWORD = "Un-Nouveau-Mot-2026"


def history(obj):
    """The admin history of `obj`: (who, what), oldest first."""
    entries = LogEntry.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
    return [(e.user.username, e.get_change_message()) for e in entries.order_by("pk")]


def link_of(email):
    """The path of the invitation link in the last e-mail queued to `email`."""
    sent = OutboxEmail.objects.filter(to=email).latest("pk")
    return re.search(r"https?://[^/\s]+(/compte/invitation/\S+/)", sent.body_text).group(1)


@pytest.fixture
def invited(world):
    """Les Pinsons invite MARTIN (a parent of CarteVille only) to their DUPONT family."""
    invitation = invite_parent(world.family_b, "luc.martin@example.org", created_by=world.staff_b)
    return link_of("luc.martin@example.org"), invitation


def families_of(user):
    return set(User.objects.get(pk=user.pk).families.values_list("pk", flat=True))


# --- staff side: "Inviter un parent" -------------------------------------------------


def test_staff_invite_a_parent_from_a_family_of_their_structure(client, world):
    client.force_login(world.staff_b)
    family_page = page_text(client.get(reverse("admin:structures_family_change", args=[world.family_b.pk])))
    assert f"{INVITE_URL}?family={world.family_b.pk}" in family_page
    form = client.get(INVITE_URL, {"family": world.family_b.pk})
    assert form.status_code == 200
    assert "Inviter un parent" in page_text(form) and "mot de passe" in page_text(form)
    assert set(form.context["adminform"].form.fields["family"].queryset) == {world.family_b}

    response = client.post(INVITE_URL, {"family": world.family_b.pk, "email": " Luc.Martin@Example.org "})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.family, invitation.user, invitation.email, invitation.created_by) == (
        world.family_b, None, "Luc.Martin@example.org", world.staff_b
    )  # fmt: skip
    sent = OutboxEmail.objects.get()
    assert (sent.to, sent.kind, sent.structure) == ("Luc.Martin@example.org", "invitation", world.b)
    assert "Les Pinsons" in sent.body_text and "DUPONT Jean-Paul" in sent.body_text
    assert "/compte/invitation/" in sent.body_text and sent.body_html
    # Recorded in the family's history: who, when, what.
    assert ("agent.b", "Invitation à rejoindre la famille envoyée à Luc.Martin@example.org.") in history(world.family_b)
    # Nothing was attached, nothing said about any account at that address.
    assert families_of(world.martin) == {world.martin_a.pk}
    assert set(world.family_b.accounts.all()) == {world.dupont}


def test_staff_cannot_invite_to_another_structures_family(client, world):
    client.force_login(world.staff_b)
    response = client.post(INVITE_URL, {"family": world.family_a.pk, "email": "x@example.org"})
    assert response.status_code == 200
    assert "family" in response.context["adminform"].form.errors
    assert not Invitation.objects.exists() and not OutboxEmail.objects.exists()


def test_staff_see_only_their_structures_family_invitations(client, world, invited):
    client.force_login(world.staff_a)
    response = client.get(reverse("admin:accounts_invitation_changelist"))
    assert list(response.context["cl"].result_list) == []
    client.force_login(world.staff_b)
    response = client.get(reverse("admin:accounts_invitation_changelist"))
    assert [i.pk for i in response.context["cl"].result_list] == [invited[1].pk]


# --- parent side ----------------------------------------------------------------------------


def test_logged_in_parent_adds_the_family_to_their_account(client, world, invited):
    link, invitation = invited
    client.post(reverse("login"), {"username": "martin", "password": f.PASSWORD})
    page = page_text(client.get(link))
    assert "Ajouter la famille à mon compte" in page and "martin" in page
    assert families_of(world.martin) == {world.martin_a.pk}  # opening the page changes nothing

    response = client.post(link, {"way": "attach"})
    assert response.status_code == 302 and response["Location"] == reverse("family:home")
    assert families_of(world.martin) == {world.martin_a.pk, world.family_b.pk}
    assert client.session[FAMILY_KEY] == world.family_b.pk
    invitation.refresh_from_db()
    assert invitation.user == world.martin and invitation.used_at is not None
    assert ("martin", "Compte « martin » ajouté par le parent (invitation).") in history(world.family_b)
    assert "Les Pinsons" in page_text(client.get(reverse("family:home")))
    # Single use.
    assert client.get(link).status_code == 404
    assert client.post(link, {"way": "attach"}).status_code == 404


def test_parent_adds_the_family_with_their_password(client, world, invited):
    link, _ = invited
    page = page_text(client.get(link))
    assert "J'ai déjà un compte" in page and "Je n'ai pas encore de compte" in page
    response = client.post(link, {"way": "login", "login-username": "martin", "login-password": f.PASSWORD})
    assert response.status_code == 302
    assert families_of(world.martin) == {world.martin_a.pk, world.family_b.pk}
    assert int(client.session["_auth_user_id"]) == world.martin.pk  # logged in as well


def test_wrong_password_attaches_nothing(client, world, invited):
    link, invitation = invited
    response = client.post(link, {"way": "login", "login-username": "martin", "login-password": "pas-le-bon"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in page_text(response)
    assert families_of(world.martin) == {world.martin_a.pk}
    assert "_auth_user_id" not in client.session
    invitation.refresh_from_db()
    assert invitation.used_at is None and invitation.user is None
    assert Invitation.objects.usable().filter(pk=invitation.pk).exists()


def test_wrong_passwords_on_the_invitation_page_are_throttled_like_the_login(world, invited, settings):
    link, _ = invited
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(link, {"way": "login", "login-username": "martin", "login-password": "pas-le-bon"})
    client.post(link, {"way": "login", "login-username": "martin", "login-password": f.PASSWORD})
    assert families_of(world.martin) == {world.martin_a.pk}


def test_expired_invitation_attaches_nothing(world, settings):
    start = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        invite_parent(world.family_b, "luc.martin@example.org", created_by=world.staff_b)
    link = link_of("luc.martin@example.org")
    with time_machine.travel(start + datetime.timedelta(days=settings.INVITATION_VALID_DAYS, minutes=1), tick=False):
        client = Client()
        assert client.get(link).status_code == 404
        response = client.post(link, {"way": "login", "login-username": "martin", "login-password": f.PASSWORD})
        assert response.status_code == 404
        assert "n'est plus valable" in page_text(response)
        client.force_login(world.martin)
        assert client.post(link, {"way": "attach"}).status_code == 404
    assert families_of(world.martin) == {world.martin_a.pk}


def test_an_invitation_adds_its_own_family_only(client, world, invited):
    """Ids slipped into the form change nothing: the family is the invitation's."""
    link, _ = invited
    other = f.FamilyFactory(structure=world.b, reference="AUTRE", last_name="AUTRE")
    client.force_login(world.martin)
    client.post(link, {"way": "attach", "family": other.pk, "family_id": other.pk, "user": world.dupont.pk})
    assert families_of(world.martin) == {world.martin_a.pk, world.family_b.pk}
    assert not other.accounts.exists()
    assert families_of(world.dupont) == {world.family_a.pk, world.family_b.pk}


def test_a_token_of_no_invitation_or_a_bad_way_changes_nothing(client, world, invited):
    link, invitation = invited
    client.force_login(world.martin)
    assert client.post(link.replace(link.split("/")[-2], "x" * 43), {"way": "attach"}).status_code == 404
    for way in ("", "autre", "attach" * 100):
        assert client.post(link, {"way": way}).status_code == 200
    assert client.post(link, {}).status_code == 200
    assert families_of(world.martin) == {world.martin_a.pk}
    assert Invitation.objects.usable().filter(pk=invitation.pk).exists()


def test_parent_without_an_account_creates_one(client, world, invited):
    link, invitation = invited
    data = {
        "way": "create",
        "signup-username": "luc.m",
        "signup-last_name": "MARTIN",
        "signup-first_name": "Luc",
        "signup-password1": NEW_PASSWORD,
        "signup-password2": NEW_PASSWORD,
    }
    taken = client.post(link, {**data, "signup-username": "DUPONT"})
    assert taken.status_code == 200
    assert "Identifiant déjà pris : choisissez-en un autre" in page_text(taken)
    assert not User.objects.filter(username="luc.m").exists()

    response = client.post(link, data)
    assert response.status_code == 302
    user = User.objects.get(username="luc.m")
    assert user.check_password(NEW_PASSWORD) and user.email == "luc.martin@example.org"
    assert not user.is_staff and families_of(user) == {world.family_b.pk}
    assert int(client.session["_auth_user_id"]) == user.pk
    invitation.refresh_from_db()
    assert invitation.user == user and invitation.used_at is not None


def test_a_staff_account_cannot_accept(client, world, invited):
    link, invitation = invited
    client.force_login(world.staff_a)
    page = page_text(client.get(link))
    assert "compte du personnel" in page
    client.post(link, {"way": "attach"})
    fresh = Client()
    fresh.post(link, {"way": "login", "login-username": "agent.a", "login-password": f.PASSWORD})
    assert not world.family_b.accounts.filter(pk=world.staff_a.pk).exists()
    assert Invitation.objects.usable().filter(pk=invitation.pk).exists()


def test_an_account_invitation_still_only_sets_a_first_password(client, world):
    """The older kind (no family) keeps its rule: never for an account that has a password."""
    invitation, token = Invitation.issue(world.martin, created_by=world.staff_a)
    assert client.get(reverse("accounts:invitation", args=[token])).status_code == 404
    assert invitation.family is None


HOSTILE = [
    {"way": "login", "login-username": "x" * 100_000, "login-password": "y" * 100_000},
    {"way": "login", "login-username": "mar\x00tin", "login-password": "\x00"},
    {"way": "create", "signup-username": "a\x00b", "signup-password1": "\x00", "signup-password2": "\x00"},
    {"way": "create", "signup-username": "<script>x</script>", "signup-last_name": "\u202e" * 200},
    {"way": ["attach", "create"], "signup-username": ["a", "b"]},
    {"way": "attach\x00"},
]


@pytest.mark.parametrize("data", HOSTILE)
@pytest.mark.parametrize("who", [None, "martin"])
def test_hostile_posts_on_a_live_invitation_change_nothing(client, world, invited, data, who):
    link, invitation = invited
    if who:
        client.force_login(getattr(world, who))
    before = User.objects.count()
    response = client.post(link, data)
    assert response.status_code in (200, 400)
    assert "<script>x</script>" not in response.content.decode()
    assert User.objects.count() == before
    assert families_of(world.martin) == {world.martin_a.pk}
    assert Invitation.objects.usable().filter(pk=invitation.pk).exists()
