"""Bulk import of families, accounts, children and enrolments (B4).

A file is read (`parse_file`), checked as a whole against one structure
(`validate`), and written only when it has no error at all (`apply`), in one
transaction. Rows are matched on natural keys, so importing the same file
again changes nothing:

- family: (structure, reference)
- child: (family, first name, birth date)
- enrolment: (child, activity, start date)
- account: username — an existing account is linked, never overwritten.

Accounts never cross a structure without their owner (issue 12): the import
creates accounts, and links existing ones only when they already open a family
of the importing staff member's structures (for the site administrator: of the
structure imported into). Any other existing identifiant is a line error that
says only "Identifiant déjà pris", the same words whatever the account is, and
nothing about that account is read, shown, counted or changed. A parent joins
another structure by accepting an invitation (portail/accounts/invitations.py).
An account that also opens a family outside those structures is linked but
never changed (its e-mail is where its recovery link goes).

Passwords are never imported: a new account gets an unusable password and the
parent chooses one through an invitation (A1). Staff and administrator
accounts are never linked to a family: that would put them in the scope of the
structure's staff, who can edit the accounts of their families.

Every lookup is done up front in a handful of queries and every write is a
bulk query, so the cost does not grow with one query per line.
"""

import codecs
import csv
import datetime
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from portail.lib.validators import validate_date_window, validate_single_line
from portail.structures.models import Activity, Child, Civility, Enrolment, Family

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
MAX_SCANNED_LINES = 10 * MAX_LINES  # blank lines included
MAX_COLUMNS = 50
MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    example: str


COLUMNS = [
    Column("reference_famille", True, "Code de la famille dans la structure. Les lignes de même code sont réunies.", "F001"),
    Column("civilite", True, "Civilité du contact principal : M. ou Mme.", "Mme"),
    Column("nom", True, "Nom du contact principal de la famille.", "DUPONT"),
    Column("prenom", True, "Prénom du contact principal de la famille.", "Marie"),
    Column("identifiant", False, "Identifiant d'un compte qui accède à la famille. Un compte existant d'une famille de vos structures est rattaché ; un identifiant pris ailleurs est refusé.", "marie.dupont"),
    Column("email", False, "Adresse e-mail de ce compte (pour l'invitation).", "marie.dupont@example.org"),
    Column("compte_nom", False, "Nom du titulaire du compte ; par défaut, la colonne nom.", "DUPONT"),
    Column("compte_prenom", False, "Prénom du titulaire du compte ; par défaut, la colonne prenom.", "Marie"),
    Column("enfant_prenom", False, "Prénom d'un enfant de la famille.", "Paolo"),
    Column("enfant_nom", False, "Nom de cet enfant.", "DUPONT"),
    Column("enfant_naissance", False, "Date de naissance de cet enfant, JJ/MM/AAAA.", "02/05/2017"),
    Column("activite", False, "Code d'une activité de la structure où inscrire cet enfant.", "APSM"),
    Column("inscription_debut", False, "Début de l'inscription, JJ/MM/AAAA ; par défaut, le début de la période de réservation.", ""),
    Column("inscription_fin", False, "Fin de l'inscription, JJ/MM/AAAA ; par défaut, la fin de la période de réservation.", ""),
]  # fmt: skip
COLUMN_NAMES = [c.name for c in COLUMNS]
REQUIRED_COLUMNS = [c.name for c in COLUMNS if c.required]
HEADER_ALIASES = {"e_mail": "email", "courriel": "email", "mail": "email"}
CHILD_COLUMNS = ("enfant_prenom", "enfant_nom", "enfant_naissance")
ACCOUNT_DETAIL_COLUMNS = ("email", "compte_nom", "compte_prenom")

