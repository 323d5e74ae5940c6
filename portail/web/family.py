"""Everything the family side shows is reached through the logged-in account.

`current_family` is the only way a family view gets its Family: it is derived
from the account and the structure chosen in the session, never from an id in
the request, so no view can forget the owner check.

Here in `web`, the request helpers no app owns: the family screens, the
account pages (switching structure, the profile) and the error pages' header
use them alike.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from portail.structures.models import Family
from portail.structures.scoping import is_structure_staff

SESSION_KEY = "current_family_id"


def account_families(user):
    if not user.is_authenticated:
        return Family.objects.none()
    return Family.objects.filter(accounts=user).select_related("structure").order_by("structure__name")


def current_family(request):
    """The family of this account in the structure being consulted, or None.

    Computed once per request and cached on it.
    """
    if not hasattr(request, "_current_family"):
        request._current_family = _find_current_family(request)
    return request._current_family


def request_families(request):
    """The account's families, read once per request (the header lists them too)."""
    if not hasattr(request, "_families"):
        request._families = list(account_families(request.user))
    return request._families


def _find_current_family(request):
    families = request_families(request)
    if not families:
        return None
    chosen = request.session.get(SESSION_KEY)
    for family in families:
        if family.pk == chosen:
            return family
    return families[0]


def switch_family(request, family_id):
    """Switch to another structure of the same account; False if not its own."""
    family = account_families(request.user).filter(pk=family_id).first()
    if family is None:
        return False
    request.session[SESSION_KEY] = family.pk
    request.__dict__.pop("_current_family", None)
    return True


def family_required(view):
    """Logged in, with a family in at least one structure; staff go to the back office."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if current_family(request) is None:
            if is_structure_staff(request.user):
                return redirect("admin:index")
            return render(request, "family/no_family.html", status=403)
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper
