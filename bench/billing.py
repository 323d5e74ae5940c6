#!/usr/bin/env python
"""The monthly invoicing run on a city-sized structure (issue 16 acceptance).

    python bench/billing.py [--families N] [--db postgres|sqlite] [--quick] [--month 2026-11]

Builds the booking benchmark's world (bench/booking.py's `build`, reused:
one structure, 6 activities open every school day of 2026-2027, N families
— default 20,000 — of 1–3 children and about a million bookings), then adds
what billing reads: a tariff per activity (QF brackets; the garderie per
started quarter hour from its booked times; the mercredi billed on the roll
call with a walk-in surcharge; 2nd / 3rd child reductions), a QF for 70 % of
the families (some expired), a third of the cancellations made late, the
month's roll call of the mercredi, and payments left as credit for 5 % of
the families. Then, each in a fresh process so that its peak RSS is its own:

- invoicing.preview(structure, month): `billing_preview_s`;
- invoicing.issue(structure, month): `billing_issue_s`, `invoices_per_s`,
  `peak_rss_mb` (VmHWM of the process, Django's baseline included), with the
  receivers of billing.signals.invoices_issued connected as in production
  (their time is printed apart, on a `#` line);
- issue() again: `billing_reissue_s` (issuing twice issues once).

Targets (PostgreSQL, 20,000 families): issue ≤ 60 s and ≤ 500 MB. Lines are
`<db>.<name>: <value> <unit>`; the last is `status: ok|over-target`
(`crashed`, exit 1, when something failed). PostgreSQL by default, through a
throwaway cluster (scripts/with-postgres.sh) unless DATABASE_URL points to
one; the bench refuses a database that already holds bookings.
"""

import argparse
import datetime
import gc
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, use_project_venv  # bench/ is on sys.path: the script's folder

if __name__ == "__main__":
    use_project_venv(__file__)
sys.path.insert(0, str(ROOT))

import booking as booking_bench  # noqa: E402 - the booking bench's world and helpers, reused

TARGETS = {
    "billing_issue_s": (60, "s"),
    "peak_rss_mb": (500, "MB"),
}

QF_SHARE = 0.70
EXPIRED_QF_SHARE = 0.10  # of the families with a QF: expired before the month
LATE_CANCELLATION_SHARE = 0.33
PRESENT_SHARE = 0.92  # of the mercredi's accepted bookings, present at the roll call
WALK_IN_PER_DAY = 15  # mercredi children present without a booking, per day (20,000 families)
CREDIT_SHARE = 0.05


class Report(booking_bench.Report):
    def line(self, name, value, unit="", note=""):
        saved = booking_bench.TARGETS
        booking_bench.TARGETS = TARGETS
        try:
            super().line(name, value, unit, note)
        finally:
            booking_bench.TARGETS = saved


