"""Issue 15 point 3: on PostgreSQL, a confirmation stuck behind the openings'
row locks longer than BOOKING_LOCK_TIMEOUT_MS gives up with a French
"Trop de demandes en même temps : réessayez dans un instant", records
nothing (its transaction rolled back) and leaves the draft as it was, so the
parent can click "Confirmer" again; no worker waits until gunicorn kills it.

Another connection, in a thread, holds the opening's row lock (SELECT … FOR
UPDATE in an open transaction) for as long as the test needs."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from portail.booking import drafts
from portail.booking.confirm import BUSY, confirm_draft
from portail.booking.models import Booking, BookingStatus, Confirmation, DraftItem, Movement
from portail.structures.models import Opening
from tests.booking.test_concurrency import WAIT, postgres
from tests.helpers import page_text

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
DAY = datetime.date(2026, 12, 7)  # world.opening_a
MESSAGE = "Trop de demandes en même temps : réessayez dans un instant."


class HeldOpening:
    """A transaction of another connection that holds `opening`'s row lock
    from `__enter__` until `__exit__`."""

    def __init__(self, opening):
        self.opening = opening
        self.locked, self.release = threading.Event(), threading.Event()
        self.errors = []
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic():
                list(Opening.objects.select_for_update().filter(pk=self.opening.pk))
                self.locked.set()
                assert self.release.wait(WAIT), "never released"
        except BaseException as exc:  # reported by __exit__
            self.errors.append(exc)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(WAIT), "the other connection did not take the lock"
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive() and self.errors == []


def recorded():
    return Confirmation.objects.count(), Booking.objects.count(), Movement.objects.count()


@pytest.fixture
def marked(world):
    """Paolo's draft with DAY "à réserver" on APS MATIN (structure A)."""
    draft = drafts.get_draft(world.family_a, world.dupont)
    drafts.toggle_day(draft, world.paolo, world.aps_a, DAY, now=NOW)
    draft.refresh_from_db()
    return draft


@postgres
@override_settings(BOOKING_LOCK_TIMEOUT_MS=200)
def test_a_confirmation_stuck_behind_the_lock_gives_up_in_french_and_records_nothing(world, marked):
    token = marked.token
    with HeldOpening(world.opening_a):
        result = confirm_draft(marked, token, user=world.dupont, now=NOW)

    assert result.error == str(BUSY) == MESSAGE
    assert result.confirmation is None and result.movements == []
    assert recorded() == (0, 0, 0)
    marked.refresh_from_db()
    assert marked.token == token  # the same recap can be confirmed again
    assert list(DraftItem.objects.values_list("child", "date")) == [(world.paolo.pk, DAY)]

    # The lock gone, the same click goes through.
    again = confirm_draft(marked, token, user=world.dupont, now=NOW)
    assert again.error is None
    assert [m.outcome for m in again.movements] == [BookingStatus.ACCEPTED]
    assert recorded() == (1, 1, 1)


@postgres
@override_settings(BOOKING_LOCK_TIMEOUT_MS=200)
def test_confirmer_stuck_behind_the_lock_sends_the_parent_back_to_the_recap_with_the_message(client, world, marked):
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    token = marked.token
    with time_machine.travel(NOW, tick=False), HeldOpening(world.opening_a):
        answer = client.post(reverse("family:confirm"), {"jeton": token}, HTTP_HX_REQUEST="true")

    assert answer.status_code == 200 and answer["HX-Redirect"] == reverse("family:recap")
    assert recorded() == (0, 0, 0)
    with time_machine.travel(NOW, tick=False):
        recap = client.get(reverse("family:recap"))
    text = page_text(recap)
    assert MESSAGE in text and "Paolo" in text
    assert f'value="{token}"' in recap.content.decode()  # the Confirmer button confirms the same demandes


@postgres
@override_settings(BOOKING_LOCK_TIMEOUT_MS=200)
def test_the_timeout_is_local_to_the_confirmation(world, marked):
    """SET LOCAL: the session's lock_timeout is back to its own value after the
    confirmation (a connection kept by the worker is not changed for later requests)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        before = cursor.fetchone()[0]
    assert confirm_draft(marked, marked.token, user=world.dupont, now=NOW).error is None
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == before
