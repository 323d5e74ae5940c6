"""The link of an invoice's e-mail (issue 16 point 2): it opens the family's
« Factures » page in the invoice's structure.

An account may have a family in several structures, and the family side
shows the structure chosen in the session (web.family): a bare link to
« Factures » showed the other one (« rien à payer »). The e-mail's link names
the structure; this view switches to the account's family there, and only
there: a structure where the account has no family is refused with a French
message and switches nothing. A GET, since it is a link in an e-mail; it only
chooses among the account's own families, as the header's drop-down does.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portail.web.family import account_families, switch_family

MAX_ID = 2**63 - 1  # what an id column holds; the path takes any digits


@require_GET
@login_required
def open_invoices(request, structure_id):
    """Switch to the account's family in `structure_id`, then « Factures »."""
    family = None
    if structure_id <= MAX_ID:
        family = account_families(request.user).filter(structure_id=structure_id).first()
    if family is None or not switch_family(request, family.pk):
        messages.error(request, _("Cette structure n'est pas accessible avec votre compte."))
    return redirect("family:invoices")
