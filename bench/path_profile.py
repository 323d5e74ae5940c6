#!/usr/bin/env python
"""Where a parent's registration-night path spends its time, request by request (issue 15).

    python bench/path_profile.py [--db postgres|sqlite] [--families N] [--confirm-only] [--cprofile NAME]

In one process, single-threaded, with Django's test client (no gunicorn, no
network, no concurrency): the data of bench/rush.py (one camp of 100 places
and 30 waiting-list places on 10 days, families of 2 children), then for N
families (default 150: past the places and the waiting lists, so every
outcome is in the sample) the path of bench/rush.py — Réserver, the calendar
and the month tool (htmx) of each child, the recap, Confirmer (htmx) — plus
Accueil and the trivial logged-in page (/connexion/ redirecting) for scale.

For each kind of request it prints the median of:
- `wall`: the request in the client, from the call to the answer;
- `cpu`: this process's CPU (Django, the ORM, the templates, psycopg);
- `sql`: wall time inside cursor.execute (the driver, the socket, the database);
- `db_cpu`: the PostgreSQL backend's own CPU (read from /proc; PostgreSQL only);
- `template`: wall time inside the templates' render (their SQL included);
- `queries`: statements sent.
`--cprofile confirm` (or any request name) prints the top functions of that
request by cumulative time. The figures are per request and in-process: they
say where the time goes, not how many requests a server answers.
"""

import argparse
import cProfile
import datetime
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, use_project_venv  # bench/ is on sys.path: the script's folder

if __name__ == "__main__":
    use_project_venv(__file__)
sys.path.insert(0, str(ROOT))


HTMX = {"HTTP_HX_REQUEST": "true"}


class Meter:
    """Counts queries and their time, and the templates' render time."""

    def __init__(self):
        self.queries = 0
        self.sql = 0.0
        self.template = 0.0
        self._depth = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql += time.perf_counter() - started
            self.queries += 1

    def wrap_templates(self):
        from django.template.backends.django import Template

        real = Template.render
        meter = self

        def render(self, *args, **kwargs):
            meter._depth += 1
            started = time.perf_counter()
            try:
                return real(self, *args, **kwargs)
            finally:
                meter._depth -= 1
                if meter._depth == 0:
                    meter.template += time.perf_counter() - started

        Template.render = render


def backend_cpu(pid):
    """The PostgreSQL backend's CPU seconds so far (/proc/PID/schedstat: nanoseconds on a CPU)."""
    if pid is None:
        return 0.0
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


class Profiler:
    def __init__(self, cprofile_name):
        from django.db import connection

        self.rows = {}
        self.meter = Meter()
        self.meter.wrap_templates()
        connection.execute_wrappers.append(self.meter)
        self.cprofile_name = cprofile_name
        self.cprofile = cProfile.Profile(time.process_time) if cprofile_name else None  # CPU, not waits

    def backend_pid(self):
        from django.db import connection

        if connection.vendor != "postgresql":
            return None
        connection.ensure_connection()
        return connection.connection.info.backend_pid

    def measure(self, name, call):
        pid = self.backend_pid()
        m = self.meter
        q0, s0, t0 = m.queries, m.sql, m.template
        db0, cpu0, wall0 = backend_cpu(pid), time.process_time(), time.perf_counter()
        if self.cprofile is not None and name == self.cprofile_name:
            response = self.cprofile.runcall(call)
        else:
            response = call()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        self.rows.setdefault(name, []).append(
            {"wall": wall, "cpu": cpu, "sql": m.sql - s0, "db_cpu": backend_cpu(pid) - db0,
             "template": m.template - t0, "queries": m.queries - q0}
        )  # fmt: skip
        return response

    def report(self, db):
        print(f"# in-process, single-threaded, {db}; medians per request (ms)")
        print(
            f"# {'request':<16} {'n':>4} {'wall':>7} {'cpu':>7} {'sql':>7} {'db_cpu':>7} {'template':>8} {'queries':>7}"
        )
        for name, rows in self.rows.items():
            med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
            print(
                f"# {name:<16} {len(rows):>4} {med['wall'] * 1000:>7.1f} {med['cpu'] * 1000:>7.1f} "
                f"{med['sql'] * 1000:>7.1f} {med['db_cpu'] * 1000:>7.1f} {med['template'] * 1000:>8.1f} "
                f"{med['queries']:>7.0f}"
            )
            for key in ("wall", "cpu", "sql", "db_cpu", "template"):
                print(f"{db}.{name}_{key}_p50: {med[key] * 1000:.2f} ms")
            print(f"{db}.{name}_queries: {med['queries']:.0f} queries")
        if self.cprofile is not None:
            out = io.StringIO()
            stats = pstats.Stats(self.cprofile, stream=out)
            stats.sort_stats("cumulative").print_stats(90)
            stats.dump_stats(Path(tempfile.gettempdir()) / f"path_profile.{self.cprofile_name}.prof")
            print("\n".join("# " + line for line in out.getvalue().splitlines()))


