"""What an import would do to one structure: the plan that validation builds
and writing carries out, and the rules both follow for existing accounts."""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext

from portail.structures.models import Activity, Child, Enrolment, Family


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
    school_class: str = ""  # empty: the class already known is kept
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
    # Children whose enrolment the file ends earlier (issue 18 point 1): their
    # bookings after the new end are offered for cancellation after the import.
    shortened: list = field(default_factory=list)

    @property
    def is_valid(self):
        return not self.errors


def family_changed(existing, family):
    return (existing.civility, existing.last_name, existing.first_name) != (
        family.civility,
        family.last_name,
        family.first_name,
    )


def fillable(user, account):
    wanted = {"last_name": account.last_name, "first_name": account.first_name, "email": account.email}
    return {name: value for name, value in wanted.items() if value and not getattr(user, name)}


def account_updates(account):
    """Fields of an existing account the file may fill: only the empty ones;
    none of an account that also opens a family of another structure, and not
    the e-mail of an account whose parent has chosen a password. That address
    is where the recovery link goes: set by staff, it would let them choose
    the parent's password (the parent sets it in the profile, P2)."""
    if account.existing is None or account.shared_beyond:
        return {}
    updates = fillable(account.existing, account)
    if account.existing.has_usable_password():
        updates.pop("email", None)
    return updates


def kept_as_is(account):
    """Why empty fields the file fills are left alone, or None."""
    skipped = set(fillable(account.existing, account)) - set(account_updates(account))
    if not skipped:
        return None
    if account.shared_beyond:
        return gettext(
            "Le compte « %(username)s » sert aussi dans une autre structure : son nom et son e-mail ne sont "
            "pas modifiés par l'import (le parent les change dans son profil)"
        ) % {"username": account.username}
    return gettext(
        "Le compte « %(username)s » a déjà un mot de passe : son e-mail n'est pas modifié par l'import "
        "(le parent le renseigne dans son profil)"
    ) % {"username": account.username}


class PlanStep:
    """A step of the validation: it reads the plan's structure and adds its
    errors, as RowError(line, column, reason), to the plan."""

    def __init__(self, plan):
        self.plan = plan
        self.structure = plan.structure

    def error(self, row, column, reason):
        # str(): a lazy constant (UNAVAILABLE_USERNAME) becomes the text of the current language.
        self.plan.errors.append(RowError(row.line, column, str(reason)))


def child_changed(existing, child):
    """Whether the file changes a known child: its last name, or its class when the file gives one."""
    return existing.last_name != child.last_name or bool(
        child.school_class and existing.school_class != child.school_class
    )
