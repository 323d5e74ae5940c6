"""Confirmations racing for the last places, with real threads and one
database connection per thread (R10, D5, portail/booking/locks.py).

PostgreSQL: the race exists without the opening lock (A), the lock removes it
(B, C) and the draft's row lock makes a double click record nothing twice,
the second click getting the first one's result (D).
SQLite: transactions begin IMMEDIATE, which serializes confirmations even
without any row lock (last test).

A confirmation is held between its reads and its writes by wrapping
`confirm.load_snapshot` (the counts are read there, after the locks): no
test-only code in the engine.
"""

import datetime
import sqlite3
import threading
import time

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from portail.booking import confirm, drafts, locks, rules
from portail.booking.confirm import confirm_draft
from portail.booking.models import Booking, BookingAudit, BookingStatus, Confirmation, Movement
from portail.structures.models import Opening
from tests import factories as f

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
DAY = datetime.date(2026, 12, 7)  # world.opening_a: a Monday, well before its délai
WAIT = 15  # seconds: any wait longer than this is a failure, never a hang

postgres_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent connections (run by .ci/run via scripts/with-postgres.sh)",
    ),
    pytest.mark.django_db(transaction=True),
]


def postgres(test):
    for mark in reversed(postgres_only):
        test = mark(test)
    return test


# ------------------------------------------------------------------ helpers


def families(world, activity, n):
    """n (account, draft, child) of n different families of structure A, each
    child enrolled in `activity` and its draft marking DAY "à réserver"."""
    out = []
    for i in range(n):
        account = f.UserFactory(username=f"parent{i}")
        family = f.FamilyFactory(structure=world.a, accounts=[account])
        child = f.ChildFactory(family=family)
        f.EnrolmentFactory(child=child, activity=activity)
        draft = drafts.get_draft(family, account)
        drafts.toggle_day(draft, child, activity, DAY, now=NOW)
        out.append((account, draft, child))
    return out


def limited_to(world, capacity, waiting_list_capacity):
    activity = world.aps_a
    activity.capacity, activity.waiting_list_capacity = capacity, waiting_list_capacity
    activity.save()
    return activity


class Threads:
    """Run callables in threads that start together; each closes its own
    connection; every exception is collected, none is lost."""

    def __init__(self, *calls):
        self.results = [None] * len(calls)
        self.errors = []
        self._start = threading.Barrier(len(calls))
        self._threads = [threading.Thread(target=self._run, args=(i, call)) for i, call in enumerate(calls)]
        for thread in self._threads:
            thread.start()

    def _run(self, index, call):
        try:
            self._start.wait(timeout=WAIT)
            self.results[index] = call()
        except BaseException as exc:  # reported by join()
            self.errors.append(exc)
        finally:
            connection.close()

    @property
    def alive(self):
        return any(thread.is_alive() for thread in self._threads)

    def join(self):
        for thread in self._threads:
            thread.join(WAIT * 2)
        assert not self.alive, "a confirmation thread hung"
        assert self.errors == []
        return self.results


def confirming(account, draft, token=None):
    return lambda: confirm_draft(draft, token or draft.token, user=account, now=NOW)


def hold_after_snapshot(monkeypatch, hook):
    """Call hook(snapshot) inside each confirmation, right after it read the counts."""
    real = confirm.load_snapshot

    def load_snapshot(*args, **kwargs):
        snap = real(*args, **kwargs)
        hook(snap)
        return snap

    monkeypatch.setattr(confirm, "load_snapshot", load_snapshot)


def accepted_seen(snap):
    (opening,) = snap.openings.values()
    return snap.occupancy(opening).accepted


def wait_for_lock_waiter(threads, table, statement="%FOR UPDATE%"):
    """Block until another connection waits on a row lock of `table` (PostgreSQL)
    in a statement LIKE `statement` (the openings are locked by SELECT … FOR
    UPDATE, a draft by the UPDATE that takes its token)."""
    deadline = time.monotonic() + WAIT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline and threads.alive:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE %s AND query LIKE %s",
                [f'%"{table}"%', statement],
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


