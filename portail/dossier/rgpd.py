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
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portail.booking.models import ACTIVE_STATUSES, Booking, Consumption, Movement
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
    invoices = getattr(family, "invoices", None)
    if invoices is not None:
        due = invoices.filter(kind="invoice", settled_cents__lt=F("total_cents")).count()
        if due:
            reasons.append(
                ngettext(
                    "Il reste %(count)d facture à payer.",
                    "Il reste %(count)d factures à payer.",
                    due,
                )
                % {"count": due}
            )
    return reasons


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
    replaced; e-mails sent to it lose their text. One entry in the family's
    admin history says who did it. Raises AnonymisationRefused (nothing
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
    addresses = {a.email for a in accounts if a.email} | set(
        Guardian.objects.filter(family=family).exclude(email="").values_list("email", flat=True)
    )

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
    for account in accounts:
        if account.is_staff or account.families.exists():
            continue
        account.username = f"anonyme-{account.pk}"
        account.first_name = account.last_name = account.email = ""
        account.is_active = False
        account.set_unusable_password()
        account.save()

    invoices = getattr(family, "invoices", None)
    if invoices is not None:
        invoices.update(family_name=name, family_address="")
        lines = invoices.model._meta.get_field("lines").related_model
        for child_pk, child_name in child_names.items():
            lines.objects.filter(invoice__family=family, child_id=child_pk).update(child_name=child_name)
    payments = getattr(family, "payments", None)
    if payments is not None:
        payments.update(note="")

    if addresses:
        sent = OutboxEmail.objects.filter(structure=family.structure, to__in=addresses)
        sent.exclude(status=EmailStatus.SENT).delete()
        sent.update(to="", subject=name, body_text="", body_html="")

    # The admin histories of the family and its children showed their names.
    for model, pks in ((Family, [family.pk]), (Child, list(child_names))):
        content_type = ContentType.objects.get_for_model(model)
        for pk in pks:
            LogEntry.objects.filter(content_type=content_type, object_id=str(pk)).update(
                object_repr=str(family) if model is Family else child_names[pk], change_message=""
            )
    if actor is not None:
        LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=[family],
            action_flag=CHANGE,
            change_message=_("Famille anonymisée (RGPD) : noms et coordonnées supprimés."),
            single_object=True,
        )
    logger.info("family %s anonymised by %s", family.pk, getattr(actor, "pk", None))


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
