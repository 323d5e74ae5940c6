"""The web app manifest (issue 14 point 6): "Ajouter à l'écran d'accueil" on a
phone gives the portal an icon and a title, and opens it without the
browser's bars. No offline mode: there is no service worker.

Logged in, the title is the structure the parent is consulting (a parent of
"Mairie de CarteVille" finds that name under the icon); otherwise "Portail
Famille". base.html links it with crossorigin="use-credentials": browsers
fetch a manifest without cookies unless told to, and would never see the
session."""

import json

from django.http import HttpResponse
from django.templatetags.static import static
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portail.web.family import current_family

# The colours of site.css: the header's blue (--accent) and the page's background (--bg).
THEME_COLOUR = "#0b5cab"
BACKGROUND_COLOUR = "#f5f7fa"
ICONS = [
    ("portail/icons/icon-192.png", 192, "any"),
    ("portail/icons/icon-512.png", 512, "any"),
    ("portail/icons/icon-maskable-512.png", 512, "maskable"),
]


def manifest_data(request):
    """The manifest as a dict: the consulted structure's name when logged in."""
    site = gettext("Portail Famille")
    family = current_family(request) if request.user.is_authenticated else None
    if family is not None:
        name, short_name = f"{site} — {family.structure.name}", family.structure.name
    else:
        name, short_name = site, site
    return {
        "id": "/",
        "name": name,
        "short_name": short_name,
        "lang": get_language(),
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static(path), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
            for path, size, purpose in ICONS
        ],
    }


@require_GET
@never_cache  # it depends on the session: a shared cache must not give one parent's structure to another
def manifest(request):
    return HttpResponse(
        json.dumps(manifest_data(request), ensure_ascii=False),
        content_type="application/manifest+json; charset=utf-8",
    )
