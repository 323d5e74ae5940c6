"""Properties of the money side (issue 16 acceptance) over random months:
bookings made, cancelled on time or late, absences justified, roll calls
(with or without a booking, with times), QFs valid or not, payments before
and after the run, credit notes — all through the engine and the services.

After each random month:

- every invoice's total is the sum of its lines, each line quantity × unit
  price, and each family's total is what an independent reading of the
  rules (`expected_total` below, written from the issue's words, not from
  pricing.py) gives;
- re-running the preview changes nothing in the database and answers the same;
- issuing twice issues once; numbers are 1..n without gap per kind;
- a family's balance = invoices − credit notes − payments (those not
  cancelled: a payment typed by mistake at the régie is cancelled, kept but
  counted for nothing), and also = what is due on its invoices − its unused
  credit (payments and credit notes); a cancelled payment holds no allocation;
- the allotment: Σ invoices settled = Σ allocations + Σ credit notes used;
  0 ≤ settled ≤ total everywhere; a payment is never allotted beyond its
  amount; a family with money left never has an invoice still due.

Each example runs in a savepoint rolled back at its end. Derandomized under
CI (the same examples every run); BILLING_EXAMPLES=300 explores further.
"""

import datetime
import os
from collections import defaultdict

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail.billing import invoicing, ledger
from portail.billing.errors import BillingError
from portail.billing.models import Allocation, BillingBasis, Invoice, InvoiceKind, Payment, PriceUnit
from portail.billing.money import percent_of
from portail.booking.models import BookingStatus, Consumption
from portail.booking.staff_actions import staff_cancel
from tests import factories as f
from tests.billing.tariffs import NOVEMBER, make_tariff
from tests.fuzz.values import fingerprint
from tests.helpers import make_booking

EXAMPLES = int(os.environ.get("BILLING_EXAMPLES", "20"))
DAYS = [datetime.date(2026, 11, n) for n in (2, 3, 4, 5)]
T = datetime.time
EARLY = datetime.datetime(2026, 10, 1, 9, 0, tzinfo=datetime.UTC)  # before every cancellation délai
ISSUED = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)

APS = {"brackets": {500: 150, None: 300}, "second": 20, "third": 50, "walk_in": 30}
GARD = {"brackets": {None: 70}, "walk_in": 50}  # per started quarter hour, billed on the roll call
GARD_TIMES = (T(16, 30), T(18, 30))


@pytest.fixture
def scene(world):
    world.zoe = f.ChildFactory(family=world.family_a, first_name="Zoé", birth_date=datetime.date(2021, 6, 1))
    world.garderie = f.ActivityFactory(
        structure=world.a, name="GARDERIE", code="GARD", has_times=True, earliest_time=GARD_TIMES[0],
        latest_time=GARD_TIMES[1], time_step_minutes=15,
    )  # fmt: skip
    make_tariff(
        world.aps_a, APS["brackets"], second_child_reduction_percent=APS["second"],
        third_child_reduction_percent=APS["third"], walk_in_surcharge_percent=APS["walk_in"],
    )  # fmt: skip
    make_tariff(
        world.garderie, GARD["brackets"], unit=PriceUnit.QUARTER_HOUR, basis=BillingBasis.CONSUMPTIONS,
        walk_in_surcharge_percent=GARD["walk_in"],
    )  # fmt: skip
    world.children = [world.paolo, world.amalia, world.zoe, world.leo]
    world.families = [world.family_a, world.martin_a]
    return world


# What happens to one child on one activity on one day.
FATES = ["none", "booked", "cancelled_on_time", "cancelled_late", "justified_absence"]
times = st.sampled_from([None, (T(16, 30), T(17, 0)), (T(16, 45), T(18, 1)), (T(17, 0), T(17, 0))])
day_plan = st.tuples(
    st.sampled_from(FATES), st.booleans(), times, times
)  # fate, present, booked times, roll-call times
qf = st.sampled_from([None, (300, datetime.date(2026, 12, 31)), (900, datetime.date(2026, 12, 31)),
                      (300, datetime.date(2026, 11, 3))])  # fmt: skip
money = st.lists(st.tuples(st.sampled_from([0, 1]), st.integers(1, 4000)), max_size=3)  # (family index, cents)
credit_notes = st.lists(st.tuples(st.sampled_from([0, 1]), st.one_of(st.none(), st.integers(1, 3000))), max_size=3)
cancellations = st.lists(st.integers(0, 5), max_size=2)  # indexes of the payments made, cancelled after the notes


