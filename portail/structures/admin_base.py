"""The base of every back-office screen: scoped to the staff's structures."""

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.db import models

from portail.lib.validators import MAX_ID
from portail.structures.scoping import SCOPE_PATHS, in_scope, is_structure_staff, scope_queryset, staff_structure_ids


def _possible_ids(values):
    """The posted values that can be an id: the admin's autocomplete widget
    looks the selected ones up to show them again, and Django's widget queries
    with whatever was posted ("abc" raised a ValueError, hence a 500, when a
    form with errors was shown again)."""
    return [v for v in values if str(v).isascii() and str(v).isdigit() and 0 < int(v) <= MAX_ID]


class SafeAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _possible_ids(value), attr)


class SafeAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _possible_ids(value), attr)


def _scoped_choices(queryset, request):
    if queryset.model._meta.label_lower in SCOPE_PATHS:
        return scope_queryset(queryset, request.user)
    return queryset


class ScopedAdminMixin:
    """Lists, forms, filters, autocompletes and actions see only the objects of
    the staff member's structures; relation choices are restricted the same way,
    so a tampered id in a form is refused by the form's own validation."""

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)

    def _allowed(self, request, obj=None):
        if not request.user.is_active or not request.user.is_staff:
            return False
        if not is_structure_staff(request.user):
            return False
        # get_object() already goes through get_queryset, so an object out of
        # scope is never handed here by the admin; this guards custom views.
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _scoped_choices(field.queryset, request)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _scoped_choices(field.queryset, request)
        return field

    def get_structure_choices(self, request):
        from portail.structures.models import Structure

        return scope_queryset(Structure.objects.all(), request.user)

    def single_structure(self, request):
        ids = staff_structure_ids(request.user)
        return next(iter(ids)) if ids is not None and len(ids) == 1 else None


class ScopedModelAdmin(ScopedAdminMixin, admin.ModelAdmin):
    formfield_overrides = {models.TextField: {"widget": admin.widgets.AdminTextareaWidget(attrs={"rows": 4})}}


class ScopedTabularInline(ScopedAdminMixin, admin.TabularInline):
    extra = 0
    # The most rows a posted formset may hold (Django's default is 2,000: a
    # tampered TOTAL_FORMS then builds and re-displays 2,000 forms).
    absolute_max: int | None = None

    def get_formset(self, request, obj=None, **kwargs):
        if self.absolute_max is not None:
            kwargs.setdefault("absolute_max", self.absolute_max)
        return super().get_formset(request, obj, **kwargs)

    def _allowed(self, request, obj=None):
        # An inline's `obj` is its parent object, not one of its rows: look the
        # parent up in its own scope (matching its id against the rows' ids
        # denied or granted at random).
        return super()._allowed(request) and (obj is None or in_scope(obj, request.user))


class StructureListFilter(admin.SimpleListFilter):
    """A structure filter that only offers the staff member's structures."""

    title = "structure"
    parameter_name = "structure"
    path = "structure"

    def lookups(self, request, model_admin):
        from portail.structures.models import Structure

        return [(s.pk, s.name) for s in scope_queryset(Structure.objects.all(), request.user)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.path}__pk": self.value()})
        return queryset
