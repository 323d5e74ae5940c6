"""Content-Security-Policy (issue 7 point 4): every page is sent with the
strict policy of settings.py, and no template served by the site holds what
that policy blocks (inline script, on* handler, javascript: URL, inline style,
or htmx attributes that need eval). The same policy runs in tests as in
production; tests/browser/test_csp.py checks that no page violates it in a
real browser. Serves A4/B6/D4: the screens keep working under the policy."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES_ROOT = Path(settings.BASE_DIR) / "portail"


def policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(response):
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'self'"]
    for sources in csp.values():
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources


def test_login_page_has_the_policy(client):
    assert_strict(client.get(reverse("login")))


def test_family_pages_have_the_policy(client, world):
    client.force_login(world.dupont)
    assert_strict(client.get(reverse("family:home")))
    assert_strict(client.get(reverse("family:reservations")))


def test_staff_page_has_the_policy(client, world):
    client.force_login(world.staff_a)
    assert_strict(client.get(reverse("staff:index")))
    assert_strict(client.get(reverse("staff:meals")))


def test_admin_pages_have_the_policy(client, world):
    client.force_login(world.admin)
    assert_strict(client.get(reverse("admin:index")))
    assert_strict(client.get(reverse("admin:structures_family_changelist")))


# ---------------------------------------------------------------- templates

# What the policy blocks, or what htmx could only run with eval (off in _htmx_config.html).
FORBIDDEN = {
    "inline <script> (give it a src)": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "on* event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript\s*:", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    "htmx hx-on / hx-vars": re.compile(r"\shx-(on\b|on[:-]|vars\s*=)", re.IGNORECASE),
    "htmx js: value": re.compile(r"\shx-(vals|headers)\s*=\s*[\"']\s*js:", re.IGNORECASE),
    "htmx trigger filter": re.compile(r"\shx-trigger\s*=\s*[\"'][^\"']*\[", re.IGNORECASE),
}


def served_templates():
    """Every project template but e-mail bodies (never served, so no policy applies)."""
    return sorted(
        path
        for path in TEMPLATES_ROOT.glob("**/templates/**/*.html")
        if "email" not in path.relative_to(TEMPLATES_ROOT).parts
    )


def problems(text):
    return [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]


def test_the_scan_sees_the_templates():
    names = {p.relative_to(TEMPLATES_ROOT).as_posix() for p in served_templates()}
    assert {"templates/base.html", "templates/staff/meals.html", "templates/admin/index.html"} <= names
    assert not any("/email/" in name for name in names)


def test_no_served_template_needs_unsafe_inline_or_eval():
    found = {
        path.relative_to(TEMPLATES_ROOT).as_posix(): problems(path.read_text(encoding="utf-8"))
        for path in served_templates()
    }
    assert {name: what for name, what in found.items() if what} == {}


@pytest.mark.parametrize(
    "snippet",
    [
        '<button type="button" onclick="window.print()">Imprimer</button>',
        "<script>window.print()</script>",
        '<a href="javascript:history.back()">Retour</a>',
        '<table style="width: 100%">',
        "<style>.x { color: red }</style>",
        '<div hx-on:click="alert(1)">',
        "<form hx-vals='js:{a: 1}'>",
        '<div hx-trigger="click[ctrlKey]">',
    ],
)
def test_the_scan_catches_what_the_policy_blocks(snippet):
    assert problems(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'staff/staff.js' %}\" defer></script>",
        '<button type="button" class="button" data-print>Imprimer</button>',
        '<p class="intro">Une personne=responsable, on=off, style=libre</p>',
        '<form hx-post="/x" hx-target="#calendar" hx-swap="outerHTML">',
    ],
)
def test_the_scan_lets_the_allowed_forms_through(snippet):
    assert problems(snippet) == []
