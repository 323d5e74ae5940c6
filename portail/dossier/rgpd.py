"""The family's data rights (issue 17 point 6): what the portal holds about a
family (`family_data`, shown on « Mes données » and downloaded as JSON or
HTML), the anonymisation of a family that has left (`anonymise_family`), and
the retention purge of health data and documents (`purge_expired`, run daily
by the worker and by `manage.py purge_family_data`).

Layering: dossier sits beside billing and never imports it. Invoices and
payments are read through the Family's reverse relations (`family.invoices`,
`family.payments`), which exist whenever the billing app is installed.
"""

import calendar
import datetime
import json
import logging
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portail.booking import rgpd as booking_rgpd
from portail.booking.models import ACTIVE_STATUSES, Booking, Consumption, Movement
from portail.dossier.health import WHERE_RGPD_EXPORT, record_health_view
from portail.dossier.models import (
    Absence,
    AuthorisedPerson,
    Document,
    FamilyChange,
    Guardian,
    HealthSheet,
    PurgeLog,
    private_storage,
)
from portail.notifications.models import EmailStatus, OutboxEmail
from portail.notifications.periodic import claim_today
from portail.structures.models import Child, Family, Structure
from portail.structures.signals import family_anonymisation_obstacles, family_anonymisation_warnings

logger = logging.getLogger(__name__)

# ---- the export -------------------------------------------------------------------

# What each section shows, field by field (the models' verbose names are the
# labels). Never a password hash, a token or a stored file's path.
FAMILY_FIELDS = ["reference", "civility", "last_name", "first_name", "phone", "address", "quotient_familial", "qf_valid_until"]  # fmt: skip
GUARDIAN_FIELDS = ["civility", "last_name", "first_name", "email", "mobile_phone", "home_phone", "work_phone", "address"]  # fmt: skip
ACCOUNT_FIELDS = ["username", "first_name", "last_name", "email", "language", "date_joined", "last_login"]
CHILD_FIELDS = ["first_name", "last_name", "birth_date", "school_class"]
HEALTH_FIELDS = [
    "child", "has_food_allergy", "allergies", "diet", "has_pai", "doctor_name", "doctor_phone",
    "vaccinations_up_to_date", "vaccinations_date", "notes", "updated_at",
]  # fmt: skip
PERSON_FIELDS = ["child", "name", "relationship", "phone", "can_pick_up", "emergency_contact"]
DOCUMENT_FIELDS = ["doc_type", "child", "original_name", "content_type", "size", "uploaded_at", "status", "valid_until", "refusal_reason"]  # fmt: skip
ABSENCE_FIELDS = ["child", "start_date", "end_date", "reason", "comment", "declared_at", "status", "decision_note"]
BOOKING_FIELDS = ["child", "activity", "date", "status", "arrival", "departure", "reason"]
MOVEMENT_FIELDS = ["created_at", "kind", "booking", "outcome", "waiting_position", "reason"]
CONSUMPTION_FIELDS = ["child", "activity", "date", "present", "arrival", "departure"]
CHANGE_FIELDS = ["changed_at", "field_label", "old_value", "new_value"]
INVOICE_FIELDS = ["reference", "kind", "period_start", "period_end", "issued_at", "due_date", "total_cents", "settled_cents", "family_name", "family_address"]  # fmt: skip
PAYMENT_FIELDS = ["received_on", "method", "amount_cents", "receipt_number", "note"]


WIDEST_TABLE = 7  # columns


@dataclass
class Section:
    """One table of the export: a title, its columns' labels, and per row the
    raw values (for JSON) and the shown ones (for the page)."""

    key: str
    title: str
    labels: list[str]
    names: list[str]
    raw_rows: list[dict] = field(default_factory=list)
    shown_rows: list[list[str]] = field(default_factory=list)
    # Per row, a link to download the file (documents only), or "".
    links: list[str] = field(default_factory=list)

    @property
    def wide(self) -> bool:
        """Too many columns for a table on a desktop: shown as a list of records."""
        return len(self.labels) > WIDEST_TABLE

    @property
    def table(self) -> list[tuple[list[tuple[str, str]], str]]:
        """Per row, its (label, shown value) cells and its link: what a template walks."""
        return [
            (list(zip(self.labels, row, strict=True)), link)
            for row, link in zip(self.shown_rows, self.links, strict=True)
        ]