def build_draft(profiler, client, journey, activity_pk, month):
    """One family's path up to the recap, as bench/rush.py walks it; returns
    the recap's Confirmer form (its address and fields)."""
    from rush import form_with, forms

    p = profiler
    p.measure("home", lambda: client.get("/"))
    p.measure("trivial", lambda: client.get("/connexion/"))
    p.measure("reserve", lambda: client.get("/reserver/"))
    for child_pk in journey.children:
        path = f"/reserver/?enfant={child_pk}&activite={activity_pk}&mois={month}"
        page = p.measure("calendar", lambda path=path: client.get(path))
        attrs, fields = form_with(page.content.decode(), outil="mois")
        answer = p.measure(
            "month_tool", lambda a=attrs, f=fields: client.post(a.get("hx-post") or a["action"], f, **HTMX)
        )
        assert answer.status_code == 200, answer.status_code
    recap = p.measure("recap", lambda: client.get("/reserver/recapitulatif/"))
    for attrs, fields in forms(recap.content.decode()):
        if attrs.get("action") == "/reserver/confirmer/" and "jeton" in fields:
            return attrs["hx-post"], fields
    raise SystemExit(f"no Confirmer form on the recap page of {journey.username}")


def engine_draft(profiler, client, journey, activity, days):
    """--confirm-only: the draft marked through the engine (drafts.toggle_set), then the recap."""
    from django.utils import timezone
    from rush import forms

    from portail.accounts.models import User
    from portail.booking import drafts
    from portail.structures.models import Child, Family

    family = Family.objects.get(pk=journey.pk)
    draft = drafts.get_draft(family, User.objects.get(username=journey.username))
    for child in Child.objects.filter(pk__in=journey.children):
        drafts.toggle_set(draft, child, activity, days, now=timezone.now())
    recap = profiler.measure("recap", lambda: client.get("/reserver/recapitulatif/"))
    for attrs, fields in forms(recap.content.decode()):
        if attrs.get("action") == "/reserver/confirmer/" and "jeton" in fields:
            return attrs["hx-post"], fields
    raise SystemExit(f"no Confirmer form on the recap page of {journey.username}")


def confirm(profiler, client, path, fields):
    answer = profiler.measure("confirm", lambda: client.post(path, fields, **HTMX))
    if answer.status_code != 200 or answer.content.decode().count("data-outcome=") != 20:
        raise SystemExit(f"Confirmer answered {answer.status_code} without the 20 results")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--families", type=int, default=150)
    parser.add_argument(
        "--confirm-only", action="store_true", help="drafts marked through the engine: only the recap and Confirmer"
    )
    parser.add_argument("--cprofile", default="", help="a request name (confirm, month_tool…) to profile")
    args = parser.parse_args()
    if args.db == "postgres" and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.execvp("bash", ["bash", str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, *sys.argv])

    from rush import Report, build, collectstatic, configure_django, create_postgres_database

    collectstatic()  # production's static storage (a manifest), as the rush's gunicorn serves

    if args.db == "postgres":
        database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/path_profile"
        create_postgres_database(database_url)
    else:
        database_url = f"sqlite:///{tempfile.mkdtemp(prefix='portail-profile-')}/profile.sqlite3"
    configure_django(database_url)
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from portail.accounts.models import User
    from portail.structures.models import Activity

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0, interactive=False)
    activity, days, journeys = build(Report(args.db), args.families, 100, 30, 10)
    Activity.objects.filter(pk=activity.pk).update(bookings_open_at=timezone.now() - datetime.timedelta(minutes=1))
    activity.refresh_from_db()
    month = f"{days[0]:%Y-%m}"
    users = {u.username: u for u in User.objects.filter(username__in=[j.username for j in journeys])}
    profiler = Profiler(args.cprofile)
    # As in the rush: every draft first (the days still free), then every Confirmer
    # (places, then the waiting lists, then refusals).
    ready = []
    for journey in journeys:
        client = Client()
        client.force_login(users[journey.username])
        if args.confirm_only:
            ready.append((client, *engine_draft(profiler, client, journey, activity, days)))
        else:
            ready.append((client, *build_draft(profiler, client, journey, activity.pk, month)))
    for client, path, fields in ready:
        confirm(profiler, client, path, fields)
    profiler.report(args.db)


if __name__ == "__main__":
    main()
