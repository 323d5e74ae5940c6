"""Writing a valid import plan: all of it or nothing, in one transaction, in
bulk queries (no query per line)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from portail.structures.imports.plan import account_updates, child_changed, family_changed
from portail.structures.models import Child, Enrolment, Family


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
            if family_changed(family.existing, family):
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
            updates = account_updates(account)
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
                    school_class=child.school_class,
                )
                new.append(child.instance)
            else:
                child.instance = child.existing
                if child_changed(child.existing, child):
                    child.existing.last_name = child.last_name
                    child.existing.school_class = child.school_class or child.existing.school_class
                    changed.append(child.existing)
    Child.objects.bulk_create(new)
    Child.objects.bulk_update(changed, ["last_name", "school_class"])
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
