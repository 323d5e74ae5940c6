"""Per-structure scoping of staff access, in one place.

Every admin screen and every staff view filters through `scope_queryset`, so no
screen can forget the owner check. A superuser (site administrator) sees all.
"""

from django.core.exceptions import ImproperlyConfigured

# model label -> lookup path from that model to its Structure. Paths through a
# many-to-many relation are marked, so that they are filtered by subquery and
# never return duplicates.
SCOPE_PATHS = {
    "structures.structure": ("pk", False),
    "structures.family": ("structure", False),
    "structures.child": ("family__structure", False),
    "structures.activity": ("structure", False),
    "structures.opening": ("activity__structure", False),
    "structures.agegroup": ("activity__structure", False),
    "structures.groupcount": ("opening__activity__structure", False),
    "structures.enrolment": ("child__family__structure", False),
    "structures.closedperiod": ("structure", False),
    "structures.infomessage": ("structure", False),
    "booking.processingrun": ("structure", False),
    "booking.booking": ("activity__structure", False),
    "booking.movement": ("structure", False),
    "booking.bookingaudit": ("booking__activity__structure", False),
    "booking.confirmation": ("family__structure", False),
    "booking.familyreport": ("family__structure", False),
    "booking.consumption": ("activity__structure", False),
    "notifications.outboxemail": ("structure", False),
    "accounts.user": ("families__structure", True),
    "accounts.invitation": ("user__families__structure", True),
}


def register_scope(model_label, path, through_many=False):
    SCOPE_PATHS[model_label] = (path, through_many)


def staff_structure_ids(user):
    """Ids of the structures a staff account manages; None for a site administrator."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    cached = getattr(user, "_staff_structure_ids", None)
    if cached is None:
        cached = frozenset(user.staff_structures.values_list("pk", flat=True)) if user.is_staff else frozenset()
        user._staff_structure_ids = cached
    return cached


def is_structure_staff(user):
    ids = staff_structure_ids(user)
    return ids is None or bool(ids)


def scope_queryset(queryset, user):
    """The part of `queryset` that `user` may see as staff."""
    ids = staff_structure_ids(user)
    if ids is None:
        return queryset
    label = queryset.model._meta.label_lower
    try:
        path, through_many = SCOPE_PATHS[label]
    except KeyError:
        raise ImproperlyConfigured(f"No structure scope is declared for {label}.") from None
    lookup = "pk__in" if path == "pk" else f"{path}__in"
    if through_many:
        inner = queryset.model._default_manager.filter(**{lookup: ids}).values("pk")
        return queryset.filter(pk__in=inner)
    return queryset.filter(**{lookup: ids})


def in_scope(obj, user):
    return scope_queryset(type(obj)._default_manager.filter(pk=obj.pk), user).exists()
