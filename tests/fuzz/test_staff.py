"""Fuzz suite of the staff screens, /gestion/ (issue 12, points 2-3).

ROUTES lists every URL name of the `staff:` namespace (tests/fuzz/test_guard.py
fails when one is missing). For each, hypothesis sends random and hostile values
(tests/fuzz/values.py: out-of-range dates, months and numbers, unicode, control
characters, 100 KB strings, missing and repeated fields, the other structure's
ids), as CarteVille's staff, as Les Pinsons' staff, as the site administrator
and as a parent, with and without htmx. Never a 500, never the request's markup
echoed raw, and a refused request (4xx) changes nothing in the database.

Then the exact cases of issue 12 that gave a 500 (or a broken header) on
3472ea3, one test each.
"""

import datetime
import os
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail.billing import ledger
from portail.booking.models import Booking, BookingStatus, OpeningAudit
from portail.dossier.models import FamilyChange
from portail.notifications.models import EmailStatus, FamilyMessage, OutboxEmail
from portail.structures.models import Activity, Child, Family, Opening
from tests import factories as f
from tests.billing.invoice_rows import make_invoice
from tests.fuzz.values import (
    NASTY_STRINGS,
    Route,
    check_answer,
    fingerprint,
    hostile,
    params,
    send,
)
from tests.helpers import make_booking

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
DAY = "2026-12-07"  # APS MATIN (A) is open; ALSH MERCREDI (B) is open on 2026-12-09
TODAY = "2026-11-26"  # NOW's day: the roll call refuses a day to come (issue 18 point 5)
HTMX = {"HTTP_HX_REQUEST": "true"}
STAFF_USERS = ("staff_a", "staff_b", "admin", "dupont")
# Small in the normal run (the whole file well under a minute); FUZZ_EXAMPLES=500 for a long hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


def _activities(w):
    return [str(x.pk) for x in (w.aps_a, w.cantine_a, w.alsh_b)]


def _children(w):
    return [str(x.pk) for x in (w.paolo, w.leo, w.paolo_b)]


def _bookings(w):
    return [str(pk) for pk in Booking.objects.values_list("pk", flat=True)] or ["1"]


def _target(w):
    """Values that get past validation: both structures' ids, so that scoping is fuzzed too."""
    return {
        "activite": _activities(w),
        "enfant": _children(w),
        "reservation": _bookings(w),
        "structure": [str(w.a.pk), str(w.b.pk)],
        "date": [DAY, "2026-12-09"],
        "semaine": [DAY],
        "mois": ["2026-12"],
        "du": ["2026-11-01", "2026-12-01"],
        "au": ["2026-12-31", "2027-11-30"],
        "arrivee": ["07:30"],
        "depart": ["08:30"],
        "motif": ["Demande de la famille par téléphone", "A" * 100_000, "Malade\r\nSet-Cookie: x=1"],
        "places": ["0", "2", "10000", "10001", "2147483648", "99999999999999999999"],
        "places_attente": ["0", "3", "99999999999999999999"],
        "confirmation": ["oui"],
        "liste_attente": _bookings(w),
        "action": ["apercu", "fermer"],
        "destinataires": ["jour", "activite", "classe"],
        "objet": ["Bus en retard", "<script>alert(1)</script>"],
        "message": ["Le bus aura 20 minutes de retard.", "A" * 100_000],
        "presence": ["present", "absent"],
        "confirmer": ["1"],
        "classe": ["CE2", "CM1"],
        "age": ["moins6", "6plus"],
        "recherche": ["dupont", "Léo"],
        "format": ["pdf", "csv"],
        "etat": [value for value, _ in EmailStatus.choices],
        "vue": _activities(w),
        "page": ["1", "2"],
        # Issue 16 point 5: the régie.
        "famille": [str(w.family_a.pk), str(w.family_b.pk)],
        "moyen": ["cheque", "cash", "cesu", "transfer"],
        "montant": ["12,50", "0,01", "1000000", "1000000,01", "12,345"],
        "recu": ["CHQ 0012345", ""],
        "recu_le": [TODAY, "2026-11-27"],
        "dernier": ["0", "1"],
        "documents": ["factures", "avoirs", "paiements"],
        "tout": ["1"],
        "facture": ["1", "2"],
    }


ACTION = {"activite": "id", "date": "date", "motif": "text", "vue": "id"}
ROLL_CALL_FILTERS = {"confirmer": "choice", "classe": "text", "age": "choice", "groupe": "id"}

