"""The family's invoices (issue 16 points 3, 4): the « Factures » page, the
PDF of each invoice, and « Payer en ligne » with the return from the bank.

Everything is reached through current_family: an invoice or a payment of
another family or structure is a 404.
"""

import logging
import urllib.parse

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from portail.billing import ledger, online
from portail.billing.models import Invoice, OnlinePayment, OnlinePaymentStatus
from portail.billing.money import euros
from portail.billing.payment import PaymentUnavailable
from portail.billing.pdf import invoice_pdf as render_invoice_pdf
from portail.billing.pdf import pdf_filename_parts
from portail.family.invoice_forms import PayForm
from portail.lib.dates import MONTH_NAMES
from portail.lib.downloads import content_disposition
from portail.web.errors import bad_request
from portail.web.family import current_family, family_required
from portail.web.forms import BadValue, read

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# The PDF of an invoice (H2, issue 16 point 2).
# ---------------------------------------------------------------------------


@require_GET
@family_required
def invoice_pdf(request, pk):
    """The PDF of one of the family's invoices or credit notes; another
    family's (or structure's) is a 404, like one that does not exist."""
    invoice = get_object_or_404(Invoice.objects.filter(family=current_family(request)), pk=pk)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition("inline", pdf_filename_parts(invoice), "pdf")
    return response


# ---------------------------------------------------------------------------
# The « Factures » page and online payment (H4). The invoice's PDF view
# (family:invoice_pdf) is H2's, above this line when it lands.
# ---------------------------------------------------------------------------

STATE_LABELS = {
    "paid": _("Payée"),
    "due": _("À payer"),
    "overdue": _("En retard"),
    "credit": _("Avoir"),
}


@require_GET
@family_required
def invoices(request):
    """The family's invoices and credit notes with their state, its balance,
    and « Payer en ligne » for what is due when the structure takes it."""
    family = current_family(request)
    today = timezone.localdate()
    rows = []
    due_cents = 0
    for invoice in Invoice.objects.filter(family=family).select_related("corrects").order_by("-issued_at", "-pk"):
        state = ledger.invoice_state(invoice, today)
        if state in ("due", "overdue"):
            due_cents += invoice.due_cents
        rows.append(
            {
                "invoice": invoice,
                "state": state,
                "state_label": STATE_LABELS[state],
                "period": f"{MONTH_NAMES[invoice.period_start.month - 1].capitalize()} {invoice.period_start.year}",
                "total": euros(invoice.total_cents),
                "due": euros(invoice.due_cents) if state in ("due", "overdue") else "",
            }
        )
    balance = ledger.balance_cents(family)
    # Said only while something is due: the parent must not pay twice what
    # the bank may already have taken.
    pending = (
        OnlinePayment.objects.filter(family=family, status=OnlinePaymentStatus.PENDING).order_by("-created_at").first()
        if due_cents > 0
        else None
    )
    return render(
        request,
        "family/invoices.html",
        {
            "rows": rows,
            "balance": balance,
            "balance_text": euros(abs(balance)),
            "due_text": euros(due_cents),
            "can_pay": due_cents > 0 and online.can_pay_online(family.structure_id),
            "pending": pending,
            "pending_amount": euros(pending.amount_cents) if pending else "",
        },
    )


@require_POST
@family_required
def pay(request):
    """Start an online payment of every invoice due (or of one) and send the
    parent to the bank."""
    family = current_family(request)
    try:
        invoice_id = read(PayForm, request.POST)["facture"]
    except BadValue as error:
        return bad_request(request, error)
    if invoice_id is not None and not Invoice.objects.filter(pk=invoice_id, family=family).exists():
        raise Http404
    try:
        _payment, outgoing = online.start(
            family,
            actor=request.user,
            invoice_id=invoice_id,
            return_url=lambda order: request.build_absolute_uri(reverse("family:payment_return", args=[order])),
            notify_url=request.build_absolute_uri(reverse("billing:notify", args=[family.structure_id])),
            email=request.user.email,
        )
    except PaymentUnavailable as error:
        return bad_request(request, error)
    if not outgoing.fields:
        return HttpResponseRedirect(outgoing.url)
    # A provider that wants a form posted to it (PayZen, SIPS): one more click,
    # no inline script (CSP), the provider's address allowed as a form target.
    response = render(request, "family/invoice_pay_form.html", {"outgoing": outgoing})
    parts = urllib.parse.urlsplit(outgoing.url)
    response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
    return response


RETURN_MESSAGES = {
    OnlinePaymentStatus.PAID: (messages.SUCCESS, _("Paiement reçu, merci.")),
    OnlinePaymentStatus.REFUSED: (
        messages.ERROR,
        _("Le paiement a été refusé par la banque : votre facture reste à payer."),
    ),
    OnlinePaymentStatus.ABANDONED: (messages.WARNING, _("Paiement abandonné : votre facture reste à payer.")),
    OnlinePaymentStatus.ERROR: (messages.ERROR, _("Le paiement n'a pas abouti : votre facture reste à payer.")),
    OnlinePaymentStatus.PENDING: (
        messages.INFO,
        _("Paiement en cours de vérification : votre facture sera marquée payée dès que la banque l'aura confirmé."),
    ),
}


@require_GET
@family_required
def payment_return(request, order):
    """The parent back from the bank. What the browser brings is never
    trusted: the notification may already have answered; otherwise the bank
    is asked now, server to server."""
    family = current_family(request)
    online_payment = get_object_or_404(OnlinePayment, order_id=order, family=family)
    if online_payment.status == OnlinePaymentStatus.PENDING:
        online_payment = online.check_status(online_payment)
    level, message = RETURN_MESSAGES[online_payment.status]
    messages.add_message(request, level, str(message))
    return redirect("family:invoices")