def _label(model, name):
    label = str(model._meta.get_field(name).verbose_name)
    if name.endswith("_cents"):
        # Amounts are shown in euros on the page (raw cents in the JSON): « total (centimes) » -> « total ».
        label = label.rsplit(" (", 1)[0]
    return label[:1].upper() + label[1:]


def _raw(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value)
        return value.isoformat()
    return str(value)


def _shown(obj, name):
    value = getattr(obj, name)
    model_field = obj._meta.get_field(name)
    if model_field.choices:
        return str(getattr(obj, f"get_{name}_display")())
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if name.endswith("_cents"):
        return f"{value / 100:.2f}".replace(".", ",") + " €"
    if isinstance(value, datetime.datetime):
        return f"{timezone.localtime(value):%d/%m/%Y %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, datetime.time):
        return f"{value:%H:%M}"
    return str(value)


def _section(key, title, model, names, objects, link=None):
    section = Section(key=key, title=title, labels=[_label(model, n) for n in names], names=names)
    for obj in objects:
        section.raw_rows.append({n: _raw(getattr(obj, n)) for n in names})
        section.shown_rows.append([_shown(obj, n) for n in names])
        section.links.append(link(obj) if link else "")
    return section


def family_data(family: Family, document_url=None) -> list[Section]:
    """Everything the portal holds about `family`, section by section: the
    family, its parents and accounts (never a password), children, health
    sheets, people allowed to pick up, documents (their description; the
    files through `document_url(document)`), absences, bookings, demandes,
    consumptions, the changes it made, invoices and payments."""
    User = get_user_model()
    children = list(Child.objects.filter(family=family).order_by("birth_date", "pk"))
    sections = [
        _section("family", _("Famille"), Family, FAMILY_FIELDS, [family]),
        _section("guardians", _("Parents"), Guardian, GUARDIAN_FIELDS, Guardian.objects.filter(family=family)),
        _section("accounts", _("Comptes"), User, ACCOUNT_FIELDS, family.accounts.order_by("pk")),
        _section("children", _("Enfants"), Child, CHILD_FIELDS, children),
        _section(
            "health_sheets",
            _("Fiches sanitaires"),
            HealthSheet,
            HEALTH_FIELDS,
            HealthSheet.objects.filter(child__family=family).select_related("child").order_by("child__birth_date"),
        ),
        _section(
            "authorised_people",
            _("Personnes autorisées et à prévenir"),
            AuthorisedPerson,
            PERSON_FIELDS,
            AuthorisedPerson.objects.filter(child__family=family).select_related("child"),
        ),
        _section(
            "documents",
            _("Documents"),
            Document,
            DOCUMENT_FIELDS,
            Document.objects.filter(family=family).select_related("doc_type", "child"),
            link=document_url,
        ),
        _section(
            "absences",
            _("Absences"),
            Absence,
            ABSENCE_FIELDS,
            Absence.objects.filter(family=family).select_related("child"),
        ),
        _section(
            "bookings",
            _("Réservations"),
            Booking,
            BOOKING_FIELDS,
            Booking.objects.filter(child__family=family).select_related("child", "activity").order_by("date", "pk"),
        ),
        _section(
            "movements",
            _("Demandes"),
            Movement,
            MOVEMENT_FIELDS,
            Movement.objects.filter(family=family).select_related("booking__child", "booking__activity"),
        ),
        _section(
            "consumptions",
            _("Présences"),
            Consumption,
            CONSUMPTION_FIELDS,
            Consumption.objects.filter(child__family=family).select_related("child", "activity"),
        ),
        _section(
            "changes",
            _("Modifications faites par la famille"),
            FamilyChange,
            CHANGE_FIELDS,
            FamilyChange.objects.filter(family=family),
        ),
    ]
    # Billing (issue 16) when installed: read through the reverse relations only.
    invoices = getattr(family, "invoices", None)
    if invoices is not None:
        sections.append(_section("invoices", _("Factures et avoirs"), invoices.model, INVOICE_FIELDS, invoices.all()))
    payments = getattr(family, "payments", None)
    if payments is not None:
        sections.append(_section("payments", _("Paiements"), payments.model, PAYMENT_FIELDS, payments.all()))
    return sections


