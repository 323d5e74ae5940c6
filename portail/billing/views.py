"""The payment providers' server-to-server notification (issue 16 point 4).

The provider calls it (POST, or GET for some backends) with the payment's
answer; no session, no CSRF token (a bank has neither): the answer's own
signature, checked by the provider's backend, is what is trusted, then its
order and amount (billing.online.handle_answer). A refused notification is a
400 that records nothing, and is logged.
"""

import logging

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portail.billing import online
from portail.billing.payment import ProviderError, provider_for
from portail.lib.validators import MAX_ID

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def notify(request, structure_id):
    if not 1 <= structure_id <= MAX_ID:
        raise Http404
    provider = provider_for(online.billing_settings(structure_id))
    if provider is None:
        raise Http404
    data = request.body if request.method == "POST" and request.body else request.META.get("QUERY_STRING", "")
    try:
        reference = provider.reference_to_check(data)
        if reference is not None and not online.started_here(reference, structure_id=structure_id):
            raise online.AnswerRefused(f"notification about an operation not started here: {reference!r}")
        answer = provider.parse(data)
        online_payment = online.handle_answer(answer, structure_id=structure_id)
    except (ProviderError, online.AnswerRefused) as error:
        logger.warning("payment notification refused (structure %s): %s", structure_id, error)
        return HttpResponseBadRequest("refused", content_type="text/plain")
    logger.info("payment notification: order %s is %s", online_payment.order_id, online_payment.status)
    return HttpResponse(answer.return_content or "OK", content_type="text/plain")
