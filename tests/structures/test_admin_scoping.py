"""Per-structure scoping of the back office (Django admin).

The tests are driven from the admin registry: every model of our apps that has
an admin screen must have a twin object in each structure (TWINS below), or
`test_every_admin_model_has_twins` fails, so a new admin screen cannot escape
this suite. For each of them, and from both sides (staff of A against B's
objects, staff of B against A's), the staff member can neither list, search,
filter, view, change, delete, act on, nor reach by URL or autocomplete the
other structure's objects; an out-of-scope id answers exactly as an id that
does not exist. The site administrator sees both structures.
"""

import datetime
import re

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.filters import (
    BooleanFieldListFilter,
    ChoicesFieldListFilter,
    DateFieldListFilter,
    EmptyFieldListFilter,
    RelatedFieldListFilter,
)
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core import mail
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from portail.accounts.models import Invitation
from portail.billing.models import BillingSettings, PriceBracket, Tariff
from portail.booking.admin import ReadOnlyMixin
from portail.booking.models import (
    Booking,
    BookingAudit,
    BookingStatus,
    Consumption,
    Movement,
    MovementKind,
    ProcessingRun,
)
from portail.dossier.models import DocumentType, Guardian
from portail.notifications.models import OutboxEmail
from portail.structures.admin import ChildAgeFilter, SchoolClassFilter
from portail.structures.admin_base import ScopedAdminMixin, StructureListFilter
from portail.structures.models import AgeGroup, Opening
from tests import factories as f
from tests.helpers import make_booking, page_text

OUR_APPS = ("accounts", "structures", "booking", "notifications", "billing", "dossier")
# Screens of structure managers only (issue 18 point 7), never of every staff
# member: tests/security/test_staff_roles.py checks their scope.
MANAGER_ONLY = {"accounts.staffaccount"}
ADMINS = {
    model._meta.label_lower: model_admin
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label in OUR_APPS and model._meta.label_lower not in MANAGER_ONLY
}
LABELS = sorted(ADMINS)
OTHER_APP_LABELS = sorted(
    model._meta.label_lower for model in admin.site._registry if model._meta.app_label not in OUR_APPS
)

# model label -> (attribute of the `scoped` fixture holding A's object, B's twin)
TWINS = {
    "structures.structure": ("a", "b"),
    "structures.family": ("family_a", "family_b"),
    "structures.child": ("paolo", "paolo_b"),
    "structures.activity": ("aps_a", "alsh_b"),
    "structures.opening": ("opening_a", "opening_b"),
    "structures.enrolment": ("enrolment_a", "enrolment_b"),
    "structures.closedperiod": ("closed_a", "closed_b"),
    "structures.infomessage": ("message_a", "message_b"),
    "booking.processingrun": ("run_a", "run_b"),
    "accounts.user": ("martin", "bernard"),  # each a parent in one structure only
    "accounts.invitation": ("invitation_a", "invitation_b"),
    "booking.booking": ("booking_a", "booking_b"),
    "booking.movement": ("movement_a", "movement_b"),
    "booking.consumption": ("consumption_a", "consumption_b"),
    "notifications.outboxemail": ("email_a", "email_b"),
    "billing.tariff": ("tariff_a", "tariff_b"),
    "billing.billingsettings": ("billing_a", "billing_b"),
    "dossier.documenttype": ("doctype_a", "doctype_b"),
}

# model label -> (a search term finding A's object, one finding B's). Twins
# often share their name (DUPONT, Paolo): the search then matches both, and only
# the staff member's own one may come back.
SEARCH_TERMS = {
    "structures.structure": ("CarteVille", "Pinsons"),
    "structures.family": ("DUPONT", "DUPONT"),
    "structures.child": ("Paolo", "Paolo"),
    "structures.activity": ("APS", "ALSH"),
    "structures.opening": ("APS", "ALSH"),
    "structures.enrolment": ("Paolo", "Paolo"),
    "structures.closedperiod": ("Noël", "estivale"),
    "structures.infomessage": ("CarteVille", "Pinsons"),
    "accounts.user": ("martin", "bernard"),
    "booking.booking": ("Paolo", "Paolo"),
    "booking.movement": ("DUPONT", "DUPONT"),
    "booking.consumption": ("Paolo", "Paolo"),
    "notifications.outboxemail": ("carteville.example", "pinsons.example"),
    "billing.tariff": ("APS", "ALSH"),
    "billing.billingsettings": ("CarteVille", "Pinsons"),
    "dossier.documenttype": ("CarteVille", "Pinsons"),
}
SEARCHABLE = [label for label in LABELS if ADMINS[label].search_fields]

# List filters that only offer fixed values (yes/no, dates, field choices).
# The children's age bands and classes (issue 18 point 1) offer values, not objects;
# tests/structures/test_bulk_enrolment.py checks that no other structure's class is offered.
STATIC_FILTERS = (
    BooleanFieldListFilter, ChoicesFieldListFilter, DateFieldListFilter, EmptyFieldListFilter,
    ChildAgeFilter, SchoolClassFilter,
)  # fmt: skip

MISSING_PK = 987654321
ADMIN_INDEX = "/admin/"


