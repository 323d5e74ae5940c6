"""Invitations (A1, issue 12): single-use, expiring links sent by a structure.

- `send_invitation`: an account staff created (no password yet) gets a link to
  choose its password.
- `invite_parent`: a family invites a parent by e-mail. The parent, on the
  link's page, creates an account or adds the family to the account they
  already use (logged in, or with its password): `accept_family_invitation`.
  Staff never attach an account of another structure themselves, nor learn
  whether the address or the parent has an account.

E-mails go through the outbox (N4) in the caller's transaction; the token
exists only in the e-mail, never in the database.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from portail.accounts import audit
from portail.accounts.models import Invitation
from portail.dossier.changes import link_guardian
from portail.notifications.outbox import queue_email


class InvitationRefused(Exception):
    pass


class InvitationUnusable(Exception):
    """The invitation was spent or expired between the page and the click."""


def _link(token):
    return settings.SITE_URL + reverse("accounts:invitation", args=[token])


def invitation_structure(user, created_by=None):
    """The structure whose outbox (Gestion → E-mails) shows the invitation of
    `user` (issue 18 point 8): its family's, or for a staff account the one it
    works in; with several, the first the sender also manages, so that the
    sender sees the e-mail it sent."""
    structures = [family.structure for family in user.families.select_related("structure").order_by("pk")]
    if user.is_staff:
        structures += list(user.staff_structures.order_by("pk"))
    if not structures:
        return None
    if created_by is not None and not created_by.is_superuser:
        managed = set(created_by.staff_structures.values_list("pk", flat=True))
        for structure in structures:
            if structure.pk in managed:
                return structure
    return structures[0]


def send_invitation(user, created_by=None):
    """Issue an invitation for `user` to choose a password, and queue its e-mail
    in the outbox (N4: retried, visible in Gestion → E-mails of its structure).

    Only for an account that has no password yet: an invitation can never be
    used to take over an account that a parent already uses.
    """
    if user.has_usable_password():
        raise InvitationRefused(gettext("Ce compte a déjà un mot de passe."))
    if not user.email:
        raise InvitationRefused(gettext("Ce compte n'a pas d'adresse e-mail."))
    with transaction.atomic():
        invitation, token = Invitation.issue(user, created_by=created_by)
        families = list(user.families.select_related("structure"))
        structures = list(user.staff_structures.order_by("name")) if user.is_staff else []
        context = {
            "user": user, "link": _link(token), "invitation": invitation, "families": families,
            "structures": structures,
        }  # fmt: skip
        structure = invitation_structure(user, created_by)
        queue_email(invitation.email, "accounts/email/invitation", context, kind="invitation", structure=structure)
    return invitation


def last_invitation(user):
    """The latest invitation sent to `user` (to choose its password), or None:
    "Renvoyer" shows when it was sent before sending another."""
    return Invitation.objects.filter(user=user, family__isnull=True).order_by("-created_at", "-pk").first()


def send_family_invitation(invitation):
    """Give an unsaved family invitation ("Inviter un parent": `family`,
    `email`, `created_by` set) its token, save it, queue its e-mail, and record
    it in the family's admin history. Returns it."""
    family = invitation.family
    with transaction.atomic():
        token = invitation.new_token()
        invitation.save()
        context = {"invitation": invitation, "family": family, "link": _link(token)}
        queue_email(
            invitation.email, "accounts/email/family_invitation", context, kind="invitation", structure=family.structure
        )
        audit.record(invitation.created_by, family, f"Invitation à rejoindre la famille envoyée à {invitation.email}.")
    return invitation


def invite_parent(family, email, created_by):
    """Invite whoever reads `email` to join `family`."""
    return send_family_invitation(Invitation(family=family, email=email, created_by=created_by))


def accept_invitation(invitation, password):
    """Set the chosen password and spend every open invitation of that account."""
    with transaction.atomic():
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
        Invitation.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    return user


def may_join_a_family(user):
    """Staff and administrator accounts never open a family: their e-mail or
    password would then be in reach of that structure's staff."""
    return user.is_active and not user.is_staff and not user.is_superuser


def accept_family_invitation(invitation, user):
    """Add the invitation's family to `user` (the parent who holds the link,
    logged in or just authenticated) and spend the invitation. Returns the
    family. Raises InvitationUnusable if it was spent or expired meanwhile,
    InvitationRefused for a staff account."""
    if not may_join_a_family(user):
        raise InvitationRefused(gettext("Un compte du personnel ne peut pas être rattaché à une famille."))
    with transaction.atomic():
        # The conditional update spends it once, even for two clicks at once.
        spent = (
            Invitation.objects.usable()
            .filter(pk=invitation.pk, family__isnull=False)
            .update(used_at=timezone.now(), user=user)
        )
        if not spent:
            raise InvitationUnusable
        family = invitation.family
        already = family.accounts.filter(pk=user.pk).exists()
        if not already:
            family.accounts.add(user)
            audit.record(user, family, f"Compte « {user.username} » ajouté par le parent (invitation).")
        # Issue 17 point 1: the invited parent's row in the family file (same e-mail) gets the account.
        link_guardian(family, user, invitation.email)
    return family
