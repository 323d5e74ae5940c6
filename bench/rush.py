#!/usr/bin/env python
"""Registration night: thousands of parents book the same few places at once (issue 7).

    python bench/rush.py [--mode all|postgres|two-servers|sqlite] [--families N]
                         [--concurrency C] [--workers W] [--quick]

Starts the production stack on this machine (gunicorn with production
settings on loopback, behind no proxy but sent X-Forwarded-Proto: https as
nginx would; PostgreSQL in a throwaway cluster started through
scripts/with-postgres.sh, or an SQLite file), loads N families (default
2,000) of 2 children each, all enrolled on one summer-camp activity with
`--capacity` places (100) and `--waiting` waiting-list places (30) on each of
10 weekdays of one month, whose bookings open at a given moment
(Activity.bookings_open_at). Then, through HTTP only, as a browser does
(cookies, CSRF tokens read from the forms, htmx headers), with C clients at
once (default 64):

1. logins: every family logs in through the login form (GET then POST,
   following the redirect to the home page);
2. before the opening: one family's month-tool click marks nothing, its
   draft stays empty, and its calendar says the bookings are not open yet
   (in French, on each day);
3. drafts, from the opening instant: every family opens "Réserver", the
   calendar of each child on the activity, clicks the month tool (the real
   htmx call: the 10 days marked "à réserver") and opens the recap;
4. confirmations: every family clicks "Confirmer": the recap form's htmx
   POST with its token, answered with the result (the 20 rows) and its
   address, as a browser with JavaScript does (without, the form posts and
   is redirected to that address: a second request). The phase starts when
   all drafts are ready, so that all C clients contend for the same 10
   openings at every instant: the worst case for the locks;
5. the ceiling: a trivial logged-in page (the identity of the session,
   /connexion/ answering a logged-in parent with a redirect to the home page;
   and, for reference, the profile page) requested as fast as the stack
   answers, by the same clients. The trivial page is measured twice, after
   the logins and after the confirmations, and the ratios use the mean of
   both rates: on a shared machine the speed drifts by ±20 % within minutes.

The night as a parent lives it (issue 15): `families_per_s` is the whole
path — Réserver, the two calendars, the month tool, the recap and Confirmer
— for every family, from its first request to the answer: the families
divided by the wall time of phases 3 and 4 (the two phases run one after
the other, so that is the time the machine took to carry every family
through the path), and `family_path` the time one family waited along it
(its draft's requests from the first to the recap, plus its Confirmer
click). `whole_path_ratio` and `confirm_ratio` divide the whole path's rate
and the confirmations' rate by the trivial page's, measured in the same run.
During phases 3 and 4 a probe — a logged-in parent who is not booking —
loads Accueil (the home page) once a second: `probe_p50`/`probe_p95` say
whether the site still answers someone else during the rush.

Afterwards it checks in the database: places given per day (must equal the
capacity), waiting-list entries per day (≤ the waiting-list capacity, with
positions 1..n in the order the confirmations took effect, and nobody served
before a family whose confirmation had been answered before it even
clicked), duplicates (0), and that every family has one confirmation.

Modes: `postgres` (one gunicorn with W workers, default 2), `two-servers`
(two gunicorn instances on two ports sharing the PostgreSQL database, each
with W workers, the clients spread over both), `sqlite` (one gunicorn
process with one worker on an SQLite file: the embedded default's limits).
`all` (default) runs the three, PostgreSQL ones in one throwaway cluster.

Each figure is printed as `<mode>.<name>: <value> <unit>`; lines starting
with `#` are information. The last line is `status: ok`, `over-target`
(in a PostgreSQL mode: the whole path below 8 % of the trivial page's rate,
or the confirmations below 20 % of it) or `failed` (an error, a wrong count,
a duplicate: exit code 1). The defaults take about 23 minutes on 2 CPUs (PostgreSQL
about 7, two servers 8, SQLite 8); `--quick` (200 families) about 4.
"""

import argparse
import asyncio
import datetime
import html
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from _common import ROOT, VENV, load_average, percentile, use_project_venv  # bench/ is on sys.path: the script's folder

PASSWORD = "Rentree-des-colos-2027"
# Issue 15's targets, as ratios to the trivial page measured in the same run.
TARGET_WHOLE_PATH_RATIO = 0.08
TARGET_CONFIRM_RATIO = 0.20
PROBE_PERIOD = 1.0  # seconds between two loads of Accueil by the probe
EXIT_CODES = {"ok": 0, "failed": 1, "over-target": 3}


if __name__ == "__main__":
    use_project_venv(__file__)