def _relation_fields():
    """(source model label, field name, target label) of every relation field,
    in any installed app, to one of our models with a searchable admin: the
    admin's autocomplete endpoint accepts any of them, not only the
    `autocomplete_fields` of our admins."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            # Reverse relations crash Django's endpoint for everyone (500 before any query).
            if not (isinstance(field, models.Field) and field.is_relation):
                continue
            remote = field.remote_field.model
            label = remote._meta.label_lower
            if label in ADMINS and ADMINS[label].search_fields:
                found.append((model._meta.label_lower, field.name, label))
    return sorted(set(found))


RELATION_FIELDS = _relation_fields()


# --- the world, seen from one side ------------------------------------------------


@pytest.fixture
def scoped(world):
    """The shared world plus the twins it lacks: an account that is a parent
    only in B (MARTIN is only in A), invitations and processing runs."""
    w = world
    w.bernard = f.UserFactory(username="bernard", first_name="Anne", last_name="BERNARD")
    w.bernard_b = f.FamilyFactory(
        structure=w.b, reference="BER", last_name="BERNARD", first_name="Anne", accounts=[w.bernard]
    )
    for parent in (w.martin, w.bernard):  # still waiting for an invitation, so one can be sent
        parent.set_unusable_password()
        parent.save(update_fields=["password"])
    w.invitation_a, _ = Invitation.issue(w.martin, created_by=w.staff_a)
    w.invitation_b, _ = Invitation.issue(w.bernard, created_by=w.staff_b)
    w.run_a = ProcessingRun.objects.create(structure=w.a, finished_at=timezone.now())  # past runs
    w.run_b = ProcessingRun.objects.create(structure=w.b, finished_at=timezone.now())
    for side, child, activity, opening, family in (
        ("a", w.paolo, w.aps_a, w.opening_a, w.family_a),
        ("b", w.paolo_b, w.alsh_b, w.opening_b, w.family_b),
    ):
        booking = make_booking(child=child, activity=activity, date=opening.date, status=BookingStatus.ACCEPTED)
        setattr(w, f"booking_{side}", booking)
        BookingAudit.objects.create(booking=booking, source="family", to_status=BookingStatus.ACCEPTED)
        setattr(w, f"movement_{side}", Movement.objects.create(
            kind=MovementKind.BOOK, booking=booking, family=family, structure=family.structure,
            outcome=BookingStatus.ACCEPTED,
        ))  # fmt: skip
        setattr(w, f"consumption_{side}", Consumption.objects.create(child=child, activity=activity, date=opening.date))
        # An age group, so the activity's inline has a row to show (issue 18 point 9).
        AgeGroup.objects.create(activity=activity, name="Tous", min_age=3, max_age=11, capacity=10)
        domain = "carteville.example" if side == "a" else "pinsons.example"
        setattr(w, f"email_{side}", OutboxEmail.objects.create(
            kind="test", to=f"parent@{domain}", subject=f"Compte-rendu {domain}", body_text="…", structure=family.structure,
        ))  # fmt: skip
        # Issues 16 and 17: each structure's prices, billing settings and required documents.
        tariff = Tariff.objects.create(activity=activity, valid_from=datetime.date(2026, 9, 1))
        PriceBracket.objects.create(tariff=tariff, qf_max=None, unit_price_cents=420)
        setattr(w, f"tariff_{side}", tariff)
        setattr(w, f"billing_{side}", BillingSettings.objects.create(structure=family.structure))
        name = "CarteVille" if side == "a" else "Pinsons"
        setattr(w, f"doctype_{side}", DocumentType.objects.create(structure=family.structure, name=f"Assurance {name}"))
        Guardian.objects.create(family=family, last_name="DUPONT", first_name="Marie")
    return w


class Side:
    """One structure's staff member, their own objects and the other structure's."""

    def __init__(self, world, name):
        self.world = world
        self.name = name
        self.index = "ab".index(name)
        self.staff = getattr(world, f"staff_{name}")
        self.structure = getattr(world, name)
        self.other_structure = getattr(world, "ba"[self.index])

    def own(self, label):
        return getattr(self.world, TWINS[label][self.index])

    def other(self, label):
        return getattr(self.world, TWINS[label][1 - self.index])

    def own_term(self, label):
        return SEARCH_TERMS[label][self.index]

    def other_term(self, label):
        return SEARCH_TERMS[label][1 - self.index]

    def __repr__(self):
        return f"staff of {self.structure}"


@pytest.fixture(params=["a", "b"], ids=["staff_a", "staff_b"])
def side(scoped, request):
    return Side(scoped, request.param)


@pytest.fixture
def staff(client, side):
    """A client logged in as the side's staff member."""
    client.force_login(side.staff)
    return client


@pytest.fixture
def superuser(scoped):
    client = Client()
    client.force_login(scoped.admin)
    return client


# --- helpers ------------------------------------------------------------------------


def admin_url(label, view, *args):
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def model_of(label):
    return apps.get_model(label)


def object_urls(label, pk):
    """Every URL of the model's admin that takes an object id: change, delete,
    history, and custom ones (password, bulk openings), read from get_urls()."""
    urls = {}
    for pattern in ADMINS[label].get_urls():
        if pattern.name and len(getattr(pattern.pattern, "converters", {})) == 1:
            urls[pattern.name] = reverse(f"admin:{pattern.name}", args=[pk])
    urls["catch-all"] = admin_url(label, "changelist") + f"{pk}/"
    content_type = ContentType.objects.get_for_model(model_of(label))
    urls["view_on_site"] = reverse("admin:view_on_site", args=[content_type.pk, pk])
    return urls


