"""« Inviter l'autre parent » (issue 17 point 1), from « Mon dossier »."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portail.accounts.coparent import DAILY_LIMIT, TooManyInvitations, invitations_left, invite_coparent
from portail.web.family import current_family, family_required


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Adresse e-mail de l'autre parent"), max_length=254,
        error_messages={"required": gettext_lazy("Indiquez l'adresse e-mail."),
                        "invalid": gettext_lazy("Adresse e-mail invalide."),
                        "max_length": gettext_lazy("Adresse e-mail trop longue.")},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@family_required
def invite_parent(request):
    family = current_family(request)
    form = InviteForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            email = form.cleaned_data["email"]
            if family.accounts.filter(email__iexact=email).exists():
                # Only this family's own accounts are looked at: another family's account
                # with this address gets the usual invitation (nothing is revealed about it).
                messages.info(request, _("Cette personne a déjà accès au portail pour votre famille."))
                return redirect("family:dossier")
            try:
                invite_coparent(family, email, request.user)
            except TooManyInvitations:
                form.add_error(
                    None,
                    _("Vous avez déjà envoyé %(limit)d invitations depuis hier : réessayez demain.")
                    % {"limit": DAILY_LIMIT},
                )
                status = 429
            else:
                # The same words whatever the address: nobody learns here whether it has an account.
                messages.success(
                    request,
                    _(
                        "Invitation envoyée à %(email)s. La personne invitée choisit, depuis le lien reçu, "
                        "de se connecter ou de créer son compte."
                    )
                    % {"email": email},
                )
                return redirect("family:dossier")
        else:
            status = 400
    return render(
        request,
        "family/dossier/invite.html",
        {"form": form, "left": invitations_left(family), "limit": DAILY_LIMIT},
        status=status,
    )
