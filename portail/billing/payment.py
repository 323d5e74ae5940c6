"""The online payment providers (issue 16 point 4), behind one small interface.

A structure chooses its provider in BillingSettings: `payment_backend` is an
eopayment backend ("payfip_ws" for a régie and its PayFiP client number,
"payzen", "systempayv2", "sips2") with its `payment_options`, or
"simulated", the local simulated bank (portail/simbank) of the demo and the
tests, which is reached the same way: the parent is sent out to the bank,
the bank notifies us server to server, the parent comes back.

Every provider answers the same three questions:

- `start(online_payment, return_url, notify_url, email)` -> Outgoing: where to
  send the parent (a URL, or a form to post for the backends that want one);
- `parse(data)` -> Answer: what a notification (query string or body) says,
  signature checked by the provider;
- `status(online_payment)` -> Answer | None: ask the provider now, server to
  server (None when it cannot be asked).

None of them decides anything: billing.online does, from the Answer.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portail.billing.models import OnlinePaymentStatus
from portail.lib import signed_fields

if TYPE_CHECKING:
    from portail.billing.models import BillingSettings, OnlinePayment

logger = logging.getLogger(__name__)

SIMULATED = "simulated"
# The eopayment backends a structure may choose: the ones whose answers say
# the amount paid (checked against ours) and which we have read. Not "tipi"
# (TIPI's former interface, replaced by PayFiP): its notification is a plain
# query string that eopayment reports as signed, so anyone knowing an order's
# reference (the parent sees it in the bank's URL) could post "paid".
EOPAYMENT_BACKENDS = ("payfip_ws", "payzen", "systempayv2", "sips2")
# Where each backend's answer carries the amount, in cents.
_AMOUNT_FIELD = {
    "payfip_ws": "montant",
    "payzen": "vads_amount",
    "systempayv2": "vads_amount",
    "sips2": "amount",
}
# Seconds a server-to-server call may wait (a notification, a status check):
# short, the parent or the worker is waiting.
TIMEOUT = 10


class PaymentUnavailable(Exception):
    """No online payment now (no backend, a misconfigured one, nothing due); the message is French."""


class ProviderError(Exception):
    """An answer that cannot be read or verified, or a provider that cannot be reached (for the log)."""


@dataclass(frozen=True)
class Outgoing:
    """Where the parent goes to pay: `url`, with `fields` to post (empty: a plain redirect)."""

    url: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """A provider's word about one payment. `status` is an OnlinePaymentStatus
    value; `amount_cents` None when the provider does not say it (a paid
    answer without it is refused by billing.online.handle_answer)."""

    order_id: str
    transaction_id: str
    amount_cents: int | None
    status: str
    signed: bool
    bank_data: dict[str, Any] = field(default_factory=dict)
    # What to answer the provider's notification (some backends expect a body).
    return_content: str | None = None


def http_post(url: str, data: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """POST a form server to server; (status, body). The tests replace it to go
    through Django's test client instead of the network."""
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 (our own configured URL)
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _single_values(data: str | bytes) -> dict[str, str]:
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    try:
        parsed = urllib.parse.parse_qs(data, keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except ValueError as error:
        raise ProviderError(f"unreadable answer: {error}") from None
    return {name: values[-1] for name, values in parsed.items()}


class SimulatedBank:
    """The local simulated bank (portail/simbank), spoken to over HTTP with
    HMAC-signed fields (portail.lib.signed_fields), like a real provider.

    Options: `merchant` (default: the structure's id), `service_url` (default:
    the bank's page at the portal's own address)."""

    kind = SIMULATED
    _RESULTS = {
        "paid": OnlinePaymentStatus.PAID,
        "refused": OnlinePaymentStatus.REFUSED,
        "abandoned": OnlinePaymentStatus.ABANDONED,
        "pending": OnlinePaymentStatus.PENDING,
        "unknown": OnlinePaymentStatus.PENDING,
    }

    def __init__(self, structure_id: int, options: dict[str, Any]) -> None:
        self.merchant = str(options.get("merchant") or structure_id)
        self.key = signed_fields.merchant_key(self.merchant)
        self.service_url = str(options.get("service_url") or "")

    def start(self, online_payment: OnlinePayment, return_url: str, notify_url: str, email: str = "") -> Outgoing:
        # The bank lives in the same process: its address is the portal's own,
        # taken from the notification URL (the address the parent reached us at).
        origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(notify_url))
        pay_url = self.service_url or origin + reverse("simbank:pay")
        online_payment.bank_data = {"status_url": origin + reverse("simbank:status")}
        fields = signed_fields.sign(
            {
                "merchant": self.merchant,
                "order": online_payment.order_id,
                "amount": str(online_payment.amount_cents),
                "label": str(_("Factures {references}")).format(references=online_payment_label(online_payment)),
                "return_url": return_url,
                "notify_url": notify_url,
            },
            self.key,
        )
        return Outgoing(f"{pay_url}?{urllib.parse.urlencode(fields)}")

    def reference_to_check(self, data: str | bytes) -> str | None:
        """None: the bank's notification is signed, nothing is asked before (see EopaymentProvider)."""
        return None

    def parse(self, data: str | bytes) -> Answer:
        fields = _single_values(data)
        missing = {"merchant", "order", "amount", "result", "signature"} - fields.keys()
        if missing:
            raise ProviderError(f"simulated bank: missing {sorted(missing)}")
        if fields["merchant"] != self.merchant:
            raise ProviderError("simulated bank: another merchant")
        status = self._RESULTS.get(fields["result"])
        if status is None:
            raise ProviderError("simulated bank: unknown result")
        amount = fields["amount"]
        if not (amount.isascii() and amount.isdigit() and len(amount) < 12):
            raise ProviderError("simulated bank: malformed amount")
        return Answer(
            order_id=fields["order"],
            transaction_id=fields.get("transaction", ""),
            amount_cents=int(amount),
            status=status,
            signed=signed_fields.is_signed(fields, self.key),
            bank_data={k: v for k, v in fields.items() if k != "signature"},
            return_content="OK",
        )

    def status(self, online_payment: OnlinePayment) -> Answer | None:
        url = (online_payment.bank_data or {}).get("status_url")
        if not url:
            return None
        query = signed_fields.sign({"merchant": self.merchant, "order": online_payment.order_id}, self.key)
        try:
            code, body = http_post(url, query, TIMEOUT)
        except OSError as error:
            raise ProviderError(f"simulated bank unreachable: {error}") from None
        if code != 200:
            raise ProviderError(f"simulated bank status: HTTP {code}")
        return self.parse(body)


