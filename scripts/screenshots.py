#!/usr/bin/env python
"""Screenshots of the family screens, on a phone (375 px) and a desktop (1280 px).

    make screenshots        (or: .venv/bin/python scripts/screenshots.py)

Builds a throwaway SQLite database in a temporary directory, migrates it,
loads the demo (`manage.py load_demo`), serves it with `manage.py runserver`
on a free port, logs in as the demo parent "dupont" through the login form,
walks through the booking screens with Debian's Chromium and writes one PNG
per screen and width into screenshots/ (git-ignored). The server and the
database are removed at the end; the list of files is printed.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
OUT = ROOT / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
WIDTHS = (375, 1280)


def _use_project_venv():
    """Re-exec with the project's virtualenv when started by another interpreter."""
    venv_python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() != VENV.resolve() and venv_python.exists():
        os.execv(str(venv_python), [str(venv_python), str(Path(__file__).resolve()), *sys.argv[1:]])  # noqa: S606


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args, **kwargs):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603


def wait_until_up(url, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"runserver stopped (exit status {server.returncode})")
        try:
            with urllib.request.urlopen(url + "/connexion/", timeout=2):  # noqa: S310 (our own local server)
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit(f"runserver did not answer on {url} within {timeout} s")


class Shooter:
    """One page; each shot is taken at every width, at the same point of the walk."""

    def __init__(self, page):
        self.page = page
        self.files = []
        self.count = 0

    def shot(self, name):
        self.count += 1
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.wait_for_timeout(150)  # let the layout settle after the resize
            path = OUT / f"{self.count:02d}-{name}-{width}.png"
            self.page.screenshot(path=str(path), full_page=True)
            self.files.append(path)
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def walk(page, base, password):
    from playwright.sync_api import expect

    s = Shooter(page)
    page.goto(f"{base}/connexion/")
    s.shot("connexion")

    page.get_by_label("Identifiant").fill("dupont")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Structure consultée").select_option(label="Mairie de CarteVille")
    page.get_by_role("button", name="Changer").click()
    expect(page.get_by_role("heading", name="Informations de Mairie de CarteVille")).to_be_visible()
    s.shot("accueil")

    nav = page.get_by_role("navigation", name="Menu principal")
    nav.get_by_role("link", name="Réserver").click()
    s.shot("reserver-choix-enfant")

    # Paolo, APS MATIN (à horaires): the first month with days to book, two days marked.
    page.get_by_role("link", name="Paolo DUPONT").click()
    page.get_by_label("Activité", exact=True).select_option(label="APS MATIN")
    page.get_by_role("button", name="Afficher").click()
    free = page.locator('td[data-state="S2"] .day-button')
    for _ in range(3):
        if free.count() >= 3:
            break
        shown = page.locator("#month-title").inner_text()
        page.get_by_role("link", name="Mois suivant").click()
        expect(page.locator("#month-title")).not_to_have_text(shown)
    days = [free.nth(i).get_attribute("id") for i in range(min(3, free.count()))]
    for day_id in days:
        page.locator(f"#{day_id}").click()
        expect(page.locator(f"td:has(#{day_id})")).to_have_attribute("data-state", "book")
    month = page.locator("#calendar").get_attribute("data-month")
    s.shot("calendrier-une-activite")

    # All activities: the day panel of the first marked day, then the time dialog of APS SOIR.
    page.get_by_label("Activité", exact=True).select_option(label="Toutes les activités")
    page.get_by_role("button", name="Afficher").click()
    page.locator(f"#{days[0]}").click()
    panel = page.get_by_test_id("day-panel")
    expect(panel).to_be_visible()
    s.shot("calendrier-toutes-activites-journee")
    panel.get_by_role("button", name="Réserver (horaires) APS SOIR").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    s.shot("dialogue-horaires")
    dialog.get_by_role("button", name="Valider").click()
    expect(dialog).to_be_hidden()

    # Copy: Amalia already has the first day marked, so that day is "non importée".
    child_ids = dict(
        page.get_by_label("Enfant", exact=True)
        .locator("option")
        .evaluate_all("options => options.map(o => [o.textContent.trim(), o.value])")
    )
    activity_id = (
        page.get_by_label("Activité", exact=True).locator("option", has_text="APS MATIN").get_attribute("value")
    )
    page.goto(f"{base}/reserver/?enfant={child_ids['Amalia DUPONT']}&activite={activity_id}&mois={month}")
    page.locator(f"#{days[0]}").click()
    expect(page.locator(f"td:has(#{days[0]})")).to_have_attribute("data-state", "book")
    page.get_by_role("link", name="Recopier des réservations").click()
    page.get_by_label("Enfant source").select_option(label="Paolo")
    page.get_by_label("Du").fill(f"{month}-01")
    page.get_by_label("Au").fill(f"{month}-28")
    s.shot("recopier-formulaire")
    page.get_by_role("button", name="Recopier").click()
    expect(page.get_by_test_id("copy-result")).to_be_visible()
    s.shot("recopier-resultat")

    page.get_by_role("link", name="Retour au calendrier").click()
    page.get_by_role("link", name="Valider").click()
    s.shot("recapitulatif")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_test_id("result")).to_be_visible()
    s.shot("resultat")

    nav.get_by_role("link", name="Mes réservations").click()
    s.shot("mes-reservations")
    page.emulate_media(media="print")
    s.shot("mes-reservations-impression")
    page.emulate_media(media="screen")
    return s.files


def main():
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="portail-screenshots-"))
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        DJANGO_DEBUG="1",
        DJANGO_SETTINGS_MODULE="portail.settings",
    )
    server = log = None
    try:
        manage(env, "migrate", "--noinput", stdout=subprocess.DEVNULL)
        manage(env, "load_demo", stdout=subprocess.DEVNULL)
        password = manage(
            env, "shell", "--no-imports", "-c", "from portail.demo.data import DEMO_PASSWORD; print(DEMO_PASSWORD)",
            capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (tmp / "runserver.log").open("w")
        server = subprocess.Popen(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(base, server)
        OUT.mkdir(exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, locale="fr-FR")
            page = context.new_page()
            page.set_default_timeout(15_000)
            try:
                files = walk(page, base, password)
            finally:
                browser.close()
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if log is not None:
            log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(files)} screenshots in {OUT.relative_to(ROOT)}/:")
    for path in files:
        print(f"  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    _use_project_venv()
    main()
