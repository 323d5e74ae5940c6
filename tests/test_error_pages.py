"""Issue 12 point 4: every error a parent or a clerk can meet is a French page
in the site's layout (the back office's under /gestion/ and /admin/), with the
viewport meta and a way back; the 500 page is bare and self-contained; every
message is escaped; an htmx call gets the sentence as plain text for the live
region. The suite runs with DEBUG off (portail/settings_test.py), as in production."""

import html
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import path, reverse

import portail.urls
from portail.web import errors

pytestmark = pytest.mark.django_db

HOSTILE = (
    'Mois invalide : « <meta http-equiv="refresh" content="0;url=https://evil.example"><script>alert(1)</script> »'
)


# A URL conf for the cases no real view gives on demand: the project's, plus three views.
def refuse(request):
    return errors.bad_request(request, HOSTILE)


def forbidden(request):
    raise PermissionDenied("internal: staff flag missing")


def boom(request):
    raise RuntimeError("secret traceback detail")


urlpatterns = [
    path("test-erreurs/refus/", refuse),
    path("test-erreurs/interdit/", forbidden),
    path("test-erreurs/panne/", boom),
    path("gestion/test-erreurs/refus/", refuse),
    *portail.urls.urlpatterns,
]
handler400 = portail.urls.handler400
handler403 = portail.urls.handler403
handler404 = portail.urls.handler404
handler500 = portail.urls.handler500

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_suite_runs_with_debug_off():
    # Django's own technical pages (English, with tracebacks) appear only with DEBUG on.
    assert settings.DEBUG is False


