"""Forgotten password (A3, D1) and the security question of the profile (P3).

A password is never shown nor sent: both ways end with the parent choosing a
new one.

- A3a: the answer to the account's security question. Answers are stored as
  a password hash of their normalised form. Five wrong answers in a row (each
  less than 15 minutes after the previous one) lock that way for the account
  for 15 minutes after the last one, as django-axes does for the login.
- A3b: the identifiant and the e-mail address of the profile; when both match
  an account, an e-mail with a single-use link valid one hour is queued. The
  page that follows is the same whether or not they matched.

Every step (showing a question, answering it, asking for a link) is recorded
as a RecoveryAttempt; one network address gets at most IP_LIMIT steps per
IP_WINDOW, across accounts, so nobody can guess answers or list identifiants
by trying many accounts.

Proofs (a right answer, an e-mail link) are PasswordResetTokenGenerator
tokens: HMAC-signed, timestamped, and computed from the password hash, so
they stop working as soon as the password changes (single use).
"""

import datetime
import string
import unicodedata
from dataclasses import dataclass

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext

from portail.accounts.models import RecoveryAttempt, RecoveryStep, SecurityQuestion
from portail.notifications.outbox import queue_email

ANSWER_MAX_FAILURES = 5
ANSWER_LOCK = datetime.timedelta(minutes=15)
IP_LIMIT = 20
IP_WINDOW = datetime.timedelta(minutes=15)
EMAIL_LINKS_PER_ACCOUNT = 3
EMAIL_LINKS_WINDOW = datetime.timedelta(hours=1)
EMAIL_LINK_VALIDITY = datetime.timedelta(hours=1)
ANSWER_PROOF_VALIDITY = datetime.timedelta(minutes=10)
ANSWER_MIN_LENGTH = 3

# Both ends of an answer lose these: "Paris." and "« Paris »" are "paris".
_END_PUNCTUATION = string.punctuation + string.whitespace + "«»“”‘’„…–—¡¿"


