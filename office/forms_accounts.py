"""Shapes of the input of the accounts and leaks pages (issue 7 points 6–7). Rules live in the services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from journal.models import SchoolClass

from .accounts import TEMPORARY_DAYS

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M"]


def _role_choices(roles: list[str]) -> list[tuple[str, str]]:
    return [(r, Role(r).label) for r in roles]


class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(label=_("Roles"), widget=forms.CheckboxSelectMultiple, required=False)
    position = forms.CharField(label=_("position"), max_length=200, required=False)

    def __init__(self, *args, roles: list[str], **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = _role_choices(roles)


class StaffCreateForm(StaffRolesForm):
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=150, required=False)
    username = forms.CharField(label=_("Login"), max_length=150, validators=[UnicodeUsernameValidator()])
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)

    field_order = ["last_name", "first_name", "patronymic", "username", "email", "phone", "roles", "position"]

    def __init__(self, *args, roles: list[str], **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, roles=roles, **kwargs)
        self.fields["roles"].required = True


class StaffSlipsForm(forms.Form):
    users = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user_ids: list[int], **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = [(pk, pk) for pk in user_ids]
        self.fields["users"].error_messages["required"] = _("Choose at least one person.")


class TemporaryLoginsForm(forms.Form):
    school_class = forms.ModelChoiceField(label=_("Class"), queryset=SchoolClass.objects.none())
    until = forms.DateField(label=_("Valid until (inclusive)"), required=False)

    def __init__(self, *args, classes, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = classes
        self.fields["until"].initial = timezone.localdate() + dt.timedelta(days=TEMPORARY_DAYS)

    def clean_until(self) -> dt.date:
        return self.cleaned_data.get("until") or timezone.localdate() + dt.timedelta(days=TEMPORARY_DAYS)


class TemporaryEndForm(forms.Form):
    school_class = forms.ModelChoiceField(label=_("Class"), queryset=SchoolClass.objects.none())

    def __init__(self, *args, classes, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = classes


class LeakForm(forms.Form):
    username = forms.CharField(label=_("Login"), max_length=150)
    reported_at = forms.DateTimeField(label=_("Leaked since"), input_formats=DATETIME_FORMATS)
    note = forms.CharField(label=_("note"), max_length=500, required=False)


class VoidForm(forms.Form):
    event = forms.IntegerField(required=False)
    all = forms.BooleanField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("all") and not data.get("event"):
            raise forms.ValidationError(_("Choose the operation to void."))
        return data
