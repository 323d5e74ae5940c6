"""The lines of an import together and against what exists: lines that
describe the same family, account, child or enrolment merged (and refused when
they disagree), matched with the structure's records in a few queries whatever
the file's length, and what `writing.apply` would do counted. The rules on
existing accounts are in portail/structures/importer.py's docstring."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils.translation import gettext, gettext_lazy

from portail.lib import french
from portail.structures.imports.plan import (
    ChildPlan,
    EnrolmentPlan,
    FamilyPlan,
    PlanStep,
    RowError,
    account_updates,
    child_changed,
    family_changed,
    kept_as_is,
)
from portail.structures.models import Child, Enrolment, Family

# The one answer for an identifiant the import may not use, whoever owns it:
# the words of any sign-up form, so the preview tells nothing more.
UNAVAILABLE_USERNAME = gettext_lazy("Identifiant déjà pris : choisissez-en un autre")


@dataclass(frozen=True)
class _Elsewhere:
    """An existing account outside the importer's structures: its id and
    identifiant only, never shown; the line just says "Identifiant déjà pris"."""

    pk: int
    username: str


class Matcher(PlanStep):
    """Merges the checked lines into the plan. `own_structure_ids`: the
    structures whose accounts the import may link (see validation.validate)."""

    def __init__(self, plan, own_structure_ids):
        super().__init__(plan)
        self.own_structure_ids = own_structure_ids

    def run(self, cleaned):
        self.load_existing(cleaned)
        for row, data in cleaned:
            if data is not None:
                self.merge(row, data)
        self.count()

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
        # Whole sentences, not a label glued to a common tail: word order differs in English.
        for column, attribute, message in (
            ("civilite", "civility", gettext("Civilité différente des autres lignes de la famille %(reference)s (ligne %(line)s)")),
            ("nom", "last_name", gettext("Nom de famille différent des autres lignes de la famille %(reference)s (ligne %(line)s)")),
            ("prenom", "first_name", gettext("Prénom différent des autres lignes de la famille %(reference)s (ligne %(line)s)")),
        ):  # fmt: skip
            if getattr(family, attribute) != data[attribute]:
                self.error(row, column, message % {"reference": reference, "line": family.line})
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
                gettext(
                    "Identifiant « %(username)s » écrit autrement ligne %(line)s "
                    "(« %(planned)s ») : gardez la même écriture"
                )
                % {"username": account.username, "line": planned.line, "planned": planned.username},
            )
            return None
        if account.email and planned.email and account.email != planned.email:
            self.error(
                row,
                "email",
                gettext("E-mail différent des autres lignes du compte « %(username)s »")
                % {"username": account.username},
            )
            return None
        if account.names_explicit and account.last_name != planned.last_name:
            self.error(
                row,
                "compte_nom",
                gettext("Nom différent des autres lignes du compte « %(username)s »") % {"username": account.username},
            )
            return None
        if account.names_explicit and account.first_name != planned.first_name:
            self.error(
                row,
                "compte_prenom",
                gettext("Prénom différent des autres lignes du compte « %(username)s »")
                % {"username": account.username},
            )
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
                gettext("Un compte « %(username)s » existe déjà, écrit autrement : reprenez exactement cet identifiant")
                % {"username": own[0].username},
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
                gettext("Compte du personnel ou d'administration : il ne peut pas être rattaché à une famille"),
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
                # Translators: %(de_first_name)s is « de Paolo » or « d'Émile »; %(first_name)s the bare name.
                gettext("Nom de l'enfant différent des autres lignes %(de_first_name)s (ligne %(line)s)")
                % {
                    "de_first_name": french.de(child["first_name"]),
                    "first_name": child["first_name"],
                    "line": planned.line,
                },
            )
            return None
        if child["school_class"] and planned.school_class and child["school_class"] != planned.school_class:
            self.error(
                row,
                "enfant_classe",
                gettext("Classe de l'enfant différente des autres lignes %(de_first_name)s (ligne %(line)s)")
                % {
                    "de_first_name": french.de(child["first_name"]),
                    "first_name": child["first_name"],
                    "line": planned.line,
                },
            )
            return None
        planned.school_class = planned.school_class or child["school_class"]
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
                gettext("Fin différente de la même inscription ligne %(line)s (%(end)s)")
                % {"line": planned.line, "end": planned.end_date.strftime("%d/%m/%Y")},
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
                elif child_changed(child.existing, child):
                    counts.children_updated += 1
                for enrolment in child.enrolments.values():
                    if enrolment.existing is None:
                        counts.enrolments_created += 1
                    elif enrolment.existing.end_date != enrolment.end_date:
                        counts.enrolments_updated += 1
                        if (
                            enrolment.end_date < enrolment.existing.end_date
                            and child.existing not in self.plan.shortened
                        ):
                            self.plan.shortened.append(child.existing)
