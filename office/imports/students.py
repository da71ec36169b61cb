"""Students with their parents: one row per student — personal data, the class of the year, the date and
order of admission, and up to two parents (names, relation, phone, e-mail).

Rows are matched by the personal file number within the school. A new student is admitted to the class
(``journal.services.enrollment_admit``: the whole-class groups follow); a student already in that class
this year is left there; a student studying in another class is refused on their row (a transfer goes
by order on the «Movement of students» page). Each student without a login of their own and each new
parent get an account without a usable password (R17: one-time passwords come on printed slips later)
and a generated login; parents are linked with ``accounts.services.parent_link_bulk``. A parent is the
same person as an existing one when the student is already linked to someone of that name, or when the
name and the phone (or e-mail) match a parent of the school or of an earlier row — brothers and sisters
share their parents' accounts.

The related writes of the whole file (new accounts, links, logins) are done in bulk after the rows, so
1,000 rows take a few seconds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from import_export.fields import Field

from accounts.models import ParentLink, Relation, User
from accounts.services import parent_link_bulk, student_login_set_bulk
from journal.models import (
    Enrollment,
    GroupKind,
    GroupMembership,
    MedicalGroup,
    SchoolClass,
    Sex,
    Student,
    TeachingGroup,
)
from journal.services import enrollment_admit

from .base import ChoiceWidget, DateWidget, OfficeResource, TextWidget, blank, fold, phone_digits, text
from .names import assign_logins, new_user

COL_FILE = "Номер личного дела"
COL_LAST, COL_FIRST, COL_PATRONYMIC = "Фамилия", "Имя", "Отчество"
COL_BIRTH, COL_SEX, COL_CLASS = "Дата рождения", "Пол", "Класс"
COL_START, COL_ORDER = "Дата зачисления", "Номер приказа"
COL_MEDICAL, COL_ADDRESS, COL_LOGIN = "Медицинская группа", "Адрес", "Логин ученика"
PARENT_PARTS = ("фамилия", "имя", "отчество", "кем приходится", "телефон", "e-mail")
PARENTS = (1, 2)


def parent_column(number: int, part: str) -> str:
    return f"Родитель {number}: {part}"


SEX_WIDGET = ChoiceWidget(
    {Sex.MALE: "м", Sex.FEMALE: "ж"},
    aliases={"мужской": Sex.MALE, "муж": Sex.MALE, "женский": Sex.FEMALE, "жен": Sex.FEMALE},
)
MEDICAL_WIDGET = ChoiceWidget(
    {
        MedicalGroup.MAIN: "основная",
        MedicalGroup.PREPARATORY: "подготовительная",
        MedicalGroup.SPECIAL: "специальная",
        MedicalGroup.EXEMPT: "освобождён",
    },
    aliases={"освобождена": MedicalGroup.EXEMPT, "освобожден": MedicalGroup.EXEMPT, "осн": MedicalGroup.MAIN},
    empty=MedicalGroup.MAIN,
)
RELATION_WIDGET = ChoiceWidget(
    {
        Relation.MOTHER: "мать",
        Relation.FATHER: "отец",
        Relation.GUARDIAN: "опекун",
        Relation.OTHER: "иной представитель",
    },
    aliases={
        "мама": Relation.MOTHER,
        "папа": Relation.FATHER,
        "попечитель": Relation.GUARDIAN,
        "опекун (попечитель)": Relation.GUARDIAN,
        "законный представитель": Relation.OTHER,
        "иной законный представитель": Relation.OTHER,
        "другое": Relation.OTHER,
    },
    empty="",
)


def class_key(value: Any) -> str:
    """«5А», «5 а», «5-А» → «5а»."""
    return fold(value).replace(" ", "").replace("-", "")


def _guess_relation(patronymic: str) -> str:
    ending = patronymic.casefold()
    if ending.endswith(("вна", "чна", "кызы")):
        return Relation.MOTHER
    if ending.endswith(("вич", "ич", "оглы")):
        return Relation.FATHER
    return Relation.OTHER


class StudentResource(OfficeResource):
    shape = "students"
    title = "Ученики и родители"
    required = (COL_FILE, COL_LAST, COL_FIRST, COL_SEX, COL_CLASS)
    clean_exclude = ("school", "user")

    personal_file_number = Field(
        attribute="personal_file_number", column_name=COL_FILE, widget=TextWidget(30, required=True)
    )
    last_name = Field(attribute="last_name", column_name=COL_LAST, widget=TextWidget(100, required=True))
    first_name = Field(attribute="first_name", column_name=COL_FIRST, widget=TextWidget(100, required=True))
    patronymic = Field(attribute="patronymic", column_name=COL_PATRONYMIC, widget=TextWidget(100))
    birth_date = Field(attribute="birth_date", column_name=COL_BIRTH, widget=DateWidget())
    sex = Field(attribute="sex", column_name=COL_SEX, widget=SEX_WIDGET)
    school_class = Field(column_name=COL_CLASS, readonly=True)
    start = Field(column_name=COL_START, readonly=True, widget=DateWidget())
    order_number = Field(column_name=COL_ORDER, readonly=True)
    medical_group = Field(attribute="medical_group", column_name=COL_MEDICAL, widget=MEDICAL_WIDGET)
    address = Field(attribute="address", column_name=COL_ADDRESS, widget=TextWidget(300))
    login = Field(column_name=COL_LOGIN, readonly=True)
    p1_last = Field(column_name=parent_column(1, "фамилия"), readonly=True)
    p1_first = Field(column_name=parent_column(1, "имя"), readonly=True)
    p1_patronymic = Field(column_name=parent_column(1, "отчество"), readonly=True)
    p1_relation = Field(column_name=parent_column(1, "кем приходится"), readonly=True)
    p1_phone = Field(column_name=parent_column(1, "телефон"), readonly=True)
    p1_email = Field(column_name=parent_column(1, "e-mail"), readonly=True)
    p2_last = Field(column_name=parent_column(2, "фамилия"), readonly=True)
    p2_first = Field(column_name=parent_column(2, "имя"), readonly=True)
    p2_patronymic = Field(column_name=parent_column(2, "отчество"), readonly=True)
    p2_relation = Field(column_name=parent_column(2, "кем приходится"), readonly=True)
    p2_phone = Field(column_name=parent_column(2, "телефон"), readonly=True)
    p2_email = Field(column_name=parent_column(2, "e-mail"), readonly=True)

    class Meta(OfficeResource.Meta):
        model = Student
        fields = (
            "personal_file_number", "last_name", "first_name", "patronymic", "birth_date", "sex", "school_class",
            "start", "order_number", "medical_group", "address", "login",
            "p1_last", "p1_first", "p1_patronymic", "p1_relation", "p1_phone", "p1_email",
            "p2_last", "p2_first", "p2_patronymic", "p2_relation", "p2_phone", "p2_email",
        )  # fmt: skip
        import_order = export_order = fields
        import_id_fields = ("personal_file_number",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.classes = {class_key(c.name): c for c in SchoolClass.objects.filter(year=self.year).select_related("year")}
        self.enrollments: dict[int, list[Enrollment]] = defaultdict(list)
        self.links: dict[int, list[ParentLink]] = defaultdict(list)
        self.by_contact: dict[tuple[str, str, str], User] = {}
        self.new_users: list[User] = []
        self.changed_parents: dict[int, User] = {}
        self.new_links: list[tuple[User, Student, str]] = []
        self.new_logins: list[tuple[Student, User]] = []
        self.new_enrollments: list[Enrollment] = []

    # --- export ---------------------------------------------------------------------------------------

    def export_queryset(self) -> QuerySet:
        in_year = Enrollment.objects.filter(school_class__year=self.year).select_related("school_class")
        return (
            Student.objects.filter(school=self.school, enrollments__school_class__year=self.year)
            .distinct()
            .select_related("user")
            .prefetch_related(
                Prefetch("enrollments", queryset=in_year.order_by("start"), to_attr="in_year"),
                Prefetch("parent_links", queryset=ParentLink.objects.select_related("parent").order_by("pk")),
            )
            .order_by("last_name", "first_name", "patronymic", "pk")
        )

    def export_field(self, field: Field, instance: Student, **kwargs: Any) -> Any:
        name = next(n for n, f in self.fields.items() if f is field)
        if name.startswith(("p1_", "p2_")):
            links = list(instance.parent_links.all())
            index = int(name[1]) - 1
            if index >= len(links):
                return ""
            link, part = links[index], name[3:]
            parent = link.parent
            if part == "relation":
                return RELATION_WIDGET.render(link.relation)
            return {"last": parent.last_name, "first": parent.first_name, "patronymic": parent.patronymic,
                    "phone": parent.phone, "email": parent.email}[part]  # fmt: skip
        last = instance.in_year[-1] if instance.in_year else None
        if name == "school_class":
            return last.school_class.name if last else ""
        if name == "start":
            return DateWidget().render(last.start if last else None, **kwargs)
        if name == "order_number":
            return last.order_number if last else ""
        if name == "login":
            return instance.user.username if instance.user else ""
        return super().export_field(field, instance, **kwargs)

    # --- import ---------------------------------------------------------------------------------------

    def key_of(self, row: dict[str, Any]) -> Any:
        return fold(row.get(COL_FILE)) or None

    def init_instance(self, row: Any = None) -> Student:
        return Student(school=self.school)

    def load_existing(self, dataset: tablib.Dataset | None) -> dict[Any, Student]:
        numbers = {text(v) for v in dataset[COL_FILE] if not blank(v)} if dataset else set()
        students = list(
            Student.objects.filter(school=self.school, personal_file_number__in=numbers).select_related("user")
        )
        ids = [s.pk for s in students]
        for enrollment in (
            Enrollment.objects.filter(student_id__in=ids, start__lte=self.year.end)
            .filter(Q(end__isnull=True) | Q(end__gte=self.year.start))
            .select_related("school_class")
        ):
            self.enrollments[enrollment.student_id].append(enrollment)
        for link in ParentLink.objects.filter(student__school=self.school).select_related("parent"):
            if link.student_id in ids:
                self.links[link.student_id].append(link)
            for key in _contact_keys(
                link.parent.last_name, link.parent.first_name, link.parent.phone, link.parent.email
            ):
                self.by_contact.setdefault(key, link.parent)
        return {fold(s.personal_file_number): s for s in students}

    def plan_row(self, instance: Student, row: dict[str, Any], errors: dict[str, list[str]]) -> Any:
        plan: dict[str, Any] = {"new": True} if instance.pk is None else {}
        self._plan_enrollment(instance, row, errors, plan)
        for number in PARENTS:
            self._plan_parent(instance, row, number, errors, plan)
        if instance.user_id is None:
            plan["login"] = True
        return plan or None

    def _plan_enrollment(self, instance: Student, row: dict[str, Any], errors: dict, plan: dict) -> None:
        school_class = self.classes.get(class_key(row.get(COL_CLASS)))
        if school_class is None:
            errors.setdefault(COL_CLASS, []).append(
                _("There is no class «%(value)s» in the year %(year)s; create it first or correct the name.")
                % {"value": text(row.get(COL_CLASS)), "year": self.year.name}
            )
            return
        try:
            start = DateWidget().clean(row.get(COL_START)) or self.year.start
        except ValueError as exc:
            errors.setdefault(COL_START, []).append(str(exc))
            return
        if not self.year.contains(start):
            errors.setdefault(COL_START, []).append(
                _("The date %(date)s is outside the academic year %(year)s.")
                % {"date": f"{start:%d.%m.%Y}", "year": self.year.name}
            )
            return
        current = self.enrollments.get(instance.pk, []) if instance.pk else []
        if any(e.school_class_id == school_class.pk for e in current):
            return
        clash = next((e for e in current if e.end is None or e.end >= start), None)
        if clash is not None:
            errors.setdefault(COL_CLASS, []).append(
                _(
                    "The student already studies in %(class)s from %(date)s; a transfer "
                    "is made by order on the «Movement of students» page."
                )
                % {"class": clash.school_class.name, "date": f"{clash.start:%d.%m.%Y}"}
            )
            return
        plan["enroll"] = (school_class, start, text(row.get(COL_ORDER))[:50])

    def _plan_parent(self, instance: Student, row: dict[str, Any], number: int, errors: dict, plan: dict) -> None:
        cells = {part: text(row.get(parent_column(number, part))) for part in PARENT_PARTS}
        if not any(cells.values()):
            return
        last, first, patronymic = cells["фамилия"], cells["имя"], cells["отчество"]
        phone, email = cells["телефон"][:30], cells["e-mail"]
        failed = False
        for part in ("фамилия", "имя"):
            if not cells[part]:
                errors.setdefault(parent_column(number, part), []).append(_("The cell is empty; fill it in."))
                failed = True
        try:
            relation = RELATION_WIDGET.clean(cells["кем приходится"]) or _guess_relation(patronymic)
        except ValueError as exc:
            errors.setdefault(parent_column(number, "кем приходится"), []).append(str(exc))
            failed = True
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.setdefault(parent_column(number, "e-mail"), []).append(
                    _("«%(value)s» is not an e-mail address.") % {"value": email}
                )
                failed = True
        if any(len(v) > 150 for v in (last, first, patronymic)):
            errors.setdefault(parent_column(number, "фамилия"), []).append(
                _("Longer than %(max)d characters; shorten it.") % {"max": 150}
            )
            failed = True
        if failed:
            return
        linked = next(
            (
                link
                for link in (self.links.get(instance.pk, []) if instance.pk else [])
                if fold(link.parent.last_name) == fold(last) and fold(link.parent.first_name) == fold(first)
            ),
            None,
        )
        parent = linked.parent if linked else None
        if parent is None:
            parent = next(
                (self.by_contact[k] for k in _contact_keys(last, first, phone, email) if k in self.by_contact), None
            )
        if parent is None:
            parent = new_user(last_name=last, first_name=first, patronymic=patronymic, email=email, phone=phone)
            self.new_users.append(parent)
            plan.setdefault("parents", []).append((parent, relation))
        else:
            changed = False
            for attr, value in (("patronymic", patronymic), ("phone", phone), ("email", email)):
                same = (
                    phone_digits(value) == phone_digits(parent.phone)
                    if attr == "phone"
                    else fold(value) == fold(getattr(parent, attr))
                )
                if value and not same:
                    setattr(parent, attr, value)
                    changed = True
            if changed and parent.pk:
                self.changed_parents[parent.pk] = parent
                plan["changed"] = True
            if linked is None:
                plan.setdefault("parents", []).append((parent, relation))
            elif linked.relation != relation and cells["кем приходится"]:
                errors.setdefault(parent_column(number, "кем приходится"), []).append(
                    _("%(parent)s is already linked as «%(relation)s»; change it on the student's card.")
                    % {"parent": parent.full_name, "relation": RELATION_WIDGET.render(linked.relation)}
                )
                return
        for key in _contact_keys(last, first, phone, email):
            self.by_contact.setdefault(key, parent)

    def apply_row(self, instance: Student, row: dict[str, Any], plan: Any) -> None:
        if "enroll" in plan:
            school_class, start, order = plan["enroll"]
            if plan.get("new"):
                self.new_enrollments.append(
                    Enrollment(student=instance, school_class=school_class, start=start, order_number=order)
                )
            else:
                enrollment_admit(
                    actor=self.actor, student=instance, school_class=school_class, start=start, order_number=order
                )
        for parent, relation in plan.get("parents", []):
            self.new_links.append((parent, instance, relation))
        if plan.get("login"):
            user = new_user(
                last_name=instance.last_name, first_name=instance.first_name, patronymic=instance.patronymic
            )
            self.new_users.append(user)
            self.new_logins.append((instance, user))

    def after_import(self, dataset: tablib.Dataset, result: Any, **kwargs: Any) -> None:
        """The accounts, links and logins of the whole file at once (a handful of queries)."""
        if result.has_errors() or result.has_validation_errors():
            return  # everything is rolled back anyway
        self._admit_new_students()
        users = [u for u in self.new_users if u.pk is None]
        assign_logins(users, fallback="user")
        User.objects.bulk_create(users, batch_size=1000)
        if self.changed_parents:
            User.objects.bulk_update(
                list(self.changed_parents.values()), ["patronymic", "phone", "email"], batch_size=1000
            )
        if self.new_links:
            parent_link_bulk(actor=self.actor, items=self.new_links)
        if self.new_logins:
            student_login_set_bulk(actor=self.actor, items=self.new_logins)

    def _admit_new_students(self) -> None:
        """What ``enrollment_admit`` does, for the file's new students at once: they have no enrollment yet
        (nothing can overlap), the classes are of this year and the dates were checked on their rows."""
        if not self.new_enrollments:
            return
        Enrollment.objects.bulk_create(self.new_enrollments, batch_size=1000)
        groups: dict[int, list[int]] = defaultdict(list)
        for group_id, class_id in TeachingGroup.classes.through.objects.filter(
            schoolclass__year=self.year, teachinggroup__kind=GroupKind.WHOLE_CLASS
        ).values_list("teachinggroup_id", "schoolclass_id"):
            groups[class_id].append(group_id)
        GroupMembership.objects.bulk_create(
            (
                GroupMembership(group_id=group_id, student_id=e.student_id, start=e.start)
                for e in self.new_enrollments
                for group_id in groups[e.school_class_id]
            ),
            batch_size=1000,
        )

    def label_of(self, row: dict[str, Any]) -> str:
        name = " ".join(text(row.get(c)) for c in (COL_LAST, COL_FIRST, COL_PATRONYMIC) if text(row.get(c)))
        return f"{name}, {text(row.get(COL_CLASS))} (№ {text(row.get(COL_FILE))})"


def _contact_keys(last: str, first: str, phone: str, email: str) -> list[tuple[str, str, str]]:
    keys = []
    if phone_digits(phone or ""):
        keys.append((fold(last), fold(first), "tel:" + phone_digits(phone)))
    if email:
        keys.append((fold(last), fold(first), "mail:" + fold(email)))
    return keys
