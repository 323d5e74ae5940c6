"""« Régie » (issue 16 point 5): the money a structure receives, scoped per
structure like every staff screen (another structure's family is a 404), for
agents and managers (animators are refused by accounts.roles' allow-list).

- find a family (name or reference; without a search, the families that owe),
  and its account: balance, invoices with their state, payments and what they
  settled, credit notes, « Crédit en faveur de la famille »;
- « Enregistrer un paiement » (cheque, cash, CESU, transfer) through
  billing.ledger.record_payment: allotted to the oldest invoices due, the rest
  kept as credit. The form carries the id of the family's last payment: a
  second submit of the same form records nothing (checked under the family's
  lock, the lock record_payment takes). A payment beyond what the family owes
  is recorded only once the clerk confirmed the surplus; a bad value shows the
  family's page again with the form, its values and its errors by the fields;
- « Annuler ce paiement » (a desk payment typed by mistake, with a reason):
  billing.ledger.cancel_payment keeps it, marked cancelled, and allots the
  family's account again;
- reminders (billing.reminders): the e-mails due, « Envoyer les relances »,
  the list to print (HTML, CSV) and « Marquer comme imprimées »;
- exports for an accounting department (billing.exports): invoices, credit
  notes, payments of a period, CSV and XLSX.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from portail.billing import exports, ledger, reminders
from portail.billing.models import Invoice, InvoiceKind, Payment, PaymentMethod
from portail.billing.money import euros
from portail.lib.dates import long_date, short_day
from portail.lib.downloads import content_disposition
from portail.lib.spreadsheets import excel_csv
from portail.lib.validators import MAX_ID
from portail.notifications.reports import family_emails
from portail.staff import regie_forms as forms
from portail.staff.access import page, scoped, scoped_structures, staff_required
from portail.staff.forms import read
from portail.structures.models import Family, Structure
from portail.structures.scoping import scope_queryset

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATE_LABELS = {
    "due": gettext_lazy("À payer"),
    "overdue": gettext_lazy("En retard"),
    "paid": gettext_lazy("Payée"),
    "credit": gettext_lazy("Avoir"),
}


def _today():
    return timezone.localdate()


def _chosen_structure(request, pk, structures):
    """The structure asked for (scoped: another one is a 404), else the staff
    member's only one, else None (the page asks to choose)."""
    if pk is not None:
        return scoped(Structure.objects.all(), request.user, pk)
    return structures[0] if len(structures) == 1 else None


def _sum_of(queryset, field):
    """The sum of `field` over `queryset`'s rows of the outer family (0 when none)."""
    total = queryset.filter(family=OuterRef("pk")).order_by().values("family").annotate(t=Sum(field)).values("t")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def _with_balance(families, today):
    """Families annotated with `balance` (ledger.balance_cents, as a query) and `late` (an invoice overdue)."""
    invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE)
    return families.annotate(
        balance=_sum_of(invoices, "total_cents")
        - _sum_of(Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE), "total_cents")
        - _sum_of(ledger.active_payments(), "amount_cents"),
        late=Exists(invoices.filter(family=OuterRef("pk"), settled_cents__lt=F("total_cents"), due_date__lt=today)),
    )


def _balance_text(balance, credit):
    if balance > 0:
        return _("Solde : %(amount)s à payer") % {"amount": euros(balance)}
    if credit > 0:
        return _("Crédit en faveur de la famille : %(amount)s") % {"amount": euros(credit)}
    return _("Compte soldé")


@require_GET
@staff_required
def regie(request):
    """Find a family: by name or reference; without a search, those that owe, most first."""
    params = read(forms.RegieForm, request.GET)
    structures = list(scoped_structures(request.user))
    today = _today()
    families = scope_queryset(Family.objects.select_related("structure"), request.user)
    query = {}
    if params["structure"] is not None:
        structure = scoped(Structure.objects.all(), request.user, params["structure"])
        families = families.filter(structure=structure)
        query["structure"] = structure.pk
    search = params["recherche"].strip()
    families = _with_balance(families, today)
    if search:
        query["recherche"] = search
        families = families.filter(
            Q(last_name__icontains=search) | Q(first_name__icontains=search) | Q(reference__icontains=search)
        ).order_by("last_name", "first_name", "pk")
    else:
        families = families.filter(balance__gt=0).order_by("-balance", "last_name", "pk")
    page_obj = Paginator(families, PAGE_SIZE).get_page(params["page"])
    return page(
        request,
        "staff/regie/index.html",
        {
            "title": _("Régie"),
            "structures": structures,
            "query": query,
            "search": search,
            "rows": [(family, euros(family.balance)) for family in page_obj],
            "page_obj": page_obj,
            "page_query": urlencode(query) + "&" if query else "",
        },
    )


