"""A parent invites the other parent to the family's portal (issue 17 point 1).

The family invitation of `invitations.invite_parent`, sent by the parent
(`created_by` is the parent's account, not staff). The invited person accepts
on the usual page, logged in or by creating an account; their row among the
family's parents (same e-mail, no account yet) then gets the account
(`dossier.changes.link_guardian`, called by `accept_family_invitation`).

The inviter learns nothing about the address (whether an account uses it):
the answer is the same. A family sends at most DAILY_LIMIT invitations per
24 hours, so the portal cannot be used to send e-mails in bulk.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from portail.accounts.invitations import invite_parent
from portail.accounts.models import Invitation
from portail.structures.models import Family

DAILY_LIMIT = 5


class TooManyInvitations(Exception):
    pass


def invitations_left(family: Family, now: datetime.datetime | None = None) -> int:
    """How many invitations the family's parents may still send in the last 24 hours."""
    since = (now or timezone.now()) - datetime.timedelta(days=1)
    sent = Invitation.objects.filter(family=family, created_at__gt=since, created_by__in=family.accounts.all())
    return max(0, DAILY_LIMIT - sent.count())


def invite_coparent(family: Family, email: str, inviter) -> Invitation:
    """Invite whoever reads `email` to join `family`, from the parent `inviter`.
    Raises TooManyInvitations past the daily limit (nothing sent)."""
    with transaction.atomic():
        # One invitation at a time per family: two quick clicks cannot pass the limit together.
        Family.objects.select_for_update().filter(pk=family.pk).first()
        if invitations_left(family) <= 0:
            raise TooManyInvitations
        return invite_parent(family, email, inviter)
