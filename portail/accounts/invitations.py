"""Account invitations (A1): a single-use, expiring link to choose a password."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from portail.accounts.models import Invitation


class InvitationRefused(Exception):
    pass


def send_invitation(user, created_by=None):
    """Issue an invitation for `user` and e-mail its link once the transaction commits.

    Only for an account that has no password yet: an invitation can never be
    used to take over an account that a parent already uses.

    The e-mail goes through the outbox once the notifications issue lands; the
    token exists only in the e-mail, never in the database.
    """
    if user.has_usable_password():
        raise InvitationRefused("Ce compte a déjà un mot de passe.")
    if not user.email:
        raise InvitationRefused("Ce compte n'a pas d'adresse e-mail.")
    invitation, token = Invitation.issue(user, created_by=created_by)
    link = settings.SITE_URL + reverse("accounts:invitation", args=[token])
    families = list(user.families.select_related("structure"))
    context = {"user": user, "link": link, "invitation": invitation, "families": families}
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_body.txt", context)
    html = render_to_string("accounts/email/invitation_body.html", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email], html_message=html)
    )
    return invitation


def accept_invitation(invitation, password):
    """Set the chosen password and spend every open invitation of that account."""
    from django.utils import timezone

    with transaction.atomic():
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
        Invitation.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    return user
