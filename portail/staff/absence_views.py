"""« Absences à examiner » (issue 17 point 5): the absences families declared
in the staff member's structures, with the booked days they cover and the
certificate; staff decide « Justifiée » (the places are freed through the
engine: the waiting list is served and nothing is billed) or « Non justifiée »
(with a remark the family reads). Another structure's absence is a 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from portail.booking.models import Booking
from portail.dossier import absences as service
from portail.dossier.models import Absence, AbsenceStatus
from portail.staff.access import page, scoped, staff_required
from portail.staff.document_forms import JUSTIFIED, AbsenceDecisionForm, ListForm
from portail.staff.forms import BadValue, read
from portail.structures.scoping import scope_queryset

PAGE_SIZE = 30


def _absences(user):
    return scope_queryset(
        Absence.objects.select_related("family__structure", "child", "certificate", "declared_by", "decided_by"),
        user,
    )


@require_GET
@staff_required
def absences(request):
    """The absences waiting for a decision (oldest first), then the last decided."""
    params = read(ListForm, request.GET)
    with_days = Prefetch("bookings", queryset=Booking.objects.select_related("activity").order_by("date"))
    pending = (
        _absences(request.user).filter(status=AbsenceStatus.PENDING).prefetch_related(with_days)
        .order_by("declared_at", "pk")
    )  # fmt: skip
    decided = (
        _absences(request.user).exclude(status=AbsenceStatus.PENDING).prefetch_related(with_days)
        .order_by("-decided_at", "-pk")[:20]
    )  # fmt: skip
    return page(
        request,
        "staff/absences/index.html",
        {
            "title": _("Absences à examiner"),
            "page_obj": Paginator(pending, PAGE_SIZE).get_page(params["page"]),
            "page_query": "",
            "decided": decided,
        },
    )


@require_POST
@staff_required
def decide(request, pk):
    absence = scoped(_absences(request.user), request.user, pk)
    data = read(AbsenceDecisionForm, request.POST)
    justified = data["decision"] == JUSTIFIED
    try:
        promoted = service.decide_absence(absence, actor=request.user, justified=justified, note=data["remarque"])
    except service.AbsenceError as error:
        raise BadValue(str(error)) from None
    if justified:
        message = _("Absence de %(child)s justifiée : les places sont libérées.") % {"child": absence.child}
        if promoted:
            message += " " + ngettext(
                "%(n)d place donnée à la liste d'attente.", "%(n)d places données à la liste d'attente.", len(promoted)
            ) % {"n": len(promoted)}
    else:
        message = _("Absence de %(child)s non justifiée : les réservations restent.") % {"child": absence.child}
    messages.success(request, message)
    return redirect("staff:absences")