ROUTES = {
    "staff:index": Route("get", {"x": "text"}, users=STAFF_USERS),
    "staff:planning": Route("get", {"date": "date", "activite": "id"}, valid=_target, users=STAFF_USERS),
    "staff:book": Route(
        "post",
        {**ACTION, "enfant": "id", "arrivee": "time", "depart": "time"},
        valid=_target,
        users=STAFF_USERS,
    ),
    "staff:cancel": Route(
        "post", {"reservation": "id", "motif": "text", "vue": "id"}, valid=_target, users=STAFF_USERS
    ),
    "staff:promote": Route(
        "post", {"reservation": "id", "motif": "text", "vue": "id"}, valid=_target, users=STAFF_USERS
    ),
    "staff:capacity": Route(
        "post",
        {**ACTION, "places": "int", "places_attente": "int", "liste_attente": "id"},
        valid=_target,
        users=STAFF_USERS,
    ),
    "staff:close_day": Route(
        "post",
        {
            "date": "date",
            "structure": "id",
            "activite": "id",
            "motif": "text",
            "confirmation": "choice",
            "action": "choice",
        },
        valid=_target,
        users=STAFF_USERS,
    ),
    "staff:call_list": Route("get", {"date": "date", "structure": "id"}, valid=_target, users=STAFF_USERS),
    "staff:close": Route("post", {**ACTION, "confirmation": "choice"}, valid=_target, users=STAFF_USERS),
    "staff:sheet": Route(
        "get", {"date": "date", "activite": "id", "format": "choice"}, valid=_target, users=STAFF_USERS
    ),
    "staff:meals": Route("get", {"semaine": "date"}, valid=_target, users=STAFF_USERS),
    "staff:day_audit": Route("get", {"activite": "id", "date": "date"}, valid=_target, users=STAFF_USERS),
    "staff:roll_call": Route(
        "get",
        {"date": "date", "activite": "id", **ROLL_CALL_FILTERS, "recherche": "text"},
        valid=_target,
        users=STAFF_USERS,
    ),
    "staff:mark": Route(
        "post",
        {
            "activite": "id",
            "date": "date",
            "enfant": "id",
            "presence": "choice",
            "arrivee": "time",
            "depart": "time",
            **ROLL_CALL_FILTERS,
        },
        valid=_target,
        users=STAFF_USERS,
        htmx=True,
    ),
    "staff:all_present": Route(
        "post", {"activite": "id", "date": "date", **ROLL_CALL_FILTERS}, valid=_target, users=STAFF_USERS, htmx=True
    ),
    "staff:runs": Route("get", {"structure": "id", "page": "int"}, valid=_target, users=STAFF_USERS),
    "staff:start_run": Route("post", {"structure": "id"}, valid=_target, users=STAFF_USERS),
    "staff:emails": Route("get", {"etat": "choice", "page": "int"}, valid=_target, users=STAFF_USERS),
    "staff:resend_email": Route(
        "post",
        {"etat": "choice", "confirmation": "choice"},
        url_kwargs=lambda w: {"pk": w.email_a.pk},
        valid=_target,
        users=STAFF_USERS,
    ),
    "staff:fill_rates": Route(
        "get", {"activite": "id", "mois": "month", "format": "choice"}, valid=_target, users=STAFF_USERS
    ),
    "staff:messages": Route("get", {"page": "int"}, valid=_target, users=STAFF_USERS),
    "staff:message_new": Route(
        "post",
        {
            "destinataires": "choice",
            "structure": "id",
            "activite": "id",
            "date": "date",
            "classe": "text",
            "objet": "text",
            "message": "text",
            "confirmation": "choice",
        },
        valid=_target,
        users=STAFF_USERS,
    ),  # fmt: skip
    "staff:message_detail": Route(
        "get", {}, url_kwargs=lambda w: {"pk": w.message_a.pk}, valid=_target, users=STAFF_USERS
    ),
    "staff:caf": Route(
        "get", {"structure": "id", "du": "date", "au": "date", "format": "choice"}, valid=_target, users=STAFF_USERS
    ),
    # Issue 16 point 5: the régie (payments at the desk, reminders, exports).
    "staff:regie": Route(
        "get", {"structure": "id", "recherche": "text", "page": "int"}, valid=_target, users=STAFF_USERS
    ),
    "staff:regie_family": Route(
        "get", {}, url_kwargs=lambda w: {"pk": w.family_a.pk}, valid=_target, users=STAFF_USERS
    ),
    "staff:regie_payment": Route(
        "post",
        {
            "famille": "id",
            "moyen": "choice",
            "montant": "text",
            "recu": "text",
            "recu_le": "date",
            "remarque": "text",
            "dernier": "int",
            "confirme": "int",
        },
        valid=_target,
        users=STAFF_USERS,
    ),
    # « Annuler ce paiement » (A's desk payment; B's is a 404).
    "staff:regie_cancel_payment": Route(
        "post", {"motif": "text"}, url_kwargs=lambda w: {"pk": w.payment_a.pk}, users=STAFF_USERS
    ),
    "staff:regie_reminders": Route("get", {"structure": "id"}, valid=_target, users=STAFF_USERS),
    "staff:regie_send_reminders": Route("post", {"structure": "id"}, valid=_target, users=STAFF_USERS),
    "staff:regie_print_list": Route(
        "get", {"structure": "id", "format": "choice", "tout": "choice"}, valid=_target, users=STAFF_USERS
    ),
    "staff:regie_mark_printed": Route("post", {"structure": "id", "facture": "id"}, valid=_target, users=STAFF_USERS),
    "staff:regie_exports": Route(
        "get",
        {"structure": "id", "du": "date", "au": "date", "documents": "choice", "format": "choice"},
        valid=_target,
        users=STAFF_USERS,
    ),
    "staff:family_audit": Route(
        "get", {"page": "int"}, url_kwargs=lambda w: {"pk": w.family_a.pk}, valid=_target, users=STAFF_USERS
    ),
    # Issue 17 point 6: a manager anonymises a family that left (an agent gets a 403).
    "staff:anonymise_family": Route(
        "post", {"confirmer": "bool"}, url_kwargs=lambda w: {"pk": w.left_a.pk}, users=STAFF_USERS
    ),
    # Issue 17 point 6: a manager downloads a family's data as a zip (no parameter read).
    "staff:export_family_data": Route(
        "get", {"format": "text"}, url_kwargs=lambda w: {"pk": w.family_a.pk}, users=STAFF_USERS
    ),
    # Issue 17 point 1: what families changed; « Vu » per change or per family (A's own; B's is a 404).
    "staff:family_changes": Route(
        "get",
        {"page": "int", "etat": "choice", "famille": "text"},
        valid=lambda w: {"etat": ["non_vues", "vues", "toutes"], "famille": ["DUP", ""]},
        users=STAFF_USERS,
    ),
    "staff:change_seen": Route("post", {}, url_kwargs=lambda w: {"pk": w.change_a.pk}, users=STAFF_USERS),
    "staff:family_changes_seen": Route("post", {}, url_kwargs=lambda w: {"pk": w.family_a.pk}, users=STAFF_USERS),
    "staff:booking_audit": Route(
        "get", {"page": "int"}, url_kwargs=lambda w: {"pk": w.booking_a.pk}, valid=_target, users=STAFF_USERS
    ),
    # Issue 16 point 2: « Facturation » (the month's preview, issuing), the issued invoices, a credit note.
    "staff:billing": Route(
        "get", {"mois": "month", "structure": "id", "page": "int"}, valid=_target, users=STAFF_USERS
    ),
    "staff:billing_issue": Route(
        "post", {"mois": "month", "structure": "id", "confirmation": "choice"}, valid=_target, users=STAFF_USERS
    ),
    "staff:invoices": Route(
        "get",
        {"structure": "id", "mois": "month", "etat": "choice", "recherche": "text", "page": "int"},
        valid=lambda w: {**_target(w), "etat": ["a_payer", "payee", "en_retard", "avoirs"]},
        users=STAFF_USERS,
    ),
    "staff:invoice": Route("get", {}, url_kwargs=lambda w: {"pk": w.invoice_a.pk}, users=STAFF_USERS),
    "staff:invoice_pdf": Route("get", {}, url_kwargs=lambda w: {"pk": w.invoice_a.pk}, users=STAFF_USERS),
    "staff:credit_note": Route(
        "post",
        {"etendue": "choice", "montant": "text", "motif": "text", "avoirs": "int", "confirmation": "choice"},
        url_kwargs=lambda w: {"pk": w.invoice_a.pk},
        valid=lambda w: {
            **_target(w),
            "etendue": ["total", "partiel"],
            "montant": ["1,50", "5", "5,01", ""],
            "avoirs": ["0", "1"],
            "confirmation": ["", "oui"],
        },  # fmt: skip
        users=STAFF_USERS,
    ),
    # Issue 17 points 2, 3: a child's file (each view recorded) and who looked at the health sheets.
    "staff:child_file": Route("get", {}, url_kwargs=lambda w: {"pk": w.paolo.pk}, users=STAFF_USERS),
    "staff:health_accesses": Route("get", {"enfant": "id", "page": "int"}, valid=_target, users=STAFF_USERS),
    # Issue 17 points 4, 5: the documents to check (decision, file) and the absences to decide (A's; B's: 404).
    "staff:documents": Route(
        "get",
        {"page": "int", "type": "id", "famille": "text"},
        valid=lambda w: {"type": [str(w.document_a.doc_type_id), str(w.document_b.doc_type_id)]},
        users=STAFF_USERS,
    ),
    "staff:document": Route(
        "post",
        {"decision": "choice", "valable_jusqu_au": "date", "quotient": "int", "qf_jusqu_au": "date", "motif": "text"},
        url_kwargs=lambda w: {"pk": w.document_a.pk},
        valid=lambda w: {"decision": ["valider", "refuser"], "valable_jusqu_au": ["2027-11-26", ""]},
        users=STAFF_USERS,
    ),
    "staff:document_file": Route(
        "get",
        {"voir": "choice"},
        url_kwargs=lambda w: {"pk": w.document_a.pk},
        valid=lambda w: {"voir": ["1", ""]},
        users=STAFF_USERS,
    ),
    "staff:absences": Route(
        "get",
        {"page": "int", "etat": "choice", "nom": "text"},
        valid=lambda w: {"etat": ["a_examiner", "justifiee", "non_justifiee", "toutes"]},
        users=STAFF_USERS,
    ),
    "staff:absence_decide": Route(
        "post",
        {"decision": "choice", "remarque": "text"},
        url_kwargs=lambda w: {"pk": w.absence_a.pk},
        valid=lambda w: {"decision": ["justifiee", "non-justifiee"], "remarque": ["Certificat illisible", ""]},
        users=STAFF_USERS,
    ),
}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff_world(world):
    """The shared world plus what the staff screens act on: a booking and a
    waitlisted one on APS MATIN (A), a booking on ALSH (B), a failed e-mail each."""
    w = world
    w.booking_a = make_booking(child=w.paolo, activity=w.aps_a, date=w.opening_a.date, status=BookingStatus.ACCEPTED)
    w.waiting_a = make_booking(child=w.leo, activity=w.aps_a, date=w.opening_a.date, status=BookingStatus.WAITLISTED)
    f.EnrolmentFactory(child=w.leo, activity=w.aps_a)
    w.booking_b = make_booking(child=w.paolo_b, activity=w.alsh_b, date=w.opening_b.date, status=BookingStatus.ACCEPTED)
    for side, structure in (("a", w.a), ("b", w.b)):
        setattr(w, f"email_{side}", OutboxEmail.objects.create(
            kind="test", to=f"parent-{side}@example.org", subject="Compte-rendu", body_text="…",
            structure=structure, status=EmailStatus.FAILED,
        ))  # fmt: skip
        setattr(w, f"message_{side}", FamilyMessage.objects.create(
            structure=structure, subject="Bus en retard", body="…", audience="Réservés le lun. 07/12",
        ))  # fmt: skip
    # A change each family made to its file (issue 17 point 1), for « Vu ».
    w.change_a = FamilyChange.objects.create(family=w.family_a, field_label="Téléphone de la famille", field_key="f")
    w.change_b = FamilyChange.objects.create(family=w.family_b, field_label="Téléphone de la famille", field_key="f")
    # A family of each structure that has left: nothing to come, nothing due (« Anonymiser »).
    w.left_a = f.FamilyFactory(structure=w.a, reference="PARTIE", last_name="PARTIE")
    w.left_b = f.FamilyFactory(structure=w.b, reference="PARTIE", last_name="PARTIE")
    # An issued invoice of each structure (issue 16 point 2), as the invoicing writes it.
    w.invoice_a = make_invoice(w.family_a, number=1)
    w.invoice_b = make_invoice(w.family_b, number=1)
    # A payment at the desk of each (« Annuler ce paiement »).
    w.payment_a = ledger.record_payment(w.family_a, 1, "cash")
    w.payment_b = ledger.record_payment(w.family_b, 1, "cash")
    # A document and an absence of each structure's DUPONT family (issue 17 points 4, 5).
    _documents_and_absences(w)
    return w


