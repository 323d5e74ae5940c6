"""Issue 12: staff never set or see a parent's password — they send a reset
link (recorded in the account's history) — and no back-office path attaches
an account of another structure (user admin, family admin, import preview)."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portail.accounts.models import User
from portail.accounts.recovery import EMAIL_LINKS_PER_ACCOUNT
from portail.notifications.models import OutboxEmail
from portail.structures import importer
from tests import factories as f
from tests.helpers import page_text

CHANGELIST = reverse("admin:accounts_user_changelist")
NEW_PASSWORD = "Un-Nouveau-Mot-2026"


def password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def history(user):
    entries = LogEntry.objects.filter(object_id=str(user.pk), content_type__model="user").order_by("pk")
    return [(e.user.username, e.get_change_message()) for e in entries]


def reset_links(client, *users):
    return client.post(
        CHANGELIST, {"action": "send_reset_links", "_selected_action": [u.pk for u in users]}, follow=True
    )


# --- the password form ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff_a", "admin"])
def test_nobody_sets_a_parents_password_in_the_admin(client, world, who):
    client.force_login(getattr(world, who))
    before = User.objects.get(pk=world.martin.pk).password
    assert client.get(password_url(world.martin)).status_code == 403
    response = client.post(password_url(world.martin), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 403
    assert User.objects.get(pk=world.martin.pk).password == before
    assert password_url(world.martin) not in page_text(
        client.get(reverse("admin:accounts_user_change", args=[world.martin.pk]))
    )


def test_staff_cannot_change_the_email_of_a_parent_with_a_password(client, world):
    """A new address, then a reset link, would be staff choosing the password."""
    client.force_login(world.staff_a)
    page = page_text(client.get(reverse("admin:accounts_user_change", args=[world.martin.pk])))
    assert 'name="email"' not in page and "martin@example.org" in page
    data = {"username": "martin", "last_name": "MARTIN", "first_name": "Luc", "email": "pirate@example.org"}
    client.post(reverse("admin:accounts_user_change", args=[world.martin.pk]), {**data, "is_active": "on"})
    assert User.objects.get(pk=world.martin.pk).email == "martin@example.org"
    # Before the parent has chosen a password, staff fill it in to send the invitation.
    world.martin.set_unusable_password()
    world.martin.save(update_fields=["password"])
    client.post(reverse("admin:accounts_user_change", args=[world.martin.pk]), {**data, "is_active": "on"})
    assert User.objects.get(pk=world.martin.pk).email == "pirate@example.org"


# --- the reset link -----------------------------------------------------------------------


def test_staff_send_a_reset_link_to_the_parents_own_address_and_it_is_recorded(client, world):
    client.force_login(world.staff_a)
    response = reset_links(client, world.martin)
    assert "1 lien de réinitialisation envoyé." in page_text(response)
    sent = OutboxEmail.objects.get()
    assert (sent.to, sent.kind, sent.structure) == ("martin@example.org", "recuperation", world.a)
    assert "Mairie de CarteVille vous envoie ce lien" in sent.body_text
    assert history(world.martin) == [
        ("agent.a", "Lien de réinitialisation du mot de passe envoyé à martin@example.org.")
    ]
    entry = LogEntry.objects.get()
    assert entry.action_time is not None and entry.user == world.staff_a

    # The parent, not staff, chooses the password through it.
    parent = Client()
    link = re.search(r"https?://[^/\s]+(/compte/mot-de-passe-oublie/lien/\S+/)", sent.body_text).group(1)
    parent.get(link)
    parent.post(reverse("accounts:recovery_password"), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert User.objects.get(pk=world.martin.pk).check_password(NEW_PASSWORD)


def test_reset_link_refusals_are_said_and_send_nothing(client, world):
    world.martin.email = ""
    world.martin.save(update_fields=["email"])
    world.dupont2.set_unusable_password()
    world.dupont2.save(update_fields=["password"])
    client.force_login(world.staff_a)
    page = page_text(reset_links(client, world.martin, world.dupont2))
    assert "martin (aucune adresse e-mail)" in page
    assert "dupont2 (pas encore de mot de passe : envoyez une invitation)" in page
    assert not OutboxEmail.objects.exists() and not LogEntry.objects.exists()


def test_reset_links_are_limited_per_account(client, world):
    client.force_login(world.staff_a)
    for _ in range(EMAIL_LINKS_PER_ACCOUNT + 1):
        page = page_text(reset_links(client, world.martin))
    assert "déjà 3 liens envoyés dans l'heure" in page
    assert OutboxEmail.objects.count() == EMAIL_LINKS_PER_ACCOUNT == len(history(world.martin))


def test_staff_cannot_send_a_reset_link_to_another_structures_parent(client, world):
    bernard = f.UserFactory(username="bernard")
    f.FamilyFactory(structure=world.b, reference="BER", accounts=[bernard])
    client.force_login(world.staff_a)
    reset_links(client, bernard)
    assert not OutboxEmail.objects.exists() and not LogEntry.objects.exists()


# --- the family admin's accounts field ------------------------------------------------------


def family_payload(family, accounts):
    return {
        "structure": family.structure_id,
        "reference": family.reference,
        "civility": family.civility,
        "last_name": family.last_name,
        "first_name": family.first_name,
        "accounts": [a.pk for a in accounts],
        "children-TOTAL_FORMS": "0",
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "1000",
        # The parents' inline (issue 17 point 1).
        "guardians-TOTAL_FORMS": "0",
        "guardians-INITIAL_FORMS": "0",
        "guardians-MIN_NUM_FORMS": "0",
        "guardians-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize("who", ["staff_b", "admin"])
def test_family_admin_cannot_add_an_account_of_another_structure(client, world, who):
    client.force_login(getattr(world, who))
    url = reverse("admin:structures_family_change", args=[world.family_b.pk])
    response = client.post(url, family_payload(world.family_b, [world.dupont, world.martin]))
    assert response.status_code == 200
    assert "accounts" in response.context["adminform"].form.errors
    assert set(world.family_b.accounts.all()) == {world.dupont}
    # Nor a staff account.
    response = client.post(url, family_payload(world.family_b, [world.dupont, world.staff_b]))
    assert response.status_code == 200
    assert set(world.family_b.accounts.all()) == {world.dupont}


def test_family_admin_adds_an_account_of_the_same_structure(client, world):
    other_b = f.FamilyFactory(structure=world.b, reference="AUTRE", last_name="AUTRE")
    client.force_login(world.staff_b)
    url = reverse("admin:structures_family_change", args=[other_b.pk])
    response = client.post(url, family_payload(other_b, [world.dupont]))
    assert response.status_code == 302
    assert set(other_b.accounts.all()) == {world.dupont}


def test_autocomplete_offers_no_account_of_another_structure(client, world):
    client.force_login(world.staff_b)
    query = {"app_label": "structures", "model_name": "family", "field_name": "accounts", "term": "martin"}
    assert client.get(reverse("admin:autocomplete"), query).json()["results"] == []


# --- the import preview ----------------------------------------------------------------------


def preview(client, structure, username):
    header = ";".join(importer.COLUMN_NAMES)
    values = dict.fromkeys(importer.COLUMN_NAMES, "")
    values.update(reference_famille="F1", civilite="Mme", nom="X", prenom="Y", identifiant=username, email="p@x.org")
    data = f"{header}\r\n{';'.join(values[c] for c in importer.COLUMN_NAMES)}\r\n".encode()
    upload = SimpleUploadedFile("f.csv", data)
    return page_text(
        client.post(reverse("admin:structures_family_import"), {"structure": structure.pk, "file": upload})
    )


@pytest.mark.parametrize("who", ["staff_b", "admin"])
def test_import_preview_reveals_nothing_of_accounts_outside_the_structure(client, world, who):
    """Whether the identifiant is a parent of A, a staff member, an
    administrator or an account of no family, the preview for B says the same
    words, shows nothing of it and counts nothing for it."""
    f.UserFactory(username="sans.famille", last_name="ORPHELIN", email="orphelin@example.org")
    client.force_login(getattr(world, who))

    def error_rows(page):
        return re.findall(r"<tr><td>\d+</td><td>identifiant</td><td>([^<]*)</td></tr>", page)

    pages = {name: preview(client, world.b, name) for name in ("martin", "Martin", "agent.a", "admin", "sans.famille")}
    for name, page in pages.items():
        assert error_rows(page) == ["Identifiant déjà pris : choisissez-en un autre"], name
        assert "import-counts" not in page and "Confirmer l'import" not in page
        for secret in ("MARTIN", "martin@example.org", "ORPHELIN", "orphelin@example.org", "agent.a@example.org"):
            assert secret not in page.split("Fichier à importer")[0].split("Envoyer un autre fichier")[0]
    assert world.martin.families.count() == 1
