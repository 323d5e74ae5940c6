"""Acceptance of issue 14 point 5: `make demo` serves the dense demo with the
worker running; a recovery e-mail asked for in the browser appears on the
demo's e-mail page with a link to the demo's port; one Ctrl-C stops it all.

The demo is started exactly as `make demo` starts it (scripts/demo.py), on a
free port, with a throwaway database and env file in a temporary directory:
the developer's db.sqlite3 and .env are never touched."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portail.demo.data import DEMO_PASSWORD
from tests.browser.login import login_staff

ROOT = Path(__file__).resolve().parent.parent.parent
# Variables the test settings set in this process: the demo must not inherit them.
TEST_ONLY = {"DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
             "CSRF_COOKIE_SECURE", "ALLOWED_HOSTS", "DATABASE_URL", "SITE_URL", "PORT", "PORTAIL_ENV_FILE",
             "DJANGO_ALLOW_ASYNC_UNSAFE"}  # fmt: skip
STARTED = re.compile(r"worker \(pid (\d+)\) et serveur web \(pid (\d+)\), groupe de processus (\d+)")

pytestmark = pytest.mark.browser


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid):
    """Whether `pid` is a process that still runs (a zombie, dead but not reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.fixture
def demo(tmp_path):
    """The demo launcher as `make demo` runs it, in its own session (as a
    terminal's job); yields (base URL, launcher, its output file)."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    environ["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    log_path = tmp_path / "demo.log"
    with log_path.open("w") as log:
        launcher = subprocess.Popen(
            [sys.executable, "scripts/demo.py", "--port", str(port), "--env-file", str(tmp_path / ".env")],
            cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # migrate + load_demo on a busy machine
        while True:
            assert launcher.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the demo did not answer:\n" + log_path.read_text()
            try:
                with urllib.request.urlopen(base + "/connexion/", timeout=2):  # noqa: S310 (our own local server)
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        yield base, launcher, log_path
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()


def test_make_demo_lives_and_stops_with_one_ctrl_c(demo, page, tmp_path):
    base, launcher, log_path = demo
    worker_pid, server_pid, group = map(int, STARTED.search(log_path.read_text()).groups())
    assert group == worker_pid and os.getpgid(server_pid) == group  # one process group for both
    # The env file the README's commands read: the demo's settings, its port.
    env_file = (tmp_path / ".env").read_text()
    assert "PORTAIL_DEMO=1" in env_file and f"SITE_URL={base}" in env_file

    # A parent forgot their password and asks for a link by e-mail.
    page.goto(f"{base}/connexion/")
    page.get_by_role("link", name="Le retrouver").click()
    page.get_by_label("Identifiant").fill("martin")
    page.get_by_role("button", name="Recevoir un lien par e-mail").click()
    page.get_by_label("Adresse e-mail enregistrée dans votre profil").fill("luc.martin@example.org")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("status").filter(has_text="Si cette adresse correspond")).to_be_visible()

    # The staff of the family's structure reads it on the demo's page, once the worker sent it.
    login_staff(page, base, "agent.carteville", DEMO_PASSWORD)
    page.goto(f"{base}/gestion/")
    page.get_by_test_id("demo-emails-link").click()
    # Counted below without waiting: on the e-mails' page, not on the one before.
    expect(page).to_have_url(re.compile(r"/courriels/$"))
    recovery = (
        page.get_by_test_id("demo-email")
        .filter(has_text="Mot de passe oublié")
        .filter(has_text="luc.martin@example.org")
    )
    deadline = time.monotonic() + 60  # the worker passes every few seconds
    while not recovery.count() and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        page.reload()
    expect(recovery).to_have_count(1)
    link = recovery.locator('a[href*="/compte/mot-de-passe-oublie/lien/"]')
    href = link.get_attribute("href")
    assert href.startswith(f"{base}/compte/mot-de-passe-oublie/lien/"), href  # the demo's port, not 8000
    # The dense demo: last night's comptes-rendus were sent by the worker too.
    expect(page.get_by_test_id("demo-email").filter(has_text="jean-paul.dupont@example.org").first).to_be_visible()

    # The link works: it opens the new-password form.
    link.click()
    expect(page.get_by_label("Nouveau mot de passe", exact=True)).to_be_visible()

    # One Ctrl-C (SIGINT to the terminal's job) stops the launcher, the worker and the server.
    os.killpg(launcher.pid, signal.SIGINT)
    assert launcher.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while (alive(worker_pid) or alive(server_pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(worker_pid) and not alive(server_pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)  # nothing left in the demo's process group