def _documents_and_absences(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portail.dossier.absences import declare_absence
    from portail.dossier.documents import store_document
    from portail.dossier.models import DocumentType

    for side, family, child, day in (
        ("a", w.family_a, w.paolo, w.opening_a.date),
        ("b", w.family_b, w.paolo_b, w.opening_b.date),
    ):
        insurance = DocumentType.objects.create(structure=family.structure, name="Assurance")
        pdf = SimpleUploadedFile("assurance.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        setattr(w, f"document_{side}", store_document(family, pdf, doc_type=insurance, uploaded_by=w.dupont))
        setattr(w, f"absence_{side}", declare_absence(family, child, start=day, end=day, reason="illness",
                                                      declared_by=w.dupont))  # fmt: skip


def _client(world, user, htmx):
    client = Client(**(HTMX if htmx else {}))
    client.force_login(getattr(world, user))
    return client


@pytest.mark.parametrize("name", sorted(ROUTES))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draw=st.data())
def test_hostile_parameters_never_crash_nor_change_anything_when_refused(staff_world, name, draw):
    route = ROUTES[name]
    data = draw.draw(params(route.fields, route.valid(staff_world) if route.valid else None), label="data")
    user = draw.draw(st.sampled_from(route.users), label="user")
    htmx = draw.draw(st.booleans(), label="htmx")
    client = _client(staff_world, user, htmx)
    url = reverse(name, kwargs=route.url_kwargs(staff_world) if route.url_kwargs else None)
    before = fingerprint()
    check_answer(send(client, route, url, data), data, f"{name} as {user} htmx={htmx} with {data!r:.300}", before)


# A request CarteVille's staff would send, that gets past every check: the
# fuzz below spoils one or two of its fields at a time, so that hostile values
# also reach the code after validation (a huge number of places reached the
# database on 3472ea3, where a fully random request never gets that far).
def _base(w):
    action = {"activite": str(w.aps_a.pk), "date": DAY, "motif": "Demande de la famille", "vue": str(w.aps_a.pk)}
    booking = {"reservation": str(w.booking_a.pk), "motif": "Demande de la famille", "vue": ""}
    return {
        "staff:index": {},
        "staff:planning": {"date": DAY, "activite": str(w.aps_a.pk)},
        "staff:book": {**action, "enfant": str(w.leo.pk), "arrivee": "", "depart": ""},
        "staff:cancel": booking,
        "staff:promote": {**booking, "reservation": str(w.waiting_a.pk)},
        "staff:capacity": {**action, "places": "2", "places_attente": "1"},
        "staff:close": {**action, "confirmation": "oui"},
        "staff:close_day": {
            "date": DAY,
            "structure": str(w.a.pk),
            "activite": str(w.aps_a.pk),
            "motif": "Grève",
            "confirmation": "oui",
            "action": "fermer",
        },
        "staff:call_list": {"date": DAY, "structure": str(w.a.pk)},
        "staff:sheet": {"date": DAY, "activite": str(w.aps_a.pk), "format": "pdf"},
        "staff:meals": {"semaine": DAY},
        "staff:day_audit": {"activite": str(w.aps_a.pk), "date": DAY},
        "staff:roll_call": {"date": TODAY, "activite": str(w.aps_a.pk), "age": "6plus", "recherche": "dupont"},
        "staff:mark": {"activite": str(w.aps_a.pk), "date": TODAY, "enfant": str(w.paolo.pk), "presence": "present"},
        "staff:all_present": {"activite": str(w.aps_a.pk), "date": TODAY, "classe": "CE2"},
        "staff:runs": {"structure": str(w.a.pk), "page": "1"},
        "staff:start_run": {"structure": str(w.a.pk)},
        "staff:emails": {"etat": "failed", "page": "1"},
        "staff:resend_email": {"etat": "failed", "confirmation": "oui"},
        "staff:messages": {"page": "1"},
        "staff:message_new": {
            "destinataires": "jour",
            "activite": str(w.aps_a.pk),
            "date": DAY,
            "objet": "Bus en retard",
            "message": "Le bus aura 20 minutes de retard.",
        },
        "staff:message_detail": {},
        "staff:fill_rates": {"activite": str(w.aps_a.pk), "mois": "2026-12", "format": "csv"},
        "staff:caf": {"structure": str(w.a.pk), "du": "2026-12-01", "au": "2026-12-31", "format": "xlsx"},
        "staff:regie": {"structure": str(w.a.pk), "recherche": "dup", "page": "1"},
        "staff:regie_family": {},
        "staff:regie_payment": {
            "famille": str(w.family_a.pk),
            "moyen": "cheque",
            "montant": "12,50",
            "recu": "CHQ 1",
            "recu_le": TODAY,
            "remarque": "",
            "dernier": str(w.payment_a.pk),
            "confirme": "1250",
        },
        "staff:regie_cancel_payment": {"motif": "Erreur de saisie"},
        "staff:regie_reminders": {"structure": str(w.a.pk)},
        "staff:regie_send_reminders": {"structure": str(w.a.pk)},
        "staff:regie_print_list": {"structure": str(w.a.pk), "format": "csv", "tout": "1"},
        "staff:regie_mark_printed": {"structure": str(w.a.pk), "facture": "1"},
        "staff:regie_exports": {
            "structure": str(w.a.pk),
            "du": "2026-10-01",
            "au": "2026-12-31",
            "documents": "paiements",
            "format": "xlsx",
        },
        "staff:family_audit": {"page": "1"},
        "staff:anonymise_family": {"confirmer": "on"},
        "staff:export_family_data": {},
        "staff:family_changes": {"page": "1", "etat": "toutes", "famille": "DUP"},
        "staff:change_seen": {},
        "staff:family_changes_seen": {},
        "staff:booking_audit": {"page": "1"},
        "staff:billing": {"mois": "2026-11", "structure": str(w.a.pk), "page": "1"},
        # October: November is not over on TODAY (a month is invoiced once it has ended).
        "staff:billing_issue": {"mois": "2026-10", "structure": str(w.a.pk), "confirmation": "oui"},
        "staff:invoices": {
            "structure": str(w.a.pk),
            "mois": "2026-11",
            "etat": "a_payer",
            "recherche": "dupont",
            "page": "1",
        },  # fmt: skip
        "staff:invoice": {},
        "staff:invoice_pdf": {},
        "staff:credit_note": {
            "etendue": "partiel",
            "montant": "1,50",
            "motif": "Absence justifiée",
            "avoirs": "0",
            "confirmation": "oui",
        },  # fmt: skip
        "staff:child_file": {},
        "staff:health_accesses": {"enfant": str(w.paolo.pk), "page": "1"},
        "staff:documents": {"page": "1", "famille": "DUP"},
        "staff:document": {"decision": "valider", "valable_jusqu_au": "2027-11-26"},
        "staff:document_file": {"voir": "1"},
        "staff:absences": {"page": "1", "etat": "toutes", "nom": "DUPONT"},
        "staff:absence_decide": {"decision": "justifiee", "remarque": ""},
    }


@st.composite
def spoiled(draw, route, base):
    """`base` with one or two of its fields missing, repeated or hostile."""
    data = dict(base)
    names = draw(st.lists(st.sampled_from(sorted(route.fields)), min_size=1, max_size=2, unique=True), label="spoilt")
    for name in names:
        how = draw(st.sampled_from(["hostile", "hostile", "missing", "repeated"]), label=f"{name} is")
        value = hostile(route.fields[name])
        if how == "missing":
            data.pop(name, None)
        elif how == "repeated":
            data[name] = [data.get(name, ""), draw(value, label=name)]
        else:
            data[name] = draw(value, label=name)
    return data


def test_every_route_has_a_valid_request():
    assert set(_base(SimpleNamespace(**dict.fromkeys(_BASE_ATTRS, SimpleNamespace(pk=1))))) == set(ROUTES)


_BASE_ATTRS = ("aps_a", "booking_a", "waiting_a", "leo", "paolo", "a", "family_a", "payment_a")


@pytest.mark.parametrize("name", sorted(name for name, route in ROUTES.items() if route.fields))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draw=st.data())
def test_one_spoilt_field_in_a_valid_request_never_crashes_nor_changes_anything_when_refused(staff_world, name, draw):
    route = ROUTES[name]
    base = _base(staff_world)[name]
    data = draw.draw(spoiled(route, base), label="data")
    htmx = draw.draw(st.booleans(), label="htmx")
    client = _client(staff_world, "staff_a", htmx)
    url = reverse(name, kwargs=route.url_kwargs(staff_world) if route.url_kwargs else None)
    before = fingerprint()
    check_answer(send(client, route, url, data), data, f"{name} htmx={htmx} with {data!r:.300}", before)


