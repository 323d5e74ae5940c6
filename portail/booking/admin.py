"""The booking engine's admin: its own models, read-only, and the engine's
parts of the structures' admin — the processing run action on Structure, and
Opening saved and deleted through the engine — registered here over the
structures' ModelAdmins, so that `structures` never imports `booking`."""

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portail.booking import admin_enrolments
from portail.booking.models import ACTIVE_STATUSES, Booking, BookingAudit, Consumption, Movement, ProcessingRun
from portail.booking.processing import RunInProgress, start_run_now
from portail.booking.staff_actions import save_opening, too_few_places
from portail.structures.admin import OpeningAdmin, StructureAdmin
from portail.structures.admin_base import ScopedModelAdmin, ScopedTabularInline, StructureListFilter
from portail.structures.models import Opening, Structure

if TYPE_CHECKING:
    # settings.AUTH_USER_MODEL as django-stubs resolves it (booking never imports portail.accounts).
    from django.contrib.auth.models import _User as User

related_only = admin.RelatedOnlyFieldListFilter


class ReadOnlyMixin:
    """Bookings change only through the engine (family confirmation, staff
    actions in "Gestion"), so that places, waiting lists and the audit trail
    stay right; the admin shows them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _column(name: str, title: Any) -> Any:
    """A read-only column showing the field `name` under a French title: these
    audit fields have no verbose name (adding one needs a booking migration),
    and the admin would show their English attribute name ("From status",
    "Created by"; issue 18, tests/test_staff_french_labels.py)."""

    @admin.display(description=title)
    def show(self: Any, obj: Any) -> Any:
        display = getattr(obj, f"get_{name}_display", None)
        return display() if display is not None else getattr(obj, name)

    show.__name__ = f"column_{name}"
    return show


class AuditInline(ReadOnlyMixin, ScopedTabularInline):
    model = BookingAudit
    column_at = _column("at", _("le"))
    column_actor = _column("actor", _("par"))
    column_source = _column("source", _("origine"))
    column_from_status = _column("from_status", _("état avant"))
    column_to_status = _column("to_status", _("état après"))
    column_note = _column("note", _("note"))
    fields = readonly_fields = (
        "column_at", "column_actor", "column_source", "column_from_status", "column_to_status", "column_note",
    )  # fmt: skip
    can_delete = False


class MovementInline(ReadOnlyMixin, ScopedTabularInline):
    """A booking made by a family's confirmation is recorded here only (not in the audit)."""

    model = Movement
    column_created_by = _column("created_by", _("par"))
    column_run = _column("run", _("traitement"))
    fields = readonly_fields = (
        "created_at", "column_created_by", "kind", "outcome", "waiting_position", "reason", "column_run",
    )  # fmt: skip
    can_delete = False


@admin.register(Booking)
class BookingAdmin(ReadOnlyMixin, ScopedModelAdmin):
    list_display = ["date", "child", "activity", "status", "arrival", "departure", "queued_at"]
    list_filter = ["status", ("activity", related_only)]
    search_fields = ["child__first_name", "child__last_name", "activity__name"]
    date_hierarchy = "date"
    inlines = [MovementInline, AuditInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Booking]:
        return super().get_queryset(request).select_related("child", "activity")


