from django.utils.functional import SimpleLazyObject

from portail.booking.models import ProcessingRun
from portail.web.family import current_family, request_families


def header(request):
    """The header of A4: account name, structures, last update of the site.

    Lazy: htmx fragments (a calendar cell) never show the header, so they
    never pay its queries."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"header": SimpleLazyObject(lambda: _header(request, user))}


def _header(request, user):
    family = current_family(request)
    if family is None:
        return {"name": user.display_name, "families": [], "family": None, "last_update": None}
    last_run = (
        ProcessingRun.objects.filter(structure_id=family.structure_id, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    return {
        "name": user.display_name,
        "families": request_families(request),
        "family": family,
        "structure": family.structure,
        "last_update": last_run,
    }
