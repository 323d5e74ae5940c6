"""An online payment's life (issue 16 point 4): started by the parent, answered
by the provider only.

    start ──> PENDING ──(notification / status check says paid)──> PAID (one Payment)
                 │ ──(says refused)──> REFUSED
                 │ ──(says abandoned or expired)──> ABANDONED
                 └──(nobody answers)──> checked again by the worker, every pass,
                     after PENDING_RECHECK_AFTER; given up after GIVE_UP_AFTER

The parent's return never changes anything by itself: the return page only
asks the provider, server to server, like the worker does. Every answer goes
through `handle_answer`, under the OnlinePayment's row lock: the first that
says paid records ONE Payment (ledger.record_payment, method online) and sets
OnlinePayment.payment; a second notification, a status check or the return
at the same moment wait for the lock, then find it paid and record nothing.
A paid answer wins over an earlier refusal or abandonment (money taken is
always recorded); nothing else changes a payment once answered. A paid answer
must say the amount (every backend we allow does) and it must be ours.

« Payer en ligne » clicked twice (a double click, or the parent back on the
page a minute later) does not make a second order at the bank: `start` keeps
what the provider answered (the Outgoing) in bank_data and, for the same
invoices, amount and backend, still « en cours » and started less than
REUSE_WITHIN ago, sends the parent to that same order again without asking
the provider (PayFiP would make a new operation id, and the first one's
notification would then match nothing).
"""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Callable

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portail.billing import ledger
from portail.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceKind,
    OnlinePayment,
    OnlinePaymentStatus,
    PaymentMethod,
)
from portail.billing.payment import Answer, Outgoing, PaymentUnavailable, ProviderError, provider_for
from portail.structures.models import Family, Structure

logger = logging.getLogger(__name__)

PENDING_RECHECK_AFTER = datetime.timedelta(minutes=10)
# An order « en cours » is offered again for the same invoices during this
# time (PayFiP's operation id lives 15 minutes: some margin for the parent).
REUSE_WITHIN = datetime.timedelta(minutes=10)
# An order whose provider has not answered yet (no Outgoing kept) blocks a
# second one this long: more than a provider's call may take (payment.TIMEOUT).
STARTING_WITHIN = datetime.timedelta(minutes=1)
# A payment nobody answered for a day is abandoned (PayFiP forgets its own after one).
GIVE_UP_AFTER = datetime.timedelta(days=1)


class AnswerRefused(Exception):
    """An answer that changes nothing: unsigned, unknown order, wrong amount (for the log)."""


def billing_settings(structure: Structure | int) -> BillingSettings | None:
    structure_id = structure if isinstance(structure, int) else structure.pk
    return BillingSettings.objects.filter(structure_id=structure_id).first()


def can_pay_online(structure: Structure | int) -> bool:
    """True when the structure has a payment provider usable now."""
    return provider_for(billing_settings(structure)) is not None


def due_invoices(family: Family, invoice_id: int | None = None) -> list[Invoice]:
    """The family's invoices with something left to pay, oldest first (or just `invoice_id`, if due)."""
    invoices = Invoice.objects.filter(
        family=family, kind=InvoiceKind.INVOICE, settled_cents__lt=F("total_cents")
    ).order_by("due_date", "year", "number")
    if invoice_id is not None:
        invoices = invoices.filter(pk=invoice_id)
    return list(invoices)


def _new_order_id() -> str:
    # Letters and digits only: every provider takes it as its order reference.
    return f"{timezone.now():%Y%m%d}{secrets.token_hex(10)}"


def _stored_outgoing(online_payment: OnlinePayment) -> Outgoing | None:
    """The Outgoing `start` kept in bank_data, or None (not kept, or not readable)."""
    bank_data = online_payment.bank_data if isinstance(online_payment.bank_data, dict) else {}
    stored = bank_data.get("outgoing")
    if not isinstance(stored, dict) or not isinstance(stored.get("url"), str) or not stored["url"]:
        return None
    fields = stored.get("fields") or {}
    if not isinstance(fields, dict):
        return None
    return Outgoing(stored["url"], {str(name): str(value) for name, value in fields.items()})


def _same_orders(
    family: Family, backend: str, invoices: list[Invoice], amount: int, now: datetime.datetime
) -> list[OnlinePayment]:
    """The family's orders « en cours » for exactly `invoices` and `amount`
    with `backend`, started less than REUSE_WITHIN ago, newest first."""
    wanted = {invoice.pk for invoice in invoices}
    candidates = (
        OnlinePayment.objects.filter(
            family=family,
            status=OnlinePaymentStatus.PENDING,
            backend=backend,
            amount_cents=amount,
            created_at__gt=now - REUSE_WITHIN,
        )
        .prefetch_related("invoices")
        .order_by("-created_at", "-pk")[:10]
    )
    return [c for c in candidates if {invoice.pk for invoice in c.invoices.all()} == wanted]


