"""R9: the recap is what gets confirmed. The draft's token is its version:
every change of the draft gives it a new one (drafts.py), and "Confirmer"
records only the version its recap showed (confirm.py). Tab A opens the recap,
tab B changes the draft, tab A's Confirmer records nothing."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.models import Booking, BookingStatus, Confirmation, Draft, DraftItem, Movement
from tests import factories as f
from tests.booking.test_concurrency import WAIT, Threads, sqlite_file_db, wait_for_lock_waiter  # noqa: F401

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
MON, TUE, WED = datetime.date(2026, 12, 7), datetime.date(2026, 12, 8), datetime.date(2026, 12, 9)
CHANGED = "Vos demandes ont changé : vérifiez le récapitulatif avant de confirmer."
STALE = "Ce récapitulatif n'est plus à jour : vos demandes ont déjà été confirmées ou abandonnées."


@pytest.fixture
def aps(world):
    """APS MATIN of structure A, open Monday to Wednesday of the week of 7 December."""
    for day in (TUE, WED):
        f.OpeningFactory(activity=world.aps_a, date=day)
    return world.aps_a


def tab(world):
    """One browser tab: the parent's draft as a request reads it (its own object)."""
    return drafts.get_draft(world.family_a, world.dupont)


def recorded():
    return Booking.objects.count(), Movement.objects.count(), Confirmation.objects.count()


def test_a_day_added_in_another_tab_after_the_recap_records_nothing(world, aps):
    a = tab(world)
    for day in (MON, TUE):
        drafts.toggle_day(a, world.paolo, aps, day, now=NOW)
    shown = a.token  # tab A's recap: Monday and Tuesday

    b = tab(world)
    drafts.toggle_day(b, world.paolo, aps, WED, now=NOW)  # tab B: one more day

    result = confirm_draft(a, shown, user=world.dupont, now=NOW)
    assert result.error == CHANGED and result.confirmation is None
    assert recorded() == (0, 0, 0)
    assert sorted(DraftItem.objects.values_list("date", flat=True)) == [MON, TUE, WED]  # nothing lost

    # The recap shown again carries the new version, which confirms the three days.
    again = tab(world)
    result = confirm_draft(again, again.token, user=world.dupont, now=NOW)
    assert result.error is None
    assert sorted(m.booking.date for m in result.movements) == [MON, TUE, WED]
    assert recorded() == (3, 3, 1)


def test_a_day_removed_in_another_tab_records_nothing(world, aps):
    a = tab(world)
    for day in (MON, TUE):
        drafts.toggle_day(a, world.paolo, aps, day, now=NOW)
    shown = a.token
    drafts.toggle_day(tab(world), world.paolo, aps, TUE, now=NOW)  # tab B undoes Tuesday
    assert confirm_draft(a, shown, user=world.dupont, now=NOW).error == CHANGED
    assert recorded() == (0, 0, 0)


def test_the_version_shown_confirms(world, aps):
    a = tab(world)
    drafts.toggle_day(a, world.paolo, aps, MON, now=NOW)
    shown = tab(world).token  # the recap reads the draft again: same version
    assert shown == a.token
    result = confirm_draft(a, shown, user=world.dupont, now=NOW)
    assert result.error is None and [m.outcome for m in result.movements] == [BookingStatus.ACCEPTED]
    assert recorded() == (1, 1, 1)


def test_replaying_the_confirmed_version_gives_its_result_even_after_a_later_change(world, aps):
    """A double click or the no-JS fallback's re-post comes back with the token
    just confirmed: it gets that result, never the "changed" message, and
    records nothing, even when a new day was marked in between."""
    a = tab(world)
    drafts.toggle_day(a, world.paolo, aps, MON, now=NOW)
    shown = a.token
    first = confirm_draft(a, shown, user=world.dupont, now=NOW)
    drafts.toggle_day(tab(world), world.paolo, aps, TUE, now=NOW)  # a new demande after the confirmation

    again = confirm_draft(a, shown, user=world.dupont, now=NOW)
    assert again.error is None and again.replayed
    assert again.confirmation.pk == first.confirmation.pk
    assert [m.pk for m in again.movements] == [m.pk for m in first.movements]
    assert recorded() == (1, 1, 1)
    assert list(DraftItem.objects.values_list("date", flat=True)) == [TUE]  # still waiting for its own recap


