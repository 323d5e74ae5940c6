"""The family import screen (B4): upload a file, read the preview, confirm.

The preview keeps the uploaded file in the session; the confirmation reads it
back from there, checks it again against the database and writes it. Nothing
but the button and a fingerprint of the previewed file comes from the
confirming form, so a tampered form cannot change what gets written.
"""

import base64
import hashlib
import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View

from portail.structures import importer
from portail.structures.models import Activity
from portail.structures.scoping import staff_structure_ids

logger = logging.getLogger(__name__)

SESSION_KEY = "structures.family_import"
MAX_ERRORS_SHOWN = 500


class FamilyImportForm(forms.Form):
    structure = forms.ModelChoiceField(queryset=None, label=_("Structure"))
    file = forms.FileField(
        label=_("Fichier"),
        help_text=_("CSV (séparateur « ; » ou « , ») ou classeur Excel .xlsx, 5 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
        if len(structures) == 1:
            self.fields["structure"].initial = structures[0].pk
            self.fields["structure"].empty_label = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importer.MAX_FILE_BYTES:
            raise forms.ValidationError(_("Fichier trop volumineux : 5 Mo au plus."))
        return upload


class ExampleFileForm(forms.Form):
    """?modele=csv|xlsx: the template file to download."""

    modele = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX")], required=False)


class ConfirmImportForm(forms.Form):
    """The confirming form carries only the fingerprint of the previewed file."""

    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", max_length=64)


def count_lines(counts):
    """The preview's table: what the import will do, in words."""
    return [
        (_("Familles à créer"), counts.families_created),
        (_("Familles à mettre à jour (civilité, nom, prénom)"), counts.families_updated),
        (_("Comptes à créer (sans mot de passe : à inviter ensuite)"), counts.accounts_created),
        (_("Comptes existants de vos structures à rattacher à une famille"), counts.accounts_linked),
        (_("Comptes existants à compléter (nom, prénom ou e-mail vides)"), counts.accounts_updated),
        (_("Enfants à créer"), counts.children_created),
        (_("Enfants à mettre à jour (nom)"), counts.children_updated),
        (_("Inscriptions à créer"), counts.enrolments_created),
        (_("Inscriptions à mettre à jour (date de fin)"), counts.enrolments_updated),
    ]


def summary(counts):
    """The success message's list of what was written."""
    parts = [
        (counts.families_created, ngettext("%d famille créée", "%d familles créées", counts.families_created)),
        (
            counts.families_updated,
            ngettext("%d famille mise à jour", "%d familles mises à jour", counts.families_updated),
        ),
        (counts.accounts_created, ngettext("%d compte créé", "%d comptes créés", counts.accounts_created)),
        (
            counts.accounts_linked,
            ngettext("%d compte existant rattaché", "%d comptes existants rattachés", counts.accounts_linked),
        ),
        (counts.accounts_updated, ngettext("%d compte complété", "%d comptes complétés", counts.accounts_updated)),
        (counts.children_created, ngettext("%d enfant créé", "%d enfants créés", counts.children_created)),
        (counts.children_updated, ngettext("%d enfant mis à jour", "%d enfants mis à jour", counts.children_updated)),
        (
            counts.enrolments_created,
            ngettext("%d inscription créée", "%d inscriptions créées", counts.enrolments_created),
        ),
        (
            counts.enrolments_updated,
            ngettext("%d inscription mise à jour", "%d inscriptions mises à jour", counts.enrolments_updated),
        ),
    ]
    return ", ".join(text % number for number, text in parts if number)


class FamilyImportView(View):
    """Upload → preview (counts, or every error by line) → confirm."""

    model_admin = None
    template_name = "admin/structures/family/import.html"

    def dispatch(self, request, *args, **kwargs):
        if not self.model_admin.has_add_permission(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def structures(self, request):
        return self.model_admin.get_structure_choices(request)

    def validate(self, request, structure, rows):
        # The staff member's own structures bound which existing accounts a
        # line may link; for the site administrator (None) only the structure
        # imported into, so no import moves an account across structures.
        return importer.validate(structure, rows, own_structure_ids=staff_structure_ids(request.user))

    def render(self, request, form, plan=None, pending=None, status=200):
        structures = list(form.fields["structure"].queryset)
        activities = (
            Activity.objects.filter(structure__in=structures)
            .select_related("structure")
            .order_by("structure__name", "code")
        )
        errors = plan.errors if plan else []
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.model._meta,
            "title": _("Importer des familles"),
            "form": form,
            "plan": plan,
            "count_lines": count_lines(plan.counts) if plan else None,
            "errors_shown": errors[:MAX_ERRORS_SHOWN],
            "errors_hidden": max(0, len(errors) - MAX_ERRORS_SHOWN),
            "pending": pending,
            "columns": importer.COLUMNS,
            "max_lines": importer.MAX_LINES,
            "activities": activities,
            "show_structure": len(structures) > 1,
        }
        return TemplateResponse(request, self.template_name, context, status=status)

    def get(self, request):
        query = ExampleFileForm(request.GET)
        model = query.cleaned_data["modele"] if query.is_valid() else ""
        if model == "csv":
            return _download(importer.example_csv(), "text/csv; charset=utf-8", "modele-import-familles.csv")
        if model == "xlsx":
            return _download(
                importer.example_xlsx(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "modele-import-familles.xlsx",
            )
        return self.render(request, FamilyImportForm(structures=self.structures(request)))

    def post(self, request):
        if "cancel" in request.POST:
            request.session.pop(SESSION_KEY, None)
            return redirect("admin:structures_family_import")
        if "confirm" in request.POST:
            return self.confirm(request)
        return self.preview(request)

    def preview(self, request):
        request.session.pop(SESSION_KEY, None)
        form = FamilyImportForm(request.POST, request.FILES, structures=self.structures(request))
        if not form.is_valid():
            return self.render(request, form, status=400)
        structure = form.cleaned_data["structure"]
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            rows = importer.parse_file(upload.name, data)
        except importer.ImportFileError as error:
            form.add_error("file", str(error))
            return self.render(request, form, status=400)
        plan = self.validate(request, structure, rows)
        pending = None
        if plan.is_valid:
            pending = {
                "structure": structure.pk,
                "name": upload.name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "data": base64.b64encode(data).decode("ascii"),
            }
            request.session[SESSION_KEY] = pending
        return self.render(request, form, plan=plan, pending=pending)

    def confirm(self, request):
        pending = request.session.pop(SESSION_KEY, None)
        confirming = ConfirmImportForm(request.POST)
        if not pending or not confirming.is_valid() or confirming.cleaned_data["sha256"] != pending.get("sha256"):
            messages.error(request, _("Aucun aperçu en attente pour ce fichier : envoyez-le à nouveau."))
            return redirect("admin:structures_family_import")
        data = base64.b64decode(pending["data"])
        structure = self.structures(request).filter(pk=pending["structure"]).first()
        if structure is None or hashlib.sha256(data).hexdigest() != pending["sha256"]:
            messages.error(request, _("Cet import n'est plus possible : envoyez le fichier à nouveau."))
            return redirect("admin:structures_family_import")
        rows = importer.parse_file(pending["name"], data)
        try:
            # The database may have changed since the preview: check again,
            # under the same transaction as the writes.
            with transaction.atomic():
                plan = self.validate(request, structure, rows)
                if plan.is_valid:
                    importer.apply(plan)
        except IntegrityError:
            logger.warning("Family import into structure %s collided with another change", structure.pk)
            messages.error(request, _("Les données ont changé pendant l'import ; rien n'a été importé. Recommencez."))
            return redirect("admin:structures_family_import")
        if not plan.is_valid:
            form = FamilyImportForm(initial={"structure": structure.pk}, structures=self.structures(request))
            return self.render(request, form, plan=plan, status=400)
        done = summary(plan.counts)
        logger.info(
            "Family import by %s into structure %s (%s, %d lines): %s",
            request.user.username,
            structure.pk,
            pending["name"],
            plan.line_count,
            done or "no change",
        )
        if done:
            messages.success(
                request,
                _("Import terminé dans « %(structure)s » : %(done)s.") % {"structure": structure, "done": done},
            )
        else:
            messages.info(request, _("Import terminé : rien à changer, tout était déjà à jour."))
        if plan.counts.accounts_created:
            messages.info(
                request,
                _(
                    "Les nouveaux comptes n'ont pas de mot de passe : envoyez-leur une invitation "
                    "depuis la liste des comptes."
                ),
            )
        if plan.shortened:
            # Issue 18 point 1: an enrolment ended earlier may leave bookings after its
            # new end; each child's page lists them and cancels them through the engine.
            links = format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                ((reverse("admin:structures_child_outside_enrolments", args=[c.pk]), c) for c in plan.shortened),
            )
            messages.warning(
                request,
                format_html(
                    "{} {}", _("Inscriptions raccourcies : vérifiez les réservations après leur nouvelle fin :"), links
                ),
            )
        return redirect(reverse("admin:structures_family_changelist") + f"?structure={structure.pk}")


def _download(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