def fetch(client, url, data=None, **extra):
    """GET (or POST when data is given), and take the flash messages out of the
    response so that they do not leak into the next request."""
    response = client.post(url, data, **extra) if data is not None else client.get(url, **extra)
    response.flash = [str(message) for message in get_messages(response.wsgi_request)]
    client.cookies.pop("messages", None)
    return response


def outcome(response, pk):
    """What a response tells its reader, the requested id blanked out."""
    path = response.wsgi_request.path
    body = b"" if response.status_code in (301, 302) else response.content
    return (
        response.status_code,
        response.get("Location", "").replace(f"/{pk}/", "/<id>/"),
        [re.sub(rf"\b{pk}\b", "<id>", message) for message in response.flash],
        # The error pages' logout form carries a CSRF token, masked afresh on every render.
        re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"<csrf>", body.replace(path.encode(), b"<path>")),
    )


def snapshot():
    """Every row of every table of our apps (many-to-many links included), and the mails sent."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in OUR_APPS:
            rows[model._meta.label_lower] = list(model._default_manager.order_by("pk").values())
    rows["outbox"] = [(m.subject, m.to) for m in mail.outbox]
    return rows


def row(obj):
    return type(obj)._default_manager.filter(pk=obj.pk).values().first()


def result_pks(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def model_request(user):
    request = RequestFactory().get(ADMIN_INDEX)
    request.user = user
    return request


def form_payload(response):
    """The POST data of a rendered admin change form, inline formsets included."""
    all_forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        all_forms.append(inline.formset.management_form)
        all_forms.extend(inline.formset.forms)
    data = {}
    for form in all_forms:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            bound = form[name]
            value = bound.value()
            if isinstance(field, forms.SplitDateTimeField):
                parts = field.widget.decompress(value) if value else [None, None]
                for i, part in enumerate(parts):
                    data[f"{bound.html_name}_{i}"] = "" if part is None else str(part)
            elif isinstance(field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data


# First key present is changed; every admin model that can be changed has one.
TAMPERED_VALUES = {
    "name": "PIRATE",
    "title": "PIRATE",
    "label": "PIRATE",
    "last_name": "PIRATE",
    "username": "pirate",
    "capacity": "99",
    "end_date": "2027-06-30",
    "arrival": "09:15",
    "legal_name": "PIRATE",
    "valid_from": "2030-01-01",
}


# Read-only admins (bookings change only through the engine) render no field:
# the POST then tries to change what they show.
READ_ONLY_TAMPERING = {"status": "cancelled", "date": "2027-06-30", "outcome": "cancelled"}


def tampered(payload):
    for key, value in TAMPERED_VALUES.items():
        if key in payload:
            return {**payload, key: value}
    if all("-" in key for key in payload):  # only inline formset keys: nothing editable
        return {**payload, **READ_ONLY_TAMPERING}
    raise AssertionError(f"No field to change in {sorted(payload)}: extend TAMPERED_VALUES.")


def rendered_relation_fields(response):
    """(model label of the choices, form field) of every relation field the
    form renders, inline forms included."""
    fields = []
    for fieldset in response.context["adminform"]:
        for line in fieldset:
            for admin_field in line:
                if not admin_field.is_readonly:
                    fields.append(admin_field.field.field)
    for inline in response.context["inline_admin_formsets"]:
        form = inline.formset.empty_form
        fields.extend(field for name, field in form.fields.items() if name in inline.formset.form.base_fields)
    return [
        (field.queryset.model._meta.label_lower, field)
        for field in fields
        if isinstance(field, forms.ModelChoiceField) and not isinstance(field.widget, forms.HiddenInput)
    ]


# --- the registry is fully covered ----------------------------------------------------


def test_every_admin_model_has_twins():
    """A model newly registered in our admin must get a twin in each structure here."""
    assert LABELS, "no admin model found for our apps"
    missing = sorted(set(LABELS) - set(TWINS))
    assert not missing, f"Admin models without twins in TWINS: {missing}"
    assert not set(TWINS) - set(LABELS), "TWINS names a model that has no admin"


def test_every_admin_and_inline_is_scoped():
    for label, model_admin in ADMINS.items():
        assert isinstance(model_admin, ScopedAdminMixin), label
        for inline in model_admin.inlines:
            assert issubclass(inline, ScopedAdminMixin), f"{label}: {inline.__name__}"


def test_every_searchable_admin_has_search_terms():
    assert sorted(SEARCH_TERMS) == SEARCHABLE


def test_every_declared_autocomplete_field_is_covered():
    declared = {(label, name) for label, model_admin in ADMINS.items() for name in model_admin.autocomplete_fields}
    assert declared, "expected some autocomplete fields"
    assert declared <= {(source, name) for source, name, _ in RELATION_FIELDS}


@pytest.mark.parametrize("label", OTHER_APP_LABELS)
def test_admin_screens_of_other_apps_are_closed_to_staff(staff, label):
    """Groups and login attempts (axes) are the site administrator's only."""
    assert staff.get(admin_url(label, "changelist")).status_code == 403
    assert staff.get(admin_url(label, "add")).status_code == 403