def export_json(family: Family, sections: list[Section]) -> dict:
    """The export as a JSON-ready dict: one list of rows per section."""
    return {
        "structure": family.structure.name,
        "exported_at": timezone.localtime().isoformat(),
        **{section.key: section.raw_rows for section in sections},
    }


# ---- the archive (« Tout télécharger ») ----------------------------------------------

# What the archive holds besides the files: the same export as JSON, and the
# readable page, standalone (no stylesheet, no script, links to the files
# inside the archive).
ARCHIVE_JSON = "donnees.json"
ARCHIVE_HTML = "donnees.html"
ARCHIVE_DOCUMENTS = "documents"
EXPORT_TEMPLATE = "family/rgpd/export.html"
# Kept in memory up to this size, then in a temporary file (documents are up to 5 MB each).
ARCHIVE_IN_MEMORY = 8 * 1024 * 1024


def _readable(text: str, max_length: int = 80) -> str:
    """`text` safe as one part of a file name in an archive: no path
    separator, no control character, no dot in front, at most `max_length`."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" or c in '/\\:*?"<>|' else c for c in text)
    return " ".join(text.split()).strip(". ")[:max_length].strip()


def document_archive_names(documents) -> dict[int, str]:
    """Per document id, its path in the archive: « documents/2026-09-03
    Attestation CAF - Paolo.pdf » (the day it was sent, what it is, the
    child), « (2) », « (3) »… when two would have the same name."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for document in sorted(documents, key=lambda d: (d.uploaded_at, d.pk)):
        what = document.doc_type.name if document.doc_type_id else PurePosixPath(document.original_name).stem
        parts = [f"{timezone.localtime(document.uploaded_at):%Y-%m-%d}", _readable(what) or str(_("Document"))]
        if document.child_id:
            parts.append(f"- {_readable(document.child.first_name, 40)}")
        stem = " ".join(p for p in parts if p)
        extension = PurePosixPath(document.file.name).suffix.lower() or ".bin"
        name, number = f"{stem}{extension}", 1
        while name.casefold() in taken:
            number += 1
            name = f"{stem} ({number}){extension}"
        taken.add(name.casefold())
        names[document.pk] = f"{ARCHIVE_DOCUMENTS}/{name}"
    return names


def export_archive(family: Family, *, viewer=None):
    """Everything `family_data` holds, as one zip: donnees.json, donnees.html
    (the readable page, its document links pointing inside the archive) and
    the family's files under documents/, read from the private storage. A
    file missing from the storage is left out (and logged). Returns a file
    object, positioned at its start, for a FileResponse. `viewer`: the staff
    account that asked (its view of the health sheets is recorded), None for
    the family itself."""
    documents = list(Document.objects.filter(family=family).select_related("doc_type", "child"))
    names = document_archive_names(documents)
    # A document sent meanwhile (by the other parent) is listed without a link, not a 500.
    sections = family_data(family, document_url=lambda document: quote(names.get(document.pk, "")))
    data = export_json(family, sections)
    page = render_to_string(
        EXPORT_TEMPLATE,
        {
            "family": family,
            "sections": sections,
            "retention_months": family.structure.health_data_retention_months,
            "exported_at": timezone.localtime(),
        },
    )
    archive = tempfile.SpooledTemporaryFile(max_size=ARCHIVE_IN_MEMORY)  # noqa: SIM115 (returned open)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(ARCHIVE_JSON, json.dumps(data, ensure_ascii=False, indent=2))
        zipped.writestr(ARCHIVE_HTML, page)
        for document in documents:
            if not document.file:
                continue
            try:
                with private_storage.open(document.file.name, "rb") as stored:
                    # Already compressed (PDF, JPEG, PNG): stored as they are.
                    zipped.writestr(names[document.pk], stored.read(), compress_type=zipfile.ZIP_STORED)
            except OSError:
                logger.warning("document %s: stored file %s missing from the export", document.pk, document.file.name)
    if viewer is not None:
        # A staff export shows the health sheets (recorded like a view of
        # them) and is written in the family's admin history, in the site's language.
        for child in Child.objects.filter(family=family, health__isnull=False).distinct():
            record_health_view(child, viewer, WHERE_RGPD_EXPORT)
        with translation.override(settings.LANGUAGE_CODE):
            LogEntry.objects.log_actions(
                user_id=viewer.pk,
                queryset=[family],
                action_flag=CHANGE,
                change_message=_("Données exportées (RGPD)"),
                single_object=True,
            )
    archive.seek(0)
    return archive


