"""Issue 13 point 3: a parent chooses French or English (header, profile);
the choice is remembered (cookie, and the account when logged in) and the
page says which language it is in (<html lang>)."""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from portail.lib import dates
from tests import factories as f

COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(response):
    return re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1)


def choose(client, language, next_url="/"):
    return client.post(reverse("accounts:language"), {"language": language, "next": next_url})


@pytest.fixture
def parent(client, world):
    client.force_login(world.dupont)
    return client


def test_pages_are_french_by_default_and_say_so(parent):
    response = parent.get(reverse("family:home"))
    assert html_lang(response) == "fr"
    assert "Aller au contenu" in response.content.decode()


def test_the_header_offers_the_choice_with_csrf(parent):
    page = parent.get(reverse("family:home")).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)" class="language-form".*?</form>', page, re.S)
    assert form.group(1) == reverse("accounts:language")
    assert "csrfmiddlewaretoken" in form.group(0)
    # Each language named in itself, whatever the page's language.
    assert '<option value="en" lang="en">English</option>' in form.group(0)
    assert '<option value="fr" lang="fr" selected>Français</option>' in form.group(0)
    assert "accounts:language" not in page  # the URL is resolved, not printed raw


def test_choosing_english_is_remembered_on_the_account_and_in_a_cookie(parent, world):
    response = choose(parent, "en", reverse("family:reservations"))
    assert response.status_code == 302 and response["Location"] == reverse("family:reservations")
    assert response.cookies[COOKIE].value == "en"
    world.dupont.refresh_from_db()
    assert world.dupont.language == "en"
    page = parent.get(reverse("family:home"))
    assert html_lang(page) == "en"
    assert "Skip to content" in page.content.decode() and "Aller au contenu" not in page.content.decode()


def test_the_account_language_follows_the_parent_to_another_computer(world):
    world.dupont.language = "en"
    world.dupont.save()
    other_computer = Client()  # no cookie, a French browser
    other_computer.force_login(world.dupont)
    response = other_computer.get(reverse("family:home"), HTTP_ACCEPT_LANGUAGE="fr")
    assert html_lang(response) == "en"
    assert response.cookies[COOKIE].value == "en"  # the cookie is brought in line


def test_a_choice_made_before_logging_in_is_kept_on_an_account_that_never_chose(world):
    browser = Client()
    assert choose(browser, "en", reverse("login")).cookies[COOKIE].value == "en"
    assert html_lang(browser.get(reverse("login"))) == "en"
    browser.force_login(world.martin)
    assert html_lang(browser.get(reverse("family:home"))) == "en"
    world.martin.refresh_from_db()
    assert world.martin.language == "en"


def test_an_account_that_chose_french_stays_french_in_an_english_browser(world):
    world.martin.language = "fr"
    world.martin.save()
    browser = Client()
    browser.cookies[COOKIE] = "en"
    browser.force_login(world.martin)
    assert html_lang(browser.get(reverse("family:home"), HTTP_ACCEPT_LANGUAGE="en")) == "fr"


@pytest.mark.parametrize("language", ["de", "", "en" * 600, "<script>"])
def test_an_unknown_language_is_refused_and_changes_nothing(parent, world, language):
    response = choose(parent, language)
    assert response.status_code == 400
    assert COOKIE not in response.cookies
    assert "Cette langue n&#x27;est pas proposée : choisissez le français" in response.content.decode()
    world.dupont.refresh_from_db()
    assert world.dupont.language == ""


# "0" and "login" are not paths: redirect() took them for view names (a 500, found by the fuzz suite).
@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "", "0", "login"]
)
def test_the_way_back_never_leaves_the_site(parent, next_url):
    response = choose(parent, "en", next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("family:home")


def test_only_post(parent, world):
    assert parent.get(reverse("accounts:language"), {"language": "en"}).status_code == 405
    world.dupont.refresh_from_db()
    assert world.dupont.language == ""


def test_the_profile_offers_the_choice(parent):
    page = parent.get(reverse("accounts:profile")).content.decode()
    assert 'id="profile-language"' in page and 'id="language-select"' in page


def test_error_pages_are_in_the_chosen_language(parent):
    choose(parent, "en")
    response = parent.get("/this-page-does-not-exist/")
    assert response.status_code == 404
    assert html_lang(response) == "en" and "Page not found" in response.content.decode()


def test_dates_follow_the_active_language_and_keep_the_manual_format_in_french():
    day = datetime.date(2023, 5, 15)
    with translation.override("fr"):
        assert dates.short_day(day) == "lun. 15/05"
        assert dates.long_date(day) == "lundi 15 mai 2023"
        assert dates.month_year(2023, 8) == "août 2023"
        assert [str(d) for d in dates.WEEKDAY_ABBR][:2] == ["lun.", "mar."]
        assert str(dates.MONTH_NAMES[1]) == "février"
    with translation.override("en"):
        assert dates.short_day(day) == "Mon 15/05"
        assert dates.long_date(day) == "Monday, May 15, 2023"
        assert dates.month_year(2023, 8) == "August 2023"
        assert str(dates.WEEKDAY_ABBR[6]) == "Sun"
        assert str(dates.MONTH_NAMES[1]) == "February"


def test_the_language_field_is_offered_only_with_the_portal_languages():
    field = f.UserFactory._meta.model._meta.get_field("language")
    assert [code for code, _ in field.choices] == [code for code, _ in settings.LANGUAGES]