# --- lists, searches and filters -----------------------------------------------------


@pytest.mark.parametrize("label", LABELS)
def test_changelist_lists_own_objects_only(staff, side, label):
    response = staff.get(admin_url(label, "changelist"))
    assert response.status_code == 200
    pks = result_pks(response)
    assert side.own(label).pk in pks, "the list must show the staff member's own object"
    assert side.other(label).pk not in pks
    assert admin_url(label, "change", side.other(label).pk) not in page_text(response)


@pytest.mark.parametrize("label", SEARCHABLE)
def test_search_never_finds_other_structure(staff, superuser, side, label):
    term = side.other_term(label)
    control = superuser.get(admin_url(label, "changelist"), {"q": term})
    assert side.other(label).pk in result_pks(control), "the term must match the other structure's object"
    response = staff.get(admin_url(label, "changelist"), {"q": term})
    assert response.status_code == 200
    assert side.other(label).pk not in result_pks(response)
    own = staff.get(admin_url(label, "changelist"), {"q": side.own_term(label)})
    assert side.own(label).pk in result_pks(own)


def filter_target(spec):
    """The model whose objects a list filter offers, or None for fixed values."""
    if isinstance(spec, StructureListFilter):
        return "structures.structure"
    if isinstance(spec, RelatedFieldListFilter):
        return spec.field.related_model._meta.label_lower
    assert isinstance(spec, STATIC_FILTERS), f"Unknown list filter {type(spec).__name__}: teach this test about it."
    return None


@pytest.mark.parametrize("label", LABELS)
def test_list_filters_offer_own_structure_only(staff, superuser, side, label):
    url = admin_url(label, "changelist")
    response = staff.get(url)
    for spec in response.context["cl"].filter_specs:
        target = filter_target(spec)
        if target is None:
            continue
        offered = {str(pk) for pk, _ in spec.lookup_choices}
        assert str(side.own(target).pk) in offered, f"{spec.title}: own object missing"
        assert str(side.other(target).pk) not in offered, f"{spec.title} offers the other structure's object"
        # Asking for the other structure's value by hand shows nothing of it.
        parameter = spec.parameter_name if isinstance(spec, StructureListFilter) else spec.lookup_kwarg
        filtered = staff.get(url, {parameter: side.other(target).pk})
        if filtered.status_code == 200:
            assert not result_pks(filtered), f"{spec.title}: filtering on the other structure lists objects"
        else:
            assert filtered.status_code == 302 and filtered["Location"].endswith("?e=1")
    for spec in superuser.get(url).context["cl"].filter_specs:
        target = filter_target(spec)
        if target is not None:
            offered = {str(pk) for pk, _ in spec.lookup_choices}
            assert {str(side.own(target).pk), str(side.other(target).pk)} <= offered


def test_structure_filter_lists_only_own_structure_by_name(staff, side):
    html = page_text(staff.get(admin_url("structures.family", "changelist")))
    assert side.structure.name in html
    assert side.other_structure.name not in html


# --- object URLs -----------------------------------------------------------------------


@pytest.mark.parametrize("label", LABELS)
def test_object_urls_of_other_structure_reveal_nothing(staff, superuser, side, label):
    """Every per-object URL (change, delete, history, password, bulk openings,
    view on site...) answers for the other structure's object exactly as for an
    id that does not exist, on GET and on POST, and nothing is written."""
    other = side.other(label)
    change_url = admin_url(label, "change", other.pk)
    control = superuser.get(change_url)
    assert control.status_code == 200
    payload = form_payload(control) if "adminform" in control.context else {}
    if payload:
        payload = tampered(payload)
    payload.update(post="yes", confirm="on", start="2027-01-04", end="2027-01-29", weekdays=["0", "2"])
    before = snapshot()
    urls, missing_urls = object_urls(label, other.pk), object_urls(label, MISSING_PK)
    for name, url in urls.items():
        for data in (None, payload):
            response = fetch(staff, url, data)
            missing = fetch(staff, missing_urls[name], data)
            assert response.status_code != 200, f"{name} {url} is reachable"
            assert outcome(response, other.pk) == outcome(missing, MISSING_PK), (
                f"{name} {url} differs from a missing id"
            )
    assert snapshot() == before

    # Precisely: the admin redirects to its index with a "does not exist" warning.
    response = fetch(staff, change_url)
    assert response.status_code == 302 and response["Location"] == ADMIN_INDEX
    assert response.flash and "n’existe pas" in response.flash[0]
    history = fetch(staff, admin_url(label, "history", other.pk))
    assert history.status_code == 302 and history["Location"] == ADMIN_INDEX
    delete = fetch(staff, admin_url(label, "delete", other.pk))
    assert (delete.status_code, delete.get("Location")) in {(302, ADMIN_INDEX), (403, None)}


@pytest.mark.parametrize("label", LABELS)
def test_change_post_on_other_structure_changes_nothing(staff, superuser, side, label):
    other = side.other(label)
    url = admin_url(label, "change", other.pk)
    changeable = ADMINS[label].has_change_permission(model_request(side.world.admin), other)
    payload = tampered(form_payload(superuser.get(url))) if changeable else {"post": "yes"}
    before = row(other)
    response = fetch(staff, url, payload)
    if changeable:
        assert response.status_code == 302 and response["Location"] == ADMIN_INDEX
    else:
        assert response.status_code == 403  # read-only for everyone: refused before the lookup
    assert row(other) == before
    if changeable:
        # The very same POST does change it for the site administrator.
        response = fetch(superuser, url, payload)
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        assert row(other) != before