sys.path.insert(0, str(ROOT))


class Report:
    def __init__(self, mode):
        self.mode = mode
        self.failures = []
        self.over = []

    def line(self, name, value, unit="", note=""):
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
        print(f"{self.mode}.{name}: {text}{' ' + unit if unit else ''}{'   # ' + note if note else ''}", flush=True)

    def info(self, text):
        print(f"# {self.mode}: {text}", flush=True)

    def fail(self, text):
        self.failures.append(text)
        print(f"# {self.mode}: FAILED: {text}", flush=True)


# ----------------------------------------------------------------- HTTP client
# A minimal HTTP/1.1 client on asyncio streams: gunicorn's sync workers close
# the connection after each response, so a request is one connection read to
# its end. Kept tiny so that the 64 clients cost little CPU beside the server.


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict
    cookies: dict
    body: str
    seconds: float

    @property
    def location(self):
        return self.headers.get("location", "")


@dataclass
class Stats:
    latencies: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    def add(self, name, seconds):
        self.latencies.setdefault(name, []).append(seconds)

    def error(self, kind, detail):
        self.errors.setdefault(kind, []).append(detail)

    def error_count(self):
        return sum(len(v) for v in self.errors.values())


def _decode_chunked(data):
    out, pos = bytearray(), 0
    while True:
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2


async def http(port, method, path, *, cookies=None, form=None, headers=None, timeout=60.0):
    body = urllib.parse.urlencode(form).encode() if form is not None else b""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Connection: close",
        "X-Forwarded-Proto: https",
        "User-Agent: portail-rush-bench",
        "Accept: text/html",
        "Accept-Language: fr",
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if form is not None:
        lines += [
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
            f"Origin: https://127.0.0.1:{port}",
            f"Referer: https://127.0.0.1:{port}{path}",
        ]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    started = time.perf_counter()

    async def exchange():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(payload)
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()

    try:
        raw = await asyncio.wait_for(exchange(), timeout)
    except TimeoutError as exc:
        raise HttpError(f"timeout after {timeout:.0f} s: {method} {path}") from exc
    except OSError as exc:
        raise HttpError(f"connection error: {method} {path}: {exc}") from exc
    seconds = time.perf_counter() - started
    head, sep, content = raw.partition(b"\r\n\r\n")
    if not sep:
        raise HttpError(f"no response: {method} {path}")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    headers, cookies_set = {}, {}
    for header in header_lines:
        name, _, value = header.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            cookies_set[key.strip()] = val.strip()
        else:
            headers[name] = value
    if headers.get("transfer-encoding", "").lower() == "chunked":
        content = _decode_chunked(content)
    return Response(status, headers, cookies_set, content.decode("utf-8", "replace"), seconds)


class Browser:
    """One family's browser: its cookies, and requests that fail loudly."""

    def __init__(self, family, port, stats, timeout):
        self.family = family
        self.port = port
        self.stats = stats
        self.timeout = timeout
        self.cookies = {}

    async def go(self, method, path, *, expect=(200,), name=None, **kwargs):
        response = await http(self.port, method, path, cookies=self.cookies, timeout=self.timeout, **kwargs)
        self.cookies.update(response.cookies)
        if name:
            self.stats.add(name, response.seconds)
        if response.status >= 500:
            raise HttpError(f"HTTP {response.status}: {method} {path}")
        if response.status not in expect:
            raise HttpError(f"unexpected HTTP {response.status} (wanted {expect}): {method} {path}")
        return response


FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
INPUT_RE = re.compile(r"<input\b([^>]*)>")
ATTR_RE = re.compile(r'([\w-]+)="([^"]*)"')


def forms(page):
    """[(attributes, {name: value})] of the page's forms (hidden and text inputs)."""
    found = []
    for attrs, inner in FORM_RE.findall(page):
        fields = {}
        for input_attrs in INPUT_RE.findall(inner):
            a = dict(ATTR_RE.findall(input_attrs))
            if "name" in a:
                fields[a["name"]] = html.unescape(a.get("value", ""))
        found.append(({k: html.unescape(v) for k, v in ATTR_RE.findall(attrs)}, fields))
    return found


def form_with(page, **wanted):
    for attrs, fields in forms(page):
        if all(fields.get(k) == v for k, v in wanted.items()):
            return attrs, fields
    raise HttpError(f"no form with {wanted} in the page")


def draft_count(fragment):
    match = re.search(r'data-testid="draft-count">(\d+)<', fragment)
    return int(match.group(1)) if match else None


