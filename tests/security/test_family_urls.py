"""Every family-facing URL, attacked by another family.

MATRIX maps each URL name of the `family:` and `accounts:` namespaces (plus
`login` and `logout`) to cases: the MARTIN family's account sends DUPONT's
ids (children, bookings, confirmations, draft token, structures) and must get
404/403, or a page that never shows DUPONT's data, and must change nothing.
State-changing URLs refuse GET and a POST without CSRF token. A guard test
fails when a new family URL has no entry in the matrix.
"""

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portail.accounts.models import SecurityQuestion
from portail.billing.models import BillingSettings, OnlinePayment, Payment
from portail.booking.models import Booking, Confirmation, Consumption, Draft, DraftItem, Movement
from portail.dossier.models import (
    Absence,
    AuthorisedPerson,
    Document,
    DocumentType,
    FamilyChange,
    Guardian,
    HealthSheet,
)
from portail.notifications.models import OutboxEmail
from portail.structures.models import Child, Family
from portail.web.family import SESSION_KEY
from tests import factories as f
from tests.helpers import make_booking, page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)
LATER = datetime.date(2026, 12, 14)
HTMX = {"HTTP_HX_REQUEST": "true"}
# What only DUPONT's pages may show.
DUPONT_MARKERS = ("Paolo", "Amalia", "dupont@example.org")

NOT_FOUND = "404"  # status 404
REFUSED = "refused"  # status 403 or 404
NO_LEAK = "no_leak"  # status 200, none of DUPONT's data in the body
REDIRECT = "redirect"  # status 302 (an own-account action or a refusal with a message), no leak after it


def case(method, build, expected, **extra):
    return SimpleNamespace(method=method, build=build, expected=expected, extra=extra)


def _reserve_target(w, child, **more):
    return {"enfant": child.pk, "activite": w.aps_a.pk, "mois": "2026-12", **more}


