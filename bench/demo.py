#!/usr/bin/env python
"""How long `manage.py load_demo` takes on a fresh database (issue 14 point 5: under 15 s).

    .venv/bin/python bench/demo.py [--profile]

Migrates a throwaway SQLite database in a temporary directory (the file
database `make demo` uses, with the demo's settings: DJANGO_DEBUG=1, Argon2),
then times the first load (everything: ~40 families, three months of bookings
through the engine, runs, roll call) and the second one (idempotent: nothing
new). Prints `name: value unit` lines; `--profile` also prints the 25 most
expensive functions of the first load.
"""

import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time

from _common import ROOT, load_average, use_project_venv  # bench/ is on sys.path: the script's folder

TARGET_SECONDS = 15

if __name__ == "__main__":
    use_project_venv(__file__)
sys.path.insert(0, str(ROOT))


def main():
    tmp = tempfile.mkdtemp(prefix="portail-bench-demo-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "portail.settings"
    os.environ["DJANGO_DEBUG"] = "1"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/db.sqlite3"
    os.environ["LOG_LEVEL"] = "WARNING"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from portail.booking.models import Booking
        from portail.demo.data import load_demo
        from portail.structures.models import Family

        call_command("migrate", verbosity=0)
        profiler = cProfile.Profile() if "--profile" in sys.argv else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        load_demo()
        if profiler:
            profiler.disable()
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        bookings = Booking.objects.count()
        started = time.perf_counter()
        load_demo()
        second = time.perf_counter() - started
        print(f"demo_families: {Family.objects.count()} families")
        print(f"demo_bookings: {bookings} bookings")
        print(f"demo_load_s: {first:.2f} s")
        print(f"demo_load_cpu_s: {first_cpu:.2f} s")  # this process's CPU: what the load costs on a busy machine
        print(f"demo_reload_s: {second:.2f} s")
        print(f"demo_reload_new_bookings: {Booking.objects.count() - bookings} bookings")
        print(
            f"status: {'OK' if first < TARGET_SECONDS else 'TOO SLOW'} (target < {TARGET_SECONDS} s; {load_average()})"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
