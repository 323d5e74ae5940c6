"""The e-mail outbox (N4): every e-mail is a row first, written in the same
transaction as what caused it, then sent by the worker with retries.

A row is claimed ("sending") in a short transaction before the SMTP call and
marked sent right after, so two workers never send it both; a row a crash left
"sending" is sent again later with the same Message-ID, and counted."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
