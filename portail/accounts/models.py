import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portail.lib import french
from portail.lib.validators import validate_single_line


class StaffRole(models.TextChoices):
    """What a staff account (is_staff, linked to structures) may do in them
    (issue 18 point 7). Enforced in one place, portail/accounts/roles.py."""

    # Today's staff: every daily screen and the admin of their structures.
    AGENT = "agent", _("agent (toute la gestion de ses structures)")
    # An agent who also creates and disables the staff accounts of their structures.
    RESPONSABLE = "responsable", _("responsable de structure")
    # The roll call and the day's planning (read-only), nothing else.
    ANIMATEUR = "animateur", _("animateur (pointage et planning du jour)")


class User(AbstractUser):
    """A person's login (the "identifiant").

    A parent's account may belong to families in several structures; a staff
    account is linked to the structures it manages (Structure.staff).
    """

    # No line break or invisible character in a name (issue 12): it ends up in
    # e-mail headers, exports and file names.
    first_name = models.CharField(_("prénom"), max_length=150, blank=True, validators=[validate_single_line])
    last_name = models.CharField(_("nom"), max_length=150, blank=True, validators=[validate_single_line])
    # The language the person reads the portal and its e-mails in (issue 13);
    # empty until they choose one: the browser's language, French e-mails.
    language = models.CharField(_("langue"), max_length=8, choices=settings.LANGUAGES, blank=True, default="")
    # The family (so the structure) the parent chose last (issue 14 point 4):
    # shown again after the next login. Only a hint: portail/web/family.py uses
    # it only while the account still belongs to that family, and
    # accounts/signals.py clears it when the account leaves it.
    last_family = models.ForeignKey(
        "structures.Family", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("dernière structure consultée"),
    )  # fmt: skip

    # Only read for staff accounts (is_staff); a parent's account keeps the default.
    staff_role = models.CharField(
        _("rôle dans le personnel"), max_length=12, choices=StaffRole.choices, default=StaffRole.AGENT
    )

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

    @property
    def is_animator(self):
        """An animator's account: the roll call and the day's planning, read-only.
        The site administrator is never limited."""
        return self.is_staff and not self.is_superuser and self.staff_role == StaffRole.ANIMATEUR

    @property
    def is_structure_manager(self):
        """May create and disable the staff accounts of its structures."""
        return self.is_active and self.is_staff and (self.is_superuser or self.staff_role == StaffRole.RESPONSABLE)


class StaffAccount(User):
    """The staff accounts as a structure manager sees them (issue 18 point 7):
    a separate admin screen ("Comptes du personnel"), the same rows as User."""

    class Meta:
        proxy = True
        verbose_name = _("compte du personnel")
        verbose_name_plural = _("comptes du personnel")


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use, expiring link sent by a structure (A1). Two kinds:

    - for an account staff created (no password yet): the parent chooses its
      password (`user` set, `family` empty);
    - to a family ("Inviter un parent", issue 12): the parent either creates an
      account or adds the family to the account they already use, logged in or
      with its password. `family` is set; `user` is the account that accepted.
      This is the only way an existing account joins another structure: its
      owner consents, and staff learn nothing about it beforehand.

    Only a hash of the token is stored: reading the database gives no way in.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations", null=True, blank=True,
        verbose_name=_("compte"),
    )  # fmt: skip
    family = models.ForeignKey(
        "structures.Family", on_delete=models.CASCADE, related_name="invitations", null=True, blank=True,
        verbose_name=_("famille"),
    )  # fmt: skip
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
        whom = self.family if self.family_id else self.user
        # Translators: %(de_whom)s is « de M. DUPONT Jean » or « d'alice »; %(whom)s the bare name.
        return gettext("Invitation %(de_whom)s (%(date)s)") % {
            "de_whom": french.de(str(whom)),
            "whom": whom,
            "date": self.created_at.strftime("%d/%m/%Y"),
        }

    def new_token(self):
        """Give this (unsaved) invitation a fresh token and validity; returns
        the clear token, which only the e-mail carries."""
        token = secrets.token_urlsafe(32)
        self.token_hash = _hash_token(token)
        self.created_at = timezone.now()
        self.expires_at = self.created_at + timezone.timedelta(days=settings.INVITATION_VALID_DAYS)
        return token

    @classmethod
    def issue(cls, user, created_by=None):
        """Create an invitation to choose the password of `user`; returns it
        with its clear token (never stored)."""
        invitation = cls(user=user, email=user.email, created_by=created_by)
        token = invitation.new_token()
        invitation.save()
        return invitation, token

    @classmethod
    def find_usable(cls, token):
        """The invitation of this token, if still usable. An account invitation
        only ever sets an account's first password: once the parent has chosen
        one, a forgotten password goes through recovery, never through staff."""
        invitation = (
            cls.objects.usable()
            .select_related("user", "family__structure")
            .filter(token_hash=_hash_token(str(token)[:100]))
            .first()
        )
        if invitation is None or invitation.family_id:
            return invitation
        if invitation.user is None or invitation.user.has_usable_password() or not invitation.user.is_active:
            return None
        return invitation


class SecurityQuestion(models.Model):
    """The parent's own question and its answer (P3), used to recover a
    forgotten password (A3a). Only a hash of the normalised answer is stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_question", verbose_name=_("compte")
    )
    question = models.CharField(_("question secrète"), max_length=200)
    answer_hash = models.CharField(_("réponse (chiffrée)"), max_length=128)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)

    class Meta:
        verbose_name = _("question secrète")
        verbose_name_plural = _("questions secrètes")

    def __str__(self):
        # Translators: %(de_user)s is « de dupont » or « d'alice »; %(user)s the bare identifiant.
        return gettext("Question secrète %(de_user)s") % {"de_user": french.de(str(self.user)), "user": self.user}


class RecoveryStep(models.TextChoices):
    LOOKUP = "lookup", _("affichage de la question")
    ANSWER = "answer", _("réponse à la question")
    EMAIL = "email", _("demande de lien par e-mail")


class RecoveryAttempt(models.Model):
    """One step of a password recovery (A3), kept to rate-limit them per
    account and per address. `user` is empty when the identifiant matched no
    account; `success` means: the account has a question (lookup), the answer
    was right (answer), a link was queued (email)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("compte"),
    )  # fmt: skip
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    step = models.CharField(_("étape"), max_length=10, choices=RecoveryStep.choices)
    success = models.BooleanField(_("réussie"), default=False)
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("tentative de récupération")
        verbose_name_plural = _("tentatives de récupération")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "step", "created_at"], name="recovery_by_user"),
            models.Index(fields=["ip", "created_at"], name="recovery_by_ip"),
        ]

    def __str__(self):
        return f"{self.get_step_display()} ({self.created_at:%d/%m/%Y %H:%M})"
