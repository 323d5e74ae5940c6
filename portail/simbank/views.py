"""The simulated bank's pages (issue 16 point 4): what a real provider does,
in miniature.

- `pay` (GET): the merchant's signed request, carried by the parent's browser
  (merchant, order, amount, label, return_url, notify_url, signature): the
  amount and « Payer » / « Refuser » / « Abandonner ». (POST): the choice. Payer
  or Refuser: the bank notifies the merchant server to server (notify_url),
  then sends the parent back (return_url). Abandonner: back without a
  notification; the merchant learns it by asking `status` later.
- `status`: the merchant asks, server to server, what became of an order.

Every message is signed with the merchant's key (portail.lib.signed_fields).
The bank's memory is Django's cache: a simulated bank forgets on restart
(an order it no longer knows is answered « unknown », like a real one after
its retention).
"""

import logging
import secrets
import urllib.parse

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portail.lib import signed_fields
from portail.simbank import transport
from portail.simbank.forms import DecisionForm, PaymentRequestForm, StatusForm
from portail.web.errors import bad_request

logger = logging.getLogger(__name__)

REQUEST_FIELDS = ("merchant", "order", "amount", "label", "return_url", "notify_url", "signature")
MEMORY_SECONDS = 7 * 24 * 3600
RESULTS = {"payer": "paid", "refuser": "refused", "abandonner": "abandoned"}


def _key(merchant, order):
    return f"simbank:{merchant}:{order}"


def _signed_request(form):
    """The request's fields when the merchant signed them, else None."""
    fields = {name: str(form.cleaned_data.get(name) or "") for name in REQUEST_FIELDS}
    return fields if signed_fields.is_signed(fields, signed_fields.merchant_key(fields["merchant"])) else None


def euros(cents):
    whole, rest = divmod(int(cents), 100)
    return f"{whole:,}".replace(",", "\u202f") + f",{rest:02d}\u00a0€"


def _invalid(request):
    return bad_request(
        request, _("Demande de paiement invalide : revenez sur le site de votre structure et recommencez.")
    )


@require_http_methods(["GET", "POST"])
def pay(request):
    form = (DecisionForm if request.method == "POST" else PaymentRequestForm)(request.POST or request.GET)
    fields = _signed_request(form) if form.is_valid() else None
    if fields is None:
        return _invalid(request)
    key = _key(fields["merchant"], fields["order"])
    # A reload of the page never resets an order already decided.
    cache.add(key, {"amount": fields["amount"], "result": "pending", "transaction": ""}, MEMORY_SECONDS)
    memory = cache.get(key) or {}
    if memory.get("amount") != fields["amount"]:
        return _invalid(request)
    if request.method == "GET":
        return render(
            request,
            "simbank/pay.html",
            {"fields": fields, "amount": euros(fields["amount"]), "decided": memory.get("result") != "pending"},
        )
    # One decision per order, even for a double click: the first wins.
    if not cache.add(f"{key}:decided", form.cleaned_data["choice"], MEMORY_SECONDS):
        return HttpResponseRedirect(fields["return_url"])
    result = RESULTS[form.cleaned_data["choice"]]
    memory = {**memory, "result": result, "transaction": f"SIM{secrets.token_hex(8).upper()}"}
    cache.set(key, memory, MEMORY_SECONDS)
    logger.info("simulated bank: order %s of merchant %s %s", fields["order"], fields["merchant"], result)
    if result != "abandoned":
        _notify(fields, memory)
    return HttpResponseRedirect(fields["return_url"])


def _answer(merchant, order, memory):
    return signed_fields.sign(
        {
            "merchant": merchant,
            "order": order,
            "transaction": memory.get("transaction", ""),
            "amount": memory.get("amount", "0"),
            "result": memory.get("result", "unknown"),
        },
        signed_fields.merchant_key(merchant),
    )


def _notify(fields, memory):
    """The server-to-server notification; a merchant that does not answer 200
    is only logged (it will ask `status` later, as with a real bank)."""
    try:
        code, _body = transport.post(fields["notify_url"], _answer(fields["merchant"], fields["order"], memory))
    except OSError as error:
        logger.warning("simulated bank: notification of %s failed: %s", fields["order"], error)
        return
    if code != 200:
        logger.warning("simulated bank: notification of %s answered HTTP %s", fields["order"], code)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def status(request):
    form = StatusForm(request.POST or request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("invalid", content_type="text/plain")
    query = {name: form.cleaned_data[name] for name in ("merchant", "order", "signature")}
    if not signed_fields.is_signed(query, signed_fields.merchant_key(query["merchant"])):
        return HttpResponseBadRequest("bad signature", content_type="text/plain")
    memory = cache.get(_key(query["merchant"], query["order"])) or {"result": "unknown"}
    answer = _answer(query["merchant"], query["order"], memory)
    return HttpResponse(urllib.parse.urlencode(answer), content_type="application/x-www-form-urlencoded")
