"""« Absences à examiner » (issue 17 point 5): the absences families declared
in the staff member's structures, with the booked days they cover and the
certificate; staff decide « Justifiée » (the places are freed through the
engine: the waiting list is served and nothing is billed) or « Non justifiée »
(with a remark the family reads). Another structure's absence is a 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from portail.billing.models import Invoice, InvoiceKind
from portail.booking.models import Booking
from portail.dossier import absences as service
from portail.dossier.models import Absence, AbsenceStatus
from portail.lib import french
from portail.staff.access import page, scoped, staff_required
from portail.staff.changes_views import family_filter
from portail.staff.document_forms import (
    ABSENCE_STATES,
    ALL_STATES,
    JUSTIFIED,
    PENDING,
    AbsenceDecisionForm,
    AbsenceListForm,
    query_string,
)
from portail.staff.forms import BadValue, read
from portail.structures.scoping import scope_queryset

PAGE_SIZE = 30
# The list's « état » filter -> the absences' status.
STATUS_OF_STATE = {"justifiee": AbsenceStatus.JUSTIFIED, "non_justifiee": AbsenceStatus.NOT_JUSTIFIED}


def _absences(user):
    return scope_queryset(
        Absence.objects.select_related("family__structure", "child", "certificate", "declared_by", "decided_by"),
        user,
    )


@require_GET
@staff_required
def absences(request):
    """The absences waiting for a decision (oldest first), then the last decided;
    filtered by state (another state lists those absences, the latest first) and
    by the child's or the family's name."""
    params = read(AbsenceListForm, request.GET)
    state = params["etat"] or PENDING
    with_days = Prefetch("bookings", queryset=Booking.objects.select_related("activity").order_by("date"))
    found = _absences(request.user).prefetch_related(with_days)
    if params["nom"]:
        name = params["nom"]
        found = found.filter(
            Q(child__last_name__icontains=name) | Q(child__first_name__icontains=name) | family_filter("family__", name)
        )
    if state == PENDING:
        listed = found.filter(status=AbsenceStatus.PENDING).order_by("declared_at", "pk")
    else:
        listed = found.order_by("-declared_at", "-pk")
        if state != ALL_STATES:
            listed = listed.filter(status=STATUS_OF_STATE[state])
    decided = found.exclude(status=AbsenceStatus.PENDING).order_by("-decided_at", "-pk")[:20]
    return page(
        request,
        "staff/absences/index.html",
        {
            "title": _("Absences à examiner"),
            "page_obj": Paginator(listed, PAGE_SIZE).get_page(params["page"]),
            "page_query": query_string(params, ["etat", "nom"]),
            "decided": decided if state == PENDING else [],
            "states": ABSENCE_STATES,
            "filters": {"etat": state, "nom": params["nom"]},
        },
    )


@require_POST
@staff_required
def decide(request, pk):
    absence = scoped(_absences(request.user), request.user, pk)
    data = read(AbsenceDecisionForm, request.POST)
    justified = data["decision"] == JUSTIFIED
    names = {"de_child": french.de(str(absence.child)), "child": absence.child}
    try:
        promoted = service.decide_absence(absence, actor=request.user, justified=justified, note=data["remarque"])
    except service.AbsenceError as error:
        raise BadValue(str(error)) from None
    if justified:
        # Translators: %(de_child)s is « de DUPONT Paolo » or « d'ABADIE Paolo »; %(child)s the bare name.
        message = _("Absence %(de_child)s justifiée : les places sont libérées.") % names
        if promoted:
            message += " " + ngettext(
                "%(n)d place donnée à la liste d'attente.", "%(n)d places données à la liste d'attente.", len(promoted)
            ) % {"n": len(promoted)}
    else:
        message = _("Absence %(de_child)s non justifiée : les réservations restent.") % names
    messages.success(request, message)
    if justified:
        invoiced = _invoices_covering(absence)
        if invoiced:
            # An issued invoice never changes: the days stay billed until staff make a credit note.
            messages.warning(
                request,
                ngettext(
                    "Des jours de cette absence figurent sur la facture %(references)s, déjà émise : pour ne pas les faire payer, "
                    "faites un avoir depuis cette facture (Factures émises).",
                    "Des jours de cette absence figurent sur les factures %(references)s, déjà émises : pour ne pas les faire payer, "
                    "faites un avoir depuis ces factures (Factures émises).",
                    len(invoiced),
                )
                % {"references": ", ".join(invoiced)},
            )
    return redirect("staff:absences")


def _invoices_covering(absence):
    """The references of the family's issued invoices whose month holds one of
    the absence's booked days (billing is read, never changed, from here)."""
    days = sorted(absence.bookings.values_list("date", flat=True))
    if not days:
        return []
    return list(
        Invoice.objects.filter(
            family_id=absence.family_id,
            kind=InvoiceKind.INVOICE,
            period_start__lte=days[-1],
            period_end__gte=days[0],
        )
        .order_by("year", "number")
        .values_list("reference", flat=True)
    )
