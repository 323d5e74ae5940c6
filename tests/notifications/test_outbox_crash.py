"""N4: a worker killed (SIGKILL) after the SMTP server accepted an e-mail and
before it recorded it as sent. The real worker command runs in its own
process; the SMTP server (aiosmtpd, loopback) keeps the message, kills the
worker, and only then answers 250. The next pass after OUTBOX_CLAIM_TIMEOUT
sends the e-mail again with the same Message-ID, and counts it as a resend
(shown to staff as "renvoyé après incident")."""

import datetime
import email
import os
import signal
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from portail.notifications import outbox
from portail.notifications.models import EmailStatus, OutboxEmail

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60  # seconds: longer than this is a failure, never a hang


class KillsTheSender:
    """Keeps the first message, kills the worker process that sent it, then
    answers 250 to nobody: the server has the e-mail, the worker never learnt
    it. Later messages are simply accepted."""

    def __init__(self):
        self.received = []
        self.sender = None
        self.sender_started = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        if len(self.received) == 1:
            # Blocking the server's loop is fine: the killed worker is its only client.
            self.sender_started.wait(WAIT)
            os.kill(self.sender.pid, signal.SIGKILL)
            self.sender.wait(WAIT)
        return "250 OK"


def worker_process(database_url, port):
    """`manage.py worker --once` with production settings, on the test's
    database and SMTP server."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "EMAIL_", "OUTBOX_"))
    }
    environ.update(
        DJANGO_SETTINGS_MODULE="portail.settings", DJANGO_DEBUG="0", SECRET_KEY=django_settings.SECRET_KEY,
        ALLOWED_HOSTS="localhost", DATABASE_URL=database_url, LOG_LEVEL="ERROR",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port),
        EMAIL_USE_TLS="0", DEFAULT_FROM_EMAIL=django_settings.DEFAULT_FROM_EMAIL,
    )  # fmt: skip
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "worker", "--once"],
        cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_acceptance_and_commit_resends_the_same_message_once(shared_db, smtp, settings):
    settings.OUTBOX_CLAIM_TIMEOUT = 600
    handler = smtp(handler=KillsTheSender())
    row = outbox.queue_email(
        "dupont@example.org", "notifications/email/promotion",
        {"family": {"civility": "M.", "last_name": "DUPONT", "first_name": "Jean"}, "structure": {"name": "Mairie"},
         "child": {"first_name": "Paolo", "last_name": "DUPONT"}, "activity": {"name": "APS MATIN"},
         "day": "lun. 15/05", "deadline": "sam. 13/05 à 10:00", "site_url": "http://x/"},
        kind="liste-attente",
    )  # fmt: skip

    sender = worker_process(shared_db, settings.EMAIL_PORT)
    handler.sender = sender
    handler.sender_started.set()
    try:
        _, stderr = sender.communicate(timeout=WAIT)
    finally:
        if sender.poll() is None:
            sender.kill()
    assert sender.returncode == -signal.SIGKILL, stderr.decode(errors="replace")

    # The server has the e-mail; the database says it was being sent.
    (delivered,) = handler.received
    first = email.message_from_bytes(delivered.content)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.resends, row.sent_at) == (EmailStatus.SENDING, 1, 0, None)
    assert first["Message-ID"] == row.message_id and row.message_id.startswith(f"<outbox-{row.pk}.")

    # A pass before the claim's timeout leaves it alone: the sending may still be going on.
    assert outbox.send_due() == (0, 0, 0)
    assert len(handler.received) == 1

    # The next pass after the timeout, by the worker command, sends it again: same message.
    out = StringIO()
    with time_machine.travel(row.claimed_at + datetime.timedelta(seconds=601), tick=True):
        call_command("worker", once=True, stdout=out)
    assert out.getvalue().splitlines() == [
        "E-mails : 1 envoyés, 0 à réessayer, 0 en échec, dont 1 renvoyés après incident."
    ]
    assert len(handler.received) == 2
    second = email.message_from_bytes(handler.received[1].content)
    assert second["Message-ID"] == first["Message-ID"]
    assert second["Subject"] == first["Subject"] and second["To"] == first["To"] == "dupont@example.org"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.resends) == (EmailStatus.SENT, 2, 1)
    assert row.sent_at is not None and row.sent_at > timezone.now()  # sent in the travelled-to future

    # And never a third time.
    assert outbox.send_due(now=row.sent_at + datetime.timedelta(days=1)) == (0, 0, 0)
    assert OutboxEmail.objects.get(pk=row.pk).status == EmailStatus.SENT