def _scoped_family(request, pk):
    return scoped(Family.objects.select_related("structure"), request.user, pk)


def _account(family, today):
    """What the family's page shows: balance, invoices, credit notes, payments."""
    documents = list(Invoice.objects.filter(family=family).select_related("corrects").order_by("-issued_at", "-pk"))
    invoices = []
    for invoice in documents:
        if invoice.kind == InvoiceKind.INVOICE:
            state = ledger.invoice_state(invoice, today)
            invoices.append(
                {
                    "invoice": invoice,
                    "state": state,
                    "state_label": STATE_LABELS[state],
                    "total": euros(invoice.total_cents),
                    "due": euros(invoice.due_cents),
                    "due_date": short_day(invoice.due_date),
                }
            )
    credit_notes = [
        {"note": note, "total": euros(note.total_cents)} for note in documents if note.kind == InvoiceKind.CREDIT_NOTE
    ]
    payments = []
    for payment in (
        Payment.objects.filter(family=family)
        .select_related("recorded_by", "cancelled_by")
        .prefetch_related("allocations__invoice")
        .order_by("-received_on", "-pk")
    ):
        allocations = sorted(payment.allocations.all(), key=lambda a: (a.invoice.year, a.invoice.number))
        cancelled = payment.cancelled_at is not None
        payments.append(
            {
                "payment": payment,
                "amount": euros(payment.amount_cents),
                "received": short_day(payment.received_on),
                "settled": [(a.invoice, euros(a.amount_cents)) for a in allocations],
                "left": euros(payment.amount_cents - sum(a.amount_cents for a in allocations)),
                "has_left": not cancelled and payment.amount_cents > sum(a.amount_cents for a in allocations),
                "cancelled": cancelled,
                "cancelled_on": short_day(timezone.localtime(payment.cancelled_at).date()) if cancelled else None,
                "online": payment.method == PaymentMethod.ONLINE,
            }
        )
    balance, credit = ledger.balance_cents(family), ledger.credit_cents(family)
    return {
        "invoices": invoices,
        "credit_notes": credit_notes,
        "payments": payments,
        "balance_text": _balance_text(balance, credit),
        "owes": balance > 0,
        "credit": euros(credit) if credit > 0 else None,
    }


def _last_payment_id(family):
    return Payment.objects.filter(family=family).order_by("-pk").values_list("pk", flat=True).first() or 0


# The hidden fields' errors (a form shown long ago, a confirmation tampered
# with) have no field to stand by: shown above the form.
HIDDEN_FIELDS = ("famille", "dernier", "confirme")


def _family_page(request, family, *, form=None, confirm=None, cancel=None, status=200):
    """The family's account with « Enregistrer un paiement »: empty, or as
    sent with its errors (`form`), or asking to confirm a surplus (`confirm`);
    `cancel`: (payment id, its bound CancelPaymentForm) refused."""
    today = _today()
    if form is None:
        form = forms.PaymentForm(
            initial={
                "moyen": forms.DESK_METHODS[0][0],
                "recu_le": today.isoformat(),
                "dernier": _last_payment_id(family),
            }
        )
    top_errors = list(form.non_field_errors()) if form.is_bound else []
    if form.is_bound:
        top_errors += [error for name in HIDDEN_FIELDS for error in form.errors.get(name, [])]
    context = {
        "title": _("Compte de %(family)s") % {"family": family},
        "family": family,
        "today": today,
        "methods": forms.DESK_METHODS,
        "form": form,
        "top_errors": top_errors,
        "confirm": confirm,
        "cancel_pk": cancel[0] if cancel else None,
        "cancel_form": cancel[1] if cancel else None,
        **_account(family, today),
    }
    return page(request, "staff/regie/family.html", context, status)


