"""Every reference a screen reader follows points to an element of the page
(issue 14 point 4): each id named by aria-describedby or aria-labelledby, and
each label's `for`, exists in the same page.

On 9de21b1 the Profil's four password and e-mail fields and the recovery's
new-password form said aria-describedby="id_…_helptext" (Django adds it to a
field with a help text) with no element of that id: a screen reader read
nothing. The pages are every page of the family side, the account pages, the
staff screens (/gestion/), the back office (index, each model's list, add and
change forms, its custom screens) and the error pages, as a parent, a staff
member, the site administrator and an anonymous visitor; the routes come from
the fuzz suite's matrices (tests/fuzz: ROUTES, ADMIN_MODELS), so a new URL is
checked here as soon as the fuzz guard makes it listed there. Forms are also
shown again with their errors (Django then adds the errors' id to
aria-describedby).
"""

import datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse

from portail.accounts.invitations import invite_parent
from portail.accounts.models import Invitation
from portail.accounts.recovery import set_security_question
from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.models import BookingStatus, Consumption
from portail.dossier.models import FamilyChange
from portail.notifications.models import EmailStatus, OutboxEmail
from portail.web import errors
from tests import factories as f
from tests.billing.invoice_rows import make_invoice
from tests.fuzz import test_family, test_staff
from tests.fuzz.test_admin import ADMIN_MODELS
from tests.fuzz.test_admin import _url as admin_url
from tests.structures.test_admin_scoping import scoped  # noqa: F401 - the back office's world

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DEC = datetime.date(2026, 12, 1)
REFERENCES = ("aria-describedby", "aria-labelledby")


