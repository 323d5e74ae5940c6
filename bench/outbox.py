#!/usr/bin/env python
"""The night's comptes-rendus through the outbox (N4): 20,000 e-mails sent by
the real worker to a local SMTP server.

    python bench/outbox.py [--emails N] [--quick]

Builds a throwaway SQLite database under /tmp with one structure and N
outbox rows (default 20,000; --quick: 2,000): comptes-rendus built by the
processing run's own functions (notifications.reports.report_context over
about 10 movements of 1–3 children in 2–4 activities, rendered with the
report templates: text and HTML, about 1.5 + 2 KB). Then starts an SMTP server
on the loopback (aiosmtpd, in this process, storing nothing but counts) and
runs `manage.py worker --once` in its own process with production settings,
OUTBOX_MAX_PER_MINUTE=0 (no limit: this measures the code, not the pacing
asked of it), until the outbox is empty.

Prints `emails_per_s: N /s` (e-mails accepted by the server per second of
the worker's run), `total_<N>: X s` (the worker command's wall-clock time,
Python start-up included), for --quick the time extrapolated to 20,000, the
target (20,000 in ≤ 5 minutes) and `status: ok|over-target`. Checks that the
server got each e-mail exactly once, each with its row's Message-ID (exit 1
otherwise). The SMTP server shares the machine's CPUs with the worker; the
load average and the CPU time of each side are printed beside the figures (on
a busy machine the wall-clock time is mostly waiting for a CPU: each e-mail
is four round trips between the two processes). A DATABASE_URL in the
environment is ignored.

Measured on the 2-CPU development machine, load average 6–9 (other jobs):
20,000 in 265 s, 76 e-mails/s; CPU 3.2 ms per e-mail in the worker, 1.3 ms in
the SMTP server.
"""

import argparse
import datetime
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from types import SimpleNamespace

from _common import ROOT, load_average, use_project_venv  # bench/ is on sys.path: the script's folder

TARGET_SECONDS = 300  # 20,000 comptes-rendus in at most 5 minutes
FULL = 20_000
QUICK = 2_000
DEFAULT_RATE = 6000  # OUTBOX_MAX_PER_MINUTE's default in portail/settings.py

if __name__ == "__main__":
    use_project_venv(__file__)
sys.path.insert(0, str(ROOT))


def setup(db_path):
    os.environ["DJANGO_SETTINGS_MODULE"] = "portail.settings"
    os.environ["DJANGO_DEBUG"] = "1"  # dev settings for the build (no SECRET_KEY needed)
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# ----------------------------------------------------------------- the comptes-rendus

ACTIVITIES = ["APS MATIN", "RESTAURATION SCOLAIRE", "APS SOIR", "ÉTUDE SURVEILLÉE", "ALSH MERCREDI"]
FIRST_NAMES = ["Paolo", "Amalia", "Léo", "Inès", "Lucas", "Chloé", "Nathan", "Jade", "Hugo", "Lina", "Gabriel"]
DECEMBER = [datetime.date(2026, 12, d) for d in range(1, 19) if datetime.date(2026, 12, d).weekday() < 5]


def report_rows(structure, first, n, rng):
    """n OutboxEmail rows, each a family's compte-rendu as the processing run
    renders it (reports.report_context: the manual's three sections)."""
    from portail.booking.models import BookingStatus, MovementKind
    from portail.notifications.models import EmailKind, OutboxEmail
    from portail.notifications.outbox import render_email
    from portail.notifications.reports import report_context

    rows = []
    for i in range(first, first + n):
        last_name = f"FAMILLE{i:05d}"
        family = SimpleNamespace(civility=rng.choice(["M.", "Mme"]), last_name=last_name, first_name="Camille")
        children = [
            SimpleNamespace(first_name=name, last_name=last_name) for name in rng.sample(FIRST_NAMES, rng.randint(1, 3))
        ]
        activities = rng.sample(ACTIVITIES, rng.randint(2, 4))
        movements = []
        for _ in range(10):
            kind = MovementKind.CANCEL if rng.random() < 0.2 else MovementKind.BOOK
            status = rng.choice([BookingStatus.ACCEPTED] * 8 + [BookingStatus.WAITLISTED] * 2)
            if kind == MovementKind.CANCEL:
                status = BookingStatus.CANCELLED
            booking = SimpleNamespace(
                status=status, date=rng.choice(DECEMBER), child=rng.choice(children),
                activity=SimpleNamespace(name=rng.choice(activities)),
            )  # fmt: skip
            movements.append(SimpleNamespace(kind=kind, outcome=status, booking=booking))
        subject, text, html = render_email("notifications/email/report", report_context(family, structure, movements))
        rows.append(
            OutboxEmail(
                kind=EmailKind.REPORT, to=f"parent{i:05d}@example.org", subject=subject, body_text=text,
                body_html=html, structure=structure, dedupe_key=f"bench-report-{i}",
            )
        )  # fmt: skip
    return rows