def test_every_change_of_the_draft_is_a_new_version(world, aps):
    f.EnrolmentFactory(child=world.amalia, activity=aps)
    draft = tab(world)
    versions = [Draft.objects.get(pk=draft.pk).token]

    def changed():
        stored = Draft.objects.get(pk=draft.pk).token
        assert stored == draft.token  # the caller's object follows the stored version
        versions.append(stored)
        return len(set(versions)) == len(versions)

    drafts.toggle_day(draft, world.paolo, aps, MON, now=NOW)
    assert changed()
    drafts.toggle_day(draft, world.paolo, aps, MON, now=NOW)  # undone
    assert changed()
    drafts.toggle_set(draft, world.paolo, aps, [MON, TUE, WED], now=NOW)
    assert changed()
    drafts.copy_bookings(draft, world.paolo, aps, MON, WED, world.amalia, aps, now=NOW)
    assert changed() and DraftItem.objects.filter(child=world.amalia).count() == 3
    drafts.discard(draft)
    assert changed() and not DraftItem.objects.exists()


def test_a_click_that_changes_nothing_keeps_the_recap_valid(world, aps):
    """A refused click, or a tool with nothing to do, changes nothing: the recap
    left open in another tab still confirms."""
    draft = tab(world)
    drafts.toggle_day(draft, world.paolo, aps, MON, now=NOW)
    shown = draft.token
    sunday = datetime.date(2026, 12, 6)
    with pytest.raises(drafts.BookingError):
        drafts.toggle_day(draft, world.paolo, aps, sunday, now=NOW)  # closed day: refused
    assert drafts.toggle_set(draft, world.paolo, aps, [sunday], now=NOW) == {}
    assert drafts.copy_bookings(draft, world.amalia, aps, MON, WED, world.paolo, aps, now=NOW)[0] == 0
    assert draft.token == shown == Draft.objects.get(pk=draft.pk).token
    assert confirm_draft(draft, shown, user=world.dupont, now=NOW).error is None
    assert recorded() == (1, 1, 1)


def test_an_emptied_draft_says_the_recap_is_out_of_date(world, aps):
    draft = tab(world)
    drafts.toggle_day(draft, world.paolo, aps, MON, now=NOW)
    shown = draft.token
    drafts.discard(tab(world))
    assert confirm_draft(draft, shown, user=world.dupont, now=NOW).error == STALE
    assert confirm_draft(draft, "pas-un-jeton", user=world.dupont, now=NOW).error == STALE
    drafts.toggle_day(tab(world), world.paolo, aps, TUE, now=NOW)
    assert confirm_draft(draft, shown, user=world.dupont, now=NOW).error == CHANGED
    assert recorded() == (0, 0, 0)


@pytest.fixture
def threads_db(request):
    """A database the test's threads share with their own connections: on
    SQLite a file copy (see test_concurrency.sqlite_file_db), on PostgreSQL the test database."""
    if connection.vendor == "sqlite":
        request.getfixturevalue("sqlite_file_db")


@pytest.mark.django_db(transaction=True)
def test_a_change_committing_while_confirmer_waits_is_detected(threads_db, world, aps, monkeypatch):
    """The race: tab B's change has taken the draft's row (its new version
    written, not yet committed) when tab A's Confirmer arrives. The confirmation
    waits for the row (PostgreSQL: seen waiting on its UPDATE; SQLite: its
    IMMEDIATE transaction cannot begin), then finds the version gone and
    records nothing; tab B's day is in the draft."""
    a = tab(world)
    drafts.toggle_day(a, world.paolo, aps, MON, now=NOW)
    shown = a.token
    inside, release = threading.Event(), threading.Event()
    real = drafts.load_snapshot

    def held(*args, **kwargs):
        inside.set()  # tab B's version UPDATE is done, its transaction still open
        assert release.wait(WAIT), "never released"
        return real(*args, **kwargs)

    monkeypatch.setattr(drafts, "load_snapshot", held)
    b_draft = tab(world)
    tab_b = Threads(lambda: drafts.toggle_day(b_draft, world.paolo, aps, TUE, now=NOW))
    try:
        assert inside.wait(WAIT)
        tab_a = Threads(lambda: confirm_draft(a, shown, user=world.dupont, now=NOW))
        if connection.vendor == "postgresql":
            assert wait_for_lock_waiter(tab_a, Draft._meta.db_table, statement="UPDATE %"), (
                "the confirmation did not wait for the draft's row"
            )
    finally:
        release.set()
    tab_b.join()
    (result,) = tab_a.join()

    assert result.error == CHANGED
    assert recorded() == (0, 0, 0)
    assert sorted(DraftItem.objects.values_list("date", flat=True)) == [MON, TUE]
