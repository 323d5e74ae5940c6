"""« Mon dossier », per child: the health sheet and the people allowed to
collect the child or to call in an emergency (issue 17 points 2 and 3).

The child is always one of the family's (`own_child`: another family's id is
a 404); a person is always one of that child's. Every change the family makes
is applied at once and written down for staff (`dossier.changes.save_family_edit`:
the field, the previous value, the new one, who), so staff can check it. A refused
form is shown again with its errors (status 400) and changes nothing.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portail.dossier import changes
from portail.dossier.health import pai_document_for
from portail.dossier.models import AuthorisedPerson, FamilyChange, HealthSheet
from portail.family.health_forms import AuthorisedPersonForm, HealthSheetForm
from portail.family.params import _pk, own_child
from portail.lib import french
from portail.web.family import current_family, family_required


def _person_of(child, value):
    """One of the child's authorised people, or 404."""
    person = AuthorisedPerson.objects.filter(child=child, pk=_pk(value)).first()
    if person is None:
        raise Http404
    return person


@require_http_methods(["GET", "POST"])
@family_required
def health(request, pk):
    """The child's health sheet: allergies and diet, PAI, doctor, vaccinations, « à savoir »."""
    family = current_family(request)
    child = own_child(family, pk)
    sheet = HealthSheet.objects.filter(child=child).first() or HealthSheet(child=child)
    form = HealthSheetForm(request.POST if request.method == "POST" else None, instance=sheet)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if form.instance.pk is None:
                # An empty sheet first, so that only what the parent filled in is
                # recorded as changed (not every default « Non » of a new row).
                form.instance.pk = HealthSheet.objects.create(child=child).pk
                form.instance._state.adding = False
            form.instance.updated_by = request.user
            # The PAI's document, when the family sent one (« Mes documents »): staff open it from the child's file.
            form.instance.pai_document = pai_document_for(child) if form.instance.has_pai else None
            changes.save_family_edit(form, family=family, actor=request.user, child=child)
        # Translators: %(de_child)s is « de Paolo » or « d'Amalia »; %(child)s the bare first name.
        saved = _("La fiche sanitaire %(de_child)s est enregistrée.")
        messages.success(request, saved % {"de_child": french.de(child.first_name), "child": child.first_name})
        return redirect("family:health", pk=child.pk)
    context = {
        "child": child,
        "form": form,
        "sheet": HealthSheet.objects.filter(child=child).first() if form.errors else (sheet if sheet.pk else None),
        "people_count": AuthorisedPerson.objects.filter(child=child).count(),
    }
    return render(request, "family/health/sheet.html", context, status=400 if form.errors else 200)


def _people_page(request, child, form, status=200, person=None):
    people = list(AuthorisedPerson.objects.filter(child=child).order_by("name", "pk"))
    context = {"child": child, "people": people, "form": form, "editing": person}
    return render(request, "family/health/people.html", context, status=status)


@require_http_methods(["GET", "POST"])
@family_required
def authorised_people(request, pk):
    """The people allowed to collect the child or to call in an emergency; the form adds one."""
    family = current_family(request)
    child = own_child(family, pk)
    if request.method == "POST":
        form = AuthorisedPersonForm(request.POST, instance=AuthorisedPerson(child=child))
        if form.is_valid():
            changes.save_family_edit(form, family=family, actor=request.user, child=child)
            messages.success(request, _("%(name)s est ajouté(e).") % {"name": form.instance.name})
            return redirect("family:authorised_people", pk=child.pk)
        return _people_page(request, child, form, status=400)
    return _people_page(request, child, AuthorisedPersonForm())


@require_http_methods(["GET", "POST"])
@family_required
def authorised_person_edit(request, pk, person):
    family = current_family(request)
    child = own_child(family, pk)
    found = _person_of(child, person)
    if request.method == "POST":
        form = AuthorisedPersonForm(request.POST, instance=found)
        if form.is_valid():
            changes.save_family_edit(form, family=family, actor=request.user, child=child)
            saved = _("Les informations %(de_name)s sont enregistrées.")
            messages.success(request, saved % {"de_name": french.de(found.name), "name": found.name})
            return redirect("family:authorised_people", pk=child.pk)
        found = _person_of(child, person)  # the form wrote the refused values on it
        return _people_page(request, child, form, status=400, person=found)
    return _people_page(request, child, AuthorisedPersonForm(instance=found), person=found)


@require_POST
@family_required
def authorised_person_delete(request, pk, person):
    family = current_family(request)
    child = own_child(family, pk)
    found = _person_of(child, person)
    with transaction.atomic(), translation.override("fr"):
        # Written in French like every change staff read (dossier.changes).
        FamilyChange.objects.create(
            family=family,
            child=child,
            field_label=_("Personne autorisée retirée pour %(child)s") % {"child": str(child)},
            field_key=f"authorisedperson.{found.pk}",
            old_value=f"{found.name} ({found.relationship}) {found.phone}",
            new_value="",
            changed_by=request.user,
            changed_at=timezone.now(),
        )
        found.delete()
    messages.success(request, _("%(name)s est retiré(e) de la liste.") % {"name": found.name})
    return redirect("family:authorised_people", pk=child.pk)
