"""A1, A2, A4: login, home messages, header, structure switch."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from portail.booking.models import ProcessingRun
from tests import factories as f
from tests.helpers import page_text


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_french_and_links_recovery(client, db):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    html = page_text(page)
    assert "Identifiant" in html and "Mot de passe" in html
    assert "Le retrouver" in html and reverse("accounts:recovery") in html


def test_login_reaches_home_with_header(client, world, password):
    response = login(client, "dupont", password)
    assert response.status_code == 302 and response["Location"] == reverse("family:home")
    home = client.get(reverse("family:home"))
    html = page_text(home)
    assert "Se déconnecter" in html
    assert "DUPONT Jean-Paul" in html
    # two structures: a drop-down with both, the first one selected
    assert 'name="family"' in html
    assert "Mairie de CarteVille" in html and "Accueil de loisirs Les Pinsons" in html
    assert "Dernière mise à jour du site" in html


def test_wrong_password_is_refused_in_french(client, world):
    response = login(client, "dupont", "mauvais")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in page_text(response)
    assert "_auth_user_id" not in client.session


def test_home_shows_only_current_structure_visible_messages(client, world, password):
    today = timezone.localdate()
    f.InfoMessageFactory(structure=world.a, title="Expiré", visible_until=today - datetime.timedelta(days=1))
    f.InfoMessageFactory(structure=world.a, title="Futur", visible_from=today + datetime.timedelta(days=1))
    login(client, "dupont", password)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    html = page_text(client.get(reverse("family:home")))
    assert world.message_a.title in html
    assert world.message_b.title not in html
    assert "Expiré" not in html and "Futur" not in html


def test_switch_structure_shows_other_messages(client, world, password):
    login(client, "dupont", password)
    client.post(reverse("family:switch_structure"), {"family": world.family_b.pk})
    html = page_text(client.get(reverse("family:home")))
    assert world.message_b.title in html and world.message_a.title not in html


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_switch_to_foreign_or_bad_family_is_refused(client, world, password, value):
    login(client, "dupont", password)
    client.post(reverse("family:switch_structure"), {"family": world.family_b.pk})
    response = client.post(reverse("family:switch_structure"), {"family": value}, follow=True)
    assert "Cette structure n'est pas accessible avec votre compte." in page_text(response)
    assert client.session["current_family_id"] == world.family_b.pk


def test_switch_to_another_accounts_family_is_refused(client, world, password):
    login(client, "dupont", password)
    client.post(reverse("family:switch_structure"), {"family": world.martin_a.pk})
    html = page_text(client.get(reverse("family:home")))
    assert "MARTIN" not in html
    assert client.session.get("current_family_id") != world.martin_a.pk


def test_switch_refuses_get(client, world, password):
    login(client, "dupont", password)
    assert client.get(reverse("family:switch_structure")).status_code == 405


def test_header_shows_last_processing_run_of_current_structure(client, world, password):
    finished = timezone.make_aware(datetime.datetime(2026, 11, 25, 2, 5))
    ProcessingRun.objects.create(structure=world.a, started_at=finished, finished_at=finished)
    ProcessingRun.objects.create(structure=world.b, started_at=finished, finished_at=None)
    login(client, "dupont", password)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    assert "25/11/2026 à 02:05" in page_text(client.get(reverse("family:home")))
    client.post(reverse("family:switch_structure"), {"family": world.family_b.pk})
    assert "aucune pour l'instant" in page_text(client.get(reverse("family:home")))


def test_home_requires_login(client, db):
    response = client.get(reverse("family:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_staff_without_family_goes_to_back_office(client, world, password):
    login(client, "agent.a", password)
    assert client.get(reverse("family:home"))["Location"] == reverse("admin:index")


def test_logout_is_post_only(client, world, password):
    login(client, "dupont", password)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session