def _nasty_for(kind):
    """The known-bad values that fit a parameter's kind (numbers for ids and
    counts, calendar values for dates and times, the rest for text)."""
    calendar = [v for v in NASTY_STRINGS if re.fullmatch(r"-?[\d:+-]+", v) and (":" in v or "-" in v[1:])]
    numbers = [v for v in NASTY_STRINGS if re.fullmatch(r"[\w.+-]{0,20}", v.strip(), re.ASCII) and v not in calendar]
    text = [v for v in NASTY_STRINGS if v not in calendar and v not in numbers]
    return {"int": numbers, "id": numbers, "date": calendar, "month": calendar, "time": calendar}.get(kind, text)


@pytest.mark.parametrize("name", sorted(name for name, route in ROUTES.items() if route.fields))
def test_each_known_bad_value_in_each_field_of_a_valid_request(staff_world, name):
    """Systematic where hypothesis samples: every value of issue 12's list, in
    every field of a request that is otherwise valid, as CarteVille's staff."""
    route = ROUTES[name]
    client = _client(staff_world, "staff_a", htmx=False)
    url = reverse(name, kwargs=route.url_kwargs(staff_world) if route.url_kwargs else None)
    for field_name, kind in route.fields.items():
        for value in _nasty_for(kind):
            data = {**_base(staff_world)[name], field_name: value}
            before = fingerprint()
            check_answer(send(client, route, url, data), data, f"{name} with {field_name}={value!r:.80}", before)


