"""Reminders of overdue invoices (issue 16 point 5).

Level 1, an e-mail: an invoice still not wholly paid `reminder_after_days`
days after its due date (BillingSettings; at least one day late) gets one
e-mail to each address of its family's accounts, through the outbox. Sent by
the worker once a day (`send_daily`, a receiver of
notifications.signals.worker_pass) and by staff (« Envoyer les relances »).
Each invoice is reminded once: the Reminder row (unique per invoice and level)
is written first, in the transaction that queues the e-mails, so two senders
at once (the worker and a click) send one e-mail.

Level 2, the list to print: the invoices still not paid `reminder_after_days`
days after their e-mail, and those whose family has no e-mail address (they
could not be e-mailed), once past the same delay. Staff print the list (HTML
or CSV) then mark the invoices printed: that records level 2, and they leave
the list.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone, translation
from django.utils.translation import ngettext

from portail.billing.emails import invoices_url
from portail.billing.models import BillingSettings, Invoice, InvoiceKind, Reminder
from portail.billing.money import euros
from portail.lib.dates import long_date, month_year
from portail.notifications.outbox import queue_email, recipient_languages
from portail.notifications.periodic import claim_today
from portail.notifications.reports import family_emails
from portail.structures.models import Structure

logger = logging.getLogger(__name__)

EMAIL, PRINTED = 1, 2
KIND = "relance"  # OutboxEmail.kind, shown as such on the staff's e-mail screen
TEMPLATE = "billing/email/reminder"
DEFAULT_AFTER_DAYS = BillingSettings._meta.get_field("reminder_after_days").default
# The worker's daily pass sends from this hour on (not at night, with the runs).
DAILY_HOUR = 8
CHUNK = 500


def after_days(structure: Structure) -> int:
    """The structure's delay before a reminder, in days (at least 1: a reminder
    never goes on the due date itself)."""
    days = BillingSettings.objects.filter(structure=structure).values_list("reminder_after_days", flat=True).first()
    return max(DEFAULT_AFTER_DAYS if days is None else days, 1)


def _unpaid(structure: Structure) -> QuerySet[Invoice]:
    return Invoice.objects.filter(structure=structure, kind=InvoiceKind.INVOICE, settled_cents__lt=F("total_cents"))


def due_for_email(structure: Structure, today: datetime.date) -> QuerySet[Invoice]:
    """The invoices to remind by e-mail on `today`: unpaid, late by the
    structure's delay, never e-mailed; oldest first."""
    late = today - datetime.timedelta(days=after_days(structure))
    return (
        _unpaid(structure)
        .filter(due_date__lte=late)
        .exclude(Exists(Reminder.objects.filter(invoice=OuterRef("pk"), level=EMAIL)))
        .select_related("family", "structure")
        .order_by("due_date", "year", "number")
    )


@dataclass
class SendResult:
    sent: int  # invoices reminded by e-mail now
    emails: int  # e-mails queued (one per address)
    without_address: int  # invoices whose family has no address: on the list to print


def _context(invoice: Invoice, link: str) -> dict[str, Any]:
    """Built in the recipient's language (the month, the date)."""
    return {
        "family": invoice.family,
        "structure": invoice.structure,
        "invoice": invoice,
        "period": month_year(invoice.period_start.year, invoice.period_start.month),
        "total": euros(invoice.total_cents),
        "left": euros(invoice.due_cents),
        "due_day": long_date(invoice.due_date),
        "site_url": link,
    }


def send_email_reminders(
    structure: Structure, *, now: datetime.datetime | None = None, actor: Any = None
) -> SendResult:
    """E-mail each invoice of `structure` due for a reminder (level 1), once.
    Safe to call again, and at the same time as another sender."""
    now = now or timezone.now()
    invoices = list(due_for_email(structure, timezone.localtime(now).date()))
    addresses: dict[int, list[str]] = {}
    family_ids = sorted({i.family_id for i in invoices})
    for start in range(0, len(family_ids), CHUNK):
        addresses.update(family_emails(family_ids[start : start + CHUNK]))
    languages = recipient_languages({a for found in addresses.values() for a in found})
    link = invoices_url(structure.pk)  # opens this structure for an account of several
    sent = emails = without = 0
    for invoice in invoices:
        found = addresses.get(invoice.family_id, [])
        if not found:
            without += 1
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Reminder.objects.create(invoice=invoice, level=EMAIL, at=now, by=actor)
            except IntegrityError:
                continue  # another sender reminded it just now
            for address in found:
                with translation.override(languages.get(address, settings.LANGUAGE_CODE)):
                    context = _context(invoice, link)
                queued = queue_email(
                    address, TEMPLATE, context, kind=KIND, structure=invoice.structure,
                    dedupe_key=f"reminder:{invoice.pk}:{address}"[:120],
                )  # fmt: skip
                emails += queued is not None
        sent += 1
    return SendResult(sent, emails, without)


