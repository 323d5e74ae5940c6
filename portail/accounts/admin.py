from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portail.accounts.invitations import send_invitation
from portail.accounts.models import Invitation, User
from portail.structures.admin_base import ScopedAdminMixin, ScopedModelAdmin
from portail.structures.models import Family, Structure
from portail.structures.scoping import scope_queryset, staff_structure_ids


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


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    add_form = AccountCreationForm
    form = AccountChangeForm
    add_fieldsets = [(None, {"fields": ["username", "last_name", "first_name", "email", "family"]})]
    list_display = ["username", "last_name", "first_name", "email", "is_active", "has_password", "is_staff"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["username", "last_name", "first_name", "email"]
    actions = ["send_invitations"]
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

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        base = [(None, {"fields": ["username", "last_name", "first_name", "email", "is_active"]})]
        if request.user.is_superuser:
            base.append((_("Administration"), {"fields": ["is_staff", "is_superuser", "staff_structures"]}))
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
        without_email = [u.username for u in queryset if not u.email]
        with_password = [u.username for u in queryset.exclude(email="") if u.has_usable_password()]
        sent = 0
        for user in queryset.exclude(email="").exclude(username__in=with_password):
            send_invitation(user, created_by=request.user)
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


@admin.register(Invitation)
class InvitationAdmin(ScopedModelAdmin):
    list_display = ["user", "email", "created_at", "expires_at", "used_at", "created_by"]
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