def test_the_known_bad_values_are_split_by_kind():
    assert {"99999999999999999999", "2147483648", "NaN", ""} <= set(_nasty_for("int"))
    assert {"0001-01-01", "9999-12-31", "0001-01", "2026-00", "24:00", "12:00:00+05:00"} <= set(_nasty_for("date"))
    assert {"A" * 100_000, "DUPONT\r\nJean", "\x00", "<script>alert(1)</script>"} <= set(_nasty_for("text"))


# Screens of a structure manager only (CarteVille's agent gets a 403): their valid request is the administrator's.
MANAGER_ONLY = {"staff:health_accesses", "staff:anonymise_family", "staff:export_family_data"}


def test_the_valid_requests_are_valid(staff_world):
    """The fuzz above starts from requests that work (else it would only fuzz refusals)."""
    client = _client(staff_world, "staff_a", htmx=False)
    manager = _client(staff_world, "admin", htmx=False)
    for name, data in _base(staff_world).items():
        route = ROUTES[name]
        url = reverse(name, kwargs=route.url_kwargs(staff_world) if route.url_kwargs else None)
        # Each from the same world: "staff:close" must not close the day "staff:close_day" then closes.
        with transaction.atomic():
            status = send(manager if name in MANAGER_ONLY else client, route, url, data).status_code
            transaction.set_rollback(True)
        assert status in (200, 302), name


