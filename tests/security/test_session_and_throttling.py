"""Login and recovery throttling, session and CSRF cookies, security headers,
and the back office closed to family accounts.

(Argon2 in the production settings is checked in tests/test_production_settings.py.)
"""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portail.accounts import recovery
from portail.accounts.models import RecoveryAttempt
from portail.notifications.models import OutboxEmail
from tests import factories as f
from tests.helpers import page_text

LOCKED = "Connexion temporairement bloquée"
TOO_MANY = "Trop de tentatives depuis votre connexion"


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(client):
    return SESSION_KEY in client.session


# --- Login throttling (django-axes) -----------------------------------------------------


def test_five_failures_lock_the_identifiant_even_with_the_right_password(world, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(attacker, "dupont", "mauvais-mot-de-passe")
        assert response.status_code == 200 and LOCKED not in page_text(response)
    # the fifth failure already answers with the lockout page
    response = log_in(attacker, "dupont", "mauvais-mot-de-passe")
    assert response.status_code == 429 and LOCKED in page_text(response)
    response = log_in(attacker, "dupont", f.PASSWORD)
    assert response.status_code == 429 and LOCKED in page_text(response)
    assert not logged_in(attacker)


def test_four_failures_do_not_lock(world, settings):
    parent = Client(REMOTE_ADDR="203.0.113.10")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(parent, "dupont", "mauvais-mot-de-passe")
    assert log_in(parent, "dupont", f.PASSWORD).status_code == 302 and logged_in(parent)


def test_a_lockout_does_not_block_other_accounts_nor_other_addresses(world, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(attacker, "dupont", "mauvais-mot-de-passe")
    assert LOCKED in page_text(log_in(attacker, "dupont", f.PASSWORD))
    # another account from the same address (a town-hall network)
    neighbour = Client(REMOTE_ADDR="203.0.113.11")
    assert log_in(neighbour, "martin", f.PASSWORD).status_code == 302 and logged_in(neighbour)
    # the same parent from home
    parent = Client(REMOTE_ADDR="198.51.100.30")
    assert log_in(parent, "dupont", f.PASSWORD).status_code == 302 and logged_in(parent)


# --- Password spraying: the per-address limit across identifiants (issue 12 point 7) ----


SPRAYED = "Trop de tentatives de connexion ont échoué depuis votre connexion internet"


@pytest.fixture
def six_identifiants(world):
    extra = [f.UserFactory(username=f"parent{number}") for number in range(3)]
    return [world.dupont.username, world.dupont2.username, world.martin.username] + [u.username for u in extra]


def spray(client, usernames, rounds):
    """Wrong passwords over the identifiants, round after round; the 1-based
    number of the first try answered with the lockout page, or None."""
    tries = 0
    for _ in range(rounds):
        for username in usernames:
            tries += 1
            response = log_in(client, username, "Printemps2026!")
            if response.status_code == 429:
                assert LOCKED in page_text(response) and SPRAYED in page_text(response)
                return tries
            assert response.status_code == 200 and LOCKED not in page_text(response), tries
    return None


def test_spraying_identifiants_from_one_address_is_locked_at_the_address_limit(world, settings, six_identifiants):
    """The issue's 24 tries over 6 identifiants (4 each, under the per-identifiant
    limit) from one address: the address is locked at its own limit."""
    limit = settings.AXES_IP_FAILURE_LIMIT
    assert limit == 20 and limit > settings.AXES_FAILURE_LIMIT
    attacker = Client(REMOTE_ADDR="203.0.113.50")
    assert spray(attacker, six_identifiants, rounds=4) == limit
    # now even the right password of an identifiant never tried fails from there
    response = log_in(attacker, world.martin.username, f.PASSWORD)
    assert response.status_code == 429 and SPRAYED in page_text(response) and not logged_in(attacker)
    # another address is not concerned, for the same identifiants
    parent = Client(REMOTE_ADDR="198.51.100.50")
    assert log_in(parent, world.martin.username, f.PASSWORD).status_code == 302 and logged_in(parent)


def test_failures_under_the_address_limit_do_not_lock_the_address(world, settings, six_identifiants):
    others = [username for username in six_identifiants if username != world.martin.username]
    attacker = Client(REMOTE_ADDR="203.0.113.51")
    # one failure short of the limit, at most 4 per identifiant
    for number in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert log_in(attacker, others[number % len(others)], "Printemps2026!").status_code == 200, number
    neighbour = Client(REMOTE_ADDR="203.0.113.51")
    assert log_in(neighbour, world.martin.username, f.PASSWORD).status_code == 302 and logged_in(neighbour)


def test_the_address_limit_ends_with_the_cool_off(world, settings, six_identifiants):
    from axes.models import AccessAttempt

    attacker = Client(REMOTE_ADDR="203.0.113.52")
    assert spray(attacker, six_identifiants, rounds=4) == settings.AXES_IP_FAILURE_LIMIT
    # Sixteen minutes later (AXES_COOLOFF_TIME is 15): the address may log in again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1))
    assert log_in(attacker, world.martin.username, f.PASSWORD).status_code == 302 and logged_in(attacker)


def test_the_per_identifiant_limit_still_locks_first(world, settings):
    """Five failures on one identifiant lock it from that address long before the
    address limit; the address can still log in to other accounts."""
    attacker = Client(REMOTE_ADDR="203.0.113.53")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(attacker, "dupont", "mauvais-mot-de-passe").status_code == 200
    response = log_in(attacker, "dupont", "mauvais-mot-de-passe")
    assert response.status_code == 429 and LOCKED in page_text(response) and SPRAYED not in page_text(response)
    assert log_in(attacker, "dupont", f.PASSWORD).status_code == 429
    neighbour = Client(REMOTE_ADDR="203.0.113.53")
    assert log_in(neighbour, "martin", f.PASSWORD).status_code == 302 and logged_in(neighbour)


def test_the_address_limit_can_be_turned_off(world, settings, six_identifiants):
    settings.AXES_IP_FAILURE_LIMIT = 0
    attacker = Client(REMOTE_ADDR="203.0.113.54")
    assert spray(attacker, six_identifiants, rounds=4) is None


def test_an_address_limit_not_above_the_identifiant_limit_stops_the_start_up():
    from tests.test_production_settings import run_manage

    result = run_manage("check", DJANGO_DEBUG="1", AXES_FAILURE_LIMIT="5", AXES_IP_FAILURE_LIMIT="5")
    assert result.returncode != 0
    assert "AXES_IP_FAILURE_LIMIT must be 0 (off) or higher than AXES_FAILURE_LIMIT" in result.stderr


# --- Recovery throttling ----------------------------------------------------------------


def test_recovery_steps_from_one_address_are_limited(world):
    attacker = Client(REMOTE_ADDR="203.0.113.20")
    for number in range(recovery.IP_LIMIT):
        username = f"inconnu{number}"
        response = attacker.post(reverse("accounts:recovery"), {"username": username, "way": "question"})
        assert response.status_code == 302, number
    assert RecoveryAttempt.objects.filter(ip="203.0.113.20").count() == recovery.IP_LIMIT
    response = attacker.post(reverse("accounts:recovery"), {"username": "dupont", "way": "question"})
    assert response.status_code == 429 and TOO_MANY in page_text(response)
    # the e-mail way counts against the same limit: no link is queued
    response = attacker.post(reverse("accounts:recovery_email"), {"username": "dupont", "email": "dupont@example.org"})
    assert response.status_code == 429 and not OutboxEmail.objects.exists()
    # another address is not concerned
    other = Client(REMOTE_ADDR="198.51.100.40")
    assert other.post(reverse("accounts:recovery"), {"username": "dupont", "way": "question"}).status_code == 302


def test_email_link_requests_count_against_the_address_limit(world):
    attacker = Client(REMOTE_ADDR="203.0.113.21")
    for number in range(recovery.IP_LIMIT):
        response = attacker.post(
            reverse("accounts:recovery_email"), {"username": f"inconnu{number}", "email": "x@example.org"}
        )
        assert response.status_code == 302, number
    response = attacker.post(reverse("accounts:recovery"), {"username": "dupont", "way": "question"})
    assert response.status_code == 429


# --- Cookies ------------------------------------------------------------------------------


def _cookie_header(response, name):
    assert name in response.cookies, sorted(response.cookies)
    return response.cookies[name].output(header="").strip()


def test_session_cookie_is_httponly_lax_and_secure_in_production(world, settings):
    settings.SESSION_COOKIE_SECURE = True
    response = log_in(Client(), "dupont", f.PASSWORD)
    assert response.status_code == 302
    header = _cookie_header(response, settings.SESSION_COOKIE_NAME)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" in header
    assert f"Max-Age={settings.SESSION_COOKIE_AGE}" in header


def test_session_settings_of_the_project():
    from portail import settings as project

    assert project.SESSION_COOKIE_HTTPONLY is True
    assert project.SESSION_COOKIE_SAMESITE == "Lax"
    assert project.SESSION_COOKIE_AGE == 12 * 60 * 60
    assert project.X_FRAME_OPTIONS == "DENY"


def test_login_gives_a_new_session_key_and_logout_ends_the_session(world, settings):
    client = Client()
    client.get(reverse("login"))
    session = client.session
    session["marque"] = "avant"
    session.save()
    before = session.session_key
    assert log_in(client, "dupont", f.PASSWORD).status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before  # no session fixation
    assert client.post(reverse("logout")).status_code == 302
    assert not logged_in(client)
    response = client.get(reverse("family:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_csrf_cookie_is_samesite_lax_and_secure_in_production(world, settings):
    settings.CSRF_COOKIE_SECURE = True
    response = Client().get(reverse("login"))
    header = _cookie_header(response, settings.CSRF_COOKIE_NAME)
    assert "SameSite=Lax" in header
    assert "Secure" in header


# --- Headers ------------------------------------------------------------------------------


def test_family_pages_cannot_be_framed(client, world):
    client.force_login(world.dupont)
    for url in (reverse("family:home"), reverse("family:reserve"), reverse("accounts:profile"), reverse("login")):
        response = client.get(url, follow=url == reverse("login"))
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url


def test_login_page_cannot_be_framed(world):
    response = Client().get(reverse("login"))
    assert response.status_code == 200 and response["X-Frame-Options"] == "DENY"


# --- Back office ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dupont", "martin", "dupont2"])
@pytest.mark.parametrize("url", ["/admin/", "/gestion/", "/gestion/planning/", "/admin/structures/family/"])
def test_back_office_refuses_family_accounts(client, world, who, url):
    client.force_login(getattr(world, who))
    response = client.get(url)
    assert response.status_code == 302, (who, url)
    assert response["Location"].startswith("/admin/login/"), (who, url)


def test_family_account_cannot_log_in_to_the_admin(world):
    client = Client()
    response = client.post("/admin/login/", {"username": "dupont", "password": f.PASSWORD, "next": "/admin/"})
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "http://evil.example/compte/"])
def test_login_never_redirects_off_site(world, target):
    response = Client().post(reverse("login"), {"username": "dupont", "password": f.PASSWORD, "next": target})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert response["Location"] == reverse("family:home")


def test_client_ip_trusts_x_real_ip_only_behind_a_proxy(rf, settings):
    from portail.lib.client_ip import client_ip

    request = rf.get("/", HTTP_X_REAL_IP="203.0.113.7", REMOTE_ADDR="127.0.0.1")
    settings.BEHIND_PROXY = False
    assert client_ip(request) == "127.0.0.1"  # a client could forge the header
    settings.BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.7"


def test_an_identifiant_longer_than_any_account_is_refused_before_the_throttle_records_it(world):
    """Issue 12 (found by CI's PostgreSQL run): axes records the identifiant of a
    failed login in a 255-character column; PostgreSQL refused a longer one (a 500).
    The form refuses it first, as a field error, and nothing is recorded."""
    from axes.models import AccessAttempt

    response = Client().post(reverse("login"), {"username": "x" * 100_000, "password": "y"})

    assert response.status_code == 200
    assert "150 caractères" in page_text(response)
    assert not AccessAttempt.objects.exists()