def send_daily(sender: Any, now: datetime.datetime, **kwargs: Any) -> str | None:
    """Receiver of notifications.signals.worker_pass: the e-mail reminders of
    every structure, once a day from DAILY_HOUR (notifications.periodic: the
    day is kept in the database; a reminder is never sent twice anyway)."""
    local = timezone.localtime(now)
    if local.hour < DAILY_HOUR:
        return None
    # Once a day, kept in the database (a cron'd `worker --once` passes often).
    if not claim_today("billing.reminders", local.date()):
        return None
    sent = emails = 0
    for structure in Structure.objects.filter(invoices__isnull=False).distinct().order_by("pk"):
        result = send_email_reminders(structure, now=now)
        sent, emails = sent + result.sent, emails + result.emails
    if not sent:
        return None
    return ngettext(
        "Relances : %(count)d facture en retard relancée par e-mail (%(emails)d e-mails).",
        "Relances : %(count)d factures en retard relancées par e-mail (%(emails)d e-mails).",
        sent,
    ) % {"count": sent, "emails": emails}


def emailed_on(structure: Structure, day: datetime.date) -> int:
    """How many invoices of `structure` were reminded by e-mail on `day` (the
    structure's time zone): they reach the list to print `after_days` later."""
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return Reminder.objects.filter(invoice__structure=structure, level=EMAIL, at__gte=since, at__lt=until).count()


# ------------------------------------------------------------------ level 2: the list to print


@dataclass
class PrintRow:
    invoice: Invoice
    emailed_at: datetime.datetime | None  # None: the family has no e-mail address
    printed_at: datetime.datetime | None


def print_list(structure: Structure, today: datetime.date, *, include_printed: bool = False) -> list[PrintRow]:
    """The invoices to remind on paper on `today` (see the module's docstring),
    oldest first; with `include_printed`, also those already printed and still unpaid."""
    delay = after_days(structure)
    late = today - datetime.timedelta(days=delay)
    candidates = list(
        _unpaid(structure)
        .filter(due_date__lte=late)
        .select_related("family")
        .prefetch_related("reminders")
        .order_by("due_date", "year", "number")
    )
    with_address = set(family_emails(sorted({i.family_id for i in candidates}))) if candidates else set()
    rows = []
    for invoice in candidates:
        levels = {r.level: r.at for r in invoice.reminders.all()}
        emailed, printed = levels.get(EMAIL), levels.get(PRINTED)
        if printed is not None and not include_printed:
            continue
        if emailed is not None:
            if timezone.localtime(emailed).date() > late:
                continue  # e-mailed less than `delay` days ago: give it time
        elif invoice.family_id in with_address:
            continue  # its e-mail is still to be sent
        rows.append(PrintRow(invoice, emailed, printed))
    return rows


def mark_printed(
    structure: Structure,
    invoice_ids: list[int],
    *,
    today: datetime.date,
    actor: Any = None,  # the staff member (settings.AUTH_USER_MODEL), None for the worker
    now: datetime.datetime | None = None,
) -> int:
    """Record level 2 for those of `invoice_ids` that are on the structure's
    list to print now (others are ignored: a list printed before a payment
    arrived does not mark the paid invoice); returns how many were marked."""
    wanted = set(invoice_ids)
    rows = [row for row in print_list(structure, today) if row.invoice.pk in wanted]
    now = now or timezone.now()
    created = Reminder.objects.bulk_create(
        [Reminder(invoice=row.invoice, level=PRINTED, at=now, by=actor) for row in rows], ignore_conflicts=True
    )
    return len(created)