# URL arguments: <int:pk> takes any digits, up to ids no column holds.
PATH_ARGUMENTS = {name: st.integers(min_value=0, max_value=2**70) for name, r in ROUTES.items() if r.url_kwargs}
OWN_OBJECTS = {
    "staff:resend_email": ("email_a", "email_b"),
    "staff:message_detail": ("message_a", "message_b"),
    "staff:family_audit": ("family_a", "family_b"),
    "staff:regie_family": ("family_a", "family_b"),
    "staff:regie_cancel_payment": ("payment_a", "payment_b"),
    "staff:anonymise_family": ("left_a", "left_b"),
    "staff:export_family_data": ("family_a", "family_b"),
    "staff:change_seen": ("change_a", "change_b"),
    "staff:family_changes_seen": ("family_a", "family_b"),
    "staff:booking_audit": ("booking_a", "booking_b"),
    "staff:invoice": ("invoice_a", "invoice_b"),
    "staff:invoice_pdf": ("invoice_a", "invoice_b"),
    "staff:credit_note": ("invoice_a", "invoice_b"),
    "staff:child_file": ("paolo", "paolo_b"),
    "staff:document": ("document_a", "document_b"),
    "staff:document_file": ("document_a", "document_b"),
    "staff:absence_decide": ("absence_a", "absence_b"),
}

