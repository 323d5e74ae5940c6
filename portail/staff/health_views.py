"""The child's file in the back office (issue 17 points 2 and 3): the health
sheet and the people allowed to collect the child, reached from the roll call
row, the attendance sheet and the family's admin page.

Health data is sensitive. The child is reached through the staff member's
structures (`scoped`: another structure's child is a 404), and every opening
of the full sheet is written down (`dossier.health.record_health_view`: who,
when, where) before the page is rendered. Animators open it too: on an outing
they need the allergies, the PAI and whom to call (accounts/roles.py). The
list of those views is for structure managers (« responsable ») only.
"""

from django import forms
from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portail.dossier.health import WHERE_CHILD_FILE, WHERE_LABELS, marks_for, pai_document_for, record_health_view
from portail.dossier.models import AuthorisedPerson, FamilyChange, HealthAccess, HealthSheet
from portail.staff.access import page, scoped, staff_required
from portail.structures.models import Child
from portail.structures.scoping import scope_queryset
from portail.web.errors import handler403
from portail.web.forms import IdField, read

ACCESSES_PER_PAGE = 100


@require_GET
@staff_required
def child_file(request, pk):
    """The child's health sheet and authorised people; the view is recorded."""
    child = scoped(Child.objects.select_related("family__structure"), request.user, pk)
    record_health_view(child, request.user, WHERE_CHILD_FILE)
    sheet = HealthSheet.objects.filter(child=child).first()
    # The PAI's document: the one the family sent, even after the sheet was saved.
    pai_document = pai_document_for(child) if sheet is not None and sheet.has_pai else None
    people = list(AuthorisedPerson.objects.filter(child=child).order_by("name", "pk"))
    # What the family changed on this child's file, newest first (its previous values for staff to check).
    recent = list(
        FamilyChange.objects.filter(child=child, field_key__regex=r"^(healthsheet|authorisedperson)\.")
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")[:20]
    )
    return page(
        request,
        "staff/health/child.html",
        {
            "title": _("Fiche de l'enfant — %(child)s") % {"child": child},
            "child": child,
            "family": child.family,
            "sheet": sheet,
            "pai_document": pai_document,
            "marks": marks_for([child.pk]).get(child.pk),
            "people": people,
            "changes": recent,
            "may_see_accesses": request.user.is_structure_manager,
        },
    )


class AccessListForm(forms.Form):
    enfant = IdField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


@require_GET
@staff_required
def health_accesses(request):
    """Who looked at which child's health sheet, and when (structure managers only)."""
    if not request.user.is_structure_manager:
        return handler403(request)
    params = read(AccessListForm, request.GET)
    accesses = HealthAccess.objects.filter(child__in=scope_queryset(Child.objects.all(), request.user))
    child = None
    if params["enfant"]:
        child = scoped(Child.objects.select_related("family"), request.user, params["enfant"])
        accesses = accesses.filter(child=child)
    accesses = accesses.select_related("child__family", "viewer").order_by("-at", "-pk")
    page_obj = Paginator(accesses, ACCESSES_PER_PAGE).get_page(params["page"] or 1)
    for access in page_obj:
        access.where_label = WHERE_LABELS.get(access.where, access.where)
    return page(
        request,
        "staff/health/accesses.html",
        {
            "title": _("Consultations des fiches sanitaires"),
            "child": child,
            "page_obj": page_obj,
            "page_query": f"enfant={child.pk}&" if child else "",
        },
    )
