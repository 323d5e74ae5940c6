"""Messages to families (issue 18 point 8): staff write to everyone booked on
a day (one activity or all), to the families of an activity, or of a school
class, inside one of their structures. A preview lists the families (and
those without e-mail, who read it on their home page only) before anything
is sent; then portail.notifications.family_messages records it and queues one
e-mail per family address through the outbox. Staff see every message sent
in their structures, and to whom, with each e-mail's state."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from portail.lib.dates import short_day
from portail.lib.validators import validate_single_line
from portail.notifications import family_messages as service
from portail.notifications.models import FamilyMessage, FamilyMessageRecipient
from portail.notifications.reports import family_emails
from portail.staff.access import page, scoped, scoped_activities, scoped_structures, staff_required
from portail.staff.forms import PageField
from portail.structures.models import Activity, Structure
from portail.structures.scoping import scope_queryset
from portail.web.forms import DayField, IdField, read

PAGE_SIZE = 50
CONFIRMED = "oui"
AUDIENCES = [
    (service.DAY, gettext_lazy("Les familles des enfants réservés un jour (une activité ou toutes)")),
    (service.ACTIVITY, gettext_lazy("Les familles d'une activité (inscrits, ou réservés à partir d'aujourd'hui)")),
    (service.SCHOOL_CLASS, gettext_lazy("Les familles d'une classe")),
]
SINGLE_LINE = gettext_lazy("Écrivez-le sur une ligne, sans caractère invisible.")


class MessageForm(forms.Form):
    """What staff write, and to whom. Ids are checked against the staff
    member's structures in the view (another structure's: 404)."""

    destinataires = forms.ChoiceField(
        label=gettext_lazy("Destinataires"), choices=AUDIENCES,
        error_messages={"required": gettext_lazy("Choisissez les destinataires."),
                        "invalid_choice": gettext_lazy("Destinataires inconnus.")},
    )  # fmt: skip
    structure = IdField(gettext_lazy("Structure"), required=False)
    activite = IdField(gettext_lazy("Activité"), required=False)
    date = DayField(required=False)
    classe = forms.CharField(
        label=gettext_lazy("Classe"), required=False, max_length=50, validators=[validate_single_line],
        error_messages={"max_length": gettext_lazy("Classe : 50 caractères au plus."),
                        "control_characters": SINGLE_LINE, "null_characters_not_allowed": SINGLE_LINE},
    )  # fmt: skip
    objet = forms.CharField(
        label=gettext_lazy("Objet"), max_length=150, validators=[validate_single_line],
        error_messages={"required": gettext_lazy("Indiquez l'objet du message."),
                        "max_length": gettext_lazy("Objet trop long : 150 caractères au plus."),
                        "control_characters": SINGLE_LINE, "null_characters_not_allowed": SINGLE_LINE},
    )  # fmt: skip
    message = forms.CharField(
        label=gettext_lazy("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": gettext_lazy("Écrivez le message."),
                        "max_length": gettext_lazy("Message trop long : 5 000 caractères au plus."),
                        "null_characters_not_allowed": gettext_lazy("Le message contient un caractère invalide.")},
    )  # fmt: skip
    confirmation = forms.ChoiceField(choices=[("", "-"), (CONFIRMED, CONFIRMED)], required=False)

    def clean(self):
        data = super().clean()
        audience = data.get("destinataires")
        if audience == service.DAY and not data.get("date"):
            self.add_error("date", _("Choisissez le jour."))
        if audience == service.ACTIVITY and not data.get("activite"):
            self.add_error("activite", _("Choisissez l'activité."))
        if audience == service.SCHOOL_CLASS and not (data.get("classe") or "").strip():
            self.add_error("classe", _("Indiquez la classe."))
        return data


class StartForm(forms.Form):
    """The form's first display: a day and an activity to start from, both optional."""

    activite = IdField(gettext_lazy("Activité"), required=False)
    date = DayField(required=False)


class ListForm(forms.Form):
    page = PageField()


def _structure_of(request, data, activity, structures):
    """The structure the message is sent in: the activity's, else the chosen
    one, else the staff member's only one."""
    if activity is not None:
        return activity.structure
    if data.get("structure"):
        return scoped(Structure.objects.all(), request.user, data["structure"])
    if len(structures) == 1:
        return structures[0]
    return None