EXAMPLE_ROWS = [
    ["F001", "Mme", "DUPONT", "Marie", "marie.dupont", "marie.dupont@example.org", "", "", "Paolo", "DUPONT", "02/05/2017", "APSM", "", ""],
    ["F001", "Mme", "DUPONT", "Marie", "jp.dupont", "jp.dupont@example.org", "DUPONT", "Jean-Paul", "Paolo", "DUPONT", "02/05/2017", "REST", "01/09/2026", "03/07/2027"],
    ["F001", "Mme", "DUPONT", "Marie", "", "", "", "", "Amalia", "DUPONT", "21/08/2019", "", "", ""],
    ["F002", "M.", "MARTIN", "Luc", "luc.martin", "", "", "", "Léo", "MARTIN", "14/03/2018", "APSM", "", ""],
]  # fmt: skip

# The one answer for an identifiant the import may not use, whoever owns it:
# the words of any sign-up form, so the preview tells nothing more.
UNAVAILABLE_USERNAME = "Identifiant déjà pris : choisissez-en un autre"

UNREADABLE = (
    "Fichier illisible : importez un fichier CSV (séparateur « ; » ou « , ») ou un classeur Excel au format .xlsx."
)

_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# Control characters never found in a real CSV; their presence means binary data.
_BINARY_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message is for the user, in French."""


@dataclass(frozen=True)
class _Elsewhere:
    """An existing account outside the importer's structures: its id and
    identifiant only, never shown; the line just says "Identifiant déjà pris"."""

    pk: int
    username: str


@dataclass(frozen=True)
class Row:
    """One line of the file: its number as a spreadsheet shows it, and its cells by column."""

    line: int
    values: dict

    def get(self, column):
        return self.values.get(column, "")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str


@dataclass
class ImportCounts:
    families_created: int = 0
    families_updated: int = 0
    children_created: int = 0
    children_updated: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    accounts_linked: int = 0
    enrolments_created: int = 0
    enrolments_updated: int = 0

    @property
    def changes(self):
        return sum(vars(self).values())


@dataclass
class AccountPlan:
    username: str
    last_name: str
    first_name: str
    email: str
    line: int
    names_explicit: bool
    existing: object = None
    instance: object = None
    # Also opens a family outside the importer's structures: linked, never changed.
    shared_beyond: bool = False


@dataclass
class EnrolmentPlan:
    activity: Activity
    start_date: datetime.date
    end_date: datetime.date
    line: int
    existing: Enrolment | None = None


@dataclass
class ChildPlan:
    first_name: str
    last_name: str
    birth_date: datetime.date
    line: int
    existing: Child | None = None
    instance: Child | None = None
    enrolments: dict = field(default_factory=dict)


@dataclass
class FamilyPlan:
    reference: str
    civility: str
    last_name: str
    first_name: str
    line: int
    existing: Family | None = None
    instance: Family | None = None
    usernames: list = field(default_factory=list)
    children: dict = field(default_factory=dict)


@dataclass
class ImportPlan:
    """What an import would do to one structure; `apply` it only when `errors` is empty."""

    structure: object
    line_count: int = 0
    errors: list = field(default_factory=list)
    families: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    counts: ImportCounts = field(default_factory=ImportCounts)
    new_links: set = field(default_factory=set)
    notices: list = field(default_factory=list)

    @property
    def is_valid(self):
        return not self.errors


# --- Reading the file --------------------------------------------------------


def parse_file(uploaded_name, data):
    """The data rows of a CSV or XLSX file, with their spreadsheet line numbers.

    Raises ImportFileError, with a French message, when the file cannot be read
    as a table with the expected header.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError("Fichier trop volumineux : 5 Mo au plus.")
    if not data.strip():
        raise ImportFileError("Le fichier est vide.")
    extension = uploaded_name.rsplit(".", 1)[-1].lower() if "." in uploaded_name else ""
    if data.startswith(b"\xd0\xcf\x11\xe0") or extension == "xls":
        raise ImportFileError(
            "Le format Excel 97-2003 (.xls) n'est pas accepté : enregistrez le classeur au format .xlsx ou CSV."
        )
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data)
    elif extension in ("csv", "txt", ""):
        table = _read_csv(data)
    else:
        raise ImportFileError(UNREADABLE)
    return _rows_from_table(table)