@require_GET
@staff_required
def regie_family(request, pk):
    """A family's account and « Enregistrer un paiement »."""
    return _family_page(request, _scoped_family(request, pk))


def _same_payment(payment, data, user):
    """Whether `payment` is what this form records (its first submit)."""
    return (
        payment.amount_cents == data["montant"]
        and payment.method == data["moyen"]
        and payment.receipt_number == data["recu"]
        and payment.received_on == data["recu_le"]
        and payment.recorded_by_id == user.pk
    )


@require_POST
@staff_required
def regie_payment(request):
    """Record a payment received at the desk, once (see the module's docstring)."""
    form = forms.PaymentForm(request.POST)
    valid = form.is_valid()
    if "famille" in form.errors:
        raise Http404  # a bad or missing family id, like another structure's family
    family = _scoped_family(request, form.cleaned_data["famille"])
    if not valid:
        return _family_page(request, family, form=form, status=400)
    data = form.cleaned_data
    account_url = reverse("staff:regie_family", args=[family.pk])
    payment = surplus = None
    with transaction.atomic():
        ledger.lock_family(family.pk)
        last = Payment.objects.filter(family=family).order_by("-pk").first()
        if (last.pk if last else 0) == data["dernier"]:
            owed = max(ledger.balance_cents(family), 0)
            if data["montant"] > owed and data["confirme"] != data["montant"]:
                surplus = (owed, data["montant"] - owed)
            else:
                payment = ledger.record_payment(
                    family, data["montant"], data["moyen"], actor=request.user, receipt_number=data["recu"],
                    received_on=data["recu_le"], note=data["remarque"].strip(),
                )  # fmt: skip
    if surplus is not None:
        owed, left = surplus
        confirm = {
            "cents": data["montant"],
            "text": _(
                "Ce paiement dépasse le solde dû (%(owed)s) : %(left)s resteront au crédit de la famille. Confirmer ?"
            )
            % {"owed": euros(owed), "left": euros(left)},
        }
        return _family_page(request, family, form=form, confirm=confirm)
    if payment is None:
        if last is not None and last.pk > data["dernier"] and _same_payment(last, data, request.user):
            messages.info(request, _("Ce paiement est déjà enregistré (formulaire envoyé deux fois) : rien de plus."))
            return redirect(account_url)
        form.add_error(
            None,
            _(
                "Un autre paiement vient d'être enregistré pour cette famille : vérifiez son compte avant d'en "
                "saisir un autre."
            ),
        )
        # The page now shows that payment: the form sent again from it is taken.
        form.data = form.data.copy()
        form.data["dernier"] = str(last.pk if last else 0)
        return _family_page(request, family, form=form, status=400)
    allocations = sorted(payment.allocations.select_related("invoice"), key=lambda a: a.invoice.number)
    text = _("Paiement de %(amount)s enregistré.") % {"amount": euros(payment.amount_cents)}
    if allocations:
        settled = ", ".join(f"{a.invoice.reference} ({euros(a.amount_cents)})" for a in allocations)
        text += " " + _("Réglé : %(invoices)s.") % {"invoices": settled}
    credit = ledger.credit_cents(family)
    if credit > 0:
        text += " " + _("Crédit en faveur de la famille : %(amount)s.") % {"amount": euros(credit)}
    messages.success(request, text)
    return redirect(account_url)