# ---- anonymisation ----------------------------------------------------------------

ANONYMOUS_REFERENCE = "ANON-{pk}"


class AnonymisationRefused(Exception):
    """A family that cannot be anonymised yet; the message says why, in French."""


def is_anonymised(family: Family) -> bool:
    return family.reference == ANONYMOUS_REFERENCE.format(pk=family.pk)


def anonymisation_obstacles(family: Family, today: datetime.date | None = None) -> list[str]:
    """Why `family` cannot be anonymised now (empty: it can). Its bookings to
    come must be cancelled and its invoices paid first: the accounts keep
    both, and nobody could be asked to pay an anonymous invoice."""
    today = today or timezone.localdate()
    if is_anonymised(family):
        return [_("Cette famille est déjà anonymisée.")]
    reasons = []
    coming = Booking.objects.filter(child__family=family, date__gte=today, status__in=ACTIVE_STATUSES).count()
    if coming:
        reasons.append(
            ngettext(
                "Il reste %(count)d réservation à venir : annulez-la d'abord.",
                "Il reste %(count)d réservations à venir : annulez-les d'abord.",
                coming,
            )
            % {"count": coming}
        )
    # The apps beside the family file (billing: invoices due, online
    # payments en cours) say what else prevents it.
    for _receiver, answer in family_anonymisation_obstacles.send(sender=Family, family=family):
        reasons.extend(str(reason) for reason in answer or ())
    return reasons


def anonymisation_warnings(family: Family) -> list[str]:
    """What staff should know before anonymising `family` (e.g. its credit),
    without it preventing the anonymisation."""
    return [
        str(warning)
        for _receiver, answer in family_anonymisation_warnings.send(sender=Family, family=family)
        for warning in answer or ()
    ]


def anonymised_name(family: Family) -> str:
    return _("Famille anonymisée n° %(number)d") % {"number": family.pk}


@transaction.atomic
def anonymise_family(family: Family, actor) -> None:
    """Remove the names and contacts of a family that has left, keeping its
    bookings, consumptions and invoices for the accounts (issue 17 point 6).

    The family gets « Famille anonymisée n° 123 », its children « Enfant 1 »,
    « Enfant 2 »…; its phone, address, QF, parents, changes, health sheets,
    people allowed to pick up and documents (files too) are deleted; its
    accounts are detached (and deactivated, their identity removed, when they
    belong to no other family); the invoices' name and address as printed are
    replaced; e-mails sent to it lose their text. The free text people typed
    on the rows kept goes too (booking reasons, credit notes' reasons, the
    bank's copy of the parent's name and e-mail, the admin history of its
    rows, login records of its accounts): no column of any table keeps a name,
    an e-mail or a phone of the family (tests/dossier/test_rgpd.py checks every
    one). One entry in the family's admin history says who did it. Raises AnonymisationRefused (nothing
    changed) while a booking is to come or an invoice is due."""
    family = Family.objects.select_for_update().get(pk=family.pk)
    obstacles = anonymisation_obstacles(family)
    if obstacles:
        raise AnonymisationRefused(" ".join(obstacles))
    # What is stored is written in the site's language, whoever clicks.
    with translation.override(settings.LANGUAGE_CODE):
        _anonymise(family, actor)