def add_billing_facts(report, world, month_start, month_end, seed):
    """Tariffs, QFs, late cancellations, the roll call and credits, in bulk."""
    from django.db import connection, transaction

    from portail.billing.models import BillingSettings, Payment, PriceBracket, PriceUnit, Tariff
    from portail.booking.models import Booking, BookingStatus, Consumption
    from portail.structures.models import Family

    rnd = random.Random(seed)
    t0 = time.perf_counter()
    structure = world.structure
    BillingSettings.objects.create(
        structure=structure, legal_name="Ville de Bench-sur-Loire", siret="21000000000017", payment_terms_days=30
    )
    prices = {  # code: (unit, basis, {qf_max: cents}, 2nd %, 3rd %, walk-in %)
        "APSM": (PriceUnit.DAY, "bookings", {400: 90, 800: 150, None: 220}, 10, 20, 0),
        "REST": (PriceUnit.DAY, "bookings", {400: 110, 700: 250, 1100: 380, None: 460}, 0, 0, 0),
        "APSS": (PriceUnit.DAY, "bookings", {400: 120, 800: 190, None: 270}, 10, 20, 0),
        "ETUD": (PriceUnit.DAY, "bookings", {None: 150}, 0, 0, 0),
        "GARD": (PriceUnit.QUARTER_HOUR, "bookings", {600: 40, None: 65}, 0, 0, 25),
        "ALSH": (PriceUnit.DAY, "consumptions", {400: 450, 800: 900, 1200: 1300, None: 1650}, 15, 30, 30),
    }
    for code, (unit, basis, brackets, second, third, walk_in) in prices.items():
        tariff = Tariff.objects.create(
            activity=world.activities[code], valid_from=datetime.date(2026, 9, 1), unit=unit, basis=basis,
            second_child_reduction_percent=second, third_child_reduction_percent=third,
            walk_in_surcharge_percent=walk_in,
        )  # fmt: skip
        PriceBracket.objects.bulk_create(
            PriceBracket(tariff=tariff, qf_max=qf_max, unit_price_cents=cents) for qf_max, cents in brackets.items()
        )

    # QFs: most families have one, valid all year; some expired before the month.
    # One UPDATE with a deterministic spread by id (bulk_update's CASE of
    # thousands of rows takes minutes on PostgreSQL).
    qf_percent, expired_percent = round(QF_SHARE * 100), round(EXPIRED_QF_SHARE * 100)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {Family._meta.db_table} SET
                  address = 'rue de la Loire\n45000 Bench-sur-Loire',
                  quotient_familial = CASE WHEN (id * 7919) %% 100 < %s THEN 150 + (id * 104729) %% 1850 END,
                  qf_valid_until = CASE WHEN (id * 7919) %% 100 >= %s THEN NULL
                                        WHEN (id * 31) %% 100 < %s THEN %s ELSE %s END
                WHERE structure_id = %s""",
            [qf_percent, qf_percent, expired_percent, month_start - datetime.timedelta(days=1),
             datetime.date(2027, 8, 31), structure.pk],
        )  # fmt: skip

    # A third of the month's cancellations were made after the délai: billed.
    cancelled = list(
        Booking.objects.filter(
            activity__structure=structure, status=BookingStatus.CANCELLED, date__gte=month_start, date__lte=month_end
        ).values_list("pk", flat=True)
    )
    late = [pk for pk in cancelled if rnd.random() < LATE_CANCELLATION_SHARE]
    with transaction.atomic():
        for start in range(0, len(late), 5000):
            Booking.objects.filter(pk__in=late[start : start + 5000]).update(cancelled_late=True)

    # The mercredi's roll call: most booked children present, some walk-ins.
    alsh = world.activities["ALSH"]
    booked = list(
        Booking.objects.filter(
            activity=alsh, status=BookingStatus.ACCEPTED, date__gte=month_start, date__lte=month_end
        ).values_list("child_id", "date")
    )
    rows = [(child_id, day) for child_id, day in booked if rnd.random() < PRESENT_SHARE]
    booked_set = set(booked)
    all_children = [pk for ids in world.family_children.values() for pk in ids]
    scale = len(world.families) / 20_000
    for day in {d for _, d in booked}:
        for child_id in rnd.sample(all_children, max(1, round(WALK_IN_PER_DAY * scale))):
            if (child_id, day) not in booked_set:
                rows.append((child_id, day))
    now = booking_bench.fmt_dt(world.now)
    consumptions = booking_bench.insert_rows(
        Consumption._meta.db_table,
        ["child_id", "activity_id", "date", "present", "recorded_at"],
        ((child_id, alsh.pk, day.isoformat(), True, now) for child_id, day in set(rows)),
    )

    # Payments left as credit (a family that paid ahead): issue() lets them pay the new invoice.
    payers = [f for f in world.families if rnd.random() < CREDIT_SHARE]
    Payment.objects.bulk_create(
        (Payment(structure=structure, family=f, amount_cents=rnd.randrange(500, 5000), method="cheque",
                 received_on=month_start) for f in payers),
        batch_size=5000,
    )  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    report.info(
        f"{report.prefix} build billing: 6 tariffs, QFs, {len(late):,} late cancellations, "
        f"{consumptions:,} roll-call presences, {len(payers):,} credits: {time.perf_counter() - t0:.1f} s"
    )
    connection.close()


def measure_child(what, month):
    """In a fresh process: time preview or issue, print JSON (seconds, counts, peak RSS)."""
    booking_bench.configure_environment("none")
    booking_bench.setup_django()
    from django.db import connection
    from django.db.models import Count, Max

    from portail.billing import invoicing, ledger, signals
    from portail.billing.models import Invoice, InvoiceLine
    from portail.structures.models import Structure

    structure = Structure.objects.get(pk=int(os.environ["BENCH_STRUCTURE"]))
    now = datetime.datetime.fromisoformat(os.environ["BENCH_NOW"])
    hooks = {"seconds": 0.0}
    send = signals.invoices_issued.send

    def timed_send(*args, **kwargs):  # the receivers' share of the run (the e-mails queued)
        t0 = time.perf_counter()
        try:
            return send(*args, **kwargs)
        finally:
            hooks["seconds"] += time.perf_counter() - t0

    signals.invoices_issued.send = timed_send
    allot = ledger.allot
    allotted = {"seconds": 0.0, "calls": 0}

    def timed_allot(family_id):  # the families' credit paying their new invoice (billing.ledger)
        t0 = time.perf_counter()
        try:
            return allot(family_id)
        finally:
            allotted["seconds"] += time.perf_counter() - t0
            allotted["calls"] += 1

    ledger.allot = timed_allot
    gc.collect()
    baseline, _ = booking_bench.peak_rss_mb()
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = {}
    profile = None
    if os.environ.get("BENCH_PROFILE"):  # --profile: where the run spends its time
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    if what == "preview":
        preview = invoicing.preview(structure, month)
        result["families"] = len(preview.families)
        result["lines"] = sum(len(fp.lines) for fp in preview.families)
        result["total_cents"] = preview.total_cents
        result["anomalies"] = preview.anomalies
    else:
        invoices = invoicing.issue(structure, month, actor=None, now=now)
        result["invoices"] = len(invoices)
    result["seconds"] = time.perf_counter() - t0
    result["cpu_seconds"] = time.process_time() - cpu0
    if profile is not None:
        import pstats

        profile.disable()
        path = f"{os.environ['BENCH_PROFILE']}-{what}.txt"
        with open(path, "a") as out:
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
    result["peak_rss_mb"], result["source"] = booking_bench.peak_rss_mb()
    result["baseline_rss_mb"] = baseline
    result["hooks_seconds"] = hooks["seconds"]
    result["allot_seconds"], result["allot_calls"] = allotted["seconds"], allotted["calls"]
    if what != "preview":
        result["lines"] = InvoiceLine.objects.filter(invoice__structure=structure).count()
        numbers = Invoice.objects.filter(structure=structure).aggregate(
            n=Count("pk"), highest=Max("number"), distinct=Count("number", distinct=True)
        )
        result["numbers"] = [numbers["n"], numbers["highest"] or 0, numbers["distinct"]]
        result["settled"] = Invoice.objects.filter(structure=structure, settled_cents__gt=0).count()
    connection.close()
    print(json.dumps(result))


def run_measure(what, world, month):
    env = dict(
        os.environ,
        BENCH_STRUCTURE=str(world.structure.pk),
        BENCH_NOW=(world.now + datetime.timedelta(days=6)).isoformat(),
    )
    env.pop("BENCH_TMP_SQLITE", None)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--_measure", what, "--month", month.strftime("%Y-%m")],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        sys.stderr.write(out.stdout + out.stderr)
        raise RuntimeError(f"the {what} run failed (exit status {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_one(db, args):
    booking_bench.configure_environment(db)
    report = Report(db)
    try:
        booking_bench.setup_django()
        from django.core.management import call_command
        from django.db import connection

        from portail.booking.models import Booking

        real = {"sqlite": "sqlite", "postgresql": "postgres"}[connection.vendor]
        if real != db:
            raise SystemExit(f"DATABASE_URL points to {connection.vendor}, not {db}")
        call_command("migrate", verbosity=0, interactive=False)
        if Booking.objects.exists():
            raise SystemExit("This database already holds bookings: give an empty one.")
        families = args.families if args.families is not None else (1000 if args.quick else 20_000)
        month = datetime.date.fromisoformat(args.month + "-01")
        month_end = (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        report.info(f"{db}: {booking_bench.load_average()} before the build")
        world = booking_bench.build(report, families, args.seed)
        add_billing_facts(report, world, month, month_end, args.seed)
        report.info(f"{db}: {booking_bench.load_average()} before the measures")

        preview = run_measure("preview", world, month)
        report.line("billing_preview_s", preview["seconds"], "s",
                    note=f"{preview['families']:,} families, {preview['lines']:,} lines; "
                         f"CPU of this process {preview['cpu_seconds']:.1f} s")  # fmt: skip
        report.info(f"{db} preview anomalies: {preview['anomalies']}")
        report.line("preview_peak_rss_mb", preview["peak_rss_mb"], "MB")

        issued = run_measure("issue", world, month)
        report.line("billing_issue_s", issued["seconds"], "s",
                    note=f"{issued['invoices']:,} invoices, {issued['lines']:,} lines; "
                         f"CPU of this process {issued['cpu_seconds']:.1f} s")  # fmt: skip
        report.line("invoices_per_s", issued["invoices"] / issued["seconds"], "invoices/s")
        report.line(
            "billing_issue_without_receivers_s", issued["seconds"] - issued["hooks_seconds"], "s",
            note="the run less the receivers of invoices_issued (the e-mails queued)",
        )  # fmt: skip
        report.line(
            "peak_rss_mb", issued["peak_rss_mb"], "MB",
            note=f"{issued['source']} of a fresh process, Django baseline {issued['baseline_rss_mb']:.0f} MB included",
        )  # fmt: skip
        report.info(
            f"{db} issue: {issued['hooks_seconds']:.1f} s of it in the receivers of invoices_issued; "
            f"{issued['allot_seconds']:.1f} s in ledger.allot for the {issued['allot_calls']:,} families with credit; "
            f"{issued['settled']:,} invoices paid at once by a family's credit"
        )
        count, highest, distinct = issued["numbers"]
        assert count == highest == distinct == issued["invoices"], issued["numbers"]  # 1..n, no gap, no duplicate
        assert 0 < issued["invoices"] <= preview["families"]

        again = run_measure("issue", world, month)
        assert again["invoices"] == 0, again
        report.line("billing_reissue_s", again["seconds"], "s", note="issuing twice issues once: 0 invoices")
        report.info(f"{db}: {booking_bench.load_average()} after the measures")
    finally:
        booking_bench.remove_tmp_sqlite()
    status = "over-target" if report.over else "ok"
    print(f"{db}.status: {status}" + (f"   (over: {', '.join(report.over)})" if report.over else ""), flush=True)
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=None, help="families (default 20000, 1000 with --quick)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--quick", action="store_true", help="1,000 families, for a smoke run")
    parser.add_argument("--month", default="2026-11", help="the month invoiced (YYYY-MM), in the school year")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", metavar="PREFIX", help="write the runs' profiles to PREFIX-preview.txt, …")
    parser.add_argument("--_measure", choices=["preview", "issue"], help=argparse.SUPPRESS)
    parser.add_argument("--_sub", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        os.environ["BENCH_PROFILE"] = args.profile
    if args._measure:
        measure_child(args._measure, datetime.date.fromisoformat(args.month + "-01"))
        return 0
    started = time.perf_counter()
    if args.db == "postgres" and not os.environ.get("DATABASE_URL", "").startswith("postgres") and not args._sub:
        cmd = ["bash", str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, str(Path(__file__).resolve()),
               *sys.argv[1:], "--_sub"]  # fmt: skip
        status = booking_bench.run_subprocess(cmd)
    else:
        status = run_one(args.db, args)
    print(f"# total {time.perf_counter() - started:.0f} s", flush=True)
    if status is None:
        print("status: crashed", flush=True)
        return 1
    if not args._sub:
        print(f"status: {status}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