class TooManyAttempts(Exception):
    """A limit is reached; `until` says when the parent may try again."""

    def __init__(self, until, *, per_account):
        super().__init__(until)
        self.until = until
        self.per_account = per_account

    @property
    def minutes(self):
        return max(1, -(-int((self.until - timezone.now()).total_seconds()) // 60))


class RecoveryTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens with their own salt and validity: they hash the
    password, so they stop working once it is changed."""

    def __init__(self, key_salt, validity):
        super().__init__()
        self.key_salt = key_salt
        self.validity = validity

    def _now(self):
        # Django counts in local time, so a link made just before the autumn
        # clock change would live an hour longer; UTC has no such jump.
        return timezone.now().astimezone(datetime.UTC).replace(tzinfo=None)

    def check_token(self, user, token):
        # Django bounds the age by PASSWORD_RESET_TIMEOUT (3 days); ours is shorter.
        if not super().check_token(user, token):
            return False
        issued = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - issued <= self.validity.total_seconds()


email_link_tokens = RecoveryTokenGenerator("portail.accounts.recovery.email-link", EMAIL_LINK_VALIDITY)
answer_tokens = RecoveryTokenGenerator("portail.accounts.recovery.answer", ANSWER_PROOF_VALIDITY)
_GENERATORS = {RecoveryStep.EMAIL: email_link_tokens, RecoveryStep.ANSWER: answer_tokens}


# --- The security question (P3) ----------------------------------------------


def normalise_answer(answer):
    """The form of an answer that is hashed and compared: lower case, no
    accents, single spaces, no punctuation at either end ("  Éléphant ! "
    and "elephant" are the same answer)."""
    decomposed = unicodedata.normalize("NFKD", answer)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(text.split()).strip(_END_PUNCTUATION)


def set_security_question(user, question, answer):
    """Store (or replace) the account's question and the hash of its answer."""
    SecurityQuestion.objects.update_or_create(
        user=user,
        defaults={
            "question": " ".join(question.split()),
            "answer_hash": make_password(normalise_answer(answer)),
            "updated_at": timezone.now(),
        },
    )


def question_of(user):
    """The account's question, or None."""
    return SecurityQuestion.objects.filter(user=user).values_list("question", flat=True).first()


# --- Limits ------------------------------------------------------------------


def _check_ip(ip, now):
    recent = RecoveryAttempt.objects.filter(ip=ip, created_at__gt=now - IP_WINDOW)
    if recent.count() >= IP_LIMIT:
        # The address may try again once the IP_LIMIT-th newest step is out of the window.
        last_counted = recent.order_by("-created_at").values_list("created_at", flat=True)[IP_LIMIT - 1]
        raise TooManyAttempts(last_counted + IP_WINDOW, per_account=False)


def _failure_streak(user, now):
    """(wrong answers in a row, time of the last one): a streak ends at a
    right answer or at a pause of ANSWER_LOCK between two wrong answers."""
    rows = (
        RecoveryAttempt.objects.filter(
            user=user, step=RecoveryStep.ANSWER, created_at__gt=now - ANSWER_MAX_FAILURES * ANSWER_LOCK
        )
        .order_by("-created_at", "-pk")
        .values_list("created_at", "success")[: ANSWER_MAX_FAILURES + 1]
    )
    streak, previous, last = 0, now, None
    for created_at, success in rows:
        if success or previous - created_at >= ANSWER_LOCK:
            break
        streak += 1
        previous = created_at
        last = last or created_at
    return streak, last


def answer_locked_until(user, now=None):
    """When the question way opens again for this account, or None if open."""
    now = now or timezone.now()
    streak, last = _failure_streak(user, now)
    if streak >= ANSWER_MAX_FAILURES:
        return last + ANSWER_LOCK
    return None


# --- Finding the account ---------------------------------------------------------


def find_account(username):
    """The active account of this identifiant that has a password, or None.

    An account that never chose a password is invited by its structure (A1),
    as Django's own reset form also ignores such accounts."""
    user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return None
    return user


def look_up_question(username, ip):
    """Step 1 of A3a: record the look-up (it counts against the address's limit)
    and return the account's question, or None for an unknown identifiant and
    for an account without a question alike."""
    now = timezone.now()
    _check_ip(ip, now)
    user = find_account(username)
    question = question_of(user) if user else None
    RecoveryAttempt.objects.create(
        user=user, ip=ip, step=RecoveryStep.LOOKUP, success=question is not None, created_at=now
    )
    return question


@dataclass
class AnswerResult:
    right: bool
    remaining: int = 0
    proof: dict | None = None


def answer_question(username, answer, ip):
    """Step 2 of A3a: check the answer. A right one returns a proof to keep in
    the session for choosing the new password; a wrong one, how many tries are
    left before the lock. Raises TooManyAttempts when a limit is reached."""
    now = timezone.now()
    _check_ip(ip, now)
    user = find_account(username)
    stored = SecurityQuestion.objects.filter(user=user).first() if user else None
    if stored is None:
        # Recorded too: answering on a crafted session is still an attempt.
        RecoveryAttempt.objects.create(user=user, ip=ip, step=RecoveryStep.ANSWER, success=False, created_at=now)
        return AnswerResult(right=False, remaining=0)
    with transaction.atomic():
        # One answer at a time per account, so parallel requests cannot slip
        # guesses past the lock (SQLite serialises writers at BEGIN anyway).
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        locked_until = answer_locked_until(user, now)
        if locked_until:
            raise TooManyAttempts(locked_until, per_account=True)
        right = check_password(normalise_answer(answer), stored.answer_hash)
        RecoveryAttempt.objects.create(user=user, ip=ip, step=RecoveryStep.ANSWER, success=right, created_at=now)
    if right:
        return AnswerResult(right=True, proof=make_proof(user, RecoveryStep.ANSWER, answer_tokens.make_token(user)))
    streak, last = _failure_streak(user, now)
    if streak >= ANSWER_MAX_FAILURES:
        raise TooManyAttempts(last + ANSWER_LOCK, per_account=True)
    return AnswerResult(right=False, remaining=ANSWER_MAX_FAILURES - streak)


# --- A3b: the e-mail link ---------------------------------------------------------


def request_email_link(username, email, ip):
    """A3b: when the identifiant and the e-mail address match an account, queue
    an e-mail with a link to choose a new password. Returns nothing: the caller
    shows the same page either way. An account gets at most
    EMAIL_LINKS_PER_ACCOUNT links per EMAIL_LINKS_WINDOW (the others are
    silently not sent, so nobody can flood a parent's mailbox)."""
    now = timezone.now()
    _check_ip(ip, now)
    user = find_account(username)
    matches = bool(user and user.email and email.strip() and user.email.lower() == email.strip().lower())
    if matches:
        sent_recently = RecoveryAttempt.objects.filter(
            user=user, step=RecoveryStep.EMAIL, success=True, created_at__gt=now - EMAIL_LINKS_WINDOW
        ).count()
        matches = sent_recently < EMAIL_LINKS_PER_ACCOUNT
    with transaction.atomic():
        RecoveryAttempt.objects.create(user=user, ip=ip, step=RecoveryStep.EMAIL, success=matches, created_at=now)
        if matches:
            _queue_link(user, now)


def _queue_link(user, now, *, structure=None):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("accounts:recovery_link", args=[uid, email_link_tokens.make_token(user)])
    context = {
        "user": user,
        "link": settings.SITE_URL + path,
        "valid_until": now + EMAIL_LINK_VALIDITY,
        "validity_minutes": int(EMAIL_LINK_VALIDITY.total_seconds() // 60),
        "sent_by_structure": structure,
    }
    queue_email(user.email, "accounts/email/recovery", context, kind="recuperation", structure=structure)


class ResetLinkRefused(Exception):
    """Why staff could not send a reset link; the message is for them, in French."""


def send_reset_link(user, *, structure=None):
    """Staff's "Envoyer un lien de réinitialisation du mot de passe": the A3b
    e-mail, to the address stored in the account (the parent's own), so staff
    never set nor see the password. It counts against the account's limit of
    links, like a parent's own request, so nobody floods a mailbox."""
    now = timezone.now()
    if not user.is_active:
        raise ResetLinkRefused(gettext("compte désactivé"))
    if not user.email:
        raise ResetLinkRefused(gettext("aucune adresse e-mail"))
    if not user.has_usable_password():
        raise ResetLinkRefused(gettext("pas encore de mot de passe : envoyez une invitation"))
    sent_recently = RecoveryAttempt.objects.filter(
        user=user, step=RecoveryStep.EMAIL, success=True, created_at__gt=now - EMAIL_LINKS_WINDOW
    ).count()
    if sent_recently >= EMAIL_LINKS_PER_ACCOUNT:
        raise ResetLinkRefused(
            gettext("déjà %(count)s liens envoyés dans l'heure : réessayez plus tard")
            % {"count": EMAIL_LINKS_PER_ACCOUNT}
        )
    with transaction.atomic():
        RecoveryAttempt.objects.create(user=user, ip=None, step=RecoveryStep.EMAIL, success=True, created_at=now)
        _queue_link(user, now, structure=structure)


def user_from_link(uidb64, token):
    """The account of an e-mail link if the link is still valid, else None."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None or not email_link_tokens.check_token(user, token):
        return None
    return user


# --- Choosing the new password -------------------------------------------------------


def make_proof(user, step, token):
    """What the session keeps between a right answer (or an opened link) and
    the new password: the account and a token that dies with the password."""
    return {"user": user.pk, "step": str(step), "token": token}


def user_from_proof(proof):
    """The account a session proof is for, if the proof is still valid."""
    if not isinstance(proof, dict) or proof.get("step") not in _GENERATORS:
        return None
    user = get_user_model().objects.filter(pk=proof.get("user"), is_active=True).first()
    if user is None or not _GENERATORS[proof["step"]].check_token(user, str(proof.get("token", ""))):
        return None
    return user


def reset_password(user, password):
    """Set the new password (which spends every proof and link of the account)
    and lift a django-axes login lockout of its identifiant."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
    axes_reset(username=user.username)
    return user