def assert_consistent(activity, day, *, capacity=None, waiting_list_capacity=None):
    """The partial unique index holds (one active booking per child, activity,
    day) and, when given, the places and waiting-list places are not exceeded."""
    active = Booking.objects.filter(
        activity=activity, date=day, status__in=[BookingStatus.ACCEPTED, BookingStatus.WAITLISTED]
    )
    duplicates = active.values("child").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    counts = active.aggregate(
        accepted=Count("id", filter=Q(status=BookingStatus.ACCEPTED)),
        waitlisted=Count("id", filter=Q(status=BookingStatus.WAITLISTED)),
    )
    if capacity is not None:
        assert counts["accepted"] <= capacity
    if waiting_list_capacity is not None:
        assert counts["waitlisted"] <= waiting_list_capacity
    return counts


# ------------------------------------------------------------------ PostgreSQL


@postgres
def test_without_the_lock_two_families_both_get_the_last_place(world, monkeypatch):
    """A: the race exists. Both transactions read "0 accepted" before either
    writes (they meet at a barrier after their reads): the day is oversold."""
    activity = limited_to(world, capacity=1, waiting_list_capacity=1)
    monkeypatch.setattr(locks, "LOCKS_ENABLED", False)
    both_read = threading.Barrier(2)
    seen = []

    def meet(snap):
        seen.append(accepted_seen(snap))
        both_read.wait(timeout=WAIT)

    hold_after_snapshot(monkeypatch, meet)
    (a1, d1, _), (a2, d2, _) = families(world, activity, 2)

    results = Threads(confirming(a1, d1), confirming(a2, d2)).join()

    assert seen == [0, 0]
    assert [r.movements[0].outcome for r in results] == [BookingStatus.ACCEPTED] * 2
    counts = assert_consistent(activity, DAY)
    assert counts == {"accepted": 2, "waitlisted": 0}  # 2 > capacity 1: oversold


@postgres
def test_with_the_lock_the_second_family_waits_then_goes_to_the_waiting_list(world, monkeypatch):
    """B: the same two confirmations with the lock on. The first holds the
    opening's row lock between its reads and its writes until the second is
    seen blocked on SELECT … FOR UPDATE of that opening; the second then
    counts the first's place: one place, one waiting-list place (position 1)."""
    activity = limited_to(world, capacity=1, waiting_list_capacity=1)
    first_read, release = threading.Event(), threading.Event()
    seen, guard = [], threading.Lock()

    def hold_first(snap):
        with guard:
            seen.append(accepted_seen(snap))
            first = len(seen) == 1
        if first:
            first_read.set()
            assert release.wait(WAIT), "never released"

    hold_after_snapshot(monkeypatch, hold_first)
    (a1, d1, _), (a2, d2, _) = families(world, activity, 2)

    threads = Threads(confirming(a1, d1), confirming(a2, d2))
    try:
        assert first_read.wait(WAIT)
        blocked = wait_for_lock_waiter(threads, Opening._meta.db_table)
    finally:
        release.set()
    results = threads.join()

    assert blocked, "the second confirmation did not wait on the opening's row lock"
    assert seen == [0, 1]
    outcomes = sorted((r.movements[0].outcome, r.movements[0].waiting_position) for r in results)
    assert outcomes == [(BookingStatus.ACCEPTED, None), (BookingStatus.WAITLISTED, 1)]
    assert assert_consistent(activity, DAY, capacity=1, waiting_list_capacity=1) == {"accepted": 1, "waitlisted": 1}


@postgres
def test_twenty_families_one_place_no_waiting_list(world, monkeypatch):
    """C: 20 confirmations at once for 1 place and no waiting list: exactly
    one place, 19 refusals "Complet, liste d'attente comprise", no error."""
    activity = limited_to(world, capacity=1, waiting_list_capacity=0)
    # Widen the window between read and write: without the lock this oversells.
    hold_after_snapshot(monkeypatch, lambda snap: time.sleep(0.02))
    parents = families(world, activity, 20)

    results = Threads(*(confirming(account, draft) for account, draft, _ in parents)).join()

    outcomes = [(r.error, [(m.outcome, m.reason) for m in r.movements]) for r in results]
    assert outcomes.count((None, [(BookingStatus.ACCEPTED, "")])) == 1
    assert outcomes.count((None, [(BookingStatus.REFUSED, rules.FULL)])) == 19
    assert assert_consistent(activity, DAY, capacity=1, waiting_list_capacity=0) == {"accepted": 1, "waitlisted": 0}
    assert Booking.objects.filter(status=BookingStatus.REFUSED, reason=rules.FULL).count() == 19
    assert Confirmation.objects.count() == Movement.objects.count() == 20


