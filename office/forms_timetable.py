"""The shape of the input on the timetable pages (issue 7 point 3). Rules live in ``office/timetable/``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from journal.models import StudyPeriod, TeachingGroup, Weekday

from .timetable import MAX_LESSON_NUMBER

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
TIME = {"widget": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
BELL_ROWS = 10


def _person_field(queryset: QuerySet[User], label: str, required: bool = True) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(label=label, queryset=queryset, required=required)
    field.label_from_instance = lambda u: u.short_name
    return field


class SlotForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Group"), queryset=TeachingGroup.objects.none())
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Weekday.choices, coerce=int)
    number = forms.IntegerField(label=_("Lesson number"), min_value=1, max_value=MAX_LESSON_NUMBER)
    room = forms.CharField(label=_("Room"), max_length=30, required=False)
    valid_from = forms.DateField(label=_("Valid from"), **DATE)
    valid_to = forms.DateField(label=_("Valid to"), required=False, **DATE)

    def __init__(self, *args: Any, groups: QuerySet[TeachingGroup] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups if groups is not None else TeachingGroup.objects.none()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


class SlotEndForm(forms.Form):
    last_day = forms.DateField(label=_("Last day"), **DATE)


class BellsForm(forms.Form):
    """Rows «lesson N: start – end»; a row left empty means there is no such lesson."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, BELL_ROWS + 1):
            self.fields[f"start_{n}"] = forms.TimeField(
                label=_("Lesson %(n)s starts") % {"n": n}, required=False, **TIME
            )
            self.fields[f"end_{n}"] = forms.TimeField(label=_("Lesson %(n)s ends") % {"n": n}, required=False, **TIME)

    def rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [(n, self[f"start_{n}"], self[f"end_{n}"]) for n in range(1, BELL_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        bells = []
        for n in range(1, BELL_ROWS + 1):
            start, end = data.get(f"start_{n}"), data.get(f"end_{n}")
            if (start is None) != (end is None):
                self.add_error(f"start_{n}", _("Give both the start and the end of lesson %(n)s.") % {"n": n})
            elif start is not None:
                bells.append((n, start, end))
        data["bells"] = bells
        return data


class GenerateForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("Period"), queryset=StudyPeriod.objects.none(), required=False, empty_label=_("the whole year")
    )
    all_classes = forms.BooleanField(label=_("for every class of the year"), required=False)

    def __init__(self, *args: Any, periods: QuerySet[StudyPeriod] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods if periods is not None else StudyPeriod.objects.none()
        self.fields["period"].label_from_instance = lambda p: f"{p} ({p.start:%d.%m}–{p.end:%d.%m.%Y})"


class SubstitutionForm(forms.Form):
    """Either one group, or every group of the teacher who is away."""

    group = forms.ModelChoiceField(label=_("Group"), queryset=TeachingGroup.objects.none(), required=False)
    teacher = forms.ModelChoiceField(label=_("Or all groups of"), queryset=User.objects.none(), required=False)
    substitute = forms.ModelChoiceField(label=_("Substitute"), queryset=User.objects.none())
    start = forms.DateField(label=_("From"), **DATE)
    end = forms.DateField(label=_("To"), **DATE)
    note = forms.CharField(label=_("Note (order, reason)"), max_length=300, required=False)

    def __init__(
        self,
        *args: Any,
        groups: QuerySet[TeachingGroup] | None = None,
        staff: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        staff = staff if staff is not None else User.objects.none()
        self.fields["group"].queryset = groups if groups is not None else TeachingGroup.objects.none()
        self.fields["teacher"] = _person_field(staff, _("Or all groups of"), required=False)
        self.fields["substitute"] = _person_field(staff, _("Substitute"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("group")) == bool(data.get("teacher")):
            raise forms.ValidationError(_("Choose either a group or the teacher who is away."))
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


class SubstitutionEndForm(forms.Form):
    last_day = forms.DateField(
        label=_("Last day"), required=False, help_text=_("Empty: cancel the substitution entirely"), **DATE
    )


class TransferForm(forms.Form):
    date = forms.DateField(label=_("New date"), **DATE)
    number = forms.IntegerField(label=_("Lesson number"), min_value=1, max_value=MAX_LESSON_NUMBER)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
