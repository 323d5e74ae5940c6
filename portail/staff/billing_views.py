"""« Facturation » (issue 16 point 2): the staff's monthly run and the issued
invoices, scoped per structure like every staff screen (another structure's
invoice is a 404), for agents and managers (animators are refused by
accounts.roles' allow-list).

- the run: choose a month, read the preview (billing.invoicing.preview:
  families, lines, totals, anomalies, absences still to examine; an invoiced
  family's invoice and how today's computation differs from it), then
  « Émettre les factures » asks to confirm and issues (invoicing.issue: a
  family already invoiced for the month is skipped, so a second submit issues
  nothing more; a month not over is refused);
- the list of invoices and credit notes, filtered by structure, month and state
  (à payer / en retard / payées: ledger.invoice_state's rules, as queries);
- an invoice's page: lines, payments, credit notes, PDF, « Faire un avoir »
  (total or partial, explicitly, and a reason; confirmed on a page of its own
  before invoicing.credit_note).
"""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from portail.billing import invoicing, ledger, numbering
from portail.billing.errors import BillingError
from portail.billing.models import Invoice, InvoiceKind
from portail.billing.money import euros
from portail.billing.pdf import invoice_pdf as render_invoice_pdf
from portail.billing.pdf import pdf_filename_parts
from portail.dossier.models import Absence, AbsenceStatus
from portail.lib.dates import month_year
from portail.lib.downloads import content_disposition
from portail.staff import billing_forms as forms
from portail.staff.access import page, scoped, scoped_structures, staff_required
from portail.staff.forms import read
from portail.structures.models import Structure
from portail.structures.scoping import scope_queryset

PAGE_SIZE = 50


def _today():
    return timezone.localdate()


def _previous_month(today):
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _month_value(month):
    return f"{month.year:04d}-{month.month:02d}"


def _state_label(state):
    """ledger.invoice_state's answer in words, in the request's language."""
    return {
        "due": _("À payer"),
        "overdue": _("En retard"),
        "paid": _("Payée"),
        "credit": _("Avoir"),
    }[state]


def _chosen_structure(request, pk, structures):
    """The structure asked for (scoped: another one is a 404), else the staff
    member's only one, else None (the page asks to choose)."""
    if pk is not None:
        return scoped(Structure.objects.all(), request.user, pk)
    return structures[0] if len(structures) == 1 else None


# ---------------------------------------------------------------- the monthly run


def _pending_absences(structure, month):
    """« À vérifier »: the absences of the structure's families still « À
    examiner » on days of the month. Read here, in a view layer, since billing
    never reads the family file (dossier): a justified absence is not billed,
    so each one undecided may change an invoice once issued."""
    start, end = invoicing.month_bounds(month)
    count = Absence.objects.filter(
        family__structure=structure, status=AbsenceStatus.PENDING, start_date__lte=end, end_date__gte=start
    ).count()
    if not count:
        return []
    return [
        ngettext(
            "%(count)s absence à examiner sur ce mois : décidez-la avant d'émettre",
            "%(count)s absences à examiner sur ce mois : décidez-les avant d'émettre",
            count,
        )
        % {"count": count}
    ]


def _signed_euros(cents):
    """+12,00 € / −108,58 € (a true minus sign): a difference, never a price."""
    return ("+" if cents > 0 else "\u2212") + euros(abs(cents))


@require_GET
@staff_required
def billing_run(request):
    """The preview of a structure's month (nothing is written)."""
    params = read(forms.RunForm, request.GET)
    structures = list(scoped_structures(request.user))
    structure = _chosen_structure(request, params["structure"], structures)
    month = datetime.date(*params["mois"], 1) if params["mois"] else _previous_month(_today())
    context = {
        "title": _("Facturation"),
        "structures": structures,
        "structure": structure,
        "month": month,
        "month_value": _month_value(month),
        "month_label": month_year(month.year, month.month),
        "preview": None,
    }
    if structure is not None:
        preview = invoicing.preview(structure, month)
        preview.anomalies.extend(_pending_absences(structure, month))
        for fp in preview.families:
            fp.difference_label = _signed_euros(fp.difference_cents) if fp.difference_cents else ""
        to_issue = [fp for fp in preview.families if fp.already_issued is None and fp.total_cents > 0]
        context.update(
            preview=preview,
            not_over=invoicing.month_not_over(month, _today()),
            page_obj=Paginator(preview.families, PAGE_SIZE).get_page(params["page"]),
            page_query=urlencode({"mois": _month_value(month), "structure": structure.pk}) + "&",
            to_issue=len(to_issue),
            already=sum(1 for fp in preview.families if fp.already_issued is not None),
            with_anomalies=sum(1 for fp in preview.families if fp.anomalies),
            total=euros(preview.total_cents),
        )
    return page(request, "staff/billing/run.html", context)


