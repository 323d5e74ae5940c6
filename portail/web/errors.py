"""Every error a person can meet, in French, with a way back (issue 12, point 4).

`bad_request(request, message)` is the one way a view refuses a request with a
message. The other functions are Django's error handlers (portail/urls.py),
its CSRF failure view (settings.CSRF_FAILURE_VIEW) and the 405 page that
`portail.web.middleware` puts on Django's empty "method not allowed" answers.

- A full page gets the error page in the site's layout (the back office's
  layout under /gestion/ and /admin/ for staff), with the viewport meta, a
  sentence a parent understands and links back. Messages are escaped by the
  templates: nothing a request echoes is ever interpreted as markup.
- An htmx call gets the message as plain text: htmx does not swap 4xx/5xx
  answers, and portail/static/portail/errors.js shows that text in the page's
  live region with textContent.
- The 500 page is rendered without the request: no context processor, no
  database query, no session, so it still renders when those are what broke.
"""

import logging

from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop

logger = logging.getLogger(__name__)

# What an htmx call is told for each status (the pages say the same, at more length).
# French msgids, translated where they are sent (`_text`): the tests compare with them.
NOT_FOUND = gettext_noop(
    "Cette page n'existe pas ou plus. Si vous venez de changer de structure consultée "
    "ou d'utiliser le bouton Retour, repartez du menu."
)
FORBIDDEN = gettext_noop("Vous n'avez pas accès à cette page avec ce compte.")
BAD_REQUEST = gettext_noop(
    "Votre demande n'a pas pu être traitée : elle contient des valeurs incorrectes ou trop volumineuses. "
    "Revenez à la page précédente et réessayez."
)
CSRF_EXPIRED = gettext_noop("La page a expiré : rechargez la page et recommencez.")
METHOD_NOT_ALLOWED = gettext_noop("Cette adresse ne s'ouvre pas de cette façon : repartez du menu et recommencez.")
SERVER_ERROR = gettext_noop("Erreur du serveur : réessayez dans un instant.")

# Areas drawn in the back office's frame (staff/base.html) for staff members.
STAFF_PREFIXES = ("/gestion/", "/admin/")


def bad_request(request, message, *, status=400):
    """A refused request: a French message in the page (or in the htmx live region)."""
    return _answer(request, "400.html", status, message=str(message) if message else "")


def handler400(request, exception=None):
    """Django's SuspiciousOperation answers (bad host, request too big...)."""
    return _answer(request, "400.html", 400)


def handler403(request, exception=None):
    return _answer(request, "403.html", 403)


def handler404(request, exception=None):
    return _answer(request, "404.html", 404)


def csrf_failure(request, reason=""):
    """The CSRF check failed: nearly always a page left open too long, or
    opened before logging in again. `reason` is for developers: not shown."""
    return _answer(request, "403_csrf.html", 403)


def method_not_allowed(request, allowed):
    """The 405 page; `allowed` is the Allow header of Django's empty answer."""
    response = _answer(request, "405.html", 405)
    response["Allow"] = allowed
    return response


def handler500(request):
    """Bare and self-contained: rendered without the request (see the module docstring)."""
    if _is_htmx(request):
        return _text(gettext(SERVER_ERROR), 500)
    try:
        return HttpResponseServerError(loader.get_template("500.html").render({"stylesheet": _stylesheet()}))
    except Exception:  # the last answer must not fail: a template or storage error falls back to text
        logger.exception("500.html could not be rendered")
        return HttpResponseServerError(gettext(SERVER_ERROR), content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------- helpers

MESSAGES = {
    "400.html": BAD_REQUEST,
    "403.html": FORBIDDEN,
    "403_csrf.html": CSRF_EXPIRED,
    "404.html": NOT_FOUND,
    "405.html": METHOD_NOT_ALLOWED,
}


def _answer(request, template, status, message=""):
    if _is_htmx(request):
        return _text(message or gettext(MESSAGES[template]), status)
    return render(request, template, {"message": message, **_layout(request)}, status=status)


def _text(message, status):
    # text/plain (and nosniff, settings.py): even opened as a page, never read as HTML.
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _is_htmx(request):
    # request.htmx is set by django-htmx's middleware; an error raised before it ran still has the header.
    return bool(getattr(request, "htmx", False)) or request.headers.get("HX-Request") == "true"


def _user(request):
    """The logged-in user, or None: None as well when the session or the
    authentication middleware never ran (an error raised before them)."""
    user = getattr(request, "user", None)
    if user is None or not hasattr(request, "session") or not user.is_authenticated:
        return None
    return user


def _layout(request):
    """Which frame the page is drawn in, and its links back."""
    user = _user(request)
    if user is None:
        if request.path.startswith(STAFF_PREFIXES):
            return {"layout": "base.html", "links": [(gettext("Connexion à la gestion"), reverse("admin:login"))]}
        return {"layout": "base.html", "links": [(gettext("Connexion"), reverse("login"))]}
    if user.is_active and user.is_staff:
        from django.contrib import admin

        staff_links = _staff_links(user)
        if request.path.startswith(STAFF_PREFIXES):
            # The back office's frame needs the admin site's context (title, user links).
            return {**admin.site.each_context(request), "layout": "staff/base.html", "links": staff_links}
        return {"layout": "base.html", "links": _family_links(request) or staff_links}
    return {"layout": "base.html", "links": _family_links(request) or [(gettext("Accueil"), reverse("family:home"))]}


def _family_links(request):
    from portail.web.family import current_family

    if current_family(request) is None:
        return []
    return [(gettext("Accueil"), reverse("family:home")), (gettext("Réserver"), reverse("family:reserve"))]


def _staff_links(user):
    from portail.structures.scoping import is_structure_staff

    links = [(gettext("Gestion quotidienne"), reverse("staff:index"))] if is_structure_staff(user) else []
    if getattr(user, "is_animator", False):  # the admin is closed to animators (issue 18 point 7)
        return links
    return [*links, (gettext("Administration"), reverse("admin:index"))]


def _stylesheet():
    """The site's stylesheet URL for the 500 page, or None if even that fails
    (a static files manifest missing an entry raises ValueError)."""
    from django.templatetags.static import static

    try:
        return static("portail/site.css")
    except Exception:
        return None