# What a POST on an own object needs to succeed (the other structure's is a 404 whatever it sends).
OWN_DATA = {
    "staff:credit_note": {"etendue": "total", "motif": "Absence justifiée", "avoirs": "0", "confirmation": "oui"},
    "staff:document": {"decision": "valider"},
    "staff:absence_decide": {"decision": "justifiee"},
    "staff:regie_cancel_payment": {"motif": "Erreur de saisie"},
}


def test_every_route_with_url_arguments_has_their_strategies():
    assert set(PATH_ARGUMENTS) == set(OWN_OBJECTS)


@pytest.mark.parametrize("name", sorted(PATH_ARGUMENTS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draw=st.data())
def test_hostile_url_arguments_never_crash(staff_world, name, draw):
    pk = draw.draw(PATH_ARGUMENTS[name], label="pk")
    user = draw.draw(st.sampled_from(("staff_a", "staff_b")), label="user")
    client = _client(staff_world, user, htmx=False)
    before = fingerprint()
    response = send(client, ROUTES[name], reverse(name, kwargs={"pk": pk}), {})
    check_answer(response, {}, f"{name} pk={pk} as {user}", before)


@pytest.mark.parametrize("name", sorted(OWN_OBJECTS))
def test_the_other_structures_object_is_not_found(staff_world, name):
    """Scoping holds whatever the values: B's object is a 404 for A's staff, as a missing one."""
    own, other = (getattr(staff_world, attr) for attr in OWN_OBJECTS[name])
    client = _client(staff_world, "staff_a", htmx=False)
    send = client.post if ROUTES[name].method == "post" else client.get
    before = fingerprint()
    assert send(reverse(name, kwargs={"pk": other.pk})).status_code == 404
    assert send(reverse(name, kwargs={"pk": 2**63})).status_code == 404
    assert fingerprint() == before
    # CarteVille's agent finds its own object; a manager's screen then refuses the agent.
    own_status = (403,) if name in MANAGER_ONLY else (200, 302)
    assert send(reverse(name, kwargs={"pk": own.pk}), OWN_DATA.get(name, {})).status_code in own_status


# ------------------------------------------------------------------ exact cases of issue 12


@pytest.fixture
def agent_a(staff_world):
    return _client(staff_world, "staff_a", htmx=False)


def _capacity(world, **values):
    return {"activite": world.aps_a.pk, "date": DAY, "motif": "Sortie annulée", "vue": "", **values}


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({"places": "99999999999999999999"}, id="places-99999999999999999999"),
        pytest.param({"places": "2147483648"}, id="places-2147483648-beyond-postgresql-integer"),
        pytest.param({"places": "10001"}, id="places-10001"),
        pytest.param({"places": "-1"}, id="places-negative"),
        pytest.param({"places": "1e3"}, id="places-1e3"),
        pytest.param({"places": "2", "places_attente": "99999999999999999999"}, id="waiting-list-huge"),
    ],
)
def test_capacity_out_of_range_is_a_french_400_and_changes_nothing(agent_a, staff_world, values):
    before = fingerprint()
    response = agent_a.post(reverse("staff:capacity"), _capacity(staff_world, **values))
    assert response.status_code == 400
    text = response.content.decode()
    assert "indiquez un nombre entier entre 0 et 10" in text
    assert fingerprint() == before


