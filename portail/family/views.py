from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portail.family.forms import SwitchStructureForm
from portail.notifications.family_messages import messages_for_family
from portail.web.family import current_family, family_required, switch_family


@family_required
def home(request):
    """A2: the information messages of the structure being consulted."""
    today = timezone.localdate()
    family = current_family(request)
    info_messages = family.structure.messages.visible_on(today)
    # The messages staff wrote to this family (issue 18 point 8): also read by families without e-mail.
    family_messages = messages_for_family(family)
    return render(request, "family/home.html", {"info_messages": info_messages, "family_messages": family_messages})


@require_POST
@family_required
def switch_structure(request):
    """A4: the drop-down of the header; only the account's own families are accepted."""
    form = SwitchStructureForm(request.POST)
    family_id = form.cleaned_data["family"] if form.is_valid() else None
    if family_id is None or not switch_family(request, family_id):
        messages.error(request, _("Cette structure n'est pas accessible avec votre compte."))
    return redirect("family:home")
