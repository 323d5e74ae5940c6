"""« Mon dossier » (issue 17 point 1): the family keeps its contacts, its
parents' and its children's details up to date. A change applies at once and
is recorded for staff to check (`portail.dossier.changes`). The objects are
always found among the family of the logged-in account: another family's id
is a 404, and nothing changes."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portail.dossier import changes
from portail.dossier.models import Guardian
from portail.family.dossier_forms import ChildForm, GuardianForm, HouseholdForm, NewGuardianForm
from portail.lib.validators import MAX_ID
from portail.web.family import current_family, family_required


def _own(queryset, pk):
    """The family's object `pk`, else 404 (an out-of-range id too: never a database error)."""
    if not 1 <= pk <= MAX_ID:
        raise Http404
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _account_has_guardian(family, user):
    return Guardian.objects.filter(family=family, account=user).exists()


@require_GET
@family_required
def index(request):
    family = current_family(request)
    return render(
        request,
        "family/dossier/index.html",
        {
            "family": family,
            "guardians": list(family.guardians.select_related("account")),
            "children": list(family.children.order_by("birth_date", "first_name")),
            "account_listed": _account_has_guardian(family, request.user),
        },
    )


def _edit(request, form, *, title, child=None, locked=(), status_ok_message=None):
    """Show `form`; on a valid POST save it with its changes recorded and go back to the file."""
    family = current_family(request)
    if request.method == "POST":
        if form.is_valid():
            recorded = changes.save_family_edit(form, family=family, actor=request.user, child=child)
            if recorded:
                messages.success(request, status_ok_message or _("Vos modifications sont enregistrées."))
            else:
                messages.info(request, _("Aucune modification : rien n'a changé."))
            return redirect("family:dossier")
        status = 400  # refused: the page shows why, nothing is saved
    else:
        status = 200
    return render(request, "family/dossier/edit.html", {"form": form, "title": title, "locked": locked}, status=status)


def _data(request):
    return request.POST if request.method == "POST" else None


@require_http_methods(["GET", "POST"])
@family_required
def household(request):
    family = current_family(request)
    return _edit(request, HouseholdForm(_data(request), instance=family), title=_("Coordonnées de la famille"))


@require_http_methods(["GET", "POST"])
@family_required
def guardian(request, pk):
    family = current_family(request)
    row = _own(family.guardians.all(), pk)
    title = _("Parent : %(name)s") % {"name": f"{row.first_name} {row.last_name.upper()}"}
    return _edit(request, GuardianForm(_data(request), instance=row), title=title)


@require_http_methods(["GET", "POST"])
@family_required
def guardian_new(request):
    family = current_family(request)
    form = NewGuardianForm(_data(request), instance=Guardian(family=family))
    if _account_has_guardian(family, request.user):
        del form.fields["moi"]  # the account already has its row
    if request.method == "POST" and form.is_valid() and form.cleaned_data.get("moi"):
        form.instance.account = request.user
    return _edit(request, form, title=_("Ajouter un parent"), status_ok_message=_("Le parent est ajouté au dossier."))


@require_http_methods(["GET", "POST"])
@family_required
def child(request, pk):
    family = current_family(request)
    row = _own(family.children.all(), pk)
    locked = [
        (_("Nom et prénom"), f"{row.first_name} {row.last_name.upper()}"),
        (_("Date de naissance"), row.birth_date.strftime("%d/%m/%Y")),
    ]
    title = _("Enfant : %(name)s") % {"name": row.first_name}
    return _edit(request, ChildForm(_data(request), instance=row), title=title, child=row, locked=locked)