def build(world, plans, qfs):
    """Write the month through the engine and the roll call, as staff and families would."""
    for family, value in zip(world.families, qfs, strict=True):
        family.quotient_familial, family.qf_valid_until = value if value else (None, None)
        family.save()
    for (child, activity, day), (fate, present, booked_times, roll_times) in plans.items():
        if fate != "none":
            arrival, departure = booked_times or (None, None)
            if activity.pk != world.garderie.pk:
                arrival = departure = None
            booking = make_booking(
                child=child, activity=activity, date=day, status=BookingStatus.ACCEPTED, arrival=arrival,
                departure=departure,
            )  # fmt: skip
            the_day = datetime.datetime.combine(day, T(12, 0), tzinfo=datetime.UTC)
            if fate == "cancelled_on_time":
                staff_cancel(booking, actor=world.staff_a, reason="Demande de la famille", now=EARLY)
            elif fate == "cancelled_late":
                staff_cancel(booking, actor=world.staff_a, reason="Demande tardive", now=the_day)
            elif fate == "justified_absence":
                staff_cancel(booking, actor=world.staff_a, reason="Absence justifiée", now=the_day, late=False)
        if present or fate == "justified_absence":
            arrival, departure = roll_times or (None, None)
            Consumption.objects.create(
                child=child, activity=activity, date=day, present=present, arrival=arrival, departure=departure
            )


