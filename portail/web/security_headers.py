"""Headers that Django's SecurityMiddleware does not set (issue 12, point 7).

- `Cache-Control: no-store` on every page and file the site draws. Every one of
  them shows a family's data (calendar, recap, history and its CSV/XLSX/PDF
  exports, profile), a structure's (/gestion/, /admin/), or carries a CSRF
  token (login, recovery): none is worth keeping in a browser's or a proxy's
  cache, and on a shared computer the back button or the cache must not show the
  previous parent's page. A response that already says how to cache it keeps
  it: WhiteNoise's static files (hashed names, cached for a year, A5), and any
  view that chose its own policy deliberately (with django.utils.cache).
- `Permissions-Policy`: the browser features the site never uses (camera,
  microphone, location, payment, USB…) are refused to every page and to
  anything it might embed, so an injected script or frame cannot ask for them.
  The site only prints (window.print, not a policy-controlled feature).
"""

from django.conf import settings
from django.utils.cache import add_never_cache_headers

# Only features the browsers recognise (an unknown one is reported as an error
# in the console; the Chromium of tests/browser accepts all of these silently).
# "()" allows a feature to no origin at all. Left alone: client hints (ch-*),
# sync-xhr and unload, which old scripts of the admin might still rely on.
REFUSED_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "clipboard-read",
    "clipboard-write",
    "compute-pressure",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "gamepad",
    "geolocation",
    "gyroscope",
    "hid",
    "identity-credentials-get",
    "idle-detection",
    "interest-cohort",
    "keyboard-map",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "otp-credentials",
    "payment",
    "picture-in-picture",
    "publickey-credentials-create",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "storage-access",
    "usb",
    "window-management",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in REFUSED_FEATURES)


class SecurityHeadersMiddleware:
    """Listed right after SecurityMiddleware, before WhiteNoise: every response
    passes through it on the way out, static files, error and lockout pages
    drawn by the other middleware included."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if not request.path_info.startswith(self.static_prefix) and not response.has_header("Cache-Control"):
            # no-store, no-cache, must-revalidate, private, max-age=0 and an Expires in the past.
            add_never_cache_headers(response)
            # For HTTP/1.0 caches, which ignore Cache-Control.
            response.headers.setdefault("Pragma", "no-cache")
        return response
