"""The monthly invoices and the credit notes (issue 16 point 2,
billing.invoicing): the preview writes nothing and answers the same twice;
« Émettre » writes one invoice per family with something to pay, numbered,
dated, with its lines as previewed, once; the family's credit pays it; an
invoice is corrected only by a credit note, never beyond what is left."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from portail.billing import invoicing, ledger, signals
from portail.billing.errors import BillingError
from portail.billing.models import BillingSettings, Invoice, InvoiceKind, InvoiceSequence
from portail.booking.models import BookingStatus
from tests import factories as f
from tests.billing.tariffs import NOVEMBER, make_tariff
from tests.fuzz.values import fingerprint
from tests.helpers import make_booking

ISSUE_AT = timezone.make_aware(datetime.datetime(2026, 12, 2, 10, 0))


def day(n):
    return datetime.date(2026, 11, n)


@pytest.fixture
def month(world):
    """November of CarteVille: DUPONT's two children on APS MATIN (3,00 €, 2nd
    child −20 %) on the 2nd and 3rd, MARTIN's Léo on the 2nd; a family without
    anything; RESTAURATION without tariff."""
    make_tariff(world.aps_a, {None: 300}, second_child_reduction_percent=20)
    for n in (2, 3):
        for child in (world.paolo, world.amalia):
            make_booking(child=child, activity=world.aps_a, date=day(n), status=BookingStatus.ACCEPTED)
    make_booking(child=world.leo, activity=world.aps_a, date=day(2), status=BookingStatus.ACCEPTED)
    world.family_a.address = "3 rue des Lilas\n57000 CarteVille"
    world.family_a.save()
    f.FamilyFactory(structure=world.a, last_name="SANSRIEN")
    return world


def issue(world, structure=None, at=ISSUE_AT, month=NOVEMBER):
    return invoicing.issue(structure or world.a, month, actor=world.staff_a, now=at)


def test_the_preview_writes_nothing_and_answers_the_same_twice(month):
    before = fingerprint()
    first = invoicing.preview(month.a, NOVEMBER)
    second = invoicing.preview(month.a, NOVEMBER)
    assert fingerprint() == before
    assert first == second
    assert [(fp.family, fp.total_cents) for fp in first.families] == [(month.family_a, 1080), (month.martin_a, 300)]
    assert first.total_cents == 1380


def test_issue_writes_the_previewed_invoices(month):
    BillingSettings.objects.create(structure=month.a, payment_terms_days=15)
    preview = invoicing.preview(month.a, NOVEMBER)
    invoices = issue(month)
    assert [i.reference for i in invoices] == ["F-2026-000001", "F-2026-000002"]
    by_family = {i.family_id: i for i in Invoice.objects.all()}
    assert set(by_family) == {month.family_a.pk, month.martin_a.pk}  # SANSRIEN: nothing to bill, no invoice
    for fp in preview.families:
        invoice = by_family[fp.family.pk]
        assert invoice.total_cents == fp.total_cents == sum(line.amount_cents for line in invoice.lines.all())
        assert [
            (line.child_id, line.activity_id, line.label, line.dates, line.quantity, line.unit_price_cents)
            for line in invoice.lines.all()
        ] == [
            (pl.child.pk, pl.activity.pk, pl.label, [d.isoformat() for d in pl.dates], pl.quantity,
             pl.unit_price_cents)
            for pl in fp.lines
        ]  # fmt: skip
        assert (invoice.period_start, invoice.period_end) == (day(1), day(30))
        assert invoice.due_date == datetime.date(2026, 12, 17)  # issued 2 December + 15 days
        assert invoice.issued_by == month.staff_a and invoice.issued_at == ISSUE_AT
        assert (invoice.kind, invoice.year, invoice.settled_cents) == (InvoiceKind.INVOICE, 2026, 0)
    dupont = by_family[month.family_a.pk]
    assert dupont.family_name == "M. DUPONT Jean-Paul"
    assert dupont.family_address == "3 rue des Lilas\n57000 CarteVille"
    assert InvoiceSequence.objects.get(structure=month.a, kind=InvoiceKind.INVOICE, year=2026).last_number == 2


def test_without_settings_an_invoice_is_due_in_30_days(month):
    (first, _) = issue(month)
    assert first.due_date == datetime.date(2027, 1, 1)


def test_issuing_twice_issues_once_then_only_the_newcomers(month):
    issue(month)
    before = fingerprint()
    assert issue(month) == []
    assert fingerprint() == before
    # A family billed after the run (a late roll call): the next run issues
    # its invoice only, with the next number.
    newcomer = f.ChildFactory(family=f.FamilyFactory(structure=month.a, last_name="NOUVEAU"))
    make_booking(child=newcomer, activity=month.aps_a, date=day(20), status=BookingStatus.ACCEPTED)
    (late,) = issue(month)
    assert (late.family, late.reference, late.total_cents) == (newcomer.family, "F-2026-000003", 300)
    preview = invoicing.preview(month.a, NOVEMBER)
    assert all(fp.already_issued is not None for fp in preview.families)
    assert preview.total_cents == 0


def test_an_issued_invoice_does_not_change_with_later_facts(month):
    (dupont, _) = issue(month)
    lines = list(dupont.lines.values_list("label", "quantity", "unit_price_cents"))
    make_tariff(month.aps_a, {None: 999}, valid_from=day(1))  # a new rate, dated back
    make_booking(child=month.paolo, activity=month.aps_a, date=day(4), status=BookingStatus.ACCEPTED)
    assert issue(month) == []
    dupont.refresh_from_db()
    assert dupont.total_cents == 1080
    assert list(dupont.lines.values_list("label", "quantity", "unit_price_cents")) == lines


def test_each_structure_and_year_has_its_own_numbers(month):
    make_tariff(month.alsh_b, {None: 900})
    make_booking(child=month.paolo_b, activity=month.alsh_b, date=day(4), status=BookingStatus.ACCEPTED)
    assert [i.reference for i in issue(month)] == ["F-2026-000001", "F-2026-000002"]
    assert [i.reference for i in issue(month, structure=month.b)] == ["F-2026-000001"]
    # December's invoices issued in January: numbered in the new year, from 1.
    make_booking(child=month.paolo, activity=month.aps_a, date=datetime.date(2026, 12, 7), status="accepted")
    january = timezone.make_aware(datetime.datetime(2027, 1, 4, 9, 0))
    (december,) = issue(month, at=january, month=datetime.date(2026, 12, 1))
    assert (december.reference, december.year, december.number) == ("F-2027-000001", 2027, 1)


def test_invoices_issued_is_sent_once_inside_the_transaction(month):
    received = []

    def receiver(sender, invoices, **kwargs):
        received.append(([i.reference for i in invoices], connection.in_atomic_block, all(i.pk for i in invoices)))

    signals.invoices_issued.connect(receiver, dispatch_uid="test-invoices-issued")
    try:
        issue(month)
        issue(month)
    finally:
        signals.invoices_issued.disconnect(dispatch_uid="test-invoices-issued")
    assert received == [(["F-2026-000001", "F-2026-000002"], True, True)]


def test_a_failing_receiver_issues_nothing_and_keeps_the_numbers(month):
    def receiver(sender, invoices, **kwargs):
        raise RuntimeError("the outbox is down")

    signals.invoices_issued.connect(receiver, dispatch_uid="test-failing")
    before = fingerprint()
    try:
        with pytest.raises(RuntimeError):
            issue(month)
    finally:
        signals.invoices_issued.disconnect(dispatch_uid="test-failing")
    assert fingerprint() == before
    assert [i.number for i in issue(month)] == [1, 2]


def test_the_familys_credit_pays_its_new_invoice(month):
    ledger.record_payment(month.family_a, 500, "cheque", actor=month.staff_a, receipt_number="C-1")
    dupont, martin = issue(month)
    dupont.refresh_from_db()
    martin.refresh_from_db()
    assert (dupont.settled_cents, martin.settled_cents) == (500, 0)
    assert ledger.balance_cents(month.family_a) == 1080 - 500


# ------------------------------------------------------------ credit notes


def test_a_credit_note_corrects_part_then_the_rest(month):
    dupont, _ = issue(month)
    note = invoicing.credit_note(dupont, amount_cents=300, reason="Absence du 2/11 oubliée", actor=month.staff_a,
                                 now=ISSUE_AT)  # fmt: skip
    assert (note.kind, note.reference, note.corrects, note.total_cents) == (
        InvoiceKind.CREDIT_NOTE,
        "A-2026-000001",
        dupont,
        300,
    )
    assert note.reason == "Absence du 2/11 oubliée"
    assert [(line.label, line.amount_cents) for line in note.lines.all()] == [
        ("Avoir sur la facture F-2026-000001 : Absence du 2/11 oubliée", 300)
    ]
    dupont.refresh_from_db()
    assert dupont.settled_cents == 300 and dupont.total_cents == 1080  # the invoice itself unchanged
    rest = invoicing.credit_note(dupont, amount_cents=None, reason="Annulation", actor=month.staff_a)
    assert (rest.reference, rest.total_cents) == ("A-2026-000002", 780)
    dupont.refresh_from_db()
    assert dupont.settled_cents == dupont.total_cents
    assert ledger.balance_cents(month.family_a) == 0


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        (1081, "Erreur", "Un avoir sur la facture F-2026-000001 ne peut pas dépasser 10,80\xa0€."),
        (0, "Erreur", "Le montant d'un avoir doit être positif."),
        (-5, "Erreur", "Le montant d'un avoir doit être positif."),
        (100, "  ", "Indiquez le motif de l'avoir."),
        (100, "x" * 201, "Le motif de l'avoir est trop long (200 caractères au plus)."),
    ],
)
def test_a_wrong_credit_note_is_refused_in_french_and_writes_nothing(month, amount, reason, message):
    dupont, _ = issue(month)
    before = fingerprint()
    with pytest.raises(BillingError) as refused:
        invoicing.credit_note(dupont, amount_cents=amount, reason=reason, actor=month.staff_a)
    assert str(refused.value) == message
    assert fingerprint() == before


def test_no_credit_note_beyond_the_invoice_nor_on_a_credit_note(month):
    dupont, _ = issue(month)
    note = invoicing.credit_note(dupont, amount_cents=None, reason="Erreur de tarif", actor=month.staff_a)
    with pytest.raises(BillingError, match="déjà entièrement annulée"):
        invoicing.credit_note(dupont, amount_cents=1, reason="Encore", actor=month.staff_a)
    with pytest.raises(BillingError, match="pas un autre avoir"):
        invoicing.credit_note(note, amount_cents=None, reason="Encore", actor=month.staff_a)


def test_a_credit_note_on_a_paid_invoice_stays_as_credit(month):
    dupont, _ = issue(month)
    ledger.record_payment(month.family_a, 1080, "cash", actor=month.staff_a)
    invoicing.credit_note(dupont, amount_cents=300, reason="Geste commercial", actor=month.staff_a)
    assert ledger.balance_cents(month.family_a) == -300  # a credit for the next invoice


def test_credit_note_issued_is_sent_inside_the_transaction(month):
    dupont, _ = issue(month)
    received = []

    def receiver(sender, credit_note, **kwargs):
        received.append((credit_note.reference, connection.in_atomic_block))

    signals.credit_note_issued.connect(receiver, dispatch_uid="test-credit-note")
    try:
        invoicing.credit_note(dupont, amount_cents=100, reason="Erreur", actor=month.staff_a)
    finally:
        signals.credit_note_issued.disconnect(dispatch_uid="test-credit-note")
    assert received == [("A-2026-000001", True)]
