from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portail.notifications.models import OutboxEmail
from portail.notifications.outbox import resend
from portail.structures.admin_base import ScopedModelAdmin, StructureListFilter


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ScopedModelAdmin):
    """The outbox (N4): what was sent, what waits, what failed; resend."""

    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "resends", "sent_at"]
    list_filter = ["status", "kind", StructureListFilter]
    search_fields = ["to", "subject"]
    readonly_fields = [
        "kind", "to", "subject", "body_text", "structure", "status", "attempts", "next_attempt_at",
        "last_error", "created_at", "sent_at", "resends", "message_id", "claimed_at", "claimed_by",
    ]  # fmt: skip
    fields = readonly_fields
    actions = ["resend_selected"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # an e-mail is never edited; "Renvoyer" sends it again

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Renvoyer les e-mails sélectionnés"))
    def resend_selected(self, request, queryset):
        # Ask first, saying when each was sent (issue 18 point 8): a report or an
        # invitation already received must not go out again by a slip of the mouse.
        if request.POST.get("confirmation") != "oui":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Renvoyer ces e-mails ?"),
                "opts": self.model._meta,
                "emails": queryset.order_by("-created_at", "-id"),
                "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
                "action": request.POST.get("action", "resend_selected"),
            }
            return TemplateResponse(request, "admin/notifications/confirm_resend.html", context)
        count = resend(queryset)
        messages.success(request, ngettext("%d e-mail sera renvoyé.", "%d e-mails seront renvoyés.", count) % count)
