"""The demo's money (issue 16 acceptance): prices for every activity with QF
brackets, QFs on most families (DUPONT's expired), the previous month
invoiced in both structures, some invoices paid by cheque and cash, one
overdue, DUPONT's invoice due and payable online; loading again adds nothing."""

import datetime

import pytest
from django.db.models import Count
from django.utils import timezone

from portail.billing import ledger
from portail.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceKind,
    Payment,
    PaymentMethod,
    PriceBracket,
    Reminder,
    Tariff,
)
from portail.billing.reminders import due_for_email
from portail.demo import data as demo
from portail.structures.models import Activity, Family, Structure

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 15, 0))  # the previous month is October
TODAY = NOW.date()
OCTOBER = datetime.date(2026, 10, 1)


@pytest.fixture
def fast_demo_password(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_money(db, fast_demo_password):
    demo.load_demo(now=NOW)
    return {s.name: s for s in Structure.objects.all()}


def _counts():
    return {m.__name__: m.objects.count() for m in (Tariff, PriceBracket, BillingSettings, Invoice, Payment, Reminder)}


def test_prices_and_quotients(demo_money):
    carteville = demo_money["Mairie de CarteVille"]
    assert BillingSettings.objects.get(structure=carteville).payment_backend == "simulated"
    for activity in Activity.objects.all():
        tariff = Tariff.objects.get(activity=activity)
        assert tariff.brackets.count() == 4 and tariff.brackets.filter(qf_max=None).exists(), activity
    families = Family.objects.all()
    with_qf = [f for f in families if f.qf_on(TODAY) is not None]
    assert len(with_qf) > len(families) / 2
    dupont = Family.objects.get(structure=carteville, reference="DUP001")
    assert dupont.quotient_familial is not None and dupont.qf_on(TODAY) is None  # expired: the top bracket


def test_the_previous_month_is_invoiced_some_paid_one_overdue(demo_money):
    carteville, pinsons = demo_money["Mairie de CarteVille"], demo_money["Accueil de loisirs Les Pinsons"]
    invoices = list(Invoice.objects.filter(kind=InvoiceKind.INVOICE))
    assert {i.period_start for i in invoices} == {OCTOBER}
    assert {i.structure_id for i in invoices} == {carteville.pk, pinsons.pk}
    states = [ledger.invoice_state(i, TODAY) for i in invoices]
    assert states.count("paid") >= 5 and states.count("overdue") == 1 and "due" in states
    methods = set(Payment.objects.values_list("method", flat=True))
    assert {PaymentMethod.CHEQUE, PaymentMethod.CASH} <= methods
    # Every invoice is the sum of its lines; every account is exact.
    for invoice in Invoice.objects.annotate(n=Count("lines")):
        assert invoice.n and invoice.total_cents == sum(line.amount_cents for line in invoice.lines.all())
    for family in Family.objects.filter(invoices__isnull=False).distinct():
        due = sum(i.due_cents for i in family.invoices.all())
        assert ledger.balance_cents(family) == due - ledger.credit_cents(family)
    # DUPONT's invoice of CarteVille is due (paid online by the family), at the top bracket, with its address.
    dupont = Invoice.objects.get(structure=carteville, family__reference="DUP001")
    assert ledger.invoice_state(dupont, TODAY) == "due" and dupont.settled_cents == 0
    assert dupont.family_address
    # The overdue one is Les Pinsons', reminded at the worker's next pass.
    overdue = next(i for i, s in zip(invoices, states, strict=True) if s == "overdue")
    assert overdue.structure == pinsons and overdue.family.reference != "P-DUPONT"
    assert list(due_for_email(pinsons, TODAY)) == [overdue]


def test_loading_again_adds_nothing(demo_money):
    before = _counts()
    demo.load_demo(now=NOW)
    assert _counts() == before


def test_a_demo_in_july_invoices_june(db, fast_demo_password):
    demo.load_demo(now=timezone.make_aware(datetime.datetime(2026, 7, 20, 23, 0)))
    assert set(Invoice.objects.values_list("period_start", flat=True)) == {datetime.date(2026, 6, 1)}


@pytest.mark.parametrize("day", [3, 5, 18])
def test_early_in_a_month_an_overdue_invoice_still_waits_for_its_reminder(db, fast_demo_password, day):
    """A month is invoiced once it is over, on the 1st at the earliest: Les
    Pinsons' invoices are due the next day, so one is overdue from the 3rd (the demo breaks no rule of the invoicing)."""
    now = timezone.make_aware(datetime.datetime(2026, 11, day, 9, 0))
    demo.load_demo(now=now)
    today = now.date()
    pinsons = Structure.objects.get(name="Accueil de loisirs Les Pinsons")
    overdue = [i for i in Invoice.objects.filter(kind="invoice") if ledger.invoice_state(i, today) == "overdue"]
    assert len(overdue) == 1 and overdue[0].structure == pinsons
    assert overdue[0].period_start == datetime.date(2026, 10, 1)
    assert list(due_for_email(pinsons, today)) == overdue
    for invoice in Invoice.objects.all():  # never issued before its month was over
        assert invoice.issued_at.date() > invoice.period_end
    assert Invoice.objects.filter(
        structure__name="Mairie de CarteVille", period_start=datetime.date(2026, 10, 1)
    ).exists()
