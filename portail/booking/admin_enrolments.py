"""The engine's part of the children's and enrolments' admin (issue 18 point 1):
after an enrolment is shortened or deleted, the child's bookings from today on
that no enrolment covers any more are listed, and staff may cancel them
through the engine (booking.enrolment_ends) with a reason. Registered over the
structures' ModelAdmins by booking/admin.py, so that `structures` never
imports `booking`."""

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portail.booking.enrolment_ends import bookings_outside_enrolments, cancel_outside_enrolments
from portail.booking.errors import BookingError
from portail.structures.admin import ChildAdmin, EnrolmentAdmin
from portail.structures.models import Child, Enrolment

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User

DEFAULT_REASON = _("Fin d'inscription")


def outside_url(child_id: int) -> str:
    return reverse("admin:structures_child_outside_enrolments", args=[child_id])


class CancelOutsideForm(forms.Form):
    bookings = forms.TypedMultipleChoiceField(
        label=_("Réservations à annuler"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("Motif"), max_length=200, initial=DEFAULT_REASON)

    def __init__(self, *args: Any, booking_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["bookings"])
        field.choices = booking_choices
        field.initial = [pk for pk, _label in booking_choices]


def _label(booking: Any) -> str:
    return f"{booking.date:%d/%m/%Y} — {booking.activity} ({booking.get_status_display()})"


def _warn_outside(request: HttpRequest, child_ids: list[int]) -> None:
    """A message naming each child left with bookings outside its enrolments, with a link to list them."""
    outside = bookings_outside_enrolments(child_ids)
    if not outside:
        return
    children = {b.child_id: b.child for b in outside}
    links = format_html_join(", ", '<a href="{}">{}</a>', ((outside_url(pk), child) for pk, child in children.items()))
    messages.warning(
        request,
        format_html(
            "{} {}",
            ngettext(
                "%(count)d réservation reste hors inscription, à annuler ou garder :",
                "%(count)d réservations restent hors inscription, à annuler ou garder :",
                len(outside),
            )
            % {"count": len(outside)},
            links,
        ),
    )


class EngineChildAdmin(ChildAdmin):
    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.outside_enrolments_view)
        extra = [path("<int:pk>/hors-inscription/", view, name="structures_child_outside_enrolments")]
        return extra + super().get_urls()

    def response_change(self, request: HttpRequest, obj: Child) -> HttpResponse:
        # The enrolments are edited inline: one shortened or deleted may leave bookings behind.
        if bookings_outside_enrolments([obj.pk]):
            messages.warning(request, _("Des réservations ne sont plus couvertes par une inscription."))
            return redirect(outside_url(obj.pk))
        return super().response_change(request, obj)

    def outside_enrolments_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        child = self.get_queryset(request).filter(pk=pk).first()
        if child is None or not self.has_change_permission(request, child):
            raise Http404
        outside = bookings_outside_enrolments([child.pk])
        choices = [(b.pk, _label(b)) for b in outside]
        form = CancelOutsideForm(request.POST or None, booking_choices=choices)
        if request.method == "POST" and form.is_valid():
            try:
                cancelled = cancel_outside_enrolments(
                    [child.pk],
                    form.cleaned_data["bookings"],
                    actor=cast("User", request.user),  # logged-in staff
                    reason=form.cleaned_data["reason"],
                )
            except BookingError as error:
                form.add_error("reason", str(error))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d réservation annulée ; la famille le verra dans son compte-rendu.",
                        "%(count)d réservations annulées ; la famille le verra dans son compte-rendu.",
                        len(cancelled),
                    )
                    % {"count": len(cancelled)},
                )
                return HttpResponseRedirect(reverse("admin:structures_child_change", args=[child.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": child,
            "title": _("Réservations hors inscription — %s") % child,
            "outside": outside,
            "form": form,
        }
        return TemplateResponse(request, "admin/structures/child/outside_enrolments.html", context)


class EngineEnrolmentAdmin(EnrolmentAdmin):
    def response_change(self, request: HttpRequest, obj: Enrolment) -> HttpResponse:
        if bookings_outside_enrolments([obj.child_id]):
            messages.warning(request, _("Des réservations ne sont plus couvertes par une inscription."))
            return redirect(outside_url(obj.child_id))
        return super().response_change(request, obj)

    def delete_model(self, request: HttpRequest, obj: Enrolment) -> None:
        super().delete_model(request, obj)
        if bookings_outside_enrolments([obj.child_id]):
            request._outside_child_id = obj.child_id  # type: ignore[attr-defined]  # read by response_delete

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        child_id = getattr(request, "_outside_child_id", None)
        if child_id is not None:
            messages.warning(request, _("Des réservations ne sont plus couvertes par une inscription."))
            return redirect(outside_url(child_id))
        return super().response_delete(request, obj_display, obj_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Enrolment]) -> None:
        child_ids = list(queryset.values_list("child_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        _warn_outside(request, child_ids)


def register() -> None:
    for model, model_admin in [(Child, EngineChildAdmin), (Enrolment, EngineEnrolmentAdmin)]:
        admin.site.unregister(model)
        admin.site.register(model, model_admin)