@pytest.mark.parametrize("label", LABELS)
def test_delete_of_other_structure_deletes_nothing(staff, side, label):
    other = side.other(label)
    url = admin_url(label, "delete", other.pk)
    before = snapshot()
    assert fetch(staff, url).status_code in (302, 403)
    assert fetch(staff, url, {"post": "yes"}).status_code in (302, 403)
    assert snapshot() == before
    assert type(other)._default_manager.filter(pk=other.pk).exists()


@pytest.mark.parametrize("label", LABELS)
def test_own_objects_stay_manageable(staff, side, label):
    """The other side of the coin: scoping does not lock staff out of their own."""
    own = side.own(label)
    url = admin_url(label, "change", own.pk)
    response = staff.get(url)
    assert response.status_code == 200
    assert staff.get(admin_url(label, "history", own.pk)).status_code == 200
    if ADMINS[label].has_change_permission(model_request(side.staff), own):
        before = row(own)
        response = fetch(staff, url, tampered(form_payload(response)))
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        assert row(own) != before


@pytest.mark.parametrize("label", [label for label in LABELS if ADMINS[label].inlines])
def test_inlines_of_own_object_are_editable(staff, side, label):
    """An inline's permissions are about its parent (here in scope), whatever its id."""
    response = staff.get(admin_url(label, "change", side.own(label).pk))
    inlines = response.context["inline_admin_formsets"]
    assert inlines
    for inline in inlines:
        if isinstance(inline.opts, ReadOnlyMixin):
            # The audit trail is shown, never edited, even by its own structure.
            assert inline.has_view_permission and not inline.has_change_permission, inline.formset.prefix
        else:
            assert inline.has_view_permission and inline.has_change_permission and inline.has_add_permission, (
                inline.formset.prefix
            )
        assert inline.formset.forms, f"{inline.formset.prefix}: existing rows missing"


# --- actions ------------------------------------------------------------------------------


def action_answers(name, obj):
    """The answers an action's intermediate page asks for, to carry it out on
    `obj` (made before the snapshot): « Inscrire à… » enrols the children on an
    activity of their structure once confirmed (issue 18 point 1)."""
    if name == "enrol_selected":
        activity = f.ActivityFactory(structure=obj.family.structure)
        return {
            "enrolment_step": "1",
            "activity": activity.pk,
            "start": "2027-01-04",
            "end": "2027-01-08",
            "confirm": "1",
        }
    if name in ("send_invitations", "resend_selected"):
        # Sending an e-mail again asks first (issue 18 point 8): the confirmation page's answer.
        return {"confirmation": "oui"}
    return {}


@pytest.mark.parametrize("label", LABELS)
def test_bulk_actions_never_touch_other_structure(staff, side, label):
    model_admin = ADMINS[label]
    names = set(model_admin.get_actions(model_request(side.world.admin)))
    names |= set(model_admin.get_actions(model_request(side.staff)))
    url = admin_url(label, "changelist")
    for name in sorted(names):
        answers = action_answers(name, side.other(label))
        before = snapshot()
        data = {"action": name, "_selected_action": [side.other(label).pk], "post": "yes", "index": "0", **answers}
        fetch(staff, url, data)
        assert snapshot() == before, f"action {name} acted on the other structure"


@pytest.mark.parametrize("label", LABELS)
def test_bulk_actions_do_act_on_own_objects(staff, side, label):
    """Control for the test above: the same POST does something on one's own object."""
    url = admin_url(label, "changelist")
    # Deleting last, so that the other actions still have their object.
    own = side.own(label)
    for name in sorted(ADMINS[label].get_actions(model_request(side.staff)), key=lambda n: (n == "delete_selected", n)):
        if name == "send_reset_links":  # a reset link is for a parent who has chosen a password (issue 12)
            own.set_password(f.PASSWORD)
            own.save(update_fields=["password"])
        answers = action_answers(name, own)
        before = snapshot()
        data = {"action": name, "_selected_action": [own.pk], "post": "yes", "index": "0", **answers}
        if answers:  # the intermediate page's own POST: without "index", as its form sends it
            data.pop("index")
        fetch(staff, url, data)
        if name == "delete_selected" and has_bookings(own):
            # Confirmed bookings are never lost through a delete (a day is closed in "Gestion").
            assert type(own)._default_manager.filter(pk=own.pk).exists(), f"{label} with bookings was deleted"
            assert snapshot() == before
        else:
            assert snapshot() != before, f"action {name} did nothing"


def has_bookings(obj):
    lookups = {
        "structures.family": lambda o: {"child__family": o},
        "structures.child": lambda o: {"child": o},
        "structures.activity": lambda o: {"activity": o},
        "structures.opening": lambda o: {"activity_id": o.activity_id, "date": o.date},
    }
    lookup = lookups.get(obj._meta.label_lower)
    return lookup is not None and Booking.objects.filter(**lookup(obj)).exists()