def expected_total(world, family, plans):
    """The family's month by the issue's words: booked / late-cancelled / walk-in days
    on the bookings basis, present days on the roll-call basis; QF bracket of the
    day; reductions by birth-date rank among the children billed that day on that
    activity; surcharge for a presence without a booking; started quarter hours."""
    billed = defaultdict(list)  # (activity, day) -> [(child, kind, times)]
    for (child, activity, day), (fate, present, booked_times, roll_times) in plans.items():
        if child.family_id != family.pk:
            continue
        accepted = fate in ("booked",)
        if activity.pk == world.aps_a.pk:  # bookings basis
            kind = "booked" if accepted else "walk_in" if present else "late" if fate == "cancelled_late" else None
            times_used = None
        else:  # roll-call basis
            kind = ("booked" if accepted else "walk_in") if present else "late" if fate == "cancelled_late" else None
            if present:  # the roll call's times, else those of an accepted booking, else the activity's
                times_used = roll_times or (booked_times if accepted else None) or GARD_TIMES
            else:  # a late cancellation: its booked times
                times_used = booked_times or GARD_TIMES
        if kind:
            billed[(activity.pk, day)].append((child, kind, times_used))
    total = 0
    for (activity_id, day), entries in billed.items():
        entries.sort(key=lambda e: (e[0].birth_date, e[0].pk))
        for rank, (_child, kind, times_used) in enumerate(entries, start=1):
            if activity_id == world.aps_a.pk:
                valid = family.quotient_familial is not None and day <= family.qf_valid_until
                price = 150 if valid and family.quotient_familial <= 500 else 300
                reduction = 0 if rank == 1 else APS["second"] if rank == 2 else APS["third"]
                price -= percent_of(price, reduction)
                surcharge, quantity = APS["walk_in"], 1
            else:
                price, surcharge = 70, GARD["walk_in"]
                minutes = (times_used[1].hour * 60 + times_used[1].minute) - (
                    times_used[0].hour * 60 + times_used[0].minute
                )
                quantity = max(1, -(-minutes // 15))
            if kind == "walk_in":
                price += percent_of(price, surcharge)
            total += quantity * price
    return total


def check_ledger(world, paid_in=None):
    """`paid_in`: per family, the payments recorded minus those cancelled, as the test counted them."""
    invoices = list(Invoice.objects.filter(structure=world.a))
    for invoice in invoices:
        lines = list(invoice.lines.all())
        assert invoice.total_cents == sum(line.amount_cents for line in lines)
        assert all(line.amount_cents == line.quantity * line.unit_price_cents for line in lines)
        assert 0 <= invoice.settled_cents <= invoice.total_cents
    for kind in InvoiceKind.values:
        numbers = sorted(i.number for i in invoices if i.kind == kind)
        assert numbers == list(range(1, len(numbers) + 1))
    settled = sum(i.settled_cents for i in invoices if i.kind == InvoiceKind.INVOICE)
    credits_used = sum(i.settled_cents for i in invoices if i.kind == InvoiceKind.CREDIT_NOTE)
    allocated = Allocation.objects.aggregate(t=Sum("amount_cents"))["t"] or 0
    assert settled == allocated + credits_used
    for family in world.families:
        mine = [i for i in invoices if i.family_id == family.pk]
        billed = sum(i.total_cents for i in mine if i.kind == InvoiceKind.INVOICE)
        credited = sum(i.total_cents for i in mine if i.kind == InvoiceKind.CREDIT_NOTE)
        payments = list(Payment.objects.filter(family=family, cancelled_at=None))
        paid = sum(p.amount_cents for p in payments)
        if paid_in is not None:
            assert paid == paid_in[family.pk]
        balance = ledger.balance_cents(family)
        assert balance == billed - credited - paid
        assert not Allocation.objects.filter(payment__family=family).exclude(payment__cancelled_at=None).exists()
        unused = 0
        for payment in payments:
            used = payment.allocations.aggregate(t=Sum("amount_cents"))["t"] or 0
            assert used <= payment.amount_cents
            unused += payment.amount_cents - used
        unused += sum(i.total_cents - i.settled_cents for i in mine if i.kind == InvoiceKind.CREDIT_NOTE)
        due = sum(i.due_cents for i in mine)
        assert balance == due - unused
        assert due == 0 or unused == 0  # money left never sits beside an invoice due


@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(data=st.data())
def test_random_months_keep_the_money_exact(scene, data):
    world = scene
    keys = [(c, a, d) for c in world.children for a in (world.aps_a, world.garderie) for d in DAYS]
    plans = {key: data.draw(day_plan, label=f"{key[0].first_name} {key[1].code} {key[2].day}") for key in keys}
    qfs = data.draw(st.tuples(qf, qf), label="QFs")
    before_run = data.draw(money, label="payments before the run")
    after_run = data.draw(money, label="payments after the run")
    notes = data.draw(credit_notes, label="credit notes")
    cancelled = data.draw(cancellations, label="payments cancelled")
    with transaction.atomic():
        build(world, plans, qfs)
        recorded = []
        for index, cents in before_run:
            recorded.append(ledger.record_payment(world.families[index], cents, "cheque", actor=world.staff_a))

        state = fingerprint()
        first = invoicing.preview(world.a, NOVEMBER)
        assert invoicing.preview(world.a, NOVEMBER) == first
        assert fingerprint() == state

        for family in world.families:
            previewed = next((fp.total_cents for fp in first.families if fp.family == family), 0)
            assert previewed == expected_total(world, family, plans)

        issued = invoicing.issue(world.a, NOVEMBER, actor=world.staff_a, now=ISSUED)
        assert {i.family_id for i in issued} == {fp.family.pk for fp in first.families if fp.total_cents > 0}
        assert {i.family_id: i.total_cents for i in issued} == {
            fp.family.pk: fp.total_cents for fp in first.families if fp.total_cents > 0
        }
        state = fingerprint()
        assert invoicing.issue(world.a, NOVEMBER, actor=world.staff_a, now=ISSUED) == []
        assert fingerprint() == state
        check_ledger(world)

        for index, cents in after_run:
            recorded.append(ledger.record_payment(world.families[index], cents, "cash", actor=world.staff_a))
        for index, amount in notes:
            invoice = next((i for i in issued if i.family_id == world.families[index].pk), None)
            if invoice is None:
                continue
            try:
                invoicing.credit_note(invoice, amount_cents=amount, reason="Correction", actor=world.staff_a)
            except BillingError:
                left = invoice.total_cents - (
                    Invoice.objects.filter(corrects=invoice).aggregate(t=Sum("total_cents"))["t"] or 0
                )
                assert amount is None and left == 0 or amount is not None and amount > left
        check_ledger(world)

        # Payments typed by mistake, cancelled at the régie: they count for nothing.
        gone = set()
        for index in cancelled:
            if recorded and index < len(recorded):
                payment = recorded[index]
                assert ledger.cancel_payment(payment, actor=world.staff_a, reason="Erreur") is (payment.pk not in gone)
                gone.add(payment.pk)
        paid_in = defaultdict(int)
        for payment in recorded:
            if payment.pk not in gone:
                paid_in[payment.family_id] += payment.amount_cents
        check_ledger(world, paid_in)
        transaction.set_rollback(True)
