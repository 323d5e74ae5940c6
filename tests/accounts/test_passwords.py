"""Passwords are stored with Argon2id at OWASP's parameters (portail/accounts/hashers.py);
a hash made with Django's heavier defaults still logs in and is re-hashed."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password
from django.test import override_settings
from django.urls import reverse

from portail.accounts.hashers import PortailArgon2PasswordHasher

REAL_HASHERS = ["portail.accounts.hashers.PortailArgon2PasswordHasher"]
PASSWORD = "Mot-de-passe-solide-2026"


@override_settings(PASSWORD_HASHERS=REAL_HASHERS)
def test_new_passwords_are_argon2id_with_owasp_parameters():
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(identify_hasher(encoded), PortailArgon2PasswordHasher)


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=REAL_HASHERS)
def test_a_hash_with_djangos_defaults_logs_in_and_is_rehashed(client, world):
    old = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    assert "m=102400,t=2,p=8" in old
    world.dupont.password = old
    world.dupont.save(update_fields=["password"])
    response = client.post(reverse("login"), {"username": "dupont", "password": PASSWORD})
    assert response.status_code == 302
    world.dupont.refresh_from_db()
    assert world.dupont.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
