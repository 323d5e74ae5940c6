"""The fuzz matrix covers every URL (issue 12, point 3): a new URL pattern of the
family side, /gestion/ or the accounts pages, or a new model admin, without an
entry fails here until it is added to the fuzz suite."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from tests.fuzz import test_admin, test_family, test_staff

FUZZED_NAMESPACES = ("family", "accounts", "staff")


def _url_names(patterns=None, namespace=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            if namespace in FUZZED_NAMESPACES:
                yield f"{namespace}:{pattern.name}"
            elif namespace is None and pattern.name in ("login", "logout"):
                yield pattern.name


def test_every_family_staff_and_account_url_is_fuzzed():
    names = set(_url_names())
    assert {"family:reserve", "staff:capacity", "accounts:profile", "login"} <= names  # the walk works
    fuzzed = set(test_family.ROUTES) | set(test_staff.ROUTES)
    assert not sorted(names - fuzzed), f"URLs missing from the fuzz matrix: {sorted(names - fuzzed)}"
    assert not sorted(fuzzed - names), f"fuzz entries for URLs that no longer exist: {sorted(fuzzed - names)}"


def test_every_model_admin_form_is_fuzzed():
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert "structures.opening" in registered  # the walk works
    missing = registered - set(test_admin.ADMIN_MODELS)
    assert not missing, f"model admins missing from the fuzz matrix: {sorted(missing)}"
