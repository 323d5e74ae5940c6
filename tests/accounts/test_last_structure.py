"""After a login the parent finds the structure they used last (issue 14 point 4).

DUPONT has a family in « Mairie de CarteVille » (A) and in « Accueil de
loisirs Les Pinsons » (B); B comes first in alphabetical order, which was the
only rule before. The choice is kept on the account (User.last_family), used
only while the account still belongs to that family.
"""

import pytest
from django.test import Client
from django.urls import reverse

from portail.structures.models import Family
from portail.web.family import current_family
from tests.factories import PASSWORD
from tests.helpers import page_text

HOME_A = "Mairie de CarteVille"
HOME_B = "Accueil de loisirs Les Pinsons"


def _login(username):
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _shown(client):
    """The structure the home page shows (its family, as every family view gets it)."""
    response = client.get(reverse("family:home"))
    assert response.status_code == 200
    name = current_family(response.wsgi_request).structure.name
    assert name in page_text(response)
    return name


def _switch(client, family):
    response = client.post(reverse("family:switch_structure"), {"family": family.pk})
    assert response.status_code == 302


def _logout(client):
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_without_a_choice_the_first_structure_in_alphabetical_order(world):
    assert _shown(_login("dupont")) == HOME_B


def test_the_structure_chosen_last_is_shown_after_logout_and_login(world):
    client = _login("dupont")
    _switch(client, world.family_a)
    assert _shown(client) == HOME_A
    _logout(client)
    client = _login("dupont")
    assert _shown(client) == HOME_A
    # And back: the last choice wins, not the first one.
    _switch(client, world.family_b)
    _logout(client)
    assert _shown(_login("dupont")) == HOME_B


def test_the_choice_is_the_accounts_not_another_accounts(world):
    """DUPONT2 shares family A only; DUPONT's choice changes nothing for MARTIN or DUPONT2."""
    client = _login("dupont")
    _switch(client, world.family_a)
    world.dupont2.refresh_from_db()
    world.martin.refresh_from_db()
    assert world.dupont2.last_family is None and world.martin.last_family is None
    world.dupont.refresh_from_db()
    assert world.dupont.last_family == world.family_a


def test_a_refused_switch_keeps_the_last_choice(world):
    client = _login("dupont")
    _switch(client, world.family_a)
    _switch(client, world.martin_a)  # not DUPONT's family: refused
    world.dupont.refresh_from_db()
    assert world.dupont.last_family == world.family_a
    _logout(client)
    assert _shown(_login("dupont")) == HOME_A


@pytest.mark.parametrize("side", ["family", "account", "clear"])
def test_leaving_the_family_forgets_it(world, side):
    client = _login("dupont")
    _switch(client, world.family_a)
    _logout(client)
    if side == "family":
        world.family_a.accounts.remove(world.dupont)
    elif side == "account":
        world.dupont.families.remove(world.family_a)
    else:
        world.family_a.accounts.clear()
    world.dupont.refresh_from_db()
    assert world.dupont.last_family is None
    assert _shown(_login("dupont")) == HOME_B


def test_another_family_left_does_not_forget_the_choice(world):
    client = _login("dupont")
    _switch(client, world.family_a)
    world.family_b.accounts.remove(world.dupont2)  # DUPONT2 was never in B: nothing to forget
    world.family_a.accounts.remove(world.dupont2)  # DUPONT2 leaves A: DUPONT stays
    world.dupont.refresh_from_db()
    assert world.dupont.last_family == world.family_a


def test_a_stale_choice_is_never_shown(world):
    """Even if the membership disappears without the signal (a bulk delete of the
    join rows), the portal shows only a family the account belongs to."""
    client = _login("dupont")
    _switch(client, world.family_a)
    _logout(client)
    Family.accounts.through.objects.filter(family=world.family_a, user=world.dupont).delete()
    world.dupont.refresh_from_db()
    assert world.dupont.last_family == world.family_a  # stale on purpose
    assert _shown(_login("dupont")) == HOME_B


def test_a_deleted_family_is_forgotten(world):
    client = _login("dupont")
    _switch(client, world.family_a)
    _logout(client)
    world.family_a.delete()
    world.dupont.refresh_from_db()
    assert world.dupont.last_family is None
    assert _shown(_login("dupont")) == HOME_B


def test_a_choice_on_another_device_shows_at_the_next_login(world):
    """The computer, logged in on B, keeps B while the phone switches to A (no
    change under the parent's eyes); its next login shows A, the last choice."""
    computer = _login("dupont")
    assert _shown(computer) == HOME_B
    phone = _login("dupont")
    _switch(phone, world.family_a)
    assert _shown(phone) == HOME_A
    assert _shown(computer) == HOME_B
    _logout(computer)
    assert _shown(_login("dupont")) == HOME_A