# ----------------------------------------------------------------- the families' journeys


@dataclass
class Journey:
    index: int
    pk: int
    username: str
    children: list
    port: int = 0
    browser: Browser = None
    token: str = ""
    confirm_csrf: str = ""
    confirm_path: str = ""
    confirmed_pk: int = 0
    click_start: float = 0.0
    click_end: float = 0.0
    path_start: float = 0.0  # its first request of the draft phase ("Réserver")
    draft_end: float = 0.0  # its recap's answer


async def login(family, stats):
    b = family.browser
    page = await b.go("GET", "/connexion/")
    _, fields = form_with(page.body, username="")
    fields.update(username=family.username, password=PASSWORD)
    answer = await b.go("POST", "/connexion/", form=fields, expect=(302,), name="login_post")
    if urllib.parse.urlsplit(answer.location).path != "/":
        raise HttpError(f"login of {family.username} went to {answer.location!r}")
    home = await b.go("GET", "/")
    if 'action="/deconnexion/"' not in home.body:
        raise HttpError(f"home page of {family.username} does not look logged in")


async def month_tool(family, child_pk, activity_pk, month, *, name=None):
    """Open the child's calendar on the activity, click the month icon (htmx)."""
    b = family.browser
    path = f"/reserver/?enfant={child_pk}&activite={activity_pk}&mois={month}"
    page = await b.go("GET", path, name=name and "calendar_page")
    attrs, fields = form_with(page.body, outil="mois")
    # The month icon is a button of that form carrying the same address in its
    # hx-post (issue 15 point 4: it swaps only the cells that changed); before,
    # the form itself carried hx-post and the answer was the whole calendar.
    headers = {
        "HX-Request": "true",
        "HX-Current-URL": f"https://127.0.0.1:{b.port}{path}",
        "HX-Target": "calendar" if "hx-post" in attrs else "tool-month",
        "X-CSRFToken": fields["csrfmiddlewaretoken"],
    }
    return await b.go("POST", attrs.get("hx-post") or attrs["action"], form=fields, headers=headers, name=name)


async def build_draft(family, activity_pk, month, days):
    b = family.browser
    family.path_start = time.perf_counter()
    chooser = await b.go("GET", "/reserver/")
    for child_pk in family.children:
        if f"enfant={child_pk}" not in chooser.body:
            raise HttpError(f"child {child_pk} missing from the chooser of {family.username}")
    for n, child_pk in enumerate(family.children, start=1):
        fragment = await month_tool(family, child_pk, activity_pk, month, name="month_tool_htmx")
        marked = fragment.body.count('data-state="book"')
        if marked != days or draft_count(fragment.body) != days * n:
            raise HttpError(
                f"{family.username}: month tool marked {marked} days, draft count {draft_count(fragment.body)}"
            )
    recap = await b.go("GET", "/reserver/recapitulatif/", name="recap_page")
    attrs, fields = _confirm_form(recap.body)
    family.token, family.confirm_csrf = fields["jeton"], fields["csrfmiddlewaretoken"]
    family.confirm_path = attrs["hx-post"]
    family.draft_end = time.perf_counter()


def _confirm_form(page):
    for attrs, fields in forms(page):
        if attrs.get("action") == "/reserver/confirmer/" and "jeton" in fields:
            return attrs, fields
    raise HttpError("no Confirmer form on the recap page")


async def confirm(family):
    """Click "Confirmer" as the recap page does with JavaScript: its htmx POST,
    answered with the result itself (the click is this one round trip)."""
    b = family.browser
    headers = {
        "HX-Request": "true",
        "HX-Current-URL": f"https://127.0.0.1:{b.port}/reserver/recapitulatif/",
        "HX-Target": "contenu",
        "X-CSRFToken": family.confirm_csrf,
    }
    family.click_start = time.perf_counter()
    answer = await b.go(
        "POST", family.confirm_path, form={"csrfmiddlewaretoken": family.confirm_csrf, "jeton": family.token},
        headers=headers, name="confirm_click",
    )  # fmt: skip
    family.click_end = time.perf_counter()
    match = re.fullmatch(r"/reserver/resultat/(\d+)/", answer.headers.get("hx-push-url", ""))
    if not match:
        raise HttpError(f"Confirmer of {family.username} answered no result address: {answer.headers!r}")
    if "Vos demandes ont été enregistrées" not in answer.body or answer.body.count("data-outcome=") != 20:
        raise HttpError(f"Confirmer of {family.username} did not answer with the 20 results")
    family.confirmed_pk = int(match.group(1))


