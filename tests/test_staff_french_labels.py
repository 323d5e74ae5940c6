"""The back office speaks French (issue 18: "Admin and /gestion/ show no English
label").

Every admin page a clerk opens (the index, each model admin's list, add form
and change form, as the site administrator who sees every field, and as a
structure's staff) and every /gestion/ screen is fetched in French. Its
visible text — text nodes, and the attributes a person reads or hears:
title, aria-label, placeholder, alt, the value of a button — is checked
against words Django and a forgotten verbose name show in English ("Add",
"Save", "Search", "staff status", "Date joined"…). Words that are also French
("Action", "Date", "Message", "Total", "Type", "Structure") are not in the
list, so a real French page never fails; the control test shows the check
does catch an English page.
"""

import datetime
import html
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from portail.booking.models import BookingStatus
from portail.notifications.models import EmailStatus, FamilyMessage, OutboxEmail
from tests.helpers import make_booking

NOW = timezone.make_aware(datetime.datetime(2026, 11, 26, 12, 0))
DAY = "2026-12-07"
OUR_APPS = ("accounts", "structures", "booking", "notifications")

# What Django's admin and auth show in English when a translation is missing,
# and what a field's attribute name gives when its verbose name is forgotten.
# Matched as whole words (case-sensitive for the short ones).
ENGLISH = [
    "Add", "Change", "Delete", "Save", "Search", "History", "Filter", "Home", "Log out", "View site",
    "Select", "Go", "Yes", "No", "Unknown", "All", "Today", "Now", "Choose", "Remove", "Show", "Hide",
    "None", "Edit", "Clear", "Close", "Cancel", "Submit", "Back", "Next", "Previous", "Welcome",
    "results", "selected", "staff status", "superuser status", "Active", "Groups", "User permissions",
    "Password", "Username", "First name", "Last name", "Email address", "Email", "Date joined", "Last login",
    "Name", "Created", "Updated", "created at", "updated at", "Status", "Start", "End", "Booking",
    "Activity", "Family", "Child", "Children", "Opening", "Openings", "Run", "Runs", "Attempts", "Subject",
    "Recipient", "Sent", "Pending", "Failed", "Reason", "Capacity", "Waiting list", "Birth date", "status",
    "Actor", "Kind", "Outcome", "Waiting position", "From", "To", "at", "Token", "Draft", "Report",
    "School class", "Enrolment", "Account", "Accounts", "Invitation sent", "Expires", "Used", "Role",
    "Manager", "Animator", "Message to families", "the", "and", "of", "with", "for", "by", "is", "are",
    "this", "these", "your", "you",
]  # fmt: skip
ENGLISH_RE = re.compile(r"(?<![\w'’-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w'’-])")

# Text that is not a label: data of the test world, addresses, technical names.
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


class _VisibleText(HTMLParser):
    """The text a person reads or hears: text nodes outside script/style, and
    the attributes read aloud or shown (title, aria-label, a button's value)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        attrs = dict(attrs)
        for name in READ_ATTRIBUTES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_parts(content):
    parser = _VisibleText()
    parser.feed(content)
    return [html.unescape(part) for part in parser.parts]


def english_in(content, data_words=()):
    """The English words found in a page's visible text, with their context."""
    found = []
    for part in visible_parts(content):
        cleaned = part
        for word in data_words:  # the test world's own data (names, addresses) is not a label
            cleaned = cleaned.replace(word, " ")
        for match in ENGLISH_RE.finditer(cleaned):
            found.append(f"{match.group(0)!r} in {part[:120]!r}")
    return found


def test_the_check_catches_an_english_page_and_passes_a_french_one():
    english = '<h1>Add user</h1><p title="Search">x</p><input type="submit" value="Save"><td>staff status</td>'
    assert [found.split(" in ")[0] for found in english_in(english)] == [
        "'Add'",
        "'Search'",
        "'Save'",
        "'staff status'",
    ]
    french = (
        '<h1>Ajouter compte</h1><p title="Rechercher">Action : Date du message, Total, Type, Structure</p>'
        '<input type="submit" value="Enregistrer"><script>var Add = 1;</script>'
    )
    assert english_in(french) == []


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def back_office(world):
    """The world with something on every screen: bookings, a waiting list, an
    e-mail, a message, a run's data."""
    w = world
    w.booking_a = make_booking(child=w.paolo, activity=w.aps_a, date=w.opening_a.date, status=BookingStatus.ACCEPTED)
    make_booking(child=w.leo, activity=w.aps_a, date=w.opening_a.date, status=BookingStatus.WAITLISTED)
    w.email_a = OutboxEmail.objects.create(
        kind="compte-rendu", to="parent@example.org", subject="Compte-rendu", body_text="…", structure=w.a,
        status=EmailStatus.FAILED,
    )  # fmt: skip
    w.message_a = FamilyMessage.objects.create(structure=w.a, subject="Bus en retard", body="…", audience="Jour")
    return w


# The test world's data: names and addresses are not labels.
DATA = ["example.org", "Mairie de CarteVille", "Accueil de loisirs Les Pinsons", "APS MATIN", "ALSH MERCREDI"]


def _admin_urls(w):
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model_admin.get_queryset(_request(w.admin)).order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return urls


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def _staff_urls(w):
    day = {"date": DAY}
    urls = []
    for name, query in [
        ("staff:index", ""),
        ("staff:planning", f"date={DAY}&activite={w.aps_a.pk}"),
        ("staff:sheet", f"date={DAY}&activite={w.aps_a.pk}"),
        ("staff:roll_call", ""),
        ("staff:meals", ""),
        ("staff:runs", ""),
        ("staff:emails", ""),
        ("staff:fill_rates", f"activite={w.aps_a.pk}&mois=2026-12"),
        ("staff:messages", ""),
        ("staff:message_new", ""),
        ("staff:day_audit", f"activite={w.aps_a.pk}&date={DAY}"),
    ]:
        urls.append(f"{reverse(name)}?{query}")
    urls.append(reverse("staff:message_detail", args=[w.message_a.pk]))
    urls.append(reverse("staff:family_audit", args=[w.family_a.pk]))
    urls.append(reverse("staff:booking_audit", args=[w.booking_a.pk]))
    del day
    for name in ("staff:caf", "staff:close_day"):  # screens other points of issue 18 add
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            pass
    return urls


def _check(client, urls, *, all_open=True):
    """Fetch each page in French; every one must open unless `all_open` is
    False (an admin without add form, another structure's object); returns
    how many were checked."""
    problems, checked = {}, 0
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        if response.status_code != 200 and not all_open:
            continue
        assert response.status_code == 200, (url, response.status_code)
        if "html" not in response.get("Content-Type", ""):
            continue
        checked += 1
        found = english_in(response.content.decode(), DATA)
        if found:
            problems[url] = found
    assert problems == {}, "English on French staff pages:\n" + "\n".join(f"{u}: {p}" for u, p in problems.items())
    return checked


def test_the_admin_shows_no_english_label_to_the_site_administrator(client, back_office):
    client.force_login(back_office.admin)
    assert _check(client, _admin_urls(back_office), all_open=False) > 30


def test_the_admin_shows_no_english_label_to_a_structure_staff(client, back_office):
    client.force_login(back_office.staff_a)
    assert _check(client, _admin_urls(back_office), all_open=False) > 20


def test_the_daily_screens_show_no_english_label(client, back_office):
    client.force_login(back_office.staff_a)
    _check(client, _staff_urls(back_office))
