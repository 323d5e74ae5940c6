"""P1-P3 and D2: the parent changes password, e-mail address and security
question in "Profil"; every change applies at once."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from portail.accounts.models import SecurityQuestion
from portail.accounts.recovery import normalise_answer
from tests import factories as f
from tests.helpers import page_text

NEW_PASSWORD = "Un-Tout-Nouveau-2026"
PASSWORD = f.PASSWORD
QUESTION = "Nom de mon premier instituteur ?"


def can_log_in(username, password):
    """A real login through the login page (django-axes needs the request)."""
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


@pytest.fixture
def parent(client, world):
    client.force_login(world.dupont)
    return client


def change_password(client, old, new, confirm=None):
    return client.post(
        reverse("accounts:profile_password"),
        {"old_password": old, "new_password1": new, "new_password2": confirm or new},
    )


def set_question(client, password, question=QUESTION, answer="Monsieur Éloi Durand"):
    return client.post(
        reverse("accounts:profile_question"), {"question": question, "answer": answer, "current_password": password}
    )


def test_profile_page_shows_three_forms_and_nav_link(parent):
    response = parent.get(reverse("accounts:profile"))
    assert response.status_code == 200
    text = page_text(response)
    for action in ("profile_password", "profile_email", "profile_question"):
        assert f'action="{reverse(f"accounts:{action}")}"' in text
    assert f'href="{reverse("accounts:profile")}" aria-current="page">Profil</a>' in text
    assert "dupont@example.org" in text


def test_profile_requires_login(client, world):
    for name in ("profile", "profile_password", "profile_email", "profile_question"):
        method = client.get if name == "profile" else client.post
        response = method(reverse(f"accounts:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_password_change_needs_the_current_one(parent, world, password):
    response = change_password(parent, "pas-le-bon-mot", NEW_PASSWORD)
    assert response.status_code == 200
    assert "ancien mot de passe est incorrect" in page_text(response)
    world.dupont.refresh_from_db()
    assert world.dupont.check_password(password)


def test_password_change_applies_at_once_and_keeps_the_parent_logged_in(parent, world, password):
    response = change_password(parent, password, NEW_PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    page = parent.get(reverse("accounts:profile"))
    assert page.status_code == 200, "still logged in"
    assert "Votre mot de passe est modifié." in page_text(page)
    assert NEW_PASSWORD not in page_text(page)

    assert not can_log_in("dupont", password)
    assert can_log_in("dupont", NEW_PASSWORD)


def test_weak_password_is_refused_in_french(parent, world, password):
    response = change_password(parent, password, "1234")
    assert response.status_code == 200
    text = page_text(response)
    assert "trop court" in text and "entièrement numérique" in text
    response = change_password(parent, password, NEW_PASSWORD, "Autre-Chose-2026")
    assert "Les deux mots de passe ne correspondent pas." in page_text(response)
    world.dupont.refresh_from_db()
    assert world.dupont.check_password(password)


def test_email_change_is_used_at_once(parent, world):
    response = parent.post(
        reverse("accounts:profile_email"), {"email": "  Jean-Paul.Dupont@EXEMPLE.fr ", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    world.dupont.refresh_from_db()
    assert world.dupont.email == "Jean-Paul.Dupont@exemple.fr"
    assert "Votre adresse e-mail est enregistrée." in page_text(parent.get(reverse("accounts:profile")))


def test_bad_email_is_refused_and_empty_removes_it(parent, world):
    response = parent.post(reverse("accounts:profile_email"), {"email": "jean-paul@", "current_password": PASSWORD})
    assert response.status_code == 200
    assert "Saisissez une adresse e-mail valide" in page_text(response)
    world.dupont.refresh_from_db()
    assert world.dupont.email == "dupont@example.org"

    parent.post(reverse("accounts:profile_email"), {"email": "", "current_password": PASSWORD})
    world.dupont.refresh_from_db()
    assert world.dupont.email == ""


def test_question_and_answer_are_stored_hashed(parent, world, password):
    response = set_question(parent, password)
    assert response.status_code == 302
    stored = SecurityQuestion.objects.get(user=world.dupont)
    assert stored.question == QUESTION
    row = " ".join(str(v) for v in SecurityQuestion.objects.filter(pk=stored.pk).values().first().values())
    assert "Durand" not in row and "durand" not in row
    assert stored.answer_hash.startswith("md5$")  # the tests' hasher; Argon2 in production
    page = page_text(parent.get(reverse("accounts:profile")))
    assert QUESTION in page and "Durand" not in page


@pytest.mark.parametrize(
    "typed",
    ["monsieur eloi durand", "  MONSIEUR   ÉLOI  DURAND ", "Monsieur Eloi Durand.", "« monsieur éloi durand »"],
)
def test_answer_is_compared_after_normalisation(parent, world, password, typed):
    from django.contrib.auth.hashers import check_password

    set_question(parent, password)
    stored = SecurityQuestion.objects.get(user=world.dupont)
    assert check_password(normalise_answer(typed), stored.answer_hash)
    assert not check_password(normalise_answer("monsieur eloi dupond"), stored.answer_hash)


def test_question_needs_current_password_and_sane_lengths(parent, world, password):
    response = set_question(parent, "pas-le-bon-mot")
    assert "Mot de passe actuel incorrect." in page_text(response)
    response = set_question(parent, password, question="Chien ?")
    assert "au moins 10 caractères" in page_text(response)
    response = set_question(parent, password, answer=" é. ")
    assert "au moins 3 caractères" in page_text(response)
    assert "Durand" not in page_text(set_question(parent, "pas-le-bon-mot")), "the answer is not written back"
    assert not SecurityQuestion.objects.filter(user=world.dupont).exists()

    set_question(parent, password)
    set_question(parent, password, question="Ville de naissance de ma grand-mère ?", answer="Brest")
    stored = SecurityQuestion.objects.get(user=world.dupont)
    assert stored.question == "Ville de naissance de ma grand-mère ?"


def test_changes_refuse_get_and_csrf_less_posts(world, password):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dupont)
    before = world.dupont.password
    assert client.get(reverse("accounts:profile_email"), {"email": "pirate@example.org"}).status_code == 405
    assert client.get(reverse("accounts:profile_password")).status_code == 405
    assert client.get(reverse("accounts:profile_question")).status_code == 405
    assert client.post(reverse("accounts:profile_email"), {"email": "pirate@example.org"}).status_code == 403
    assert (
        client.post(
            reverse("accounts:profile_password"),
            {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("accounts:profile_question"), {"question": QUESTION, "answer": "abc", "current_password": password}
        ).status_code
        == 403
    )
    world.dupont.refresh_from_db()
    assert world.dupont.email == "dupont@example.org" and world.dupont.password == before
    assert not SecurityQuestion.objects.exists()
    assert SESSION_KEY in client.session


def test_staff_without_family_goes_to_back_office(client, world):
    client.force_login(world.staff_a)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_email_change_needs_the_current_password(parent, world):
    """The address receives recovery links: a session left open must not hand the account over."""
    response = parent.post(
        reverse("accounts:profile_email"), {"email": "pirate@example.org", "current_password": "faux"}
    )
    assert "Mot de passe actuel incorrect." in page_text(response)
    world.dupont.refresh_from_db()
    assert world.dupont.email == "dupont@example.org"
