"""N4: e-mails are rows first, sent over SMTP by the worker, retried on a
temporary failure, marked failed on a permanent one, resendable by staff."""

import datetime
import email

from django.core.management import call_command
from django.utils import timezone

from portail.notifications import outbox
from portail.notifications.models import EmailStatus, OutboxEmail


def queue(**kwargs):
    return outbox.queue_email(
        "parent@example.org", "notifications/email/promotion",
        {"family": {"civility": "M.", "last_name": "DUPONT", "first_name": "Jean"}, "structure": {"name": "Mairie"},
         "child": {"first_name": "Paolo", "last_name": "DUPONT"}, "activity": {"name": "APS MATIN"},
         "day": "lun. 15/05", "deadline": "sam. 13/05 à 10:00", "site_url": "http://x/"},
        kind="test", **kwargs,
    )  # fmt: skip


def test_temporary_failure_is_retried_and_arrives_once_with_both_parts(db, smtp):
    handler = smtp(refusals=1)
    queued = queue()
    now = timezone.now()
    assert outbox.send_due(now=now) == (0, 1, 0)
    queued.refresh_from_db()
    assert queued.status == EmailStatus.PENDING and queued.attempts == 1 and "451" in queued.last_error
    assert outbox.send_due(now=now) == (0, 0, 0)  # not due yet: the retry waits
    assert outbox.send_due(now=now + datetime.timedelta(minutes=2)) == (1, 0, 0)
    queued.refresh_from_db()
    assert queued.status == EmailStatus.SENT and queued.sent_at is not None
    assert outbox.send_due(now=now + datetime.timedelta(hours=1)) == (0, 0, 0)
    assert len(handler.received) == 1
    message = email.message_from_bytes(handler.received[0].content)
    types = [part.get_content_type() for part in message.walk()]
    assert "text/plain" in types and "text/html" in types
    assert "APS MATIN" in message.get_payload()[0].get_payload(decode=True).decode()


def test_permanent_failure_is_marked_failed_and_staff_can_resend(db, smtp):
    handler = smtp(refusals=1, code="550 5.1.1 Adresse inconnue")
    queued = queue()
    assert outbox.send_due() == (0, 0, 1)
    queued.refresh_from_db()
    assert queued.status == EmailStatus.FAILED and "550" in queued.last_error
    outbox.resend(OutboxEmail.objects.filter(pk=queued.pk))
    assert outbox.send_due() == (1, 0, 0)
    assert len(handler.received) == 1


def test_gives_up_after_the_last_attempt(db, smtp):
    smtp(refusals=100)
    queued = queue()
    moment = timezone.now()
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.send_due(now=moment)
        moment += datetime.timedelta(days=1)
    queued.refresh_from_db()
    assert queued.status == EmailStatus.FAILED and queued.attempts == outbox.MAX_ATTEMPTS


def test_dedupe_key_queues_once(db):
    assert queue(dedupe_key="k1") is not None
    assert queue(dedupe_key="k1") is None
    assert OutboxEmail.objects.count() == 1


def test_worker_once_drains_the_outbox(db, smtp):
    handler = smtp(refusals=0)
    queue()
    call_command("worker", once=True)
    assert OutboxEmail.objects.get().status == EmailStatus.SENT
    assert len(handler.received) == 1
