"""Staff roles (issue 18 point 7), enforced in one place.

A staff account (is_staff, linked to structures by Structure.staff) has a
role, User.staff_role:

- "agent" (today's staff): every daily screen (/gestion/) and the admin of
  its structures;
- "responsable": the same, and creates and disables the staff accounts of its
  structures (portail/staff/user_views.py);
- "animateur": the roll call and the day's planning (read-only: the planning
  shows no action) and the day's attendance sheet; nothing else. Every other
  /gestion/ or admin URL answers a French 403 (the admin's index, where
  the back office's login lands, sends them to their menu instead).

The animator's list is an allow-list of URL names: a screen added later is
closed to animators until it is added here on purpose (and
tests/security/test_staff_roles.py fails until the new URL gets an entry).
"""

from django.shortcuts import redirect

from portail.web.errors import handler403

# The /gestion/ screens an animator reaches. The planning is read-only for
# them (its templates hide the actions, and every action URL is refused here).
ANIMATOR_STAFF_URLS = frozenset(
    {
        "staff:index",  # the menu, showing only the screens below
        "staff:planning",
        "staff:sheet",  # the day's attendance sheet (HTML, PDF, CSV)
        "staff:roll_call",
        "staff:mark",  # the roll call's one tap per child
        "staff:all_present",  # the roll call's "Tous présents"
        # The child's file (issue 17): on an outing the animator needs the allergies,
        # the PAI and whom to call; each opening is recorded (dossier.HealthAccess).
        "staff:child_file",
    }
)
# In the admin, only what a login needs: the login page itself (where the
# "Gestion quotidienne" link sends them), logging out, their own password.
ANIMATOR_ADMIN_URLS = frozenset({"admin:login", "admin:logout", "admin:password_change", "admin:password_change_done"})
LIMITED_NAMESPACES = ("staff", "admin")


def animator_may_open(view_name):
    """Whether an animator may open the URL named `view_name` ("staff:planning")."""
    namespace = view_name.split(":", 1)[0] if ":" in view_name else ""
    if namespace not in LIMITED_NAMESPACES:
        return True
    return view_name in ANIMATOR_STAFF_URLS or view_name in ANIMATOR_ADMIN_URLS


class StaffRoleMiddleware:
    """Refuses an animator every back-office URL outside its list (a French
    403, nothing done). Runs before the view, so no view can forget it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not getattr(user, "is_animator", False):
            return None
        match = request.resolver_match
        if match is None or animator_may_open(match.view_name):
            return None
        if match.view_name == "admin:index":
            # Where the back office's login lands by default: the animator's own menu.
            return redirect("staff:index")
        return handler403(request)