def _anonymise(family: Family, actor) -> None:
    name = anonymised_name(family)
    accounts = list(family.accounts.all())
    guardians = list(Guardian.objects.filter(family=family))
    addresses = (
        {a.email for a in accounts if a.email}
        | {g.email for g in guardians if g.email}
        | set(family.invitations.exclude(email="").values_list("email", flat=True))
    )
    identifiers = _identifiers(family, accounts, guardians, addresses)
    # The rows whose admin history (LogEntry) may name the family, taken
    # before the file is deleted (the history of a deleted row stays).
    history = _history_targets(family)

    _delete_family_file(family)
    Guardian.objects.filter(family=family).delete()
    FamilyChange.objects.filter(family=family).delete()
    Absence.objects.filter(family=family).update(comment="", decision_note="")
    family.invitations.all().delete()
    family.drafts.all().delete()

    children = list(Child.objects.filter(family=family).order_by("birth_date", "pk"))
    child_names = {}
    for number, child in enumerate(children, start=1):
        child.first_name = _("Enfant %(number)d") % {"number": number}
        child.last_name = name
        child.school_class = ""
        # The month of birth is kept: the CAF figures count by age.
        child.birth_date = child.birth_date.replace(day=1)
        child.save(update_fields=["first_name", "last_name", "school_class", "birth_date"])
        child_names[child.pk] = str(child)

    # The purge log names the family by its reference, which may be its name.
    PurgeLog.objects.filter(structure=family.structure, family_reference=family.reference).update(
        family_reference=ANONYMOUS_REFERENCE.format(pk=family.pk)
    )
    family.reference = ANONYMOUS_REFERENCE.format(pk=family.pk)
    family.civility = ""
    family.last_name = name
    family.first_name = ""
    family.phone = ""
    family.address = ""
    family.quotient_familial = None
    family.qf_valid_until = None
    family.save()

    family.accounts.clear()
    erased_accounts = {}
    for account in accounts:
        if account.is_staff or account.families.exists():
            continue
        logins = {account.username, account.email} - {""}
        account.username = f"anonyme-{account.pk}"
        account.first_name = account.last_name = account.email = ""
        account.is_active = False
        account.set_unusable_password()
        account.save()
        erased_accounts[account.pk] = account.username
        # Its own question (« Ville de naissance de … ? ») and its login records.
        question = getattr(account, "security_question", None)
        if question is not None:
            question.delete()
        _delete_login_records(logins)
    booking_rgpd.scrub_family_texts(family)

    invoices = getattr(family, "invoices", None)
    if invoices is not None:
        invoices.update(family_name=name, family_address="")
        lines = invoices.model._meta.get_field("lines").related_model
        for child_pk, child_name in child_names.items():
            lines.objects.filter(invoice__family=family, child_id=child_pk).update(child_name=child_name)
        # A credit note's reason is staff's free text (« absence de Paolo… »),
        # repeated in its line: the amount and the invoice it corrects stay.
        for credit in invoices.exclude(reason="").select_related("corrects"):
            credit.reason = _("Motif effacé (famille anonymisée)")
            credit.save(update_fields=["reason"])
            if credit.corrects is not None:
                label = _("Avoir sur la facture %(reference)s") % {"reference": credit.corrects.reference}
                credit.lines.update(label=label)
    payments = getattr(family, "payments", None)
    if payments is not None:
        payments.update(note="")
        # Why the régie cancelled a payment is staff's free text too; that it
        # was cancelled, when and by whom stays for the accounts.
        payments.exclude(cancellation_reason="").update(cancellation_reason=_("Motif effacé (famille anonymisée)"))
    online_payments = getattr(family, "online_payments", None)
    if online_payments is not None:
        for online in online_payments.all():
            scrubbed = _scrub_bank_data(online.bank_data, identifiers)
            if scrubbed != online.bank_data:
                online.bank_data = scrubbed
                online.save(update_fields=["bank_data"])

    if addresses:
        to_family = Q()
        for address in addresses:
            to_family |= Q(to__iexact=address)
        sent = OutboxEmail.objects.filter(to_family, structure=family.structure)
        sent.exclude(status=EmailStatus.SENT).delete()
        # The dedupe key and an error message repeat the address.
        sent.update(to="", subject=name, body_text="", body_html="", dedupe_key=None, last_error="")

    # The admin histories of the family's rows showed their names.
    history[Child] = dict(child_names)
    history[Family] = {family.pk: str(family)}
    history[get_user_model()] = erased_accounts
    for model, reprs in history.items():
        entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model))
        for pk, shown in reprs.items():
            if shown:
                entries.filter(object_id=str(pk)).update(object_repr=shown, change_message="")
        unnamed = [str(pk) for pk, shown in reprs.items() if not shown]
        for start in range(0, len(unnamed), 500):
            entries.filter(object_id__in=unnamed[start : start + 500]).update(object_repr=name, change_message="")
    if actor is not None:
        LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=[family],
            action_flag=CHANGE,
            change_message=_("Famille anonymisée (RGPD) : noms et coordonnées supprimés."),
            single_object=True,
        )
    logger.info("family %s anonymised by %s", family.pk, getattr(actor, "pk", None))


