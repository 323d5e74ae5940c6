"""Checking an import's rows against one structure: every line on its own
here (`LineChecker`), then the lines together and against what exists
(portail/structures/imports/matching.py). Every error is kept, with its line
and column, not the first only."""

import datetime
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext

from portail.lib.validators import validate_date_window, validate_single_line
from portail.structures.imports.columns import ACCOUNT_DETAIL_COLUMNS, CHILD_COLUMNS, COLUMN_NAMES
from portail.structures.imports.matching import Matcher
from portail.structures.imports.plan import AccountPlan, ImportPlan, PlanStep
from portail.structures.imports.reading import cell_text
from portail.structures.models import Activity, Civility

_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


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
    plan = ImportPlan(structure=structure, line_count=len(rows))
    cleaned = LineChecker(plan).clean(rows)
    Matcher(plan, own).run(cleaned)
    order = {name: i for i, name in enumerate(COLUMN_NAMES)}
    plan.errors.sort(key=lambda e: (e.line, order.get(e.column, 99)))
    return plan


class LineChecker(PlanStep):
    """Each line on its own: cells present, well formed, within the models'
    limits; an activity code of the structure. No cross-line knowledge."""

    def __init__(self, plan):
        super().__init__(plan)
        self.today = timezone.localdate()

    def clean(self, rows):
        """(row, its cleaned data, or None when the line has an error) for every row."""
        self.load_activities()
        return [(row, self.clean_row(row)) for row in rows]

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
                self.error(row, column, gettext("Obligatoire"))
            return ""
        if len(value) > max_length:
            self.error(row, column, gettext("Trop long : %(max)s caractères au plus") % {"max": max_length})
        # The models' validators (issue 12): no line break or invisible character in a name.
        try:
            validate_single_line(value)
        except ValidationError as error:
            self.error(row, column, error.messages[0].rstrip("."))
        return value

    def civility(self, row):
        value = row.get("civilite")
        if not value:
            self.error(row, "civilite", gettext("Obligatoire"))
            return ""
        normalised = {"m.": Civility.MR, "m": Civility.MR, "mme": Civility.MRS}.get(str(value).casefold())
        if normalised is None:
            self.error(
                row, "civilite", gettext("Civilité invalide : « %(value)s » (attendu M. ou Mme)") % {"value": value}
            )
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
            self.error(row, column, gettext("Date invalide : « %(value)s » (attendu JJ/MM/AAAA)") % {"value": value})
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
                    self.error(row, column, gettext("Renseigné sans identifiant de compte"))
            return None
        username = user_model.normalize_username(username)
        try:
            user_model.username_validator(username)
        except ValidationError:
            self.error(
                row,
                "identifiant",
                gettext(
                    "Identifiant invalide : « %(username)s » (lettres, chiffres et @ . + - _ seulement, sans espace)"
                )
                % {"username": username},
            )
        email = self.text(row, "email", 254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.error(row, "email", gettext("Adresse e-mail invalide : « %(email)s »") % {"email": email})
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
        school_class = self.text(row, "enfant_classe", 50)
        if not given:
            if school_class:
                self.error(row, "enfant_classe", gettext("Classe sans enfant sur la ligne"))
            return None
        for column in CHILD_COLUMNS:
            if column not in given:
                self.error(row, column, gettext("Obligatoire quand un enfant est indiqué sur la ligne"))
        first_name = self.text(row, "enfant_prenom", 100)
        last_name = self.text(row, "enfant_nom", 100)
        birth_date = self.date(row, "enfant_naissance")
        if birth_date and birth_date > self.today:
            self.error(row, "enfant_naissance", gettext("Date de naissance dans le futur"))
        if len(given) < len(CHILD_COLUMNS) or not birth_date:
            return None
        return {
            "first_name": first_name,
            "last_name": last_name,
            "birth_date": birth_date,
            "school_class": school_class,
        }

    def enrolment(self, row, child):
        code = row.get("activite")
        code = cell_text(code) if isinstance(code, datetime.date) else code
        start = self.date(row, "inscription_debut")
        end = self.date(row, "inscription_fin")
        if not code:
            for column in ("inscription_debut", "inscription_fin"):
                if row.get(column):
                    self.error(row, column, gettext("Date d'inscription sans activité sur la ligne"))
            return None
        activity = self.activities.get(code) or self.activities_folded.get(code.casefold())
        if activity is None:
            self.error(
                row, "activite", gettext("Activité inconnue dans cette structure : « %(code)s »") % {"code": code}
            )
            return None
        if not any(row.get(c) for c in CHILD_COLUMNS):
            self.error(row, "activite", gettext("Une inscription demande un enfant sur la même ligne"))
            return None
        start = start or activity.booking_period_start
        end = end or activity.booking_period_end
        if start > end:
            self.error(row, "inscription_fin", gettext("La fin de l'inscription précède son début"))
            return None
        return {"activity": activity, "start_date": start, "end_date": end}
