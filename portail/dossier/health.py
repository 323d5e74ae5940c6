"""What staff screens may show of a child's health (issue 17 points 2 and 3).

The health sheet is sensitive: the full sheet (allergies' text, doctor,
vaccinations, « à savoir ») is shown only on the child's file page, and every
time a staff member opens it a `HealthAccess` row says who and when
(`record_health_view`). Everywhere else — the roll call, the attendance sheet,
the kitchen's counts — staff see only *marks*: « Allergie alimentaire »,
« PAI », the diet's label. `marks_for` reads only the three mark columns
(`values()`), so the medical text never even leaves the database there.

Each helper costs one query whatever the number of children, so a roll call of
200 children does not make 200 queries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy, ngettext

from portail.booking.models import Booking, BookingStatus
from portail.dossier.models import (
    AuthorisedPerson,
    Diet,
    Document,
    DocumentKind,
    DocumentStatus,
    HealthAccess,
    HealthSheet,
)

# Where a staff view of the health sheet happened (HealthAccess.where, stored
# as a key), and how the list of views names it in the reader's language.
WHERE_CHILD_FILE = "fiche enfant"
WHERE_RGPD_EXPORT = "export RGPD"  # a responsable downloaded the family's data (dossier.rgpd)
WHERE_LABELS = {
    WHERE_CHILD_FILE: gettext_lazy("Fiche de l'enfant"),
    WHERE_RGPD_EXPORT: gettext_lazy("Export des données de la famille (RGPD)"),
}


@dataclass(frozen=True)
class Marks:
    """What the kitchen and the roll call may know of a child's health."""

    food_allergy: bool = False
    diet: str = ""  # the diet's label (« Sans porc »), "" when none
    pai: bool = False

    def __bool__(self):
        return self.food_allergy or self.pai or bool(self.diet)

    @property
    def labels(self):
        """The marks as words, in the active language: ["Allergie alimentaire", "PAI", "Sans porc"]."""
        words = []
        if self.food_allergy:
            words.append(gettext("Allergie alimentaire"))
        if self.pai:
            words.append(gettext("PAI"))
        if self.diet:
            words.append(self.diet)
        return words

    @property
    def text(self):
        return ", ".join(self.labels)


NO_MARKS = Marks()


def _diet_label(value):
    return str(Diet(value).label) if value in Diet.values and value else ""


def marks_for(child_ids):
    """{child_id: Marks} of the children among `child_ids` who have a mark (a
    child without a health sheet or without marks is absent: use
    `.get(pk, NO_MARKS)`). One query; never reads the allergies' text."""
    ids = {pk for pk in child_ids if pk is not None}
    if not ids:
        return {}
    rows = (
        HealthSheet.objects.filter(child_id__in=ids)
        .filter(Q(has_food_allergy=True) | Q(has_pai=True) | ~Q(diet=""))
        .values("child_id", "has_food_allergy", "diet", "has_pai")
        .order_by()
    )
    return {
        row["child_id"]: Marks(food_allergy=row["has_food_allergy"], diet=_diet_label(row["diet"]), pai=row["has_pai"])
        for row in rows
    }


def people_for(child_ids, *, pick_up_only=False):
    """{child_id: [AuthorisedPerson, ...]} — the people allowed to collect each
    child or to call in an emergency, by name. One query."""
    ids = {pk for pk in child_ids if pk is not None}
    people: defaultdict[int, list[AuthorisedPerson]] = defaultdict(list)
    if not ids:
        return people
    found = AuthorisedPerson.objects.filter(child_id__in=ids)
    if pick_up_only:
        found = found.filter(can_pick_up=True)
    for person in found.order_by("child_id", "name", "pk"):
        people[person.child_id].append(person)
    return people


def annotate_children(children):
    """Give each of `children` its `health_marks` (Marks, or None) and its
    `health_people` (its AuthorisedPerson rows): what the roll call and the
    attendance sheet show beside a child. Two queries, whatever the number
    of children."""
    children = list(children)
    ids = [child.pk for child in children]
    marks = marks_for(ids)
    people = people_for(ids)
    for child in children:
        child.health_marks = marks.get(child.pk)
        child.health_people = people.get(child.pk, [])
    return children


def pai_document_for(child):
    """The PAI the family sent for `child` (a document of kind PAI, for this
    child or for the whole family, not refused), the latest first; None when
    there is none. Uploads are the documents' part (dossier.documents)."""
    return (
        Document.objects.filter(family_id=child.family_id, doc_type__kind=DocumentKind.PAI)
        .filter(Q(child=child) | Q(child__isnull=True))
        .exclude(status=DocumentStatus.REFUSED)
        .order_by("-uploaded_at", "-pk")
        .first()
    )


def record_health_view(child, viewer, where):
    """Write down that `viewer` (a staff account) saw `child`'s health sheet on
    the page `where`. Families looking at their own child's sheet are not
    recorded: the log is of staff views (issue 17 point 2)."""
    return HealthAccess.objects.create(child=child, viewer=viewer, where=where[:100])


@dataclass
class MealMarksDay:
    """One site's meals of one day with a mark: the counts by mark and, for
    each such meal, the child and its marks (never the medical text)."""

    allergies: int = 0
    pai: int = 0
    diets: dict[str, int] = field(default_factory=dict)  # diet label -> number of meals
    children: list[tuple[str, str, Marks]] = field(default_factory=list)  # (child's name, activity name, Marks)

    @property
    def summary(self):
        """« dont 2 allergies alimentaires, 1 PAI, 1 sans porc »."""
        parts = []
        if self.allergies:
            parts.append(
                ngettext("%(n)d allergie alimentaire", "%(n)d allergies alimentaires", self.allergies)
                % {"n": self.allergies}
            )
        if self.pai:
            parts.append(ngettext("%(n)d PAI", "%(n)d PAI", self.pai) % {"n": self.pai})
        for label, n in sorted(self.diets.items()):
            parts.append(f"{n} {label[:1].lower()}{label[1:]}")
        return gettext("dont %(marks)s") % {"marks": ", ".join(parts)} if parts else ""


def kitchen_marks(activities, days):
    """{(structure_id, day): MealMarksDay}: the kitchen's accepted meals
    (`activities` that serve one, on `days`) whose child has a mark, counted
    per site and day, with each such child's name and marks. Two queries
    (the meals, their children's marks), whatever the number of children."""
    ids = [a.pk for a in activities if a.serves_meal]
    if not ids or not days:
        return {}
    meals = list(
        Booking.objects.filter(activity_id__in=ids, date__range=(min(days), max(days)), status=BookingStatus.ACCEPTED)
        .values("child_id", "date", "activity__structure_id", "activity__name", "child__last_name", "child__first_name")
        .order_by()
    )
    marks = marks_for(row["child_id"] for row in meals)
    result: dict[tuple[int, datetime.date], MealMarksDay] = {}
    for row in sorted(
        meals, key=lambda r: (r["date"], r["child__last_name"].upper(), r["child__first_name"], r["child_id"])
    ):
        child_marks = marks.get(row["child_id"])
        if not child_marks:
            continue
        day = result.setdefault((row["activity__structure_id"], row["date"]), MealMarksDay())
        day.allergies += int(child_marks.food_allergy)
        day.pai += int(child_marks.pai)
        if child_marks.diet:
            day.diets[child_marks.diet] = day.diets.get(child_marks.diet, 0) + 1
        name = f"{row['child__last_name'].upper()} {row['child__first_name']}"
        day.children.append((name, row["activity__name"], child_marks))
    return result