_COPY = {"du": "2026-12-01", "au": "2026-12-31"}
_HEALTH = {"has_food_allergy": "on", "allergies": "Kiwi", "doctor_phone": "0102030405"}
_GUARDIAN = {"last_name": "MARTIN", "first_name": "Intrus", "mobile_phone": "0612345678", "email": "x@example.org"}
_PERSON = {"name": "Intrus MARTIN", "relationship": "voisin", "phone": "0612345678", "can_pick_up": "on"}
_PW = f.PASSWORD
_NEW_PW = "Un-Tout-Nouveau-2026"


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("assurance.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


MATRIX = {
    # --- family: ------------------------------------------------------------------
    "family:home": [case("get", lambda w: (reverse("family:home"), {}), NO_LEAK)],
    "family:switch_structure": [
        case("post", lambda w: (reverse("family:switch_structure"), {"family": w.family_a.pk}), REDIRECT),
        case("post", lambda w: (reverse("family:switch_structure"), {"family": w.family_b.pk}), REDIRECT),
    ],
    "family:reserve": [
        case("get", lambda w: (reverse("family:reserve"), {"enfant": w.paolo.pk}), NOT_FOUND),
        case("get", lambda w: (reverse("family:reserve"), _reserve_target(w, w.amalia)), NOT_FOUND),
        case("get", lambda w: (reverse("family:reserve"), {"enfant": w.paolo_b.pk}), NOT_FOUND),
        case("get", lambda w: (reverse("family:reserve"), {"enfant": w.leo.pk, "activite": w.alsh_b.pk}), NOT_FOUND),
    ],
    "family:toggle_day": [
        case("post", lambda w: (reverse("family:toggle_day"), _reserve_target(w, w.paolo, date=DAY)), NOT_FOUND),
        case(
            "post", lambda w: (reverse("family:toggle_day"), _reserve_target(w, w.paolo, date=DAY)), NOT_FOUND, **HTMX
        ),
        case(
            "post",
            lambda w: (reverse("family:toggle_day"), _reserve_target(w, w.paolo, date=DAY, cellule="1")),
            NOT_FOUND,
            **HTMX,
        ),
        # MARTIN's child on the activity of structure B, where only DUPONT has a family
        case(
            "post",
            lambda w: (
                reverse("family:toggle_day"),
                {"enfant": w.leo.pk, "activite": w.alsh_b.pk, "date": "2026-12-09"},
            ),
            NOT_FOUND,
            **HTMX,
        ),
    ],  # fmt: skip
    "family:toggle_set": [
        case(
            "post",
            lambda w: (reverse("family:toggle_set"), _reserve_target(w, w.paolo, outil="mois")),
            NOT_FOUND,
            **HTMX,
        ),
        case(
            "post",
            lambda w: (reverse("family:toggle_set"), _reserve_target(w, w.amalia, outil="semaine", debut="2026-12-07")),
            NOT_FOUND,
        ),
    ],  # fmt: skip
    "family:day_panel": [
        case(
            "get",
            lambda w: (reverse("family:day_panel"), {"enfant": w.paolo.pk, "date": DAY.isoformat()}),
            NOT_FOUND,
            **HTMX,
        ),
        case(
            "get", lambda w: (reverse("family:day_panel"), {"enfant": w.paolo_b.pk, "date": DAY.isoformat()}), NOT_FOUND
        ),
    ],  # fmt: skip
    "family:opening": [
        case(
            "get",
            lambda w: (reverse("family:opening"), {"enfant": w.paolo.pk, "mois": "2026-12", "attente": 1}),
            NOT_FOUND,
            **HTMX,
        ),
        case("get", lambda w: (reverse("family:opening"), _reserve_target(w, w.paolo, attente=0)), NOT_FOUND, **HTMX),
    ],  # fmt: skip
    "family:copy": [
        case("get", lambda w: (reverse("family:copy"), {"enfant": w.paolo.pk, "activite": w.aps_a.pk}), NOT_FOUND),
        # onto DUPONT's child
        case(
            "post",
            lambda w: (
                reverse("family:copy"),
                {
                    "enfant": w.paolo.pk,
                    "activite": w.aps_a.pk,
                    "source_enfant": w.leo.pk,
                    "source_activite": w.aps_a.pk,
                    **_COPY,
                },
            ),
            NOT_FOUND,
        ),
        # from DUPONT's child: an error on the page, nothing copied
        case(
            "post",
            lambda w: (
                reverse("family:copy"),
                {
                    "enfant": w.leo.pk,
                    "activite": w.aps_a.pk,
                    "source_enfant": w.paolo.pk,
                    "source_activite": w.aps_a.pk,
                    **_COPY,
                },
            ),
            NO_LEAK,
        ),
    ],  # fmt: skip
    "family:discard": [
        case("post", lambda w: (reverse("family:discard"), {}), REDIRECT),
        case("post", lambda w: (reverse("family:discard"), {"enfant": w.paolo.pk}), NOT_FOUND),
    ],
    "family:recap": [case("get", lambda w: (reverse("family:recap"), {}), NO_LEAK)],
    "family:confirm": [
        # DUPONT's draft token, sent from MARTIN's session
        case("post", lambda w: (reverse("family:confirm"), {"jeton": str(w.dupont_draft.token)}), REDIRECT),
    ],
    "family:result": [
        case("get", lambda w: (reverse("family:result", args=[w.confirmation.pk]), {}), NOT_FOUND),
    ],
    "family:reservations": [
        case("get", lambda w: (reverse("family:reservations"), {}), NO_LEAK),
        case("get", lambda w: (reverse("family:reservations"), {"enfant": w.paolo.pk, "imprimer": "1"}), NO_LEAK),
        case("get", lambda w: (reverse("family:reservations"), {"enfant": w.paolo.pk, "mois": "2026-12"}), NO_LEAK),
    ],
    "family:cancel": [
        case("post", lambda w: (reverse("family:cancel"), {"reservation": w.booking.pk}), NOT_FOUND),
        case("post", lambda w: (reverse("family:cancel"), {"reservation": w.booking_b.pk}), NOT_FOUND),
    ],
    "family:my_data": [
        case("get", lambda w: (reverse("family:my_data"), {}), NO_LEAK),
        case("get", lambda w: (reverse("family:my_data"), {"format": "json"}), NO_LEAK),
        case("get", lambda w: (reverse("family:my_data"), {"format": "html"}), NO_LEAK),
        case("get", lambda w: (reverse("family:my_data"), {"format": "zip"}), NO_LEAK),
    ],
    "family:history": [
        case("get", lambda w: (reverse("family:history"), {"enfant": w.paolo.pk}), NO_LEAK),
        case("get", lambda w: (reverse("family:history"), {"enfant": w.paolo.pk, "format": "csv"}), NO_LEAK),
        case("get", lambda w: (reverse("family:history"), {"enfant": w.paolo.pk, "format": "xlsx"}), NO_LEAK),
        case("get", lambda w: (reverse("family:history"), {"mois": "2026-10", "format": "csv"}), NO_LEAK),
    ],
    # --- issue 17 point 1: « Mon dossier »: MARTIN edits only his own family's rows
    "family:dossier": [case("get", lambda w: (reverse("family:dossier"), {"famille": w.family_a.pk}), NO_LEAK)],
    "family:dossier_household": [
        case(
            "post",
            lambda w: (
                reverse("family:dossier_household"),
                {"phone": "0600000000", "address": "x", "family": w.family_a.pk, "pk": w.family_a.pk},
            ),
            REDIRECT,
        ),
    ],
    "family:dossier_guardian": [
        case("get", lambda w: (reverse("family:dossier_guardian", args=[w.dupont_guardian.pk]), {}), NOT_FOUND),
        case("post", lambda w: (reverse("family:dossier_guardian", args=[w.dupont_guardian.pk]), _GUARDIAN), NOT_FOUND),
    ],
    "family:dossier_guardian_new": [
        case(
            "post", lambda w: (reverse("family:dossier_guardian_new"), {**_GUARDIAN, "family": w.family_a.pk}), REDIRECT
        ),
    ],
    "family:dossier_child": [
        case("get", lambda w: (reverse("family:dossier_child", args=[w.paolo.pk]), {}), NOT_FOUND),
        case("post", lambda w: (reverse("family:dossier_child", args=[w.paolo.pk]), {"school_class": "X"}), NOT_FOUND),
        case(
            "post", lambda w: (reverse("family:dossier_child", args=[w.paolo_b.pk]), {"school_class": "X"}), NOT_FOUND
        ),
    ],
    # The invitation goes to MARTIN's family only (tests/dossier/test_coparent.py); here: nothing of DUPONT's shown.
    "accounts:invite_parent": [case("get", lambda w: (reverse("accounts:invite_parent"), {}), NO_LEAK)],
    # --- accounts: ----------------------------------------------------------------
    "accounts:invitation": [
        case("get", lambda w: (reverse("accounts:invitation", args=["jeton-invente"]), {}), NOT_FOUND),
        case(
            "post",
            lambda w: (
                reverse("accounts:invitation", args=["jeton-invente"]),
                {"new_password1": _NEW_PW, "new_password2": _NEW_PW},
            ),
            NOT_FOUND,
        ),
    ],  # fmt: skip
    "accounts:profile": [
        case("get", lambda w: (reverse("accounts:profile"), {"user": w.dupont.pk}), NO_LEAK),
    ],
    # The language choice changes only the logged-in account, whatever ids are added.
    "accounts:language": [
        case(
            "post",
            lambda w: (
                reverse("accounts:language"),
                {"language": "en", "next": "/", "user": w.dupont.pk, "id": w.dupont.pk, "username": "dupont"},
            ),
            REDIRECT,
        ),
    ],
    # The profile changes only the logged-in account, whatever ids are added.
    "accounts:profile_password": [
        case(
            "post",
            lambda w: (
                reverse("accounts:profile_password"),
                {
                    "old_password": _PW,
                    "new_password1": _NEW_PW,
                    "new_password2": _NEW_PW,
                    "user": w.dupont.pk,
                    "username": "dupont",
                    "id": w.dupont.pk,
                },
            ),
            REDIRECT,
        ),
    ],  # fmt: skip
    "accounts:profile_email": [
        case(
            "post",
            lambda w: (
                reverse("accounts:profile_email"),
                {
                    "email": "pirate@example.org",
                    "current_password": _PW,
                    "user": w.dupont.pk,
                    "username": "dupont",
                    "id": w.dupont.pk,
                },
            ),
            REDIRECT,
        ),
    ],  # fmt: skip
    "accounts:profile_question": [
        case(
            "post",
            lambda w: (
                reverse("accounts:profile_question"),
                {
                    "question": "Ma ville ?",
                    "answer": "Brest",
                    "current_password": _PW,
                    "user": w.dupont.pk,
                    "username": "dupont",
                },
            ),
            REDIRECT,
        ),
    ],  # fmt: skip
    "accounts:recovery": [
        case("get", lambda w: (reverse("accounts:recovery"), {}), NO_LEAK),
        case("post", lambda w: (reverse("accounts:recovery"), {"username": "dupont", "way": "email"}), REDIRECT),
    ],
    "accounts:recovery_question": [
        case("get", lambda w: (reverse("accounts:recovery_question"), {}), REDIRECT),
        case("post", lambda w: (reverse("accounts:recovery_question"), {"answer": "Brest"}), REDIRECT),
    ],
    "accounts:recovery_email": [
        # DUPONT's identifiant with another address: the same page, no e-mail queued
        case(
            "post",
            lambda w: (reverse("accounts:recovery_email"), {"username": "dupont", "email": "martin@example.org"}),
            REDIRECT,
        ),
    ],  # fmt: skip
    "accounts:recovery_email_sent": [case("get", lambda w: (reverse("accounts:recovery_email_sent"), {}), NO_LEAK)],
    "accounts:recovery_link": [
        case("get", lambda w: (reverse("accounts:recovery_link", args=[w.dupont_uid, "abc-123"]), {}), NOT_FOUND),
    ],
    "accounts:recovery_password": [
        case("get", lambda w: (reverse("accounts:recovery_password"), {}), NOT_FOUND),
        case(
            "post",
            lambda w: (
                reverse("accounts:recovery_password"),
                {"new_password1": _NEW_PW, "new_password2": _NEW_PW, "user": w.dupont.pk},
            ),
            NOT_FOUND,
        ),
    ],  # fmt: skip
    # --- issue 17 points 2, 3: DUPONT's child's health sheet and the people allowed to collect him
    "family:health": [
        case("get", lambda w: (reverse("family:health", args=[w.paolo.pk]), {}), NOT_FOUND),
        case("post", lambda w: (reverse("family:health", args=[w.paolo.pk]), _HEALTH), NOT_FOUND),
        case("get", lambda w: (reverse("family:health", args=[w.paolo_b.pk]), {}), NOT_FOUND),
    ],
    "family:authorised_people": [
        case("get", lambda w: (reverse("family:authorised_people", args=[w.paolo.pk]), {}), NOT_FOUND),
        case("post", lambda w: (reverse("family:authorised_people", args=[w.paolo.pk]), _PERSON), NOT_FOUND),
    ],
    "family:authorised_person_edit": [
        case(
            "get",
            lambda w: (reverse("family:authorised_person_edit", args=[w.paolo.pk, w.dupont_person.pk]), {}),
            NOT_FOUND,
        ),
        case(
            "post",
            lambda w: (reverse("family:authorised_person_edit", args=[w.paolo.pk, w.dupont_person.pk]), _PERSON),
            NOT_FOUND,
        ),
        # MARTIN's own child in the URL, DUPONT's person
        case(
            "post",
            lambda w: (reverse("family:authorised_person_edit", args=[w.leo.pk, w.dupont_person.pk]), _PERSON),
            NOT_FOUND,
        ),
    ],
    "family:authorised_person_delete": [
        case(
            "post",
            lambda w: (reverse("family:authorised_person_delete", args=[w.paolo.pk, w.dupont_person.pk]), {}),
            NOT_FOUND,
        ),
        case(
            "post",
            lambda w: (reverse("family:authorised_person_delete", args=[w.leo.pk, w.dupont_person.pk]), {}),
            NOT_FOUND,
        ),
    ],
    # --- « Factures » and online payment (issue 16 points 3, 4): DUPONT's invoice and payment
    "family:invoices": [
        case("get", lambda w: (reverse("family:invoices"), {"facture": _dupont_invoice(w).pk}), NO_LEAK)
    ],
    "family:pay": [case("post", lambda w: (reverse("family:pay"), {"facture": _dupont_invoice(w).pk}), NOT_FOUND)],
    "family:payment_return": [
        case("get", lambda w: (reverse("family:payment_return", args=[_dupont_order(w)]), {}), NOT_FOUND)
    ],
    # Issue 16 point 2: the PDF of DUPONT's invoice.
    "family:invoice_pdf": [
        case("get", lambda w: (reverse("family:invoice_pdf", args=[_dupont_invoice(w).pk]), {}), NOT_FOUND)
    ],
    # Issue 17 points 4, 5: DUPONT's documents, certificate, children and requirements.
    "family:documents": [case("get", lambda w: (reverse("family:documents"), {}), NO_LEAK)],
    "family:document_upload": [
        case(
            "post",
            lambda w: (
                reverse("family:document_upload"),
                {"document": f"{w.medical.pk}-{w.paolo.pk}", "fichier": _pdf()},
            ),
            NOT_FOUND,
        ),
        case(
            "post",
            lambda w: (reverse("family:document_upload"), {"document": str(w.insurance_b.pk), "fichier": _pdf()}),
            NOT_FOUND,
        ),
    ],
    "family:document_file": [
        case("get", lambda w: (reverse("family:document_file", args=[w.dupont_document.pk]), {}), NOT_FOUND),
        case("get", lambda w: (reverse("family:document_file", args=[w.dupont_absence.certificate.pk]), {}), NOT_FOUND),
    ],
    "family:absences": [
        case("get", lambda w: (reverse("family:absences"), {}), NO_LEAK),
        case(
            "get",
            lambda w: (reverse("family:absences"), {"enfant": w.paolo.pk, "du": "2026-12-01", "au": "2026-12-31"}),
            NOT_FOUND,
        ),
    ],
    "family:absence_declare": [
        case(
            "post",
            lambda w: (
                reverse("family:absence_declare"),
                {
                    "enfant": w.paolo.pk,
                    "du": LATER.isoformat(),
                    "au": LATER.isoformat(),
                    "motif": "illness",
                    "justificatif": _pdf(),
                },
            ),
            NOT_FOUND,
        ),
    ],  # fmt: skip
    # --- login / logout -----------------------------------------------------------
    "login": [
        case("get", lambda w: (reverse("login"), {}), REDIRECT),
        # already logged in: sent home, whatever identifiant is posted
        case("post", lambda w: (reverse("login"), {"username": "dupont", "password": "mauvais"}), REDIRECT),
    ],
    "logout": [case("post", lambda w: (reverse("logout"), {}), REDIRECT)],
}

# URLs that change something: GET is refused (405) and POST needs the CSRF token.
STATE_CHANGING = [
    "family:switch_structure",
    "family:toggle_day",
    "family:toggle_set",
    "family:discard",
    "family:confirm",
    "family:cancel",
    "family:pay",
    "family:document_upload",
    "family:absence_declare",
    "accounts:profile_password",
    "accounts:profile_email",
    "accounts:profile_question",
    "accounts:language",
    "logout",
]
# Forms whose GET only shows the form: their POST needs the CSRF token too.
POST_FORMS = [
    "family:copy",
    "family:health",
    "family:authorised_people",
    "family:authorised_person_edit",
    "family:dossier_household",
    "family:dossier_guardian",
    "family:dossier_guardian_new",
    "family:dossier_child",
    "accounts:invitation",
    "accounts:recovery",
    "accounts:recovery_question",
    "accounts:recovery_email",
    "accounts:recovery_password",
    "login",
]


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def w(world, client):
    """DUPONT's data everywhere: a confirmed booking (with its movement and
    confirmation), a pending draft item, a consumption, a booking in B."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    f.OpeningFactory(activity=world.aps_a, date=LATER)
    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    dupont = Client()
    dupont.force_login(world.dupont)
    dupont.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    target = {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12"}
    dupont.post(reverse("family:toggle_day"), {**target, "date": DAY.isoformat()})
    draft = Draft.objects.get(family=world.family_a, account=world.dupont)
    assert dupont.post(reverse("family:confirm"), {"jeton": str(draft.token)}).status_code == 302
    dupont.post(reverse("family:toggle_day"), {**target, "date": LATER.isoformat()})
    draft.refresh_from_db()
    assert draft.items.count() == 1
    booking = Booking.objects.get(child=world.paolo)
    booking_b = make_booking(child=world.paolo_b, activity=world.alsh_b, date=world.opening_b.date,
                                       status="accepted")  # fmt: skip
    Consumption.objects.create(child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 11, 20))
    Consumption.objects.create(child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 10, 12))
    # Issue 17: Paolo's health sheet and a person allowed to collect him.
    HealthSheet.objects.create(child=world.paolo, has_food_allergy=True, allergies="Arachide")
    dupont_person = AuthorisedPerson.objects.create(
        child=world.paolo, name="Josette DUPONT", relationship="grand-mère", phone="0612345678"
    )
    # Issue 17 point 1: DUPONT's parent row (its e-mail is one of the markers).
    dupont_guardian = Guardian.objects.create(
        family=world.family_a, first_name="Marie", last_name="DUPONT", email="dupont@example.org"
    )
    # Issue 17 points 4, 5: DUPONT's document and absence (with its certificate), what CarteVille asks.
    documents = _documents_and_absence(world, dupont)
    client.force_login(world.martin)
    return SimpleNamespace(
        **vars(world),
        **documents,
        booking=booking,
        booking_b=booking_b,
        confirmation=Confirmation.objects.get(family=world.family_a),
        dupont_draft=draft,
        dupont_uid=urlsafe_base64_encode(force_bytes(world.dupont.pk)),
        dupont_person=dupont_person,
        dupont_guardian=dupont_guardian,
    )


def _documents_and_absence(world, dupont):
    insurance = DocumentType.objects.create(structure=world.a, name="Assurance")
    medical = DocumentType.objects.create(structure=world.a, name="Certificat médical", per_child=True)
    insurance_b = DocumentType.objects.create(structure=world.b, name="Assurance")
    assert (
        dupont.post(reverse("family:document_upload"), {"document": insurance.pk, "fichier": _pdf()}).status_code == 302
    )
    assert dupont.post(reverse("family:absence_declare"), {
        "enfant": world.paolo.pk, "du": DAY.isoformat(), "au": DAY.isoformat(), "motif": "illness", "justificatif": _pdf(),
    }).status_code == 302  # fmt: skip
    return {
        "insurance": insurance, "medical": medical, "insurance_b": insurance_b,
        "dupont_document": Document.objects.get(doc_type=insurance), "dupont_absence": Absence.objects.get(),
    }  # fmt: skip


def snapshot(w):
    """Everything MARTIN must never change: all bookings, movements,
    confirmations, draft items, consumptions, e-mails, and DUPONT's drafts,
    accounts and security question."""
    dupont_families = [w.family_a.pk, w.family_b.pk]
    return {
        "booking": list(Booking.objects.order_by("pk").values()),
        "movement": list(Movement.objects.order_by("pk").values()),
        "confirmation": list(Confirmation.objects.order_by("pk").values()),
        "draft_item": list(DraftItem.objects.order_by("pk").values()),
        "dupont_drafts": list(Draft.objects.filter(family__in=dupont_families).order_by("pk").values("pk", "token")),
        "consumption": list(Consumption.objects.order_by("pk").values()),
        "outbox": list(OutboxEmail.objects.order_by("pk").values("pk", "to", "status")),
        "dupont_accounts": list(
            get_user_model()
            .objects.filter(username__in=["dupont", "dupont2"])
            .order_by("pk")
            .values("pk", "password", "email", "is_active", "language")
        ),
        "dupont_question": list(SecurityQuestion.objects.filter(user=w.dupont).values()),
        # MARTIN never starts a payment (DUPONT's own are made by the cases themselves).
        "martin_online_payments": list(OnlinePayment.objects.filter(family=w.martin_a).values("pk", "status")),
        "payments": list(Payment.objects.order_by("pk").values("pk", "amount_cents")),
        "health": list(HealthSheet.objects.order_by("pk").values()),
        "authorised_people": list(AuthorisedPerson.objects.order_by("pk").values()),
        "documents": list(Document.objects.order_by("pk").values()),
        "absences": list(Absence.objects.order_by("pk").values()),
        "dupont_file": [
            list(Family.objects.filter(pk__in=dupont_families).order_by("pk").values()),
            list(Child.objects.filter(family__in=dupont_families).order_by("pk").values()),
            list(Guardian.objects.filter(family__in=dupont_families).order_by("pk").values()),
            list(FamilyChange.objects.filter(family__in=dupont_families).order_by("pk").values()),
        ],
    }


def run_case(client, w, c):
    url, data = c.build(w)
    return getattr(client, c.method)(url, data, **c.extra)


def _cases():
    for name, cases in MATRIX.items():
        for number, c in enumerate(cases):
            yield pytest.param(name, number, id=f"{name}-{c.method}-{number}")


def _leaks(response):
    body = page_text(response) if response.get("Content-Type", "").startswith("text/") else ""
    if "spreadsheetml" in response.get("Content-Type", ""):
        import io

        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        body = " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    return [marker for marker in DUPONT_MARKERS if marker in body]


@pytest.mark.parametrize("name, number", list(_cases()))
def test_martin_with_duponts_ids_is_refused_and_changes_nothing(client, w, name, number):
    c = MATRIX[name][number]
    before = snapshot(w)
    response = run_case(client, w, c)
    status = response.status_code
    if c.expected == NOT_FOUND:
        assert status == 404, status
    elif c.expected == REFUSED:
        assert status in (403, 404), status
    elif c.expected == NO_LEAK:
        assert status == 200, status
        assert not _leaks(response)
    elif c.expected == REDIRECT:
        assert status == 302, status
        assert not _leaks(response)
    else:  # pragma: no cover
        raise AssertionError(c.expected)
    assert snapshot(w) == before
    # MARTIN's session never switched to one of DUPONT's families.
    assert client.session.get(SESSION_KEY) not in (w.family_a.pk, w.family_b.pk)


def test_martin_still_sees_only_his_family_after_trying_to_switch(client, w):
    for family in (w.family_a, w.family_b):
        client.post(reverse("family:switch_structure"), {"family": family.pk})
        home = client.get(reverse("family:home"))
        assert "Cette structure n'est pas accessible" in page_text(home)
        assert "Mairie de CarteVille" in page_text(home) and not _leaks(home)
        for url in (reverse("family:reservations"), reverse("family:history")):
            response = client.get(url)
            assert response.status_code == 200 and not _leaks(response), url


@pytest.mark.parametrize(
    "query", [{}, {"format": "csv"}, {"format": "xlsx"}, {"mois": "2026-10", "format": "csv"}], ids=str
)
def test_markers_are_shown_to_dupont_so_no_leak_checks_mean_something(w, query):
    dupont = Client()
    dupont.force_login(w.dupont)
    dupont.post(reverse("family:switch_structure"), {"family": w.family_a.pk})
    assert _leaks(dupont.get(reverse("family:history"), query))
    assert _leaks(dupont.get(reverse("family:reservations")))


@pytest.mark.parametrize("name", STATE_CHANGING)
def test_state_changing_urls_refuse_get(client, w, name):
    before = snapshot(w)
    assert client.get(reverse(name)).status_code == 405
    assert snapshot(w) == before


def _post_cases(names):
    for name in names:
        for number, c in enumerate(MATRIX[name]):
            if c.method == "post":
                yield pytest.param(name, number, id=f"{name}-{number}")


@pytest.mark.parametrize("name, number", list(_post_cases(STATE_CHANGING + POST_FORMS)))
def test_post_without_csrf_token_is_403(w, name, number):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(w.martin)
    before = snapshot(w)
    assert run_case(csrf_client, w, MATRIX[name][number]).status_code == 403
    assert snapshot(w) == before


def test_every_state_changing_url_and_form_has_a_post_case():
    for name in STATE_CHANGING + POST_FORMS:
        assert any(c.method == "post" for c in MATRIX[name]), name


def _family_url_names(patterns=None, namespace=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            yield from _family_url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            if namespace in ("family", "accounts"):
                yield f"{namespace}:{pattern.name}"
            elif namespace is None and pattern.name in ("login", "logout"):
                yield pattern.name


def test_guard_every_family_url_is_in_the_matrix():
    names = set(_family_url_names())
    assert {"family:home", "accounts:profile", "login", "logout"} <= names  # the walk works
    missing = sorted(names - set(MATRIX))
    assert not missing, f"Family URLs missing from the security matrix: {missing}"
    assert not sorted(set(MATRIX) - names), "Matrix entries for URLs that no longer exist"
    for name, cases in MATRIX.items():
        assert cases, f"{name} has no case"


@pytest.mark.parametrize(
    "method, path, data",
    [
        ("get", "family:reserve", lambda w: {"enfant": w.paolo.pk}),
        ("post", "family:toggle_day", lambda w: {"enfant": w.paolo.pk, "activite": w.aps_a.pk, "date": "2026-12-07"}),
        ("get", "family:day_panel", lambda w: {"enfant": w.paolo.pk, "date": "2026-12-07"}),
        ("post", "family:cancel", lambda w: {"reservation": w.booking.pk}),
        ("get", "family:result", None),
    ],
    ids=["reserve", "toggle_day", "day_panel", "cancel", "result"],
)
def test_one_account_in_structure_b_cannot_reach_its_family_of_structure_a(w, method, path, data):
    """Ids are checked against the family of the structure being consulted,
    not against every family of the account."""
    dupont = Client()
    dupont.force_login(w.dupont)
    dupont.post(reverse("family:switch_structure"), {"family": w.family_b.pk})
    before = snapshot(w)
    if path == "family:result":
        response = dupont.get(reverse(path, args=[w.confirmation.pk]))
    else:
        response = getattr(dupont, method)(reverse(path), data(w))
    assert response.status_code == 404
    assert snapshot(w) == before


FORMULA = '=HYPERLINK("http://evil.example/","Cliquez")'


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_history_exports_never_hold_a_spreadsheet_formula(world, export):
    """Names come from staff entries and imported files; an export opened in
    a spreadsheet must not run them as formulas (OWASP "CSV injection")."""
    import csv
    import io

    import openpyxl

    f.EnrolmentFactory(child=world.leo, activity=world.aps_a)
    world.leo.first_name = FORMULA
    world.leo.save()
    Consumption.objects.create(child=world.leo, activity=world.aps_a, date=datetime.date(2026, 11, 20))
    martin = Client()
    martin.force_login(world.martin)
    response = martin.get(reverse("family:history"), {"format": export})
    assert response.status_code == 200
    if export == "csv":
        cells = [cell for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
                 for cell in row]  # fmt: skip
        assert any("HYPERLINK" in cell for cell in cells)  # the row is there
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells if cell), cells
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert any("HYPERLINK" in str(cell.value) for cell in cells)
        assert not any(cell.data_type == "f" for cell in cells)


def _dupont_invoice(w):
    """DUPONT's November invoice in CarteVille, payable online (the simulated bank)."""
    from tests.billing.invoice_rows import make_invoice

    BillingSettings.objects.get_or_create(structure=w.a, defaults={"payment_backend": "simulated"})
    return w.family_a.invoices.first() or make_invoice(w.family_a, month=datetime.date(2026, 11, 1))


def _dupont_order(w):
    """The order id of an online payment DUPONT started."""
    invoice = _dupont_invoice(w)
    online_payment = OnlinePayment.objects.create(
        structure=w.a,
        family=w.family_a,
        amount_cents=invoice.total_cents,
        order_id="20261126dupont",
        backend="simulated",
    )
    online_payment.invoices.set([invoice])
    return online_payment.order_id
