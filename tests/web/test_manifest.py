"""Issue 14 point 6: the portal installs on a phone's home screen. The web app
manifest is served as application/manifest+json, names the structure the
parent is consulting (else "Portail Famille"), opens standalone at the
portal's root, and announces PNG icons that exist at the announced sizes
(192 and 512, one maskable); every page links it, with the theme colour and
an apple-touch-icon for iOS."""

import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from tests.helpers import page_text

pytestmark = pytest.mark.django_db


def fetch(client):
    response = client.get(reverse("manifest"))
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/manifest+json"
    # It depends on the session: no shared cache may keep one parent's structure for another.
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]
    return json.loads(response.content)


def static_file(url):
    assert url.startswith("/" + settings.STATIC_URL.strip("/") + "/"), url
    path = finders.find(url.split("/", 2)[2])
    assert path, f"{url}: no such static file"
    return path


def test_manifest_without_login_names_the_portal(client):
    manifest = fetch(client)
    assert manifest["name"] == manifest["short_name"] == "Portail Famille"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "/"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])


def test_manifest_icons_are_pngs_of_the_announced_sizes(client):
    icons = fetch(client)["icons"]
    sizes = set()
    for icon in icons:
        assert icon["type"] == "image/png"
        with Image.open(static_file(icon["src"])) as image:
            assert image.format == "PNG"
            width, height = image.size
        assert icon["sizes"] == f"{width}x{height}", icon
        sizes.add((width, icon["purpose"]))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= sizes


def test_manifest_of_a_parent_names_the_structure_consulted(client, world):
    client.force_login(world.dupont)
    for family in (world.family_a, world.family_b):
        client.post(reverse("family:switch_structure"), {"family": family.pk})
        manifest = fetch(client)
        assert manifest["short_name"] == family.structure.name
        assert family.structure.name in manifest["name"] and "Portail Famille" in manifest["name"]


def test_manifest_of_an_account_without_family_names_the_portal(client, world):
    client.force_login(world.staff_a)
    assert fetch(client)["short_name"] == "Portail Famille"


def test_every_page_links_the_manifest_theme_colour_and_touch_icon(client, world):
    theme = fetch(client)["theme_color"]
    pages = [client.get(reverse("login"))]
    client.force_login(world.dupont)
    pages += [client.get(reverse("family:home")), client.get(reverse("accounts:profile"))]
    for page in pages:
        html = page.content.decode()
        link = re.search(r'<link rel="manifest" href="([^"]+)" crossorigin="use-credentials">', html)
        assert link and link.group(1) == reverse("manifest")
        assert f'<meta name="theme-color" content="{theme}">' in html
        touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', html)
        assert touch, "no apple-touch-icon"
        with Image.open(static_file(touch.group(1))) as image:
            assert image.format == "PNG" and image.size == (180, 180)
    assert "Portail Famille" in page_text(pages[0])


def test_manifest_refuses_a_post(client):
    response = client.post(reverse("manifest"))
    assert response.status_code == 405