def text_of(response):
    """The visible text of a page, tags removed, entities decoded, spaces collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def links(response):
    return re.findall(r'<a class="button" href="([^"]+)">([^<]+)</a>', response.content.decode())


def assert_page(response, status, title, *, csp=True):
    """A French page a phone can read: status, lang, viewport (the admin's says 1.0), title, CSP."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert '<html lang="fr"' in body
    assert re.search(r'<meta name="viewport" content="width=device-width, initial-scale=1(\.0)?">', body)
    assert f"<h1>{title}</h1>" in body
    if csp:
        assert "script-src 'self'" in response["Content-Security-Policy"]
    for english in ("Not Found", "Server Error", "Forbidden", "Bad Request", "CSRF", "Traceback"):
        assert english not in body
    for template_syntax in ("{#", "{%", "{{"):  # a comment or tag the template engine did not read
        assert template_syntax not in body


def in_family_layout(response, name):
    body = response.content.decode()
    return 'class="site-header"' in body and f'data-testid="account-name">{name}</p>' in body


def log_in(client, user):
    client.force_login(user)
    return client


# ---------------------------------------------------------------- 404


def test_404_after_switching_structure_is_french_in_the_layout_with_a_way_back(client, world):
    """The issue's path: Réserver for a CarteVille child, switch to Les Pinsons, Back, reload."""
    log_in(client, world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    url = f"{reverse('family:reserve')}?enfant={world.paolo.pk}"
    assert client.get(url).status_code == 200
    client.post(reverse("family:switch_structure"), {"family": world.family_b.pk})

    response = client.get(url)

    assert_page(response, 404, "Page introuvable")
    assert "Cette page n'existe pas ou plus." in text_of(response)
    assert in_family_layout(response, "DUPONT Jean-Paul")
    assert links(response) == [(reverse("family:home"), "Accueil"), (reverse("family:reserve"), "Réserver")]
    assert 'id="htmx-error"' in response.content.decode()


def test_404_for_a_visitor_offers_the_login_page(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert_page(response, 404, "Page introuvable")
    assert 'class="site-header"' not in response.content.decode()
    assert links(response) == [(reverse("login"), "Connexion")]


def test_404_never_echoes_the_address(client, world):
    log_in(client, world.dupont)
    response = client.get("/<script>alert(1)</script>/")
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.content.decode()
    assert "alert(1)" not in text_of(response)


def test_404_to_htmx_is_its_sentence_as_plain_text(client, world):
    log_in(client, world.dupont)
    response = client.get(f"{reverse('family:reserve')}?enfant=999999", **HTMX)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == errors.NOT_FOUND


def test_404_in_gestion_is_in_the_back_office_frame(client, world):
    log_in(client, world.staff_a)
    response = client.get("/gestion/nexiste-pas/")
    assert_page(response, 404, "Page introuvable")
    body = response.content.decode()
    assert 'id="site-name"' in body and "staff/staff.css" in body  # the back office's frame
    assert links(response) == [
        (reverse("staff:index"), "Gestion quotidienne"),
        (reverse("admin:index"), "Administration"),
    ]


def test_404_for_another_structures_object_in_gestion(client, world):
    log_in(client, world.staff_b)
    response = client.get(reverse("staff:family_audit", args=[world.family_a.pk]))
    assert_page(response, 404, "Page introuvable")
    assert 'id="site-name"' in response.content.decode()


def test_404_in_the_admin_is_french_in_the_back_office_frame(client, world):
    log_in(client, world.admin)
    response = client.get("/admin/structures/nexiste-pas/")
    assert_page(response, 404, "Page introuvable")
    assert 'id="site-name"' in response.content.decode()
    assert (reverse("admin:index"), "Administration") in links(response)


def test_404_in_gestion_for_a_visitor_offers_the_back_office_login(client):
    response = client.get("/gestion/nexiste-pas/")
    assert_page(response, 404, "Page introuvable")
    assert links(response) == [(reverse("admin:login"), "Connexion à la gestion")]


def test_404_on_the_family_side_for_a_staff_member_offers_the_back_office(client, world):
    log_in(client, world.staff_a)
    response = client.get("/nexiste-pas/")
    assert_page(response, 404, "Page introuvable")
    assert 'id="site-name"' not in response.content.decode()
    assert (reverse("staff:index"), "Gestion quotidienne") in links(response)


# ---------------------------------------------------------------- 400


@pytest.mark.urls(__name__)
def test_bad_request_shows_the_message_escaped_in_the_layout(client, world):
    log_in(client, world.dupont)
    response = client.get("/test-erreurs/refus/")
    assert_page(response, 400, "Demande incorrecte")
    body = response.content.decode()
    assert "<meta http-equiv" not in body and "<script>alert" not in body
    assert "&lt;meta http-equiv=&quot;refresh&quot;" in body
    assert HOSTILE in text_of(response)
    assert in_family_layout(response, "DUPONT Jean-Paul")
    assert (reverse("family:home"), "Accueil") in links(response)
    # "Retour" goes back to the page that sent the request (errors.js); without JS, to Accueil.
    assert f'href="{reverse("family:home")}" data-back>Retour</a>' in body


@pytest.mark.urls(__name__)
def test_bad_request_to_htmx_is_plain_text_never_html(client, world):
    log_in(client, world.dupont)
    response = client.get("/test-erreurs/refus/", **HTMX)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.decode() == HOSTILE


@pytest.mark.urls(__name__)
def test_bad_request_in_gestion_is_in_the_back_office_frame(client, world):
    log_in(client, world.staff_a)
    response = client.get("/gestion/test-erreurs/refus/")
    assert_page(response, 400, "Demande incorrecte")
    assert 'id="site-name"' in response.content.decode()
    assert HOSTILE in text_of(response)


def test_django_400_for_a_request_too_big_is_french_in_the_layout(client, world):
    log_in(client, world.dupont)
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(
        reverse("family:switch_structure"), too_big, content_type="application/x-www-form-urlencoded"
    )
    assert_page(response, 400, "Demande incorrecte")
    assert "valeurs incorrectes ou trop volumineuses" in text_of(response)
    assert in_family_layout(response, "DUPONT Jean-Paul")


def test_django_400_for_an_unknown_host_is_french(client):
    response = client.get(reverse("login"), HTTP_HOST="pirate.example")
    # Refused by CommonMiddleware, before django-csp's: no policy header, and none needed
    # (the page has no inline script or style, like every template: tests/test_csp.py).
    assert_page(response, 400, "Demande incorrecte", csp=False)
    assert links(response) == [(reverse("login"), "Connexion")]


# ---------------------------------------------------------------- 403


@pytest.mark.urls(__name__)
def test_403_is_french_in_the_layout_and_hides_the_exception(client, world):
    log_in(client, world.dupont)
    response = client.get("/test-erreurs/interdit/")
    assert_page(response, 403, "Accès refusé")
    assert "Vous n'avez pas accès à cette page" in text_of(response)
    assert "staff flag" not in response.content.decode()
    assert in_family_layout(response, "DUPONT Jean-Paul")
    assert (reverse("family:reserve"), "Réserver") in links(response)


@pytest.mark.urls(__name__)
def test_403_to_htmx_is_plain_text(client, world):
    log_in(client, world.dupont)
    response = client.get("/test-erreurs/interdit/", **HTMX)
    assert (response.status_code, response["Content-Type"]) == (403, "text/plain; charset=utf-8")
    assert response.content.decode() == errors.FORBIDDEN


def test_csrf_failure_says_the_page_expired_without_a_developer_hint(world):
    client = log_in(Client(enforce_csrf_checks=True), world.dupont)
    response = client.post(reverse("family:switch_structure"), {"family": world.family_b.pk})
    assert_page(response, 403, "Page expirée")
    text = text_of(response)
    assert "La page a expiré : rechargez la page et recommencez." in text
    for hint in ("CSRF_FAILURE_VIEW", "DEBUG", "Referer", "More information", "token"):
        assert hint not in text
    assert in_family_layout(response, "DUPONT Jean-Paul")
    assert links(response) == [(reverse("family:home"), "Accueil"), (reverse("family:reserve"), "Réserver")]


def test_csrf_failure_on_the_login_form_offers_the_login_page():
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x", "password": "y"})
    assert_page(response, 403, "Page expirée")
    assert links(response) == [(reverse("login"), "Connexion")]


def test_csrf_failure_to_htmx_is_plain_text(world):
    client = log_in(Client(enforce_csrf_checks=True), world.dupont)
    response = client.post(reverse("family:toggle_day"), {}, **HTMX)
    assert (response.status_code, response["Content-Type"]) == (403, "text/plain; charset=utf-8")
    assert response.content.decode() == errors.CSRF_EXPIRED


# ---------------------------------------------------------------- 405


def test_405_is_a_french_page_keeping_status_and_allow(client, world):
    log_in(client, world.dupont)
    response = client.get(reverse("family:confirm"))
    assert_page(response, 405, "Action impossible")
    assert response["Allow"] == "POST"
    assert "Rien n'a été modifié." in text_of(response)
    assert in_family_layout(response, "DUPONT Jean-Paul")
    assert (reverse("family:home"), "Accueil") in links(response)


def test_405_in_gestion_is_in_the_back_office_frame(client, world):
    log_in(client, world.staff_a)
    response = client.get(reverse("staff:book"))
    assert_page(response, 405, "Action impossible")
    assert response["Allow"] == "POST"
    assert 'id="site-name"' in response.content.decode()


def test_405_to_htmx_is_plain_text(client, world):
    log_in(client, world.dupont)
    response = client.post(reverse("family:reserve"), **HTMX)
    assert (response.status_code, response["Allow"]) == (405, "GET")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == errors.METHOD_NOT_ALLOWED


def test_a_405_with_its_own_body_is_left_alone(rf):
    from django.http import HttpResponseNotAllowed

    from portail.web.middleware import MethodNotAllowedPageMiddleware

    own = HttpResponseNotAllowed(["GET"], content=b"deja explique")
    assert MethodNotAllowedPageMiddleware(lambda request: own)(rf.post("/")) is own


# ---------------------------------------------------------------- 500


@pytest.mark.urls(__name__)
def test_500_is_bare_french_and_self_contained(client, world):
    log_in(client, world.dupont)
    client.raise_request_exception = False
    response = client.get("/test-erreurs/panne/")
    assert_page(response, 500, "Erreur du serveur")
    body = response.content.decode()
    assert "réessayez dans un instant" in text_of(response)
    assert "secret traceback detail" not in body and "RuntimeError" not in body
    # Bare: no header, no account, nothing that needed the session or the database.
    assert 'class="site-header"' not in body and "DUPONT" not in body
    assert "<script" not in body
    assert re.findall(r'href="([^"]+)"', body) == [staticfiles_storage.url("portail/site.css"), reverse("family:home")]


def test_500_renders_without_the_database_or_the_request():
    request = RequestFactory().get("/")  # no session, no user: what a crash in a middleware leaves
    response = errors.handler500(request)  # the db fixture is not used: any query would fail the test
    assert response.status_code == 500
    assert "<h1>Erreur du serveur</h1>" in response.content.decode()


def test_500_still_renders_when_the_static_files_fail(monkeypatch):
    def missing(name):
        raise ValueError(f"Missing staticfiles manifest entry for '{name}'")

    monkeypatch.setattr(staticfiles_storage, "url", missing)
    response = errors.handler500(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Erreur du serveur</h1>" in body and "<link" not in body


@pytest.mark.urls(__name__)
def test_500_to_htmx_is_plain_text(client, world):
    log_in(client, world.dupont)
    client.raise_request_exception = False
    response = client.get("/test-erreurs/panne/", **HTMX)
    assert (response.status_code, response["Content-Type"]) == (500, "text/plain; charset=utf-8")
    assert response.content.decode() == errors.SERVER_ERROR


# ---------------------------------------------------------------- the live region


def test_family_and_staff_pages_carry_the_live_region_and_its_script(client, world):
    log_in(client, world.dupont)
    family_page = client.get(reverse("family:home")).content.decode()
    client.force_login(world.staff_a)
    staff_page = client.get(reverse("staff:index")).content.decode()
    for body, login in ((family_page, reverse("login")), (staff_page, reverse("admin:login"))):
        assert re.search(r'<div id="htmx-error" class="live-error" role="status" aria-live="assertive"', body)
        assert f'data-login-url="{login}"' in body
        assert re.search(r'<script src="[^"]*portail/errors\.[0-9a-f.]*js" defer></script>', body)
