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
    """The family chosen in this session; else, after a login, the one the
    account used last (User.last_family, issue 14 point 4); else the first
    structure in alphabetical order. Each only while the account still belongs
    to that family: `families` is read from the account's memberships."""
    families = request_families(request)
    if not families:
        return None
    by_pk = {family.pk: family for family in families}
    chosen = request.session.get(SESSION_KEY)
    if chosen in by_pk:
        return by_pk[chosen]
    last = getattr(request.user, "last_family_id", None)
    family = by_pk[last] if last in by_pk else families[0]
    # Kept for the session: a choice made meanwhile on another device shows
    # at this device's next login, not in the middle of what it is doing.
    request.session[SESSION_KEY] = family.pk
    return family


def switch_family(request, family_id):
    """Switch to another structure of the same account; False if not its own.

    The choice is kept for this session and on the account, so the next login
    shows the same structure again."""
    family = account_families(request.user).filter(pk=family_id).first()
    if family is None:
        return False
    request.session[SESSION_KEY] = family.pk
    if request.user.last_family_id != family.pk:
        request.user.last_family = family
        request.user.save(update_fields=["last_family"])
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