@require_POST
@staff_required
def billing_issue(request):
    """« Émettre les factures »: a confirmation page first, then the issuing.
    A second submit (double click, back button) finds the families invoiced
    and issues nothing more."""
    data = read(forms.IssueForm, request.POST)
    structure = scoped(Structure.objects.all(), request.user, data["structure"])
    month = datetime.date(*data["mois"], 1)
    list_url = reverse("staff:invoices") + "?" + urlencode({"structure": structure.pk, "mois": _month_value(month)})
    # A month not over is refused before its confirmation too (invoicing.issue refuses it again).
    not_over = invoicing.month_not_over(month, _today())
    if not_over is not None:
        return page(request, "staff/error.html", {"title": _("Émettre les factures"), "message": not_over}, 400)
    if data["confirmation"] != forms.CONFIRMED:
        preview = invoicing.preview(structure, month)
        preview.anomalies.extend(_pending_absences(structure, month))
        to_issue = [fp for fp in preview.families if fp.already_issued is None and fp.total_cents > 0]
        return page(
            request,
            "staff/billing/issue_confirm.html",
            {
                "title": _("Émettre les factures"),
                "structure": structure,
                "month_value": _month_value(month),
                "month_label": month_year(month.year, month.month),
                "to_issue": len(to_issue),
                "total": euros(sum(fp.total_cents for fp in to_issue)),
                "with_anomalies": sum(1 for fp in to_issue if fp.anomalies),
                "anomalies": preview.anomalies,
                "confirmed": forms.CONFIRMED,
            },
        )
    try:
        issued = invoicing.issue(structure, month, actor=request.user)
    except BillingError as error:
        return page(request, "staff/error.html", {"title": _("Émettre les factures"), "message": str(error)}, 400)
    if issued:
        messages.success(
            request,
            ngettext(
                "%(count)d facture émise (%(first)s à %(last)s) pour un total de %(total)s.",
                "%(count)d factures émises (%(first)s à %(last)s) pour un total de %(total)s.",
                len(issued),
            )
            % {
                "count": len(issued),
                "first": issued[0].reference,
                "last": issued[-1].reference,
                "total": euros(sum(i.total_cents for i in issued)),
            },
        )
    else:
        messages.info(
            request,
            _("Aucune nouvelle facture : les familles de ce mois sont déjà facturées ou n'ont rien à payer."),
        )
    return redirect(list_url)


# ---------------------------------------------------------------- issued invoices


def _state_filter(state, today):
    """ledger.invoice_state's rules as a query: paid when settled, overdue
    when the due date is past (today > due_date), else due."""
    unsettled = Q(kind=InvoiceKind.INVOICE, settled_cents__lt=F("total_cents"))
    return {
        forms.DUE: unsettled & Q(due_date__gte=today),
        forms.OVERDUE: unsettled & Q(due_date__lt=today),
        forms.PAID: Q(kind=InvoiceKind.INVOICE, settled_cents__gte=F("total_cents")),
        forms.CREDIT: Q(kind=InvoiceKind.CREDIT_NOTE),
    }[state]


@require_GET
@staff_required
def invoice_list(request):
    """The invoices and credit notes of the staff member's structures, newest first."""
    params = read(forms.InvoiceListForm, request.GET)
    structures = list(scoped_structures(request.user))
    today = _today()
    queryset = scope_queryset(Invoice.objects.select_related("structure", "corrects"), request.user)
    query = {}
    if params["structure"] is not None:
        structure = scoped(Structure.objects.all(), request.user, params["structure"])
        queryset = queryset.filter(structure=structure)
        query["structure"] = structure.pk
    if params["mois"]:
        month = datetime.date(*params["mois"], 1)
        queryset = queryset.filter(period_start=month)
        query["mois"] = _month_value(month)
    if params["etat"]:
        queryset = queryset.filter(_state_filter(params["etat"], today))
        query["etat"] = params["etat"]
    search = params["recherche"].strip()
    if search:
        # « F-2026-000029 », « 29 », « dupont », « DUP »: the clerk types what the family says on the phone.
        queryset = queryset.filter(
            Q(reference__icontains=search) | Q(family_name__icontains=search) | Q(family__reference__iexact=search)
        )
        query["recherche"] = search
    page_obj = Paginator(queryset.order_by("-issued_at", "-pk"), PAGE_SIZE).get_page(params["page"])
    rows = [(invoice, ledger.invoice_state(invoice, today)) for invoice in page_obj]
    return page(
        request,
        "staff/billing/invoices.html",
        {
            "title": _("Factures émises"),
            "structures": structures,
            "several_structures": len(structures) > 1,
            "query": query,
            "states": forms.STATES,
            "rows": [(invoice, state, _state_label(state)) for invoice, state in rows],
            "page_obj": page_obj,
            "page_query": urlencode(query) + "&" if query else "",
        },
    )


def _scoped_invoice(request, pk):
    return scoped(Invoice.objects.select_related("structure", "family", "corrects", "issued_by"), request.user, pk)


@require_GET
@staff_required
def invoice_detail(request, pk):
    """One invoice (or credit note): its lines, what settled it, its credit notes, its PDF."""
    invoice = _scoped_invoice(request, pk)
    state = ledger.invoice_state(invoice, _today())
    credit_notes = list(invoice.credit_notes.order_by("year", "number"))
    left = invoice.total_cents - sum(c.total_cents for c in credit_notes)
    allocations = invoice.allocations.select_related("payment").order_by("payment__received_on", "pk")
    return page(
        request,
        "staff/billing/invoice.html",
        {
            "title": invoice.reference,
            "invoice": invoice,
            "is_credit_note": invoice.kind == InvoiceKind.CREDIT_NOTE,
            "state": state,
            "state_label": _state_label(state),
            "lines": invoice.lines.all(),
            "allocations": allocations,
            "credit_notes": credit_notes,
            "can_credit": invoice.kind == InvoiceKind.INVOICE and left > 0,
            "left": euros(max(left, 0)),
            "credit_notes_count": len(credit_notes),
        },
    )


@require_GET
@staff_required
def invoice_pdf(request, pk):
    invoice = _scoped_invoice(request, pk)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition("inline", pdf_filename_parts(invoice), "pdf")
    return response


@require_POST
@staff_required
def credit_note(request, pk):
    """« Faire un avoir » on an invoice: the total of what is left or a partial
    amount (an explicit choice: an empty amount is never « all »), and a
    reason; then a confirmation page showing the invoice, the amount and the
    reason, and only « Confirmer l'avoir » issues the numbered credit note.
    Refused in French, with nothing written, beyond what is left or when
    another credit note was made since the form was shown (a double submit)."""
    invoice = _scoped_invoice(request, pk)
    data = read(forms.CreditNoteForm, request.POST)
    amount_cents = data["montant"] if data["etendue"] == forms.PARTIAL else None
    now = timezone.now()
    try:
        if data["confirmation"] != forms.CONFIRMED:
            if invoice.credit_notes.count() != data["avoirs"]:
                raise BillingError(
                    _("Un avoir vient d'être fait sur cette facture : vérifiez-la avant d'en faire un autre.")
                )
            amount = invoicing.credit_note_amount(invoice, amount_cents=amount_cents, reason=data["motif"])
            return page(
                request,
                "staff/billing/credit_note_confirm.html",
                {
                    "title": _("Confirmer l'avoir"),
                    "invoice": invoice,
                    "amount": euros(amount),
                    "amount_value": euros(amount_cents).replace("\u00a0€", "") if amount_cents else "",
                    "whole": amount_cents is None,
                    "reason": data["motif"],
                    "data": data,
                    "confirmed": forms.CONFIRMED,
                },
            )
        with transaction.atomic():
            # The lock credit_note takes first, taken here before the check so
            # that two submits of the same form are judged one after the other.
            numbering.lock_sequence(invoice.structure_id, InvoiceKind.CREDIT_NOTE, timezone.localtime(now).year)
            if invoice.credit_notes.count() != data["avoirs"]:
                raise BillingError(
                    _("Un avoir vient d'être fait sur cette facture : vérifiez-la avant d'en faire un autre.")
                )
            note = invoicing.credit_note(
                invoice, amount_cents=amount_cents, reason=data["motif"], actor=request.user, now=now
            )
    except BillingError as error:
        return page(request, "staff/error.html", {"title": _("Faire un avoir"), "message": str(error)}, 400)
    messages.success(
        request,
        _("Avoir %(reference)s de %(amount)s émis sur la facture %(invoice)s.")
        % {"reference": note.reference, "amount": euros(note.total_cents), "invoice": invoice.reference},
    )
    return redirect("staff:invoice", pk=invoice.pk)
