"""Accounts in the back office: which accounts a structure's staff may see and
change, and that no staff member can hand out administration rights."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from portail.accounts.models import Invitation, User
from portail.notifications.models import OutboxEmail
from tests import factories as f
from tests.helpers import page_text

ADMIN_INDEX = "/admin/"
ADMIN_FIELDS = {"is_staff", "is_superuser", "staff_structures", "groups", "user_permissions", "password"}


def user_url(view, *args):
    return reverse(f"admin:accounts_user_{view}", args=args)


def password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def listed(client, **query):
    response = client.get(user_url("changelist"), query)
    assert response.status_code == 200
    return [user.pk for user in response.context["cl"].result_list]


def accounts_autocomplete(client, term):
    query = {"app_label": "structures", "model_name": "family", "field_name": "accounts", "term": term}
    response = client.get(reverse("admin:autocomplete"), query)
    assert response.status_code == 200
    return {int(result["id"]) for result in response.json()["results"]}


def rendered_fields(response):
    return {
        admin_field.field["name"] if admin_field.is_readonly else admin_field.field.name
        for fieldset in response.context["adminform"]
        for line in fieldset
        for admin_field in line
    }


def change_payload(user, **changes):
    data = {
        "username": user.username,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "email": user.email,
        "is_active": "on",
    }
    data.update(changes)
    return data


def escalation(world):
    """Everything a staff member could slip into a POST to gain rights."""
    permission = Permission.objects.get(codename="change_structure")
    return {
        "is_staff": "on",
        "is_superuser": "on",
        "staff_structures": [world.a.pk, world.b.pk],
        "user_permissions": [permission.pk],
    }


@pytest.fixture
def bernard(world):
    """A parent of B only (MARTIN is a parent of A only)."""
    user = f.UserFactory(username="bernard", last_name="BERNARD")
    f.FamilyFactory(structure=world.b, reference="BER", last_name="BERNARD", accounts=[user])
    return user


# --- who sees which account -----------------------------------------------------------


def test_parent_of_one_structure_is_invisible_to_the_other(client, world):
    client.force_login(world.staff_b)
    assert world.martin.pk not in listed(client)
    assert world.martin.pk not in listed(client, q="martin")
    response = client.get(user_url("change", world.martin.pk))
    assert response.status_code == 302 and response["Location"] == ADMIN_INDEX
    assert client.get(password_url(world.martin)).status_code == 404
    assert world.martin.pk not in accounts_autocomplete(client, "martin")

    client.force_login(world.staff_a)
    assert world.martin.pk in listed(client, q="martin")
    assert client.get(user_url("change", world.martin.pk)).status_code == 200
    assert world.martin.pk in accounts_autocomplete(client, "martin")


def test_parent_of_both_structures_is_visible_to_both(client, world):
    for staff in (world.staff_a, world.staff_b):
        client.force_login(staff)
        assert world.dupont.pk in listed(client)
        assert client.get(user_url("change", world.dupont.pk)).status_code == 200
        assert world.dupont.pk in accounts_autocomplete(client, "dupont")


def test_shared_account_is_read_only_for_staff_of_one_structure(client, world):
    """DUPONT logs into a family of A and one of B: a new e-mail (then an
    invitation), a password or a deletion by A's staff would reach B's family."""
    client.force_login(world.staff_a)
    response = client.get(user_url("change", world.dupont.pk))
    assert response.status_code == 200
    assert 'name="email"' not in page_text(response)  # shown, not editable
    post = client.post(user_url("change", world.dupont.pk), change_payload(world.dupont, email="pirate@example.org"))
    assert post.status_code == 403
    assert client.get(password_url(world.dupont)).status_code == 403
    assert client.post(password_url(world.dupont), {"password1": "x", "password2": "x"}).status_code == 403
    assert client.post(user_url("delete", world.dupont.pk), {"post": "yes"}).status_code == 403
    data = {"action": "delete_selected", "_selected_action": [world.dupont.pk], "post": "yes"}
    client.post(user_url("changelist"), data)
    dupont = User.objects.get(pk=world.dupont.pk)
    assert dupont.email == "dupont@example.org" and dupont.password == world.dupont.password
    # An account of A only stays manageable by A's staff, except (issue 12) its
    # password, and its e-mail once the parent has chosen a password.
    assert 'name="last_name"' in page_text(client.get(user_url("change", world.martin.pk)))
    assert client.get(password_url(world.martin)).status_code == 403


@pytest.mark.parametrize("who", ["staff of both structures", "site administrator"])
def test_shared_account_is_editable_by_who_manages_all_its_structures(client, world, who):
    user = (
        f.StaffFactory(username="agent.ab", structures=[world.a, world.b]) if who.startswith("staff") else world.admin
    )
    client.force_login(user)
    post = client.post(user_url("change", world.dupont.pk), change_payload(world.dupont, first_name="Jean-Pierre"))
    assert post.status_code == 302
    assert User.objects.get(pk=world.dupont.pk).first_name == "Jean-Pierre"


def test_staff_of_both_structures_sees_a_shared_account_once(client, world):
    both = f.StaffFactory(username="agent.ab", structures=[world.a, world.b])
    Invitation.issue(world.dupont, created_by=world.staff_a)
    client.force_login(both)
    assert listed(client).count(world.dupont.pk) == 1
    response = client.get(reverse("admin:accounts_invitation_changelist"))
    assert [inv.user_id for inv in response.context["cl"].result_list] == [world.dupont.pk]


def test_staff_and_admin_accounts_are_out_of_reach_of_staff(client, world):
    client.force_login(world.staff_a)
    shown = listed(client)
    for account in (world.staff_a, world.staff_b, world.admin):
        assert account.pk not in shown
        response = client.get(user_url("change", account.pk))
        assert response.status_code == 302 and response["Location"] == ADMIN_INDEX
        assert client.get(password_url(account)).status_code == 404
        assert client.get(user_url("delete", account.pk)).status_code == 302
    assert User.objects.filter(pk__in=[world.staff_b.pk, world.admin.pk]).count() == 2


def test_staff_account_that_is_also_a_parent_stays_out_of_reach(client, world, django_capture_on_commit_callbacks):
    """An agent of B with a child at A: A's staff must not get hold of that
    login (its e-mail, password or an invitation would open B's back office)."""
    world.martin_a.accounts.add(world.staff_b)
    client.force_login(world.staff_a)
    assert world.staff_b.pk not in listed(client)
    assert world.staff_b.pk not in accounts_autocomplete(client, "agent")
    response = client.get(user_url("change", world.staff_b.pk))
    assert response.status_code == 302 and response["Location"] == ADMIN_INDEX
    post = client.post(user_url("change", world.staff_b.pk), change_payload(world.staff_b, email="pirate@example.org"))
    assert post.status_code == 302 and post["Location"] == ADMIN_INDEX
    assert client.get(password_url(world.staff_b)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.post(user_url("changelist"), {"action": "send_invitations", "_selected_action": [world.staff_b.pk]})
    world.staff_b.refresh_from_db()
    assert world.staff_b.email == "agent.b@example.org"
    assert not Invitation.objects.filter(user=world.staff_b).exists() and not OutboxEmail.objects.exists()
    # The family keeps that account: editing the family does not drop it.
    family_form = client.get(reverse("admin:structures_family_change", args=[world.martin_a.pk]))
    assert world.staff_b in family_form.context["adminform"].form.fields["accounts"].queryset


# --- no way to administration rights -----------------------------------------------------


def test_staff_change_form_shows_no_rights(client, world):
    client.force_login(world.staff_a)
    response = client.get(user_url("change", world.martin.pk))
    fields = rendered_fields(response)
    assert {"username", "last_name", "first_name", "email", "is_active"} <= fields
    assert not fields & ADMIN_FIELDS
    html = page_text(response)
    assert 'name="is_superuser"' not in html and 'name="staff_structures"' not in html
    assert password_url(world.martin) not in html


def test_staff_cannot_grant_rights_to_a_parent(client, world):
    client.force_login(world.staff_a)
    data = change_payload(world.martin, last_name="MARTIN-DURAND", **escalation(world))
    response = client.post(user_url("change", world.martin.pk), data)
    assert response.status_code == 302
    martin = User.objects.get(pk=world.martin.pk)
    assert martin.last_name == "MARTIN-DURAND"  # the POST was accepted...
    assert not martin.is_staff and not martin.is_superuser  # ...without the rights
    assert not martin.staff_structures.exists() and not martin.user_permissions.exists()


def test_staff_cannot_escalate_themselves(client, world):
    client.force_login(world.staff_a)
    response = client.post(user_url("change", world.staff_a.pk), change_payload(world.staff_a, **escalation(world)))
    assert response.status_code == 302 and response["Location"] == ADMIN_INDEX
    staff_a = User.objects.get(pk=world.staff_a.pk)
    assert not staff_a.is_superuser
    assert list(staff_a.staff_structures.all()) == [world.a]
    assert not staff_a.user_permissions.exists()
    assert client.get(reverse("admin:structures_family_change", args=[world.family_b.pk])).status_code == 302


def test_superuser_grants_staff_rights(client, world):
    client.force_login(world.admin)
    response = client.get(user_url("change", world.martin.pk))
    assert {"is_staff", "is_superuser", "staff_structures"} <= rendered_fields(response)
    data = change_payload(world.martin, is_staff="on", staff_structures=[world.a.pk])
    assert client.post(user_url("change", world.martin.pk), data).status_code == 302
    martin = User.objects.get(pk=world.martin.pk)
    assert martin.is_staff and not martin.is_superuser
    assert list(martin.staff_structures.all()) == [world.a]


# --- creating accounts ---------------------------------------------------------------------


def new_account(**extra):
    return {"username": "nouveau", "last_name": "NOUVEAU", "first_name": "Ana", "email": "ana@example.org", **extra}


def test_staff_creates_an_account_in_one_of_their_families(client, world):
    client.force_login(world.staff_a)
    response = client.get(user_url("add"))
    assert set(response.context["adminform"].form.fields["family"].queryset) == {world.family_a, world.martin_a}
    response = client.post(user_url("add"), new_account(family=world.martin_a.pk, **escalation(world)))
    assert response.status_code == 302
    user = User.objects.get(username="nouveau")
    assert list(user.families.all()) == [world.martin_a]
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser and not user.staff_structures.exists()


@pytest.mark.parametrize("family", ["other structure", "none"])
def test_staff_cannot_create_an_account_outside_their_families(client, world, family):
    client.force_login(world.staff_a)
    data = new_account(family=world.family_b.pk) if family == "other structure" else new_account()
    response = client.post(user_url("add"), data)
    assert response.status_code == 200
    assert "family" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="nouveau").exists()


def test_superuser_creates_an_account_without_family(client, world):
    client.force_login(world.admin)
    assert client.post(user_url("add"), new_account()).status_code == 302
    assert not User.objects.get(username="nouveau").families.exists()


# --- invitations ---------------------------------------------------------------------------


def test_invitations_are_sent_to_own_accounts_only(client, world, bernard, django_capture_on_commit_callbacks):
    for parent in (world.martin, bernard):  # no password yet: an invitation may be sent
        parent.set_unusable_password()
        parent.save(update_fields=["password"])
    client.force_login(world.staff_a)
    data = {"action": "send_invitations", "_selected_action": [bernard.pk, world.martin.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(user_url("changelist"), data)
    assert response.status_code == 302
    assert list(OutboxEmail.objects.values_list("to", flat=True)) == [world.martin.email]
    assert list(Invitation.objects.values_list("user__username", flat=True)) == ["martin"]


def test_invitation_admin_lists_own_accounts_only(client, world, bernard):
    mine, _ = Invitation.issue(world.martin, created_by=world.staff_a)
    theirs, _ = Invitation.issue(bernard, created_by=world.staff_b)
    shared, _ = Invitation.issue(world.dupont, created_by=world.staff_b)
    client.force_login(world.staff_a)
    response = client.get(reverse("admin:accounts_invitation_changelist"))
    assert {inv.pk for inv in response.context["cl"].result_list} == {mine.pk, shared.pk}
    response = client.get(reverse("admin:accounts_invitation_change", args=[theirs.pk]))
    assert response.status_code == 302 and response["Location"] == ADMIN_INDEX
    assert (
        client.post(reverse("admin:accounts_invitation_delete", args=[theirs.pk]), {"post": "yes"}).status_code == 302
    )
    assert Invitation.objects.filter(pk=theirs.pk).exists()
