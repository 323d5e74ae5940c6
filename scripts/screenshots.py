#!/usr/bin/env python
"""Screenshots of the family screens, on a phone (375 px) and a desktop (1280 px).

    make screenshots        (or: .venv/bin/python scripts/screenshots.py)

Builds a throwaway SQLite database in a temporary directory, migrates it,
loads the dense demo (`manage.py load_demo`), runs one pass of the worker (so
e-mails are sent), serves it with the demo's settings (`manage.py runserver`)
on a free port, logs in as the demo parent "dupont" through the login form,
walks through the family's screens with Debian's Chromium (home, Réserver:
a month with a waiting list and a refusal, the étude opening tonight, marks,
recap, result; Mes réservations, Historiques, Profil), then as the staff of
CarteVille (Gestion, the full day's planning, « Courriels envoyés (démo) »),
and writes one PNG per screen and width into screenshots/ (git-ignored). The
server and the database are removed at the end; the list of files is printed.
"""

import json
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


def walk(page, base, password, demo):
    """The family's screens as the demo parent DUPONT sees them (dense demo data),
    then the staff's: Gestion, the day planning of the full day, the demo's e-mails.
    Pages are reached by their address where the header's menu may be folded (phones)."""
    from playwright.sync_api import expect

    s = Shooter(page)
    page.goto(f"{base}/connexion/")
    s.shot("connexion")

    page.get_by_label("Identifiant").fill("dupont")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("last-update")).to_be_visible()
    if page.get_by_test_id("structure-select").count():
        # The switch lives in the header's menu, folded on a phone: unfold it first if need be.
        if not page.get_by_test_id("structure-select").is_visible():
            page.get_by_test_id("menu-button").click()
        page.get_by_test_id("structure-select").select_option(label="Mairie de CarteVille")
        page.get_by_role("button", name="Changer").click()
    s.shot("accueil")
    if page.get_by_test_id("menu-button").is_visible():
        page.get_by_test_id("menu-button").click()
        s.shot("accueil-menu-ouvert")

    page.goto(f"{base}/reserver/")
    s.shot("reserver-choix-enfant")

    def reserve(child, activity, month):
        page.goto(f"{base}/reserver/?enfant={demo[child]}&activite={demo[activity]}&mois={demo[month]}")
        expect(page.get_by_test_id("calendar")).to_be_visible()

    # Paolo, APS MATIN, the next month: places, a waiting list, the day given from the waiting list.
    reserve("paolo", "aps_matin", "next_month")
    s.shot("calendrier-mois-suivant-liste-attente")
    reserve("amalia", "aps_matin", "next_month")
    s.shot("calendrier-amalia-refusee-complet")
    # The étude: its bookings open tonight, the calendar says when.
    reserve("paolo", "etude", "next_month")
    s.shot("calendrier-ouverture-ce-soir")
    # This month, all activities: what DUPONT booked, and the day panel of a day.
    page.goto(f"{base}/reserver/?enfant={demo['paolo']}&mois={demo['month']}")
    s.shot("calendrier-toutes-activites-ce-mois")

    # APS SOIR next month: three free days marked, then the recap and the result.
    reserve("paolo", "aps_soir", "next_month")
    free = page.locator('td[data-state="S2"] .day-button')
    days = [free.nth(i).get_attribute("id") for i in range(min(3, free.count()))]
    for day_id in days:
        page.locator(f"#{day_id}").click()
        dialog = page.get_by_role("dialog")
        if dialog.count() and dialog.is_visible():  # an à horaires day may ask its times
            dialog.get_by_role("button", name="Valider").click()
        expect(page.locator(f"td:has(#{day_id})")).to_have_attribute("data-state", "book")
    s.shot("calendrier-jours-marques")
    page.goto(f"{base}/reserver/recapitulatif/")
    s.shot("recapitulatif")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_test_id("result")).to_be_visible()
    s.shot("resultat")

    page.goto(f"{base}/mes-reservations/")
    s.shot("mes-reservations")
    page.emulate_media(media="print")
    s.shot("mes-reservations-impression")
    page.emulate_media(media="screen")
    page.goto(f"{base}/historiques/")
    s.shot("historiques")
    page.goto(f"{base}/compte/profil/")
    s.shot("profil")
    # Issue 16: the invoices; issue 17: the family file.
    page.goto(f"{base}/factures/")
    s.shot("factures")
    page.goto(f"{base}/mon-dossier/")
    s.shot("mon-dossier")
    page.goto(f"{base}/mon-dossier/enfants/{demo['paolo']}/sante/")
    s.shot("fiche-sanitaire")
    page.goto(f"{base}/mes-documents/")
    s.shot("mes-documents")
    page.goto(f"{base}/absences/")
    s.shot("absences")

    # The staff of CarteVille: Gestion, the full day's planning, the demo's e-mail page.
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Nom d’utilisateur").fill("agent.carteville")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"{base}/gestion/")
    s.shot("gestion")
    page.goto(f"{base}/gestion/planning/?date={demo['full_day']}&activite={demo['aps_matin']}")
    s.shot("gestion-planning-journee-complete")
    page.goto(f"{base}/gestion/facturation/")
    s.shot("gestion-facturation")
    page.goto(f"{base}/gestion/regie/")
    s.shot("gestion-regie")
    page.goto(f"{base}/gestion/documents/")
    s.shot("gestion-documents-a-verifier")
    page.goto(f"{base}/demo/courriels/")
    expect(page.get_by_test_id("demo-emails")).to_be_visible()
    s.shot("demo-courriels-envoyes")
    return s.files


# What the walk needs from the demo data, read once (ids, months, the full day).
DEMO_IDS = """
import json, datetime
from django.utils import timezone
from portail.booking.models import Booking
from portail.structures.models import Activity, Child
today = timezone.localdate()
next_month = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
kids = {c.first_name.lower(): c.pk for c in Child.objects.filter(family__reference="DUP001")}
acts = {a.code: a.pk for a in Activity.objects.filter(structure__name="Mairie de CarteVille")}
full = Booking.objects.filter(child__family__reference="DUP001", status="refused").order_by("date").first()
print(json.dumps({**kids, "aps_matin": acts["APSM"], "aps_soir": acts["APSS"], "etude": acts.get("ETUDE"),
                  "month": f"{today:%Y-%m}", "next_month": f"{next_month:%Y-%m}",
                  "full_day": f"{full.date:%Y-%m-%d}" if full else f"{next_month:%Y-%m-%d}"}))
"""


def main():
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="portail-screenshots-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The demo's settings (as scripts/demo.py gives them), on a throwaway database; no .env read.
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        DJANGO_DEBUG="1",
        PORTAIL_DEMO="1",
        SITE_URL=base,
        PORTAIL_ENV_FILE="",
        DJANGO_SETTINGS_MODULE="portail.settings",
        LOG_LEVEL="WARNING",
    )
    server = log = None
    try:
        manage(env, "migrate", "--noinput", stdout=subprocess.DEVNULL)
        manage(env, "load_demo", stdout=subprocess.DEVNULL)
        # One pass of the demo's worker: last night's comptes-rendus and the notices are sent (to the console).
        manage(env, "worker", "--once", stdout=subprocess.DEVNULL)
        password = manage(
            env, "shell", "--no-imports", "-c", "from portail.demo.data import DEMO_PASSWORD; print(DEMO_PASSWORD)",
            capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        demo = json.loads(
            manage(env, "shell", "--no-imports", "-c", DEMO_IDS, capture_output=True, text=True).stdout.splitlines()[-1]
        )
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
                files = walk(page, base, password, demo)
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