async def run_all(families, concurrency, job, stats, label):
    """Run `job(family)` for every family with `concurrency` clients; returns the wall time."""
    queue = list(families)
    queue.reverse()

    async def client():
        while queue:
            family = queue.pop()
            try:
                await job(family)
            except HttpError as exc:
                stats.error(label, f"{family.username}: {exc}")

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started


async def probe(family, stats, stop):
    """A parent who is not booking: loads Accueil every PROBE_PERIOD seconds
    until `stop` is set (one request at a time: a slow answer delays the next)."""
    while not stop.is_set():
        tick = time.perf_counter()
        try:
            home = await family.browser.go("GET", "/", name="probe")
            if 'action="/deconnexion/"' not in home.body:
                raise HttpError("the probe's home page does not look logged in")
        except HttpError as exc:
            stats.error("probe", str(exc))
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, PROBE_PERIOD - (time.perf_counter() - tick)))
        except TimeoutError:
            pass


async def rush(journeys, prober, concurrency, activity_pk, month, days, stats):
    """Phases 3 and 4 with the probe loading Accueil beside them; returns their wall times."""
    stop = asyncio.Event()
    probing = asyncio.create_task(probe(prober, stats, stop))
    try:
        drafts_seconds = await run_all(
            journeys, concurrency, lambda j: build_draft(j, activity_pk, month, days), stats, "draft"
        )
        ready = [j for j in journeys if j.token]
        confirm_seconds = await run_all(ready, concurrency, confirm, stats, "confirm")
    finally:
        stop.set()
        await probing
    return drafts_seconds, confirm_seconds


async def hammer(families, concurrency, path, count, stats, name, expect):
    """`count` GETs of `path`, spread over the families' sessions; returns the wall time."""
    remaining = [count]

    async def client(n):
        i = n
        while remaining[0] > 0:
            remaining[0] -= 1
            family = families[i % len(families)]
            i += concurrency
            try:
                await family.browser.go("GET", path, expect=expect, name=name)
            except HttpError as exc:
                stats.error(name, str(exc))

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    return time.perf_counter() - started


# ----------------------------------------------------------------- the servers