class _Page(HTMLParser):
    """The ids of a page and the ids its attributes refer to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.references = []  # (attribute, tag, id)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        for attribute in REFERENCES:
            for target in (values.get(attribute) or "").split():
                self.references.append((attribute, tag, target))
        if tag == "label" and "for" in values:
            # An empty `for` labels nothing either.
            self.references.append(("for", tag, values["for"] or ""))

    handle_startendtag = handle_starttag


def dangling(html):
    """'<tag attribute="id">' for each reference to an id the page does not hold."""
    page = _Page()
    page.feed(html)
    page.close()
    return sorted(
        {f'<{tag} {attribute}="{target}">' for attribute, tag, target in page.references if target not in page.ids}
    )


def assert_references_exist(response, what):
    """Checks an HTML page (a file download or a redirect has nothing to check);
    1 when it did. (A crash raises in the test client before coming here.)"""
    if not response.get("Content-Type", "").startswith("text/html") or not response.content:
        return 0
    broken = dangling(response.content.decode())
    assert broken == [], f"{what} ({response.status_code}): no element with the id of {broken}"
    return 1


def test_the_check_sees_a_missing_id_and_accepts_a_present_one():
    assert dangling('<input id="a" aria-describedby="a_helptext a_error"><p id="a_error"></p>') == [
        '<input aria-describedby="a_helptext">'
    ]
    assert (
        dangling('<section aria-labelledby="t"><h2 id="t">x</h2></section><label for="a">A</label><input id="a">') == []
    )
    assert dangling('<label for="missing">A</label><label for="">B</label>') == [
        '<label for="">',
        '<label for="missing">',
    ]
    # On 9de21b1's recovery form: Django's reference, the help text without its id.
    assert dangling(
        '<label for="id_new_password1">Mot de passe</label>'
        '<input id="id_new_password1" aria-describedby="id_new_password1_helptext"><div class="help">…</div>'
    ) == ['<input aria-describedby="id_new_password1_helptext">']


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _client(world, user):
    client = Client()
    if user is not None:
        client.force_login(getattr(world, user))
    return client


@pytest.fixture
def lived_in(world):
    """The world with something on every page, bookings made through the
    engine: DUPONT's (one on the waiting list), a demande not confirmed yet
    (the recap), a consumption (Historiques), MARTIN's child on the waiting
    list (staff's planning), a failed e-mail each side (staff's outbox)."""
    w = world
    aps = w.aps_a
    f.OpeningFactory(activity=aps, date=datetime.date(2026, 12, 8))
    f.OpeningFactory(activity=aps, date=datetime.date(2026, 12, 14))
    f.OpeningFactory(activity=aps, date=datetime.date(2026, 12, 15), capacity=0, waiting_list_capacity=3)
    draft = drafts.get_draft(w.family_a, w.dupont)
    for day in (7, 8, 15):
        drafts.toggle_day(draft, w.paolo, aps, DEC.replace(day=day), now=NOW)
    draft.refresh_from_db()
    w.confirmation = confirm_draft(draft, draft.token, user=w.dupont, now=NOW).confirmation
    assert w.confirmation is not None
    w.booking_a = w.paolo.bookings.get(date=w.opening_a.date)
    draft = drafts.get_draft(w.family_a, w.dupont)
    drafts.toggle_day(draft, w.paolo, aps, DEC.replace(day=14), now=NOW)
    f.EnrolmentFactory(child=w.leo, activity=aps)
    draft = drafts.get_draft(w.martin_a, w.martin)
    drafts.toggle_day(draft, w.leo, aps, DEC.replace(day=15), now=NOW)
    draft.refresh_from_db()
    confirm_draft(draft, draft.token, user=w.martin, now=NOW)
    w.waiting_a = w.leo.bookings.get(date=DEC.replace(day=15))
    assert w.waiting_a.status == BookingStatus.WAITLISTED
    Consumption.objects.create(child=w.paolo, activity=aps, date=datetime.date(2026, 11, 3), present=True)
    for side, structure in (("a", w.a), ("b", w.b)):
        setattr(w, f"email_{side}", OutboxEmail.objects.create(
            kind="test", to=f"parent-{side}@example.org", subject="Compte-rendu", body_text="…",
            structure=structure, status=EmailStatus.FAILED,
        ))  # fmt: skip
    # A change each family made to its file (issue 17 point 1): « Modifications des familles ».
    w.change_a = FamilyChange.objects.create(family=w.family_a, field_label="Téléphone de la famille", field_key="f")
    w.change_b = FamilyChange.objects.create(family=w.family_b, field_label="Téléphone de la famille", field_key="f")
    # A family of each structure that has left: « Anonymiser cette famille » (issue 17 point 6).
    w.left_a = f.FamilyFactory(structure=w.a, reference="PARTIE", last_name="PARTIE")
    w.left_b = f.FamilyFactory(structure=w.b, reference="PARTIE", last_name="PARTIE")
    # An issued invoice each side (issue 16 point 2): « Facturation », an invoice's page, « Faire un avoir ».
    w.invoice_a = make_invoice(w.family_a, number=1)
    w.invoice_b = make_invoice(w.family_b, number=1)
    # A desk payment each side (issue 16 point 5): « Annuler ce paiement » on the régie's family page.
    from portail.billing import ledger

    w.payment_a = ledger.record_payment(w.family_a, 1, "cash")
    w.payment_b = ledger.record_payment(w.family_b, 1, "cash")
    # A document and an absence of DUPONT's in CarteVille (issue 17 points 4, 5): the staff's pages on them.
    _document_and_absence(w)
    return w


def _document_and_absence(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portail.dossier.absences import declare_absence
    from portail.dossier.documents import store_document
    from portail.dossier.models import DocumentType

    insurance = DocumentType.objects.create(structure=w.a, name="Assurance", validity_months=12)
    pdf = SimpleUploadedFile("assurance.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    w.document_a = store_document(w.family_a, pdf, doc_type=insurance, uploaded_by=w.dupont)
    day = w.opening_a.date
    w.absence_a = declare_absence(w.family_a, w.paolo, start=day, end=day, reason="illness", declared_by=w.dupont)


def _first_values(values):
    return {name: options[0] for name, options in values.items() if options}


def _family_requests(w, name, route):
    """(method, data) of a route: as the parent sends it right, and empty (a form shown again with its errors)."""
    right = test_family.RIGHT.get(name) or route.valid
    data = _first_values(right(w)) if right else {}
    if name == "family:result":
        return [("get", {})]
    if name == "family:confirm":
        data = {"jeton": str(drafts.get_draft(w.family_a, w.dupont).token)}
    return [(route.method, data), (route.method, {})] if data else [(route.method, {})]


@pytest.mark.parametrize("name", sorted(test_family.ROUTES))
def test_family_and_account_pages(lived_in, name):
    route = test_family.ROUTES[name]
    kwargs = {"pk": lived_in.confirmation.pk} if name == "family:result" else None
    if route.url_kwargs and kwargs is None:
        kwargs = route.url_kwargs(lived_in)
    url = reverse(name, kwargs=kwargs)
    checked = 0
    for user in route.users:
        for method, data in _family_requests(lived_in, name, route):
            client = _client(lived_in, user)
            send = client.get if method == "get" else client.post
            response = send(url, data, follow=True)
            checked += assert_references_exist(response, f"{method.upper()} {name} {data} as {user}")
    assert checked, f"{name}: no page checked"


@pytest.mark.parametrize("name", sorted(test_staff.ROUTES))
def test_staff_pages(lived_in, name):
    route = test_staff.ROUTES[name]
    url = reverse(name, kwargs=route.url_kwargs(lived_in) if route.url_kwargs else None)
    data = test_staff._base(lived_in)[name]
    if data.get("format") in {"pdf", "csv"}:
        data = {**data, "format": ""}  # the HTML page rather than the file
    checked = 0
    for user in route.users:
        for payload in (data, {}):
            client = _client(lived_in, user)
            send = client.get if route.method == "get" else client.post
            response = send(url, payload, follow=True)
            checked += assert_references_exist(response, f"{name} {payload} as {user}")
    assert checked, f"{name}: no page checked"


@pytest.mark.parametrize("label", sorted(ADMIN_MODELS))
def test_back_office_pages(scoped, label):  # noqa: F811 - the fixture imported above
    form = ADMIN_MODELS[label]
    app_label, model_name = label.split(".")
    for user in ("staff_a", "admin"):
        client = _client(scoped, user)
        urls = [reverse(f"admin:{app_label}_{model_name}_changelist"), admin_url(label, None)]
        if form.obj is not None:
            urls.append(admin_url(label, form.obj(scoped)))
        for url in urls:
            response = client.get(url, follow=True)
            assert_references_exist(response, f"GET {url} as {user}")
        # The add form shown again with its errors (nothing filled in).
        response = client.post(admin_url(label, None), {}, follow=True)
        assert_references_exist(response, f"POST {admin_url(label, None)} as {user}")


def test_back_office_index_and_custom_screens(scoped):  # noqa: F811
    for user in ("staff_a", "admin"):
        client = _client(scoped, user)
        for url in (
            reverse("admin:index"),
            reverse("admin:structures_family_import"),
            reverse("admin:structures_activity_bulk_openings", args=[scoped.aps_a.pk]),
        ):
            assert assert_references_exist(client.get(url), f"GET {url} as {user}")
            assert_references_exist(client.post(url, {}, follow=True), f"POST {url} as {user}")
    assert assert_references_exist(Client().get(reverse("admin:login")), "admin login")


def test_recovery_pages_through_both_ways(world):
    """The question, the e-mail link, and the new-password form (with and
    without its errors), as a parent who forgot their password sees them."""
    set_security_question(world.dupont, "Nom de mon premier instituteur ?", "Monsieur Durand")
    client = Client()
    client.post(reverse("accounts:recovery"), {"username": "dupont", "way": "question"})
    assert assert_references_exist(client.get(reverse("accounts:recovery_question")), "question")
    assert assert_references_exist(
        client.post(reverse("accounts:recovery_question"), {"answer": "non"}), "wrong answer"
    )
    response = client.post(reverse("accounts:recovery_question"), {"answer": "Monsieur Durand"})
    assert response["Location"] == reverse("accounts:recovery_password")
    assert assert_references_exist(client.get(reverse("accounts:recovery_password")), "new password form")
    mismatch = {"new_password1": "Un-mot-de-passe-2026", "new_password2": "Un-autre-2026"}
    assert assert_references_exist(client.post(reverse("accounts:recovery_password"), mismatch), "new password errors")
    assert assert_references_exist(client.post(reverse("accounts:recovery_password"), {}), "new password empty")

    client = Client()
    client.post(reverse("accounts:recovery"), {"username": "dupont", "way": "email"})
    assert assert_references_exist(client.get(reverse("accounts:recovery_email")), "e-mail form")
    response = client.post(
        reverse("accounts:recovery_email"), {"username": "dupont", "email": world.dupont.email}, follow=True
    )
    assert assert_references_exist(response, "e-mail sent")
    link = OutboxEmail.objects.filter(to=world.dupont.email).latest("pk").body_text
    path = link[link.index("/compte/mot-de-passe-oublie/lien/") :].split()[0]
    response = client.get(path, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:recovery_password")
    assert assert_references_exist(response, "new password form (e-mail)")
    assert assert_references_exist(client.post(reverse("accounts:recovery_password"), mismatch), "errors (e-mail)")


def test_invitation_pages(world):
    """An account's first password, and « Inviter un parent » (new account, or an existing one)."""
    world.martin.set_unusable_password()
    world.martin.save(update_fields=["password"])
    _invitation, token = Invitation.issue(world.martin, created_by=world.staff_a)
    url = reverse("accounts:invitation", args=[token])
    assert assert_references_exist(Client().get(url), "account invitation")
    assert assert_references_exist(Client().post(url, {"new_password1": "a", "new_password2": "b"}), "its errors")

    invite_parent(world.family_b, "luc.martin@example.org", created_by=world.staff_b)
    body = OutboxEmail.objects.filter(to="luc.martin@example.org").latest("pk").body_text
    url = body[body.index("/compte/invitation/") :].split()[0]
    assert assert_references_exist(Client().get(url), "family invitation, anonymous")
    for way in ("login", "signup"):
        response = Client().post(url, {"way": way}, follow=True)
        assert_references_exist(response, f"family invitation, {way} errors")
    assert assert_references_exist(_client(world, "martin").get(url), "family invitation, logged in")


