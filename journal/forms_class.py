"""Forms of the class teacher's desk: the shape of the input only; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from attendance.models import AbsenceReason

from .models import MedicalGroup, Sex

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
REASON_CHOICES = [(c, label) for c, label in AbsenceReason.choices if c != AbsenceReason.UNKNOWN]


class StudentDataForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=100, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DATE_WIDGET)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    personal_file_number = forms.CharField(label=_("Personal file number"), max_length=30)
    medical_group = forms.ChoiceField(label=_("Medical group"), choices=MedicalGroup.choices)
    address = forms.CharField(label=_("Home address"), max_length=300, required=False)


class ParentContactsForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=150, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)


class ConsentForm(forms.Form):
    CONSENT, REFUSAL = "consent", "refusal"

    student = forms.TypedChoiceField(label=_("Student"), coerce=int)
    given_by = forms.CharField(label=_("Legal representative"), max_length=300)
    kind = forms.ChoiceField(
        label=_("Record"),
        choices=[(CONSENT, _("written consent")), (REFUSAL, _("refusal"))],
        widget=forms.RadioSelect,
        initial=CONSENT,
    )
    on = forms.DateField(label=_("Date of the document"), widget=DATE_WIDGET)
    electronic_access_refused = forms.BooleanField(
        label=_("Refused the electronic diary (gets a paper extract)"), required=False
    )
    note = forms.CharField(label=_("Document"), max_length=300, required=False)

    def __init__(self, *args, students=(), **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = [(s.pk, s.full_name) for s in students]


class AbsenceReasonForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=REASON_CHOICES)
    note = forms.CharField(label=_("Document"), max_length=300, required=False)


class ReasonRangeForm(forms.Form):
    student = forms.TypedChoiceField(label=_("Student"), coerce=int)
    start = forms.DateField(label=_("First day"), widget=DATE_WIDGET)
    end = forms.DateField(label=_("Last day"), widget=DATE_WIDGET)
    reason = forms.ChoiceField(label=_("Reason"), choices=REASON_CHOICES)
    note = forms.CharField(label=_("Document"), max_length=300, required=False)

    def __init__(self, *args, students=(), **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = [(s.pk, s.full_name) for s in students]


class SlipsForm(forms.Form):
    users = forms.TypedMultipleChoiceField(label=_("People"), coerce=int)

    def __init__(self, *args, people=(), **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = [(p.user.pk, str(p.user)) for p in people if not p.is_staff]
