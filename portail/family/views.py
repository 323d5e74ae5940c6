from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portail.family.access import current_family, switch_family
from portail.family.forms import SwitchStructureForm
from portail.structures.scoping import is_structure_staff


def family_required(view):
    """Logged in, with a family in at least one structure; staff go to the back office."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if current_family(request) is None:
            if is_structure_staff(request.user):
                return redirect("admin:index")
            return render(request, "family/no_family.html", status=403)
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@family_required
def home(request):
    """A2: the information messages of the structure being consulted."""
    today = timezone.localdate()
    info_messages = current_family(request).structure.messages.visible_on(today)
    return render(request, "family/home.html", {"info_messages": info_messages})


@require_POST
@family_required
def switch_structure(request):
    """A4: the drop-down of the header; only the account's own families are accepted."""
    form = SwitchStructureForm(request.POST)
    family_id = form.cleaned_data["family"] if form.is_valid() else None
    if family_id is None or not switch_family(request, family_id):
        messages.error(request, _("Cette structure n'est pas accessible avec votre compte."))
    return redirect("family:home")
