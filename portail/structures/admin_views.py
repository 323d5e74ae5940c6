"""Back-office screens beyond the admin's own: bulk creation of openings (B3),
enrolling the children chosen in the list (issue 18 point 1)."""

from django import forms
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View

from portail.lib.validators import MAX_ID, MAX_PLACES, validate_date_window
from portail.structures.enrolments import enrol_children, plan_enrolments
from portail.structures.models import Activity
from portail.structures.openings import create_openings, preview_openings, usual_weekdays


class IsoDateInput(forms.DateInput):
    """A browser date picker: its value must be YYYY-MM-DD (issue 18 point 2: the
    French "01/07/2027" of the default format is rejected by browsers, which then
    show an empty field). The form still reads both."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


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
    start = forms.DateField(label=_("Du"), widget=IsoDateInput, validators=[validate_date_window])
    end = forms.DateField(label=_("Au"), widget=IsoDateInput, validators=[validate_date_window])
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
                "weekdays": usual_weekdays(activity),
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


# ------------------------------------------------ bulk enrolment (issue 18 point 1)


class BulkEnrolmentForm(forms.Form):
    activity = forms.ModelChoiceField(label=_("Activité"), queryset=Activity.objects.none())
    start = forms.DateField(label=_("Du"), widget=IsoDateInput, validators=[validate_date_window])
    end = forms.DateField(label=_("Au"), widget=IsoDateInput, validators=[validate_date_window])

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the activities of the children's structure: an id of another is "not one of the choices".
        self.fields["activity"].queryset = activities

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("La fin de l'inscription doit suivre son début."))
        return data


def valid_selection(request):
    """Whether every id of the list's selection can be an id."""
    selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
    return all(value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID for value in selected)


BULK_ENROLMENT_STEP = "enrolment_step"  # present once the intermediate page is posted


def bulk_enrolment(model_admin, request, queryset):
    """The "Inscrire à…" action of the children's list: an intermediate page
    (activity of the children's structure, period), its preview, then the
    enrolments written on confirmation. `queryset`: the selected children,
    already scoped to the staff member's structures by the admin."""
    children = list(queryset.select_related("family__structure").order_by("last_name", "first_name", "pk"))
    structure_ids = {child.family.structure_id for child in children}
    if len(structure_ids) != 1:
        messages.error(request, _("Choisissez des enfants d'une seule structure (filtre « structure »)."))
        return None
    structure = children[0].family.structure
    activities = Activity.objects.filter(structure=structure).order_by("name")
    if BULK_ENROLMENT_STEP in request.POST:
        form = BulkEnrolmentForm(request.POST, activities=activities)
    else:
        form = BulkEnrolmentForm(activities=activities)
    plan = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        args = (children, data["activity"], data["start"], data["end"])
        if "confirm" in request.POST:
            plan = enrol_children(*args)
            _report_enrolments(request, plan)
            url = reverse("admin:structures_enrolment_changelist")
            return redirect(f"{url}?activity__id__exact={plan.activity.pk}")
        plan = plan_enrolments(*args)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Inscrire des enfants — %s") % structure,
        "structure": structure,
        "children": children,
        "form": form,
        "plan": plan,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "step_name": BULK_ENROLMENT_STEP,
    }
    return TemplateResponse(request, "admin/structures/child/bulk_enrolment.html", context)


def _report_enrolments(request, plan):
    period = {"start": plan.start.strftime("%d/%m/%Y"), "end": plan.end.strftime("%d/%m/%Y")}
    count = len(plan.to_enrol)
    messages.success(
        request,
        ngettext(
            "%(count)d enfant inscrit à %(activity)s du %(start)s au %(end)s.",
            "%(count)d enfants inscrits à %(activity)s du %(start)s au %(end)s.",
            count,
        )
        % {"count": count, "activity": plan.activity, **period},
    )
    if plan.already_enrolled:
        skipped = len(plan.already_enrolled)
        messages.warning(
            request,
            ngettext(
                "%(count)d enfant déjà inscrit sur cette période, inchangé : %(names)s.",
                "%(count)d enfants déjà inscrits sur cette période, inchangés : %(names)s.",
                skipped,
            )
            % {"count": skipped, "names": ", ".join(str(child) for child in plan.already_enrolled)},
        )
