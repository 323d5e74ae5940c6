"""Production settings: `check --deploy` is clean, passwords use Argon2,
bad environment values stop the start-up."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portail.lib import env

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **extra_env):
    # settings_test sets relaxed variables in this process; production must not inherit them.
    test_only = {"DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT",
                 "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # fmt: skip
    environ = {k: v for k, v in os.environ.items() if k not in test_only}
    environ.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="portail.example.org",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_settings_hash_with_argon2():
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = run_manage("shell", "-c", code, DJANGO_DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64))
    assert result.stdout.strip().splitlines()[-1] == "portail.accounts.hashers.PortailArgon2PasswordHasher", (
        result.stderr
    )


@pytest.mark.parametrize("value", ["maybe", "2", "vrai"])
def test_bad_boolean_is_refused(monkeypatch, value):
    monkeypatch.setenv("SOME_FLAG", value)
    with pytest.raises(ImproperlyConfigured):
        env.env_bool("SOME_FLAG", False)


def test_bad_integer_is_refused(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "dix")
    with pytest.raises(ImproperlyConfigured):
        env.env_int("SOME_NUMBER", 1)
