from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portail.accounts import audit
from portail.accounts.forms import FamilyAccountsForm, FamilyInvitationForm
from portail.accounts.invitations import InvitationRefused, last_invitation, send_family_invitation, send_invitation
from portail.accounts.models import Invitation, StaffAccount, StaffRole, User
from portail.accounts.recovery import ResetLinkRefused, send_reset_link
from portail.structures.admin import FamilyAdmin
from portail.structures.admin_base import ScopedAdminMixin, ScopedModelAdmin
from portail.structures.models import Family, Structure
from portail.structures.scoping import is_structure_staff, scope_queryset, staff_structure_ids

CONFIRMED = "oui"


def invitation_action(model_admin, request, queryset):
    """The admin action "Envoyer une invitation". An account that already got
    one is only sent another after a confirmation page saying when the last
    one was sent (issue 18 point 8: "Renvoyer" asks before e-mailing again)."""
    without_email = [u.username for u in queryset if not u.email]
    with_password = [u.username for u in queryset.exclude(email="") if u.has_usable_password()]
    wanted = list(queryset.exclude(email="").exclude(username__in=with_password))
    already = [(user, last_invitation(user)) for user in wanted]
    already = [(user, invitation) for user, invitation in already if invitation is not None]
    now = timezone.now()
    for _user, invitation in already:
        invitation.expired = invitation.expires_at <= now
    if already and request.POST.get("confirmation") != CONFIRMED:
        context = {
            **model_admin.admin_site.each_context(request),
            "title": _("Renvoyer une invitation ?"),
            "opts": model_admin.model._meta,
            "already": already,
            "wanted": wanted,
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "action": request.POST.get("action", "send_invitations"),
            "confirmed": CONFIRMED,
        }
        return TemplateResponse(request, "admin/accounts/confirm_invitations.html", context)
    sent = 0
    for user in wanted:
        invitation = send_invitation(user, created_by=request.user)
        audit.record(request.user, user, f"Invitation (choix du mot de passe) envoyée à {invitation.email}.")
        sent += 1
    if sent:
        messages.success(request, ngettext("%d invitation envoyée.", "%d invitations envoyées.", sent) % sent)
    if without_email:
        messages.error(
            request, _("Aucune adresse e-mail pour : %s. Renseignez-la puis réessayez.") % ", ".join(without_email)
        )
    if with_password:
        messages.warning(
            request,
            _("Ces comptes ont déjà un mot de passe, aucune invitation envoyée : %s. "
              "Un parent qui l'a oublié utilise « Mot de passe oublié ? Le retrouver ».") % ", ".join(with_password),
        )  # fmt: skip
    return None


