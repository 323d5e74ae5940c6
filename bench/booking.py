#!/usr/bin/env python
"""Booking engine benchmark on a city-sized structure.

    python bench/booking.py [--families N] [--db sqlite|postgres|both] [--quick]

Builds a fresh database (a throwaway SQLite file under /tmp, and/or a
throwaway PostgreSQL cluster through scripts/with-postgres.sh) with one
structure, 6 activities open every school day of 2026-2027, N families
(default 20,000) of 1–3 children enrolled in the 6 activities and about a
million bookings, then measures the engine through its services:

- the openings' place counters filled from the inserted rows (booking.counters.recount,
  as `manage.py recount` does), timed: `recount_seconds`;
- the month of day states of the 3 children of a family enrolled in 6
  activities: states.children_month_states (one snapshot for the family:
  `month_states_family`, the target) and states.month_states once per child
  (`month_states_3_children`);
- drafts.toggle_day;
- confirm.confirm_draft of a 60-demande draft (a fresh family every run);
- processing.process_requests over 10 "Non transmis" movements per family,
  in a fresh process so that its peak RSS is its own.

Each figure is printed as `<db>.<name>: <value> <unit>`, with its target
beside it, and the last line is `status: ok|over-target` (`crashed`, exit 1,
if something failed; otherwise exit 0 whatever the figures). Timings are
wall-clock p50/p95; `*_cpu_p50` is the CPU time of the bench process alone
(it includes SQLite's work, not the PostgreSQL server's). Lines starting with
`#` are information: build steps, load average (a busy machine inflates the
wall-clock figures), outcomes of the confirmations. `confirm_draft_60_spread`
(60 demandes spread from December to June) has no target: it shows how the
confirmation grows with the span of a draft.

Default run (20,000 families, about 1.04 million bookings, both databases):
about 6–10 minutes on 2 CPUs. `--quick` (1,000 families) takes about 1.5.

A DATABASE_URL in the environment is used instead of a throwaway database
(SQLite URL for the SQLite run, PostgreSQL URL for the PostgreSQL one); the
bench refuses a database that already holds bookings.
"""

import argparse
import contextlib
import datetime
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

from _common import ROOT, percentile, use_project_venv  # bench/ is on sys.path: the script's folder

if __name__ == "__main__":
    use_project_venv(__file__)
sys.path.insert(0, str(ROOT))

# ----------------------------------------------------------------- the world

SCHOOL_START = datetime.date(2026, 9, 1)
SCHOOL_END = datetime.date(2027, 7, 3)
# French school holidays of 2026-2027 (about zone C): the structure is closed then.
CLOSED_PERIODS = [
    ("Vacances de la Toussaint", datetime.date(2026, 10, 17), datetime.date(2026, 11, 1)),
    ("Vacances de Noël", datetime.date(2026, 12, 19), datetime.date(2027, 1, 3)),
    ("Vacances d'hiver", datetime.date(2027, 2, 13), datetime.date(2027, 3, 1)),
    ("Vacances de printemps", datetime.date(2027, 4, 10), datetime.date(2027, 4, 26)),
    ("Vacances d'été", datetime.date(2027, 7, 4), datetime.date(2027, 8, 31)),
]
# "Now" for every measure: a Thursday of late November, so September–November
# is history and December onwards can be booked and cancelled.
NOW_LOCAL = datetime.datetime(2026, 11, 26, 12, 0)
SCHOOL_DAYS = (0, 1, 3, 4)  # Mon, Tue, Thu, Fri
WEDNESDAY = (2,)

# Capacities are for 20,000 families and scale with --families.
ACTIVITIES = [
    # code, name, weekdays, limited, capacity, waiting list, à horaires
    ("APSM", "APS MATIN", SCHOOL_DAYS, True, 900, 100, False),
    ("REST", "RESTAURATION SCOLAIRE", SCHOOL_DAYS, False, 0, 0, False),
    ("APSS", "APS SOIR", SCHOOL_DAYS, True, 1000, 50, False),
    ("ETUD", "ÉTUDE SURVEILLÉE", SCHOOL_DAYS, False, 0, 0, False),
    ("GARD", "GARDERIE TARDIVE", SCHOOL_DAYS, False, 0, 0, True),
    ("ALSH", "ALSH MERCREDI", WEDNESDAY, True, 1200, 150, False),
]
GARD_EARLIEST, GARD_LATEST, GARD_STEP = datetime.time(16, 30), datetime.time(18, 30), 15
GARD_DEPARTURES = [datetime.time(17, 0), datetime.time(17, 30), datetime.time(18, 0), datetime.time(18, 30)]

