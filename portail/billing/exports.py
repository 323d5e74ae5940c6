"""Exports of the régie for an accounting department (issue 16 point 5): the
invoices, the credit notes and the payments of a structure over a period, as
CSV and XLSX, one row per document.

Made to be imported, not read: ISO dates (2026-11-30), amounts in euros with a
dot and two decimals (42.00; numbers with two decimals in XLSX), the same
French column names and state words whatever the language of the screen, every
cell through the spreadsheet guard (lib.spreadsheets: no formula, no control
character).

Which documents are in the period: invoices by the month they bill
(`BILLED_MONTH`, the default: their period starts in it — October's invoices
issued on 1 November are October's) or by their issue date (`ISSUED`, in the
structure's time zone); credit notes always by their issue date (one made in
December on an October invoice is December's: an October export already
imported is never contradicted, like a cancelled payment's row below);
payments by the day received.

Cancelled payments (a payment typed by mistake at the régie, cancelled by
ledger.cancel_payment, never deleted): the payment keeps its row in the period
it was received (operation « paiement », positive amount, with its
date_annulation and motif_annulation once cancelled), and its cancellation is
a row of its own in the period it was cancelled (operation « annulation »,
the same amount negative, date_annulation its day). So an export already
imported is never contradicted, and summing `montant` over any periods gives
the money really kept.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from portail.billing import ledger
from portail.billing.models import Invoice, InvoiceKind, Payment, PaymentMethod
from portail.lib.spreadsheets import excel_csv, safe_row
from portail.structures.models import Structure

INVOICES, CREDIT_NOTES, PAYMENTS = "factures", "avoirs", "paiements"
KINDS = (INVOICES, CREDIT_NOTES, PAYMENTS)
BILLED_MONTH, ISSUED = "mois", "emission"  # how invoices and credit notes fall in a period
PAYMENT_ROW, CANCELLATION_ROW = "paiement", "annulation"  # the `operation` column of payments

# Words of the files, fixed (an import maps them once): not translated.
STATE_WORDS = {"paid": "payée", "due": "à payer", "overdue": "en retard"}
METHOD_WORDS: dict[str, str] = {
    PaymentMethod.ONLINE: "en ligne",
    PaymentMethod.CHEQUE: "chèque",
    PaymentMethod.CASH: "espèces",
    PaymentMethod.CESU: "CESU",
    PaymentMethod.TRANSFER: "virement",
}
COLUMNS = {
    INVOICES: ["numero", "reference", "date_emission", "reference_famille", "famille", "periode_debut",
               "periode_fin", "total", "echeance", "regle", "reste_du", "etat"],
    CREDIT_NOTES: ["numero", "reference", "date_emission", "facture_corrigee", "reference_famille", "famille",
                   "periode_debut", "periode_fin", "montant", "motif"],
    PAYMENTS: ["date_reception", "moyen", "numero_recu", "montant", "reference_famille", "famille",
               "factures_reglees", "non_affecte", "saisi_le", "operation", "date_annulation", "motif_annulation"],
}  # fmt: skip


def amount(cents: int) -> Decimal:
    """42,00 € as Decimal('42.00'): exact, two decimals, a dot once written."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


@dataclass
class Export:
    kind: str
    columns: list[str]
    rows: list[list[Any]]


def _documents(structure: Structure, kind: str, start: datetime.date, end: datetime.date, by: str) -> QuerySet[Invoice]:
    documents = Invoice.objects.filter(structure=structure, kind=kind)
    # A credit note copies the period of the invoice it corrects: by billed
    # month it would land in a month already exported. Always by its issue date.
    if by == BILLED_MONTH and kind == InvoiceKind.INVOICE:
        documents = documents.filter(period_start__range=(start, end))
    else:
        tz = timezone.get_current_timezone()
        since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
        until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        documents = documents.filter(issued_at__gte=since, issued_at__lt=until)
    return documents.select_related("family", "corrects").order_by("year", "number")


def _date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _moment(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment).replace(microsecond=0, tzinfo=None)


