"""« Absences » (issue 17 point 5): a parent declares that a child misses
days already booked (illness or another reason, a certificate if they have
one), sees the booked days a declaration covers before sending it, and then
staff's decision. Declaring after the cancellation délai is allowed."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portail.dossier import absences as service
from portail.dossier.documents import DocumentError
from portail.dossier.models import Absence
from portail.family.absence_forms import AbsenceDaysForm, DeclareForm
from portail.family.forms import BadValue, read
from portail.family.params import own_child
from portail.web.errors import bad_request
from portail.web.family import current_family, family_required


def _page(request, family, *, child=None, start=None, end=None, form=None, error="", status=200):
    children = list(family.children.order_by("first_name", "pk"))
    covered = list(service.covered_bookings(child, start, end)) if child is not None else []
    absences = (
        Absence.objects.filter(family=family)
        .select_related("child", "certificate")
        .order_by("-declared_at", "-pk")[:50]
    )
    return render(
        request,
        "family/absences/index.html",
        {
            "children": children,
            "child": child,
            "start": start,
            "end": end,
            "covered": covered,
            "form": form or DeclareForm(),
            "error": error,
            "absences": absences,
        },
        status=status,
    )


@require_GET
@family_required
def absences(request):
    """The family's absences; with a child and days chosen, the booked days
    they cover and the declaration form."""
    family = current_family(request)
    if not request.GET:
        return _page(request, family)
    try:
        values = read(AbsenceDaysForm, request.GET)
        child = own_child(family, values["enfant"])
        service.check_range(values["du"], values["au"])
    except (BadValue, service.AbsenceError) as error:
        return bad_request(request, str(error))
    return _page(request, family, child=child, start=values["du"], end=values["au"])


@require_POST
@family_required
def declare(request):
    """Record the declaration; refused (a French message, nothing recorded)
    when no booked day is covered or the certificate is not a PDF/JPEG/PNG."""
    family = current_family(request)
    form = DeclareForm(request.POST, request.FILES)
    if not form.is_valid():
        # The child is checked first: another family's (or a malformed id) is
        # a 404, never a message.
        own_child(family, form.cleaned_data.get("enfant"))
        return _page(request, family, form=form, error=next(iter(form.errors.values()))[0], status=400)
    data = form.cleaned_data
    child = own_child(family, data["enfant"])
    try:
        service.declare_absence(
            family, child, start=data["du"], end=data["au"], reason=data["motif"], comment=data["precision"],
            certificate=data.get("justificatif"), declared_by=request.user,
        )  # fmt: skip
    except (service.AbsenceError, DocumentError) as error:
        return _page(request, family, child=child, start=data["du"], end=data["au"], form=form, error=str(error),
                     status=400)  # fmt: skip
    messages.success(request, _("Absence déclarée : la structure va l'examiner."))
    return redirect("family:absences")