@require_POST
@staff_required
def regie_cancel_payment(request, pk):
    """« Annuler ce paiement » (a desk payment typed by mistake), with its reason, once."""
    # Reached through its family, scoped (another structure's payment is a 404 like its family).
    payment = Payment.objects.filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
    if payment is None:
        raise Http404
    family = _scoped_family(request, payment.family_id)
    form = forms.CancelPaymentForm(request.POST)
    if not form.is_valid():
        return _family_page(request, family, cancel=(payment.pk, form), status=400)
    try:
        done = ledger.cancel_payment(payment, actor=request.user, reason=form.cleaned_data["motif"])
    except ledger.CannotCancel as error:
        form.add_error("motif", str(error))
        return _family_page(request, family, cancel=(payment.pk, form), status=400)
    if done:
        messages.success(
            request,
            _("Paiement de %(amount)s du %(day)s annulé. %(balance)s.")
            % {
                "amount": euros(payment.amount_cents),
                "day": short_day(payment.received_on),
                "balance": _balance_text(ledger.balance_cents(family), ledger.credit_cents(family)),
            },
        )
    else:
        messages.info(request, _("Ce paiement est déjà annulé : rien de plus."))
    return redirect(reverse("staff:regie_family", args=[family.pk]))


# ------------------------------------------------------------------ reminders


@require_GET
@staff_required
def regie_reminders(request):
    """The invoices to remind by e-mail now, « Envoyer les relances », the list to print."""
    params = read(forms.RemindersForm, request.GET)
    structures = list(scoped_structures(request.user))
    structure = _chosen_structure(request, params["structure"], structures)
    context = {"title": _("Relances"), "structures": structures, "structure": structure}
    if structure is not None:
        today = _today()
        delay = reminders.after_days(structure)
        due = list(reminders.due_for_email(structure, today))
        # A family without an e-mail address is reminded on paper (the list to print) instead.
        with_address = set(family_emails(sorted({i.family_id for i in due}))) if due else set()
        due = [i for i in due if i.family_id in with_address]
        context.update(
            due=[(i, euros(i.due_cents), short_day(i.due_date)) for i in due],
            after_days=delay,
            to_print=len(reminders.print_list(structure, today)),
            emailed_today=reminders.emailed_on(structure, today),
            delay=ngettext("%(days)d jour", "%(days)d jours", delay) % {"days": delay},
        )
    return page(request, "staff/regie/reminders.html", context)


@require_POST
@staff_required
def regie_send_reminders(request):
    """« Envoyer les relances »: the e-mails of the structure's invoices due for one, once."""
    params = read(forms.SendRemindersForm, request.POST)
    structure = scoped(Structure.objects.all(), request.user, params["structure"])
    result = reminders.send_email_reminders(structure, actor=request.user)
    if result.sent:
        messages.success(
            request,
            ngettext("%(count)d facture relancée par e-mail.", "%(count)d factures relancées par e-mail.", result.sent)
            % {"count": result.sent},
        )
    else:
        messages.info(request, _("Aucune relance à envoyer par e-mail."))
    if result.without_address:
        messages.warning(
            request,
            ngettext(
                "%(count)d famille sans adresse e-mail : sa facture est sur la liste des relances à imprimer.",
                "%(count)d familles sans adresse e-mail : leurs factures sont sur la liste des relances à imprimer.",
                result.without_address,
            )
            % {"count": result.without_address},
        )
    return redirect(reverse("staff:regie_reminders") + "?" + urlencode({"structure": structure.pk}))


PRINT_COLUMNS = ["reference", "famille", "reference_famille", "adresse", "periode", "echeance", "reste_du",
                 "relance_email", "imprimee"]  # fmt: skip


