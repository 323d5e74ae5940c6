"""The monthly invoices of a structure (issue 16 point 2): the preview staff
read, then « Émettre »; credit notes (avoirs) that correct an issued invoice.

An issued invoice never changes (only its `settled_cents`, kept by the
ledger): a mistake is corrected by a credit note referencing it.

Reading is set-based, so a month of a 20,000-family structure is a few
queries per chunk of families (pricing.month_facts), not per family; the
writing is bulk (bench/billing.py measures it).
"""

from __future__ import annotations

import calendar
import datetime
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portail.billing import ledger, numbering, pricing, signals
from portail.billing.errors import BillingError
from portail.billing.models import BillingSettings, Invoice, InvoiceKind, InvoiceLine, Payment
from portail.billing.money import euros
from portail.lib.dates import MONTH_NAMES
from portail.lib.french import de
from portail.structures.models import Activity, Child, Family, Structure

if TYPE_CHECKING:
    # The account, whatever settings.AUTH_USER_MODEL is (django-stubs resolves
    # `_User` to it): billing never imports portail.accounts.
    from django.contrib.auth.models import _User as User

__all__ = [
    "BillingError", "FamilyPreview", "Preview", "PreviewLine", "credit_note", "credit_note_amount", "issue",
    "month_not_over", "preview",
]  # fmt: skip

CHUNK = 2000  # families read and written together: bounded memory, few queries
DEFAULT_PAYMENT_TERMS_DAYS = 30


@dataclass
class PreviewLine:
    child: Child | None
    activity: Activity | None
    child_name: str
    label: str
    dates: list[datetime.date]
    quantity: int
    unit_price_cents: int
    amount_cents: int
    note: str = ""  # why the top bracket (_top_bracket_notes); the invoice's label ends with it


@dataclass
class FamilyPreview:
    family: Family
    lines: list[PreviewLine]
    total_cents: int
    anomalies: list[str]
    already_issued: Invoice | None = None
    # For a family already invoiced: what its invoice still bills once its
    # credit notes are deducted, and today's computation minus that (data
    # changed since: an absence justified, a QF validated…); 0 when equal.
    issued_left_cents: int = 0
    difference_cents: int = 0


@dataclass
class Preview:
    structure: Structure
    month: datetime.date
    period_end: datetime.date
    families: list[FamilyPreview] = field(default_factory=list)
    total_cents: int = 0
    anomalies: list[str] = field(default_factory=list)


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of `month`'s month."""
    start = month.replace(day=1)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


def month_not_over(month: datetime.date, today: datetime.date) -> str | None:
    """Why `month` cannot be invoiced on `today` (in French), or None: a month
    is invoiced once its last day is past, since its bookings, absences and
    roll calls may still change until then."""
    _start, end = month_bounds(month)
    if today <= end:
        return _("Le mois %(de_month)s n'est pas terminé : ses factures pourront être émises à partir du %(day)s.") % {
            # French elides (« d'octobre »); another language uses `month` alone.
            "de_month": de(str(MONTH_NAMES[end.month - 1])),
            "month": str(MONTH_NAMES[end.month - 1]),
            "day": f"{end + datetime.timedelta(days=1):%d/%m}",
        }
    return None


@dataclass
class _FamilyBill:
    family_id: int
    row: Mapping[str, Any]  # the family's values: names, address, QF
    priced: pricing.Priced
    untariffed: list[str]  # its « Pas de tarif pour … » anomalies
    notes: dict[int, str] = field(default_factory=dict)  # _top_bracket_notes


def _family_name(row: Mapping[str, Any]) -> str:
    # As Family.__str__ prints it.
    return f"{row['civility']} {row['last_name'].upper()} {row['first_name']}"


def _top_bracket_notes(
    priced: pricing.Priced, family: pricing.FamilyInfo, tariffs: pricing.TariffBook
) -> dict[int, str]:
    """Why each line priced at the top bracket for want of a valid QF was (its
    first such day), by the line's position. The issued invoice writes it in
    the line's label: the family reads it on its page and PDF long after the
    QF was renewed (Family keeps only the latest one)."""
    notes = {}
    for index, line in enumerate(priced.lines):
        for day in line.dates:
            tariff = tariffs.on(line.activity_id, day)
            if tariff is not None and tariff.depends_on_qf and family.qf_on(day) is None:
                notes[index] = _("Tarif maximum appliqué : pas de quotient familial valide au %(day)s") % {
                    "day": f"{day:%d/%m/%Y}"
                }
                break
    return notes


def _written_label(line: pricing.Line, note: str | None) -> str:
    """The label an issued invoice's line keeps: the line's, with its note."""
    if not note:
        return line.label
    return f"{line.label} — {note}"[: InvoiceLine._meta.get_field("label").max_length]


