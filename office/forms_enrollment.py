"""The shape of the input on the movement and rollover pages (issue 7 §5). Rules live in
``office/enrollment.py`` and ``office/rollover.py``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from journal.models import SchoolClass, Sex, Student

from .enrollment import ORDER_NUMBER_MAX

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def _class_field(queryset, label: str) -> forms.ModelChoiceField:  # noqa: ANN001
    field = forms.ModelChoiceField(label=label, queryset=queryset)
    field.label_from_instance = lambda c: f"{c.name} ({c.year.name})"
    return field


class OrderForm(forms.Form):
    """Every movement is made by an order: its number and date."""

    order_number = forms.CharField(label=_("Order number"), max_length=ORDER_NUMBER_MAX)
    order_date = forms.DateField(label=_("Order date"), **DATE)


class AdmitForm(OrderForm):
    """A new student: their data, the class and the first day."""

    last_name = forms.CharField(label=_("Surname"), max_length=100)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=100, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), **DATE)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    personal_file_number = forms.CharField(label=_("Personal file number"), max_length=30)
    school_class = forms.ModelChoiceField(label=_("Class"), queryset=SchoolClass.objects.none())
    start = forms.DateField(label=_("First day"), **DATE)

    field_order = [
        "last_name", "first_name", "patronymic", "birth_date", "sex", "personal_file_number",
        "school_class", "start", "order_number", "order_date",
    ]  # fmt: skip

    def __init__(self, *args, classes=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["school_class"] = _class_field(
            classes if classes is not None else SchoolClass.objects.none(), _("Class")
        )


class ReadmitForm(OrderForm):
    """A student who left earlier comes back."""

    school_class = forms.ModelChoiceField(label=_("Class"), queryset=SchoolClass.objects.none())
    start = forms.DateField(label=_("First day"), **DATE)

    field_order = ["school_class", "start", "order_number", "order_date"]

    def __init__(self, *args, classes=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["school_class"] = _class_field(
            classes if classes is not None else SchoolClass.objects.none(), _("Class")
        )


class ReadmitPickForm(ReadmitForm):
    """The same from the movement page: the student is picked from those who study nowhere now."""

    student = forms.ModelChoiceField(label=_("Student"), queryset=Student.objects.none())

    field_order = ["student", "school_class", "start", "order_number", "order_date"]

    def __init__(self, *args, students=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = students if students is not None else Student.objects.none()
        self.fields["student"].label_from_instance = lambda s: f"{s.full_name} ({s.personal_file_number})"


class TransferForm(OrderForm):
    to_class = forms.ModelChoiceField(label=_("To class"), queryset=SchoolClass.objects.none())
    on = forms.DateField(label=_("First day in the new class"), **DATE)

    field_order = ["to_class", "on", "order_number", "order_date"]

    def __init__(self, *args, classes=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["to_class"] = _class_field(
            classes if classes is not None else SchoolClass.objects.none(), _("To class")
        )


class LeaveForm(OrderForm):
    last_day = forms.DateField(label=_("Last day at school"), **DATE)
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("For example: moved to another town, transferred to school № 5")
    )

    field_order = ["last_day", "reason", "order_number", "order_date"]
