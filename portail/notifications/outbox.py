"""Queue and send e-mails (N4).

`queue_email` is called inside the transaction of what causes the e-mail;
`send_due` (run by the worker) sends them over SMTP.

Each e-mail once: a row is claimed before the SMTP call by a conditional
UPDATE (pending and due, or abandoned "sending" → "sending", with the claim's
time and the worker pass's id), a short transaction of its own, and marked sent
right after the server's acceptance. Two workers never both win a claim. A crash
between the server's acceptance and the "sent" mark leaves the row "sending":
after OUTBOX_CLAIM_TIMEOUT seconds a pass sends it again with the same
Message-ID (fixed at the first claim), so servers and mail clients treat it as
the same message, and counts it on the row (`resends`, shown to staff as
"renvoyé après incident").

All of them fast: a pass sends until the queue is empty or OUTBOX_MAX_PER_MINUTE
e-mails were handed to the server, over one SMTP connection (reopened only when
it breaks). Temporary failures are retried after 1, 5, 15, 60 and 240 minutes;
permanent ones are marked failed at once.
"""

import datetime
import logging
import os
import smtplib
import socket
import uuid
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

from portail.notifications.models import EmailStatus, OutboxEmail

log = logging.getLogger(__name__)

# Delays before the 2nd, 3rd… attempt; after the last one the e-mail is failed.
RETRY_DELAYS = [datetime.timedelta(minutes=m) for m in (1, 5, 15, 60, 240)]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A row whose sending crashed the worker this many times is not tried again
# (a message that kills the worker must not stop every other one forever).
MAX_RESENDS = 3
# Candidates read per query; each is still claimed (and sent) one by one.
BATCH = 200


