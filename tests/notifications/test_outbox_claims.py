"""N4, each e-mail once and all of them fast: a pass claims each row before
the SMTP call, sends the whole queue (up to OUTBOX_MAX_PER_MINUTE) over one
SMTP connection, gives every e-mail a stable Message-ID, sends a row a crash
left "sending" again after OUTBOX_CLAIM_TIMEOUT (same Message-ID, counted),
and two workers at once never send the same row. The crash itself, in a
worker process killed with SIGKILL, is in test_outbox_crash.py."""

import datetime
import email
import re
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portail.notifications import outbox
from portail.notifications.management.commands import worker as worker_command
from portail.notifications.models import EmailStatus, OutboxEmail
from tests.helpers import page_text
from tests.notifications.conftest import free_port

WAIT = 30  # seconds: a thread still running after this is a failure, never a hang


def queue(n, **kwargs):
    """n outbox rows, queued as the engine queues them (rendered templates)."""
    return [
        outbox.queue_email(
            f"parent{i}@example.org",
            "notifications/email/promotion",
            {
                "family": {"civility": "M.", "last_name": "DUPONT", "first_name": "Jean"},
                "structure": {"name": "Mairie"},
                "child": {"first_name": "Paolo", "last_name": "DUPONT"},
                "activity": {"name": "APS MATIN"},
                "day": "lun. 15/05",
                "deadline": "sam. 13/05 à 10:00",
                "site_url": "http://x/",
            },
            kind="test",
            **kwargs,
        )  # fmt: skip
        for i in range(n)
    ]


def message_ids(handler):
    return [email.message_from_bytes(envelope.content)["Message-ID"] for envelope in handler.received]


@pytest.fixture
def no_rate_limit(settings):
    settings.OUTBOX_MAX_PER_MINUTE = 0


# --------------------------------------------------------- fast: one pass, one connection


def test_one_pass_sends_the_whole_queue_over_one_smtp_connection(db, smtp, no_rate_limit):
    handler = smtp(refusals=0)
    rows = queue(outbox.BATCH + 50)  # more than one read of candidates, more than the old 100 a pass

    assert outbox.send_due() == (len(rows), 0, 0)

    assert len(handler.received) == len(rows)
    assert len(set(handler.peers)) == 1  # one SMTP connection for the whole pass
    ids = message_ids(handler)
    assert len(set(ids)) == len(rows)
    stored = dict(OutboxEmail.objects.values_list("message_id", "status"))
    assert set(stored) == set(ids) and set(stored.values()) == {EmailStatus.SENT}
    assert OutboxEmail.objects.values("claimed_by").distinct().count() == 1


def test_a_refused_e_mail_does_not_cost_the_connection(db, smtp, no_rate_limit):
    handler = smtp(refusals=1, code="550 5.1.1 Adresse inconnue")
    queue(5)
    assert outbox.send_due() == (4, 0, 1)
    assert len(set(handler.peers)) == 1
    assert OutboxEmail.objects.filter(status=EmailStatus.FAILED, last_error__contains="550").count() == 1


class ClosesEvery:
    """Accepts messages, but answers 421 (closing the session) to every
    `every`-th DATA, as servers that cap the messages of one connection do."""

    def __init__(self, every):
        self.every = every
        self.datas = 0
        self.received = []
        self.peers = []

    async def handle_DATA(self, server, session, envelope):
        self.datas += 1
        if self.datas % self.every == 0:
            return "421 4.7.0 Trop de messages sur cette connexion"
        self.received.append(envelope)
        self.peers.append(session.peer)
        return "250 OK"


def test_a_closed_connection_is_reopened_and_the_e_mail_sent_on_the_new_one(db, smtp, no_rate_limit):
    handler = smtp(handler=ClosesEvery(3))
    queue(6)
    assert outbox.send_due() == (6, 0, 0)  # nobody waits for a retry because the server hung up
    assert len(handler.received) == 6 and len(set(message_ids(handler))) == 6
    assert len(set(handler.peers)) > 1
    assert set(OutboxEmail.objects.values_list("attempts", flat=True)) == {1}


