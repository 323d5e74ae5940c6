"""The language a person reads the portal in (issue 13 point 3).

Django's LocaleMiddleware picks the language from the `django_language`
cookie, else the browser's Accept-Language. On top of it:

- `set_language`: the choice in the header and on the profile page. It sets
  the cookie and, for a logged-in account, `User.language`, so the choice
  follows the account to another computer and the e-mails it receives are
  written in it.
- `UserLanguageMiddleware`: for a logged-in account, its language wins over
  the cookie of the browser it logs in from; an account that never chose
  keeps the one it chose before logging in (cookie), which is then stored.
"""

from django import forms
from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from portail.accounts.models import User
from portail.web.errors import bad_request

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    # The page the choice was made on; only a path of this site is followed.
    next = forms.CharField(required=False, max_length=2000)


def _set_cookie(response, language):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )  # fmt: skip


@require_POST
def set_language(request):
    """Remember the chosen language (cookie, and the account when logged in),
    then go back to the page it was chosen on."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return bad_request(request, gettext("Cette langue n'est pas proposée : choisissez le français ou l'anglais."))
    language = form.cleaned_data["language"]
    next_url = form.cleaned_data["next"]
    # A path of this site only: redirect() would also take "0" or "login" as a view's
    # name (a 500 when it is none, found by the fuzz suite).
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("family:home") if request.user.is_authenticated else reverse("login")
    if request.user.is_authenticated:
        User.objects.filter(pk=request.user.pk).update(language=language)
    response = HttpResponseRedirect(next_url)
    _set_cookie(response, language)
    return response


class UserLanguageMiddleware:
    """After AuthenticationMiddleware: a logged-in account reads the portal in
    its own language, whatever the browser's cookie says (a shared or new
    computer), and the cookie is brought in line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        fix_cookie = None
        if user is not None and user.is_authenticated:
            cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if user.language in LANGUAGE_CODES:
                if user.language != translation.get_language():
                    translation.activate(user.language)
                    request.LANGUAGE_CODE = user.language
                if cookie != user.language:
                    fix_cookie = user.language
            elif cookie in LANGUAGE_CODES:
                # Chosen before logging in, on an account that never chose: keep it.
                User.objects.filter(pk=user.pk).update(language=cookie)
                user.language = cookie
        response = self.get_response(request)
        if fix_cookie:
            _set_cookie(response, fix_cookie)
        return response
