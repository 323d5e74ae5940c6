"""« Modifications des familles » (issue 17 point 1): what families changed in
their file, with the previous value, for staff to check; « Vu » per change or
for all of a family's. Only the families of the staff member's structures
(another structure's change or family: 404). Agents and responsables; not the
animators (portail/accounts/roles.py lists what they may open)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from portail.dossier import changes as service
from portail.dossier.models import FamilyChange
from portail.lib.validators import MAX_ID
from portail.staff.access import page, scoped, staff_required
from portail.staff.forms import PageField
from portail.structures.models import Family
from portail.structures.scoping import scope_queryset
from portail.web.forms import read

PAGE_SIZE = 100


class ListForm(forms.Form):
    page = PageField()


def _families(user):
    return scope_queryset(Family.objects.all(), user)


def rows(changes):
    """The changes with the words staff read: « modifié par la famille le ven. 27/11 à 18:02 »."""
    return [{"change": change, "when": service.when(change)} for change in changes]


@require_GET
@staff_required
def family_changes(request):
    """The changes not yet seen, latest first, grouped by family on the page."""
    params = read(ListForm, request.GET)
    page_obj = Paginator(service.unseen(_families(request.user)), PAGE_SIZE).get_page(params["page"])
    groups: dict[int, dict] = {}
    for row in rows(page_obj.object_list):
        family = row["change"].family
        groups.setdefault(family.pk, {"family": family, "rows": []})["rows"].append(row)
    return page(
        request,
        "staff/changes/list.html",
        {"title": _("Modifications des familles"), "page_obj": page_obj, "groups": list(groups.values()),
         "page_query": ""},
    )  # fmt: skip


def _back(request):
    return redirect("staff:family_changes")


@require_POST
@staff_required
def change_seen(request, pk):
    """« Vu » on one change."""
    if not 1 <= pk <= MAX_ID:
        raise Http404
    changes = FamilyChange.objects.filter(pk=pk, family__in=_families(request.user))
    if not changes.exists():
        raise Http404
    if service.mark_seen(changes, request.user):
        messages.success(request, _("Modification marquée comme vue."))
    return _back(request)


@require_POST
@staff_required
def family_changes_seen(request, pk):
    """« Tout marquer comme vu » for one family."""
    family = scoped(Family.objects.all(), request.user, pk)
    count = service.mark_seen(FamilyChange.objects.filter(family=family), request.user)
    if count:
        messages.success(
            request,
            ngettext("%(count)d modification marquée comme vue.", "%(count)d modifications marquées comme vues.", count)
            % {"count": count},
        )
    return _back(request)
