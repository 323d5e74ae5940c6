"""The e-mail of a new invoice (issue 16 point 2): « Votre facture de novembre
est disponible », with its number, amount and due date and a link to the
family's « Factures » page in the invoice's structure (links.py), queued in
the outbox (N4) to each address of the family's accounts, each in its
account's language.

It answers billing.signals.invoices_issued (connected in BillingConfig.ready())
inside the issuing transaction: the e-mails commit or roll back with the
invoices, and a dedupe key per invoice and address means a second call queues
nothing twice. Invoice.emailed_at says which invoices were announced; a family
without an e-mail address has none (staff see it on the invoice's page).
"""

from types import SimpleNamespace

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.html import escape

from portail.billing.models import Invoice, InvoiceKind
from portail.billing.money import euros
from portail.lib.dates import MONTH_NAMES, long_date
from portail.notifications.models import OutboxEmail
from portail.notifications.outbox import recipient_languages, render_email
from portail.notifications.reports import family_emails
from portail.structures.models import Structure

KIND = "facture"  # OutboxEmail.kind, shown as such on the staff's e-mail screen
TEMPLATE = "billing/email/invoice"
CHUNK = 500  # ids per query (SQLite's limit on a statement's variables)


def invoices_url(structure_id: int | None = None) -> str:
    """The family's « Factures » page in the invoice's structure: through
    billing:open_invoices (links.py), which switches an account of several
    structures to that one first (without a structure: the page of the
    structure being consulted). Its home page if neither exists, so an
    e-mail never fails the issuing of invoices."""
    try:
        if structure_id is None:
            path = reverse("family:invoices")
        else:
            path = reverse("billing:open_invoices", kwargs={"structure_id": structure_id})
    except NoReverseMatch:
        path = reverse("family:home")
    return settings.SITE_URL + path


# What differs from one invoice of a run to the next. The e-mail is rendered
# once per language, structure, month and due date with these marks in their
# place (a private-use character: never in a name, never escaped, not a space),
# then each invoice's values are put in: escaped in the HTML, as they are in
# the text. 20,000 invoices are then 20,000 string replacements, not 60,000
# template renderings inside the issuing transaction (bench/billing.py).
MARK = "\ue000"
FAMILY_NAME, REFERENCE, AMOUNT = (f"{MARK}{name}{MARK}" for name in ("family", "reference", "amount"))


def invoice_context(invoice: Invoice, structure: Structure, link: str) -> dict:
    """What the three templates show; built in the recipient's language (dates, month)."""
    return {
        "structure": structure,
        "invoice": invoice,
        "month": str(MONTH_NAMES[invoice.period_start.month - 1]),
        "year": invoice.period_start.year,
        "amount": euros(invoice.total_cents),
        "due_day": long_date(invoice.due_date),
        "site_url": link,
    }


def _rendered_with_marks(invoice: Invoice, structure: Structure, link: str, language: str) -> tuple[str, str, str]:
    marked = SimpleNamespace(
        family_name=FAMILY_NAME, reference=REFERENCE, period_start=invoice.period_start, due_date=invoice.due_date,
        total_cents=0,
    )  # fmt: skip
    with translation.override(language):
        context = {**invoice_context(marked, structure, link), "amount": AMOUNT}  # type: ignore[arg-type]
    return render_email(TEMPLATE, context, language)


def _fill(rendered: tuple[str, str, str], invoice: Invoice) -> tuple[str, str, str]:
    subject, text, html = rendered
    values = {FAMILY_NAME: invoice.family_name, REFERENCE: invoice.reference, AMOUNT: euros(invoice.total_cents)}
    for mark, value in values.items():
        subject, text, html = subject.replace(mark, value), text.replace(mark, value), html.replace(mark, escape(value))
    return " ".join(subject.split()), text, html  # a subject is one line, whatever a stored name holds


def _key(invoice_pk: int, address: str) -> str:
    # OutboxEmail.dedupe_key holds 120 characters; an address holds 254.
    return f"invoice:{invoice_pk}:{address}"[:120]


def queue_invoice_emails(invoices) -> int:
    """Queue the e-mail of each invoice (not of credit notes) to its family's
    addresses; set Invoice.emailed_at on those sent to at least one address.
    Returns the number of e-mails queued. Safe to call again."""
    invoices = [i for i in invoices if i.kind == InvoiceKind.INVOICE]
    if not invoices:
        return 0
    family_ids = sorted({i.family_id for i in invoices})
    addresses: dict[int, list[str]] = {}
    for start in range(0, len(family_ids), CHUNK):
        addresses.update(family_emails(family_ids[start : start + CHUNK]))
    structures = Structure.objects.in_bulk({i.structure_id for i in invoices})
    languages = recipient_languages({a for found in addresses.values() for a in found})
    links = {pk: invoices_url(pk) for pk in structures}
    marked: dict[tuple, tuple[str, str, str]] = {}
    rows, announced = [], []
    for invoice in invoices:
        found = addresses.get(invoice.family_id, [])
        if not found:
            continue
        structure = structures[invoice.structure_id]
        for address in found:
            language = languages.get(address, settings.LANGUAGE_CODE)
            key = (language, invoice.structure_id, invoice.period_start, invoice.due_date)
            if key not in marked:
                marked[key] = _rendered_with_marks(invoice, structure, links[invoice.structure_id], language)
            subject, text, html = _fill(marked[key], invoice)
            rows.append(
                OutboxEmail(
                    kind=KIND, to=address, subject=subject, body_text=text, body_html=html, structure=structure,
                    dedupe_key=_key(invoice.pk, address),
                )
            )  # fmt: skip
        announced.append(invoice.pk)
    OutboxEmail.objects.bulk_create(rows, ignore_conflicts=True, batch_size=CHUNK)
    now = timezone.now()
    for start in range(0, len(announced), CHUNK):
        Invoice.objects.filter(pk__in=announced[start : start + CHUNK], emailed_at=None).update(emailed_at=now)
    return len(rows)


def on_invoices_issued(sender, invoices, **kwargs):
    """Receiver of billing.signals.invoices_issued (in the issuing transaction)."""
    queue_invoice_emails(invoices)