def _bills(structure: Structure, start: datetime.date, end: datetime.date, skip: set[int]) -> Iterator[_FamilyBill]:
    """Every family of the structure with something recorded in the period, priced,
    in the order of their ids, chunk by chunk."""
    # Skipped here rather than in SQL: a month already invoiced is thousands of
    # ids, beyond what one SQLite statement takes as parameters.
    family_ids = [
        pk
        for pk in Family.objects.filter(structure=structure).order_by("pk").values_list("pk", flat=True)
        if pk not in skip
    ]
    activity_ids = list(Activity.objects.filter(structure=structure).values_list("pk", flat=True))
    tariffs = pricing.TariffBook(activity_ids)
    activities = pricing.activity_infos(activity_ids)
    for offset in range(0, len(family_ids), CHUNK):
        chunk = family_ids[offset : offset + CHUNK]
        facts = pricing.month_facts(structure.pk, chunk, start, end)
        if not facts:
            continue
        with_facts = sorted(facts)
        rows = {
            row["pk"]: row
            for row in Family.objects.filter(pk__in=with_facts).values(
                "pk", "civility", "last_name", "first_name", "address", "quotient_familial", "qf_valid_until"
            )
        }
        children = {
            pk: pricing.child_info(pk, first, last, born)
            for pk, first, last, born in Child.objects.filter(family_id__in=with_facts).values_list(
                "pk", "first_name", "last_name", "birth_date"
            )
        }
        for family_id in with_facts:
            items, untariffed = pricing.billables(facts[family_id], tariffs, activities)
            row = rows[family_id]
            info = pricing.FamilyInfo(family_id, row["quotient_familial"], row["qf_valid_until"])
            priced = pricing.price_family(items, family=info, children=children, activities=activities, tariffs=tariffs)
            notes = (
                _top_bracket_notes(priced, info, tariffs)
                if info.qf_valid_until is None or info.qf_valid_until < end
                else {}
            )
            missing = [
                pricing.no_tariff_anomaly(activities[pk].name)
                for pk in sorted(untariffed, key=lambda pk: activities[pk].name)
            ]
            priced.anomalies.extend(missing)
            yield _FamilyBill(family_id, row, priced, missing, notes)


def preview(structure: Structure, month: datetime.date) -> Preview:
    """What « Émettre » would issue for the structure's month: the families
    with lines or anomalies, their lines and totals, in French. Writes
    nothing; the same facts give the same answer. A family already invoiced
    for the month shows its invoice (`already_issued`), and is not issued again."""
    start, end = month_bounds(month)
    result = Preview(structure=structure, month=start, period_end=end)
    issued = {
        invoice.family_id: invoice
        for invoice in Invoice.objects.filter(structure=structure, kind=InvoiceKind.INVOICE, period_start=start)
    }
    credited = dict(
        Invoice.objects.filter(
            structure=structure, kind=InvoiceKind.CREDIT_NOTE, corrects__period_start=start,
            corrects__kind=InvoiceKind.INVOICE,
        )
        .values("corrects_id")
        .annotate(total=Sum("total_cents"))
        .values_list("corrects_id", "total")
    )  # fmt: skip
    families_without_qf = 0
    untariffed: set[str] = set()
    bills = list(_bills(structure, start, end, skip=set()))
    families = Family.objects.in_bulk([b.family_id for b in bills])
    child_ids = {line.child_id for b in bills for line in b.priced.lines}
    children = Child.objects.in_bulk(child_ids)
    activities = Activity.objects.in_bulk({line.activity_id for b in bills for line in b.priced.lines})
    qf_message = _("Quotient familial manquant ou expiré : tranche haute")
    for bill in bills:
        if not bill.priced.lines and not bill.priced.anomalies and bill.family_id not in issued:
            continue
        lines = [
            PreviewLine(
                child=children.get(line.child_id),
                activity=activities.get(line.activity_id),
                child_name=line.child_name,
                label=line.label,
                dates=list(line.dates),
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                amount_cents=line.amount_cents,
                note=bill.notes.get(index, ""),
            )
            for index, line in enumerate(bill.priced.lines)
        ]
        total = bill.priced.total_cents
        if qf_message in bill.priced.anomalies:
            families_without_qf += 1
        untariffed.update(bill.untariffed)
        invoice = issued.get(bill.family_id)
        family_preview = FamilyPreview(
            family=families[bill.family_id],
            lines=lines,
            total_cents=total,
            anomalies=list(bill.priced.anomalies),
            already_issued=invoice,
        )
        if invoice is not None:
            family_preview.issued_left_cents = invoice.total_cents - credited.get(invoice.pk, 0)
            family_preview.difference_cents = total - family_preview.issued_left_cents
        result.families.append(family_preview)
        if bill.family_id not in issued:
            result.total_cents += total
    # An invoiced family with nothing billable today (every day justified
    # since) still shows its invoice, and that all of it is now in question.
    seen = {fp.family.pk for fp in result.families}
    gone = [family_id for family_id in issued if family_id not in seen]
    for family in Family.objects.filter(pk__in=gone) if gone else ():
        invoice = issued[family.pk]
        left = invoice.total_cents - credited.get(invoice.pk, 0)
        result.families.append(
            FamilyPreview(family=family, lines=[], total_cents=0, anomalies=[], already_issued=invoice,
                          issued_left_cents=left, difference_cents=-left)
        )  # fmt: skip
    result.families.sort(key=lambda fp: (fp.family.last_name, fp.family.first_name, fp.family.pk))
    if families_without_qf:
        result.anomalies.append(
            ngettext(
                "%(count)s famille sans quotient familial valable : tranche haute",
                "%(count)s familles sans quotient familial valable : tranche haute",
                families_without_qf,
            )
            % {"count": families_without_qf}
        )
    result.anomalies.extend(sorted(untariffed))
    return result