@require_GET
@staff_required
def regie_print_list(request):
    """« Liste des relances à imprimer » (HTML to print, or CSV)."""
    params = read(forms.PrintListForm, request.GET)
    structures = list(scoped_structures(request.user))
    structure = _chosen_structure(request, params["structure"], structures)
    include_printed = params["tout"] == "1"
    context = {
        "title": _("Liste des relances à imprimer"),
        "structures": structures,
        "structure": structure,
        "include_printed": include_printed,
    }
    if structure is None:
        return page(request, "staff/regie/print_list.html", context)
    today = _today()
    rows = reminders.print_list(structure, today, include_printed=include_printed)
    if params["format"] == "csv":
        lines = [
            [
                r.invoice.reference, r.invoice.family_name, r.invoice.family.reference, r.invoice.family_address,
                f"{r.invoice.period_start:%Y-%m-%d}/{r.invoice.period_end:%Y-%m-%d}", r.invoice.due_date.isoformat(),
                f"{exports.amount(r.invoice.due_cents):.2f}",
                timezone.localtime(r.emailed_at).date().isoformat() if r.emailed_at else "",
                timezone.localtime(r.printed_at).date().isoformat() if r.printed_at else "",
            ]
            for r in rows
        ]  # fmt: skip
        response = HttpResponse(excel_csv(PRINT_COLUMNS, lines).encode("utf-8"), content_type="text/csv; charset=utf-8")
        parts = ["relances", structure.name, today.isoformat()]
        response["Content-Disposition"] = content_disposition("attachment", parts, "csv")
        return response
    context.update(
        today=long_date(today),
        rows=[
            {
                "row": r,
                "due": euros(r.invoice.due_cents),
                "due_date": short_day(r.invoice.due_date),
                "emailed": short_day(timezone.localtime(r.emailed_at).date()) if r.emailed_at else None,
                "printed": short_day(timezone.localtime(r.printed_at).date()) if r.printed_at else None,
            }
            for r in rows
        ],
        to_mark=[r.invoice.pk for r in rows if r.printed_at is None],
    )
    return page(request, "staff/regie/print_list.html", context)


@require_POST
@staff_required
def regie_mark_printed(request):
    """« Marquer comme imprimées »: level 2 for the invoices of the list shown
    (those paid since, or not on the list any more, are left out)."""
    params = read(forms.MarkPrintedForm, request.POST)
    structure = scoped(Structure.objects.all(), request.user, params["structure"])
    marked = reminders.mark_printed(structure, params["facture"], today=_today(), actor=request.user)
    if marked:
        messages.success(
            request,
            ngettext(
                "%(count)d relance marquée comme imprimée.", "%(count)d relances marquées comme imprimées.", marked
            )
            % {"count": marked},
        )
    else:
        messages.info(request, _("Aucune relance à marquer : la liste a changé depuis son affichage."))
    return redirect(reverse("staff:regie_print_list") + "?" + urlencode({"structure": structure.pk}))


# ------------------------------------------------------------------ exports

DOCUMENT_LABELS = {
    exports.INVOICES: gettext_lazy("Factures"),
    exports.CREDIT_NOTES: gettext_lazy("Avoirs"),
    exports.PAYMENTS: gettext_lazy("Paiements"),
}
BY_LABELS = {
    exports.BILLED_MONTH: gettext_lazy("par mois facturé"),
    exports.ISSUED: gettext_lazy("par date d'émission"),
}


@require_GET
@staff_required
def regie_exports(request):
    """Invoices, credit notes or payments of a period, on the page, in CSV or in XLSX."""
    params = read(forms.ExportForm, request.GET)
    structures = list(scoped_structures(request.user))
    structure = _chosen_structure(request, params["structure"], structures)
    start, end, kind, by = params["du"], params["au"], params["documents"], params["selon"]
    context = {
        "title": _("Exports comptables"),
        "structures": structures,
        "structure": structure,
        "start": start,
        "end": end,
        "kind": kind,
        "kinds": [(value, DOCUMENT_LABELS[value]) for value in exports.KINDS],
        "by": by,
        "bys": [(exports.BILLED_MONTH, BY_LABELS[exports.BILLED_MONTH]), (exports.ISSUED, BY_LABELS[exports.ISSUED])],
    }
    if structure is None:
        return page(request, "staff/regie/exports.html", context)
    export = exports.build(structure, kind, start, end, _today(), by=by)
    if params["format"]:
        parts = [kind, structure.name, start.isoformat(), end.isoformat()]
        if params["format"] == "csv":
            response = HttpResponse(exports.to_csv(export).encode("utf-8"), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(exports.to_xlsx(export), content_type=XLSX)
        response["Content-Disposition"] = content_disposition("attachment", parts, params["format"])
        return response
    query = urlencode(
        {"structure": structure.pk, "du": start.isoformat(), "au": end.isoformat(), "documents": kind, "selon": by}
    )
    context.update(
        export=export,
        rows=list(exports.rows_for_screen(export))[:PAGE_SIZE],
        count=len(export.rows),
        query=query,
        kind_label=DOCUMENT_LABELS[kind],
    )
    return page(request, "staff/regie/exports.html", context)
