"""Settings for Portail Famille.

One settings module, configured by environment variables (parsed strictly:
a malformed value raises ImproperlyConfigured instead of being guessed).
SQLite by default; PostgreSQL when DATABASE_URL says so.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portail.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-dev-only-key" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Without SITE_URL, the local address on PORT (8000 by default): the demo's links
# (`make demo PORT=8080`) point to the port it serves.
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")
# The demo (`make demo`, scripts/demo.py): its "Courriels envoyés (démo)" page
# (portail/demo/views.py). Only with DJANGO_DEBUG=1: production settings never
# have it, whatever their environment says.
DEMO = DEBUG and env_bool("PORTAIL_DEMO", False)
# The simulated bank (portail/simbank, issue 16 point 4): the payment provider of
# the demo and the tests (settings_test turns it on). Only with DJANGO_DEBUG=1:
# a production site never serves it nor pays with it, whatever its environment says.
SIMULATED_BANK = DEBUG

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "portail.accounts",
    "portail.structures",
    "portail.booking",
    "portail.family",
    "portail.notifications",
    "portail.dossier",  # issue 17: the family file
    "portail.billing",  # issue 16: money
    "portail.simbank",  # issue 16: the simulated bank of the demo and the tests
    "portail.staff",
    "portail.demo",  # `manage.py load_demo`: above every app, it may import them all
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so it sees every response: no-store on what the site
    # draws (not on static files), Permissions-Policy on all (issue 12 point 7).
    "portail.web.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the account is known: its language wins over the browser cookie (issue 13).
    "portail.accounts.language.UserLanguageMiddleware",
    # Staff roles (issue 18 point 7): an animator reaches only the roll call and the day's planning.
    "portail.accounts.roles.StaffRoleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After django-csp: the French 405 page it draws still gets the security headers.
    "portail.web.middleware.MethodNotAllowedPageMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portail.urls"
WSGI_APPLICATION = "portail.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portail" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portail.family.context_processors.header",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite takes its write lock at BEGIN (IMMEDIATE) so two confirmations can
# never interleave their reads and writes; PostgreSQL uses row locks instead.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL: how long a confirmation waits for the openings' row locks before
# it gives up and the parent reads "Trop de demandes en même temps…" (nothing
# recorded, the draft kept), well before gunicorn's --timeout kills the worker.
BOOKING_LOCK_TIMEOUT_MS = env_int("BOOKING_LOCK_TIMEOUT_MS", 5000)

# --- Accounts and security ------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    # Argon2id with OWASP's parameters: see portail/accounts/hashers.py.
    "portail.accounts.hashers.PortailArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "family:home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: 5 failures for one identifiant from one address lock that pair
# for 15 minutes. Locking by identifiant alone would let anyone lock a parent
# out on registration night; by address alone, a whole town-hall network.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And 20 failures from one address across identifiants lock that address for
# 15 minutes (password spraying; portail/accounts/lockout.py). Four parents
# behind one address (a town hall's or a school's network, a mobile operator's
# shared address) could each lock their own identifiant before it locks them
# all; a sprayer gets 20 guesses per 15 minutes instead of 5 per identifiant.
# 0 turns it off (e.g. if addresses cannot be told apart: see BEHIND_PROXY).
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 20)
if 0 < AXES_IP_FAILURE_LIMIT <= AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured("AXES_IP_FAILURE_LIMIT must be 0 (off) or higher than AXES_FAILURE_LIMIT.")
AXES_HANDLER = "portail.accounts.lockout.AddressLimitHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False
# Behind a reverse proxy, the client's address comes from X-Real-IP (docs/deployment.md).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
AXES_CLIENT_IP_CALLABLE = "portail.lib.client_ip.client_ip"

INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
# The French "page expirée" page, without Django's hint for developers (issue 12 point 4).
CSRF_FAILURE_VIEW = "portail.web.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp), the same in development, tests and production.
# Every script and style is a same-origin file: no inline <script>, on* attribute,
# javascript: URL, <style> or style="" anywhere in the served templates
# (tests/test_csp.py scans them), so neither script-src nor style-src needs
# 'unsafe-inline' or 'unsafe-eval'. htmx is told not to inject its indicator <style>
# nor to eval (the htmx-config meta in base.html and staff/base.html); Django's admin
# loads all its JavaScript from files and only sets styles through the DOM, which CSP
# allows. img-src also takes data: (nothing uses it today): an image cannot run
# script, and a small icon inlined in a stylesheet should not need a policy change.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Language, time -------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
# The project catalogue; each app's locale/ is merged with it. The .mo files are
# compiled by `make` (scripts/compilemessages.py, pure Python), not committed.
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language choice lives a year in its cookie (and on the account, User.language).
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# --- Static files (A5: hashed names, so a release never needs CTRL+F5) -----
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "portail" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Files sent by families (issue 17: documents, certificates): outside the
# static files and never served by the web server, only by views that check
# who asks (portail/dossier). Back it up with the database.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private")))
# Largest file a family may send, in bytes (issue 17 point 4).
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 5 * 1024 * 1024)

# --- E-mail -------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Portail Famille <noreply@localhost>")
# Seconds an SMTP connection may wait for the server (Django waits forever by default).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 60)
# The outbox (N4): at most this many e-mails a minute per worker (0: no limit), and after how
# many seconds an e-mail left "sending" by a crashed worker is sent again (same Message-ID).
OUTBOX_MAX_PER_MINUTE = env_int("OUTBOX_MAX_PER_MINUTE", 6000)
OUTBOX_CLAIM_TIMEOUT = env_int("OUTBOX_CLAIM_TIMEOUT", 600)

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