def render_email(template, context, language=None):
    """(subject, text, html) from the three templates `<template>_subject.txt`,
    `<template>_body.txt` and `<template>_body.html`, written in `language`
    (the recipient's, see `recipient_languages`; French when None), whatever
    language the request or command that sends it is in."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}_body.txt", context)
        html = render_to_string(f"{template}_body.html", context)
    return subject, text, html


def recipient_languages(addresses):
    """Lower-cased address -> the language its account chose (User.language).
    An address no active account uses, or whose account never chose, is
    missing: its e-mails are written in French (settings.LANGUAGE_CODE)."""
    wanted = {address.lower() for address in addresses}
    if not wanted:
        return {}
    rows = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(language="")
        .annotate(address=Lower("email"))
        .filter(address__in=wanted)
        .order_by("pk")
        .values_list("address", "language")
    )
    languages = {}
    for address, language in rows:
        languages.setdefault(address, language)  # two accounts, one address: the oldest decides
    return languages


def queue_email(to, template, context, *, kind, structure=None, dedupe_key=None):
    """Write an e-mail to the outbox (in the caller's transaction); returns it,
    or None when `dedupe_key` was already queued."""
    subject, text, html = render_email(template, context, recipient_languages([to]).get(to.lower()))
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


class PassResult(tuple):
    """(sent, retried, failed) of a pass, compared as that tuple; also
    `resent` (abandoned claims sent again, included in the three) and
    `rate_limited` (the pass stopped at OUTBOX_MAX_PER_MINUTE, e-mails remain)."""

    def __new__(cls, sent=0, retried=0, failed=0, *, resent=0, rate_limited=False):
        result = super().__new__(cls, (sent, retried, failed))
        result.resent = resent
        result.rate_limited = rate_limited
        return result

    sent = property(lambda self: self[0])
    retried = property(lambda self: self[1])
    failed = property(lambda self: self[2])


def message_domain():
    """The right-hand side of our Message-IDs: the domain of DEFAULT_FROM_EMAIL,
    else SITE_URL's host (Message-IDs should name a domain we own)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    domain = domain or urlsplit(settings.SITE_URL).hostname or "localhost"
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return "".join(c for c in domain.lower() if c.isascii() and (c.isalnum() or c in ".-")) or "localhost"


def make_message_id(email, claimed_at):
    """`<outbox-{pk}.{hash}@{domain}>`: the row's id, and a keyed hash of the
    row and of its first claim (a staff "Renvoyer" makes a new message)."""
    digest = salted_hmac(
        "portail.notifications.message-id",
        f"{email.pk}:{email.created_at.isoformat()}:{email.to}:{claimed_at.isoformat()}",
    ).hexdigest()[:20]
    return f"<outbox-{email.pk}.{digest}@{message_domain()}>"


def worker_id():
    """Names one pass of one worker in its claims: host, process, and a random
    part (several passes may run in one process, e.g. threads in tests)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _claim_timeout():
    return datetime.timedelta(seconds=max(1, settings.OUTBOX_CLAIM_TIMEOUT))


def _candidates(now, size):
    """Rows a pass may claim, oldest first: claims abandoned by a crash, then
    the pending e-mails that are due. Read without lock; the claim decides."""
    fields = ["id", "to", "subject", "body_text", "body_html", "status", "attempts", "resends", "message_id",
              "created_at"]  # fmt: skip
    stale = list(
        OutboxEmail.objects.filter(status=EmailStatus.SENDING, claimed_at__lte=now - _claim_timeout())
        .order_by("claimed_at", "id")
        .only(*fields)[:size]
    )
    pending = list(
        OutboxEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .only(*fields)[: size - len(stale)]
    )
    return stale + pending


def _claim(email, now, worker):
    """Take the row for this pass: one conditional UPDATE (its own short
    transaction). It matches only if nobody changed the row since it was read
    (status and attempts), so of two workers racing for it exactly one wins.
    Returns True when won; `email` then holds the claim's values."""
    resend = email.status == EmailStatus.SENDING
    if resend and email.resends >= MAX_RESENDS:
        OutboxEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING, attempts=email.attempts).update(
            status=EmailStatus.FAILED,
            # Written in the worker's language (the site's, French), like the server's own errors.
            last_error=ngettext(
                "Envoi interrompu %(count)d fois (le travailleur s'est arrêté pendant l'envoi).",
                "Envoi interrompu %(count)d fois (le travailleur s'est arrêté pendant l'envoi).",
                email.resends + 1,
            )
            % {"count": email.resends + 1},
        )
        return False
    due = (
        {"claimed_at__lte": now - _claim_timeout()} if resend else {"next_attempt_at__lte": now}
    )  # the row is still what made it a candidate
    message_id = email.message_id or make_message_id(email, now)
    won = OutboxEmail.objects.filter(pk=email.pk, status=email.status, attempts=email.attempts, **due).update(
        status=EmailStatus.SENDING,
        attempts=F("attempts") + 1,
        resends=F("resends") + (1 if resend else 0),
        claimed_at=now,
        claimed_by=worker,
        message_id=message_id,
    )
    if won:
        email.attempts += 1
        email.resends += 1 if resend else 0
        email.message_id = message_id
        email.status = EmailStatus.SENDING
        if resend:
            log.warning("E-mail %s sent again after an interrupted sending (%s)", email.pk, message_id)
    return bool(won)


def _finish(email, worker, **changes):
    """Record the outcome of our claim, if it is still ours (a claim taken
    over after OUTBOX_CLAIM_TIMEOUT belongs to the other pass now)."""
    done = OutboxEmail.objects.filter(
        pk=email.pk, status=EmailStatus.SENDING, claimed_by=worker, attempts=email.attempts
    ).update(**changes)
    if not done:
        log.warning("E-mail %s: claim lost before its outcome was recorded (%s)", email.pk, changes.get("status"))


def _is_temporary(error):
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    return isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.error, TimeoutError))


def _breaks_connection(error):
    """After a refusal of one message (4xx/5xx reply) the SMTP session goes on
    (smtplib sends RSET); a lost connection or a 421 ("closing") ends it."""
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _ in error.recipients.values())
    return True


