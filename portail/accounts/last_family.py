"""User.last_family never names a family the account has left (issue 14 point 4).

portail/web/family.py already ignores such a value (it only picks among the
account's families); clearing it when the membership ends keeps the field
itself truthful, for the admin and for any later reader.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from portail.structures.models import Family

DISPATCH_UID = "portail.accounts.last_family.forget_families_left"


def forget_families_left(sender, instance, action, reverse, **kwargs):
    """m2m_changed of Family.accounts: after a removal or a clear, from either side."""
    if action not in ("post_remove", "post_clear"):
        return
    user_model = get_user_model()
    # reverse: user.families.remove(...) (instance is the account); else family.accounts.remove(...).
    users = user_model.objects.filter(pk=instance.pk) if reverse else user_model.objects.filter(last_family=instance)
    member = Family.accounts.through.objects.filter(family_id=OuterRef("last_family_id"), user_id=OuterRef("pk"))
    users.filter(last_family__isnull=False).exclude(Exists(member)).update(last_family=None)


def connect():
    from django.db.models.signals import m2m_changed

    m2m_changed.connect(forget_families_left, sender=Family.accounts.through, dispatch_uid=DISPATCH_UID)
