#!/usr/bin/env python
"""Server time of the calendar's day click (R5d), as the browser sends it.

    python bench/toggle.py [--toggles N]

Builds the demo data in a throwaway SQLite database under /tmp (the clock
set to Thursday 26 November 2026, noon, Paris), logs the demo parent in with
Django's test Client (force_login) and posts the htmx day toggle
(family:toggle_day with HX-Request) N times (default 240, after a warm-up):
each day of Paolo's December is marked "à réserver" then unmarked, on APS
MATIN (limited, à horaires: the default times go with the mark) and on
RESTAURATION (unlimited). Each request renders the whole calendar partial,
as in the browser.

Prints `toggle_day_http_p50: X ms`, `toggle_day_http_p95: X ms` (wall-clock,
in process: view, template, database; no network), the target (p50 ≤ 30 ms)
and `status: ok|over-target`. A busy machine inflates the figures: the load
average is printed beside them. A DATABASE_URL in the environment is ignored.
"""

import argparse
import datetime
import os
import sys
import tempfile
import time

from _common import ROOT, load_average, percentile, use_project_venv  # bench/ is on sys.path: the script's folder

TARGET_P50_MS = 30.0
NOW = datetime.datetime(2026, 11, 26, 11, 0, tzinfo=datetime.UTC)  # 12:00 in Paris


if __name__ == "__main__":
    use_project_venv(__file__)
sys.path.insert(0, str(ROOT))


def setup(db_path):
    os.environ["DJANGO_SETTINGS_MODULE"] = "portail.settings"
    os.environ["DJANGO_DEBUG"] = "1"  # dev settings (no SECRET_KEY needed); DEBUG is switched off below
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import warnings

    import django
    from django.conf import settings

    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")  # no collectstatic here
    django.setup()
    settings.DEBUG = False  # measure as in production: no query log
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test Client's host


def world():
    """The demo, and the logged-in Client of the demo parent on CarteVille."""
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from portail.accounts.models import User
    from portail.demo.data import load_demo
    from portail.structures.models import Family

    call_command("migrate", verbosity=0, interactive=False)
    load_demo(today=NOW.date())
    client = Client()
    client.force_login(User.objects.get(username="dupont"))
    family = Family.objects.get(structure__name="Mairie de CarteVille", reference="DUP001")
    assert client.post(reverse("family:switch_structure"), {"family": family.pk}).status_code == 302
    return client, family


def clicks(family):
    """(activity, day, data) of each click: mark then unmark every bookable day of December."""
    from django.utils import timezone

    from portail.booking.states import month_states

    paolo = family.children.get(first_name="Paolo")
    states = month_states(paolo, 2026, 12, now=timezone.now())
    plan = []
    for activity_month in states.activities:
        activity = activity_month.activity
        if activity.name not in ("APS MATIN", "RESTAURATION"):
            continue
        # as the calendar sends it: one-activity mode, the answer is the clicked cell only
        base = {"enfant": paolo.pk, "activite": activity.pk, "mois": "2026-12", "cellule": "1"}
        for day, state in sorted(activity_month.days.items()):
            if not state.bookable:
                continue
            mark = {**base, "date": day.isoformat()}
            if activity.has_times:  # the default times go with a day to book, not with its undo
                first, *_, last = activity.time_choices()
                mark |= {"arrivee": f"{first:%H:%M}", "depart": f"{last:%H:%M}"}
            plan += [(activity.name, mark), (activity.name, {**base, "date": day.isoformat()})]
    return plan


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toggles", type=int, default=240, help="measured toggles (at least 200)")
    args = parser.parse_args()
    toggles = max(200, args.toggles)

    handle, db_path = tempfile.mkstemp(prefix="portail-bench-toggle-", suffix=".sqlite3", dir="/tmp")
    os.close(handle)
    try:
        import time_machine

        with time_machine.travel(NOW, tick=True):
            setup(db_path)
            run(toggles)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.remove(db_path + suffix)
            except FileNotFoundError:
                pass


def run(toggles):
    from django.urls import reverse

    from portail.booking.models import DraftItem

    t0 = time.perf_counter()
    client, family = world()
    print(f"# demo built in {time.perf_counter() - t0:.1f} s; {load_average()}", flush=True)
    plan = clicks(family)
    if not plan:
        raise SystemExit("No bookable day in December: the demo changed?")
    url = reverse("family:toggle_day")
    warm_up = 10
    timings, cpu, by_activity = [], [], {}
    n = 0
    while len(timings) < toggles:
        name, data = plan[n % len(plan)]
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        elapsed = (time.perf_counter() - start) * 1000
        elapsed_cpu = (time.process_time() - start_cpu) * 1000
        if (
            response.status_code != 200
            or b'<td class="day day--' not in response.content
            or b'data-testid="calendar-error"' in response.content
        ):
            raise SystemExit(f"toggle_day answered {response.status_code} for {data}")
        if n >= warm_up:
            timings.append(elapsed)
            cpu.append(elapsed_cpu)
            by_activity.setdefault(name, []).append(elapsed)
        n += 1
    if DraftItem.objects.exists():  # every mark was undone: the plan really toggled
        pending = DraftItem.objects.count()
        if n % len(plan) == 0 or pending > 1:
            raise SystemExit(f"{pending} marks left: the toggles did not pair up")

    p50, p95 = percentile(timings, 0.50), percentile(timings, 0.95)
    for name, values in sorted(by_activity.items()):
        print(
            f"# {name}: p50 {percentile(values, 0.5):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, {len(values)} toggles"
        )
    print(
        f"# {len(timings)} toggles measured after {warm_up} warm-up; CPU time of this process: "
        f"p50 {percentile(cpu, 0.5):.1f} ms, p95 {percentile(cpu, 0.95):.1f} ms; {load_average()}"
    )
    print(f"toggle_day_http_p50: {p50:.1f} ms")
    print(f"toggle_day_http_p95: {p95:.1f} ms")
    print(f"target: toggle_day_http_p50 ≤ {TARGET_P50_MS:.0f} ms")
    print(f"status: {'ok' if p50 <= TARGET_P50_MS else 'over-target'}")


if __name__ == "__main__":
    main()