class _Connection:
    """One SMTP connection for the whole pass, opened when first needed and
    opened again after it broke."""

    def __init__(self):
        self.backend = None
        self.used = False  # has sent something: a failure may be an idle drop

    def open(self):
        if self.backend is None:
            backend = get_connection(fail_silently=False)
            backend.open()
            self.backend, self.used = backend, False

    def close(self):
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; the next one is new
                log.debug("SMTP connection did not close cleanly", exc_info=True)
            self.backend = None

    def send(self, message):
        message.connection = self.backend
        if self.backend.send_messages([message]) != 1:
            raise smtplib.SMTPException("the e-mail backend did not send the message")
        self.used = True


def _message(email):
    message = EmailMultiAlternatives(
        email.subject, email.body_text, settings.DEFAULT_FROM_EMAIL, [email.to],
        headers={"Message-ID": email.message_id},
    )  # fmt: skip
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def _deliver(connection, email):
    """Send one claimed e-mail; None when the server accepted it, else the error.
    A connection that broke is reopened, and the e-mail tried once more on it
    when the broken one had been used before (servers drop idle sessions)."""
    message = _message(email)
    for last_try in (False, True):
        try:
            connection.open()
            connection.send(message)
            return None
        except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
            if not _breaks_connection(error):
                return error
            retry = connection.used and not last_try
            connection.close()
            if not retry:
                return error
    return None  # unreachable: the second try returns


def send_due(*, now=None, limit=None, worker=None):
    """Send the due e-mails until none is left or `limit` were handed to the
    SMTP server (default OUTBOX_MAX_PER_MINUTE; 0: no limit). Each row is
    claimed, sent with its Message-ID, then marked sent (or scheduled for a
    retry, or failed). Returns a PassResult, equal to (sent, retried, failed).

    `now` fixes the pass's clock (tests); by default each claim reads it."""
    clock = (lambda: now) if now is not None else timezone.now
    limit = max(0, settings.OUTBOX_MAX_PER_MINUTE if limit is None else limit)
    worker = worker or worker_id()
    sent = retried = failed = resent = 0
    handed = 0  # e-mails given to the SMTP server in this pass (the rate limit counts them)
    seen = set()  # each row at most once a pass (a retry is for a later pass)
    connection = _Connection()
    try:
        while True:
            batch = [e for e in _candidates(clock(), BATCH) if e.pk not in seen]
            claimed_any = False
            for email in batch:
                if limit and handed >= limit:
                    return PassResult(sent, retried, failed, resent=resent, rate_limited=True)
                seen.add(email.pk)
                try:
                    # Before the claim: an unreachable server costs no attempt to any e-mail.
                    connection.open()
                except Exception as error:  # noqa: BLE001 - logged; the e-mails wait for the next pass
                    log.warning("SMTP server unreachable, e-mails wait for the next pass: %r", error)
                    return PassResult(sent, retried, failed, resent=resent)
                resend = email.status == EmailStatus.SENDING
                if not _claim(email, clock(), worker):
                    continue
                claimed_any = True
                handed += 1
                resent += resend
                error = _deliver(connection, email)
                if error is None:
                    _finish(email, worker, status=EmailStatus.SENT, sent_at=timezone.now(), last_error="")
                    sent += 1
                    continue
                if _is_temporary(error) and email.attempts < MAX_ATTEMPTS:
                    delay = RETRY_DELAYS[min(email.attempts, len(RETRY_DELAYS)) - 1]
                    _finish(
                        email, worker, status=EmailStatus.PENDING, next_attempt_at=clock() + delay,
                        last_error=repr(error)[:2000],
                    )  # fmt: skip
                    retried += 1
                else:
                    _finish(email, worker, status=EmailStatus.FAILED, last_error=repr(error)[:2000])
                    failed += 1
                log.warning("E-mail %s not sent (attempt %s): %r", email.pk, email.attempts, error)
            if not claimed_any:  # the queue is empty, or every candidate went to another worker
                return PassResult(sent, retried, failed, resent=resent)
    finally:
        connection.close()


def resend(queryset, *, now=None):
    """Staff: send these e-mails again (a failed one gets a fresh set of attempts;
    a new Message-ID, since it is a new sending the staff asked for)."""
    return queryset.update(
        status=EmailStatus.PENDING, attempts=0, next_attempt_at=now or timezone.now(), message_id="", claimed_at=None,
        claimed_by="",
    )  # fmt: skip
