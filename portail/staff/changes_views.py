"""« Modifications des familles » (issue 17 point 1): what families changed in
their file, with the previous value, for staff to check; « Vu » per save (one
person added: its five fields, one « Vu ») or for all of a family's. The
health sheet's values are never shown here (« modifiée — voir la fiche », a
link to the child's file, which records who looks). Filters: seen or not, the
family's name or reference. Only the families of the staff member's structures
(another structure's change or family: 404). Agents and responsables; not the
animators (portail/accounts/roles.py lists what they may open)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from portail.dossier import changes as service
from portail.dossier.models import FamilyChange
from portail.lib.validators import MAX_ID
from portail.staff.access import page, scoped, staff_required
from portail.staff.document_forms import ALL_STATES, CHANGE_STATES, SEEN, ChangeListForm, query_string
from portail.staff.forms import read
from portail.structures.models import Family
from portail.structures.scoping import scope_queryset

PAGE_SIZE = 100


def _families(user):
    return scope_queryset(Family.objects.all(), user)


def family_filter(prefix: str, text: str) -> Q:
    """A family whose name or reference contains `text` (the family's fields under `prefix`)."""
    return (
        Q(**{f"{prefix}last_name__icontains": text})
        | Q(**{f"{prefix}first_name__icontains": text})
        | Q(**{f"{prefix}reference__icontains": text})
    )


def rows(changes):
    """The changes with the words staff read: « modifié par la famille le ven. 27/11 à 18:02 »,
    and whether the values are health data (masked)."""
    return [{"change": change, "when": service.when(change), "health": service.is_health(change)} for change in changes]


@require_GET
@staff_required
def family_changes(request):
    """The changes (not yet seen by default), latest first, grouped by family on
    the page, then per save (one « Vu » per group)."""
    params = read(ChangeListForm, request.GET)
    state = params["etat"] or "non_vues"
    found = FamilyChange.objects.filter(family__in=_families(request.user))
    if state == SEEN:
        found = found.filter(seen_at__isnull=False)
    elif state != ALL_STATES:
        found = found.filter(seen_at__isnull=True)
    if params["famille"]:
        found = found.filter(family_filter("family__", params["famille"]))
    found = found.select_related("family", "family__structure", "changed_by", "child", "seen_by").order_by(
        "-changed_at", "-pk"
    )
    page_obj = Paginator(found, PAGE_SIZE).get_page(params["page"])
    families: dict[int, dict] = {}
    for group in service.group_by_save(page_obj.object_list):
        family = group[0].family
        families.setdefault(family.pk, {"family": family, "saves": []})["saves"].append(
            {"rows": rows(group), "first": group[0], "seen": all(c.seen_at for c in group)}
        )
    return page(
        request,
        "staff/changes/list.html",
        {"title": _("Modifications des familles"), "page_obj": page_obj, "groups": list(families.values()),
         "filters": {"etat": state, "famille": params["famille"]}, "states": CHANGE_STATES,
         "page_query": query_string(params, ["etat", "famille"])},
    )  # fmt: skip


def _back(request):
    return redirect("staff:family_changes")


@require_POST
@staff_required
def change_seen(request, pk):
    """« Vu » on one save's changes: `pk` is one of them (the group's first);
    every row of that save (same family, object, author and moment) is marked."""
    if not 1 <= pk <= MAX_ID:
        raise Http404
    scoped_changes = FamilyChange.objects.filter(family__in=_families(request.user))
    change = scoped_changes.filter(pk=pk).first()
    if change is None:
        raise Http404
    count = service.mark_seen(service.same_save(change, scoped_changes), request.user)
    if count:
        messages.success(
            request,
            ngettext("%(count)d modification marquée comme vue.", "%(count)d modifications marquées comme vues.", count)
            % {"count": count},
        )
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
