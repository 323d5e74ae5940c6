"""Issue 17 point 6: health data and documents of a family without activity
for its structure's retention are deleted by the worker, with a log."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from portail.booking.models import Consumption
from portail.dossier import rgpd
from portail.dossier.documents import store_document
from portail.dossier.models import AuthorisedPerson, Document, HealthSheet, PurgeLog, private_storage
from tests.helpers import make_booking

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 26)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LONG_AGO = datetime.datetime(2020, 1, 6, 9, 0, tzinfo=datetime.UTC)


def _file(w, family, child):
    """A health sheet, a person allowed to pick up and a document, all written long ago."""
    HealthSheet.objects.create(child=child, has_food_allergy=True, allergies="Arachide")
    HealthSheet.objects.filter(child=child).update(updated_at=LONG_AGO)
    AuthorisedPerson.objects.create(child=child, name="Josette", relationship="grand-mère", phone="01 02")
    return store_document(family, SimpleUploadedFile("caf.pdf", PDF), doc_type=None, uploaded_by=None, now=LONG_AGO)


@pytest.fixture
def old_files(world):
    w = world
    w.doc_dupont = _file(w, w.family_a, w.paolo)
    w.doc_martin = _file(w, w.martin_a, w.leo)
    # Accounts that never logged in: nothing but the file's own dates counts.
    type(w.dupont).objects.update(last_login=None)
    return w


def _held(child):
    return HealthSheet.objects.filter(child=child).exists(), AuthorisedPerson.objects.filter(child=child).exists()


def test_a_family_without_activity_for_the_retention_loses_its_health_data_and_documents(
    old_files, django_capture_on_commit_callbacks
):
    w = old_files
    make_booking(child=w.paolo, activity=w.aps_a, date=datetime.date(2026, 10, 5), status="accepted")
    stored = w.doc_martin.file.name
    with django_capture_on_commit_callbacks(execute=True):
        purged = rgpd.purge_expired(NOW)

    assert [p.family for p in purged] == [w.martin_a]
    assert _held(w.leo) == (False, False)
    assert not Document.objects.filter(family=w.martin_a).exists()
    assert not private_storage.exists(stored)
    log = PurgeLog.objects.get()
    assert (log.structure, log.family_reference) == (w.a, "MAR")
    assert log.what == "1 fiche sanitaire, 1 personne autorisée, 1 document"
    # DUPONT booked last month: its file stays whole.
    assert _held(w.paolo) == (True, True)
    assert private_storage.exists(w.doc_dupont.file.name)


@pytest.mark.parametrize(
    ("last_day", "purged"),
    [
        (datetime.date(2024, 11, 26), False),  # exactly 24 months ago: still kept
        (datetime.date(2024, 11, 25), True),  # one day more: purged
    ],
)
def test_the_retention_is_counted_in_months_from_the_last_activity(old_files, last_day, purged):
    w = old_files
    Consumption.objects.create(child=w.leo, activity=w.aps_a, date=last_day)
    rgpd.purge_expired(NOW)
    assert _held(w.leo) == ((False, False) if purged else (True, True))


def test_a_booking_to_come_or_a_recent_login_keeps_the_file(old_files):
    w = old_files
    make_booking(child=w.leo, activity=w.aps_a, date=datetime.date(2026, 12, 7), status="accepted")
    w.dupont.last_login = NOW - datetime.timedelta(days=3)
    w.dupont.save(update_fields=["last_login"])
    assert rgpd.purge_expired(NOW) == []
    assert _held(w.leo) == (True, True) and _held(w.paolo) == (True, True)


def test_each_structure_has_its_own_retention(old_files):
    w = old_files
    HealthSheet.objects.create(child=w.paolo_b, allergies="Lait")
    HealthSheet.objects.filter(child=w.paolo_b).update(updated_at=NOW - datetime.timedelta(days=200))
    rgpd.purge_expired(NOW)
    assert HealthSheet.objects.filter(child=w.paolo_b).exists()  # B keeps 24 months by default
    w.b.health_data_retention_months = 6
    w.b.save()
    rgpd.purge_expired(NOW)
    assert not HealthSheet.objects.filter(child=w.paolo_b).exists()
    assert PurgeLog.objects.filter(structure=w.b).count() == 1


def test_a_dry_run_deletes_nothing(old_files):
    w = old_files
    out = StringIO()
    call_command("purge_family_data", "--dry-run", stdout=out)
    assert "MAR : 1 fiche sanitaire, 1 personne autorisée, 1 document" in out.getvalue()
    assert "2 familles à purger." in out.getvalue()
    assert _held(w.leo) == (True, True) and not PurgeLog.objects.exists()
    call_command("purge_family_data", stdout=StringIO())
    assert _held(w.leo) == (False, False) and PurgeLog.objects.count() == 2


def test_the_worker_purges_once_a_day(old_files):
    w = old_files
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("worker", "--once", stdout=out)
    assert "Purge des données (RGPD) : 2 familles." in out.getvalue()
    # Another expired file the same day waits for tomorrow's pass.
    HealthSheet.objects.create(child=w.amalia, allergies="Kiwi")
    HealthSheet.objects.filter(child=w.amalia).update(updated_at=LONG_AGO)
    assert rgpd.purge_daily(None, now=NOW) is None
    assert HealthSheet.objects.filter(child=w.amalia).exists()
    tomorrow = NOW + datetime.timedelta(days=1)
    assert rgpd.purge_daily(None, now=tomorrow) == "Purge des données (RGPD) : 1 famille."
    assert not HealthSheet.objects.filter(child=w.amalia).exists()
    assert PurgeLog.objects.count() == 3


def test_months_before_keeps_the_day_or_takes_the_month_end():
    assert rgpd.months_before(datetime.date(2026, 11, 26), 24) == datetime.date(2024, 11, 26)
    assert rgpd.months_before(datetime.date(2026, 3, 31), 1) == datetime.date(2026, 2, 28)
    assert rgpd.months_before(datetime.date(2026, 1, 15), 1) == datetime.date(2025, 12, 15)
    assert rgpd.months_before(datetime.date(2026, 12, 15), 12) == datetime.date(2025, 12, 15)