def _payment_terms(structure: Structure) -> int:
    terms = BillingSettings.objects.filter(structure=structure).values_list("payment_terms_days", flat=True).first()
    return terms or DEFAULT_PAYMENT_TERMS_DAYS


def _families_with_credit(family_ids: list[int]) -> list[int]:
    """Those of the families with money not yet used (a payment not wholly
    allotted, a credit note not wholly used): only they need ledger.allot
    after new invoices; the others have nothing to pay them with."""
    found: set[int] = set()
    for offset in range(0, len(family_ids), CHUNK):
        chunk = family_ids[offset : offset + CHUNK]
        found.update(
            Payment.objects.filter(family_id__in=chunk)
            .annotate(used=Coalesce(Sum("allocations__amount_cents"), 0))
            .filter(amount_cents__gt=F("used"))
            .values_list("family_id", flat=True)
        )
        found.update(
            Invoice.objects.filter(
                family_id__in=chunk, kind=InvoiceKind.CREDIT_NOTE, settled_cents__lt=F("total_cents")
            ).values_list("family_id", flat=True)
        )
    return sorted(found)


_LINE_COLUMNS = (
    "invoice_id", "child_id", "activity_id", "child_name", "label", "dates", "quantity", "unit_price_cents",
    "amount_cents",
)  # fmt: skip


def _insert_lines(lines: Iterable[tuple[int, pricing.Line, str | None]]) -> None:
    """Insert the invoices' lines in batches of plain rows: a month of a city
    is some 50,000 lines, and building as many model instances for
    bulk_create costs more than computing them (bench/billing.py)."""
    connection = connections[InvoiceLine.objects.db]
    dates_field = InvoiceLine._meta.get_field("dates")
    table = connection.ops.quote_name(InvoiceLine._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _LINE_COLUMNS)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_LINE_COLUMNS))})"  # noqa: S608 - names from the model, values as parameters
    rows = (
        (invoice_id, line.child_id, line.activity_id, line.child_name, _written_label(line, note),
         dates_field.get_db_prep_save([day.isoformat() for day in line.dates], connection), line.quantity,
         line.unit_price_cents, line.amount_cents)
        for invoice_id, line, note in lines
    )  # fmt: skip
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(rows, 5000)):
            cursor.executemany(sql, batch)


