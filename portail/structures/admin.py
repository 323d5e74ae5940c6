from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import path
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portail.structures import admin_views, import_views
from portail.structures.admin_base import ScopedModelAdmin, ScopedTabularInline, StructureListFilter
from portail.structures.models import (
    Activity,
    AgeGroup,
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
        fields += ["block_bookings_overdue_days"]  # issue 16 point 5 (billing.blocking)
        fields += ["block_bookings_missing_documents"]  # issue 17 point 4 (dossier.blocking)
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
    fields = ["structure", "reference", "civility", "last_name", "first_name", "phone", "accounts"]
    # Issue 16: the address printed on invoices, and the QF with the end of its
    # validity (the CAF attestation's): without a valid QF the top bracket applies.
    fields += ["address", "quotient_familial", "qf_valid_until"]
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


def _years_before(day, years):
    """The same day `years` years earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class ChildAgeFilter(admin.SimpleListFilter):
    """Age today, by the bands of the children's activities (issue 18 point 1)."""

    title = _("âge")
    parameter_name = "age"
    BANDS = {"0-2": (0, 2), "3-5": (3, 5), "6-11": (6, 11), "12-17": (12, 17)}

    def lookups(self, request, model_admin):
        return [
            ("0-2", _("moins de 3 ans")),
            ("3-5", _("3–5 ans")),
            ("6-11", _("6–11 ans")),
            ("12-17", _("12–17 ans")),
        ]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value())
        if band is None:
            return queryset
        youngest, oldest = band
        today = timezone.localdate()
        # Aged `youngest` to `oldest` today: born after the day `oldest + 1` years ago,
        # and at the latest `youngest` years ago.
        return queryset.filter(
            birth_date__gt=_years_before(today, oldest + 1), birth_date__lte=_years_before(today, youngest)
        )


class SchoolClassFilter(admin.SimpleListFilter):
    """The classes written on the children of the staff member's structures."""

    title = _("classe")
    parameter_name = "classe"
    MAX_CLASSES = 200  # a list filter, not a report: a town has a few dozen classes

    def lookups(self, request, model_admin):
        classes = (
            model_admin.get_queryset(request)
            .exclude(school_class="")
            .order_by("school_class")
            .values_list("school_class", flat=True)
            .distinct()[: self.MAX_CLASSES]
        )
        return [(name, name) for name in classes]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(school_class=self.value())
        return queryset


@admin.register(Child)
class ChildAdmin(ScopedModelAdmin):
    list_display = ["__str__", "birth_date", "school_class", "family", "structure"]
    list_filter = [
        type("ChildStructureFilter", (StructureListFilter,), {"path": "family__structure"}),
        ChildAgeFilter,
        SchoolClassFilter,
    ]
    search_fields = ["first_name", "last_name", "family__last_name", "family__reference", "school_class"]
    autocomplete_fields = ["family"]
    inlines = [EnrolmentInline]
    actions = ["enrol_selected"]

    @admin.action(description=_("Inscrire à…"))
    def enrol_selected(self, request, queryset):
        return admin_views.bulk_enrolment(self, request, queryset)

    def response_action(self, request, queryset):
        # Django filters the list by the posted ids before calling the action:
        # "abc" there raised a ValueError (a 500). A tampered selection is refused.
        if not admin_views.valid_selection(request):
            self.message_user(request, _("Sélection d'enfants invalide."), messages.ERROR)
            return None
        return super().response_action(request, queryset)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("family__structure")

    @admin.display(description=_("structure"), ordering="family__structure__name")
    def structure(self, obj):
        return obj.family.structure


class AgeGroupFormSet(forms.BaseInlineFormSet):
    """The ranges of one activity's groups must not overlap, checked over the
    rows as submitted together (AgeGroup.clean checks one group against the
    saved ones, which may be the very rows changed here)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.checked_with_siblings = True  # AgeGroup.clean leaves the overlaps to clean() below
        return form

    def clean(self):
        super().clean()
        ranges = sorted(
            (form.cleaned_data["min_age"], form.cleaned_data["max_age"])
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("min_age") is not None
            and form.cleaned_data.get("max_age") is not None
        )
        if any(later[0] <= earlier[1] for earlier, later in zip(ranges, ranges[1:], strict=False)):
            raise forms.ValidationError(_("Les âges de deux groupes se chevauchent."))


class AgeGroupInline(ScopedTabularInline):
    """Issue 18 point 9: places by age inside one activity (a leisure centre's 3–5 and 6–11)."""

    model = AgeGroup
    formset = AgeGroupFormSet
    fields = ["name", "min_age", "max_age", "capacity", "waiting_list_capacity"]
    max_num = absolute_max = 20
    verbose_name_plural = _("groupes d'âge (places par âge, le jour même)")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # A table's row has no room for a help text, and Django's inline template
        # leaves the empty row's aria-describedby pointing nowhere: the hint goes
        # into the column's label instead (« âge maximum (ans) — inclus : 5 pour… »).
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and field.help_text:
            field.label = format_lazy("{label} — {hint}", label=field.label, hint=field.help_text)
            field.help_text = ""
        return field


@admin.register(Activity)
class ActivityAdmin(StructureFieldMixin, ScopedModelAdmin):
    inlines = [AgeGroupInline]
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
        (_("Fermetures"), {"fields": ["open_during_school_holidays"]}),
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


class ClosedPeriodForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        structure, activities = data.get("structure"), data.get("activities")
        if structure is not None and activities:
            others = [str(a) for a in activities if a.structure_id != structure.pk]
            if others:
                self.add_error(
                    "activities",
                    _("Activités d'une autre structure : %(activities)s.") % {"activities": ", ".join(others)},
                )
        return data


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(StructureFieldMixin, ScopedModelAdmin):
    """A closure of the whole structure, or of the activities chosen (issue 18 point 2)."""

    form = ClosedPeriodForm
    list_display = ["label", "start_date", "end_date", "structure", "school_holidays", "concerns"]
    list_filter = [StructureListFilter, "school_holidays"]
    search_fields = ["label"]
    fields = ["structure", "label", "start_date", "end_date", "school_holidays", "activities"]
    autocomplete_fields = ["activities"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("structure").prefetch_related("activities")

    @admin.display(description=_("activités concernées"))
    def concerns(self, obj):
        chosen = obj.activities.all()
        return ", ".join(str(a) for a in chosen) if chosen else _("toutes")


@admin.register(InfoMessage)
class InfoMessageAdmin(StructureFieldMixin, ScopedModelAdmin):
    list_display = ["title", "structure", "visible_from", "visible_until"]
    list_filter = [StructureListFilter]
    search_fields = ["title", "text"]
