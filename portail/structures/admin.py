from django.contrib import admin
from django.db.models import Count
from django.urls import path
from django.utils.translation import gettext_lazy as _

from portail.structures import admin_views, import_views
from portail.structures.admin_base import ScopedModelAdmin, ScopedTabularInline, StructureListFilter
from portail.structures.models import (
    Activity,
    Child,
    ClosedPeriod,
    Enrolment,
    Family,
    InfoMessage,
    Opening,
    Structure,
)

admin.site.site_header = _("Portail Famille — administration")
admin.site.site_title = _("Portail Famille")
admin.site.index_title = _("Gestion des structures")

related_only = admin.RelatedOnlyFieldListFilter


class StructureFieldMixin:
    """Pre-selects the structure for staff who manage only one."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        structure_id = self.single_structure(request)
        if structure_id and "structure" not in initial:
            initial["structure"] = structure_id
        return initial


@admin.register(Structure)
class StructureAdmin(ScopedModelAdmin):
    list_display = ["name", "email", "phone"]
    search_fields = ["name"]
    filter_horizontal = ["staff"]
    # "Lancer le traitement des demandes maintenant" is added by booking/admin.py.

    def get_fields(self, request, obj=None):
        fields = ["name", "email", "phone", "address", "processing_time", "holiday_subdivision"]
        return fields + ["staff"] if request.user.is_superuser else fields

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class ChildInline(ScopedTabularInline):
    model = Child
    fields = ["first_name", "last_name", "birth_date", "school_class"]
    show_change_link = True
    max_num = absolute_max = 50


@admin.register(Family)
class FamilyAdmin(StructureFieldMixin, ScopedModelAdmin):
    """Its accounts field is checked by accounts/admin.py's FamilyAccountsForm
    (which accounts may be added), registered there over this one."""

    list_display = ["__str__", "reference", "structure", "children_count"]
    list_filter = [StructureListFilter]
    search_fields = ["last_name", "first_name", "reference", "children__first_name", "accounts__username"]
    autocomplete_fields = ["accounts"]
    fields = ["structure", "reference", "civility", "last_name", "first_name", "accounts"]
    inlines = [ChildInline]
    change_list_template = "admin/structures/family/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("structure").annotate(children_count=Count("children"))

    @admin.display(description=_("enfants"), ordering="children_count")
    def children_count(self, obj):
        return obj.children_count

    def get_urls(self):
        view = self.admin_site.admin_view(import_views.FamilyImportView.as_view(model_admin=self))
        return [path("import/", view, name="structures_family_import")] + super().get_urls()


class EnrolmentInline(ScopedTabularInline):
    model = Enrolment
    fields = ["activity", "start_date", "end_date"]
    max_num = absolute_max = 500  # years of enrolments stay editable


@admin.register(Child)
class ChildAdmin(ScopedModelAdmin):
    list_display = ["__str__", "birth_date", "school_class", "family", "structure"]
    list_filter = [type("ChildStructureFilter", (StructureListFilter,), {"path": "family__structure"})]
    search_fields = ["first_name", "last_name", "family__last_name", "family__reference"]
    autocomplete_fields = ["family"]
    inlines = [EnrolmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("family__structure")

    @admin.display(description=_("structure"), ordering="family__structure__name")
    def structure(self, obj):
        return obj.family.structure


@admin.register(Activity)
class ActivityAdmin(StructureFieldMixin, ScopedModelAdmin):
    list_display = ["name", "code", "structure", "is_limited", "capacity", "waiting_list_capacity", "has_times"]
    list_filter = [StructureListFilter, "is_limited", "has_times", "serves_meal"]
    search_fields = ["name", "code"]
    change_form_template = "admin/structures/activity/change_form.html"
    fieldsets = [
        (None, {"fields": ["structure", "name", "code", "colour", "serves_meal"]}),
        (_("Places"), {"fields": ["is_limited", "capacity", "waiting_list_capacity"]}),
        (_("Horaires"), {"fields": ["has_times", "earliest_time", "latest_time", "time_step_minutes"]}),
        (
            _("Délais"),
            {
                "fields": [
                    ("booking_deadline_days", "booking_deadline_time", "booking_deadline_count"),
                    ("cancellation_deadline_days", "cancellation_deadline_time", "cancellation_deadline_count"),
                ],
                "description": _("« N jours avant, à HH:MM ». 0 jour : le jour même."),
            },
        ),
        (_("Période de réservation"), {"fields": ["booking_period_start", "booking_period_end", "bookings_open_at"]}),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view(admin_views.BulkOpeningsView.as_view(model_admin=self))
        return [path("<int:pk>/ouvertures/", view, name="structures_activity_bulk_openings")] + super().get_urls()


@admin.register(Opening)
class OpeningAdmin(ScopedModelAdmin):
    """Saving and deleting go through the booking engine: booking/admin.py
    registers its subclass (waiting list, days with bookings) over this one."""

    list_display = ["date", "activity", "capacity", "waiting_list_capacity", "closed_at"]
    list_filter = [("activity", related_only)]
    # A day closed by staff (booking.staff_actions.close_day) is kept: shown, never reopened here.
    readonly_fields = ["closed_at", "closed_by", "closure_reason"]
    date_hierarchy = "date"
    autocomplete_fields = ["activity"]
    search_fields = ["activity__name"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("activity")


@admin.register(Enrolment)
class EnrolmentAdmin(ScopedModelAdmin):
    list_display = ["child", "activity", "start_date", "end_date"]
    list_filter = [("activity", related_only)]
    search_fields = ["child__first_name", "child__last_name", "activity__name"]
    autocomplete_fields = ["child", "activity"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("child", "activity")


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(StructureFieldMixin, ScopedModelAdmin):
    list_display = ["label", "start_date", "end_date", "structure"]
    list_filter = [StructureListFilter]
    search_fields = ["label"]


@admin.register(InfoMessage)
class InfoMessageAdmin(StructureFieldMixin, ScopedModelAdmin):
    list_display = ["title", "structure", "visible_from", "visible_until"]
    list_filter = [StructureListFilter]
    search_fields = ["title", "text"]
