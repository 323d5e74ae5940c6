"""What the family changed in its file, for staff to check (issue 17 point 1).

A family's change is applied at once; `save_family_edit` records one
FamilyChange per field that really changed (none for a save that changes
nothing), with the label a clerk reads (« Téléphone portable de Marie
DUPONT »), the previous and the new value, who and when. Staff see the
changes not yet seen (« Modifications des familles », the family's admin page)
and mark them as seen (`mark_seen`), one or all of a family's at once.

Labels and values are written in French whatever the parent's language: they
are read by the structure's staff.
"""

import datetime

from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from portail.dossier.models import FamilyChange, Guardian
from portail.lib import dates, french
from portail.structures.models import Child, Family


def _owner(instance: models.Model) -> str:
    """Whose information it is, as the label says it: « Marie DUPONT », « la famille »."""
    if isinstance(instance, Family):
        return gettext("la famille")
    if isinstance(instance, (Guardian, Child)):
        return f"{instance.first_name} {instance.last_name.upper()}".strip()
    return str(instance)


def _key(instance: models.Model, field: str) -> str:
    kind = {Family: "family", Guardian: "guardian", Child: "child"}.get(type(instance), instance._meta.model_name)
    return f"{kind}.{instance.pk}.{field}"


def _field(instance: models.Model, name: str) -> models.Field:
    field = instance._meta.get_field(name)
    assert isinstance(field, models.Field)  # a concrete field, never a reverse relation
    return field


def normalise_text(value: str) -> str:
    """A textarea's text as stored and compared: CRLF and CR become LF and each
    line loses its trailing spaces (a browser posts a textarea's newlines as
    CRLF: « 1 rue des Lilas\\r\\n75000 » is the stored « …Lilas\\n75000 », no change)."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _shown(instance: models.Model, field: str) -> str:
    """The value as a person reads it: a choice's label, « Oui »/« Non », a date dd/mm/yyyy
    (a text's newlines normalised, so that a CRLF stored earlier is not a change)."""
    model_field = _field(instance, field)
    value = getattr(instance, field)
    if value is None:
        return ""
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("Oui") if value else gettext("Non")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return normalise_text(str(value))


def label(instance: models.Model, field: str) -> str:
    """« Téléphone portable de Marie DUPONT », « Adresse de la famille »."""
    name = str(_field(instance, field).verbose_name)
    return f"{name[:1].upper()}{name[1:]} {french.de(_owner(instance))}"


def save_family_edit(form, *, family: Family, actor, child: Child | None = None) -> list[FamilyChange]:
    """Save `form` (a ModelForm, already valid, on an object of `family` the
    caller has checked) and record one FamilyChange per field whose value
    changed. A new object (a parent added) records its filled fields, from
    empty. Returns the changes (empty when nothing changed: nothing is written)."""
    instance = form.instance
    fields = [name for name in form.fields if name in {f.name for f in instance._meta.concrete_fields}]
    with transaction.atomic(), translation.override("fr"):
        before = {}
        if instance.pk is not None:
            # The stored row, not the form's instance (the form already wrote the new values on it).
            stored = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
            before = {name: _shown(stored, name) for name in fields}
        form.save()
        now = timezone.now()
        changes = []
        for name in fields:
            old, new = before.get(name, ""), _shown(instance, name)
            if old == new:
                continue
            changes.append(
                FamilyChange(
                    family=family,
                    child=child,
                    field_label=label(instance, name),
                    field_key=_key(instance, name),
                    old_value=old,
                    new_value=new,
                    changed_by=actor,
                    changed_at=now,
                )
            )
        FamilyChange.objects.bulk_create(changes)
    return changes


def unseen(families) -> models.QuerySet:
    """The changes of `families` (a queryset, already scoped) not yet seen, the latest first."""
    return (
        FamilyChange.objects.filter(family__in=families, seen_at__isnull=True)
        .select_related("family", "family__structure", "changed_by", "child")
        .order_by("-changed_at", "-pk")
    )


# The fields whose values are health data: « Modifications des familles » never
# shows them (only « modifiée — voir la fiche », the child's file records the view).
HEALTH_KEY_PREFIX = "healthsheet."
MASKED = gettext_lazy("modifiée — voir la fiche")


def is_health(change: FamilyChange) -> bool:
    """Whether `change` is of the health sheet (its values are medical text)."""
    return change.field_key.startswith(HEALTH_KEY_PREFIX)


def _object_key(change: FamilyChange) -> str:
    """« authorisedperson.12 » of « authorisedperson.12.phone »: the object changed."""
    return ".".join(change.field_key.split(".")[:2])


def save_key(change: FamilyChange) -> tuple:
    """What the changes of one save share: `save_family_edit` writes every row of
    one save with the same family, child, object, author and moment."""
    return (change.family_id, change.child_id, _object_key(change), change.changed_by_id, change.changed_at)


def group_by_save(changes) -> list[list[FamilyChange]]:
    """`changes` (in display order) grouped per save: one group per object and
    save, in the order of their first row (one person added: one group)."""
    groups: dict[tuple, list[FamilyChange]] = {}
    for change in changes:
        groups.setdefault(save_key(change), []).append(change)
    return list(groups.values())


def same_save(change: FamilyChange, scoped_changes) -> models.QuerySet:
    """The rows of `scoped_changes` (a queryset, already scoped) recorded by the
    save that recorded `change` (itself included)."""
    return scoped_changes.filter(
        family_id=change.family_id,
        child_id=change.child_id,
        changed_by_id=change.changed_by_id,
        changed_at=change.changed_at,
        field_key__startswith=_object_key(change) + ".",
    ) | scoped_changes.filter(pk=change.pk)


def mark_seen(changes, user) -> int:
    """Mark `changes` (a queryset, already scoped) as seen by `user`. Only the
    ones still unseen: a second click, or two clerks at once, change nothing.
    Returns how many were marked."""
    return changes.filter(seen_at__isnull=True).update(seen_at=timezone.now(), seen_by=user)


def when(change: FamilyChange) -> str:
    """« ven. 27/11 à 18:02 » (local time)."""
    moment = timezone.localtime(change.changed_at)
    return gettext("%(day)s à %(time)s") % {"day": dates.short_day(moment.date()), "time": moment.strftime("%H:%M")}


def link_guardian(family: Family, user, email: str) -> Guardian | None:
    """After `user` accepted an invitation sent to `email` for `family`: the
    family's parent row with that address and no account yet gets the account.
    None when there is no such row (the family may add it later)."""
    with transaction.atomic():
        guardian = (
            Guardian.objects.select_for_update()
            .filter(family=family, email__iexact=email.strip(), account__isnull=True)
            .order_by("pk")
            .first()
        )
        if guardian is None or Guardian.objects.filter(family=family, account=user).exists():
            return None
        guardian.account = user
        guardian.save(update_fields=["account"])
    return guardian