REGULAR_SHARE = 0.10  # children booked most of the year on fixed weekdays; the others book 10–16 days
MOVEMENTS_PER_FAMILY = 10
DRAFT_SIZE = 60

TARGETS = {
    # name: (limit, unit)
    "month_states_family_p50": (20, "ms"),
    "toggle_day_p50": (30, "ms"),
    "confirm_draft_60_p50": (100, "ms"),
    "processing_seconds": (60, "s"),
    "processing_peak_rss": (500, "MB"),
}


# ----------------------------------------------------------------- output


class Report:
    def __init__(self, prefix):
        self.prefix = prefix
        self.over = []

    def line(self, name, value, unit="", note=""):
        if isinstance(value, float):
            value = f"{value:.1f}" if value >= 10 else f"{value:.2f}"
        text = f"{self.prefix}.{name}: {value} {unit}".rstrip()
        target = TARGETS.get(name)
        if target is not None:
            limit, target_unit = target
            ok = float(value) <= limit
            if not ok:
                self.over.append(name)
            text += f"   [target ≤ {limit} {target_unit}: {'ok' if ok else 'OVER'}]"
        if note:
            text += f"   ({note})"
        print(text, flush=True)

    def info(self, text):
        print(f"# {text}", flush=True)


class Timer:
    """Wall-clock and CPU time (this process only: not the PostgreSQL server's) of each run."""

    def __init__(self):
        self.wall, self.cpu = [], []

    @contextlib.contextmanager
    def __call__(self, keep=True):
        w0, c0 = time.perf_counter(), time.process_time()
        yield
        if keep:
            self.wall.append(time.perf_counter() - w0)
            self.cpu.append(time.process_time() - c0)

    def __len__(self):
        return len(self.wall)


def timings(report, name, timer):
    ms = [v * 1000 for v in timer.wall]
    report.line(f"{name}_p50", statistics.median(ms), "ms")
    report.line(
        f"{name}_p95", percentile(ms, 0.95), "ms", note=f"{len(ms)} runs, min {min(ms):.1f} ms, max {max(ms):.1f} ms"
    )
    cpu = [v * 1000 for v in timer.cpu]
    report.line(f"{name}_cpu_p50", statistics.median(cpu), "ms", note="CPU time of this process")


def load_average():
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


# ----------------------------------------------------------------- database set-up


def configure_environment(db):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portail.settings")
    os.environ["DJANGO_DEBUG"] = "1"  # dev settings (no SECRET_KEY needed); DEBUG is switched off after setup
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ.get("DATABASE_URL", "")
    if db == "sqlite" and not url.startswith("sqlite"):
        handle, path = tempfile.mkstemp(prefix="portail-bench-", suffix=".sqlite3", dir="/tmp")
        os.close(handle)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        os.environ["BENCH_TMP_SQLITE"] = path
    elif db == "postgres":
        create_postgres_database(url)