def _identifiers(family: Family, accounts, guardians, addresses) -> set[str]:
    """The family's names, e-mails, phones and logins, as they were: what the
    bank's copy of a payment must no longer hold."""
    found = {family.last_name, family.first_name, family.phone, *addresses}
    found |= set(Child.objects.filter(family=family).values_list("first_name", flat=True))
    for guardian in guardians:
        found |= {
            guardian.last_name,
            guardian.first_name,
            guardian.mobile_phone,
            guardian.home_phone,
            guardian.work_phone,
        }
    for account in accounts:
        if not account.is_staff:
            found |= {account.username, account.first_name, account.last_name}
    # A phone is also written without its spaces; a two-letter name would match anything.
    found |= {re.sub(r"\D", "", value) for value in found if sum(c.isdigit() for c in value) >= 8}
    return {value.strip().casefold() for value in found if len(value.strip()) >= 3}


# The keys of a bank's answer that hold a person (e-mail, card holder, name,
# phone, address, IP); amounts, order and transaction ids, results are kept.
PERSONAL_KEY = re.compile(r"mail|name|nom|holder|porteur|phone|tel|addr|adresse|prenom|^ip$", re.IGNORECASE)


def _scrub_bank_data(value, identifiers: set[str], key: str = ""):
    """`value` (an online payment's bank_data) without what names a person:
    values under a personal key, any text holding an e-mail or one of the
    family's identifiers. The rest (amounts, ids, results) is kept as it was."""
    if isinstance(value, dict):
        return {k: _scrub_bank_data(v, identifiers, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_bank_data(v, identifiers, key) for v in value]
    if isinstance(value, str):
        folded = value.casefold()
        if PERSONAL_KEY.search(key) or "@" in value or any(i in folded for i in identifiers):
            return ""
    return value


def _history_targets(family: Family) -> dict:
    """Per model, {pk: None} of the family's rows whose admin history may name it."""
    targets = {
        Guardian: Guardian.objects.filter(family=family),
        HealthSheet: HealthSheet.objects.filter(child__family=family),
        AuthorisedPerson: AuthorisedPerson.objects.filter(child__family=family),
        Document: Document.objects.filter(family=family),
        Absence: Absence.objects.filter(family=family),
        FamilyChange: FamilyChange.objects.filter(family=family),
        Booking: Booking.objects.filter(child__family=family),
    }
    for relation in ("invoices", "payments", "online_payments"):
        related = getattr(family, relation, None)
        if related is not None:
            targets[related.model] = related.all()
    return {model: dict.fromkeys(rows.values_list("pk", flat=True)) for model, rows in targets.items()}


def _delete_login_records(logins: set[str]) -> None:
    """django-axes keeps the identifiant typed at each login and failure."""
    if not logins or not apps.is_installed("axes"):
        return
    typed = Q()
    for login in logins:
        typed |= Q(username__iexact=login)
    for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
        try:
            model = apps.get_model("axes", name)
        except LookupError:
            continue
        model.objects.filter(typed).delete()


def _delete_family_file(family: Family) -> dict[str, int]:
    """Delete the family's health sheets, people allowed to pick up and
    documents; the files go once the transaction commits (a rollback keeps
    them). Returns what was deleted, by kind."""
    sheets = HealthSheet.objects.filter(child__family=family)
    people = AuthorisedPerson.objects.filter(child__family=family)
    documents = Document.objects.filter(family=family)
    stored = [name for name in documents.values_list("file", flat=True) if name]
    counts = {"sheets": sheets.count(), "people": people.count(), "documents": documents.count()}
    # The health sheets and absences point to documents (SET_NULL): delete them first.
    sheets.delete()
    people.delete()
    documents.delete()

    def delete_files():
        for name in stored:
            try:
                private_storage.delete(name)
            except OSError:
                logger.exception("could not delete the stored file %s", name)

    transaction.on_commit(delete_files)
    return counts


# ---- retention purge --------------------------------------------------------------

PURGE_TASK = "dossier.purge"  # its day in notifications.DailyTask


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (that month's last day when shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_activity(families) -> dict[int, datetime.date]:
    """Per family id, the last day something happened: a booked day (one to
    come counts), a consumption, a login of one of its accounts, a change of
    its file (a document sent, a health sheet or a change saved)."""
    last: dict[int, datetime.date] = {}

    def keep(rows):
        for family_id, value in rows:
            if value is None:
                continue
            day = timezone.localdate(value) if isinstance(value, datetime.datetime) else value
            if family_id not in last or day > last[family_id]:
                last[family_id] = day

    ids = [f.pk for f in families]
    keep(Booking.objects.filter(child__family__in=ids).values("child__family").annotate(m=Max("date")).values_list("child__family", "m"))  # fmt: skip
    keep(Consumption.objects.filter(child__family__in=ids).values("child__family").annotate(m=Max("date")).values_list("child__family", "m"))  # fmt: skip
    keep(Family.objects.filter(pk__in=ids).annotate(m=Max("accounts__last_login")).values_list("pk", "m"))
    keep(Document.objects.filter(family__in=ids).values("family").annotate(m=Max("uploaded_at")).values_list("family", "m"))  # fmt: skip
    keep(HealthSheet.objects.filter(child__family__in=ids).values("child__family").annotate(m=Max("updated_at")).values_list("child__family", "m"))  # fmt: skip
    keep(FamilyChange.objects.filter(family__in=ids).values("family").annotate(m=Max("changed_at")).values_list("family", "m"))  # fmt: skip
    return last


def _families_holding_data(structure: Structure):
    return (
        Family.objects.filter(structure=structure)
        .filter(
            models.Q(documents__isnull=False)
            | models.Q(children__health__isnull=False)
            | models.Q(children__authorised_people__isnull=False)
        )
        .distinct()
    )


@dataclass
class Purged:
    family: Family
    what: str


def _describe(counts: dict[str, int]) -> str:
    """« 2 fiches sanitaires, 1 document »: what a purge deleted, for its log."""
    parts = []
    if counts["sheets"]:
        parts.append(ngettext("%(count)d fiche sanitaire", "%(count)d fiches sanitaires", counts["sheets"]) % {"count": counts["sheets"]})  # fmt: skip
    if counts["people"]:
        parts.append(ngettext("%(count)d personne autorisée", "%(count)d personnes autorisées", counts["people"]) % {"count": counts["people"]})  # fmt: skip
    if counts["documents"]:
        parts.append(ngettext("%(count)d document", "%(count)d documents", counts["documents"]) % {"count": counts["documents"]})  # fmt: skip
    return ", ".join(parts)


def purge_expired(now: datetime.datetime | None = None, *, dry_run: bool = False) -> list[Purged]:
    """Delete the health sheets, people allowed to pick up and documents (files
    too) of every family with no activity (see `last_activity`) for its
    structure's `health_data_retention_months`; one PurgeLog row per family
    says what went. With dry_run, only says what would go. Safe to rerun:
    a family purged holds nothing more to purge."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    purged = []
    for structure in Structure.objects.order_by("pk"):
        cutoff = months_before(today, structure.health_data_retention_months)
        families = list(_families_holding_data(structure))
        last = last_activity(families)
        for family in families:
            if last.get(family.pk, datetime.date.min) >= cutoff:
                continue
            if dry_run:
                counts = {
                    "sheets": HealthSheet.objects.filter(child__family=family).count(),
                    "people": AuthorisedPerson.objects.filter(child__family=family).count(),
                    "documents": Document.objects.filter(family=family).count(),
                }
                purged.append(Purged(family, _describe(counts)))
                continue
            with transaction.atomic():
                counts = _delete_family_file(family)
                with translation.override(settings.LANGUAGE_CODE):
                    what = _describe(counts)
                PurgeLog.objects.create(at=now, structure=structure, family_reference=family.reference, what=what)
            purged.append(Purged(family, what))
    return purged


def purge_daily(sender, now, **kwargs):
    """worker_pass receiver: the retention purge, once a day (the day of the
    day is kept in the database by notifications.periodic; a second run the
    same day would find nothing more anyway). Returns the worker's log line, or None."""
    if not claim_today(PURGE_TASK, timezone.localdate(now)):
        return None
    purged = purge_expired(now)
    if not purged:
        return None
    return ngettext(
        "Purge des données (RGPD) : %(count)d famille.",
        "Purge des données (RGPD) : %(count)d familles.",
        len(purged),
    ) % {"count": len(purged)}
