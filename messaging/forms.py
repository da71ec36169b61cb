"""Shapes of input only; who may write to whom is decided by accounts.permissions and the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from journal.models import School, SchoolClass

from .models import CLASS_AUDIENCES, Audience
from .services import MAX_BODY


class RecipientField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.username


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 5}))


class NewThreadForm(forms.Form):
    recipient = RecipientField(label=_("To"), queryset=User.objects.none(), empty_label=_("— choose —"))
    subject = forms.CharField(label=_("Topic"), max_length=200)
    body = forms.CharField(label=_("Message"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args: object, recipients: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = recipients


class AnnouncementForm(forms.Form):
    audience = forms.ChoiceField(label=_("For whom"))
    school = forms.ModelChoiceField(label=_("Which school"), queryset=School.objects.none(), required=False)
    school_class = forms.ModelChoiceField(label=_("Class"), queryset=SchoolClass.objects.none(), required=False)
    title = forms.CharField(label=_("Heading"), max_length=200)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: object, schools: object, classes: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        choices = []
        if schools.exists():
            choices += [(Audience.SCHOOL, Audience.SCHOOL.label), (Audience.STAFF, Audience.STAFF.label)]
        if classes.exists():
            choices += [(a, Audience(a).label) for a in CLASS_AUDIENCES]
        self.fields["audience"].choices = choices
        self.fields["school"].queryset = schools
        self.fields["school_class"].queryset = classes.select_related("year__school").order_by(
            "-year__start", "grade", "letter"
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("audience") in CLASS_AUDIENCES and not data.get("school_class"):
            self.add_error("school_class", _("Choose the class."))
        return data


class PreferenceForm(forms.Form):
    email_messages = forms.BooleanField(label=_("E-mail me about new messages"), required=False)
    daily_digest = forms.BooleanField(
        label=_("E-mail me every evening the new marks and absences of my children"), required=False
    )
