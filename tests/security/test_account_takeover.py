"""Issue 12, point 1: an account never crosses a structure without its owner.

The attack reported on 3472ea3, replayed step by step: staff of Les Pinsons
(B) import a line with the identifiant of a parent who belongs only to
Mairie de CarteVille (A) and an e-mail of their own. The import linked the
account to a new Pinsons family and filled its empty e-mail; "Mot de passe
oublié" then sent the reset link to that address, and the new password
opened the CarteVille family's children. The second attack: staff set a
parent's password in the admin and log in as the parent, leaving no trace.

Each test plays the whole attack, then checks what the attacker got, so on
the old code it fails on the outcome (the attacker sees the children), not
on some intermediate detail.
"""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portail.notifications.models import OutboxEmail
from portail.structures import importer
from portail.structures.import_views import SESSION_KEY
from tests import factories as f
from tests.helpers import page_text

IMPORT_URL = reverse("admin:structures_family_import")
ATTACKER_EMAIL = "pirate@example.org"
ATTACKER_PASSWORD = "Pirate-Mot-De-Passe-2026"
UNAVAILABLE = "Identifiant déjà pris : choisissez-en un autre"


@pytest.fixture
def lea(world):
    """A parent of CarteVille only, with a password and no e-mail (as in the report)."""
    user = f.UserFactory(username="lea.moreau", first_name="Léa", last_name="MOREAU", email="")
    family = f.FamilyFactory(structure=world.a, reference="MOR", last_name="MOREAU", first_name="Léa", accounts=[user])
    f.ChildFactory(family=family, first_name="Zélie", last_name="MOREAU", birth_date=datetime.date(2018, 3, 4))
    user.family_a = family
    return user


def csv_line(**values):
    row = dict.fromkeys(importer.COLUMN_NAMES, "")
    row.update(values)
    header = ";".join(importer.COLUMN_NAMES)
    return (header + "\r\n" + ";".join(row[c] for c in importer.COLUMN_NAMES) + "\r\n").encode()


def import_as(staff, structure, data):
    """Upload, then confirm if the preview offers it; returns the preview page."""
    client = Client()
    client.force_login(staff)
    preview = client.post(IMPORT_URL, {"structure": structure.pk, "file": SimpleUploadedFile("f.csv", data)})
    pending = client.session.get(SESSION_KEY)
    if pending:
        client.post(IMPORT_URL, {"confirm": "1", "sha256": pending["sha256"]})
    return preview


def recover_by_email(username, email):
    """'Mot de passe oublié ? Le retrouver', e-mail way: every link the
    attacker's mailbox receives is used to choose a new password."""
    client = Client()
    client.post(reverse("accounts:recovery_email"), {"username": username, "email": email})
    for sent in OutboxEmail.objects.filter(to=email):
        link = re.search(r"https?://\S+?(/compte/mot-de-passe-oublie/lien/\S+/)", sent.body_text)
        if link:
            client.get(link.group(1))
            client.post(
                reverse("accounts:recovery_password"),
                {"new_password1": ATTACKER_PASSWORD, "new_password2": ATTACKER_PASSWORD},
            )


def children_seen_by(username, password, family):
    """Log in as the parent, switch to `family`'s structure, open Réserver."""
    client = Client()
    login = client.post(reverse("login"), {"username": username, "password": password})
    if login.status_code != 302:
        return None
    client.post(reverse("family:switch_structure"), {"family": family.pk})
    return page_text(client.get(reverse("family:reserve"), follow=True))


def test_pinsons_staff_cannot_take_over_a_carteville_parent_through_the_import(world, lea, password):
    # 1. Staff of Les Pinsons import Léa's identifiant with an e-mail of their choosing.
    preview = import_as(
        world.staff_b,
        world.b,
        csv_line(
            reference_famille="P-LEA", civilite="Mme", nom="MOREAU", prenom="Léa",
            identifiant="lea.moreau", email=ATTACKER_EMAIL,
        ),
    )  # fmt: skip
    # 2. "Mot de passe oublié" with that e-mail; 3. the link sets a new password.
    recover_by_email("lea.moreau", ATTACKER_EMAIL)
    # 4. The new password would open the CarteVille family's children.
    seen = children_seen_by("lea.moreau", ATTACKER_PASSWORD, lea.family_a)

    assert seen is None or "Zélie" not in seen, "the attacker opened the CarteVille family"
    lea.refresh_from_db()
    assert lea.check_password(password)
    assert lea.email == ""
    assert list(lea.families.all()) == [lea.family_a]
    assert not OutboxEmail.objects.filter(to=ATTACKER_EMAIL).exists()
    # The import said only that the identifiant is not available, and wrote nothing.
    html = page_text(preview)
    assert UNAVAILABLE in html
    assert "Confirmer l'import" not in html
    assert not world.b.families.filter(reference="P-LEA").exists()


def test_pinsons_staff_cannot_set_a_parents_password_in_the_admin(world, lea, password):
    """The second attack: an account of one's own structure (here Léa, made a
    parent of B too by her own invitation) gets a password set by staff, who
    then log in as her. No admin user may set a parent's password."""
    lea.family_a.accounts.remove(lea)
    family_b = f.FamilyFactory(structure=world.b, reference="MOR", last_name="MOREAU", accounts=[lea])
    f.ChildFactory(family=family_b, first_name="Zélie", last_name="MOREAU", birth_date=datetime.date(2018, 3, 4))
    url = reverse("admin:auth_user_password_change", args=[lea.pk])
    for who in (world.staff_b, world.admin):
        staff = Client()
        staff.force_login(who)
        form = staff.get(url)
        staff.post(url, {"password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD})
        seen = children_seen_by("lea.moreau", ATTACKER_PASSWORD, family_b)

        assert seen is None, f"{who.username} set the parent's password and logged in as her"
        assert form.status_code in (403, 404)
        change_form = page_text(staff.get(reverse("admin:accounts_user_change", args=[lea.pk])))
        assert url not in change_form
    lea.refresh_from_db()
    assert lea.check_password(password)


def test_the_superuser_may_still_set_a_staff_members_password(world, client):
    """The site administrator keeps the password form for staff accounts
    (a staff member locked out of the back office has no other way back)."""
    client.force_login(world.admin)
    url = reverse("admin:auth_user_password_change", args=[world.staff_b.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD})
    assert response.status_code == 302
    world.staff_b.refresh_from_db()
    assert world.staff_b.check_password(ATTACKER_PASSWORD)
