"""portail.lib.env.load_env_file: the demo's .env, read by manage.py."""

import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from portail.lib.env import load_env_file


@pytest.fixture
def clean(monkeypatch):
    for name in ("DEMO_A", "DEMO_B", "DEMO_C", "DEMO_D"):
        monkeypatch.setenv(name, "")  # recorded, so that whatever the test sets is undone after it
        monkeypatch.delenv(name)
    return monkeypatch


def test_it_sets_what_the_shell_did_not(tmp_path, clean):
    clean.setenv("DEMO_B", "from the shell")
    path = tmp_path / ".env"
    path.write_text("# a comment\n\nDEMO_A=1\nDEMO_B=from the file\nDEMO_C = 'quoted value'\nDEMO_D=\"x=y\"\n")
    assert load_env_file(path) == {"DEMO_A": "1", "DEMO_C": "quoted value", "DEMO_D": "x=y"}
    assert os.environ["DEMO_A"] == "1"
    assert os.environ["DEMO_B"] == "from the shell"


def test_a_missing_file_sets_nothing(tmp_path):
    assert load_env_file(tmp_path / "absent") == {}


@pytest.mark.parametrize("line", ["export DEMO_A=1", "DEMO_A", "=1", "1DEMO=2"])
def test_a_malformed_line_stops_the_start_up(tmp_path, clean, line):
    path = tmp_path / ".env"
    path.write_text(f"DEMO_C=1\n{line}\n")
    with pytest.raises(ImproperlyConfigured, match="line 2"):
        load_env_file(path)