class Servers:
    """gunicorn instances (production settings) and the peak memory of their processes."""

    def __init__(self, count, workers, database_url, log_dir):
        self.count, self.workers = count, workers
        self.database_url = database_url
        self.log_dir = log_dir
        self.procs, self.ports = [], []
        self.peak_pss_kb = 0
        self.peak_worker_hwm_kb = 0
        self._stop = threading.Event()
        self._sampler = None

    def environment(self):
        env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}}
        env.update(
            DJANGO_SETTINGS_MODULE="portail.settings", DJANGO_DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=self.database_url, LOG_LEVEL="WARNING", DB_CONN_MAX_AGE="60",
        )  # fmt: skip
        return env

    def start(self):
        env = self.environment()
        for n in range(self.count):
            port = free_port()
            log = open(Path(self.log_dir) / f"gunicorn-{n}.log", "w")  # noqa: SIM115 (closed with the process)
            proc = subprocess.Popen(
                [str(VENV / "bin" / "gunicorn"), "portail.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(self.workers), "--timeout", "120", "--forwarded-allow-ips", "127.0.0.1",
                 "--backlog", "2048", "--no-control-socket"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            self.procs.append(proc)
            self.ports.append(port)
        for port, proc in zip(self.ports, self.procs, strict=True):
            wait_until_serving(port, proc)
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def pids(self):
        pids = []
        for proc in self.procs:
            pids.append(proc.pid)
            try:
                children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            except OSError:
                children = []
            pids += [int(c) for c in children]
        return pids

    def _sample(self):
        while not self._stop.is_set():
            total = 0
            for pid in self.pids():
                total += proc_kb(pid, "smaps_rollup", "Pss:")
                if pid not in (p.pid for p in self.procs):
                    self.peak_worker_hwm_kb = max(self.peak_worker_hwm_kb, proc_kb(pid, "status", "VmHWM:"))
            self.peak_pss_kb = max(self.peak_pss_kb, total)
            self._stop.wait(0.25)

    def stop(self):
        self._stop.set()
        if self._sampler:
            self._sampler.join()
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def log_tail(self, lines=30):
        text = []
        for path in sorted(Path(self.log_dir).glob("gunicorn-*.log")):
            text += path.read_text(errors="replace").splitlines()[-lines:]
        return text


def proc_kb(pid, name, key):
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn on port {port} exited with {proc.returncode}")
        try:
            response = asyncio.run(http(port, "GET", "/connexion/", timeout=5))
            if response.status == 200:
                return
        except (HttpError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not answer within {timeout} s")


# ----------------------------------------------------------------- the data


def camp_days(count):
    """`count` weekdays of one month at least five weeks ahead, no public holiday."""
    from portail.structures.calendar import is_public_holiday

    first = (datetime.date.today() + datetime.timedelta(days=35)).replace(day=1)
    first = (first + datetime.timedelta(days=32)).replace(day=1)
    days, day = [], first
    while len(days) < count:
        if day.month != first.month:
            raise SystemExit(f"fewer than {count} weekdays in {first:%m/%Y}")
        if day.weekday() < 5 and not is_public_holiday(day):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def build(report, families_count, capacity, waiting, days_count):
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from portail.accounts.models import User
    from portail.structures.models import Activity, Child, Enrolment, Family, Opening, Structure

    started = time.perf_counter()
    days = camp_days(days_count)
    with transaction.atomic():
        structure = Structure.objects.create(name="Ville de Rushville", email="enfance@rushville.example")
        activity = Activity.objects.create(
            structure=structure, name="Colonie d'été", code="COLO", is_limited=True, capacity=capacity,
            waiting_list_capacity=waiting, booking_period_start=days[0], booking_period_end=days[-1],
            bookings_open_at=datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC),
        )  # fmt: skip
        Opening.objects.bulk_create(Opening(activity=activity, date=d) for d in days)
        encoded = make_password(PASSWORD)  # the production hasher; one hash for all (same password)
        users = User.objects.bulk_create(
            User(username=f"parent{n:05d}", password=encoded, first_name="Parent", last_name=f"FAMILLE{n:05d}",
                 email=f"parent{n:05d}@rushville.example")
            for n in range(families_count)
        )  # fmt: skip
        families = Family.objects.bulk_create(
            Family(structure=structure, reference=f"F{n:05d}", civility="Mme", last_name=f"FAMILLE{n:05d}",
                   first_name="Parent")
            for n in range(families_count)
        )  # fmt: skip
        Family.accounts.through.objects.bulk_create(
            Family.accounts.through(family_id=f.pk, user_id=u.pk) for f, u in zip(families, users, strict=True)
        )
        children = Child.objects.bulk_create(
            Child(family=f, first_name=name, last_name=f.last_name, birth_date=datetime.date(2016 + k, 3, 1))
            for f in families
            for k, name in enumerate(["Alice", "Bruno"])
        )
        Enrolment.objects.bulk_create(
            Enrolment(child=c, activity=activity, start_date=days[0], end_date=days[-1]) for c in children
        )
    report.info(
        f"built {families_count} families, {len(children)} children, {len(days)} openings "
        f"({days[0]:%d/%m/%Y} … {days[-1]:%d/%m/%Y}) in {time.perf_counter() - started:.1f} s"
    )
    by_family = {}
    for c in children:
        by_family.setdefault(c.family_id, []).append(c.pk)
    journeys = [
        Journey(index=n, pk=f.pk, username=u.username, children=by_family[f.pk])
        for n, (f, u) in enumerate(zip(families, users, strict=True))
    ]
    return activity, days, journeys


# ----------------------------------------------------------------- the checks


def check_database(report, activity, days, journeys, capacity, waiting):
    from django.db.models import Count

    from portail.booking.models import ACTIVE_STATUSES, Booking, BookingStatus, Confirmation, Movement, MovementKind

    rows = list(
        Booking.objects.filter(activity=activity).values_list("pk", "child__family_id", "child_id", "date", "status")
    )
    per_day = {d: {"accepted": [], "waitlisted": [], "refused": [], "other": []} for d in days}
    for pk, _family_id, _child_id, day, status in rows:
        key = {BookingStatus.ACCEPTED: "accepted", BookingStatus.WAITLISTED: "waitlisted",
               BookingStatus.REFUSED: "refused"}.get(status, "other")  # fmt: skip
        per_day[day][key].append(pk)

    positions = dict(
        Movement.objects.filter(kind=MovementKind.BOOK, booking__activity=activity, waiting_position__isnull=False)
        .values_list("booking_id", "waiting_position")
    )  # fmt: skip
    places, waitlists, order_violations = [], [], 0
    for day in days:
        d = per_day[day]
        places.append(len(d["accepted"]))
        waitlists.append(len(d["waitlisted"]))
        accepted, waiting_ids, refused = sorted(d["accepted"]), sorted(d["waitlisted"]), sorted(d["refused"])
        # Confirmation order: a row's id is taken while its opening is locked.
        in_order = [positions.get(pk) for pk in waiting_ids] == list(range(1, len(waiting_ids) + 1))
        fair = (not accepted or not waiting_ids or accepted[-1] < waiting_ids[0]) and (
            not (accepted or waiting_ids) or not refused or max(accepted + waiting_ids) < refused[0]
        )
        if not in_order or not fair:
            order_violations += 1
        report.info(
            f"{day:%a %d/%m}: {len(accepted)} places, {len(waiting_ids)} on the waiting list "
            f"({'in order' if in_order and fair else 'OUT OF ORDER'}), {len(refused)} refused, {len(d['other'])} other"
        )
    duplicates = (
        Booking.objects.filter(activity=activity, status__in=ACTIVE_STATUSES)
        .values("child", "date")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    # Every demande judged exactly once: one row per child and day.
    demandes = Booking.objects.filter(activity=activity).values("child", "date").annotate(n=Count("id"))
    twice = sum(1 for r in demandes if r["n"] > 1)
    expected_rows = len(journeys) * 2 * len(days)
    confirmations = dict(
        Confirmation.objects.values("family_id").annotate(n=Count("id")).values_list("family_id", "n")
    )  # fmt: skip
    families_not_once = sum(1 for j in journeys if confirmations.get(j.pk, 0) != 1)

    # External order: a family whose "Confirmer" was answered before another
    # family even clicked must be served first on every day.
    first_row = {}
    last_row = {}
    for pk, family_id, _child, _day, status in rows:
        if status in (BookingStatus.ACCEPTED, BookingStatus.WAITLISTED, BookingStatus.REFUSED):
            first_row[family_id] = min(first_row.get(family_id, pk), pk)
            last_row[family_id] = max(last_row.get(family_id, pk), pk)
    clicked = sorted((j for j in journeys if j.click_end and j.pk in first_row), key=lambda j: j.click_start)
    by_end = sorted(clicked, key=lambda j: j.click_end)
    overtaken, done, highest = 0, 0, 0
    for j in clicked:
        while done < len(by_end) and by_end[done].click_end < j.click_start:
            highest = max(highest, last_row[by_end[done].pk])
            done += 1
        if first_row[j.pk] < highest:
            overtaken += 1

    report.line("places_given_per_day_min", min(places), "places", f"capacity {capacity}")
    report.line("places_given_per_day_max", max(places), "places")
    report.line("waiting_list_per_day_max", max(waitlists), "entries", f"waiting-list capacity {waiting}")
    report.line("waiting_list_order_violations", order_violations, "days")
    report.line("served_before_an_earlier_confirmation", overtaken, "families")
    report.line("duplicates", duplicates + twice, "rows")
    report.line("families_without_exactly_one_confirmation", families_not_once, "families")
    if min(places) != capacity or max(places) != capacity:
        report.fail(f"places per day {places}, capacity {capacity}")
    if max(waitlists) > waiting or min(waitlists) != min(waiting, len(journeys) * 2 - capacity):
        report.fail(f"waiting list per day {waitlists}, capacity {waiting}")
    if order_violations or overtaken:
        report.fail("waiting-list order")
    if duplicates or twice or len(rows) != expected_rows:
        report.fail(f"{duplicates + twice} duplicates, {len(rows)} rows for {expected_rows} demandes")
    if families_not_once:
        report.fail(f"{families_not_once} families without exactly one confirmation")


# ----------------------------------------------------------------- one mode


def configure_django(database_url):
    os.environ["DJANGO_SETTINGS_MODULE"] = "portail.settings"
    os.environ["DJANGO_DEBUG"] = "1"  # this process only loads and checks: dev settings, no SECRET_KEY
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False


def create_postgres_database(url):
    import dj_database_url
    import psycopg

    conf = dj_database_url.parse(url)
    params = {k.lower(): conf.get(k) or None for k in ("HOST", "PORT", "USER", "PASSWORD")}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{conf["NAME"]}"')
        conn.execute(f'CREATE DATABASE "{conf["NAME"]}"')


def stats_lines(report, stats, name, label):
    values = stats.latencies.get(name, [])
    if not values:
        return None
    p50, p95, p99 = (percentile(values, q) * 1000 for q in (0.50, 0.95, 0.99))
    report.line(f"{label}_p50", p50, "ms")
    report.line(f"{label}_p95", p95, "ms")
    report.line(f"{label}_p99", p99, "ms")
    return p95


def run_mode(mode, args):
    report = Report(mode)
    tmp = tempfile.mkdtemp(prefix="portail-rush-")
    if mode == "sqlite":
        database_url = f"sqlite:///{tmp}/rush.sqlite3"
        servers_count, workers = 1, 1
    else:
        base = os.environ["DATABASE_URL"]
        database_url = base.rsplit("/", 1)[0] + f"/rush_{mode.replace('-', '_')}"
        create_postgres_database(database_url)
        servers_count, workers = (2 if mode == "two-servers" else 1), args.workers
    configure_django(database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from portail.booking.models import DraftItem
    from portail.structures.models import Activity

    call_command("migrate", verbosity=0, interactive=False)
    activity, days, journeys = build(report, args.families + 1, args.capacity, args.waiting, 10)
    prober = journeys.pop()  # the probe's family: logged in, never books
    month = f"{days[0]:%Y-%m}"
    connection.close()

    servers = Servers(servers_count, workers, database_url, tmp)
    report.info(f"{servers_count} gunicorn × {workers} worker(s), {args.concurrency} clients, {load_average()}")
    stats = Stats()
    try:
        servers.start()
        for j in [*journeys, prober]:
            j.port = servers.ports[j.index % servers_count]
            j.browser = Browser(j, j.port, stats, args.timeout)

        # 1. Everybody logs in through the form.
        seconds = asyncio.run(run_all(journeys, args.concurrency, lambda j: login(j, stats), stats, "login"))
        report.line("logins_per_s", len(journeys) / seconds, "/s", f"{len(journeys)} logins in {seconds:.0f} s")
        stats_lines(report, stats, "login_post", "login")
        asyncio.run(run_all([prober], 1, lambda j: login(j, stats), stats, "probe_login"))
        # The ceiling is measured twice, before the drafts and after the confirmations: the
        # machine's speed drifts (shared CPUs), and the ratio should not hang on one moment.
        before_seconds = asyncio.run(
            hammer(journeys, args.concurrency, "/connexion/", args.ceiling_requests, stats, "trivial_before", (302,))
        )

        # 2. The opening: a moment a few seconds ahead; a click before it is refused.
        opens_at = timezone.now() + datetime.timedelta(seconds=4)
        Activity.objects.filter(pk=activity.pk).update(bookings_open_at=opens_at)
        connection.close()
        early = asyncio.run(month_tool(journeys[0], journeys[0].children[0], activity.pk, month))
        # The click marks nothing (the answer carries no "à réserver" day and no
        # demande), and the calendar tells the parent why on each day.
        calendar_path = f"/reserver/?enfant={journeys[0].children[0]}&activite={activity.pk}&mois={month}"
        page = asyncio.run(journeys[0].browser.go("GET", calendar_path))
        refused = (
            'data-state="book"' not in early.body
            and draft_count(early.body) in (None, 0)
            and "pas encore ouvertes" in page.body
        )
        if not refused or DraftItem.objects.exists():
            report.fail("a click before the opening was not refused")
        report.line("refused_before_opening", "yes" if refused else "NO")
        time.sleep(max(0.0, (opens_at - timezone.now()).total_seconds()))

        # 3. Drafts: "Réserver", both children's calendars, the month tool, the recap;
        # 4. then everybody clicks "Confirmer". The probe loads Accueil meanwhile.
        drafts_seconds, confirm_seconds = asyncio.run(
            rush(journeys, prober, args.concurrency, activity.pk, month, len(days), stats)
        )
        ready = [j for j in journeys if j.token]
        report.line("drafts_per_s", len(journeys) / drafts_seconds, "/s", f"{len(journeys)} drafts of 20 demandes")
        stats_lines(report, stats, "month_tool_htmx", "month_tool_htmx")
        confirmed = [j for j in ready if j.confirmed_pk]
        rate = len(confirmed) / confirm_seconds
        report.line("confirmations_per_s", rate, "/s", f"{len(ready)} in {confirm_seconds:.1f} s")
        stats_lines(report, stats, "confirm_click", "confirm_click")
        # The whole path: every family carried from "Réserver" to Confirmer's answer.
        families_rate = len(confirmed) / (drafts_seconds + confirm_seconds)
        report.line(
            "families_per_s", families_rate, "/s",
            f"whole path (Réserver → calendars → month tool → recap → Confirmer), {len(confirmed)} families "
            f"in {drafts_seconds + confirm_seconds:.1f} s",
        )  # fmt: skip
        for j in confirmed:
            stats.add("family_path", (j.draft_end - j.path_start) + (j.click_end - j.click_start))
        stats_lines(report, stats, "family_path", "family_path")
        stats_lines(report, stats, "probe", "probe")
        report.line("probe_loads", len(stats.latencies.get("probe", [])), "", "Accueil, once a second during 3 and 4")

        # 5. The ceiling: a trivial logged-in request, then the profile page for reference.
        ceiling_seconds = asyncio.run(
            hammer(journeys, args.concurrency, "/connexion/", args.ceiling_requests, stats, "trivial", (302,))
        )
        before, after = args.ceiling_requests / before_seconds, args.ceiling_requests / ceiling_seconds
        ceiling = (before + after) / 2
        report.line(
            "trivial_page_per_s", ceiling, "/s",
            f"/connexion/ for a logged-in parent (session, user, redirect): {before:.0f} before the drafts, "
            f"{after:.0f} after the confirmations",
        )  # fmt: skip
        stats_lines(report, stats, "trivial", "trivial_page")
        profile_seconds = asyncio.run(
            hammer(journeys, args.concurrency, "/compte/profil/", args.ceiling_requests // 2, stats, "profile", (200,))
        )
        report.line("profile_page_per_s", args.ceiling_requests // 2 / profile_seconds, "/s", "for reference")
        whole_path_ratio, confirm_ratio = families_rate / ceiling, rate / ceiling
        report.line("whole_path_ratio", whole_path_ratio * 100, "%", f"target ≥ {TARGET_WHOLE_PATH_RATIO:.0%}")
        report.line("confirm_ratio", confirm_ratio * 100, "%", f"target ≥ {TARGET_CONFIRM_RATIO:.0%}")
    finally:
        servers.stop()
        gunicorn_log = servers.log_tail()

    report.line("server_memory_peak", servers.peak_pss_kb / 1024, "MB", "all gunicorn processes, PSS")
    report.line("server_worker_rss_peak", servers.peak_worker_hwm_kb / 1024, "MB", "largest worker, VmHWM")
    errors = stats.error_count()
    report.line("errors", errors, "", "5xx, timeouts, unexpected answers")
    for kind, details in stats.errors.items():
        report.info(f"{len(details)} {kind} errors, e.g. {details[:3]}")
    if errors:
        report.fail(f"{errors} errors")
        for line in gunicorn_log:
            report.info("gunicorn: " + line)
    check_database(report, activity, days, journeys, args.capacity, args.waiting)
    if mode != "sqlite":
        if whole_path_ratio < TARGET_WHOLE_PATH_RATIO:
            report.over.append("whole_path_ratio")
        if confirm_ratio < TARGET_CONFIRM_RATIO:
            report.over.append("confirm_ratio")
    report.info(load_average())
    connection.close()
    shutil.rmtree(tmp, ignore_errors=True)  # the SQLite file and the gunicorn logs
    status = "failed" if report.failures else ("over-target" if report.over else "ok")
    print(f"{mode}.status: {status}" + (f"   (over: {', '.join(report.over)})" if report.over else ""), flush=True)
    return status


# ----------------------------------------------------------------- driver


def collectstatic():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    env.update(DJANGO_DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="portail.settings")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["all", "postgres", "two-servers", "sqlite"], default="all")
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (PostgreSQL modes)")
    parser.add_argument("--capacity", type=int, default=100)
    parser.add_argument("--waiting", type=int, default=30)
    parser.add_argument("--ceiling-requests", type=int, default=4000)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a request counts as an error")
    parser.add_argument("--quick", action="store_true", help="200 families, for a smoke run")
    parser.add_argument("--_run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.families, args.ceiling_requests = 200, 1000
    if args.families * 2 <= args.capacity:
        parser.error("--families must exceed half the capacity: the point is a rush for too few places")

    if args._run:
        return EXIT_CODES[run_mode(args._run, args)]

    modes = ["postgres", "two-servers", "sqlite"] if args.mode == "all" else [args.mode]
    needs_pg = any(m != "sqlite" for m in modes)
    if needs_pg and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # Start a throwaway cluster (as .ci/run does) and come back inside it.
        os.execvp("bash", ["bash", str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, *sys.argv])
    started = time.perf_counter()
    collectstatic()
    statuses = []
    for mode in modes:
        cmd = [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:], "--_run", mode]
        code = subprocess.run(cmd, check=False).returncode
        statuses.append({v: k for k, v in EXIT_CODES.items()}.get(code, "failed"))  # a crash is a failure
    print(f"# total {time.perf_counter() - started:.0f} s", flush=True)
    status = "failed" if "failed" in statuses else ("over-target" if "over-target" in statuses else "ok")
    print(f"status: {status}", flush=True)
    return 1 if status == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