def start(
    family: Family,
    *,
    actor,
    invoice_id: int | None,
    return_url: Callable[[str], str],
    notify_url: str,
    email: str = "",
) -> tuple[OnlinePayment, Outgoing]:
    """Ask the structure's provider for a payment of the family's invoices due
    (all of them, or `invoice_id`): an OnlinePayment « en cours » and where to
    send the parent. `return_url(order_id)` is the parent's way back.
    The same order « en cours » for the same invoices and amount, started less
    than REUSE_WITHIN ago, is given again (the provider is not asked twice).
    Raises PaymentUnavailable (French message) when it cannot be paid online."""
    provider = provider_for(billing_settings(family.structure_id))
    if provider is None:
        raise PaymentUnavailable(_("Le paiement en ligne n'est pas proposé par votre structure."))
    invoices = due_invoices(family, invoice_id)
    amount = sum(invoice.due_cents for invoice in invoices)
    if amount <= 0:
        raise PaymentUnavailable(_("Il n'y a rien à payer en ligne : vos factures sont réglées."))
    with transaction.atomic():
        # Under the family's lock: two requests at once (two tabs, both
        # parents) see each other's order instead of making two at the bank.
        ledger.lock_family(family.pk)
        now = timezone.now()
        for same in _same_orders(family, provider.kind, invoices, amount, now):
            outgoing = _stored_outgoing(same)
            if outgoing is not None:
                logger.info("online payment %s given again: family %s, %s cents", same.order_id, family.pk, amount)
                return same, outgoing
            if same.created_at > now - STARTING_WITHIN:
                # Its provider has not answered yet (PayFiP's web service may be slow).
                raise PaymentUnavailable(
                    _(
                        "Un paiement en ligne de ces factures vient d'être commencé : patientez quelques secondes puis réessayez."
                    )
                )
        online_payment = OnlinePayment.objects.create(
            structure_id=family.structure_id, family=family, amount_cents=amount, order_id=_new_order_id(),
            backend=provider.kind, created_by=actor,
        )  # fmt: skip
        online_payment.invoices.set(invoices)
    # Outside the transaction: a provider may answer slowly (PayFiP's web
    # service), and no write of anyone else should wait for it.
    try:
        outgoing = provider.start(online_payment, return_url(online_payment.order_id), notify_url, email)
    except PaymentUnavailable:
        online_payment.status = OnlinePaymentStatus.ERROR
        online_payment.answered_at = timezone.now()
        online_payment.save(update_fields=["status", "answered_at"])
        raise
    # The provider may name the transaction (eopayment) and say where to ask
    # later; where it sent the parent is kept to send them there again.
    online_payment.bank_data = {
        **(online_payment.bank_data or {}),
        "outgoing": {"url": outgoing.url, "fields": dict(outgoing.fields)},
    }
    online_payment.save(update_fields=["transaction_id", "bank_data"])
    logger.info("online payment %s started: family %s, %s cents", online_payment.order_id, family.pk, amount)
    return online_payment, outgoing


def started_here(reference: str, *, structure_id: int) -> bool:
    """True when `reference` names an online payment this structure started
    (its order, or the provider's operation id kept at start)."""
    return OnlinePayment.objects.filter(
        Q(order_id=reference) | Q(transaction_id=reference), structure_id=structure_id
    ).exists()