def test_an_unreachable_server_costs_no_attempt(db, smtp, settings, no_rate_limit):
    (row,) = queue(1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    assert outbox.send_due() == (0, 0, 0)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.message_id) == (EmailStatus.PENDING, 0, "")

    handler = smtp(refusals=0)
    assert outbox.send_due() == (1, 0, 0)
    assert len(handler.received) == 1


# --------------------------------------------------------- the rate limit


def test_a_pass_stops_at_the_rate_limit_and_the_next_ones_go_on(db, smtp, settings):
    settings.OUTBOX_MAX_PER_MINUTE = 5
    handler = smtp(refusals=0)
    queue(12)

    first = outbox.send_due()
    assert first == (5, 0, 0) and first.rate_limited
    second = outbox.send_due()
    assert second == (5, 0, 0) and second.rate_limited
    last = outbox.send_due()
    assert last == (2, 0, 0) and not last.rate_limited
    assert len(set(message_ids(handler))) == 12
    assert not OutboxEmail.objects.exclude(status=EmailStatus.SENT).exists()


class StopLooping(Exception):
    pass


def worker_pause(monkeypatch, **options):
    """Run the worker's loop for one pass; returns (its output, the pause it takes)."""
    pauses = []

    def sleep(seconds):
        pauses.append(seconds)
        raise StopLooping

    monkeypatch.setattr(worker_command.time, "sleep", sleep)
    out = StringIO()
    with pytest.raises(StopLooping):
        call_command("worker", stdout=out, **options)
    (pause,) = pauses
    return out.getvalue(), pause


def test_the_worker_waits_for_the_minute_after_a_pass_stopped_by_the_rate_limit(db, smtp, settings, monkeypatch):
    settings.OUTBOX_MAX_PER_MINUTE = 3
    smtp(refusals=0)
    queue(4)
    out, pause = worker_pause(monkeypatch, interval=5)
    assert out.splitlines() == ["E-mails : 3 envoyés, 0 à réessayer, 0 en échec."]
    assert 5 < pause <= 60  # not the 5 s interval: at most 3 e-mails a minute

    out, pause = worker_pause(monkeypatch, interval=5)
    assert out.splitlines() == ["E-mails : 1 envoyés, 0 à réessayer, 0 en échec."]
    assert pause <= 5


# --------------------------------------------------------- the Message-ID


def test_each_e_mail_has_a_message_id_of_its_own_row_kept_across_retries(db, smtp, settings, no_rate_limit):
    settings.DEFAULT_FROM_EMAIL = "Mairie de CarteVille <portail@mairie-carteville.fr>"
    handler = smtp(refusals=1)
    (row,) = queue(1)
    now = timezone.now()
    assert outbox.send_due(now=now) == (0, 1, 0)
    row.refresh_from_db()
    assert re.fullmatch(rf"<outbox-{row.pk}\.[0-9a-f]{{20}}@mairie-carteville\.fr>", row.message_id)
    first_id = row.message_id

    assert outbox.send_due(now=now + datetime.timedelta(minutes=2)) == (1, 0, 0)
    row.refresh_from_db()
    assert row.message_id == first_id and message_ids(handler) == [first_id]

    # Staff's "Renvoyer" is a new sending they asked for: a new Message-ID.
    outbox.resend(OutboxEmail.objects.filter(pk=row.pk))
    assert outbox.send_due(now=now + datetime.timedelta(minutes=3)) == (1, 0, 0)
    second_id = message_ids(handler)[1]
    assert second_id != first_id and second_id.startswith(f"<outbox-{row.pk}.")


# --------------------------------------------------------- a crash while "sending" (in process)


class Crash(BaseException):
    """What a killed worker does to the code after the SMTP call: nothing more runs."""


