"""An invoice or a credit note as PDF (issue 16 point 2): A4, the structure's
name, address and identifiers (BillingSettings: legal name, SIRET, régie
number), the family as it was at issue (Invoice.family_name/address), the
period, the lines (child, activity, days, quantity × unit price, amount), the
total, the due date, the ways to pay and the reference to quote. A credit note
says « Avoir » and which invoice it corrects.

The document's template is reportlab's SimpleDocTemplate with the portal's
numbered canvas (web/pdf.py, shared with the staff's attendance sheets): the
lines' table repeats its header on every page, so a long invoice runs over
several pages (about thirty lines a page) with « Page n / total » and the
reference in each page's footer. The text is written in the active language
(the family's or the staff member's request).
"""

import datetime
import io

from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from portail.billing.models import BillingSettings, Invoice, InvoiceKind
from portail.billing.money import euros
from portail.lib.dates import long_date, short_day
from portail.lib.validators import strip_control_characters
from portail.web.pdf import MARGIN, NumberedCanvas, escape

WIDTH = A4[0] - 2 * MARGIN


def money(cents: int) -> str:
    """euros() for the PDF's standard fonts: they have the no-break space but
    not the narrow one euros() puts between thousands."""
    return euros(cents).replace("\u202f", "\u00a0")


def _lines_text(text: str) -> str:
    """A multi-line text (an address, the ways to pay) as Paragraph markup."""
    return "<br/>".join(escape(line) for line in text.splitlines() if line.strip())


def _days(iso_days) -> str:
    days = []
    for value in iso_days or []:
        try:
            days.append(short_day(datetime.date.fromisoformat(str(value))))
        except ValueError:
            continue  # a line is written by the invoicing; nothing else is ever there
    return ", ".join(days)


def _title(invoice: Invoice) -> str:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return gettext("Avoir n° %(reference)s") % {"reference": invoice.reference}
    return gettext("Facture n° %(reference)s") % {"reference": invoice.reference}


def _issuer(invoice: Invoice, settings: BillingSettings | None, styles) -> list:
    structure = invoice.structure
    parts = [f"<b>{escape(structure.name)}</b>"]
    if settings is not None and settings.legal_name and settings.legal_name != structure.name:
        parts.append(escape(settings.legal_name))
    if structure.address:
        parts.append(_lines_text(structure.address))
    contact = " — ".join(escape(v) for v in (structure.phone, structure.email) if v)
    if contact:
        parts.append(contact)
    if settings is not None and settings.siret:
        parts.append(gettext("SIRET : %(siret)s") % {"siret": escape(settings.siret)})
    if settings is not None and settings.regie_number:
        parts.append(gettext("Régie n° %(number)s") % {"number": escape(settings.regie_number)})
    return [Paragraph("<br/>".join(parts), styles["Normal"])]


def _recipient(invoice: Invoice, styles) -> list:
    text = f"<b>{escape(invoice.family_name)}</b>"
    if invoice.family_address:
        text += "<br/>" + _lines_text(invoice.family_address)
    return [Paragraph(text, styles["Normal"])]


def _facts(invoice: Invoice, styles) -> list:
    # « un avoir » is masculine, « une facture » feminine.
    issued = gettext("Émis le %(day)s") if invoice.kind == InvoiceKind.CREDIT_NOTE else gettext("Émise le %(day)s")
    facts = [
        issued % {"day": long_date(invoice.issued_at.date())},
        gettext("Période du %(start)s au %(end)s")
        % {"start": f"{invoice.period_start:%d/%m/%Y}", "end": f"{invoice.period_end:%d/%m/%Y}"},
    ]
    if invoice.kind == InvoiceKind.CREDIT_NOTE and invoice.corrects is not None:
        facts.append(
            gettext("Avoir sur la facture n° %(reference)s") % {"reference": escape(invoice.corrects.reference)}
        )
        if invoice.reason:
            facts.append(gettext("Motif : %(reason)s") % {"reason": escape(invoice.reason)})
    return [Paragraph(fact, styles["Normal"]) for fact in facts]


