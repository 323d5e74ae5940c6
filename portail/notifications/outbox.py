"""Queue and send e-mails. `queue_email` is called inside the transaction of
what causes the e-mail; `send_due` (run by the worker) sends them over SMTP,
retrying temporary failures with growing delays."""

import contextlib
import datetime
import logging
import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from portail.notifications.models import EmailStatus, OutboxEmail

log = logging.getLogger(__name__)

# Delays before the 2nd, 3rd… attempt; after the last one the e-mail is failed.
RETRY_DELAYS = [datetime.timedelta(minutes=m) for m in (1, 5, 15, 60, 240)]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def render_email(template, context):
    """(subject, text, html) from the three templates `<template>_subject.txt`,
    `<template>_body.txt` and `<template>_body.html`."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}_body.txt", context)
    html = render_to_string(f"{template}_body.html", context)
    return subject, text, html


def queue_email(to, template, context, *, kind, structure=None, dedupe_key=None):
    """Write an e-mail to the outbox (in the caller's transaction); returns it,
    or None when `dedupe_key` was already queued."""
    subject, text, html = render_email(template, context)
    email = OutboxEmail(
        kind=kind, to=to, subject=subject, body_text=text, body_html=html, structure=structure,
        dedupe_key=dedupe_key,
    )  # fmt: skip
    if dedupe_key is None:
        email.save()
        return email
    try:
        with transaction.atomic():
            email.save()
    except IntegrityError:
        return None
    return email


def _is_temporary(error):
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    return isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.error, TimeoutError))


def send_due(*, now=None, limit=100):
    """Send the e-mails that are due; returns (sent, retried, failed)."""
    now = now or timezone.now()
    due = list(
        OutboxEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )[:limit]
    )
    sent = retried = failed = 0
    if not due:
        return sent, retried, failed
    connection = get_connection(fail_silently=False)
    for email in due:
        # Claim it: a second worker that read the same row sees attempts changed and skips it.
        claimed = OutboxEmail.objects.filter(pk=email.pk, status=EmailStatus.PENDING, attempts=email.attempts).update(
            attempts=email.attempts + 1, next_attempt_at=now + datetime.timedelta(minutes=10)
        )
        if not claimed:
            continue
        email.attempts += 1
        message = EmailMultiAlternatives(
            email.subject, email.body_text, settings.DEFAULT_FROM_EMAIL, [email.to], connection=connection
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        try:
            message.send()
        except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
            temporary = _is_temporary(error)
            if temporary and email.attempts < MAX_ATTEMPTS:
                OutboxEmail.objects.filter(pk=email.pk).update(
                    next_attempt_at=now + RETRY_DELAYS[email.attempts - 1], last_error=repr(error)[:2000]
                )
                retried += 1
            else:
                OutboxEmail.objects.filter(pk=email.pk).update(status=EmailStatus.FAILED, last_error=repr(error)[:2000])
                failed += 1
            log.warning("E-mail %s not sent (attempt %s): %r", email.pk, email.attempts, error)
            _close(connection)
            connection = get_connection(fail_silently=False)
            continue
        OutboxEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENT, sent_at=timezone.now(), last_error="")
        sent += 1
    _close(connection)
    return sent, retried, failed


def _close(connection):
    # A connection that already broke may fail to close; the next one is new anyway.
    with contextlib.suppress(Exception):
        connection.close()


def resend(queryset, *, now=None):
    """Staff: send these e-mails again (a failed one gets a fresh set of attempts)."""
    return queryset.update(status=EmailStatus.PENDING, attempts=0, next_attempt_at=now or timezone.now())
