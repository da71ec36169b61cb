"""The shape of the input on the year set-up and structure pages (issue 7 points 1–2). Rules live in
``office/year.py`` and ``office/structure.py``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from journal.models import (
    AcademicYear,
    Assessment,
    GroupKind,
    HolidayKind,
    PeriodKind,
    SchoolClass,
    Student,
    Subject,
    SubjectKind,
)

SCHEME_KINDS = [(k, label) for k, label in PeriodKind.choices if k != PeriodKind.YEAR]
DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def _staff_field(queryset, required: bool = False) -> forms.ModelChoiceField:  # noqa: ANN001
    field = forms.ModelChoiceField(queryset=queryset, required=required, empty_label="—")
    field.label_from_instance = lambda user: user.short_name
    return field


class YearForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=20, help_text=_("For example 2027/2028"))
    start = forms.DateField(label=_("Start"), **DATE)
    end = forms.DateField(label=_("End"), **DATE)
    copy_from = forms.ModelChoiceField(
        label=_("Copy the structure of"), queryset=AcademicYear.objects.none(), required=False,
        empty_label=_("nothing: start from scratch"),
    )  # fmt: skip

    def __init__(self, *args, years=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].queryset = years if years is not None else AcademicYear.objects.none()


class YearEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=20)
    start = forms.DateField(label=_("Start"), **DATE)
    end = forms.DateField(label=_("End"), **DATE)


class YearCopyForm(forms.Form):
    source = forms.ModelChoiceField(label=_("Copy the structure of"), queryset=AcademicYear.objects.none())

    def __init__(self, *args, years=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = years if years is not None else AcademicYear.objects.none()


class PeriodSchemeForm(forms.Form):
    """Up to four periods: the scheme uses as many as its kind has (4 / 3 / 2)."""

    kind = forms.ChoiceField(label=_("Scheme"), choices=SCHEME_KINDS)

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        for n in range(1, 5):
            self.fields[f"start_{n}"] = forms.DateField(label=_("Start"), required=False, **DATE)
            self.fields[f"end_{n}"] = forms.DateField(label=_("End"), required=False, **DATE)
            self.fields[f"deadline_{n}"] = forms.DateField(label=_("Marks deadline"), required=False, **DATE)

    def rows(self) -> list[tuple]:
        """The filled rows, in order: ``(start, end, deadline)``; a half-filled row is an error."""
        rows = []
        for n in range(1, 5):
            start, end = self.cleaned_data.get(f"start_{n}"), self.cleaned_data.get(f"end_{n}")
            deadline = self.cleaned_data.get(f"deadline_{n}")
            if start is None and end is None:
                continue
            if start is None or end is None:
                raise forms.ValidationError(_("Period %(n)d: give both the start and the end.") % {"n": n})
            rows.append((start, end, deadline))
        return rows

    def bound_rows(self) -> list[tuple]:
        return [(n, self[f"start_{n}"], self[f"end_{n}"], self[f"deadline_{n}"]) for n in range(1, 5)]


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("Start"), **DATE)
    end = forms.DateField(label=_("End"), **DATE)
    marks_deadline = forms.DateField(label=_("Marks deadline"), required=False, **DATE)


class PeriodKindApplyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Scheme"), choices=SCHEME_KINDS)
    grade_from = forms.IntegerField(label=_("from grade"), min_value=1, max_value=11)
    grade_to = forms.IntegerField(label=_("to grade"), min_value=1, max_value=11)


class HolidayForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=HolidayKind.choices)
    start = forms.DateField(label=_("First day"), **DATE)
    end = forms.DateField(label=_("Last day"), **DATE)
    grade_from = forms.IntegerField(label=_("from grade"), min_value=1, max_value=11, required=False)
    grade_to = forms.IntegerField(label=_("to grade"), min_value=1, max_value=11, required=False)


class SubjectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    short_name = forms.CharField(label=_("Short name"), max_length=30)
    assessment = forms.ChoiceField(label=_("Assessment"), choices=Assessment.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=SubjectKind.choices)
    allows_double_mark = forms.BooleanField(label=_("two marks in one cell"), required=False)


class ClassForm(forms.Form):
    grade = forms.IntegerField(label=_("Grade"), min_value=1, max_value=11)
    letter = forms.CharField(label=_("Letter"), max_length=3)
    period_kind = forms.ChoiceField(label=_("Scheme"), choices=SCHEME_KINDS)

    def __init__(self, *args, staff=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["class_teacher"] = _staff_field(staff)
        self.fields["class_teacher"].label = _("Class teacher")


class ClassTeacherForm(forms.Form):
    def __init__(self, *args, staff=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["teacher"] = _staff_field(staff)
        self.fields["teacher"].label = _("Class teacher")


class GroupForm(forms.Form):
    subject = forms.ModelChoiceField(label=_("Subject"), queryset=Subject.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=GroupKind.choices)
    classes = forms.ModelMultipleChoiceField(label=_("Classes"), queryset=SchoolClass.objects.none())
    name = forms.CharField(
        label=_("Name"), max_length=200, required=False, help_text=_("Empty: made from the class and subject")
    )
    subgroup_number = forms.IntegerField(label=_("Subgroup number"), min_value=1, max_value=9, required=False)
    hours_per_week = forms.DecimalField(label=_("Hours per week"), max_digits=4, decimal_places=1, initial=1)
    start = forms.DateField(label=_("Members from"), required=False, **DATE)
    students = forms.ModelMultipleChoiceField(label=_("Students"), queryset=Student.objects.none(), required=False)

    def __init__(self, *args, year=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        if year is not None:
            self.fields["subject"].queryset = Subject.objects.filter(school_id=year.school_id)
            self.fields["classes"].queryset = SchoolClass.objects.filter(year=year)
            self.fields["students"].queryset = Student.objects.filter(school_id=year.school_id)
        self.fields["classes"].label_from_instance = lambda c: c.name
        self.fields["students"].label_from_instance = lambda s: s.short_name


class GroupEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    hours_per_week = forms.DecimalField(label=_("Hours per week"), max_digits=4, decimal_places=1)


class MembersAddForm(forms.Form):
    students = forms.ModelMultipleChoiceField(label=_("Students"), queryset=Student.objects.none())
    start = forms.DateField(label=_("From"), **DATE)

    def __init__(self, *args, students=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["students"].queryset = students if students is not None else Student.objects.none()
        self.fields["students"].label_from_instance = lambda s: s.short_name


class EndForm(forms.Form):
    end = forms.DateField(label=_("Last day"), **DATE)


class AssignmentForm(forms.Form):
    start = forms.DateField(label=_("From"), **DATE)

    def __init__(self, *args, staff=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["teacher"] = _staff_field(staff, required=True)
        self.fields["teacher"].label = _("Teacher")


class SplitForm(forms.Form):
    """R13: the checked students go into subgroup 1, the others into subgroup 2."""

    subject = forms.ModelChoiceField(label=_("Subject"), queryset=Subject.objects.none())
    hours_per_week = forms.DecimalField(label=_("Hours per week"), max_digits=4, decimal_places=1, initial=1)
    start = forms.DateField(label=_("Members from"), required=False, **DATE)
    first = forms.ModelMultipleChoiceField(
        label=_("Subgroup 1"), queryset=Student.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, subjects=None, students=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects if subjects is not None else Subject.objects.none()
        self.fields["first"].queryset = students if students is not None else Student.objects.none()
        self.fields["first"].label_from_instance = lambda s: s.short_name