def _audience_label(audience, activity, day, school_class):
    if audience == service.DAY:
        if activity is None:
            return _("Réservés le %(day)s — toutes les activités") % {"day": short_day(day)}
        return _("Réservés le %(day)s — %(activity)s") % {"day": short_day(day), "activity": activity.name}
    if audience == service.ACTIVITY:
        return _("Familles de l'activité %(activity)s") % {"activity": activity.name}
    return _("Classe %(school_class)s") % {"school_class": school_class}


def _form_page(request, form, structures, activities, status=200, error=""):
    return page(
        request,
        "staff/message_new.html",
        {
            "title": _("Écrire aux familles"),
            "form": form,
            "structures": structures,
            "activities": activities,
            "several_structures": len(structures) > 1,
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def message_new(request):
    """Write a message; POST once for the preview, again (confirmation=oui) to send."""
    structures = list(scoped_structures(request.user))
    activities = list(scoped_activities(request.user))
    if request.method == "GET":
        # The planning links here with its day and activity, pre-filled.
        params = read(StartForm, request.GET)
        initial = {"destinataires": service.DAY, "activite": params["activite"], "date": params["date"]}
        return _form_page(request, MessageForm(initial=initial), structures, activities)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, structures, activities, status=400)
    data = form.cleaned_data
    activity = None
    if data.get("activite"):
        activity = scoped(Activity.objects.select_related("structure"), request.user, data["activite"])
    structure = _structure_of(request, data, activity, structures)
    if structure is None:
        return _form_page(request, form, structures, activities, 400, _("Choisissez la structure."))
    audience = data["destinataires"]
    school_class = (data.get("classe") or "").strip()
    families = list(
        service.audience_families(
            structure, audience, activity=activity, day=data.get("date"), school_class=school_class,
            today=_today(),
        )
    )  # fmt: skip
    if not families:
        return _form_page(
            request, form, structures, activities, 400, _("Aucune famille ne correspond à ces destinataires.")
        )
    label = _audience_label(audience, activity, data.get("date"), school_class)
    if data.get("confirmation") != CONFIRMED:
        addresses = family_emails([f.pk for f in families])
        rows = [(family, addresses.get(family.pk, [])) for family in families]
        return page(
            request,
            "staff/message_preview.html",
            {
                "title": _("Vérifier avant d'envoyer"),
                "data": request.POST,
                "structure": structure,
                "audience_label": label,
                "rows": rows,
                "without_email": sum(1 for _family, found in rows if not found),
                "subject": data["objet"],
                "body": data["message"],
                "confirmed": CONFIRMED,
            },
        )
    message = service.send_family_message(
        structure, families, subject=data["objet"], body=data["message"], audience=label, sent_by=request.user
    )
    messages.success(
        request,
        ngettext(
            "Message envoyé à %(n)d famille.", "Message envoyé à %(n)d familles.", len(families)
        ) % {"n": len(families)},
    )  # fmt: skip
    return redirect("staff:message_detail", pk=message.pk)


def _today():
    return timezone.localdate()


@require_GET
@staff_required
def message_list(request):
    """The messages sent in the staff member's structures, newest first."""
    params = read(ListForm, request.GET)
    queryset = scope_queryset(FamilyMessage.objects.select_related("structure", "sent_by"), request.user).order_by(
        "-created_at", "-id"
    )
    return page(
        request,
        "staff/messages.html",
        {
            "title": _("Messages aux familles"),
            "page_obj": Paginator(queryset, PAGE_SIZE).get_page(params["page"]),
            "page_query": "",
        },
    )


@require_GET
@staff_required
def message_detail(request, pk):
    """One message: its text, and each family it went to with its e-mails' state."""
    message = scoped(FamilyMessage.objects.select_related("structure", "sent_by"), request.user, pk)
    recipients = (
        FamilyMessageRecipient.objects.filter(message=message)
        .select_related("family")
        .prefetch_related("emails")
        .order_by("family__last_name", "family__first_name", "pk")
    )
    return page(
        request,
        "staff/message_detail.html",
        {"title": _("Message « %(subject)s »") % {"subject": message.subject}, "message": message,
         "recipients": recipients},
    )  # fmt: skip
