"""Back-office screens beyond the admin's own: bulk creation of openings (B3)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View

from portail.lib.validators import MAX_PLACES, validate_date_window
from portail.structures.openings import create_openings, preview_openings

WEEKDAY_CHOICES = [
    (0, _("lundi")),
    (1, _("mardi")),
    (2, _("mercredi")),
    (3, _("jeudi")),
    (4, _("vendredi")),
    (5, _("samedi")),
    (6, _("dimanche")),
]


class BulkOpeningsForm(forms.Form):
    start = forms.DateField(
        label=_("Du"), widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_date_window]
    )
    end = forms.DateField(
        label=_("Au"), widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_date_window]
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours de la semaine"), choices=WEEKDAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    # Bounded like Opening's columns: 2147483648 overflowed PostgreSQL's integer (a 500).
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=0,
        max_value=MAX_PLACES,
        required=False,
        help_text=_("Vide : les places par défaut de l'activité."),
    )
    waiting_list_capacity = forms.IntegerField(
        label=_("Places en liste d'attente"),
        min_value=0,
        max_value=MAX_PLACES,
        required=False,
        help_text=_("Vide : la valeur par défaut."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("La date de fin doit suivre la date de début."))
            elif (end - start).days > 400:
                self.add_error("end", _("Une série d'ouvertures couvre au plus 400 jours."))
        return data


class BulkOpeningsView(View):
    """Shows how many openings will be created, then creates them on confirmation."""

    model_admin = None
    template_name = "admin/structures/activity/bulk_openings.html"

    def get_activity(self, request, pk):
        activity = self.model_admin.get_queryset(request).filter(pk=pk).first()
        if activity is None or not self.model_admin.has_change_permission(request, activity):
            raise Http404
        return activity

    def render(self, request, activity, form, plan=None):
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.model._meta,
            "original": activity,
            "title": _("Ouvertures en série — %s") % activity,
            "form": form,
            "plan": plan,
        }
        return TemplateResponse(request, self.template_name, context)

    def get(self, request, pk):
        activity = self.get_activity(request, pk)
        form = BulkOpeningsForm(
            initial={
                "start": activity.booking_period_start,
                "end": activity.booking_period_end,
                "weekdays": [0, 1, 3, 4],
            }
        )
        return self.render(request, activity, form)

    def post(self, request, pk):
        activity = self.get_activity(request, pk)
        form = BulkOpeningsForm(request.POST)
        if not form.is_valid():
            return self.render(request, activity, form)
        data = form.cleaned_data
        args = (activity, data["start"], data["end"], set(data["weekdays"]))
        if "confirm" not in request.POST:
            return self.render(request, activity, form, plan=preview_openings(*args))
        created = create_openings(*args, capacity=data["capacity"], waiting_list_capacity=data["waiting_list_capacity"])
        messages.success(request, ngettext("%d ouverture créée.", "%d ouvertures créées.", created) % created)
        return redirect(reverse("admin:structures_opening_changelist") + f"?activity__id__exact={activity.pk}")
