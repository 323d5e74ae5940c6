"""Enrolling many children at once (issue 18 point 1): the children chosen in
the back office's list, one activity of their structure, one period. The plan
is shown first, then written in one transaction; a child already enrolled on
that activity for any day of the period is left as it is (two enrolments of
one child that overlap would say twice that the child may book a day)."""

import datetime
from dataclasses import dataclass, field

from django.db import transaction

from portail.structures.models import Activity, Child, Enrolment


@dataclass
class BulkEnrolmentPlan:
    activity: Activity
    start: datetime.date
    end: datetime.date
    to_enrol: list[Child] = field(default_factory=list)
    already_enrolled: list[Child] = field(default_factory=list)


class MixedStructures(ValueError):
    """The children chosen belong to more than one structure."""


def _overlapping_child_ids(child_ids, activity, start, end):
    return set(
        Enrolment.objects.filter(
            child_id__in=child_ids, activity=activity, start_date__lte=end, end_date__gte=start
        ).values_list("child_id", flat=True)
    )


def plan_enrolments(children, activity, start, end):
    """What `enrol_children` would do, without writing: the children to enrol
    and those already enrolled on `activity` for some day of start–end.
    Raises MixedStructures when a child is not of the activity's structure."""
    children = list(children)
    if any(child.family.structure_id != activity.structure_id for child in children):
        raise MixedStructures
    overlapping = _overlapping_child_ids([c.pk for c in children], activity, start, end)
    plan = BulkEnrolmentPlan(activity=activity, start=start, end=end)
    for child in children:
        (plan.already_enrolled if child.pk in overlapping else plan.to_enrol).append(child)
    return plan


def enrol_children(children, activity, start, end):
    """Enrol `children` on `activity` from `start` to `end`, in one transaction,
    skipping those already enrolled on it for some day of the period. Returns
    the plan carried out (its `to_enrol` are the children enrolled)."""
    children = list(children)
    with transaction.atomic():
        # The children's rows locked (in id order), then their enrolments read
        # again: two clerks enrolling the same child at once do not both write.
        list(Child.objects.select_for_update().filter(pk__in=[c.pk for c in children]).order_by("pk"))
        plan = plan_enrolments(children, activity, start, end)
        Enrolment.objects.bulk_create(
            [Enrolment(child=child, activity=activity, start_date=start, end_date=end) for child in plan.to_enrol]
        )
    return plan