def _read_csv(data):
    text = _decode(data)
    if _BINARY_RE.search(text):
        raise ImportFileError(UNREADABLE)
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return list(_limited(record[:MAX_COLUMNS] for record in reader))
    except csv.Error:
        raise ImportFileError(UNREADABLE) from None


def _decode(data):
    # Excel in France saves "CSV" as cp1252, and "Texte Unicode" as UTF-16
    # with a byte order mark; latin-1 accepts any byte, so it comes last and
    # binary data is caught by the control-character check.
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(UNREADABLE)


def _read_xlsx(data):
    from openpyxl import load_workbook

    try:
        # Declared sizes bound what zipfile will inflate: this refuses zip bombs.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(UNREADABLE) from None
    if inflated > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise ImportFileError("Classeur trop volumineux une fois décompressé : enregistrez-le au format CSV.")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged archive raises anything from zipfile, lxml or openpyxl
        raise ImportFileError(UNREADABLE) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError("Le classeur ne contient aucune feuille.")
        sheet = workbook.worksheets[0]
        return list(_limited(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)))
    finally:
        workbook.close()


def _limited(records):
    """(line number, cells) of the non-blank records, the header first.

    Blank lines are common (Excel, editors) and are skipped but still numbered,
    so that line numbers match what a spreadsheet shows. Memory stays bounded
    whatever the file holds.
    """
    too_long = ImportFileError(f"Fichier trop long : {MAX_LINES} lignes au plus, en plus de l'en-tête.")
    kept = 0
    for line, record in enumerate(records, start=1):
        if line > MAX_SCANNED_LINES:
            raise too_long
        if any(_cell_text(v) for v in record):
            kept += 1
            if kept > MAX_LINES + 1:
                raise too_long
            yield line, record


def _normalise_header(value):
    text = unicodedata.normalize("NFKD", _cell_text(value)).encode("ascii", "ignore").decode().lower()
    name = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return HEADER_ALIASES.get(name, name)