# --- autocomplete ---------------------------------------------------------------------------


def autocomplete(client, source, field_name, term=""):
    app_label, model_name = source.split(".")
    query = {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term}
    return client.get(reverse("admin:autocomplete"), query)


def autocomplete_ids(response):
    return {result["id"] for result in response.json()["results"]}


def allowed_by_field(source, field_name, obj):
    """Whether the relation's own limit_choices_to lets `obj` be chosen at all."""
    limit = apps.get_model(source)._meta.get_field(field_name).get_limit_choices_to()
    return type(obj)._default_manager.filter(pk=obj.pk).complex_filter(limit).exists()


@pytest.mark.parametrize(("source", "field_name", "target"), RELATION_FIELDS)
def test_autocomplete_never_offers_other_structure(staff, superuser, side, source, field_name, target):
    other, own = side.other(target), side.own(target)
    control = autocomplete(superuser, source, field_name, side.other_term(target))
    assert control.status_code == 200
    if allowed_by_field(source, field_name, other):
        assert str(other.pk) in autocomplete_ids(control), "the term must find the other structure's object"
    for term in (side.other_term(target), ""):
        response = autocomplete(staff, source, field_name, term)
        assert response.status_code == 200
        assert str(other.pk) not in autocomplete_ids(response), f"term {term!r} offers the other structure's object"
    if allowed_by_field(source, field_name, own):
        assert str(own.pk) in autocomplete_ids(autocomplete(staff, source, field_name, side.own_term(target)))


# --- add forms ---------------------------------------------------------------------------------


