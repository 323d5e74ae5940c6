"""Checking an import's rows against one structure, all of them (every error
with its line and column, not the first only), and planning the writes in a
handful of queries whatever the file's length. The rules on existing accounts
are in portail/structures/importer.py's docstring."""

import datetime
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils import timezone

from portail.lib.validators import validate_date_window, validate_single_line
from portail.structures.imports.columns import ACCOUNT_DETAIL_COLUMNS, CHILD_COLUMNS, COLUMN_NAMES
from portail.structures.imports.plan import (
    AccountPlan,
    ChildPlan,
    EnrolmentPlan,
    FamilyPlan,
    ImportPlan,
    RowError,
    account_updates,
    family_changed,
    kept_as_is,
)
from portail.structures.imports.reading import cell_text
from portail.structures.models import Activity, Child, Civility, Enrolment, Family

# The one answer for an identifiant the import may not use, whoever owns it:
# the words of any sign-up form, so the preview tells nothing more.
UNAVAILABLE_USERNAME = "Identifiant déjà pris : choisissez-en un autre"

_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class _Elsewhere:
    """An existing account outside the importer's structures: its id and
    identifiant only, never shown; the line just says "Identifiant déjà pris"."""

    pk: int
    username: str


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
            value = cell_text(value)
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
        code = cell_text(code) if isinstance(code, datetime.date) else code
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
                if account_updates(account):
                    counts.accounts_updated += 1
                kept = kept_as_is(account)
                if kept:
                    self.plan.notices.append(RowError(account.line, "identifiant", kept))
        for family in self.plan.families.values():
            existing = family.existing
            if existing is None:
                counts.families_created += 1
            elif family_changed(existing, family):
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
