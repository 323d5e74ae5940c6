"""Issue 16 acceptance on PostgreSQL: two runs (or two staff members) issuing
at once never leave a gap or a duplicate number, and each family is invoiced
once for its month.

Real threads, one database connection each. The first issuer is held inside
its transaction, after it wrote its invoices (in a receiver of
billing.signals.invoices_issued: no test-only code in billing); the second
starts meanwhile. The race exists: without the sequence row's lock
(numbering.lock_sequence made a plain read) the second issuer computes the
same families and numbers and only the database's constraints stop it. With
the lock it waits, then finds the month invoiced and issues nothing. Two
structures never wait on each other; two months of one structure follow each
other's numbers; two credit notes on one invoice never exceed it. Skipped on
SQLite, whose transactions begin IMMEDIATE (one writer at a time).
"""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, connections
from django.utils import timezone

from portail.billing import invoicing, numbering, signals
from portail.billing.errors import BillingError
from portail.billing.models import Invoice, InvoiceKind, InvoiceSequence
from tests import factories as f
from tests.billing.tariffs import NOVEMBER, make_tariff
from tests.helpers import make_booking

WAIT = 15  # seconds: any wait longer than this is a failure, never a hang
NOW = timezone.make_aware(datetime.datetime(2026, 12, 2, 9, 0))
DECEMBER = datetime.date(2026, 12, 1)
# December is invoiced once it is over (invoicing.month_not_over): both months then.
AFTER_DECEMBER = timezone.make_aware(datetime.datetime(2027, 1, 4, 9, 0))

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent connections (run by .ci/run via scripts/with-postgres.sh)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def months(world):
    """Both structures priced; 6 families of A and 3 of B booked in November,
    A's families in December too."""
    make_tariff(world.aps_a, {None: 300})
    make_tariff(world.alsh_b, {None: 900})
    for structure, activity, count in ((world.a, world.aps_a, 6), (world.b, world.alsh_b, 3)):
        for n in range(count):
            child = f.ChildFactory(family=f.FamilyFactory(structure=structure))
            make_booking(child=child, activity=activity, date=datetime.date(2026, 11, 2 + n), status="accepted")
            if structure == world.a:
                make_booking(child=child, activity=activity, date=datetime.date(2026, 12, 1 + n), status="accepted")
    return world


class Held:
    """Hold the named threads inside issue()'s transaction, after their invoices are written."""

    def __init__(self, *names, barrier=False):
        self.names = names
        self.inside = {name: threading.Event() for name in names}
        self.release = threading.Event()
        self.barrier = threading.Barrier(len(names)) if barrier else None

    def __call__(self, sender, **kwargs):
        name = threading.current_thread().name
        if name in self.inside:
            self.inside[name].set()
            if self.barrier is not None:
                self.barrier.wait(WAIT)  # both inside their transactions at once
            assert self.release.wait(WAIT), "never released"

    def __enter__(self):
        signals.invoices_issued.connect(self, dispatch_uid="test-held")
        return self

    def __exit__(self, *exc):
        self.release.set()
        signals.invoices_issued.disconnect(dispatch_uid="test-held")


def start(name, target, results, errors):
    def run():
        try:
            results[name] = target()
        except Exception as error:  # reported by the test
            errors[name] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def issuing(structure, month, actor, now=NOW):
    return lambda: invoicing.issue(structure, month, actor=actor, now=now)


def numbers(structure, kind=InvoiceKind.INVOICE):
    return sorted(Invoice.objects.filter(structure=structure, kind=kind).values_list("number", flat=True))


def test_two_issuers_of_one_month_invoice_each_family_once(months):
    world = months
    results, errors = {}, {}
    with Held("first") as held:
        first = start("first", issuing(world.a, NOVEMBER, world.staff_a), results, errors)
        assert held.inside["first"].wait(WAIT)
        second = start("second", issuing(world.a, NOVEMBER, world.staff_a), results, errors)
        second.join(1)
        assert second.is_alive(), "the second issuer must wait for the first one's transaction"
        held.release.set()
        first.join(WAIT)
        second.join(WAIT)
    assert not errors, errors
    assert len(results["first"]) == 6 and results["second"] == []
    assert numbers(world.a) == [1, 2, 3, 4, 5, 6]
    assert Invoice.objects.filter(structure=world.a).values("family").distinct().count() == 6


