"""Issue 13 point 3: each e-mail is written in its recipient's language
(User.language), whatever language the request or command that sends it runs
in; an address whose account never chose gets French, the manual's format."""

import datetime

import pytest
from django.utils import translation

from portail.booking.processing import process_requests
from portail.lib.dates import short_day_lazy
from portail.notifications.models import OutboxEmail
from portail.notifications.outbox import queue_email, recipient_languages, render_email
from portail.notifications.reports import queue_closure_notice
from tests import factories as f
from tests.notifications.test_report import at, confirm, manual_world, may  # noqa: F401 (the fixture)


@pytest.fixture
def w(request):
    """The manual's family (tests/notifications/test_report.py)."""
    return request.getfixturevalue("manual_world")


def english_parent(w, email="parent.en@example.org"):
    """A second account of the manual's family, which chose English."""
    account = f.UserFactory(username="parent-en", email=email, language="en")
    w["family"].accounts.add(account)
    return account


def test_the_compte_rendu_is_written_in_each_recipients_language(w):
    english_parent(w)
    confirm(w, [(w["paolo"], w["aps"], may(15))], now=at(2))
    with translation.override("en"):  # the run's own language does not matter
        process_requests(w["structure"], now=at(2, 23))
    french = OutboxEmail.objects.get(kind="compte-rendu", to="jean-paul.dupont@example.org")
    english = OutboxEmail.objects.get(kind="compte-rendu", to="parent.en@example.org")
    assert "DUPONT Paolo : lun. 15/05" in french.body_text  # the manual's exact French format
    assert "DUPONT Paolo: Mon 15/05" in english.body_text  # English punctuation: the line is translatable (C2)
    assert "lun." not in english.body_text and "Mon 15/05" not in french.body_text


def test_a_closure_notice_sent_from_an_english_page_reaches_a_french_parent_in_french(w):
    english_parent(w)
    confirm(w, [(w["paolo"], w["aps"], may(15))], now=at(2))
    booking = w["paolo"].bookings.get()
    with translation.override("en"):  # a staff member reading the portal in English closes the day
        assert queue_closure_notice(booking, "Grève") == 2
    french = OutboxEmail.objects.get(kind="fermeture", to="jean-paul.dupont@example.org")
    english = OutboxEmail.objects.get(kind="fermeture", to="parent.en@example.org")
    assert "lun. 15/05" in french.subject + french.body_text
    assert "Mon 15/05" in english.subject + english.body_text
    assert "Mon 15/05" not in french.body_text


def test_queue_email_looks_up_the_recipients_language(db):
    f.UserFactory(username="anglophone", email="Anglophone@Example.org", language="en")
    with translation.override("fr"):
        email = queue_email("anglophone@example.org", "notifications/email/closure", _closure_context(), kind="test")
    assert "Mon 15/05" in email.subject
    assert email.subject == _render_subject_in("en") != _render_subject_in("fr")
    unknown = queue_email("nobody@example.org", "notifications/email/closure", _closure_context(), kind="test")
    assert unknown.subject == _render_subject_in("fr") and "lun. 15/05" in unknown.subject


def test_recipient_languages_ignores_inactive_and_undecided_accounts(db):
    f.UserFactory(username="a", email="a@example.org", language="en")
    f.UserFactory(username="b", email="b@example.org", language="")
    f.UserFactory(username="c", email="c@example.org", language="en", is_active=False)
    assert recipient_languages(["A@example.org", "b@example.org", "c@example.org", "nobody@example.org"]) == {
        "a@example.org": "en"
    }


def _closure_context():
    structure = f.StructureFactory.build(name="Mairie de CarteVille")
    activity = f.ActivityFactory.build(name="APS MATIN", structure=structure)
    return {"structure": structure, "activity": activity, "day": short_day_lazy(datetime.date(2023, 5, 15))}


def _render_subject_in(language):
    return render_email("notifications/email/closure", _closure_context(), language)[0]
