"""School staff, teachers with their specializations and teaching load, class teachers, demo passwords."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from accounts.models import Role, User
from accounts.services import (
    class_teacher_set_bulk,
    staff_role_grant,
    staff_roles_grant_bulk,
    teacher_assign_bulk,
)
from journal.models import GroupKind

from .context import GroupInfo, SchoolBuild, TeacherInfo
from .people import (
    DEMO_ADMIN,
    DEMO_CLASS_TEACHER,
    DEMO_DEPUTY,
    DEMO_DIRECTOR,
    DEMO_OUTSIDER,
    DEMO_PASSWORD,
    DEMO_SECRETARY,
    DEMO_TEACHER,
    FullName,
    NameMaker,
)

# A subject teacher's weekly load the staffing aims at (a full rate is 18 hours; many work less).
TARGET_LOAD = 14


@dataclass(frozen=True)
class Family:
    """A teacher specialization: the subjects one teacher teaches, in a range of grades."""

    key: str
    position: str
    subjects: tuple[str, ...]
    grade_from: int
    grade_to: int
    female_share: float = 0.8

    def covers(self, subject: str, grade: int) -> bool:
        return subject in self.subjects and self.grade_from <= grade <= self.grade_to


FAMILIES = (
    Family(
        "primary",
        "учитель начальных классов",
        (
            "Русский язык",
            "Литературное чтение",
            "Математика",
            "Окружающий мир",
            "Изобразительное искусство",
            "Труд (технология)",
            "Основы религиозных культур и светской этики",
        ),
        1,
        4,
        0.97,
    ),
    Family("russian", "учитель русского языка и литературы", ("Русский язык", "Литература"), 5, 11, 0.9),
    Family(
        "math",
        "учитель математики",
        (
            "Математика",
            "Алгебра",
            "Геометрия",
            "Вероятность и статистика",
            "Алгебра и начала математического анализа",
        ),
        5,
        11,
    ),
    Family("english", "учитель английского языка", ("Иностранный язык (английский)",), 2, 11, 0.9),
    Family("informatics", "учитель информатики", ("Информатика",), 7, 11, 0.5),
    Family(
        "history", "учитель истории и обществознания", ("История", "Обществознание", "Индивидуальный проект"), 5, 11
    ),
    Family("geography", "учитель географии", ("География",), 5, 11),
    Family("biology", "учитель биологии и химии", ("Биология", "Химия"), 5, 11),
    Family("physics", "учитель физики", ("Физика",), 7, 11, 0.6),
    Family("art", "учитель изобразительного искусства", ("Изобразительное искусство",), 5, 7),
    Family("music", "учитель музыки", ("Музыка",), 1, 11),
    Family("technology", "учитель труда (технологии)", ("Труд (технология)",), 5, 9, 0.5),
    Family("obzr", "преподаватель-организатор ОБЗР", ("Основы безопасности и защиты Родины",), 8, 11, 0.2),
    Family("pe", "учитель физической культуры", ("Физическая культура",), 1, 11, 0.5),
)

STAFF = (
    # key, role, position, demo login and name in school 1
    ("director", Role.DIRECTOR, "директор", "director", DEMO_DIRECTOR),
    ("deputy", Role.DEPUTY, "заместитель директора по учебной работе", "deputy", DEMO_DEPUTY),
    ("deputy2", Role.DEPUTY, "заместитель директора по воспитательной работе", "", None),
    ("administrator", Role.ADMINISTRATOR, "системный администратор", "admin", DEMO_ADMIN),
    ("secretary", Role.SECRETARY, "секретарь учебной части", "secretary", DEMO_SECRETARY),
)
STAFF_CODES = {"director": "dir", "deputy": "dep1", "deputy2": "dep2", "administrator": "adm", "secretary": "sec"}


def _user(username: str, name: FullName, phone: str = "") -> User:
    user = User(username=username, last_name=name.last, first_name=name.first, patronymic=name.patronymic, phone=phone)
    user.set_unusable_password()
    return user


def create_staff(ctx: SchoolBuild) -> None:
    """Director, two deputies, administrator and secretary, each through ``staff_role_grant``.

    School 1 uses the fixed demo logins; in school 2 the first deputy is ``outsider``.
    """
    names = NameMaker(ctx.rng("staff"))
    for key, role, position, demo_login, demo_name in STAFF:
        if ctx.is_demo and demo_login:
            username, name = demo_login, demo_name
        elif ctx.number == 2 and key == "deputy":
            username, name = "outsider", DEMO_OUTSIDER
        else:
            username = f"s{ctx.number}{STAFF_CODES[key]}"
            name = names.person(names.sex(0.75))
        user = _user(username, name, names.phone())
        user.save()
        staff_role_grant(actor=None, user=user, school=ctx.school, role=role, position=position)
        ctx.staff[key] = user
    if ctx.school.director_name == "":
        ctx.school.director_name = ctx.staff["director"].full_name
        ctx.school.save(update_fields=["director_name"])


def family_of(group: GroupInfo) -> Family:
    for family in FAMILIES:
        if family.covers(group.subject.name, group.cls.grade):
            return family
    raise LookupError(f"No teacher specialization covers {group.subject.name} in grade {group.cls.grade}")


def _room(family: Family, index: int, specialist_index: int) -> str:
    if family.key == "pe":
        return f"Спортзал № {index + 1}"
    if family.key == "informatics":
        return f"{301 + index} (информатика)"
    floor, number = 2 + specialist_index // 20, specialist_index % 20 + 1
    return f"{floor}{number:02d}"


def create_teachers(ctx: SchoolBuild) -> None:
    """Teachers per specialization, sized to the hours (one primary teacher per class of grades 1–4),
    assigned to groups by least load (the two subgroups of a class always get two different teachers).

    In school 1 the first Russian teacher is ``classteacher`` and the first mathematics teacher is
    ``teacher``: both get 5А, the first class their specialization covers.
    """
    rng = ctx.rng("teachers")
    names = NameMaker(rng)
    by_family: dict[str, list[GroupInfo]] = {family.key: [] for family in FAMILIES}
    families = {family.key: family for family in FAMILIES}
    for group in ctx.groups:
        family = family_of(group)
        group.family = family.key
        by_family[family.key].append(group)

    teachers: list[TeacherInfo] = []
    specialist_index = 0
    for family in FAMILIES:
        groups = by_family[family.key]
        if not groups:
            continue
        if family.key == "primary":
            count = len({group.cls.index for group in groups})
        else:
            hours = sum(group.row.hours for group in groups)
            has_split = any(group.kind == GroupKind.SUBGROUP for group in groups)
            count = max(2 if has_split else 1, math.ceil(hours / TARGET_LOAD))
        staff = []
        for index in range(count):
            name = names.person(names.sex(family.female_share))
            username = ctx.username("t", len(teachers) + 1)
            if ctx.is_demo and index == 0 and family.key == "russian":
                username, name = "classteacher", DEMO_CLASS_TEACHER
            elif ctx.is_demo and index == 0 and family.key == "math":
                username, name = "teacher", DEMO_TEACHER
            if family.key == "primary":
                room = str(101 + index)
            else:
                room = _room(family, index, specialist_index)
                specialist_index += family.key not in ("pe", "informatics")
            info = TeacherInfo(_user(username, name, names.phone()), family.key, family.position, room)
            staff.append(info)
            teachers.append(info)
        _allocate(families[family.key], groups, staff)

    User.objects.bulk_create([info.user for info in teachers], batch_size=1000)
    staff_roles_grant_bulk(
        actor=None, items=[(info.user, ctx.school, Role.TEACHER, info.position) for info in teachers]
    )
    teacher_assign_bulk(
        actor=ctx.staff.get("deputy"),
        items=[(group.obj, group.teacher.user, ctx.year.start, None) for group in ctx.groups],
    )
    ctx.teachers = teachers
    ctx.counts["teachers"] = len(teachers)
    if ctx.is_demo:
        ctx.staff["classteacher"] = next(t.user for t in teachers if t.user.username == "classteacher")
        ctx.staff["teacher"] = next(t.user for t in teachers if t.user.username == "teacher")


def _allocate(family: Family, groups: list[GroupInfo], staff: list[TeacherInfo]) -> None:
    """Give each class's groups of the family to teachers: a primary class to its own teacher, the
    whole-class subjects of a class to one teacher, each subgroup to the least-loaded teacher."""
    if family.key == "primary":
        by_class: dict[int, list[GroupInfo]] = {}
        for group in groups:
            by_class.setdefault(group.cls.index, []).append(group)
        for teacher, class_groups in zip(staff, by_class.values(), strict=True):
            for group in class_groups:
                group.teacher = teacher
                teacher.hours += group.row.hours
        return

    def least_loaded(exclude: TeacherInfo | None = None) -> TeacherInfo:
        return min((t for t in staff if t is not exclude), key=lambda t: (t.hours, staff.index(t)))

    blocks: dict[int, list[GroupInfo]] = {}
    split: dict[tuple[int, str], list[GroupInfo]] = {}
    for group in groups:
        if group.kind == GroupKind.SUBGROUP:
            split.setdefault((group.cls.index, group.subject.name), []).append(group)
        else:
            blocks.setdefault(group.cls.index, []).append(group)
    class_order = sorted(set(blocks) | {index for index, _subject in split})
    for class_index in class_order:
        if class_index in blocks:
            teacher = least_loaded()
            for group in blocks[class_index]:
                group.teacher = teacher
                teacher.hours += group.row.hours
        for (index, _subject), pair in sorted(split.items()):
            if index != class_index:
                continue
            first: TeacherInfo | None = None
            for group in sorted(pair, key=lambda g: g.subgroup or 0):
                teacher = least_loaded(exclude=first)
                group.teacher = teacher
                teacher.hours += group.row.hours
                first = teacher


def assign_class_teachers(ctx: SchoolBuild) -> None:
    """Every class gets a class teacher: its primary teacher in grades 1–4; in school 1 ``classteacher``
    leads 5А; otherwise a teacher of the class with most hours there who leads no other class."""
    taken: set[int] = set()
    if ctx.is_demo:
        taken.add(ctx.staff["teacher"].pk)  # the demo subject teacher stays a plain subject teacher
    chosen: dict[int, User] = {}
    hours: dict[int, dict[int, int]] = {}
    for group in ctx.groups:
        per_class = hours.setdefault(group.cls.index, {})
        per_class[group.teacher.user.pk] = per_class.get(group.teacher.user.pk, 0) + group.row.hours
    users = {info.user.pk: info.user for info in ctx.teachers}
    primary = {group.cls.index: group.teacher.user for group in ctx.groups if group.family == "primary"}
    for cls in ctx.classes:
        if cls.index in primary:
            chosen[cls.index] = primary[cls.index]
        elif ctx.is_demo and cls.name == "5А":
            chosen[cls.index] = ctx.staff["classteacher"]
        else:
            continue
        taken.add(chosen[cls.index].pk)
    for cls in ctx.classes:
        if cls.index in chosen:
            continue
        candidates = sorted(
            ((-h, pk) for pk, h in hours.get(cls.index, {}).items() if pk not in taken),
        )
        if candidates:
            user = users[candidates[0][1]]
        else:
            free = [info.user for info in ctx.teachers if info.user.pk not in taken and info.family != "primary"]
            user = free[0] if free else ctx.teachers[0].user
        chosen[cls.index] = user
        taken.add(user.pk)
    class_teacher_set_bulk(actor=ctx.staff.get("deputy"), items=[(cls.obj, chosen[cls.index]) for cls in ctx.classes])
    ctx.class_teacher = {cls.obj.pk: chosen[cls.index] for cls in ctx.classes}


def set_demo_passwords(ctx: SchoolBuild) -> list[str]:
    """Give the fixed demo logins of this school the password ``demo12345``; returns their usernames."""
    wanted = ("director", "deputy", "admin", "secretary", "classteacher", "teacher", "parent", "student", "outsider")
    users = {user.username: user for user in ctx.staff.values() if user is not None}
    # One hash for all of them: the password is public anyway, and Argon2 takes a quarter second each.
    encoded = make_password(DEMO_PASSWORD)
    done = []
    for username in wanted:
        user = users.get(username)
        if user is None:
            continue
        user.password = encoded
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        done.append(username)
    return done
