"""The e-mail outbox (N4): every e-mail is a row first, written in the same
transaction as what caused it, then sent by the worker with retries.

A row is claimed ("sending") in a short transaction before the SMTP call and
marked sent right after, so two workers never send it both; a row a crash left
"sending" is sent again later with the same Message-ID, and counted."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portail.structures.scoping import register_scope


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("À envoyer")
    SENDING = "sending", _("En cours d'envoi")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("En échec")


class EmailKind(models.TextChoices):
    REPORT = "compte-rendu", _("Compte-rendu")
    PROMOTION = "liste-attente", _("Place attribuée (liste d'attente)")
    CLOSURE = "fermeture", _("Fermeture d'une activité")
    RECOVERY = "recuperation", _("Mot de passe oublié")
    INVITATION = "invitation", _("Invitation")
    MESSAGE = "message", _("Message aux familles")
    INVOICE = "facture", _("Facture disponible")
    REMINDER = "relance", _("Relance de facture impayée")
    TEST = "test", _("Test")


class OutboxEmail(models.Model):
    kind = models.CharField(_("type"), max_length=30, choices=EmailKind.choices)
    to = models.EmailField(_("destinataire"))
    subject = models.CharField(_("objet"), max_length=255)
    body_text = models.TextField(_("texte"))
    body_html = models.TextField(_("HTML"), blank=True)
    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("structure"),
    )  # fmt: skip
    # Makes queuing idempotent: the same report or notice is never queued twice.
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), default=timezone.now)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    # The claim: which worker pass is sending the row, since when. A row still
    # "sending" long after its claim was abandoned by a crash (see outbox.py).
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    claimed_by = models.CharField(_("pris en charge par"), max_length=100, blank=True)
    # Set at the first claim and kept: a resend after a crash is the same message
    # for mail servers and clients (they drop or thread the duplicate).
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    # Sends again after a crash between the SMTP server's acceptance and the
    # "sent" mark: the recipient may have received the e-mail twice.
    resends = models.PositiveSmallIntegerField(_("renvois après incident"), default=0)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails (boîte d'envoi)")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self):
        return f"{self.subject} → {self.to}"


class FamilyMessage(models.Model):
    """A message staff wrote to families (issue 18 point 8): everyone booked on
    a day or an activity, the families of an activity, of a school class. Each
    family gets one e-mail (to each address of its accounts, through the
    outbox) and a copy on its home page, which families without e-mail see too."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="+", verbose_name=_("structure")
    )
    subject = models.CharField(_("objet"), max_length=150)
    body = models.TextField(_("message"), max_length=5000)
    # Whom it was for, in words ("Réservés le lun. 07/12 — APS MATIN"), as staff chose it.
    audience = models.CharField(_("destinataires"), max_length=300)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("envoyé par")
    )
    created_at = models.DateTimeField(_("envoyé le"), default=timezone.now)

    class Meta:
        verbose_name = _("message aux familles")
        verbose_name_plural = _("messages aux familles")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.subject


class FamilyMessageRecipient(models.Model):
    """One family a message went to, and the e-mails queued for it (none when
    the family has no address: it reads the message on its home page)."""

    message = models.ForeignKey(
        FamilyMessage, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("message")
    )
    family = models.ForeignKey(
        "structures.Family", on_delete=models.CASCADE, related_name="staff_messages", verbose_name=_("famille")
    )
    emails = models.ManyToManyField(OutboxEmail, blank=True, related_name="+", verbose_name=_("e-mails"))

    class Meta:
        verbose_name = _("destinataire")
        verbose_name_plural = _("destinataires")
        constraints = [models.UniqueConstraint(fields=["message", "family"], name="family_message_once")]

    def __str__(self):
        return f"{self.message} → {self.family}"


register_scope("notifications.familymessage", "structure")
register_scope("notifications.familymessagerecipient", "message__structure")


class DailyTask(models.Model):
    """The last day a periodic task of the worker ran (issues 16, 17): the
    reminders of overdue invoices, the retention purge. Kept in the database,
    not in a cache, so that `worker --once` from cron, a restarted worker or
    two workers at once run each task once a day (notifications.periodic)."""

    name = models.CharField(max_length=50, unique=True)
    last_day = models.DateField()

    class Meta:
        verbose_name = _("tâche quotidienne")
        verbose_name_plural = _("tâches quotidiennes")

    def __str__(self):
        return f"{self.name} ({self.last_day:%d/%m/%Y})"