def management(prefix, total=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _activity_payload(structure):
    return {
        "structure": structure.pk,
        "name": "NOUVELLE",
        "code": "NEW",
        "colour": "#123456",
        "capacity": "0",
        "waiting_list_capacity": "0",
        "booking_deadline_days": "2",
        "booking_deadline_time": "10:00",
        "booking_deadline_count": "calendar",
        "cancellation_deadline_days": "2",
        "cancellation_deadline_time": "10:00",
        "cancellation_deadline_count": "calendar",
        "booking_period_start": "2026-09-01",
        "booking_period_end": "2027-07-03",
        "bookings_open_at_0": "",
        "bookings_open_at_1": "",
        **management("age_groups"),  # issue 18 point 9
    }


def _billing_settings_case(s):
    """A structure has one BillingSettings: the add form is for a structure
    that has none yet, so the side's own row goes first."""
    BillingSettings.objects.filter(structure=s.structure).delete()
    payload = {
        "structure": s.structure.pk, "legal_name": "Régie", "siret": "", "regie_number": "",
        "payment_terms_days": "30", "payment_ways": "", "reminder_after_days": "15", "payment_backend": "",
        "payment_options": "{}",
    }  # fmt: skip
    return payload, [{"structure": s.other_structure.pk}]


# model label -> side -> (a valid add payload for the side's own structure,
#                          [overrides putting the other structure's ids in it])
ADD_CASES = {
    "structures.family": lambda s: (
        {
            "structure": s.structure.pk,
            "reference": "NEW",
            "civility": "M.",
            "last_name": "NOUVELLE",
            "first_name": "Jean",
            "accounts": [s.own("accounts.user").pk],
            **management("children"),
            **management("guardians"),  # issue 17 point 1
        },
        [{"structure": s.other_structure.pk}, {"accounts": [s.other("accounts.user").pk]}],
    ),
    "structures.child": lambda s: (
        {
            "family": s.own("structures.family").pk,
            "first_name": "Zoé",
            "last_name": "DUPONT",
            "birth_date": "2020-02-02",
            "school_class": "",
            **management("enrolments"),
        },
        [
            {"family": s.other("structures.family").pk},
            {
                **management("enrolments", total=1),
                "enrolments-0-activity": s.other("structures.activity").pk,
                "enrolments-0-start_date": "2026-09-01",
                "enrolments-0-end_date": "2027-07-03",
            },
        ],
    ),
    "structures.activity": lambda s: (_activity_payload(s.structure), [{"structure": s.other_structure.pk}]),
    "structures.opening": lambda s: (
        {"activity": s.own("structures.activity").pk, "date": "2027-03-01"},
        [{"activity": s.other("structures.activity").pk}],
    ),
    "structures.enrolment": lambda s: (
        {
            "child": s.own("structures.child").pk,
            "activity": s.own("structures.activity").pk,
            "start_date": "2027-01-04",
            "end_date": "2027-02-01",
        },
        [{"child": s.other("structures.child").pk}, {"activity": s.other("structures.activity").pk}],
    ),
    "structures.closedperiod": lambda s: (
        {"structure": s.structure.pk, "label": "Pont", "start_date": "2027-05-07", "end_date": "2027-05-07"},
        [{"structure": s.other_structure.pk}],
    ),
    "structures.infomessage": lambda s: (
        {"structure": s.structure.pk, "title": "Nouveau", "text": "Texte", "visible_from": "", "visible_until": ""},
        [{"structure": s.other_structure.pk}],
    ),
    "booking.consumption": lambda s: (
        {
            "child": s.own("structures.child").pk,
            "activity": s.own("structures.activity").pk,
            "date": "2027-01-05",
            "present": "on",
            "arrival": "",
            "departure": "",
        },
        [{"child": s.other("structures.child").pk}, {"activity": s.other("structures.activity").pk}],
    ),
    "accounts.invitation": lambda s: (  # "Inviter un parent" (issue 12)
        {"family": s.own("structures.family").pk, "email": "parent@example.org"},
        [{"family": s.other("structures.family").pk}],
    ),
    "accounts.user": lambda s: (
        {
            "username": "nouveau",
            "last_name": "NOUVEAU",
            "first_name": "Jean",
            "email": "nouveau@example.org",
            "family": s.own("structures.family").pk,
        },
        [{"family": s.other("structures.family").pk}],
    ),
    "billing.tariff": lambda s: (
        {
            "activity": s.own("structures.activity").pk,
            "valid_from": "2027-09-01",
            "unit": "day",
            "basis": "bookings",
            "walk_in_surcharge_percent": "0",
            "second_child_reduction_percent": "0",
            "third_child_reduction_percent": "0",
            **management("brackets", total=1),
            "brackets-0-qf_max": "",
            "brackets-0-unit_price_cents": "4,20",
        },
        [{"activity": s.other("structures.activity").pk}],
    ),
    "billing.billingsettings": lambda s: _billing_settings_case(s),
    "dossier.documenttype": lambda s: (
        {"structure": s.structure.pk, "name": "Certificat", "kind": "medical", "validity_months": "12"},
        [{"structure": s.other_structure.pk}],
    ),
}


@pytest.mark.parametrize("label", LABELS)
def test_add_form_offers_own_structure_only(staff, superuser, side, label):
    url = admin_url(label, "add")
    response = staff.get(url)
    if label not in ADD_CASES:
        # Staff may not create these at all (structures, invitations, runs).
        assert response.status_code == 403
        assert staff.post(url, {}).status_code == 403
        return
    assert response.status_code == 200
    relations = rendered_relation_fields(response)
    assert relations, "expected relation choices on this add form"
    for target, field in relations:
        choices = set(field.queryset.values_list("pk", flat=True))
        assert side.own(target).pk in choices
        assert side.other(target).pk not in choices, f"{label} add form offers the other structure's {target}"
    for target, field in rendered_relation_fields(superuser.get(url)):
        assert {side.own(target).pk, side.other(target).pk} <= set(field.queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("label", sorted(ADD_CASES))
def test_add_post_with_other_structure_ids_is_refused(staff, side, label):
    url = admin_url(label, "add")
    payload, tamperings = ADD_CASES[label](side)
    before = snapshot()
    for overrides in tamperings:
        response = fetch(staff, url, {**payload, **overrides})
        assert response.status_code == 200, f"{overrides} accepted"
        errors = dict(response.context["adminform"].form.errors)
        for inline in response.context["inline_admin_formsets"]:
            errors.update({f"{inline.formset.prefix}-{i}": e for i, e in enumerate(inline.formset.errors) if e})
        assert errors, f"{overrides}: no error shown"
        assert snapshot() == before, f"{overrides} wrote something"
    # Control: the untampered payload is valid and creates the object.
    response = fetch(staff, url, payload)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert snapshot() != before


# --- the whole site, by role ---------------------------------------------------------------------


@pytest.mark.parametrize("label", LABELS)
def test_superuser_sees_both_structures(superuser, scoped, label):
    a, b = (getattr(scoped, attr) for attr in TWINS[label])
    assert {a.pk, b.pk} <= result_pks(superuser.get(admin_url(label, "changelist")))
    assert superuser.get(admin_url(label, "change", a.pk)).status_code == 200
    assert superuser.get(admin_url(label, "change", b.pk)).status_code == 200


def test_staff_index_lists_our_models(staff):
    response = staff.get(ADMIN_INDEX)
    assert response.status_code == 200
    shown = {model["object_name"].lower() for app in response.context["app_list"] for model in app["models"]}
    assert shown == {label.split(".")[1] for label in LABELS}


def every_admin_url(world):
    urls = [ADMIN_INDEX, reverse("admin:autocomplete") + "?app_label=structures&model_name=child&field_name=family"]
    for label in LABELS:
        obj = getattr(world, TWINS[label][0])
        urls += [admin_url(label, "changelist"), admin_url(label, "add")]
        urls += list(object_urls(label, obj.pk).values())
    return urls


def test_family_account_is_sent_to_admin_login(client, scoped):
    client.force_login(scoped.dupont)
    login = reverse("admin:login")
    for url in every_admin_url(scoped):
        for response in (client.get(url), client.post(url, {"post": "yes"})):
            assert response.status_code == 302, url
            assert response["Location"].startswith(login + "?next="), url
    assert client.get(login).status_code == 200  # the login page itself, asking for a staff account


def test_staff_without_structure_sees_nothing(client, scoped):
    nobody = f.StaffFactory(username="agent.sans.structure")
    client.force_login(nobody)
    response = client.get(ADMIN_INDEX)
    assert response.status_code == 200
    assert response.context["app_list"] == []
    for label in LABELS:
        assert client.get(admin_url(label, "changelist")).status_code == 403, label
        assert client.get(admin_url(label, "add")).status_code == 403, label
        obj = getattr(scoped, TWINS[label][0])
        assert client.get(admin_url(label, "change", obj.pk)).status_code in (302, 403), label
    assert autocomplete(client, "structures.child", "family").status_code == 403


# --- bulk creation of openings (B3) ---------------------------------------------------------------


def bulk_url(activity):
    return reverse("admin:structures_activity_bulk_openings", args=[activity.pk])


# Mondays and Wednesdays from 02/11/2026 to 31/12/2026 for APS MATIN (A), minus
# 11/11 (public holiday, a Wednesday), 07/12 (already open) and 21, 23, 28 and
# 30/12 (A's Christmas closure, 19/12/2026 – 03/01/2027).
BULK = {"start": "2026-11-02", "end": "2026-12-31", "weekdays": ["0", "2"]}
BULK_EXPECTED = [datetime.date(2026, 11, d) for d in (2, 4, 9, 16, 18, 23, 25, 30)] + [
    datetime.date(2026, 12, d) for d in (2, 9, 14, 16)
]


@pytest.fixture
def staff_a(client, scoped):
    client.force_login(scoped.staff_a)
    return client


def opening_dates(activity):
    return sorted(activity.openings.values_list("date", flat=True))


def test_bulk_openings_form(staff_a, scoped):
    response = staff_a.get(bulk_url(scoped.aps_a))
    assert response.status_code == 200
    html = page_text(response)
    assert "Ouvertures en série" in html and 'name="weekdays"' in html and "Voir l'aperçu" in html
    # and it is linked from the activity's page
    assert bulk_url(scoped.aps_a) in page_text(staff_a.get(admin_url("structures.activity", "change", scoped.aps_a.pk)))


def test_bulk_openings_preview_writes_nothing(staff_a, scoped):
    before = snapshot()
    response = staff_a.post(bulk_url(scoped.aps_a), BULK)
    assert response.status_code == 200
    html = page_text(response)
    assert f"<strong>{len(BULK_EXPECTED)}</strong> ouvertures seront créées." in html
    assert "1 jour déjà ouvert (inchangé)" in html
    assert "4 jours de fermeture ignorés" in html
    assert "1 jour férié ignoré" in html
    assert 'name="confirm"' in html
    assert snapshot() == before


def test_bulk_openings_confirm_creates_exactly_the_planned_days(staff_a, scoped):
    aps = scoped.aps_a
    response = fetch(staff_a, bulk_url(aps), {**BULK, "capacity": "5", "confirm": "Créer ces ouvertures"})
    assert response.status_code == 302
    assert response["Location"] == admin_url("structures.opening", "changelist") + f"?activity__id__exact={aps.pk}"
    assert response.flash == [f"{len(BULK_EXPECTED)} ouvertures créées."]
    assert opening_dates(aps) == sorted([*BULK_EXPECTED, scoped.opening_a.date])
    assert datetime.date(2026, 11, 11) not in opening_dates(aps)
    new = aps.openings.exclude(pk=scoped.opening_a.pk)
    assert set(new.values_list("capacity", flat=True)) == {5}
    scoped.opening_a.refresh_from_db()
    assert scoped.opening_a.capacity is None, "an existing opening is never touched"
    # No other activity got openings.
    assert opening_dates(scoped.cantine_a) == [] and opening_dates(scoped.alsh_b) == [scoped.opening_b.date]

    # Rerun: nothing new, nothing duplicated.
    before = snapshot()
    response = fetch(staff_a, bulk_url(aps), {**BULK, "confirm": "Créer ces ouvertures"})
    assert response.status_code == 302 and response.flash[0].startswith("0 ouverture")
    assert snapshot() == before
    preview = page_text(staff_a.post(bulk_url(aps), BULK))
    assert re.search(r"<strong>0</strong> ouvertures? ser(a|ont) créées?\.", preview)
    assert f"{len(BULK_EXPECTED) + 1} jours déjà ouverts (inchangés)" in preview


def test_bulk_openings_skip_public_holiday_on_a_friday(staff_a, scoped):
    """25/12/2026, a Friday, is skipped as a public holiday where no closure covers it."""
    scoped.closed_a.delete()
    data = {"start": "2026-12-14", "end": "2026-12-31", "weekdays": ["4"]}
    assert "1 jour férié ignoré" in page_text(staff_a.post(bulk_url(scoped.cantine_a), data))
    assert staff_a.post(bulk_url(scoped.cantine_a), {**data, "confirm": "1"}).status_code == 302
    assert opening_dates(scoped.cantine_a) == [datetime.date(2026, 12, 18)]


def test_bulk_openings_invalid_range_creates_nothing(staff_a, scoped):
    before = snapshot()
    data = {"start": "2026-12-31", "end": "2026-11-02", "weekdays": ["0"], "confirm": "1"}
    response = staff_a.post(bulk_url(scoped.aps_a), data)
    assert response.status_code == 200
    assert "La date de fin doit suivre la date de début." in page_text(response)
    assert snapshot() == before


def test_bulk_openings_of_other_structure_is_404(staff, side):
    other = side.other("structures.activity")
    before = snapshot()
    assert staff.get(bulk_url(other)).status_code == 404
    assert staff.post(bulk_url(other), {**BULK, "confirm": "1"}).status_code == 404
    assert staff.post(bulk_url(other), BULK).status_code == 404
    assert snapshot() == before
    assert Opening.objects.filter(activity=other).count() == 1