def online_payment_label(online_payment: OnlinePayment) -> str:
    """The invoices' references, for the bank's page and statement."""
    return ", ".join(online_payment.invoices.order_by("year", "number").values_list("reference", flat=True))


# A PayFiP operation id (a UUID-like string): checked before it is sent to
# PayFiP's web service, so that anyone posting to the notification URL cannot
# make us send it anything else.
_PAYFIP_IDOP = re.compile(r"[A-Za-z0-9-]{1,64}")


def _payfip_notification(data: str) -> str:
    """PayFiP notifies `idOp=<id>` (its specification, and eopayment's own
    `guess`), but eopayment 3.15's payfip_ws `response()` reads only `idop`:
    hand it `idop`, whichever casing came. Two different ids, or none, or a
    malformed one, is a ProviderError (nothing is asked of PayFiP)."""
    try:
        parsed = urllib.parse.parse_qs(data, keep_blank_values=True, max_num_fields=50)
    except ValueError as error:
        raise ProviderError(f"payfip_ws: unreadable notification: {error}") from None
    ids = {value for name, values in parsed.items() if name.lower() == "idop" for value in values}
    if len(ids) != 1:
        raise ProviderError(f"payfip_ws: {len(ids)} operation ids in the notification")
    idop = ids.pop()
    if not _PAYFIP_IDOP.fullmatch(idop):
        raise ProviderError("payfip_ws: malformed operation id")
    return urllib.parse.urlencode({"idop": idop})


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class EopaymentProvider:
    """A real provider through eopayment (Entr'ouvert): PayFiP/TIPI for a régie
    (options: `numcli`, the régie's PayFiP client number, `saisie` T/X/W),
    PayZen / SystemPay, SIPS 2… with the options its backend describes."""

    # eopayment's result -> ours. ACCEPTED (authorised, not captured) is not
    # money received yet: still pending.
    _RESULTS = {
        3: OnlinePaymentStatus.PAID,  # PAID
        4: OnlinePaymentStatus.REFUSED,  # DENIED
        5: OnlinePaymentStatus.ABANDONED,  # CANCELLED
        7: OnlinePaymentStatus.ABANDONED,  # EXPIRED
        1: OnlinePaymentStatus.PENDING,  # RECEIVED
        2: OnlinePaymentStatus.PENDING,  # ACCEPTED
        6: OnlinePaymentStatus.PENDING,  # WAITING
        99: OnlinePaymentStatus.ERROR,  # ERROR
    }

    def __init__(self, kind: str, options: dict[str, Any]) -> None:
        self.kind = kind
        self.options = dict(options)

    def _payment(self, return_url: str = "", notify_url: str = "") -> Any:
        import eopayment

        options = {**self.options, "normal_return_url": return_url, "automatic_return_url": notify_url}
        return eopayment.Payment(self.kind, options, logger=logger)

    def start(self, online_payment: OnlinePayment, return_url: str, notify_url: str, email: str = "") -> Outgoing:
        import eopayment

        try:
            transaction_id, kind, data = self._payment(return_url, notify_url).request(
                Decimal(online_payment.amount_cents) / 100,
                email=email,
                orderid=online_payment.order_id,
                subject=online_payment_label(online_payment),
            )
        except Exception as error:  # eopayment raises ValueError, PaymentException, zeep's and requests' errors
            logger.warning("online payment %s: %s refused the request: %r", online_payment.order_id, self.kind, error)
            raise PaymentUnavailable(
                _("Le paiement en ligne est indisponible pour le moment : réessayez plus tard.")
            ) from None
        online_payment.transaction_id = str(transaction_id)[:128]
        if kind == eopayment.URL:
            return Outgoing(str(data))
        if kind == eopayment.FORM and str(getattr(data, "method", "POST")).upper() == "POST":
            return Outgoing(str(data.url), {str(f["name"]): str(f["value"]) for f in data.fields})
        logger.warning(
            "online payment %s: %s answered a kind we do not send (%r)", online_payment.order_id, self.kind, kind
        )
        raise PaymentUnavailable(_("Le paiement en ligne est indisponible pour le moment : réessayez plus tard."))

    def _answer(self, response: Any) -> Answer:
        bank_data = response.bank_data or {}
        raw = bank_data.get(_AMOUNT_FIELD.get(self.kind, ""))
        if isinstance(raw, list):
            raw = raw[-1] if raw else None
        amount = int(raw) if isinstance(raw, str | int) and str(raw).isdigit() else None
        return Answer(
            order_id=str(response.order_id or ""),
            transaction_id=str(response.transaction_id or ""),
            amount_cents=amount,
            status=self._RESULTS.get(response.result, OnlinePaymentStatus.ERROR),
            signed=bool(response.signed),
            bank_data=_jsonable(bank_data),
            return_content=response.return_content,
        )

    def reference_to_check(self, data: str | bytes) -> str | None:
        """The operation id a PayFiP notification names, read without asking
        PayFiP: its web service is asked only about an operation we started
        (billing.views.notify checks it), so that nobody can make us call it
        for anything posted to the notification URL. None for the backends
        whose notification carries its own signed answer."""
        if self.kind != "payfip_ws":
            return None
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        return urllib.parse.parse_qs(_payfip_notification(data))["idop"][0]

    def parse(self, data: str | bytes) -> Answer:
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        if self.kind == "payfip_ws":
            data = _payfip_notification(data)
        try:
            return self._answer(self._payment().response(data))
        except Exception as error:  # eopayment's ResponseError, a backend's parsing errors, the network
            raise ProviderError(f"{self.kind}: {error!r}") from None

    def status(self, online_payment: OnlinePayment) -> Answer | None:
        payment = self._payment()
        if not payment.has_payment_status or not online_payment.transaction_id:
            return None
        try:
            response = payment.payment_status(
                online_payment.transaction_id, transaction_date=online_payment.created_at, timeout=TIMEOUT
            )
        except NotImplementedError:
            return None
        except Exception as error:
            raise ProviderError(f"{self.kind} status: {error!r}") from None
        return self._answer(response)


Provider = SimulatedBank | EopaymentProvider


def provider_for(billing: BillingSettings | None) -> Provider | None:
    """The structure's provider, or None: no backend chosen, the simulated bank
    outside development and tests (settings.SIMULATED_BANK), or a backend we
    do not support."""
    if billing is None or not billing.payment_backend:
        return None
    options = billing.payment_options if isinstance(billing.payment_options, dict) else {}
    if billing.payment_backend == SIMULATED:
        return SimulatedBank(billing.structure_id, options) if settings.SIMULATED_BANK else None
    if billing.payment_backend in EOPAYMENT_BACKENDS:
        return EopaymentProvider(billing.payment_backend, options)
    logger.warning("structure %s: unknown payment backend %r", billing.structure_id, billing.payment_backend)
    return None