def create_postgres_database(url):
    """Create the database of DATABASE_URL if its server does not have it yet."""
    import dj_database_url
    import psycopg

    conf = dj_database_url.parse(url)
    params = {
        "host": conf.get("HOST") or None,
        "port": conf.get("PORT") or None,
        "user": conf.get("USER") or None,
        "password": conf.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [conf["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{conf["NAME"]}"')


def setup_django():
    import django
    from django.conf import settings

    django.setup()
    # Measure as in production: no query logging.
    settings.DEBUG = False
    # The engine's e-mail hooks reverse URLs: fail now, not after the build, if they do not import.
    from django.urls import get_resolver

    assert get_resolver().url_patterns is not None


def remove_tmp_sqlite():
    path = os.environ.get("BENCH_TMP_SQLITE")
    if path:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.remove(path + suffix)
            except FileNotFoundError:
                pass


def insert_rows(table, columns, rows, chunk=50_000):
    """Insert many rows fast: COPY on PostgreSQL, executemany in one transaction on SQLite.

    Dates, times and datetimes come as strings (see `fmt_dt`)."""
    from django.db import connection, transaction

    count = 0
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= chunk:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def fmt_dt(value):
    """An aware datetime as the database stores it (SQLite: naive UTC text)."""
    from django.db import connection

    utc = value.astimezone(datetime.UTC).replace(tzinfo=None)
    text = utc.isoformat(" ")
    return text + "+00:00" if connection.vendor == "postgresql" else text


# ----------------------------------------------------------------- build


class World:
    """What the measures need to know of the built data."""


def build(report, families_count, seed):
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from portail.booking.models import Booking, BookingStatus, Movement, MovementKind, ProcessingRun
    from portail.structures.calendar import plan_openings
    from portail.structures.models import Activity, Child, ClosedPeriod, Enrolment, Family, Opening, Structure

    rnd = random.Random(seed)
    scale = families_count / 20_000
    world = World()
    world.now = timezone.make_aware(NOW_LOCAL)
    started = time.perf_counter()

    def step(label, t0, rows=None):
        took = time.perf_counter() - t0
        extra = f"{rows:,} rows in " if rows is not None else ""
        report.info(f"{report.prefix} build {label}: {extra}{took:.1f} s")

    # For the bulk load only (this connection, closed at the end of the build): the
    # rows are consistent by construction, so foreign keys are not checked row by row.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.execute("PRAGMA foreign_keys=OFF")
        else:
            try:
                cursor.execute("SET session_replication_role = replica")  # needs a superuser
            except Exception as error:
                report.info(f"foreign keys stay checked during the load ({error})")

    # Structure, activities, closed periods, openings.
    t0 = time.perf_counter()
    User = get_user_model()
    structure = Structure.objects.create(name="Ville de Bench-sur-Loire", email="enfance@bench.example")
    world.structure = structure
    ClosedPeriod.objects.bulk_create(
        ClosedPeriod(structure=structure, label=label, start_date=start, end_date=end)
        for label, start, end in CLOSED_PERIODS
    )
    closed = set()
    for _, start, end in CLOSED_PERIODS:
        day = start
        while day <= end:
            closed.add(day)
            day += datetime.timedelta(days=1)
    activities, open_days = [], {}
    for code, name, weekdays, limited, capacity, waiting, has_times in ACTIVITIES:
        activity = Activity.objects.create(
            structure=structure, name=name, code=code, is_limited=limited,
            capacity=max(1, round(capacity * scale)) if limited else 0,
            waiting_list_capacity=round(waiting * scale) if limited else 0,
            has_times=has_times,
            earliest_time=GARD_EARLIEST if has_times else None,
            latest_time=GARD_LATEST if has_times else None,
            time_step_minutes=GARD_STEP if has_times else None,
            booking_period_start=SCHOOL_START, booking_period_end=SCHOOL_END,
            # The mercredi counts its délai in working days (the slower path of the rules).
            booking_deadline_days=7 if code == "ALSH" else 2,
            booking_deadline_count="working" if code == "ALSH" else "calendar",
        )  # fmt: skip
        activities.append(activity)
        open_days[activity.pk] = plan_openings(SCHOOL_START, SCHOOL_END, set(weekdays), closed)
    Opening.objects.bulk_create(Opening(activity_id=pk, date=day) for pk, days in open_days.items() for day in days)
    world.activities = {a.code: a for a in activities}
    world.open_days = open_days
    openings = sum(len(d) for d in open_days.values())
    step("structure, 6 activities, openings", t0, openings)

    # Accounts, families, children, enrolments.
    t0 = time.perf_counter()
    users = User.objects.bulk_create(
        (User(username=f"parent{i:05d}", password="!", last_name=f"FAMILLE{i:05d}", first_name="Parent",
              email=f"parent{i:05d}@bench.example") for i in range(families_count)),
        batch_size=5000,
    )  # fmt: skip
    families = Family.objects.bulk_create(
        (Family(structure=structure, reference=f"F{i:05d}", civility="Mme" if i % 2 else "M.",
                last_name=f"FAMILLE{i:05d}", first_name="Parent") for i in range(families_count)),
        batch_size=5000,
    )  # fmt: skip
    through = Family.accounts.through
    insert_rows(
        through._meta.db_table, ["family_id", "user_id"], ((f.pk, u.pk) for f, u in zip(families, users, strict=True))
    )
    names = ["Paolo", "Amalia", "Léo", "Jade", "Louis", "Emma", "Gabriel", "Alice", "Raphaël", "Rose"]
    children = []
    for index, family in enumerate(families):
        size = 3 if index == 0 else rnd.choices((1, 2, 3), weights=(40, 40, 20))[0]
        for first_name in rnd.sample(names, size):
            children.append(
                Child(family=family, first_name=first_name, last_name=family.last_name,
                      birth_date=datetime.date(2014 + rnd.randrange(8), rnd.randrange(1, 13), rnd.randrange(1, 29)))
            )  # fmt: skip
    children = Child.objects.bulk_create(children, batch_size=5000)
    world.family_children = {}
    for child in children:
        world.family_children.setdefault(child.family_id, []).append(child.pk)
    world.families = families
    world.users = users
    enrolments = insert_rows(
        Enrolment._meta.db_table,
        ["child_id", "activity_id", "start_date", "end_date"],
        ((c.pk, a.pk, SCHOOL_START.isoformat(), SCHOOL_END.isoformat()) for c in children for a in activities),
    )
    step(f"{families_count:,} accounts and families, {len(children):,} children, enrolments", t0, enrolments)

    # A school year of bookings, in the order they were confirmed: each (activity,
    # day) gives places, then waiting-list places, then refusals.
    t0 = time.perf_counter()
    limited = {a.pk: (a.capacity, a.waiting_list_capacity) for a in activities if a.is_limited}
    counts = {}
    gard = world.activities["GARD"].pk
    all_openings = [(pk, day) for pk, days in open_days.items() for day in days]
    queued_base = timezone.make_aware(datetime.datetime(2026, 8, 20, 8, 0))
    special = families[0].pk
    world.special_family = families[0]
    order = list(children[3:])
    rnd.shuffle(order)
    order = children[:3] + order  # the family of 3 × 6 books first: it gets places
    status_counter = Counter()

    def child_slots(child):
        if child.family_id == special:
            return [(pk, day) for pk, days in open_days.items() for day in days if rnd.random() < 0.7]
        if rnd.random() < REGULAR_SHARE:
            slots = []
            codes = ["REST", "ALSH", rnd.choice(["APSM", "APSS", "ETUD", "GARD"])]
            for code in codes:
                activity = world.activities[code]
                weekdays = ACTIVITIES[[a[0] for a in ACTIVITIES].index(code)][2]
                p = {"REST": 0.7, "ALSH": 0.3}.get(code, 0.5)
                chosen = {wd for wd in weekdays if rnd.random() < p}
                slots.extend(
                    (activity.pk, day) for day in open_days[activity.pk]
                    if day.weekday() in chosen and rnd.random() < 0.95
                )  # fmt: skip
            return slots
        return rnd.sample(all_openings, rnd.randint(10, 16))

    iso = {day: day.isoformat() for days in open_days.values() for day in days}
    departures = [t.isoformat() for t in GARD_DEPARTURES]

    def rows():
        n = 0
        queued, queued_second = None, None
        for child in order:
            for activity_id, day in child_slots(child):
                n += 1
                if n // 4 != queued_second:  # four demandes a second, in confirmation order
                    queued_second = n // 4
                    queued = fmt_dt(queued_base + datetime.timedelta(seconds=queued_second))
                status, reason = BookingStatus.ACCEPTED, ""
                if rnd.random() < 0.03:
                    status = BookingStatus.CANCELLED
                elif activity_id in limited:
                    capacity, waiting = limited[activity_id]
                    count = counts.setdefault((activity_id, day), [0, 0])
                    if count[0] < capacity:
                        count[0] += 1
                    elif count[1] < waiting:
                        count[1] += 1
                        status = BookingStatus.WAITLISTED
                    else:
                        status, reason = BookingStatus.REFUSED, "Complet, liste d'attente comprise"
                arrival = departure = None
                if activity_id == gard and status != BookingStatus.REFUSED:
                    arrival, departure = "16:30:00", rnd.choice(departures)
                status_counter[status] += 1
                yield (child.pk, activity_id, iso[day], status.value, arrival, departure, queued, reason, queued)

    bookings = insert_rows(
        Booking._meta.db_table,
        ["child_id", "activity_id", "date", "status", "arrival", "departure", "queued_at", "reason", "updated_at"],
        rows(),
    )
    step(
        "bookings (" + ", ".join(f"{k} {v:,}" for k, v in sorted(status_counter.items())) + ")",
        t0,
        bookings,
    )
    world.bookings = bookings
    full_days = sum(1 for (c, w) in counts.values() if w)
    report.info(f"{report.prefix} build: {full_days} limited (activity, day) with a waiting list")

    # Every booking came with a movement that an earlier run already transmitted.
    t0 = time.perf_counter()
    old_run = ProcessingRun.objects.create(
        structure=structure, started_at=queued_base, finished_at=queued_base, movements_count=bookings
    )
    b, c, m = Booking._meta.db_table, Child._meta.db_table, Movement._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {m} (kind, booking_id, family_id, structure_id, outcome, waiting_position, reason,
                                 created_at, run_id)
                SELECT CASE WHEN b.status = %s THEN %s ELSE %s END, b.id, c.family_id, %s, b.status, NULL,
                       b.reason, b.queued_at, %s
                FROM {b} b JOIN {c} c ON c.id = b.child_id""",
            [BookingStatus.CANCELLED, MovementKind.CANCEL, MovementKind.BOOK, structure.pk, old_run.pk],
        )
        history = cursor.rowcount
    step("transmitted movements (history)", t0, history)

    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # What autovacuum does soon after a bulk load: statistics, and the
            # visibility map that index-only scans need.
            cursor.execute("VACUUM ANALYZE")
        step("VACUUM ANALYZE", t0)
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        step("WAL checkpoint", t0)
    # The rows were inserted behind the engine: the openings' place counters
    # (issue 15) are filled from them as `manage.py recount` does, and timed
    # (on the analyzed tables, as in production).
    from portail.booking.counters import recount

    t0 = time.perf_counter()
    repaired = recount()
    world.recount_seconds = time.perf_counter() - t0
    world.recount_openings = len(repaired)
    step(f"place counters filled (booking.counters.recount: {len(repaired)} openings set)", t0)
    connection.close()  # measures use a fresh connection with the settings' pragmas

    world.build_seconds = time.perf_counter() - started
    report.line("build_families", families_count, "families")
    report.line("build_children", len(children), "children")
    report.line("build_openings", openings, "openings")
    report.line("build_bookings", bookings, "rows")
    report.line("build_time", world.build_seconds, "s")
    report.line(
        "recount_seconds", world.recount_seconds, "s",
        note=f"{world.recount_openings} openings' counters set from {bookings:,} booking rows",
    )  # fmt: skip
    return world


# ----------------------------------------------------------------- measures


def count_queries(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def bench_month_states(report, world, runs):
    from portail.booking import drafts
    from portail.booking.models import DraftAction, DraftItem
    from portail.booking.states import children_month_states, month_states
    from portail.structures.models import Family

    family = Family.objects.get(pk=world.special_family.pk)
    account = world.users[0]
    children = list(family.children.select_related("family").order_by("pk"))
    assert len(children) == 3, "the 3 × 6 family must have 3 children"
    draft = drafts.get_draft(family, account)
    # A few marks in the draft, as a parent browsing mid-way would have.
    rest = world.activities["REST"].pk
    days = [d for d in world.open_days[rest] if datetime.date(2026, 12, 1) <= d <= datetime.date(2027, 3, 31)]
    DraftItem.objects.bulk_create(
        DraftItem(draft=draft, child_id=children[0].pk, activity_id=rest, date=d, action=DraftAction.BOOK)
        for d in days[::7]
    )
    months = [(2026, 11), (2026, 12), (2027, 1), (2027, 3)]

    def family_month(year, month):
        # The family's children together: one snapshot, the rules once per (activity, day).
        return children_month_states(children, year, month, now=world.now, draft=draft)

    def each_child(year, month):
        # One child at a time, as the Réserver calendar of one child reads it.
        return [month_states(child, year, month, now=world.now, draft=draft) for child in children]

    sample = family_month(2027, 3)
    assert sample == each_child(2027, 3), "the family's months are each child's"
    assert all(len(m.activities) == 6 for m in sample), "every child is enrolled in the 6 activities"
    states = Counter(ds.state.name for m in sample for a in m.activities for ds in a.days.values())
    report.info(f"{report.prefix} month_states March 2027 S-states: {dict(states)}")
    for year, month in months:  # warm-up
        family_month(year, month)
    timer = Timer()
    for i in range(runs):
        year, month = months[i % len(months)]
        with timer():
            family_month(year, month)
    timings(report, "month_states_family", timer)
    report.line("month_states_family_queries", count_queries(lambda: family_month(2027, 3)), "queries")
    timer = Timer()
    for i in range(runs):
        year, month = months[i % len(months)]
        with timer():
            each_child(year, month)
    timings(report, "month_states_3_children", timer)
    report.line("month_states_3_children_queries", count_queries(lambda: each_child(2027, 3)), "queries")
    report.info(
        f"{report.prefix} month_states: 3 children × 6 activities, months {months} in turn, "
        "children preloaded with their family, draft with a few marks; month_states_family: "
        "states.children_month_states (the 3 children from one snapshot); month_states_3_children: "
        "states.month_states once per child (the Réserver calendar's call; what month_states_family "
        "measured before issue 15)"
    )


def bench_toggle(report, world, runs):
    from portail.booking import drafts
    from portail.booking.errors import BookingError
    from portail.structures.models import Activity, Child, Family

    family = Family.objects.get(pk=world.families[1].pk)
    child = Child.objects.select_related("family").get(pk=world.family_children[family.pk][0])
    draft = drafts.get_draft(family, world.users[1])
    activities = [Activity.objects.get(pk=world.activities[code].pk) for code in ("REST", "APSM", "APSS")]
    candidates = [
        (activity, day)
        for activity in activities
        for day in world.open_days[activity.pk]
        if datetime.date(2027, 1, 4) <= day <= datetime.date(2027, 6, 30)
    ]
    random.Random(7).shuffle(candidates)
    timer, warm_up = Timer(), 4
    for activity, day in candidates:
        if len(timer) >= runs:
            break
        try:
            for _ in range(2):  # mark, then undo the mark
                with timer(keep=warm_up <= 0):
                    drafts.toggle_day(draft, child, activity, day, now=world.now)
                warm_up -= 1
        except BookingError:
            pass  # a full day: not actionable, not measured
    timings(report, "toggle_day", timer)
    activity, day = candidates[0]
    try:
        report.line(
            "toggle_day_queries",
            count_queries(lambda: drafts.toggle_day(draft, child, activity, day, now=world.now)),
            "queries",
        )
    except BookingError:
        pass


def pick_families(world, rnd, count, exclude):
    eligible = [f for f in world.families if f.pk not in exclude]
    rnd.shuffle(eligible)
    # Families of 2 or 3 children first: their drafts spread over children, as in life.
    eligible.sort(key=lambda f: -min(len(world.family_children[f.pk]), 2))
    return eligible[:count]


def make_draft(world, rnd, family, account, first, last):
    """A draft of DRAFT_SIZE demandes for this family between first and last:
    "à annuler" where the day is already booked, "à réserver" otherwise."""
    from portail.booking import drafts
    from portail.booking.models import ACTIVE_STATUSES, Booking, DraftAction, DraftItem

    draft = drafts.get_draft(family, account)
    child_ids = world.family_children[family.pk]
    codes = list(world.activities)
    keys = set()
    while len(keys) < DRAFT_SIZE:
        activity = world.activities[rnd.choice(codes)]
        days = [d for d in world.open_days[activity.pk] if first <= d <= last]
        keys.add((rnd.choice(child_ids), activity.pk, rnd.choice(days)))
    booked = set(
        Booking.objects.filter(child_id__in=child_ids, date__range=(first, last), status__in=ACTIVE_STATUSES)
        .values_list("child_id", "activity_id", "date")
    )  # fmt: skip
    gard = world.activities["GARD"].pk
    items = []
    for child_id, activity_id, day in keys:
        cancel = (child_id, activity_id, day) in booked
        times = (datetime.time(16, 30), datetime.time(18, 0)) if activity_id == gard and not cancel else (None, None)
        items.append(
            DraftItem(draft=draft, child_id=child_id, activity_id=activity_id, date=day,
                      action=DraftAction.CANCEL if cancel else DraftAction.BOOK, arrival=times[0], departure=times[1])
        )  # fmt: skip
    DraftItem.objects.bulk_create(items)
    return draft


def bench_confirm(report, world, runs, *, name, first, last, used):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portail.booking import drafts
    from portail.booking.confirm import confirm_draft

    rnd = random.Random(zlib.crc32(name.encode()))
    families = pick_families(world, rnd, runs + 3, used)  # 2 warm-up runs, `runs` measured, 1 counting queries
    used.update(f.pk for f in families)
    accounts = {f.pk: u for f, u in zip(world.families, world.users, strict=True)}
    outcomes, reasons = Counter(), Counter()
    timer = Timer()
    queries = None
    for i, family in enumerate(families):
        draft = make_draft(world, rnd, family, accounts[family.pk], first, last)
        draft = drafts.get_draft(family, accounts[family.pk])  # as the recap page's POST would
        counting = i == len(families) - 1
        with CaptureQueriesContext(connection) if counting else contextlib.nullcontext() as captured:
            with timer(keep=2 <= i < len(families) - 1):  # 2 warm-up runs; the last one counts queries
                result = confirm_draft(draft, draft.token, user=accounts[family.pk], now=world.now)
        if counting:
            queries = len(captured.captured_queries)
        assert result.error is None, result.error
        assert len(result.movements) == DRAFT_SIZE, len(result.movements)
        outcomes.update(f"{m.kind}:{m.outcome}" for m in result.movements)
        reasons.update(m.reason.split(" (")[0] for m in result.movements if m.reason)
    timings(report, name, timer)
    report.line(f"{name}_queries", queries, "queries")
    report.info(f"{report.prefix} {name} outcomes: {dict(sorted(outcomes.items()))}; refusals: {dict(reasons)}")


def create_pending_movements(report, world):
    """MOVEMENTS_PER_FAMILY "Non transmis" movements for every family, on its bookings."""
    from django.db import connection, transaction

    from portail.booking.models import Booking, BookingStatus, Movement, MovementKind
    from portail.structures.models import Child

    b, c, m = Booking._meta.db_table, Child._meta.db_table, Movement._meta.db_table
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {m} (kind, booking_id, family_id, structure_id, outcome, waiting_position, reason,
                                 created_at, run_id)
                SELECT CASE WHEN status = %s THEN %s ELSE %s END, id, family_id, %s, status, NULL, '', %s, NULL
                FROM (SELECT b.id, b.status, c.family_id,
                             ROW_NUMBER() OVER (PARTITION BY c.family_id ORDER BY b.id DESC) AS rank
                      FROM {b} b JOIN {c} c ON c.id = b.child_id) ranked
                WHERE rank <= %s
                ORDER BY id""",
            [BookingStatus.CANCELLED, MovementKind.CANCEL, MovementKind.BOOK, world.structure.pk,
             fmt_dt(world.now), MOVEMENTS_PER_FAMILY],
        )  # fmt: skip
        created = cursor.rowcount
    pending = Movement.objects.filter(structure=world.structure, run__isnull=True).count()
    report.info(f"{report.prefix} processing set-up: {created:,} movements created in {time.perf_counter() - t0:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {m}")
    connection.close()
    return pending


def bench_processing(report, world):
    pending = create_pending_movements(report, world)
    # A fresh process, as the nightly command runs: its peak RSS is the run's own.
    env = dict(os.environ, BENCH_STRUCTURE=str(world.structure.pk), BENCH_NOW=world.now.isoformat())
    env.pop("BENCH_TMP_SQLITE", None)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--_processing"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        sys.stderr.write(out.stdout + out.stderr)
        raise RuntimeError(f"the processing run failed (exit status {out.returncode})")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["movements"] == pending, (data, pending)
    report.line("processing_movements", data["movements"], "movements", note=f"{data['families']:,} families")
    report.line("processing_seconds", data["seconds"], "s")
    report.line(
        "processing_peak_rss", data["peak_rss_mb"], "MB",
        note=f"{data['source']} of a fresh process running it, Django baseline {data['baseline_rss_mb']:.0f} MB included; "
        f"growth during the run {data['peak_rss_mb'] - data['baseline_rss_mb']:.0f} MB",
    )  # fmt: skip
    report.info(
        f"{report.prefix} processing: its check of the place counters found {data['counter_drift']} opening(s) "
        f"off their rows; the check alone takes {data['drift_check_seconds']:.2f} s"
    )
    hooks = data["hooks"]
    if hooks["names"]:
        report.info(
            f"{report.prefix} processing: {hooks['seconds']:.1f} s of the run in its end-of-run hooks "
            f"({', '.join(hooks['names'])}); peak RSS before them {hooks['peak_before_mb']:.0f} MB"
        )


def peak_rss_mb():
    """This process's RSS high-water mark: VmHWM of /proc/self/status (reset by exec),
    else ru_maxrss (which, after fork+exec, may still hold the parent's peak)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024, "VmHWM"
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "ru_maxrss"


def processing_child():
    """Entry of the fresh process that times process_requests (prints JSON)."""
    configure_environment("none")
    setup_django()
    from portail.booking import processing, signals
    from portail.notifications import apps as notifications_apps
    from portail.notifications import receivers
    from portail.structures.models import Structure

    # Time the receivers of the end of the run (the notifications app queues
    # the comptes-rendus there) apart from the movements' stamping.
    hooks = {"seconds": 0.0, "names": [], "peak_before_mb": None}

    def timed(receiver):
        def wrapper(sender, **kwargs):
            hooks["peak_before_mb"] = peak_rss_mb()[0]
            t0 = time.perf_counter()
            try:
                return receiver(sender, **kwargs)
            finally:
                hooks["seconds"] += time.perf_counter() - t0

        hooks["names"].append(f"{receiver.__module__}.{receiver.__qualname__}")
        return wrapper

    uid = notifications_apps.RUN_FINISHED_UID
    signals.run_finished.disconnect(dispatch_uid=uid)
    signals.run_finished.connect(timed(receivers.queue_run_reports), weak=False, dispatch_uid=uid)

    structure = Structure.objects.get(pk=int(os.environ["BENCH_STRUCTURE"]))
    now = datetime.datetime.fromisoformat(os.environ["BENCH_NOW"])
    gc.collect()
    baseline, _ = peak_rss_mb()
    t0 = time.perf_counter()
    run = processing.process_requests(structure, now=now)
    seconds = time.perf_counter() - t0
    peak, source = peak_rss_mb()
    # The run's check of the place counters (issue 15), timed again on its own.
    from portail.booking.counters import find_drift

    t0 = time.perf_counter()
    find_drift(structure.pk)
    drift_check = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "seconds": seconds,
                "movements": run.movements_count,
                "families": run.families_count,
                "baseline_rss_mb": baseline,
                "peak_rss_mb": peak,
                "source": source,
                "hooks": hooks,
                "counter_drift": run.counter_drift_count,
                "drift_check_seconds": drift_check,
            }
        )
    )


# ----------------------------------------------------------------- driver


def run_one(db, args):
    configure_environment(db)
    report = Report(db)
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        from portail.booking.models import Booking

        vendor = connection.vendor
        real = {"sqlite": "sqlite", "postgresql": "postgres"}[vendor]
        if real != db:
            raise SystemExit(f"DATABASE_URL points to {vendor}, not {db}")
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        report.info(f"{db}: migrated in {time.perf_counter() - t0:.1f} s ({connection.settings_dict['NAME']})")
        if Booking.objects.exists():
            raise SystemExit("This database already holds bookings: give an empty one.")

        families = args.families if args.families is not None else (1000 if args.quick else 20_000)
        runs = 30 if args.quick else 40
        report.info(f"{db}: {load_average()} before the build")
        world = build(report, families, args.seed)
        report.info(f"{db}: {load_average()} before the measures (other processes slow the wall-clock figures)")
        used = {world.families[0].pk, world.families[1].pk}
        bench_month_states(report, world, runs)
        bench_toggle(report, world, runs)
        bench_processing(report, world)
        bench_confirm(
            report, world, 20 if args.quick else 30, name="confirm_draft_60",
            first=datetime.date(2027, 1, 4), last=datetime.date(2027, 2, 5), used=used,
        )  # fmt: skip
        # Same size, the 60 demandes spread from December to June (informative, no target).
        bench_confirm(
            report, world, 5, name="confirm_draft_60_spread",
            first=datetime.date(2026, 12, 1), last=datetime.date(2027, 6, 30), used=used,
        )  # fmt: skip
        report.info(f"{db}: {load_average()} after the measures")
    finally:
        remove_tmp_sqlite()
    status = "over-target" if report.over else "ok"
    print(f"{db}.status: {status}" + (f"   (over: {', '.join(report.over)})" if report.over else ""), flush=True)
    return status


def run_subprocess(cmd):
    """Run a child bench, pass its output through, return its per-DB status (None if it crashed)."""
    status = None
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
            name, _, value = line.partition(": ")
            if name.endswith(".status"):
                status = value.split()[0]
    return status if proc.returncode == 0 else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--families", type=int, default=None, help="families to build (default 20000, 1000 with --quick)"
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--_processing", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_sub", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._processing:
        processing_child()
        return 0

    passthrough = [a for a in sys.argv[1:] if a != "--_sub"]
    without_db = []
    skip = False
    for arg in passthrough:
        if skip:
            skip = False
            continue
        if arg == "--db":
            skip = True
            continue
        if not arg.startswith("--db="):
            without_db.append(arg)
    me = [sys.executable, str(Path(__file__).resolve())]
    has_pg_url = os.environ.get("DATABASE_URL", "").startswith("postgres")
    pg_cmd = [*me, "--db", "postgres", *without_db, "--_sub"]
    if not has_pg_url:
        pg_cmd = ["bash", str(ROOT / "scripts" / "with-postgres.sh"), *pg_cmd]

    started = time.perf_counter()
    if args.db == "both":
        statuses = [
            run_subprocess([*me, "--db", "sqlite", *without_db, "--_sub"]),
            run_subprocess(pg_cmd),
        ]
    elif args.db == "postgres" and not has_pg_url:
        statuses = [run_subprocess(pg_cmd)]
    elif args._sub:
        run_one(args.db, args)
        return 0
    else:
        statuses = [run_one(args.db, args)]
    print(f"# total {time.perf_counter() - started:.0f} s", flush=True)
    if None in statuses:
        print("status: crashed", flush=True)
        return 1
    print(f"status: {'ok' if all(s == 'ok' for s in statuses) else 'over-target'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