def handle_answer(answer: Answer, *, structure_id: int, now: datetime.datetime | None = None) -> OnlinePayment:
    """Apply a provider's answer (a notification or a status check), once.
    Raises AnswerRefused, recording nothing, when it is unsigned, about an order
    unknown in this structure, paid without saying the amount, or for another
    amount than ours."""
    now = now or timezone.now()
    if not answer.signed:
        raise AnswerRefused(f"unsigned answer for order {answer.order_id!r}")
    if not answer.order_id:
        raise AnswerRefused("answer without an order")
    # Every backend we allow says the amount of a payment: a paid answer that
    # does not cannot be checked against ours, so it is not trusted.
    if answer.status == OnlinePaymentStatus.PAID and answer.amount_cents is None:
        raise AnswerRefused(f"paid answer without an amount for order {answer.order_id!r}")
    with transaction.atomic():
        # PayFiP answers with its own operation id (kept as transaction_id at start).
        online_payment = (
            OnlinePayment.objects.select_for_update()
            .filter(Q(order_id=answer.order_id) | Q(transaction_id=answer.order_id), structure_id=structure_id)
            .order_by("pk")
            .first()
        )
        if online_payment is None:
            raise AnswerRefused(f"unknown order {answer.order_id!r} in structure {structure_id}")
        if answer.amount_cents is not None and answer.amount_cents != online_payment.amount_cents:
            raise AnswerRefused(
                f"order {online_payment.order_id}: amount {answer.amount_cents} instead of {online_payment.amount_cents}"
            )
        online_payment.last_checked_at = now
        fields = ["last_checked_at"]
        if answer.status == OnlinePaymentStatus.PAID and online_payment.payment_id is None:
            if online_payment.status != OnlinePaymentStatus.PENDING:
                logger.warning("online payment %s: paid after %s", online_payment.order_id, online_payment.status)
            online_payment.payment = ledger.record_payment(
                online_payment.family,
                online_payment.amount_cents,
                PaymentMethod.ONLINE,
                receipt_number=(answer.transaction_id or online_payment.order_id)[:50],
                note=f"Paiement en ligne {online_payment.order_id}",
            )
            online_payment.status = OnlinePaymentStatus.PAID
            online_payment.answered_at = now
            online_payment.bank_data = {**(online_payment.bank_data or {}), "answer": answer.bank_data}
            fields += ["payment", "status", "answered_at", "bank_data"]
        elif (
            online_payment.status == OnlinePaymentStatus.PENDING
            and answer.status != OnlinePaymentStatus.PENDING
            and answer.status != OnlinePaymentStatus.PAID
        ):
            online_payment.status = answer.status
            online_payment.answered_at = now
            online_payment.bank_data = {**(online_payment.bank_data or {}), "answer": answer.bank_data}
            fields += ["status", "answered_at", "bank_data"]
        elif answer.status != OnlinePaymentStatus.PENDING and answer.status != online_payment.status:
            logger.warning(
                "online payment %s: %s ignored, already %s",
                online_payment.order_id,
                answer.status,
                online_payment.status,
            )
        online_payment.save(update_fields=fields)
    return online_payment


def check_status(online_payment: OnlinePayment, *, now: datetime.datetime | None = None) -> OnlinePayment:
    """Ask the provider, server to server, about a payment still « en cours »
    and apply its answer. Errors of the provider are logged: the payment stays
    « en cours » (checked again later)."""
    now = now or timezone.now()
    if online_payment.status != OnlinePaymentStatus.PENDING:
        return online_payment
    provider = provider_for(billing_settings(online_payment.structure_id))
    answer = None
    if provider is not None and provider.kind == online_payment.backend:
        try:
            answer = provider.status(online_payment)
            if answer is not None:
                return handle_answer(answer, structure_id=online_payment.structure_id, now=now)
        except (ProviderError, AnswerRefused) as error:
            logger.warning("online payment %s: status check failed: %s", online_payment.order_id, error)
    with transaction.atomic():
        fresh = OnlinePayment.objects.select_for_update().get(pk=online_payment.pk)
        fresh.last_checked_at = now
        fields = ["last_checked_at"]
        if fresh.status == OnlinePaymentStatus.PENDING and now - fresh.created_at > GIVE_UP_AFTER:
            fresh.status = OnlinePaymentStatus.ABANDONED
            fresh.answered_at = now
            fields += ["status", "answered_at"]
            logger.info("online payment %s: no answer after %s, abandoned", fresh.order_id, GIVE_UP_AFTER)
        fresh.save(update_fields=fields)
    return fresh


def pending_to_check(now: datetime.datetime) -> QuerySet[OnlinePayment]:
    """Payments « en cours » started more than PENDING_RECHECK_AFTER ago and not
    checked since then."""
    cutoff = now - PENDING_RECHECK_AFTER
    return OnlinePayment.objects.filter(status=OnlinePaymentStatus.PENDING, created_at__lt=cutoff).filter(
        Q(last_checked_at=None) | Q(last_checked_at__lt=cutoff)
    )


def recheck_pending(sender=None, now: datetime.datetime | None = None, **kwargs) -> str | None:
    """notifications.signals.worker_pass receiver: check again the payments
    left « en cours »; a French line for the worker's log, or None."""
    now = now or timezone.now()
    checked = answered = 0
    # At most 200 a pass: the worker also sends the e-mails; the rest wait for the next pass.
    for online_payment in pending_to_check(now).order_by("created_at")[:200]:
        checked += 1
        if check_status(online_payment, now=now).status != OnlinePaymentStatus.PENDING:
            answered += 1
    if not checked:
        return None
    return ngettext(
        "Paiements en ligne en cours : %(checked)d vérifié auprès de la banque (réponses : %(answered)d).",
        "Paiements en ligne en cours : %(checked)d vérifiés auprès de la banque (réponses : %(answered)d).",
        checked,
    ) % {"checked": checked, "answered": answered}
