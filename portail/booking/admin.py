from django.contrib import admin

from portail.booking.models import ProcessingRun
from portail.structures.admin_base import ScopedModelAdmin, StructureListFilter


@admin.register(ProcessingRun)
class ProcessingRunAdmin(ScopedModelAdmin):
    list_display = ["structure", "started_at", "finished_at"]
    list_filter = [StructureListFilter]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