@postgres
def test_double_click_from_two_threads_records_once(world, monkeypatch):
    """D: the same draft and token confirmed twice at once. The first holds the
    draft's row lock until the second waits on it; the second then returns the
    first's confirmation (a replay) and records nothing."""
    activity = limited_to(world, capacity=1, waiting_list_capacity=1)
    first_read, release = threading.Event(), threading.Event()

    def hold(snap):
        first_read.set()
        assert release.wait(WAIT), "never released"

    hold_after_snapshot(monkeypatch, hold)
    ((account, draft, child),) = families(world, activity, 1)
    token = draft.token

    threads = Threads(confirming(account, draft, token), confirming(account, draft, token))
    try:
        assert first_read.wait(WAIT)
        blocked = wait_for_lock_waiter(threads, draft._meta.db_table, statement="UPDATE %")
    finally:
        release.set()
    results = threads.join()

    assert blocked, "the second click did not wait on the draft's row lock"
    confirmation = Confirmation.objects.get()
    assert [r.error for r in results] == [None, None]
    assert sorted(r.replayed for r in results) == [False, True]
    assert {r.confirmation.pk for r in results} == {confirmation.pk}
    first, second = ([m.pk for m in r.movements] for r in results)
    assert first == second and len(first) == 1
    assert Booking.objects.get().child == child
    assert Movement.objects.count() == 1 and not BookingAudit.objects.exists()  # the movement records the birth
    assert assert_consistent(activity, DAY, capacity=1, waiting_list_capacity=1) == {"accepted": 1, "waitlisted": 0}


# ------------------------------------------------------------------ SQLite


@pytest.fixture
def sqlite_file_db(db, tmp_path):
    """Point the default connection (and so every thread's) at a file copy of
    the in-memory test database for this test. In-memory SQLite is shared
    between connections through its shared cache, whose table locks fail at
    once ("database table is locked") instead of waiting like a file's."""
    settings_dict = connection.settings_dict
    in_memory_name = settings_dict["NAME"]
    connection.ensure_connection()
    in_memory = connection.connection  # kept open: closing it would drop the in-memory database
    copy = sqlite3.connect(tmp_path / "concurrency.sqlite3")
    in_memory.backup(copy)
    copy.close()
    connection.connection = None
    settings_dict["NAME"] = str(tmp_path / "concurrency.sqlite3")
    yield
    connection.close()
    settings_dict["NAME"] = in_memory_name
    connection.connection = in_memory


@pytest.mark.skipif(connection.vendor != "sqlite", reason="shows SQLite's BEGIN IMMEDIATE (PostgreSQL: tests above)")
@pytest.mark.django_db(transaction=True)
def test_sqlite_immediate_transactions_serialize_confirmations(sqlite_file_db, world, monkeypatch):
    """SQLite, opening lock off (FOR UPDATE does not exist there): the first
    confirmation waits up to 1 s after its reads for the second to read too;
    the second cannot even BEGIN until the first commits, so the rendezvous
    never happens and the second sees the first's place."""
    activity = limited_to(world, capacity=1, waiting_list_capacity=0)
    monkeypatch.setattr(locks, "LOCKS_ENABLED", False)
    both_read = threading.Barrier(2)
    seen, met = [], []

    def meet(snap):
        seen.append(accepted_seen(snap))
        try:
            both_read.wait(timeout=1)
            met.append(True)
        except threading.BrokenBarrierError:
            met.append(False)

    hold_after_snapshot(monkeypatch, meet)
    (a1, d1, _), (a2, d2, _) = families(world, activity, 2)

    results = Threads(confirming(a1, d1), confirming(a2, d2)).join()

    assert seen == [0, 1] and met == [False, False]
    outcomes = sorted((r.movements[0].outcome, r.movements[0].reason) for r in results)
    assert outcomes == [(BookingStatus.ACCEPTED, ""), (BookingStatus.REFUSED, rules.FULL)]
    assert assert_consistent(activity, DAY, capacity=1, waiting_list_capacity=0) == {"accepted": 1, "waitlisted": 0}
