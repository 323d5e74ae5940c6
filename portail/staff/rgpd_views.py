"""« Anonymiser cette famille » (issue 17 point 6): a structure manager
(responsable) removes the names and contacts of a family that has left; its
bookings and invoices stay for the accounts. The rule and the audit entry
live in dossier.rgpd; this view asks to confirm and says why it refuses.

« Télécharger ses données » : the same manager downloads everything the
portal holds about a family of its structure (the zip a parent gets from
« Mes données »), for a family that asked the town in writing."""

from django import forms
from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from portail.dossier import rgpd
from portail.lib.downloads import ascii_filename
from portail.staff.access import page, scoped, staff_required
from portail.structures.models import Family
from portail.web.errors import bad_request, handler403


class AnonymiseForm(forms.Form):
    confirmer = forms.BooleanField(
        required=True,
        error_messages={"required": gettext_lazy("Cochez la case pour confirmer l'anonymisation.")},
    )


@require_http_methods(["GET", "POST"])
@staff_required
def anonymise_family(request, pk):
    """GET: what will be removed and kept, and what prevents it; POST: do it."""
    # Another structure's family is a 404 for everyone, as elsewhere; then the role.
    family = scoped(Family.objects.select_related("structure"), request.user, pk)
    if not request.user.is_structure_manager:
        return handler403(request)
    obstacles = rgpd.anonymisation_obstacles(family)
    if request.method == "POST":
        form = AnonymiseForm(request.POST)
        if obstacles:
            return bad_request(request, " ".join(obstacles))
        if not form.is_valid():
            return bad_request(request, form.errors["confirmer"][0])
        try:
            rgpd.anonymise_family(family, actor=request.user)
        except rgpd.AnonymisationRefused as refusal:
            return bad_request(request, str(refusal))
        messages.success(request, _("La famille est anonymisée : %(name)s.") % {"name": rgpd.anonymised_name(family)})
        return redirect("admin:structures_family_change", family.pk)
    return page(
        request,
        "staff/rgpd/anonymise.html",
        {
            "title": _("Anonymiser la famille %(family)s") % {"family": family},
            "family": family,
            "obstacles": obstacles,
            "warnings": [] if obstacles else rgpd.anonymisation_warnings(family),
            "form": AnonymiseForm(),
        },
    )


@require_GET
@staff_required
def export_family_data(request, pk):
    """The family's data and documents as one zip, recorded in its admin
    history (« Données exportées (RGPD) ») and as a view of its health sheets."""
    # As for the anonymisation: another structure's family is a 404, then the role.
    family = scoped(Family.objects.select_related("structure"), request.user, pk)
    if not request.user.is_structure_manager:
        return handler403(request)
    archive = rgpd.export_archive(family, viewer=request.user)
    parts = ["donnees", family.structure.name, family.reference, f"{timezone.localdate():%Y-%m-%d}"]
    return FileResponse(archive, as_attachment=True, filename=ascii_filename(parts, "zip"))