def test_profile_with_each_forms_errors(world):
    """The four fields of 9de21b1's report: the profile's forms, and each shown again with its errors."""
    client = _client(world, "dupont")
    assert assert_references_exist(client.get(reverse("accounts:profile")), "profile")
    for name, data in (
        ("accounts:profile_password", {"old_password": "faux", "new_password1": "a", "new_password2": "b"}),
        ("accounts:profile_email", {"email": "pas-une-adresse", "current_password": "faux"}),
        ("accounts:profile_question", {"question": "", "answer": "x", "current_password": "faux"}),
    ):
        assert assert_references_exist(client.post(reverse(name), data, follow=True), name)


def test_login_and_error_pages(world):
    anonymous = Client()
    assert assert_references_exist(anonymous.get(reverse("login")), "login")
    assert assert_references_exist(
        anonymous.post(reverse("login"), {"username": "dupont", "password": "faux"}), "login error"
    )
    parent = _client(world, "dupont")
    for client, who in ((anonymous, "anonymous"), (parent, "parent"), (_client(world, "staff_a"), "staff")):
        assert assert_references_exist(client.get("/pas-une-page/"), f"404 as {who}")
        assert_references_exist(client.get(reverse("family:confirm")), f"405 as {who}")
    assert assert_references_exist(parent.get(reverse("family:history"), {"format": "pdf"}), "400")
    assert assert_references_exist(
        _client(world, "staff_a").get(reverse("family:home"), follow=True), "staff on family"
    )
    assert assert_references_exist(parent.get(reverse("staff:index"), follow=True), "403 parent on staff")
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(world.dupont)
    assert assert_references_exist(csrf.post(reverse("family:discard")), "CSRF")
    request = RequestFactory().get("/")
    assert assert_references_exist(errors.handler500(request), "500")