def test_capacity_out_of_range_in_htmx_is_plain_text(staff_world):
    client = _client(staff_world, "staff_a", htmx=True)
    before = fingerprint()
    response = client.post(reverse("staff:capacity"), _capacity(staff_world, places="99999999999999999999"))
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    assert "Places : indiquez un nombre entier" in response.content.decode()
    assert fingerprint() == before


def test_capacity_in_range_still_changes_the_day(agent_a, staff_world):
    response = agent_a.post(reverse("staff:capacity"), _capacity(staff_world, places="10000"))
    assert response.status_code == 302
    assert Opening.objects.get(pk=staff_world.opening_a.pk).capacity == 10_000
    assert OpeningAudit.objects.filter(opening=staff_world.opening_a, note="Sortie annulée").exists()


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({"motif": "A" * 100_000}, id="motif-100KB"),
        pytest.param({"motif": "Malade\r\nSet-Cookie: x=1"}, id="motif-crlf"),
        pytest.param({"motif": "Malade\x00"}, id="motif-nul"),
    ],
)
def test_a_reason_that_no_column_holds_is_refused(agent_a, staff_world, values):
    before = fingerprint()
    data = {"reservation": staff_world.booking_a.pk, "vue": "", **values}
    response = agent_a.post(reverse("staff:cancel"), data)
    assert response.status_code == 400 and "Motif" in response.content.decode()
    assert fingerprint() == before


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
@pytest.mark.parametrize("name", ["staff:planning", "staff:sheet", "staff:roll_call", "staff:meals"])
def test_dates_outside_the_window_are_a_400(agent_a, name, date):
    response = agent_a.get(reverse(name), {"semaine" if name == "staff:meals" else "date": date})
    assert response.status_code == 400
    assert "indiquez un jour entre le 01/01/2000 et le 31/12/2100" in response.content.decode()


@pytest.mark.parametrize("month", ["0001-01", "2026-13", "2026-00", "10000-01"])
def test_months_outside_the_window_are_a_400(agent_a, month):
    response = agent_a.get(reverse("staff:fill_rates"), {"mois": month})
    assert response.status_code == 400 and "Mois invalide" in response.content.decode()


def _stored_code(activity, code):
    """A code as rows stored before the validators could hold it (update() skips them)."""
    Activity.objects.filter(pk=activity.pk).update(code=code)


# Rows stored before the validators; BEL rather than NUL, which PostgreSQL cannot store at all.
HOSTILE_CODES = ['A"B', "AP\r\nSM", "ÉTÉ 🙂", "\x07\x1b[31m", "../../x"]


@pytest.mark.parametrize("code", HOSTILE_CODES)
def test_export_file_names_are_plain_ascii(agent_a, staff_world, code):
    _stored_code(staff_world.aps_a, code)
    Family.objects.filter(pk=staff_world.family_a.pk).update(last_name="DUPONT\r\nJean")
    Child.objects.filter(pk=staff_world.paolo.pk).update(last_name='DU"PONT\r\n\x07', school_class="CE2\x1b")
    pdf = agent_a.get(reverse("staff:sheet"), {"date": DAY, "activite": staff_world.aps_a.pk, "format": "pdf"})
    csv = agent_a.get(
        reverse("staff:fill_rates"), {"activite": staff_world.aps_a.pk, "mois": "2026-12", "format": "csv"}
    )
    for response, disposition, extension in ((pdf, "inline", "pdf"), (csv, "attachment", "csv")):
        assert response.status_code == 200
        header = response["Content-Disposition"]
        prefix, _, name = header.partition('; filename="')
        assert prefix == disposition and name.endswith(f'.{extension}"')
        stem = name[: -len(f'.{extension}"')]
        assert stem and all(c.isascii() and (c.isalnum() or c == "-") for c in stem), header
    assert pdf.content.startswith(b"%PDF")


def test_staff_error_page_escapes_what_it_shows(agent_a):
    response = agent_a.get(reverse("staff:planning"), {"date": '<meta http-equiv="refresh" content="0">'})
    assert response.status_code == 400
    assert b"<meta http-equiv" not in response.content


def test_the_other_structures_activity_stays_a_404_in_actions(agent_a, staff_world):
    before = fingerprint()
    data = _capacity(staff_world, places="3")
    data["activite"] = staff_world.alsh_b.pk
    data["date"] = "2026-12-09"
    assert agent_a.post(reverse("staff:capacity"), data).status_code == 404
    assert fingerprint() == before


def test_a_refused_roll_call_tap_answers_htmx_with_the_french_message(staff_world):
    client = _client(staff_world, "staff_a", htmx=True)
    data = {
        "activite": staff_world.aps_a.pk,
        "date": DAY,
        "enfant": staff_world.paolo.pk,
        "presence": "<b>peut-être</b>",
    }
    before = fingerprint()
    response = client.post(reverse("staff:mark"), data)
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "Indiquez « Présent » ou « Absent »."
    assert fingerprint() == before
