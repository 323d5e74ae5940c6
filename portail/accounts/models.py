import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person's login (the "identifiant").

    A parent's account may belong to families in several structures; a staff
    account is linked to the structures it manages (Structure.staff).
    """

    objects = UserManager()

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")
        ordering = ["last_name", "first_name", "username"]

    @property
    def display_name(self):
        """Name as the header shows it: LAST NAME First name."""
        full = f"{self.last_name.upper()} {self.first_name}".strip()
        return full or self.username


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use, expiring link where a parent chooses a password (A1).

    Only a hash of the token is stored: reading the database gives no way in.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(_("envoyée à"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("envoyée par")
    )
    created_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisée le"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation de {self.user} ({self.created_at:%d/%m/%Y})"

    @classmethod
    def issue(cls, user, created_by=None):
        """Create an invitation and return it with its clear token (never stored)."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation = cls.objects.create(
            user=user,
            token_hash=_hash_token(token),
            email=user.email,
            created_by=created_by,
            created_at=now,
            expires_at=now + timezone.timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        return invitation, token

    @classmethod
    def find_usable(cls, token):
        """The invitation of this token, if still usable. An invitation only
        ever sets an account's first password: once the parent has chosen one,
        a forgotten password goes through recovery, never through staff."""
        invitation = cls.objects.usable().select_related("user").filter(token_hash=_hash_token(token)).first()
        if invitation is None or invitation.user.has_usable_password() or not invitation.user.is_active:
            return None
        return invitation
