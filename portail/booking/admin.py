from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portail.booking.models import Booking, BookingAudit, Consumption, Movement, ProcessingRun
from portail.structures.admin_base import ScopedModelAdmin, ScopedTabularInline, StructureListFilter

related_only = admin.RelatedOnlyFieldListFilter


class ReadOnlyMixin:
    """Bookings change only through the engine (family confirmation, staff
    actions in "Gestion"), so that places, waiting lists and the audit trail
    stay right; the admin shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditInline(ReadOnlyMixin, ScopedTabularInline):
    model = BookingAudit
    fields = ["at", "actor", "source", "from_status", "to_status", "note"]
    readonly_fields = fields
    can_delete = False


class MovementInline(ReadOnlyMixin, ScopedTabularInline):
    """A booking made by a family's confirmation is recorded here only (not in the audit)."""

    model = Movement
    fields = ["created_at", "created_by", "kind", "outcome", "waiting_position", "reason", "run"]
    readonly_fields = fields
    can_delete = False


@admin.register(Booking)
class BookingAdmin(ReadOnlyMixin, ScopedModelAdmin):
    list_display = ["date", "child", "activity", "status", "arrival", "departure", "queued_at"]
    list_filter = ["status", ("activity", related_only)]
    search_fields = ["child__first_name", "child__last_name", "activity__name"]
    date_hierarchy = "date"
    inlines = [MovementInline, AuditInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("child", "activity")


@admin.register(Movement)
class MovementAdmin(ReadOnlyMixin, ScopedModelAdmin):
    list_display = ["created_at", "kind", "family", "booking", "outcome", "waiting_position", "transmitted_display"]
    list_filter = ["kind", "outcome", ("run", admin.EmptyFieldListFilter)]
    search_fields = ["family__last_name", "booking__child__first_name"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("family", "booking__child", "booking__activity")

    @admin.display(description=_("transmis"), boolean=True)
    def transmitted_display(self, obj):
        return obj.transmitted


@admin.register(Consumption)
class ConsumptionAdmin(ScopedModelAdmin):
    """Consommations (H1): entered here until the roll call records them."""

    list_display = ["date", "child", "activity", "present", "arrival", "departure", "recorded_by"]
    list_filter = ["present", ("activity", related_only)]
    search_fields = ["child__first_name", "child__last_name", "activity__name"]
    autocomplete_fields = ["child", "activity"]
    fields = ["child", "activity", "date", "present", "arrival", "departure"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ProcessingRun)
class ProcessingRunAdmin(ReadOnlyMixin, ScopedModelAdmin):
    list_display = ["structure", "started_at", "finished_at", "movements_count", "families_count", "started_by"]
    list_filter = [StructureListFilter]