def test_without_the_sequence_lock_the_race_exists(months, monkeypatch):
    """The lock is what serializes: read the sequence without it, hold the
    first issuer after its reads, and the second issuer works from the same
    state — only the database's last guards (one invoice per family and
    month, unique numbers) stop the first one when it writes."""
    world = months
    real_take = numbering.take
    inside, release = threading.Event(), threading.Event()

    def unlocked(structure_id, kind, year):
        InvoiceSequence.objects.get_or_create(structure_id=structure_id, kind=kind, year=year)
        return InvoiceSequence.objects.get(structure_id=structure_id, kind=kind, year=year)

    def held_take(sequence, count):
        if threading.current_thread().name == "first":
            inside.set()
            assert release.wait(WAIT), "never released"
        return real_take(sequence, count)

    monkeypatch.setattr(numbering, "lock_sequence", unlocked)
    monkeypatch.setattr(numbering, "take", held_take)
    # The year's sequence exists already (committed): neither issuer inserts it,
    # which would make the second wait on the first one's uncommitted row.
    InvoiceSequence.objects.create(structure=world.a, kind=InvoiceKind.INVOICE, year=2026)
    results, errors = {}, {}
    first = start("first", issuing(world.a, NOVEMBER, world.staff_a), results, errors)
    assert inside.wait(WAIT)
    second = start("second", issuing(world.a, NOVEMBER, world.staff_a), results, errors)
    second.join(WAIT)
    assert not second.is_alive(), "without the lock nothing makes the second issuer wait"
    release.set()
    first.join(WAIT)
    # Both computed the same six invoices from the same state; the first one's were refused.
    assert len(results["second"]) == 6
    assert isinstance(errors.get("first"), IntegrityError), errors
    assert numbers(world.a) == [1, 2, 3, 4, 5, 6]


def test_two_structures_issue_at_once_without_waiting(months):
    world = months
    results, errors = {}, {}
    # Both are held inside their transactions at the same time: neither waits for the other.
    with Held("a", "b", barrier=True) as held:
        threads = [
            start("a", issuing(world.a, NOVEMBER, world.staff_a), results, errors),
            start("b", issuing(world.b, NOVEMBER, world.staff_b), results, errors),
        ]
        assert held.inside["a"].wait(WAIT) and held.inside["b"].wait(WAIT)
        held.release.set()
        for thread in threads:
            thread.join(WAIT * 2)
    assert not errors, errors
    assert (len(results["a"]), len(results["b"])) == (6, 3)
    assert numbers(world.a) == [1, 2, 3, 4, 5, 6] and numbers(world.b) == [1, 2, 3]


def test_two_months_of_one_structure_follow_each_others_numbers(months):
    world = months
    results, errors = {}, {}
    with Held("november") as held:
        first = start("november", issuing(world.a, NOVEMBER, world.staff_a, AFTER_DECEMBER), results, errors)
        assert held.inside["november"].wait(WAIT)
        second = start("december", issuing(world.a, DECEMBER, world.staff_a, AFTER_DECEMBER), results, errors)
        second.join(1)
        assert second.is_alive()
        held.release.set()
        first.join(WAIT)
        second.join(WAIT)
    assert not errors, errors
    assert [i.number for i in results["november"]] == [1, 2, 3, 4, 5, 6]
    assert [i.number for i in results["december"]] == [7, 8, 9, 10, 11, 12]
    assert numbers(world.a) == list(range(1, 13))


def test_two_credit_notes_at_once_never_exceed_the_invoice(months):
    world = months
    invoice = invoicing.issue(world.a, NOVEMBER, actor=world.staff_a, now=NOW)[0]  # 3,00 €
    barrier = threading.Barrier(2)

    def crediting(amount):
        def run():
            barrier.wait(WAIT)
            return invoicing.credit_note(invoice, amount_cents=amount, reason="Erreur", actor=world.staff_a)

        return run

    results, errors = {}, {}
    threads = [start(name, crediting(200), results, errors) for name in ("one", "two")]
    for thread in threads:
        thread.join(WAIT * 2)
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(next(iter(errors.values())), BillingError)
    assert numbers(world.a, InvoiceKind.CREDIT_NOTE) == [1]
    assert sum(Invoice.objects.filter(corrects=invoice).values_list("total_cents", flat=True)) == 200
