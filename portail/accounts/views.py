from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from portail.accounts.forms import (
    EmailForm,
    InvitationSignupForm,
    InvitationWayForm,
    LoginForm,
    RecoveryAnswerForm,
    RecoveryEmailForm,
    RecoveryStartForm,
    SecurityQuestionForm,
)
from portail.accounts.invitations import (
    InvitationRefused,
    InvitationUnusable,
    accept_family_invitation,
    accept_invitation,
    may_join_a_family,
)
from portail.accounts.models import Invitation, RecoveryStep
from portail.accounts.recovery import (
    TooManyAttempts,
    answer_locked_until,
    answer_question,
    find_account,
    look_up_question,
    make_proof,
    question_of,
    request_email_link,
    reset_password,
    user_from_link,
    user_from_proof,
)
from portail.structures.models import Structure
from portail.web.family import family_required, switch_family


@never_cache
@sensitive_post_parameters("new_password1", "new_password2", "login-password", "signup-password1", "signup-password2")
def invitation(request, token):
    """The parent opens the invitation link: an account invitation lets them
    choose its password; a family invitation, join the family (issue 12)."""
    found = Invitation.find_usable(token)
    if found is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if found.family_id:
        return _family_invitation(request, found)
    form = SetPasswordForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept_invitation(found, form.cleaned_data["new_password1"])
        messages.success(request, _("Votre mot de passe est enregistré. Connectez-vous avec votre identifiant."))
        # A staff account (issue 18 point 7) logs in to the back office.
        return redirect("admin:login" if found.user.is_staff else "login")
    return render(request, "accounts/invitation.html", {"form": form, "account": found.user})


def _family_invitation(request, found):
    """Three ways, one page: the logged-in parent confirms; a parent with an
    account logs in with it (throttled like the login page); a parent without
    one creates it. Each ends with the family added to that account only."""
    user = request.user
    logged_in = user.is_authenticated and may_join_a_family(user)
    login_form = LoginForm(request, prefix="login")
    signup_form = InvitationSignupForm(prefix="signup")
    if request.method == "POST":
        way = InvitationWayForm(request.POST)
        chosen = way.cleaned_data["way"] if way.is_valid() else None
        account = None
        if chosen == "attach" and logged_in:
            account = user
        elif chosen == "login":
            login_form = LoginForm(request, data=request.POST, prefix="login")
            if login_form.is_valid():
                account = login_form.get_user()
                if not may_join_a_family(account):
                    login_form.add_error(None, _("Un compte du personnel ne peut pas être rattaché à une famille."))
                    account = None
        elif chosen == "create":
            signup_form = InvitationSignupForm(request.POST, prefix="signup")
            if signup_form.is_valid():
                account = signup_form.save(commit=False)
                account.email = found.email
        if account is not None:
            return _join(request, found, account, new=chosen == "create")
    context = {
        "invitation": found,
        "family": found.family,
        "logged_in": logged_in,
        "staff_logged_in": user.is_authenticated and not logged_in,
        "already": logged_in and found.family.accounts.filter(pk=user.pk).exists(),
        "login_form": login_form,
        "signup_form": signup_form,
    }
    return render(request, "accounts/invitation_family.html", context)


def _join(request, found, account, *, new):
    try:
        with transaction.atomic():
            if new:
                account.save()
            family = accept_family_invitation(found, account)
    except (InvitationUnusable, InvitationRefused):
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.user != account:
        auth_login(request, account, backend="django.contrib.auth.backends.ModelBackend")
    switch_family(request, family.pk)
    messages.success(
        request,
        _("La famille %(family)s (%(structure)s) est ajoutée à votre compte « %(username)s ».")
        % {
            "family": f"{family.last_name.upper()} {family.first_name}".strip(),
            "structure": family.structure.name,
            "username": account.username,
        },
    )
    return redirect("family:home")


# --- Profil (P1-P3, D2) ------------------------------------------------------------


def _profile_page(request, *, password_form=None, email_form=None, question_form=None):
    user = request.user
    question = question_of(user)
    password_form = password_form or PasswordChangeForm(user, auto_id="pw_%s")
    # Django focuses the old password; on a phone that opens the keyboard over the page.
    password_form.fields["old_password"].widget.attrs.pop("autofocus", None)
    context = {
        "password_form": password_form,
        "email_form": email_form or EmailForm(instance=user, auto_id="email_%s"),
        "question_form": question_form or SecurityQuestionForm(user, initial={"question": question}, auto_id="q_%s"),
        "question": question,
    }
    return render(request, "accounts/profile.html", context)


@never_cache
@family_required
def profile(request):
    """P1-P3: password, e-mail address and security question, on one page."""
    return _profile_page(request)


@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_POST
@family_required
def profile_password(request):
    """P1: the current password is required; the parent stays logged in."""
    form = PasswordChangeForm(request.user, request.POST, auto_id="pw_%s")
    if not form.is_valid():
        return _profile_page(request, password_form=form)
    form.save()
    update_session_auth_hash(request, form.user)
    messages.success(request, _("Votre mot de passe est modifié."))
    return redirect("accounts:profile")


