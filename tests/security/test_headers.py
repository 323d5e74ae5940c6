"""Cache-Control and Permissions-Policy (issue 12 point 7).

Every page and file the site draws is `no-store, private`: a shared computer's
back button or cache must never show the previous parent's calendar, history
or export, nor a structure's planning. Static files keep WhiteNoise's long
cache (A5). Every response refuses the browser features the site never uses.
"""

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from tests import factories as f

NOT_USED = ("camera", "microphone", "geolocation", "payment", "usb", "fullscreen", "display-capture")


def cache_control(response):
    return {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",") if part.strip()}


def assert_not_stored(response, what):
    directives = cache_control(response)
    assert {"no-store", "private", "no-cache"} <= directives, (what, response.get("Cache-Control"))
    assert "public" not in directives, what
    assert_permissions_policy(response, what)


def assert_permissions_policy(response, what):
    policy = response.get("Permissions-Policy", "")
    features = dict(item.strip().split("=", 1) for item in policy.split(","))
    for feature in NOT_USED:
        assert features.get(feature) == "()", (what, feature, policy)
    assert set(features.values()) == {"()"}, (what, policy)  # nothing is allowed to anyone


@pytest.fixture
def parent(client, world):
    client.force_login(world.dupont)
    return client


@pytest.mark.parametrize(
    "url, params",
    [
        ("family:home", {}),
        ("family:reserve", {}),
        ("family:recap", {}),
        ("family:reservations", {}),
        ("family:history", {}),
        ("family:history", {"mois": "2026-11", "format": "csv"}),
        ("family:history", {"mois": "2026-11", "format": "xlsx"}),
        ("accounts:profile", {}),
    ],
)
def test_family_pages_and_exports_are_never_stored(parent, url, params):
    response = parent.get(reverse(url), params)
    assert response.status_code in (200, 302, 400), (url, response.status_code)
    assert_not_stored(response, (url, params))


def test_family_exports_are_files_and_not_stored(parent):
    for export in ("csv", "xlsx"):
        response = parent.get(reverse("family:history"), {"mois": "2026-11", "format": export})
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"], export
        assert_not_stored(response, export)


def test_htmx_fragments_and_refusals_are_not_stored(parent, world):
    day = reverse("family:day_panel")
    response = parent.get(day, {"date": "2026-12-07", "enfant": world.paolo.pk}, HTTP_HX_REQUEST="true")
    assert_not_stored(response, "day panel")
    response = parent.post(reverse("family:toggle_day"), {"date": "0001-01-01"}, HTTP_HX_REQUEST="true")
    assert response.status_code < 500
    assert_not_stored(response, "refused toggle")


def test_error_pages_are_not_stored(parent):
    response = parent.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert_not_stored(response, "404")
    response = parent.post(reverse("family:history"))
    assert response.status_code == 405
    assert_not_stored(response, "405")


def test_anonymous_login_and_recovery_pages_are_not_stored(world):
    anonymous = Client()
    for url in (reverse("login"), reverse("accounts:recovery"), reverse("family:home")):
        assert_not_stored(anonymous.get(url), url)
    failed = anonymous.post(reverse("login"), {"username": "dupont", "password": "faux"})
    assert failed.status_code == 200
    assert_not_stored(failed, "failed login")
    logged = anonymous.post(reverse("login"), {"username": "dupont", "password": f.PASSWORD})
    assert logged.status_code == 302
    assert_not_stored(logged, "login redirect")


def test_lockout_page_is_not_stored(world, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.60")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = attacker.post(reverse("login"), {"username": "dupont", "password": "faux"})
    assert response.status_code == 429
    assert_not_stored(response, "lockout")


@pytest.fixture
def staff(client, world):
    client.force_login(world.staff_a)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/gestion/",
        "/gestion/planning/?date=2026-12-07",
        "/gestion/feuille/?date=2026-12-07",
        "/gestion/feuille/?date=2026-12-07&format=pdf",
        "/gestion/repas/",
        "/gestion/pointage/",
        "/gestion/traitements/",
        "/gestion/emails/",
        "/gestion/remplissage/",
        "/admin/",
        "/admin/structures/family/",
        "/admin/accounts/user/",
    ],
)
def test_staff_pages_and_exports_are_never_stored(staff, url):
    response = staff.get(url)
    assert response.status_code in (200, 302), (url, response.status_code)
    assert_not_stored(response, url)


def test_staff_csv_export_and_admin_change_page_are_not_stored(staff, world):
    response = staff.get(reverse("staff:fill_rates"), {"activite": world.aps_a.pk, "mois": "2026-12", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert_not_stored(response, "fill rates csv")
    response = staff.get(reverse("admin:structures_family_change", args=[world.family_a.pk]))
    assert response.status_code == 200
    assert_not_stored(response, "family change")


def test_admin_login_page_is_not_stored(world):
    assert_not_stored(Client().get("/admin/login/"), "admin login")


# --- Static files keep their long cache ------------------------------------------------------


@pytest.fixture
def collected_static(settings, tmp_path):
    """Static files as production serves them: collected with hashed names,
    served by WhiteNoise from STATIC_ROOT."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings


def test_static_files_keep_their_long_cache(world, collected_static):
    url = static("portail/site.css")
    assert url != "/static/portail/site.css", "a hashed name"
    for client in (Client(), logged_in_client(world)):
        response = client.get(url)
        assert response.status_code == 200, url
        directives = cache_control(response)
        assert {"public", "immutable", "max-age"} <= directives, response["Cache-Control"]
        assert "no-store" not in directives and "private" not in directives
        assert "Pragma" not in response
        assert_permissions_policy(response, url)


def test_unhashed_static_files_are_cached_briefly_not_stored(world, collected_static):
    response = logged_in_client(world).get("/static/portail/site.css")
    assert response.status_code == 200
    directives = cache_control(response)
    assert "public" in directives and "no-store" not in directives, response["Cache-Control"]


def logged_in_client(world):
    client = Client()
    client.force_login(world.dupont)
    return client