def issue(
    structure: Structure, month: datetime.date, *, actor: User | None, now: datetime.datetime | None = None
) -> list[Invoice]:
    """Issue the structure's invoices of `month`, in one transaction: one per
    family with a positive total not yet invoiced for that month (issuing twice
    issues once), numbered without gap (numbering.py), due
    BillingSettings.payment_terms_days after today, with the family's name and
    address as they are today. Sends signals.invoices_issued inside the
    transaction, then lets each family's existing credit pay its new invoice
    (ledger.allot). Returns the new invoices, in number order. A month not
    over (its last day is today or later) is refused with a French
    BillingError, nothing written (month_not_over)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start, end = month_bounds(month)
    refusal = month_not_over(start, today)
    if refusal is not None:
        raise BillingError(refusal)
    # Never before the period's end + the payment terms (today is past the end).
    due_date = max(today, end) + datetime.timedelta(days=_payment_terms(structure))
    created: list[Invoice] = []
    # The invoice is a French document, whoever issues it.
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        # Taken first: a second issuer of this structure waits here, then sees
        # the first one's invoices below and skips their families.
        sequence = numbering.lock_sequence(structure.pk, InvoiceKind.INVOICE, today.year)
        already = set(
            Invoice.objects.filter(
                family__structure=structure, kind=InvoiceKind.INVOICE, period_start=start
            ).values_list("family_id", flat=True)
        )
        pending: list[_FamilyBill] = []

        def flush() -> None:
            numbers = numbering.take(sequence, len(pending))
            invoices = [
                Invoice(
                    structure=structure,
                    family_id=bill.family_id,
                    kind=InvoiceKind.INVOICE,
                    year=today.year,
                    number=number,
                    reference=numbering.reference(InvoiceKind.INVOICE, today.year, number),
                    period_start=start,
                    period_end=end,
                    issued_at=now,
                    issued_by=actor,
                    due_date=due_date,
                    total_cents=bill.priced.total_cents,
                    family_name=_family_name(bill.row),
                    family_address=bill.row["address"],
                )
                for bill, number in zip(pending, numbers, strict=True)
            ]
            Invoice.objects.bulk_create(invoices)
            _insert_lines(
                (invoice.pk, line, bill.notes.get(index))
                for invoice, bill in zip(invoices, pending, strict=True)
                for index, line in enumerate(bill.priced.lines)
            )
            created.extend(invoices)
            pending.clear()

        for bill in _bills(structure, start, end, skip=already):
            if bill.priced.total_cents > 0:
                pending.append(bill)
                if len(pending) >= CHUNK:
                    flush()
        flush()
        if created:
            signals.invoices_issued.send(sender=Invoice, invoices=created)
            for family_id in _families_with_credit([i.family_id for i in created]):
                ledger.allot(family_id)
    return created


def _check_reason(invoice: Invoice, reason: str) -> None:
    if invoice.kind != InvoiceKind.INVOICE:
        raise BillingError(_("Un avoir corrige une facture, pas un autre avoir."))
    if not reason:
        raise BillingError(_("Indiquez le motif de l'avoir."))
    max_length = Invoice._meta.get_field("reason").max_length
    if max_length is not None and len(reason) > max_length:
        raise BillingError(_("Le motif de l'avoir est trop long (200 caractères au plus)."))


def _checked_amount(invoice: Invoice, amount_cents: int | None) -> int:
    credited = (
        Invoice.objects.filter(corrects=invoice, kind=InvoiceKind.CREDIT_NOTE).aggregate(t=Sum("total_cents"))["t"] or 0
    )
    left = invoice.total_cents - credited
    if left <= 0:
        raise BillingError(
            _("La facture %(reference)s est déjà entièrement annulée par des avoirs.")
            % {"reference": invoice.reference}
        )
    amount = left if amount_cents is None else amount_cents
    if amount <= 0:
        raise BillingError(_("Le montant d'un avoir doit être positif."))
    if amount > left:
        raise BillingError(
            _("Un avoir sur la facture %(reference)s ne peut pas dépasser %(left)s.")
            % {"reference": invoice.reference, "left": euros(left)}
        )
    return amount


def credit_note_amount(invoice: Invoice, *, amount_cents: int | None, reason: str) -> int:
    """What credit_note would credit on `invoice` now (`amount_cents`, or all
    that is left for None), or its French BillingError; writes nothing. The
    staff's confirmation page shows it before the credit note is made."""
    _check_reason(invoice, (reason or "").strip())
    return _checked_amount(invoice, amount_cents)


def credit_note(
    invoice: Invoice,
    *,
    amount_cents: int | None,
    reason: str,
    actor: User | None,
    now: datetime.datetime | None = None,
) -> Invoice:
    """Issue a credit note (avoir) on `invoice`: `amount_cents`, or all that
    earlier credit notes left of it (None). Refused, with a French
    BillingError and nothing written, for more than what is left, a non
    positive amount, a credit note of a credit note, or no reason. Numbered
    « A-… » without gap; the family's account is then re-allotted (the
    credit pays the invoice, or stays as credit if it was paid)."""
    reason = (reason or "").strip()
    _check_reason(invoice, reason)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        sequence = numbering.lock_sequence(invoice.structure_id, InvoiceKind.CREDIT_NOTE, today.year)
        ledger.lock_family(invoice.family_id)
        amount = _checked_amount(invoice, amount_cents)
        family = Family.objects.get(pk=invoice.family_id)
        (number,) = numbering.take(sequence, 1)
        note = Invoice.objects.create(
            structure_id=invoice.structure_id,
            family=family,
            kind=InvoiceKind.CREDIT_NOTE,
            year=today.year,
            number=number,
            reference=numbering.reference(InvoiceKind.CREDIT_NOTE, today.year, number),
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            issued_at=now,
            issued_by=actor,
            due_date=today,
            total_cents=amount,
            family_name=str(family),
            family_address=family.address,
            corrects=invoice,
            reason=reason,
        )
        InvoiceLine.objects.create(
            invoice=note,
            label=_("Avoir sur la facture %(reference)s : %(reason)s")
            % {"reference": invoice.reference, "reason": reason},
            dates=[],
            quantity=1,
            unit_price_cents=amount,
            amount_cents=amount,
        )
        signals.credit_note_issued.send(sender=Invoice, credit_note=note)
        ledger.allot(invoice.family_id)
    return note