@never_cache
@require_POST
@family_required
def profile_email(request):
    """P2: used at once (D2) for reports, waiting-list notices and recovery."""
    form = EmailForm(request.POST, instance=request.user, auto_id="email_%s")
    if not form.is_valid():
        return _profile_page(request, email_form=form)
    form.save()
    if form.instance.email:
        messages.success(request, _("Votre adresse e-mail est enregistrée."))
    else:
        messages.success(request, _("Votre adresse e-mail est supprimée."))
    return redirect("accounts:profile")


@never_cache
@sensitive_post_parameters("answer", "current_password")
@require_POST
@family_required
def profile_question(request):
    """P3: question and answer for A3a; the current password is required."""
    form = SecurityQuestionForm(request.user, request.POST, auto_id="q_%s")
    if not form.is_valid():
        return _profile_page(request, question_form=form)
    form.save()
    messages.success(request, _("Votre question secrète est enregistrée."))
    return redirect("accounts:profile")


# --- Le retrouver (A3, D1) -------------------------------------------------------------

USERNAME_KEY = "recovery_username"
PROOF_KEY = "recovery_proof"


def _recovery_render(request, template, context=None, status=200):
    context = {"structures": Structure.objects.order_by("name"), **(context or {})}
    return render(request, template, context, status=status)


def _too_many(request, error):
    return _recovery_render(request, "accounts/recovery_limited.html", {"error": error}, status=429)


@never_cache
def recovery(request):
    """A3, step 1: the identifiant, and the way chosen by the button pressed."""
    form = RecoveryStartForm(request.POST or None, initial={"username": request.session.get(USERNAME_KEY, "")})
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        request.session[USERNAME_KEY] = username
        if request.POST.get("way") == "email":
            return redirect("accounts:recovery_email")
        try:
            look_up_question(username, get_client_ip_address(request))
        except TooManyAttempts as error:
            return _too_many(request, error)
        return redirect("accounts:recovery_question")
    return _recovery_render(request, "accounts/recovery.html", {"form": form})


@never_cache
@sensitive_post_parameters("answer")
def recovery_question(request):
    """A3a: the account's question; a right answer leads to the new password."""
    username = request.session.get(USERNAME_KEY)
    if not username:
        return redirect("accounts:recovery")
    user = find_account(username)
    question = question_of(user) if user else None
    context = {"username": username, "question": question}
    if question is None:
        return _recovery_render(request, "accounts/recovery_question.html", context)
    locked_until = answer_locked_until(user)
    if locked_until:
        return _too_many(request, TooManyAttempts(locked_until, per_account=True))
    form = RecoveryAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = answer_question(username, form.cleaned_data["answer"], get_client_ip_address(request))
        except TooManyAttempts as error:
            return _too_many(request, error)
        if result.right:
            request.session[PROOF_KEY] = result.proof
            return redirect("accounts:recovery_password")
        form = RecoveryAnswerForm()
        context["wrong"] = True
        context["remaining"] = result.remaining
    context["form"] = form
    return _recovery_render(request, "accounts/recovery_question.html", context)


@never_cache
def recovery_email(request):
    """A3b: identifiant and e-mail address; the next page never says whether
    they matched an account."""
    form = RecoveryEmailForm(request.POST or None, initial={"username": request.session.get(USERNAME_KEY, "")})
    if request.method == "POST" and form.is_valid():
        try:
            request_email_link(
                form.cleaned_data["username"], form.cleaned_data["email"], get_client_ip_address(request)
            )
        except TooManyAttempts as error:
            return _too_many(request, error)
        return redirect("accounts:recovery_email_sent")
    return _recovery_render(request, "accounts/recovery_email.html", {"form": form})


@never_cache
def recovery_email_sent(request):
    """The same page whether or not a link was sent."""
    return _recovery_render(request, "accounts/recovery_email_sent.html")


@never_cache
def recovery_link(request, uidb64, token):
    """The link of the e-mail: kept in the session, then out of the address bar
    (so it never leaks in a Referer header) on the page to choose the password."""
    user = user_from_link(uidb64, token)
    if user is None:
        return _recovery_render(request, "accounts/recovery_invalid.html", status=404)
    request.session[PROOF_KEY] = make_proof(user, RecoveryStep.EMAIL, token)
    return redirect("accounts:recovery_password")


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def recovery_password(request):
    """Both ways end here: choose the new password (never shown nor sent)."""
    user = user_from_proof(request.session.get(PROOF_KEY))
    if user is None:
        request.session.pop(PROOF_KEY, None)
        return _recovery_render(request, "accounts/recovery_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        reset_password(user, form.cleaned_data["new_password1"])
        request.session.pop(PROOF_KEY, None)
        request.session.pop(USERNAME_KEY, None)
        messages.success(
            request,
            _("Votre nouveau mot de passe est enregistré. Connectez-vous avec votre identifiant « %(username)s ».")
            % {"username": user.username},
        )
        return redirect("login")
    return _recovery_render(request, "accounts/recovery_password.html", {"form": form, "account": user})