def build(n):
    from django.core.management import call_command

    from portail.notifications.models import OutboxEmail
    from portail.structures.models import Structure

    call_command("migrate", verbosity=0, interactive=False)
    # Ran this night already: the worker's pass is the outbox only, as after the real run.
    structure = Structure.objects.create(name="Mairie de CarteVille")
    rng = random.Random(20261127)
    chunk = 1000
    for start in range(0, n, chunk):
        OutboxEmail.objects.bulk_create(report_rows(structure, start, min(chunk, n - start), rng), batch_size=500)
    return structure


# ----------------------------------------------------------------- the SMTP server


class Counter:
    """Accepts every message; keeps its Message-ID and size only."""

    def __init__(self):
        self.lock = threading.Lock()
        self.message_ids = []
        self.bytes = 0
        self.first = self.last = None

    async def handle_DATA(self, server, session, envelope):
        from email.parser import BytesHeaderParser

        message_id = BytesHeaderParser().parsebytes(envelope.content)["Message-ID"]
        now = time.perf_counter()
        with self.lock:
            self.message_ids.append(message_id)
            self.bytes += len(envelope.content)
            self.first = self.first or now
            self.last = now
        return "250 OK"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_worker(db_path, port):
    """`manage.py worker --once` in its own process: production settings, no rate limit."""
    import secrets

    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "OUTBOX_"))}
    environ.update(
        DJANGO_SETTINGS_MODULE="portail.settings", DJANGO_DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="localhost", DATABASE_URL=f"sqlite:///{db_path}", LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port),
        EMAIL_USE_TLS="0", DEFAULT_FROM_EMAIL="Mairie de CarteVille <portail@mairie-carteville.fr>",
        OUTBOX_MAX_PER_MINUTE="0",
    )  # fmt: skip
    start, cpu_before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "worker", "--once"],
        cwd=ROOT, env=environ, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"the worker failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return elapsed, cpu, result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=FULL, help=f"e-mails to send (default {FULL:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} e-mails")
    args = parser.parse_args()
    n = QUICK if args.quick else max(1, args.emails)

    folder = tempfile.mkdtemp(prefix="portail-bench-outbox-", dir="/tmp")
    try:
        db_path = os.path.join(folder, "outbox.sqlite3")
        setup(db_path)
        run(db_path, n)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(db_path, n):
    from aiosmtpd.controller import Controller
    from django.db import connection

    from portail.notifications.models import EmailStatus, OutboxEmail

    t0 = time.perf_counter()
    build(n)
    sample = OutboxEmail.objects.order_by("id").first()
    print(
        f"# {n:,} comptes-rendus queued in {time.perf_counter() - t0:.1f} s "
        f"(e.g. text {len(sample.body_text.encode())} B + HTML {len(sample.body_html.encode())} B); {load_average()}",
        flush=True,
    )
    connection.close()  # the worker's process has the database to itself

    handler = Counter()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)  # loopback only
    controller.start()
    server_cpu = time.process_time()  # this process does nothing else meanwhile: the SMTP server's CPU time
    try:
        elapsed, worker_cpu, output = run_worker(db_path, port)
    finally:
        server_cpu = time.process_time() - server_cpu
        controller.stop()

    for line in output.splitlines():
        print(f"# worker: {line}")
    sent = dict(OutboxEmail.objects.values_list("message_id", "status"))
    received = handler.message_ids
    problems = []
    if len(received) != n or len(set(received)) != n:
        problems.append(f"the server got {len(received)} messages, {len(set(received))} distinct, for {n} rows")
    if set(received) != set(sent) or set(sent.values()) != {EmailStatus.SENT}:
        problems.append("the Message-IDs received are not those of the rows, or some row is not sent")

    per_second = n / elapsed
    serving = (handler.last - handler.first) if n > 1 else elapsed
    print(
        f"# {handler.bytes / 1e6:.1f} MB accepted; first to last acceptance {serving:.1f} s; "
        f"worker start-up and end about {elapsed - serving:.1f} s; {load_average()}"
    )
    print(
        f"# CPU time: worker {worker_cpu:.1f} s ({worker_cpu * 1000 / n:.2f} ms per e-mail), "
        f"SMTP server {server_cpu:.1f} s ({server_cpu * 1000 / n:.2f} ms per e-mail)"
    )
    print(f"emails_per_s: {per_second:.0f} /s")
    print(f"total_{n}: {elapsed:.1f} s")
    # Start-up is paid once: the extrapolation adds the missing e-mails at the server's acceptance rate.
    projected = elapsed if n >= FULL else elapsed + (FULL - n) * serving / max(n - 1, 1)
    if n < FULL:
        print(f"# extrapolated to {FULL:,}: {projected:.0f} s")
    print(
        f"# paced by the default OUTBOX_MAX_PER_MINUTE={DEFAULT_RATE}, {FULL:,} e-mails take at least "
        f"{FULL / DEFAULT_RATE:.1f} min (one pass a minute)"
    )
    print(f"target: total_{FULL} ≤ {TARGET_SECONDS} s")
    if problems:
        for problem in problems:
            print(f"# ERROR: {problem}")
        print("status: crashed")
        raise SystemExit(1)
    print(f"status: {'ok' if projected <= TARGET_SECONDS else 'over-target'}")


if __name__ == "__main__":
    main()