def _lines_table(invoice: Invoice, styles) -> Table:
    cell = styles["BodyText"].clone("invoice-cell", fontSize=8.5, leading=10.5)
    right = cell.clone("invoice-cell-right", alignment=2)
    header = [
        gettext("Enfant"),
        gettext("Activité"),
        gettext("Jours"),
        gettext("Quantité × prix unitaire"),
        gettext("Montant"),
    ]
    rows = [header]
    for line in invoice.lines.all():
        quantity = f"{line.quantity} × {money(line.unit_price_cents)}"
        rows.append(
            [
                Paragraph(escape(line.child_name), cell),
                Paragraph(escape(line.label), cell),
                Paragraph(escape(_days(line.dates)), cell),
                Paragraph(escape(quantity), right),
                Paragraph(escape(money(line.amount_cents)), right),
            ]
        )
    rows.append(["", "", "", Paragraph(f"<b>{escape(gettext('Total'))}</b>", right),
                 Paragraph(f"<b>{escape(money(invoice.total_cents))}</b>", right)])  # fmt: skip
    widths = [34 * mm, 38 * mm, None, 34 * mm, 24 * mm]
    widths[2] = WIDTH - sum(w for w in widths if w is not None)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("GRID", (0, 0), (-1, -2), 0.5, colors.grey),
                ("BOX", (3, -1), (-1, -1), 0.5, colors.grey),
                ("INNERGRID", (3, -1), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (3, 0), (-1, 0), "RIGHT"),
            ]
        )
    )
    return table


def _paid_on(invoice: Invoice) -> datetime.date | None:
    """The day of the last payment allotted to the invoice (None when only
    credit notes settled it)."""
    days = [a.payment.received_on for a in invoice.allocations.select_related("payment")]
    return max(days, default=None)


def _what_is_due(invoice: Invoice) -> list[str]:
    """What the family still owes, as the document is printed: a paid invoice
    says it is paid, a partly paid one its remainder."""
    due_day = long_date(invoice.due_date)
    if invoice.settled_cents <= 0:
        return [
            gettext("Montant à payer : %(amount)s, avant le %(day)s")
            % {"amount": money(invoice.total_cents), "day": due_day}
        ]
    texts = []
    if invoice.due_cents <= 0:
        paid_on = _paid_on(invoice)
        texts.append(
            gettext("Facture acquittée le %(day)s") % {"day": long_date(paid_on)}
            if paid_on is not None
            else gettext("Facture soldée par avoir")
        )
    texts.append(
        gettext("Déjà réglé : %(amount)s") % {"amount": money(min(invoice.settled_cents, invoice.total_cents))}
    )
    if invoice.due_cents <= 0:
        texts.append(gettext("Reste à payer : %(amount)s") % {"amount": money(0)})
    else:
        texts.append(
            gettext("Reste à payer : %(amount)s, avant le %(day)s")
            % {"amount": money(invoice.due_cents), "day": due_day}
        )
    return texts


def _payment(invoice: Invoice, settings: BillingSettings | None, styles) -> list:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return [
            Paragraph(gettext("Cet avoir est déduit de ce que vous devez, ou reste à votre crédit."), styles["Normal"])
        ]
    story = [
        *(Paragraph(f"<b>{escape(text)}</b>", styles["Normal"]) for text in _what_is_due(invoice)),
        Paragraph(
            escape(
                gettext("Référence à rappeler avec votre paiement : %(reference)s") % {"reference": invoice.reference}
            ),
            styles["Normal"],
        ),
    ]
    if settings is not None and settings.payment_ways.strip():
        story += [
            Spacer(1, 3 * mm),
            Paragraph(f"<b>{escape(gettext('Moyens de paiement'))}</b>", styles["Normal"]),
            Paragraph(_lines_text(settings.payment_ways), styles["Normal"]),
        ]
    return story


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice (or credit note) `invoice` as a PDF document."""
    invoice = Invoice.objects.select_related("structure", "corrects").prefetch_related("lines").get(pk=invoice.pk)
    settings = BillingSettings.objects.filter(structure_id=invoice.structure_id).first()
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    title = _title(invoice)
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=14 * mm,
        title=title, author=invoice.structure.name, subject=invoice.family_name,
    )  # fmt: skip
    parties = Table(
        [[_issuer(invoice, settings, styles), _recipient(invoice, styles)]],
        colWidths=[WIDTH * 0.55, WIDTH * 0.45],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story = [
        parties,
        Spacer(1, 6 * mm),
        Paragraph(escape(title), styles["Title"]),
        *_facts(invoice, styles),
        Spacer(1, 4 * mm),
        _lines_table(invoice, styles),
        Spacer(1, 5 * mm),
        *_payment(invoice, settings, styles),
    ]
    footer = strip_control_characters(f"{title} — {invoice.structure.name}")
    doc.build(story, canvasmaker=lambda *a, **k: NumberedCanvas(*a, footer=footer, **k))
    return buffer.getvalue()


def pdf_filename_parts(invoice: Invoice) -> list[object]:
    """What the downloaded file is named from (lib.downloads.content_disposition)."""
    kind = gettext("avoir") if invoice.kind == InvoiceKind.CREDIT_NOTE else gettext("facture")
    return [kind, invoice.reference]