def test_a_row_left_sending_is_resent_after_the_timeout_with_the_same_message_id(db, smtp, settings, monkeypatch):
    settings.OUTBOX_MAX_PER_MINUTE, settings.OUTBOX_CLAIM_TIMEOUT = 0, 600
    handler = smtp(refusals=0)
    (row,) = queue(1)
    now = timezone.now()

    def crash(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(outbox, "_finish", crash)  # the server accepted; the "sent" mark never happens
        with pytest.raises(Crash):
            outbox.send_due(now=now)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.resends) == (EmailStatus.SENDING, 1, 0)
    assert len(handler.received) == 1

    # Another pass before the timeout leaves it alone: it may still be in flight.
    assert outbox.send_due(now=now + datetime.timedelta(seconds=599)) == (0, 0, 0)
    later = outbox.send_due(now=now + datetime.timedelta(seconds=601))
    assert later == (1, 0, 0) and later.resent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.resends) == (EmailStatus.SENT, 2, 1)
    assert message_ids(handler) == [row.message_id, row.message_id]
    assert outbox.send_due(now=now + datetime.timedelta(days=1)) == (0, 0, 0)


def test_a_row_that_keeps_crashing_the_worker_is_given_up(db, smtp, no_rate_limit):
    handler = smtp(refusals=0)
    (row,) = queue(1)
    OutboxEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.SENDING, attempts=4, resends=outbox.MAX_RESENDS,
        claimed_at=timezone.now() - datetime.timedelta(days=1), message_id="<outbox-1.x@localhost>",
    )  # fmt: skip
    assert outbox.send_due() == (0, 0, 0)
    row.refresh_from_db()
    assert row.status == EmailStatus.FAILED and "interrompu" in row.last_error
    assert handler.received == []


def test_staff_see_the_resend_after_an_incident_in_the_outbox(client, world):
    OutboxEmail.objects.create(
        kind="compte-rendu", to="dupont@example.org", subject="Compte-rendu", body_text="…", structure=world.a,
        status=EmailStatus.SENT, attempts=2, resends=1, sent_at=timezone.now(),
    )  # fmt: skip
    OutboxEmail.objects.create(
        kind="compte-rendu", to="martin@example.org", subject="Compte-rendu", body_text="…", structure=world.a,
        status=EmailStatus.SENT, attempts=1, sent_at=timezone.now(),
    )  # fmt: skip
    client.force_login(world.staff_a)
    text = page_text(client.get(reverse("staff:emails")))
    rows = re.findall(r"<tr>.*?</tr>", text, flags=re.S)
    (dupont,) = [r for r in rows if "dupont@example.org" in r]
    (martin,) = [r for r in rows if "martin@example.org" in r]
    assert "renvoyé après incident" in dupont and "renvoyé après incident" not in martin


# --------------------------------------------------------- two workers at once


def race(handler, n):
    """Two passes that read the same candidates, then race for every claim."""
    rows = queue(n)
    both_read = threading.Barrier(2, timeout=WAIT)
    real = outbox._candidates
    first_read = threading.local()

    def candidates(now, size):
        found = real(now, size)
        if not getattr(first_read, "done", False):
            first_read.done = True
            both_read.wait()  # both workers now hold every row as a candidate
        return found

    results, errors = [], []

    def work():
        try:
            results.append(outbox.send_due(limit=0))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    outbox._candidates = candidates
    try:
        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
    finally:
        outbox._candidates = real
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert errors == []
    assert sum(result.sent for result in results) == n
    ids = message_ids(handler)
    assert len(ids) == n and len(set(ids)) == n  # every row sent, none twice
    assert OutboxEmail.objects.filter(pk__in=[r.pk for r in rows], status=EmailStatus.SENT).count() == n
    return results


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's semantics (PostgreSQL: the test below)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_send_the_same_row_sqlite(shared_db, smtp):
    race(smtp(refusals=0), 60)


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's concurrent connections (run by .ci/run via scripts/with-postgres.sh)",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_send_the_same_row_postgres(shared_db, smtp):
    race(smtp(refusals=0), 60)
