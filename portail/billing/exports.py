"""Exports of the régie for an accounting department (issue 16 point 5): the
invoices, the credit notes and the payments of a structure over a period, as
CSV and XLSX, one row per document.

Made to be imported, not read: ISO dates (2026-11-30), amounts in euros with a
dot and two decimals (42.00; numbers with two decimals in XLSX), the same
French column names and state words whatever the language of the screen, every
cell through the spreadsheet guard (lib.spreadsheets: no formula, no control
character). Documents are in the period by their issue date (invoices, credit
notes, in the structure's time zone) or the day the payment was received.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
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
               "factures_reglees", "non_affecte", "saisi_le"],
}  # fmt: skip


def amount(cents: int) -> Decimal:
    """42,00 € as Decimal('42.00'): exact, two decimals, a dot once written."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


@dataclass
class Export:
    kind: str
    columns: list[str]
    rows: list[list[Any]]


def _issued_between(structure: Structure, kind: str, start: datetime.date, end: datetime.date) -> QuerySet[Invoice]:
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return (
        Invoice.objects.filter(structure=structure, kind=kind, issued_at__gte=since, issued_at__lt=until)
        .select_related("family", "corrects")
        .order_by("year", "number")
    )


def _date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def build(structure: Structure, kind: str, start: datetime.date, end: datetime.date, today: datetime.date) -> Export:
    """The rows of one export (`kind`: INVOICES, CREDIT_NOTES or PAYMENTS)."""
    rows: list[list[Any]] = []
    if kind == INVOICES:
        for invoice in _issued_between(structure, InvoiceKind.INVOICE, start, end):
            rows.append([
                invoice.number, invoice.reference, _date(invoice.issued_at), invoice.family.reference,
                invoice.family_name, invoice.period_start, invoice.period_end, amount(invoice.total_cents),
                invoice.due_date, amount(invoice.settled_cents), amount(invoice.due_cents),
                STATE_WORDS[ledger.invoice_state(invoice, today)],
            ])  # fmt: skip
    elif kind == CREDIT_NOTES:
        for note in _issued_between(structure, InvoiceKind.CREDIT_NOTE, start, end):
            rows.append([
                note.number, note.reference, _date(note.issued_at), note.corrects.reference if note.corrects else "",
                note.family.reference, note.family_name, note.period_start, note.period_end,
                amount(note.total_cents), note.reason,
            ])  # fmt: skip
    elif kind == PAYMENTS:
        payments = (
            Payment.objects.filter(structure=structure, received_on__range=(start, end))
            .select_related("family")
            .prefetch_related("allocations__invoice")
            .order_by("received_on", "pk")
        )
        for payment in payments:
            allocations = sorted(payment.allocations.all(), key=lambda a: (a.invoice.year, a.invoice.number))
            settled = " ".join(f"{a.invoice.reference}:{amount(a.amount_cents)}" for a in allocations)
            left = payment.amount_cents - sum(a.amount_cents for a in allocations)
            rows.append([
                payment.received_on, METHOD_WORDS.get(payment.method, payment.method), payment.receipt_number,
                amount(payment.amount_cents), payment.family.reference, str(payment.family), settled, amount(left),
                timezone.localtime(payment.recorded_at).replace(microsecond=0, tzinfo=None),
            ])  # fmt: skip
    else:
        raise ValueError(kind)
    return Export(kind, COLUMNS[kind], rows)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
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
