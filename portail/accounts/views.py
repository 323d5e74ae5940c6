from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portail.accounts.invitations import accept_invitation
from portail.accounts.models import Invitation


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def invitation(request, token):
    """The parent opens the invitation link and chooses a password."""
    found = Invitation.find_usable(token)
    if found is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept_invitation(found, form.cleaned_data["new_password1"])
        messages.success(request, _("Votre mot de passe est enregistré. Connectez-vous avec votre identifiant."))
        return redirect("login")
    return render(request, "accounts/invitation.html", {"form": form, "account": found.user})


def recovery_placeholder(request):
    """A3 arrives with the recovery issue; until then, say whom to ask."""
    return render(request, "accounts/recovery_placeholder.html")