def _payment_rows(structure: Structure, start: datetime.date, end: datetime.date) -> list[list[Any]]:
    """The payments received in the period, and the cancellations made in it
    (see the module's docstring), in the order of their day."""
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    payments = (
        Payment.objects.filter(structure=structure)
        .filter(Q(received_on__range=(start, end)) | Q(cancelled_at__gte=since, cancelled_at__lt=until))
        .select_related("family")
        .prefetch_related("allocations__invoice")
    )
    dated: list[tuple[datetime.date, int, int, list[Any]]] = []
    for payment in payments:
        method = METHOD_WORDS.get(payment.method, payment.method)
        family = [payment.family.reference, str(payment.family)]
        cancelled = _date(payment.cancelled_at) if payment.cancelled_at else None
        if start <= payment.received_on <= end:
            allocations = sorted(payment.allocations.all(), key=lambda a: (a.invoice.year, a.invoice.number))
            settled = " ".join(f"{a.invoice.reference}:{amount(a.amount_cents)}" for a in allocations)
            left = payment.amount_cents - sum(a.amount_cents for a in allocations) if cancelled is None else 0
            row = [payment.received_on, method, payment.receipt_number, amount(payment.amount_cents), *family,
                   settled, amount(left), _moment(payment.recorded_at), PAYMENT_ROW, cancelled or "",
                   payment.cancellation_reason]  # fmt: skip
            dated.append((payment.received_on, 0, payment.pk, row))
        if cancelled is not None and start <= cancelled <= end:
            assert payment.cancelled_at is not None
            row = [payment.received_on, method, payment.receipt_number, amount(-payment.amount_cents), *family,
                   "", amount(0), _moment(payment.cancelled_at), CANCELLATION_ROW, cancelled,
                   payment.cancellation_reason]  # fmt: skip
            dated.append((cancelled, 1, payment.pk, row))
    return [row for *_key, row in sorted(dated, key=lambda item: item[:3])]


def build(
    structure: Structure,
    kind: str,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
    *,
    by: str = BILLED_MONTH,
) -> Export:
    """The rows of one export (`kind`: INVOICES, CREDIT_NOTES or PAYMENTS;
    `by`: BILLED_MONTH or ISSUED for invoices and credit notes)."""
    rows: list[list[Any]] = []
    if kind == INVOICES:
        for invoice in _documents(structure, InvoiceKind.INVOICE, start, end, by):
            rows.append([
                invoice.number, invoice.reference, _date(invoice.issued_at), invoice.family.reference,
                invoice.family_name, invoice.period_start, invoice.period_end, amount(invoice.total_cents),
                invoice.due_date, amount(invoice.settled_cents), amount(invoice.due_cents),
                STATE_WORDS[ledger.invoice_state(invoice, today)],
            ])  # fmt: skip
    elif kind == CREDIT_NOTES:
        for note in _documents(structure, InvoiceKind.CREDIT_NOTE, start, end, by):
            rows.append([
                note.number, note.reference, _date(note.issued_at), note.corrects.reference if note.corrects else "",
                note.family.reference, note.family_name, note.period_start, note.period_end,
                amount(note.total_cents), note.reason,
            ])  # fmt: skip
    elif kind == PAYMENTS:
        rows = _payment_rows(structure, start, end)
    else:
        raise ValueError(kind)
    return Export(kind, COLUMNS[kind], rows)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Left a number (written "-1000.50"): the formula guard of
        # lib.spreadsheets is for text, and would quote a negative amount.
        return value.quantize(Decimal("0.01"))
    return value


def to_csv(export: Export) -> str:
    """The export as a CSV (lib.spreadsheets: UTF-8 with a BOM, ';', CRLF, no formula)."""
    return excel_csv(export.columns, ([_csv_cell(v) for v in row] for row in export.rows))


def to_xlsx(export: Export) -> bytes:
    """The export as an Excel workbook: amounts as numbers with two decimals, dates as ISO dates."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one worksheet, active
    sheet.title = export.kind
    sheet.append(export.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in export.rows:
        sheet.append(safe_row(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal | float):
                cell.number_format = "0.00"
            elif isinstance(cell.value, datetime.datetime):
                cell.number_format = "YYYY-MM-DD HH:MM:SS"
            elif isinstance(cell.value, datetime.date):
                cell.number_format = "YYYY-MM-DD"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_for_screen(export: Export) -> Iterable[Sequence[str]]:
    """The rows as the page shows them (the same text as the CSV)."""
    return ([str(_csv_cell(v)) for v in row] for row in export.rows)
