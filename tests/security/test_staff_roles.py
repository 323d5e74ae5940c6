"""Staff roles (issue 18 point 7).

An animator ("animateur") reaches the roll call and the day's planning
(read-only), the day's attendance sheet, and nothing else: every other URL of
/gestion/ (the `staff:` namespace) and of the admin answers a French 403 and
changes nothing. STAFF_URLS has an entry for every `staff:` URL: a new one
fails the guard below until someone decides whether animators reach it. The
admin's URLs are all walked (every model admin's list, forms, history,
custom views): only the login, logout and the holder's password change are
open to an animator.

A structure manager ("responsable") creates the staff accounts of its
structures (an invitation through the outbox, never a password) and
disables them; never a site administrator's, a parent's or another
structure's account.
"""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.hashers import is_password_usable
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from portail.accounts.models import StaffRole, User
from portail.accounts.roles import ANIMATOR_ADMIN_URLS, ANIMATOR_STAFF_URLS
from portail.booking.models import Booking, BookingStatus, Consumption
from portail.notifications.models import EmailStatus, OutboxEmail
from tests import factories as f
from tests.fuzz.values import fingerprint
from tests.helpers import make_booking, page_text

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 9, 0))
TODAY = datetime.date(2026, 11, 26)
FORBIDDEN_TEXT = "Vous n'avez pas accès à cette page avec ce compte."

OPEN, REFUSED = "open", "refused"
# Every URL of /gestion/: whether an animator reaches it. A new staff URL
# needs its line here (test_every_staff_url_has_an_entry), and a decision.
STAFF_URLS = {
    "staff:index": OPEN,
    "staff:planning": OPEN,
    "staff:sheet": OPEN,
    "staff:roll_call": OPEN,
    "staff:mark": OPEN,
    "staff:all_present": OPEN,
    "staff:book": REFUSED,
    "staff:cancel": REFUSED,
    "staff:promote": REFUSED,
    "staff:capacity": REFUSED,
    "staff:close": REFUSED,
    "staff:close_day": REFUSED,
    "staff:call_list": REFUSED,
    "staff:meals": REFUSED,
    "staff:runs": REFUSED,
    "staff:start_run": REFUSED,
    "staff:emails": REFUSED,
    "staff:resend_email": REFUSED,
    "staff:messages": REFUSED,
    "staff:message_new": REFUSED,
    "staff:message_detail": REFUSED,
    "staff:fill_rates": REFUSED,
    "staff:caf": REFUSED,
    # Issue 16 point 5: the régie is for agents and responsables.
    "staff:regie": REFUSED,
    "staff:regie_family": REFUSED,
    "staff:regie_payment": REFUSED,
    "staff:regie_cancel_payment": REFUSED,
    "staff:regie_reminders": REFUSED,
    "staff:regie_send_reminders": REFUSED,
    "staff:regie_print_list": REFUSED,
    "staff:regie_mark_printed": REFUSED,
    "staff:regie_exports": REFUSED,
    "staff:family_audit": REFUSED,
    "staff:family_changes": REFUSED,  # issue 17 point 1: agents and responsables
    "staff:change_seen": REFUSED,
    "staff:family_changes_seen": REFUSED,
    "staff:anonymise_family": REFUSED,  # a responsable's only (issue 17 point 6)
    "staff:export_family_data": REFUSED,  # a responsable's only (issue 17 point 6)
    "staff:booking_audit": REFUSED,
    "staff:day_audit": REFUSED,
    # Issue 16 point 2: « Facturation » and the issued invoices, for agents and responsables.
    "staff:billing": REFUSED,
    "staff:billing_issue": REFUSED,
    "staff:invoices": REFUSED,
    "staff:invoice": REFUSED,
    "staff:invoice_pdf": REFUSED,
    "staff:credit_note": REFUSED,
    # Issue 17: the child's file (allergies, PAI, whom to call on an outing; each view recorded)
    # is open to animators; the list of who looked at the health sheets is a responsable's.
    "staff:child_file": OPEN,
    "staff:health_accesses": REFUSED,
    # Issue 17 points 4, 5: families' documents and absences are the office's work, not the animator's.
    "staff:documents": REFUSED,
    "staff:document": REFUSED,
    "staff:document_file": REFUSED,
    "staff:absences": REFUSED,
    "staff:absence_decide": REFUSED,
}
ADMIN_OPEN = {"admin:login", "admin:logout", "admin:password_change", "admin:password_change_done"}