class AccountCreationForm(forms.ModelForm):
    """A new account has no usable password: the parent chooses one through
    the invitation link (A1). Staff attach it to one of their families."""

    family = forms.ModelChoiceField(
        queryset=Family.objects.none(), label=_("famille"), required=False,
        help_text=_("La famille à laquelle ce compte donne accès."),
    )  # fmt: skip

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "email"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family"].queryset = scope_queryset(Family.objects.select_related("structure"), request.user)
        if not request.user.is_superuser:
            self.fields["family"].required = True

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class AccountChangeForm(UserChangeForm):
    # The relation lives on Structure.staff; the site administrator edits it here.
    staff_structures = forms.ModelMultipleChoiceField(
        queryset=Structure.objects.all(), required=False, label=_("structures gérées"),
        widget=admin.widgets.FilteredSelectMultiple(_("structures"), False),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["staff_structures"].initial = self.instance.staff_structures.all()
        if "staff_role" in self.fields:
            # Left out of a post (an older form, a script): the account keeps its role.
            self.fields["staff_role"].required = False

    def clean_staff_role(self):
        return self.cleaned_data.get("staff_role") or self.instance.staff_role or StaffRole.AGENT


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    add_form = AccountCreationForm
    form = AccountChangeForm
    add_fieldsets = [(None, {"fields": ["username", "last_name", "first_name", "email", "family"]})]
    list_display = ["username", "last_name", "first_name", "email", "is_active", "has_password", "is_staff"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["username", "last_name", "first_name", "email"]
    actions = ["send_invitations", "send_reset_links"]
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # Staff and administrator accounts are the site administrator's, even
        # one also linked to a family: its e-mail, password or an invitation
        # would open another structure's back office.
        return queryset.filter(is_staff=False, is_superuser=False)

    def _shared_beyond_scope(self, request, obj):
        """Whether `obj` also opens a family of a structure this staff member does not manage."""
        ids = staff_structure_ids(request.user)
        return obj is not None and ids is not None and obj.families.exclude(structure__in=ids).exists()

    def has_change_permission(self, request, obj=None):
        # Read-only when shared with another structure's family: a new e-mail
        # (then an invitation) or password would let this staff member log in
        # as the parent and see that other structure's family.
        return super().has_change_permission(request, obj) and not self._shared_beyond_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._shared_beyond_scope(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Once a parent has chosen a password, the e-mail is where their
        # recovery link goes: a new one set by staff, then a reset link, would
        # be staff choosing the password. The parent changes it in the profile
        # (with the password); the site administrator can, for a parent who
        # lost both (recorded in the history).
        if obj is not None and not request.user.is_superuser and obj.has_usable_password():
            fields.append("email")
        return fields

    @staticmethod
    def may_set_password(request, user):
        """Nobody sets a parent's password in the back office (issue 12): the
        parent chooses it through an invitation or a reset link. The site
        administrator keeps the form for staff accounts, whose holders have
        no other way back into the back office."""
        return request.user.is_superuser and (user.is_staff or user.is_superuser)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and not self.may_set_password(request, user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        base = [(None, {"fields": ["username", "last_name", "first_name", "email", "is_active"]})]
        if request.user.is_superuser:
            base.append(
                (_("Administration"), {"fields": ["is_staff", "is_superuser", "staff_role", "staff_structures"]})
            )
        base.append((_("Dates"), {"fields": ["last_login", "date_joined"]}))
        return base

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            form = AccountCreationForm

            class RequestBoundForm(form):
                def __init__(self, *args, **kw):
                    super().__init__(*args, request=request, **kw)

            kwargs["form"] = RequestBoundForm
            kwargs["fields"] = ["username", "last_name", "first_name", "email"]
            return super(BaseUserAdmin, self).get_form(request, obj, **kwargs)
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        family = form.cleaned_data.get("family") if not change else None
        if family is not None:
            family.accounts.add(obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if request.user.is_superuser and "staff_structures" in form.cleaned_data:
            form.instance.staff_structures.set(form.cleaned_data["staff_structures"])

    @admin.display(boolean=True, description=_("mot de passe choisi"))
    def has_password(self, obj):
        return obj.has_usable_password()

    @admin.action(description=_("Envoyer une invitation (lien pour choisir le mot de passe)"))
    def send_invitations(self, request, queryset):
        return invitation_action(self, request, queryset)

    @admin.action(description=_("Envoyer un lien de réinitialisation du mot de passe"))
    def send_reset_links(self, request, queryset):
        """The parent's own recovery e-mail (A3b), sent to the address of the
        account: staff never set nor see the password. Each link sent is
        written in the account's history."""
        structure = None
        ids = staff_structure_ids(request.user)
        if ids is not None and len(ids) == 1:
            structure = Structure.objects.filter(pk=next(iter(ids))).first()
        sent, refused = 0, []
        for user in queryset:
            try:
                send_reset_link(user, structure=structure)
            except ResetLinkRefused as error:
                refused.append(f"{user.username} ({error})")
                continue
            audit.record(request.user, user, f"Lien de réinitialisation du mot de passe envoyé à {user.email}.")
            sent += 1
        if sent:
            messages.success(
                request,
                ngettext("%d lien de réinitialisation envoyé.", "%d liens de réinitialisation envoyés.", sent) % sent,
            )
        if refused:
            messages.warning(request, _("Aucun lien envoyé pour : %s.") % ", ".join(refused))


@admin.register(Invitation)
class InvitationAdmin(ScopedModelAdmin):
    """Invitations sent, and "Inviter un parent": a family of one's structures
    and an e-mail address. The parent accepts it with their own account
    (portail/accounts/views.py), so no staff path attaches an account of
    another structure."""

    list_display = ["family", "user", "email", "created_at", "expires_at", "used_at", "created_by"]
    list_select_related = ["family__structure", "user", "created_by"]
    form = FamilyInvitationForm
    autocomplete_fields = ["family"]
    readonly_fields = list_display

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        ids = staff_structure_ids(request.user)
        if ids is None:
            return queryset
        # A family invitation belongs to its family's structure (whoever then
        # accepted it); an account invitation to the account's structures.
        mine = Invitation.objects.filter(
            Q(family__isnull=False, family__structure__in=ids)
            | Q(family__isnull=True, user__families__structure__in=ids)
        )
        return queryset.filter(pk__in=mine.values("pk"))

    def get_fields(self, request, obj=None):
        return ["family", "email"] if obj is None else self.list_display

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {
            "title": _("Inviter un parent"),
            "invitation_valid_days": settings.INVITATION_VALID_DAYS,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        obj.created_by = request.user
        send_family_invitation(obj)

    def response_add(self, request, obj, post_url_continue=None):
        days = (obj.expires_at - obj.created_at).days
        messages.success(
            request,
            ngettext(
                "Invitation envoyée à %(email)s pour la famille %(family)s. Le lien est valable %(days)d jour.",
                "Invitation envoyée à %(email)s pour la famille %(family)s. Le lien est valable %(days)d jours.",
                days,
            )
            % {"email": obj.email, "family": obj.family, "days": days},
        )
        return self.response_post_save_add(request, obj)


class FamilyWithAccountsAdmin(FamilyAdmin):
    """The structures' family admin, with its accounts field checked here
    (issue 12: which accounts may be added, FamilyAccountsForm), so that
    `structures` never imports `accounts`."""

    form = FamilyAccountsForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.own_structure_ids = staff_structure_ids(request.user)
        return form


admin.site.unregister(Family)
admin.site.register(Family, FamilyWithAccountsAdmin)


# ---- Staff accounts, for structure managers (issue 18 point 7)


def managed_staff_accounts(manager):
    """The staff accounts `manager` may create, change and disable: staff
    (never site administrators), attached only to structures it manages, and
    attached to no family (never a parent's account). The site administrator
    manages every staff account but its peers."""
    accounts = StaffAccount.objects.filter(is_staff=True, is_superuser=False, families__isnull=True)
    ids = staff_structure_ids(manager)
    if ids is None:
        return accounts
    inside = StaffAccount.objects.filter(staff_structures__in=ids).values("pk")
    # Inside one's structures, and in none of the others: disabling an account
    # must never take a colleague of another structure out of its back office.
    elsewhere = StaffAccount.objects.filter(staff_structures__in=Structure.objects.exclude(pk__in=ids)).values("pk")
    return accounts.filter(pk__in=inside).exclude(pk__in=elsewhere)


class StaffAccountForm(forms.ModelForm):
    """A staff account as its manager edits it: names, address, role and the
    structures it works in (among the manager's). Never a password: the
    holder chooses it through the invitation link (A1, D1)."""

    structures = forms.ModelMultipleChoiceField(
        queryset=Structure.objects.none(), label=_("structures"), widget=forms.CheckboxSelectMultiple,
        help_text=_("Les structures où ce compte travaille, parmi celles que vous gérez."),
    )  # fmt: skip

    class Meta:
        model = StaffAccount
        fields = ["username", "last_name", "first_name", "email", "staff_role", "is_active"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["structures"].queryset = scope_queryset(Structure.objects.order_by("name"), request.user)
        if self.instance.pk:
            self.fields["structures"].initial = self.instance.staff_structures.all()
        if "email" in self.fields:
            self.fields["email"].required = True
            self.fields["email"].help_text = _("L'invitation à choisir le mot de passe y est envoyée.")
        if "last_name" in self.fields:
            self.fields["last_name"].required = True

    def clean_is_active(self):
        active = self.cleaned_data.get("is_active")
        if self.instance.pk == self.request.user.pk and not active:
            raise forms.ValidationError(_("Vous ne pouvez pas désactiver votre propre compte."))
        return active

    def clean_staff_role(self):
        role = self.cleaned_data.get("staff_role")
        if self.instance.pk == self.request.user.pk and role != self.instance.staff_role:
            raise forms.ValidationError(_("Vous ne pouvez pas changer votre propre rôle."))
        return role


@admin.register(StaffAccount)
class StaffAccountAdmin(admin.ModelAdmin):
    """« Comptes du personnel »: a structure manager (User.staff_role
    "responsable") and the site administrator create the staff accounts of
    their structures (an invitation link, through the outbox, lets the holder
    choose its password), change their role and structures, and disable them
    (is_active off: nothing is deleted, the history stays)."""

    form = StaffAccountForm
    list_display = ["username", "last_name", "first_name", "email", "staff_role", "structure_names", "is_active",
                    "has_password"]  # fmt: skip
    list_filter = ["staff_role", "is_active"]
    search_fields = ["username", "last_name", "first_name", "email"]
    actions = ["disable_accounts", "send_invitations"]
    ordering = ["last_name", "first_name", "username"]

    def get_queryset(self, request):
        return managed_staff_accounts(request.user).prefetch_related("staff_structures")

    def _allowed(self, request, obj=None):
        user = request.user
        if not getattr(user, "is_structure_manager", False) or not is_structure_staff(user):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # disabled, never deleted: the history and the audit keep its name

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["username", "last_name", "first_name", "email", "staff_role", "structures"]
        return ["username", "last_name", "first_name", "email", "staff_role", "structures", "is_active",
                "last_login", "date_joined"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = ["username", "last_login", "date_joined"]
        # Once its holder has chosen a password, the address is where its
        # recovery link goes: the manager does not change it (see UserAdmin).
        if obj.has_usable_password() and not request.user.is_superuser:
            fields.append("email")
        return fields

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class RequestBoundForm(base):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return RequestBoundForm

    def save_model(self, request, obj, form, change):
        obj.is_staff = True
        obj.is_superuser = False
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        account = form.instance
        account.staff_structures.set(form.cleaned_data["structures"])
        role = account.get_staff_role_display()
        if not change:
            audit.record(request.user, account, f"Compte du personnel créé ({role}).")
            try:
                invitation = send_invitation(account, created_by=request.user)
            except InvitationRefused as error:
                messages.warning(request, str(error))
            else:
                audit.record(request.user, account, f"Invitation (choix du mot de passe) envoyée à {invitation.email}.")
                messages.success(
                    request, _("Une invitation à choisir son mot de passe est envoyée à %(email)s.")
                    % {"email": invitation.email},
                )  # fmt: skip
        elif form.changed_data:
            audit.record(request.user, account, f"Compte du personnel modifié ({', '.join(form.changed_data)}).")

    @admin.display(description=_("structures"))
    def structure_names(self, obj):
        return ", ".join(s.name for s in obj.staff_structures.all())

    @admin.display(boolean=True, description=_("mot de passe choisi"))
    def has_password(self, obj):
        return obj.has_usable_password()

    @admin.action(description=_("Désactiver les comptes sélectionnés"))
    def disable_accounts(self, request, queryset):
        own = queryset.filter(pk=request.user.pk).exists()
        accounts = list(queryset.exclude(pk=request.user.pk).filter(is_active=True))
        StaffAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(is_active=False)
        for account in accounts:
            audit.record(request.user, account, "Compte du personnel désactivé.")
        if accounts:
            messages.success(
                request,
                ngettext("%d compte désactivé.", "%d comptes désactivés.", len(accounts)) % len(accounts),
            )
        if own:
            messages.error(request, _("Vous ne pouvez pas désactiver votre propre compte."))

    @admin.action(description=_("Envoyer une invitation (lien pour choisir le mot de passe)"))
    def send_invitations(self, request, queryset):
        return invitation_action(self, request, queryset)
