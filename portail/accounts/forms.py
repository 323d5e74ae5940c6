from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from portail.accounts.models import Invitation, User
from portail.accounts.recovery import ANSWER_MIN_LENGTH, normalise_answer, set_security_question


class LoginForm(AuthenticationForm):
    """A1: identifiant and mot de passe, with the manual's words."""

    # max_length: a longer identifiant is refused here, before the login throttle
    # records it (axes' column holds 255 characters; PostgreSQL refuses more: a 500).
    username = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _("Identifiant ou mot de passe incorrect."),
        "inactive": _("Ce compte est désactivé. Contactez votre structure."),
    }


class UnrenderedTextInput(forms.TextInput):
    """A visible text input that, like a password input, never writes the
    typed value back into the page (for security answers)."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


def _answer_field(label):
    return forms.CharField(
        label=label,
        max_length=200,
        strip=False,
        widget=UnrenderedTextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )


class EmailForm(forms.ModelForm):
    """P2: the account's e-mail address, used at once (D2); empty removes it.

    The current password is asked: the address is where a recovery link goes,
    so changing it from a session left open would hand over the account."""

    current_password = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    class Meta:
        model = User
        fields = ["email"]
        labels = {"email": _("Adresse e-mail")}
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}
        error_messages = {"email": {"invalid": _("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.")}}

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"].strip())

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        if not self.instance.check_password(password):
            raise forms.ValidationError(_("Mot de passe actuel incorrect."))
        return password


class SecurityQuestionForm(forms.Form):
    """P3: a question of the parent's own, its answer, and the current
    password (so that nobody at an unattended screen can set one)."""

    question = forms.CharField(
        label=_("Question secrète"),
        min_length=10,
        max_length=200,
        help_text=_(
            "Une question dont vous seul connaissez la réponse, par exemple « Nom de mon premier instituteur ? »."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    answer = _answer_field(_("Réponse"))
    current_password = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["answer"].help_text = _(
            "Au moins %(min)s caractères. Majuscules, accents et espaces ne comptent pas."
        ) % {"min": ANSWER_MIN_LENGTH}

    def clean_answer(self):
        answer = self.cleaned_data["answer"]
        if len(normalise_answer(answer)) < ANSWER_MIN_LENGTH:
            raise forms.ValidationError(
                _("La réponse doit compter au moins %(min)s caractères."), params={"min": ANSWER_MIN_LENGTH}
            )
        return answer

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Mot de passe actuel incorrect."))
        return password

    def save(self):
        set_security_question(self.user, self.cleaned_data["question"], self.cleaned_data["answer"])


class RecoveryStartForm(forms.Form):
    """A3, step 1: the identifiant; the button pressed says which way."""

    username = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )


class RecoveryAnswerForm(forms.Form):
    answer = _answer_field(_("Votre réponse"))


class RecoveryEmailForm(RecoveryStartForm):
    """A3b: the identifiant and the e-mail address of the profile."""

    email = forms.EmailField(
        label=_("Adresse e-mail enregistrée dans votre profil"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.")},
    )


# --- Invitations to a family (issue 12) ----------------------------------------------

# The words of any sign-up form for a taken identifiant; the import says the same.
USERNAME_TAKEN = _("Identifiant déjà pris : choisissez-en un autre")


class InvitationWayForm(forms.Form):
    """Which button of the invitation page was pressed."""

    way = forms.ChoiceField(choices=[("attach", "attach"), ("login", "login"), ("create", "create")])


class InvitationSignupForm(BaseUserCreationForm):
    """A parent without an account creates one from a family invitation: their
    own identifiant and password; the e-mail is the invitation's."""

    class Meta(BaseUserCreationForm.Meta):
        model = User
        fields = ["username", "last_name", "first_name"]
        labels = {"username": _("Identifiant"), "last_name": _("Nom"), "first_name": _("Prénom")}
        help_texts = {"username": _("Lettres, chiffres et @ . + - _ seulement, sans espace ; 150 caractères au plus.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("last_name", "first_name"):
            self.fields[name].required = True
            self.fields[name].max_length = 150
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["username"].widget.attrs.pop("autofocus", None)

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(USERNAME_TAKEN, code="unique")
        return username

    def validate_unique(self):
        # clean_username already says it in the product's words.
        pass


class FamilyInvitationForm(forms.ModelForm):
    """Staff: "Inviter un parent" — a family of their structures and an address."""

    class Meta:
        model = Invitation
        fields = ["family", "email"]
        labels = {"email": _("Adresse e-mail du parent")}
        help_texts = {
            "email": _(
                "Le parent reçoit un lien : il crée son compte, ou ajoute cette famille au compte qu'il utilise déjà "
                "(il se connecte avec son mot de passe). Vous ne voyez ni ne choisissez son mot de passe."
            ),
        }
        error_messages = {"email": {"invalid": _("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "family" in self.fields:  # the change view shows every field read-only
            self.fields["family"].required = True

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"].strip())


class FamilyAccountsForm(forms.ModelForm):
    """The family admin's form (B4, issue 12): its accounts field may keep the
    family's accounts and add accounts that already open a family of the
    staff member's structures (for the site administrator, of the family's
    own structure), never a staff account. A parent of another structure
    joins through "Inviter un parent", which they accept themselves.

    `own_structure_ids` is set by the admin per request (None: the superuser)."""

    own_structure_ids = None

    def clean(self):
        cleaned = super().clean()
        accounts = cleaned.get("accounts")
        structure = cleaned.get("structure") or (self.instance.structure if self.instance.structure_id else None)
        if accounts is None or structure is None:
            return cleaned
        kept = set(self.instance.accounts.values_list("pk", flat=True)) if self.instance.pk else set()
        added = [account for account in accounts if account.pk not in kept]
        if not added:
            return cleaned
        own = self.own_structure_ids if self.own_structure_ids is not None else {structure.pk}
        allowed = set(
            User.objects.filter(pk__in=[a.pk for a in added], families__structure__in=own, is_staff=False)
            .filter(is_superuser=False)
            .values_list("pk", flat=True)
        )
        refused = [account.username for account in added if account.pk not in allowed]
        if refused:
            self.add_error(
                "accounts",
                _(
                    "Compte non disponible pour cette famille : %(accounts)s. Pour un parent qui a déjà un compte "
                    "dans une autre structure, utilisez « Inviter un parent » : il accepte avec son mot de passe."
                )
                % {"accounts": ", ".join(refused)},
            )
        return cleaned