def _patterns(namespace_wanted, patterns=None, namespace=None):
    """(name, pattern) of every named URL of a namespace."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(namespace_wanted, pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name and namespace == namespace_wanted:
            yield f"{namespace}:{pattern.name}", pattern


def _argument_names(pattern):
    return re.findall(r"\(\?P<(\w+)>", pattern.pattern.regex.pattern)


# Values for the URLs' arguments: the middleware refuses before any lookup, so
# an id need not exist (and a 403, not a 404, tells nothing about it).
ARGUMENTS = {"app_label": "accounts", "content_type_id": "1", "object_id": "1", "id": "1", "pk": "1"}


def _url(name, pattern):
    return reverse(name, kwargs={arg: ARGUMENTS.get(arg, "1") for arg in _argument_names(pattern)})


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def roles(world):
    w = world
    w.animator = f.StaffFactory(
        username="anim.a", last_name="ANIM", first_name="Anna", structures=[w.a], staff_role=StaffRole.ANIMATEUR
    )
    w.manager = f.StaffFactory(
        username="resp.a", last_name="RESP", first_name="Rémi", structures=[w.a], staff_role=StaffRole.RESPONSABLE
    )
    # Today's APS MATIN: Paolo booked, what the animator calls the roll of.
    w.today_opening = f.OpeningFactory(activity=w.aps_a, date=TODAY)
    w.booking = make_booking(child=w.paolo, activity=w.aps_a, date=TODAY, status=BookingStatus.ACCEPTED)
    w.waiting = make_booking(child=w.leo, activity=w.aps_a, date=TODAY, status=BookingStatus.WAITLISTED)
    w.email_a = OutboxEmail.objects.create(
        kind="test", to="parent-a@example.org", subject="Compte-rendu", body_text="…", structure=w.a,
        status=EmailStatus.FAILED,
    )  # fmt: skip
    return w


def _as(client, user):
    client.force_login(user)
    return client


# ---- the animator


def test_every_staff_url_has_an_entry():
    names = {name for name, _pattern in _patterns("staff")}
    assert {"staff:planning", "staff:roll_call", "staff:close"} <= names  # the walk works
    assert not sorted(names - set(STAFF_URLS)), f"staff URLs without a role entry: {sorted(names - set(STAFF_URLS))}"
    assert not sorted(set(STAFF_URLS) - names), f"entries for URLs that no longer exist: {set(STAFF_URLS) - names}"
    # The table and the code agree: what the test expects open is what the middleware opens.
    assert {name for name, rule in STAFF_URLS.items() if rule == OPEN} == set(ANIMATOR_STAFF_URLS)
    assert ANIMATOR_ADMIN_URLS == ADMIN_OPEN


@pytest.mark.parametrize("name", sorted(n for n, rule in STAFF_URLS.items() if rule == REFUSED))
def test_an_animator_is_refused_every_other_staff_screen(client, roles, name):
    pattern = dict(_patterns("staff"))[name]
    url = _url(name, pattern)
    client = _as(client, roles.animator)
    before = fingerprint()
    for response in (client.get(url), client.post(url, {"motif": "test", "reservation": roles.booking.pk})):
        assert response.status_code == 403, (name, response.status_code)
        assert FORBIDDEN_TEXT in page_text(response)
    assert fingerprint() == before


def test_the_admin_is_closed_to_an_animator_but_its_login(client, roles):
    client = _as(client, roles.animator)
    walked = 0
    for name, pattern in _patterns("admin"):
        if name in ADMIN_OPEN:
            continue
        response = client.get(_url(name, pattern))
        walked += 1
        if name == "admin:index":
            # The back office's login lands there: the animator goes to its own menu.
            assert response.status_code == 302 and response["Location"] == reverse("staff:index")
            continue
        assert response.status_code == 403, (name, response.status_code)
        assert FORBIDDEN_TEXT in page_text(response), name
    assert walked > 30  # every model admin's screens were walked
    before = fingerprint()
    response = client.post(reverse("admin:accounts_staffaccount_add"), {"username": "x", "structures": roles.a.pk})
    assert response.status_code == 403 and fingerprint() == before
    assert client.get(reverse("admin:password_change")).status_code == 200


def test_an_animator_sees_the_day_planning_read_only(client, roles):
    client = _as(client, roles.animator)
    response = client.get(reverse("staff:planning"), {"date": TODAY.isoformat(), "activite": roles.aps_a.pk})
    assert response.status_code == 200
    text = page_text(response)
    assert "DUPONT Paolo" in text
    for action in ("staff:cancel", "staff:promote", "staff:book", "staff:capacity", "staff:close"):
        assert reverse(action) not in text, action
    for screen in ("staff:fill_rates", "staff:day_audit"):
        assert reverse(screen) not in text, screen
    assert "/historique/" not in text  # no family's nor booking's history
    assert reverse("staff:roll_call") in text and reverse("staff:sheet") in text
    # The same page for an agent carries the actions (the test looks at the right thing).
    agent_text = page_text(
        _as(client, roles.staff_a).get(
            reverse("staff:planning"), {"date": TODAY.isoformat(), "activite": roles.aps_a.pk}
        )
    )
    assert reverse("staff:cancel") in agent_text and reverse("staff:close") in agent_text


def test_an_animator_calls_the_roll_and_prints_the_day_sheet(client, roles):
    client = _as(client, roles.animator)
    day = {"date": TODAY.isoformat(), "activite": roles.aps_a.pk}
    assert client.get(reverse("staff:roll_call"), day).status_code == 200
    response = client.post(
        reverse("staff:mark"), {**day, "enfant": roles.paolo.pk, "presence": "present"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert Consumption.objects.filter(child=roles.paolo, activity=roles.aps_a, date=TODAY).exists()
    assert client.get(reverse("staff:sheet"), day).status_code == 200
    assert client.get(reverse("staff:sheet"), {**day, "format": "pdf"}).status_code == 200
    menu = page_text(client.get(reverse("staff:index")))
    assert reverse("staff:roll_call") in menu and reverse("staff:planning") in menu
    for screen in ("staff:fill_rates", "staff:emails", "staff:runs", "staff:messages", "staff:meals"):
        assert reverse(screen) not in menu, screen


def test_an_animator_of_one_structure_is_scoped_like_its_colleagues(client, roles):
    client = _as(client, roles.animator)
    other = {"date": "2026-12-09", "activite": roles.alsh_b.pk}
    assert client.get(reverse("staff:planning"), other).status_code == 404
    assert client.get(reverse("staff:roll_call"), other).status_code == 404


def test_an_agent_keeps_every_screen(client, roles):
    client = _as(client, roles.staff_a)
    assert client.get(reverse("staff:fill_rates")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_staffaccount_changelist")).status_code == 403


# ---- the structure manager


def _add_form(w, **extra):
    return {
        "username": "nouvel.animateur", "last_name": "NOUVEAU", "first_name": "Nina",
        "email": "nina@example.org", "staff_role": StaffRole.ANIMATEUR, "structures": [w.a.pk], **extra,
    }  # fmt: skip


def test_a_manager_creates_a_staff_account_of_its_structure_with_an_invitation(client, roles):
    client = _as(client, roles.manager)
    response = client.post(reverse("admin:accounts_staffaccount_add"), _add_form(roles))
    assert response.status_code == 302, page_text(response)[:2000]
    account = User.objects.get(username="nouvel.animateur")
    assert account.is_staff and not account.is_superuser and account.is_active
    assert account.staff_role == StaffRole.ANIMATEUR
    assert list(account.staff_structures.all()) == [roles.a]
    assert not is_password_usable(account.password)  # the holder chooses it through the link
    email = OutboxEmail.objects.get(to="nina@example.org")
    # Through the outbox, in the structure's Gestion → E-mails.
    assert (email.kind, email.structure, email.status) == ("invitation", roles.a, EmailStatus.PENDING)
    assert "/compte/invitation/" in email.body_text and "mot de passe" in email.body_text
    emails = page_text(client.get(reverse("staff:emails")))
    assert "nina@example.org" in emails


def test_a_manager_cannot_create_an_account_in_another_structure_nor_a_superuser(client, roles):
    client = _as(client, roles.manager)
    before = fingerprint()
    response = client.post(reverse("admin:accounts_staffaccount_add"), _add_form(roles, structures=[roles.b.pk]))
    assert response.status_code == 200 and fingerprint() == before  # the form shown again with its error
    response = client.post(
        reverse("admin:accounts_staffaccount_add"), _add_form(roles, username="pirate", is_superuser="on")
    )
    assert response.status_code == 302
    assert not User.objects.get(username="pirate").is_superuser


def test_a_manager_disables_the_accounts_of_its_structures_only(client, roles):
    client = _as(client, roles.manager)
    changelist = reverse("admin:accounts_staffaccount_changelist")
    listed = page_text(client.get(changelist))
    assert "anim.a" in listed and "agent.a" in listed
    for absent in ("agent.b", "admin", "dupont", "martin"):
        assert f">{absent}<" not in listed, absent
    response = client.post(changelist, {"action": "disable_accounts", "_selected_action": [roles.animator.pk]})
    assert response.status_code == 302
    roles.animator.refresh_from_db()
    assert not roles.animator.is_active
    # Another structure's staff, the site administrator, a parent: not in reach, unchanged.
    for user in (roles.staff_b, roles.admin, roles.dupont):
        client.post(changelist, {"action": "disable_accounts", "_selected_action": [user.pk]})
        user.refresh_from_db()
        assert user.is_active, user.username
        change = reverse("admin:accounts_staffaccount_change", args=[user.pk])
        assert client.get(change).status_code in (302, 404), user.username
    # Nor itself.
    client.post(changelist, {"action": "disable_accounts", "_selected_action": [roles.manager.pk]})
    roles.manager.refresh_from_db()
    assert roles.manager.is_active


def test_an_account_shared_with_another_structure_is_out_of_a_manager_reach(client, roles):
    shared = f.StaffFactory(username="partage", structures=[roles.a, roles.b])
    client = _as(client, roles.manager)
    changelist = reverse("admin:accounts_staffaccount_changelist")
    client.post(changelist, {"action": "disable_accounts", "_selected_action": [shared.pk]})
    shared.refresh_from_db()
    assert shared.is_active
    assert client.get(reverse("admin:accounts_staffaccount_change", args=[shared.pk])).status_code in (302, 404)


def test_a_disabled_account_is_out_of_the_back_office(client, roles):
    roles.animator.is_active = False
    roles.animator.save()
    client.force_login(roles.animator)
    response = client.get(reverse("staff:roll_call"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert not Booking.objects.filter(status=BookingStatus.CANCELLED).exists()
