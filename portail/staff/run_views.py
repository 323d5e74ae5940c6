"""Requests and runs (N1, N4): the "Non transmis" movements of each
structure, the button that runs the processing now, the history of runs,
and the e-mail outbox with "Renvoyer" for the failed ones."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from portail.booking.processing import RunInProgress, start_run_now
from portail.notifications import outbox
from portail.notifications.models import EmailStatus, OutboxEmail
from portail.staff import queries
from portail.staff.access import page, scoped, scoped_structures, staff_required
from portail.staff.forms import ResendForm, RunsForm, StartRunForm, read
from portail.structures.scoping import scope_queryset

PAGE_SIZE = 100


@require_GET
@staff_required
def runs(request):
    params = read(RunsForm, request.GET)
    structures = list(scoped_structures(request.user))
    counts = queries.pending_counts(structures)
    structure = structures[0] if structures else None
    if params["structure"] is not None:
        structure = scoped(scoped_structures(request.user), request.user, params["structure"])
    context = {
        "title": _("Demandes et traitements"),
        "structures": [(s, counts.get(s.pk, 0)) for s in structures],
        "structure": structure,
    }
    if structure is not None:
        context["page_obj"] = Paginator(queries.pending_movements(structure), PAGE_SIZE).get_page(params["page"])
        context["pending"] = counts.get(structure.pk, 0)
        context["page_query"] = f"structure={structure.pk}&"
        context["runs"] = queries.recent_runs(structure)
        context["drift"] = _counter_drift(context["runs"])
    return page(request, "staff/runs.html", context)


def _counter_drift(runs):
    """The latest finished run's report of place counters that differ from the
    bookings (booking.counters, issue 15), or None when they were right."""
    last = next((run for run in runs if run.finished_at), None)
    if last is None or not last.counter_drift_count:
        return None
    days = [{**entry, "date": datetime.date.fromisoformat(entry["date"])} for entry in last.counter_drift]
    return {"run": last, "count": last.counter_drift_count, "days": days, "more": last.counter_drift_count - len(days)}


@require_POST
@staff_required
def start_run(request):
    """Run the structure's processing now (safe to repeat: nothing is processed twice)."""
    structure = scoped(scoped_structures(request.user), request.user, read(StartRunForm, request.POST)["structure"])
    try:
        run = start_run_now(structure, started_by=request.user)
    except RunInProgress as error:
        messages.error(request, str(error))
        return redirect(reverse("staff:runs") + f"?structure={structure.pk}")
    messages.success(
        request,
        _("Traitement terminé pour %(structure)s : %(movements)s, %(families)s.")
        % {
            "structure": structure,
            "movements": ngettext("%(n)d mouvement traité", "%(n)d mouvements traités", run.movements_count)
            % {"n": run.movements_count},
            "families": ngettext("%(n)d famille", "%(n)d familles", run.families_count) % {"n": run.families_count},
        },
    )
    return redirect(reverse("staff:runs") + f"?structure={structure.pk}")


STATUS_FILTERS = {value for value, _ in EmailStatus.choices}


@require_GET
@staff_required
def emails(request):
    """The outbox of the staff member's structures (N4)."""
    queryset = scope_queryset(OutboxEmail.objects.select_related("structure"), request.user).order_by(
        "-created_at", "-id"
    )
    status = request.GET.get("etat", "")
    if status in STATUS_FILTERS:
        queryset = queryset.filter(status=status)
    else:
        status = ""
    return page(
        request,
        "staff/emails.html",
        {
            "title": _("E-mails envoyés par le portail"),
            "page_obj": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")),
            "status": status,
            "page_query": f"etat={status}&" if status else "",
            "statuses": EmailStatus.choices,
        },
    )


@require_POST
@staff_required
def resend_email(request, pk):
    email = scoped(OutboxEmail.objects.all(), request.user, pk)
    params = read(ResendForm, request.POST)
    status = params["etat"]
    if params["confirmation"] != "oui" and email.status == EmailStatus.FAILED:
        # Ask first (issue 18 point 8): the recipient may have it already, the
        # page says when it was created, tried and last sent.
        return page(
            request,
            "staff/resend_confirm.html",
            {"title": _("Renvoyer cet e-mail ?"), "email": email, "status": status},
        )
    if outbox.resend(OutboxEmail.objects.filter(pk=email.pk, status=EmailStatus.FAILED)):
        messages.success(
            request, _("L'e-mail « %(subject)s » à %(to)s sera renvoyé.") % {"subject": email.subject, "to": email.to}
        )
    else:
        messages.error(request, _("Seul un e-mail en échec peut être renvoyé."))
    return redirect(reverse("staff:emails") + (f"?etat={status}" if status else ""))