@admin.register(Movement)
class MovementAdmin(ReadOnlyMixin, ScopedModelAdmin):
    list_display = ["created_at", "kind", "family", "booking", "outcome", "waiting_position", "transmitted_display"]
    list_filter = ["kind", "outcome", ("run", admin.EmptyFieldListFilter)]
    search_fields = ["family__last_name", "booking__child__first_name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Movement]:
        return super().get_queryset(request).select_related("family", "booking__child", "booking__activity")

    @admin.display(description=_("transmis"), boolean=True)
    def transmitted_display(self, obj: Movement) -> bool:
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

    def save_model(self, request: HttpRequest, obj: Consumption, form: "ModelForm[Consumption]", change: bool) -> None:
        obj.recorded_by = cast("User", request.user)  # the admin serves logged-in staff only
        super().save_model(request, obj, form, change)


@admin.register(ProcessingRun)
class ProcessingRunAdmin(ReadOnlyMixin, ScopedModelAdmin):
    list_display = ["structure", "started_at", "finished_at", "movements_count", "families_count", "started_by"]
    list_filter = [StructureListFilter]


# ----------------------------------------------- the engine in the structures' admin


class EngineStructureAdmin(StructureAdmin):
    actions = [*StructureAdmin.actions, "start_processing_run"]  # type: ignore[misc]  # a list on the class

    @admin.action(description=_("Lancer le traitement des demandes maintenant"))
    def start_processing_run(self, request: HttpRequest, queryset: QuerySet[Structure]) -> None:
        for structure in queryset:
            try:
                run = start_run_now(structure, started_by=cast("User", request.user))  # logged-in staff
            except RunInProgress as error:
                messages.error(request, str(error))
                continue
            messages.success(
                request,
                _("%(structure)s : %(movements)d mouvements traités, %(families)d familles.")
                % {"structure": structure, "movements": run.movements_count, "families": run.families_count},
            )


class EngineOpeningForm(ModelForm):  # type: ignore[type-arg]  # the admin's form over the Opening fields
    """Places below the children who already have one are refused here too
    (issue 18 point 3), with their number: who goes to the waiting list is
    chosen on the planning (Gestion → Planning du jour → Places du jour).
    Read from the opening's counter; the planning's change_places re-checks
    under the opening's lock."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        opening = self.instance
        activity = cleaned.get("activity")
        if opening.pk is None or activity is None or not activity.is_limited:
            return cleaned
        capacity = cleaned.get("capacity")
        places = activity.capacity if capacity is None else capacity
        booked = Opening.objects.filter(pk=opening.pk).values_list("accepted_count", flat=True).first() or 0
        if places < booked:
            refusal = too_few_places(booked, places, 0)
            raise ValidationError(f"{refusal} {CHOOSE_ON_THE_PLANNING}")
        return cleaned


CHOOSE_ON_THE_PLANNING = _("Choisissez-les dans Gestion → Planning du jour → Places du jour.")


class EngineOpeningAdmin(OpeningAdmin):
    form = EngineOpeningForm

    def save_model(self, request: HttpRequest, obj: Opening, form: "ModelForm[Opening]", change: bool) -> None:
        """Through the engine: places raised, or a day opened again, go to the waiting list at once (N3)."""
        promoted = save_opening(obj, actor=cast("User", request.user))  # logged-in staff
        if promoted:
            count = len(promoted)
            messages.info(
                request,
                ngettext(
                    "%d réservation acceptée depuis la liste d'attente.",
                    "%d réservations acceptées depuis la liste d'attente.",
                    count,
                )
                % count,
            )

    def _has_bookings(self, opening: Opening) -> bool:
        return Booking.objects.filter(
            activity_id=opening.activity_id, date=opening.date, status__in=ACTIVE_STATUSES
        ).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Opening | None = None) -> bool:
        # A day with bookings is closed from "Gestion" (the families are told), never silently deleted.
        if obj is not None and self._has_bookings(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Opening]) -> None:
        kept = [o for o in queryset if self._has_bookings(o)]
        if kept:
            messages.error(
                request,
                _("Jours avec des réservations non supprimés (utilisez « Fermer le jour » dans Gestion) : %s")
                % ", ".join(f"{o.activity} {o.date:%d/%m/%Y}" for o in kept),
            )
        queryset.exclude(pk__in=[o.pk for o in kept]).delete()


for model, model_admin in [(Structure, EngineStructureAdmin), (Opening, EngineOpeningAdmin)]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)


# The children's and enrolments' admin: bookings left outside an ended enrolment (issue 18 point 1).
admin_enrolments.register()
