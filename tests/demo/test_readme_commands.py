"""The README's commands work as typed on the demo (issue 14 point 5): `make
demo` writes `.env`, which manage.py reads. Each `manage.py` line of the
README's ```sh blocks runs here with such an env file (the one
scripts/demo.py writes, for a throwaway database), as typed; a command that
runs until stopped (the worker's loop, runserver) is asked for its --help."""

import importlib.util
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
README = ROOT / "README.md"
# Variables the test settings set in this process: a command typed in a shell has none of them.
TEST_ONLY = {"DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
             "CSRF_COOKIE_SECURE", "ALLOWED_HOSTS", "DATABASE_URL", "SITE_URL", "PORT", "PORTAIL_ENV_FILE",
             "PORTAIL_DEMO", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # fmt: skip
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_commands():
    """Every line of a ```sh block of the README that runs manage.py, without its comment."""
    commands = []
    for block in SH_BLOCK.findall(README.read_text(encoding="utf-8")):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if any(word.endswith("manage.py") for word in words):
                commands.append(words)
    return commands


def runs_until_stopped(words):
    command = words[words.index(next(w for w in words if w.endswith("manage.py"))) + 1]
    return command in {"runserver", "shell", "dbshell", "createsuperuser"} or (
        command == "worker" and "--once" not in words
    )


def demo_launcher():
    spec = importlib.util.spec_from_file_location("demo_launcher", ROOT / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    """A shell's environment, plus the env file `make demo PORT=8123` writes for a throwaway database."""
    tmp = tmp_path_factory.mktemp("demo-env")
    launcher = demo_launcher()
    env_file = tmp / ".env"
    launcher.write_env_file(env_file, launcher.demo_settings(8123, {"DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}"}))
    environ = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    environ["PORTAIL_ENV_FILE"] = str(env_file)  # stands for the .env that make demo writes next to manage.py
    run(environ, ".venv/bin/python", "manage.py", "migrate", "--noinput", "-v", "0")  # what make demo did
    return environ


def run(environ, *words):
    result = subprocess.run(words, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300)  # noqa: S603
    assert result.returncode == 0, f"{shlex.join(words)}\n{result.stdout}\n{result.stderr}"
    return result


def test_the_readme_shows_manage_py_commands():
    commands = [shlex.join(words) for words in readme_commands()]
    assert ".venv/bin/python manage.py worker --once" in commands
    assert any("process_requests" in command for command in commands)


@pytest.mark.parametrize("words", readme_commands(), ids=shlex.join)
def test_a_readme_command_works_as_typed_on_the_demo(demo_env, words):
    if runs_until_stopped(words):
        words = [*words, "--help"]
    result = run(demo_env, *words)
    assert "is required" not in result.stderr


def test_the_env_file_gives_the_demo_its_settings_and_the_shell_wins(demo_env):
    code = "from django.conf import settings; print(settings.DEBUG, settings.DEMO, settings.SITE_URL)"
    shown = run(demo_env, ".venv/bin/python", "manage.py", "shell", "--no-imports", "-c", code).stdout
    assert shown.split()[-3:] == ["True", "True", "http://127.0.0.1:8123"]
    # Production settings typed in the shell win over the file: no demo page then.
    production = {**demo_env, "DJANGO_DEBUG": "0", "SECRET_KEY": "x" * 60, "SITE_URL": "https://portail.example.org"}
    shown = run(production, ".venv/bin/python", "manage.py", "shell", "--no-imports", "-c", code).stdout
    assert shown.split()[-3:] == ["False", "False", "https://portail.example.org"]


def test_without_the_env_file_production_still_requires_a_secret_key(demo_env):
    environ = {**demo_env, "PORTAIL_ENV_FILE": ""}
    result = subprocess.run(  # noqa: S603
        [".venv/bin/python", "manage.py", "check"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr
