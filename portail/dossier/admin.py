"""The family file's parts in the family's admin page (issue 17), added here
so that `structures` never imports `dossier` (as booking/admin.py does for
the engine): the parents (Guardian rows) and the changes the family made
itself and staff have not seen yet, « modifié par la famille le … » with the
previous value."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portail.dossier import changes
from portail.dossier.models import DocumentType, Guardian
from portail.structures.admin import FamilyAdmin, StructureFieldMixin
from portail.structures.admin_base import ScopedModelAdmin, ScopedTabularInline, StructureListFilter


class GuardianInline(ScopedTabularInline):
    model = Guardian
    fields = [
        "civility", "last_name", "first_name", "email", "mobile_phone", "home_phone", "work_phone", "address",
        "account",
    ]  # fmt: skip
    readonly_fields = ["account"]  # an account joins through the invitation, never picked by staff
    max_num = absolute_max = 10
    verbose_name_plural = _("parents")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            # A tabular inline shows no help text under its cells, so the
            # aria-describedby Django adds would name nothing.
            field.help_text = ""
        return field


@admin.display(description=_("modifié par la famille, à vérifier"))
def family_changes(model_admin, family):
    """The changes the family made and staff have not seen yet: what, previous
    value → new value, « modifié par la famille le ven. 27/11 à 18:02 », who.
    A read-only field rather than an inline: nothing of it is posted back
    with the family's form."""
    if family is None or family.pk is None:
        return "—"
    rows = list(changes.unseen([family])[:50])
    if not rows:
        return gettext("Aucune modification à vérifier.")
    items = format_html_join(
        "",
        "<li>{} : {} → <strong>{}</strong> — {}{}</li>",
        (
            (
                row.field_label,
                # Health values are never shown here: the child's file records who reads them.
                changes.MASKED if changes.is_health(row) else (row.old_value or "—"),
                changes.MASKED if changes.is_health(row) else (row.new_value or "—"),
                gettext("modifié par la famille le %(when)s") % {"when": changes.when(row)},
                f" ({row.changed_by.display_name})" if row.changed_by else "",
            )
            for row in rows
        ),
    )
    return format_html(
        '<ul class="family-changes" data-testid="admin-family-changes">{}</ul><p><a href="{}">{}</a></p>',
        items,
        reverse("staff:family_changes"),
        gettext("Vérifier et marquer comme vu"),
    )


# The registered family admin (accounts/admin.py's subclass) inherits these.
FamilyAdmin.family_changes = family_changes  # type: ignore[attr-defined]
FamilyAdmin.fields = [*FamilyAdmin.fields, "family_changes"]
FamilyAdmin.readonly_fields = [*FamilyAdmin.readonly_fields, "family_changes"]
FamilyAdmin.inlines = [*FamilyAdmin.inlines, GuardianInline]


@admin.display(description=_("fiches des enfants"))
def children_files(model_admin, family):
    """Issue 17 points 2, 3: a link to each child's file in the back office
    (health sheet, people allowed to collect the child); opening it is recorded."""
    if family is None or family.pk is None:
        return "—"
    children = list(family.children.order_by("first_name", "pk"))
    if not children:
        return "—"
    return format_html_join(
        " · ",
        '<a href="{}" data-testid="admin-child-file">{}</a>',
        ((reverse("staff:child_file", args=[child.pk]), child.first_name) for child in children),
    )


FamilyAdmin.children_files = children_files  # type: ignore[attr-defined]
FamilyAdmin.fields = [*FamilyAdmin.fields, "children_files"]
FamilyAdmin.readonly_fields = [*FamilyAdmin.readonly_fields, "children_files"]


@admin.register(DocumentType)
class DocumentTypeAdmin(StructureFieldMixin, ScopedModelAdmin):
    """The documents a structure asks of its families (issue 17 point 4):
    per family or per child, required or not, with a validity in months
    (proposed to staff when they validate a file). Scoped per structure."""

    list_display = ["name", "structure", "kind", "per_child", "required", "validity_months"]
    list_filter = [StructureListFilter, "kind", "required"]
    search_fields = ["name"]
    fields = ["structure", "name", "kind", "per_child", "required", "validity_months"]