def _rows_from_table(table):
    if not table:
        raise ImportFileError("Le fichier est vide.")
    header_line, header = table[0]
    header = [_normalise_header(v) for v in header]
    problems = []
    unknown = [h for h in header if h and h not in COLUMN_NAMES]
    if unknown:
        shown = ", ".join(f"« {h} »" for h in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        problems.append("colonnes inconnues : " + shown)
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        problems.append("colonnes en double : " + ", ".join(f"« {h} »" for h in duplicated))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append("colonnes obligatoires absentes : " + ", ".join(f"« {c} »" for c in missing))
    if problems:
        raise ImportFileError(
            f"En-tête (ligne {header_line}) incorrect — "
            + " ; ".join(problems)
            + ". Reprenez les noms de colonnes du modèle."
        )
    rows = []
    for line, record in table[1:]:
        values = {}
        for name, value in zip(header, record, strict=False):
            if name:
                if isinstance(value, datetime.datetime):
                    value = value.date()
                values[name] = value if isinstance(value, datetime.date) else _cell_text(value)
        if any(v for v in values.values()):
            rows.append(Row(line, values))
    if not rows:
        raise ImportFileError("Le fichier ne contient aucune ligne après l'en-tête.")
    return rows


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


# --- Checking it against the structure ---------------------------------------


def validate(structure, rows, *, own_structure_ids=None):
    """Check every row against `structure` and plan the writes.

    Collects all errors as RowError(line, column, reason) rather than stopping
    at the first, and counts what `apply` would create or update.

    `own_structure_ids` are the structures of the staff member importing: an
    existing account may be linked only if it already opens a family of one of
    them. By default (and for the site administrator) only `structure` itself,
    so that no import ever moves an account across structures.
    """
    own = frozenset(own_structure_ids or ()) | {structure.pk}
    return _Validator(structure, rows, own).run()


class _Validator:
    def __init__(self, structure, rows, own_structure_ids):
        self.structure = structure
        self.own_structure_ids = own_structure_ids
        self.rows = rows
        self.plan = ImportPlan(structure=structure, line_count=len(rows))
        self.today = timezone.localdate()

    def error(self, row, column, reason):
        self.plan.errors.append(RowError(row.line, column, reason))

    def run(self):
        self.load_activities()
        cleaned = [(row, self.clean_row(row)) for row in self.rows]
        self.load_existing(cleaned)
        for row, data in cleaned:
            if data is not None:
                self.merge(row, data)
        self.count()
        order = {name: i for i, name in enumerate(COLUMN_NAMES)}
        self.plan.errors.sort(key=lambda e: (e.line, order.get(e.column, 99)))
        return self.plan

    # Per-line checks, no cross-line knowledge yet.

    def load_activities(self):
        activities = list(Activity.objects.filter(structure=self.structure))
        self.activities = {a.code: a for a in activities}
        by_folded = {}
        for activity in activities:
            by_folded.setdefault(activity.code.casefold(), []).append(activity)
        self.activities_folded = {code: found[0] for code, found in by_folded.items() if len(found) == 1}

    def clean_row(self, row):
        errors_before = len(self.plan.errors)
        data = {}
        data["reference"] = self.text(row, "reference_famille", 50, required=True)
        data["civility"] = self.civility(row)
        data["last_name"] = self.text(row, "nom", 100, required=True)
        data["first_name"] = self.text(row, "prenom", 100, required=True)
        data["account"] = self.account(row, data)
        data["child"] = self.child(row)
        data["enrolment"] = self.enrolment(row, data["child"])
        return data if len(self.plan.errors) == errors_before else None

    def text(self, row, column, max_length, required=False):
        value = row.get(column)
        if isinstance(value, datetime.date):
            value = _cell_text(value)
        if not value:
            if required:
                self.error(row, column, "Obligatoire")
            return ""
        if len(value) > max_length:
            self.error(row, column, f"Trop long : {max_length} caractères au plus")
        # The models' validators (issue 12): no line break or invisible character in a name.
        try:
            validate_single_line(value)
        except ValidationError as error:
            self.error(row, column, error.messages[0].rstrip("."))
        return value

    def civility(self, row):
        value = row.get("civilite")
        if not value:
            self.error(row, "civilite", "Obligatoire")
            return ""
        normalised = {"m.": Civility.MR, "m": Civility.MR, "mme": Civility.MRS}.get(str(value).casefold())
        if normalised is None:
            self.error(row, "civilite", f"Civilité invalide : « {value} » (attendu M. ou Mme)")
            return ""
        return str(normalised)

    def date(self, row, column):
        value = row.get(column)
        if isinstance(value, datetime.date):
            return value
        if not value:
            return None
        match = _DATE_RE.match(value)
        try:
            if not match:
                raise ValueError
            day, month, year = (int(g) for g in match.groups())
            parsed = datetime.date(year, month, day)
        except ValueError:
            self.error(row, column, f"Date invalide : « {value} » (attendu JJ/MM/AAAA)")
            return None
        try:
            validate_date_window(parsed)
        except ValidationError as error:
            self.error(row, column, error.messages[0].rstrip("."))
            return None
        return parsed

    def account(self, row, data):
        user_model = get_user_model()
        username = self.text(row, "identifiant", user_model._meta.get_field("username").max_length)
        if not username:
            for column in ACCOUNT_DETAIL_COLUMNS:
                if row.get(column):
                    self.error(row, column, "Renseigné sans identifiant de compte")
            return None
        username = user_model.normalize_username(username)
        try:
            user_model.username_validator(username)
        except ValidationError:
            self.error(
                row,
                "identifiant",
                f"Identifiant invalide : « {username} » (lettres, chiffres et @ . + - _ seulement, sans espace)",
            )
        email = self.text(row, "email", 254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.error(row, "email", f"Adresse e-mail invalide : « {email} »")
            email = BaseUserManager.normalize_email(email)
        last_name = self.text(row, "compte_nom", 150)
        first_name = self.text(row, "compte_prenom", 150)
        return AccountPlan(
            username=username,
            last_name=last_name or data["last_name"],
            first_name=first_name or data["first_name"],
            email=email,
            line=row.line,
            names_explicit=bool(last_name or first_name),
        )

    def child(self, row):
        given = [c for c in CHILD_COLUMNS if row.get(c)]
        if not given:
            return None
        for column in CHILD_COLUMNS:
            if column not in given:
                self.error(row, column, "Obligatoire quand un enfant est indiqué sur la ligne")
        first_name = self.text(row, "enfant_prenom", 100)
        last_name = self.text(row, "enfant_nom", 100)
        birth_date = self.date(row, "enfant_naissance")
        if birth_date and birth_date > self.today:
            self.error(row, "enfant_naissance", "Date de naissance dans le futur")
        if len(given) < len(CHILD_COLUMNS) or not birth_date:
            return None
        return {"first_name": first_name, "last_name": last_name, "birth_date": birth_date}

    def enrolment(self, row, child):
        code = row.get("activite")
        code = _cell_text(code) if isinstance(code, datetime.date) else code
        start = self.date(row, "inscription_debut")
        end = self.date(row, "inscription_fin")
        if not code:
            for column in ("inscription_debut", "inscription_fin"):
                if row.get(column):
                    self.error(row, column, "Date d'inscription sans activité sur la ligne")
            return None
        activity = self.activities.get(code) or self.activities_folded.get(code.casefold())
        if activity is None:
            self.error(row, "activite", f"Activité inconnue dans cette structure : « {code} »")
            return None
        if not any(row.get(c) for c in CHILD_COLUMNS):
            self.error(row, "activite", "Une inscription demande un enfant sur la même ligne")
            return None
        start = start or activity.booking_period_start
        end = end or activity.booking_period_end
        if start > end:
            self.error(row, "inscription_fin", "La fin de l'inscription précède son début")
            return None
        return {"activity": activity, "start_date": start, "end_date": end}

    # What already exists, in a few queries whatever the file's length.

    def load_existing(self, cleaned):
        families = Family.objects.filter(structure=self.structure)
        self.existing_families = {f.reference: f for f in families}
        self.existing_children = {
            (c.family_id, c.first_name, c.birth_date): c for c in Child.objects.filter(family__structure=self.structure)
        }
        self.existing_enrolments = {
            (e.child_id, e.activity_id, e.start_date): e
            for e in Enrolment.objects.filter(child__family__structure=self.structure)
        }
        through = Family.accounts.through
        self.existing_links = set(
            through.objects.filter(family__structure=self.structure).values_list("family_id", "user_id")
        )
        wanted = {data["account"].username.casefold() for _, data in cleaned if data and data["account"]}
        user_model = get_user_model()
        wanted = sorted(wanted)
        names = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            names.update(
                user_model.objects.annotate(folded=Lower("username"))
                .filter(folded__in=chunk)
                .values_list("pk", "username")
            )
        # Where each of those accounts is used: the one thing the import reads
        # of an account before knowing it is the staff's. Only accounts of
        # their structures are then loaded.
        found_ids = sorted(names)
        self.own_accounts, self.shared_accounts = set(), set()
        for start in range(0, len(found_ids), 500):
            for user_id, structure_id in through.objects.filter(user_id__in=found_ids[start : start + 500]).values_list(
                "user_id", "family__structure_id"
            ):
                if structure_id in self.own_structure_ids:
                    self.own_accounts.add(user_id)
                else:
                    self.shared_accounts.add(user_id)
        own_ids = sorted(self.own_accounts)
        own_users = {}
        for start in range(0, len(own_ids), 500):
            own_users.update((u.pk, u) for u in user_model.objects.filter(pk__in=own_ids[start : start + 500]))
        self.existing_users = {}
        for pk, username in names.items():
            self.existing_users.setdefault(username.casefold(), []).append(
                own_users.get(pk) or _Elsewhere(pk, username)
            )

    # Merging lines that describe the same family, account, child or enrolment.

    def merge(self, row, data):
        family = self.merge_family(row, data)
        if family is None:
            return
        account = data["account"]
        if account is not None:
            account = self.merge_account(row, account)
            if account is not None and account.username not in family.usernames:
                family.usernames.append(account.username)
        child = data["child"]
        if child is None:
            return
        child_plan = self.merge_child(row, family, child)
        enrolment = data["enrolment"]
        if child_plan is not None and enrolment is not None:
            self.merge_enrolment(row, child_plan, enrolment)

    def merge_family(self, row, data):
        reference = data["reference"]
        family = self.plan.families.get(reference)
        if family is None:
            family = FamilyPlan(
                reference=reference,
                civility=data["civility"],
                last_name=data["last_name"],
                first_name=data["first_name"],
                line=row.line,
                existing=self.existing_families.get(reference),
            )
            self.plan.families[reference] = family
            return family
        agrees = True
        for column, attribute, label in (
            ("civilite", "civility", "Civilité différente"),
            ("nom", "last_name", "Nom de famille différent"),
            ("prenom", "first_name", "Prénom différent"),
        ):
            if getattr(family, attribute) != data[attribute]:
                self.error(row, column, f"{label} des autres lignes de la famille {reference} (ligne {family.line})")
                agrees = False
        return family if agrees else None

    def merge_account(self, row, account):
        key = account.username.casefold()
        planned = self.plan.accounts.get(key)
        if planned is None:
            if not self.check_existing_account(row, account):
                return None
            self.plan.accounts[key] = account
            return account
        if planned.username != account.username:
            self.error(
                row,
                "identifiant",
                f"Identifiant « {account.username} » écrit autrement ligne {planned.line} "
                f"(« {planned.username} ») : gardez la même écriture",
            )
            return None
        if account.email and planned.email and account.email != planned.email:
            self.error(row, "email", f"E-mail différent des autres lignes du compte « {account.username} »")
            return None
        if account.names_explicit and account.last_name != planned.last_name:
            self.error(row, "compte_nom", f"Nom différent des autres lignes du compte « {account.username} »")
            return None
        if account.names_explicit and account.first_name != planned.first_name:
            self.error(row, "compte_prenom", f"Prénom différent des autres lignes du compte « {account.username} »")
            return None
        if account.email and not planned.email:
            planned.email = account.email
        return planned

    def check_existing_account(self, row, account):
        found = self.existing_users.get(account.username.casefold(), [])
        exact = next((u for u in found if u.username == account.username), None)
        if exact is None and found:
            own = [u for u in found if u.pk in self.own_accounts]
            if not own:
                self.error(row, "identifiant", UNAVAILABLE_USERNAME)
                return False
            self.error(
                row,
                "identifiant",
                f"Un compte « {own[0].username} » existe déjà, écrit autrement : reprenez exactement cet identifiant",
            )
            return False
        if exact is not None and exact.pk not in self.own_accounts:
            # Another structure's parent, an account of no family, a staff
            # account: all alike, and nothing about it goes further.
            self.error(row, "identifiant", UNAVAILABLE_USERNAME)
            return False
        if exact is not None and (exact.is_staff or exact.is_superuser):
            self.error(
                row,
                "identifiant",
                "Compte du personnel ou d'administration : il ne peut pas être rattaché à une famille",
            )
            return False
        account.existing = exact
        account.shared_beyond = exact is not None and exact.pk in self.shared_accounts
        return True

    def merge_child(self, row, family, child):
        key = (child["first_name"], child["birth_date"])
        planned = family.children.get(key)
        if planned is None:
            existing = None
            if family.existing is not None:
                existing = self.existing_children.get((family.existing.pk, *key))
            planned = ChildPlan(**child, line=row.line, existing=existing)
            family.children[key] = planned
            return planned
        if planned.last_name != child["last_name"]:
            self.error(
                row,
                "enfant_nom",
                f"Nom de l'enfant différent des autres lignes de {child['first_name']} (ligne {planned.line})",
            )
            return None
        return planned

    def merge_enrolment(self, row, child, enrolment):
        key = (enrolment["activity"].pk, enrolment["start_date"])
        planned = child.enrolments.get(key)
        if planned is None:
            existing = None
            if child.existing is not None:
                existing = self.existing_enrolments.get((child.existing.pk, *key))
            child.enrolments[key] = EnrolmentPlan(**enrolment, line=row.line, existing=existing)
        elif planned.end_date != enrolment["end_date"]:
            self.error(
                row,
                "inscription_fin",
                f"Fin différente de la même inscription ligne {planned.line} ({planned.end_date:%d/%m/%Y})",
            )

    # What apply() would write.

    def count(self):
        counts = self.plan.counts
        for account in self.plan.accounts.values():
            user = account.existing
            if user is None:
                counts.accounts_created += 1
            else:
                if _account_updates(account):
                    counts.accounts_updated += 1
                kept = _kept_as_is(account)
                if kept:
                    self.plan.notices.append(RowError(account.line, "identifiant", kept))
        for family in self.plan.families.values():
            existing = family.existing
            if existing is None:
                counts.families_created += 1
            elif _family_changed(existing, family):
                counts.families_updated += 1
            for username in family.usernames:
                user = self.plan.accounts[username.casefold()].existing
                if existing is None or user is None or (existing.pk, user.pk) not in self.existing_links:
                    self.plan.new_links.add((family.reference, username))
                    if user is not None:
                        counts.accounts_linked += 1
            for child in family.children.values():
                if child.existing is None:
                    counts.children_created += 1
                elif child.existing.last_name != child.last_name:
                    counts.children_updated += 1
                for enrolment in child.enrolments.values():
                    if enrolment.existing is None:
                        counts.enrolments_created += 1
                    elif enrolment.existing.end_date != enrolment.end_date:
                        counts.enrolments_updated += 1


def _family_changed(existing, family):
    return (existing.civility, existing.last_name, existing.first_name) != (
        family.civility,
        family.last_name,
        family.first_name,
    )


def _fillable(user, account):
    wanted = {"last_name": account.last_name, "first_name": account.first_name, "email": account.email}
    return {name: value for name, value in wanted.items() if value and not getattr(user, name)}


def _account_updates(account):
    """Fields of an existing account the file may fill: only the empty ones;
    none of an account that also opens a family of another structure, and not
    the e-mail of an account whose parent has chosen a password. That address
    is where the recovery link goes: set by staff, it would let them choose
    the parent's password (the parent sets it in the profile, P2)."""
    if account.existing is None or account.shared_beyond:
        return {}
    updates = _fillable(account.existing, account)
    if account.existing.has_usable_password():
        updates.pop("email", None)
    return updates


def _kept_as_is(account):
    """Why empty fields the file fills are left alone, or None."""
    skipped = set(_fillable(account.existing, account)) - set(_account_updates(account))
    if not skipped:
        return None
    if account.shared_beyond:
        return (
            f"Le compte « {account.username} » sert aussi dans une autre structure : son nom et son e-mail ne sont "
            "pas modifiés par l'import (le parent les change dans son profil)"
        )
    return (
        f"Le compte « {account.username} » a déjà un mot de passe : son e-mail n'est pas modifié par l'import "
        "(le parent le renseigne dans son profil)"
    )


# --- Writing it ----------------------------------------------------------------


def apply(plan):
    """Write a valid plan in one transaction: all of it or nothing. Returns its counts."""
    if plan.errors:
        raise ValueError("An import plan with errors cannot be applied.")
    user_model = get_user_model()
    with transaction.atomic():
        families = _write_families(plan)
        accounts = _write_accounts(plan, user_model)
        through = Family.accounts.through
        through.objects.bulk_create(
            [through(family_id=families[ref].pk, user_id=accounts[name].pk) for ref, name in sorted(plan.new_links)],
            ignore_conflicts=True,
        )
        _write_children(plan)
        _write_enrolments(plan)
    return plan.counts


def _write_families(plan):
    new, changed = [], []
    for family in plan.families.values():
        if family.existing is None:
            family.instance = Family(
                structure=plan.structure,
                reference=family.reference,
                civility=family.civility,
                last_name=family.last_name,
                first_name=family.first_name,
            )
            new.append(family.instance)
        else:
            family.instance = family.existing
            if _family_changed(family.existing, family):
                family.existing.civility = family.civility
                family.existing.last_name = family.last_name
                family.existing.first_name = family.first_name
                changed.append(family.existing)
    Family.objects.bulk_create(new)
    Family.objects.bulk_update(changed, ["civility", "last_name", "first_name"])
    if any(f.pk is None for f in new):  # backends that cannot return ids from a bulk insert
        ids = dict(
            Family.objects.filter(structure=plan.structure, reference__in=[f.reference for f in new]).values_list(
                "reference", "pk"
            )
        )
        for family in new:
            family.pk = ids[family.reference]
    return {f.reference: f.instance for f in plan.families.values()}


def _write_accounts(plan, user_model):
    new, changed, update_fields = [], [], set()
    for account in plan.accounts.values():
        if account.existing is None:
            user = user_model(
                username=account.username,
                last_name=account.last_name,
                first_name=account.first_name,
                email=account.email,
            )
            user.set_unusable_password()  # the parent chooses it through an invitation
            new.append(user)
            account.instance = user
        else:
            account.instance = account.existing
            updates = _account_updates(account)
            for name, value in updates.items():
                setattr(account.existing, name, value)
            if updates:
                changed.append(account.existing)
                update_fields.update(updates)
    user_model.objects.bulk_create(new)
    if changed:
        user_model.objects.bulk_update(changed, sorted(update_fields))
    if any(u.pk is None for u in new):
        ids = dict(user_model.objects.filter(username__in=[u.username for u in new]).values_list("username", "pk"))
        for user in new:
            user.pk = ids[user.username]
    return {a.username: a.instance for a in plan.accounts.values()}


def _write_children(plan):
    new, changed = [], []
    for family in plan.families.values():
        for child in family.children.values():
            if child.existing is None:
                child.instance = Child(
                    family=family.instance,
                    first_name=child.first_name,
                    last_name=child.last_name,
                    birth_date=child.birth_date,
                )
                new.append(child.instance)
            else:
                child.instance = child.existing
                if child.existing.last_name != child.last_name:
                    child.existing.last_name = child.last_name
                    changed.append(child.existing)
    Child.objects.bulk_create(new)
    Child.objects.bulk_update(changed, ["last_name"])
    if any(c.pk is None for c in new):
        ids = {
            (family_id, first_name, birth_date): pk
            for pk, family_id, first_name, birth_date in Child.objects.filter(
                family__structure=plan.structure
            ).values_list("pk", "family_id", "first_name", "birth_date")
        }
        for child in new:
            child.pk = ids[(child.family_id, child.first_name, child.birth_date)]


def _write_enrolments(plan):
    new, changed = [], []
    for family in plan.families.values():
        for child in family.children.values():
            for enrolment in child.enrolments.values():
                if enrolment.existing is None:
                    new.append(
                        Enrolment(
                            child=child.instance,
                            activity=enrolment.activity,
                            start_date=enrolment.start_date,
                            end_date=enrolment.end_date,
                        )
                    )
                elif enrolment.existing.end_date != enrolment.end_date:
                    enrolment.existing.end_date = enrolment.end_date
                    changed.append(enrolment.existing)
    Enrolment.objects.bulk_create(new)
    Enrolment.objects.bulk_update(changed, ["end_date"])


# --- The model file offered for download -------------------------------------


def example_csv():
    """A model CSV as French Excel opens it: UTF-8 with BOM, « ; » separator."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    writer.writerows(EXAMPLE_ROWS)
    return buffer.getvalue().encode("utf-8-sig")


def example_xlsx():
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Import")
    sheet.append(COLUMN_NAMES)
    for row in EXAMPLE_ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
