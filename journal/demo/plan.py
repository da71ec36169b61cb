"""The calendar-thematic plan (КТП) of a group and the wording of homework (R10, R11).

A plan spreads the subject's topics for the grade over the year's lessons, starts with «Повторение»
of last year, puts a control work (with «Повторение» before it and «Анализ» after it) every ~8–10
lessons, and ends with the year's review and final control work.
"""

from __future__ import annotations

import random

from .context import PlanEntry
from .refdata import PE_SUBJECT, pe_norms, topics_for

# Subjects whose plans have no control works (marks come from practical and project work).
NO_CONTROL = {
    "Изобразительное искусство",
    "Музыка",
    "Труд (технология)",
    "Основы религиозных культур и светской этики",
    "Индивидуальный проект",
}
ENGLISH = "Иностранный язык (английский)"


def _inner(text: str) -> str:
    """Quotes inside «…» become „…“, as Russian typography wants."""
    return text.replace("«", "„").replace("»", "“")


class _Controls:
    """Names control works per subject, numbering each kind from 1."""

    def __init__(self, subject: str, grade: int) -> None:
        self.subject = subject
        self.grade = grade
        self.numbers: dict[str, int] = {}
        self.count = 0
        self.norms = pe_norms()

    def _next(self, kind: str) -> int:
        self.numbers[kind] = self.numbers.get(kind, 0) + 1
        return self.numbers[kind]

    def make(self, about: str) -> PlanEntry:
        self.count += 1
        about = _inner(about)
        if self.subject == PE_SUBJECT:
            norm = self.norms[(self.count - 1) % len(self.norms)] if self.norms else about
            return PlanEntry(f"Контрольный учебный норматив: {norm}", "КУН")
        if self.subject == "Русский язык":
            if self.grade <= 4 and self.count % 3 == 0:
                return PlanEntry(f"Контрольное списывание № {self._next('К/спис')}", "К/спис")
            if self.count % 2 == 1:
                return PlanEntry(f"Контрольный диктант № {self._next('К/д')} по теме «{about}»", "К/д")
        if self.subject == "Литература" and self.count % 2 == 0:
            return PlanEntry(f"Контрольное сочинение № {self._next('К/соч')} по теме «{about}»", "К/соч")
        if self.subject == ENGLISH:
            kinds = (
                ("Контроль аудирования", "К/ауд"),
                ("Контроль чтения", "К/чт"),
                ("Контроль письма", "К/пис"),
                ("Контроль говорения", "К/гов"),
            )
            if self.count % 5:
                name, short = kinds[(self.count - 1) % 5 % len(kinds)]
                return PlanEntry(f"{name} по теме «{about}»", short)
        return PlanEntry(f"Контрольная работа № {self._next('К/р')} по теме «{about}»", "К/р")

    def entrance(self) -> PlanEntry:
        if self.subject == "Русский язык":
            return PlanEntry("Входной контрольный диктант", "К/д")
        return PlanEntry("Входная контрольная работа", "К/р")

    def final(self) -> PlanEntry:
        if self.subject == PE_SUBJECT:
            return self.make("")
        if self.subject == "Русский язык" and self.grade >= 2:
            return PlanEntry("Итоговый контрольный диктант", "К/д")
        return PlanEntry("Итоговая контрольная работа", "К/р")


def build_plan(subject: str, grade: int, weekly_hours: int, count: int, rng: random.Random) -> list[PlanEntry]:
    """Exactly ``count`` plan entries for a group of ``subject`` in ``grade``."""
    if count <= 0:
        return []
    topics = topics_for(subject, grade) or tuple(f"Тема {n}. {subject}" for n in range(1, 11))
    with_control = grade >= 2 and subject not in NO_CONTROL
    controls = _Controls(subject, grade)
    head: list[PlanEntry] = []
    tail: list[PlanEntry] = []
    if count >= 12 and grade >= 2:
        head.append(PlanEntry(f"Повторение изученного в {grade - 1} классе"))
        if count >= 60:
            head.append(PlanEntry(f"Повторение и систематизация изученного в {grade - 1} классе"))
            if with_control and subject != PE_SUBJECT:
                head.append(controls.entrance())
    if count >= 12:
        if count >= 60:
            tail.append(PlanEntry("Повторение изученного за год. Систематизация знаний"))
        tail.append(PlanEntry("Повторение и обобщение изученного за год"))
        if with_control:
            tail.append(controls.final())
            if count >= 30:
                tail.append(PlanEntry("Анализ итоговой контрольной работы. Работа над ошибками"))
    body_count = count - len(head) - len(tail)

    kinds = ["content"] * body_count
    if with_control and body_count >= 8:
        block = rng.randint(8, 10) + (2 if weekly_hours >= 4 else 0)
        number = max(1, body_count // block)
        for j in range(number):
            position = min(body_count - 1, max(1, round((j + 1) * body_count / (number + 0.3)) - 1))
            kinds[position] = "control"
            if position >= 1 and kinds[position - 1] == "content":
                kinds[position - 1] = "review"
            if weekly_hours >= 2 and position + 1 < body_count and kinds[position + 1] == "content":
                kinds[position + 1] = "analysis"
    contents = kinds.count("content")
    body: list[PlanEntry] = []
    seen = 0
    current = topics[0]
    for kind in kinds:
        if kind == "content":
            current = topics[min(len(topics) - 1, seen * len(topics) // max(1, contents))]
            seen += 1
            body.append(PlanEntry(current))
        elif kind == "review":
            body.append(PlanEntry(f"Повторение по теме «{_inner(current)}»"))
        elif kind == "control":
            body.append(controls.make(current))
        else:
            body.append(PlanEntry("Анализ контрольной работы. Работа над ошибками"))
    plan = head + body + tail
    return plan[:count]


# --- homework ------------------------------------------------------------------------------------------

MINOR = {
    "Изобразительное искусство",
    "Музыка",
    "Труд (технология)",
    PE_SUBJECT,
    "Основы безопасности и защиты Родины",
    "Основы религиозных культур и светской этики",
    "Индивидуальный проект",
}
MINOR_TASKS = {
    "Изобразительное искусство": ("Подготовить материалы для следующего урока: гуашь, кисти, альбом", "", ""),
    "Музыка": ("Послушать произведение, прозвучавшее на уроке, и записать свои впечатления", "", ""),
    "Труд (технология)": ("Принести материалы для практической работы (по списку в тетради)", "", ""),
    PE_SUBJECT: ("Выполнять комплекс утренней гимнастики; повторить правила игры", "", ""),
    "Основы безопасности и защиты Родины": ("Изучить параграф учебника, ответить на вопросы", "", ""),
    "Основы религиозных культур и светской этики": ("Подготовить рассказ о семейной традиции", "", ""),
    "Индивидуальный проект": ("Продолжить работу над проектом: собрать материал по теме", "", ""),
}


def homework(subject: str, grade: int, ordinal: int, rng: random.Random) -> tuple[str, str, str]:
    """``(text, pages, exercises)`` of homework after lesson number ``ordinal`` of the year, worded so
    that a student and a parent understand it (R11). Numbers grow through the year like a textbook's."""
    if subject in MINOR:
        text, pages, exercises = MINOR_TASKS[subject]
        if subject == "Основы безопасности и защиты Родины":
            paragraph = 1 + ordinal // 2
            return f"§ {paragraph}, ответить на вопросы в конце параграфа", "", ""
        return text, pages, exercises
    page = 4 + ordinal * (2 if grade <= 4 else 3) + rng.randint(0, 2)
    paragraph = 1 + ordinal // 2
    exercise = 5 + ordinal * (3 if grade <= 4 else 5) + rng.randint(0, 4)
    if subject == "Русский язык":
        if grade <= 4:
            exercises = f"упр. {exercise}"
            return f"Учебник с. {page}, {exercises}; выучить правило на с. {page}", f"с. {page}", exercises
        exercises = f"упр. {exercise}, {exercise + 2}"
        choice = rng.random()
        if choice < 0.6:
            return f"§ {paragraph}, выучить правило; {exercises}", "", exercises
        if choice < 0.85:
            return f"§ {paragraph}, {exercises}; словарные слова на с. {page} выучить", f"с. {page}", exercises
        return (
            f"§ {paragraph}, упр. {exercise} (письменно), составить 5 предложений по теме урока",
            "",
            f"упр. {exercise}",
        )
    if subject in ("Математика", "Алгебра", "Геометрия", "Вероятность и статистика"):
        if grade <= 4:
            exercises = f"№ {exercise % 7 + 1}, {exercise % 7 + 3}"
            return f"Учебник с. {page}, {exercises}", f"с. {page}", exercises
        numbers = f"№ {exercise * 2}, {exercise * 2 + 2}, {exercise * 2 + 5} (а, б)"
        return f"п. {paragraph}, выучить определения; решить {numbers}", "", numbers
    if subject == "Алгебра и начала математического анализа":
        numbers = f"№ {exercise * 2}, {exercise * 2 + 3}"
        return f"§ {paragraph}, решить {numbers}; задание из сборника ЕГЭ, вариант {ordinal % 30 + 1}", "", numbers
    if subject in ("Литература", "Литературное чтение"):
        end = page + rng.randint(6, 14)
        if rng.random() < 0.3 and grade >= 5:
            return (
                f"Прочитать с. {page}–{end}; написать мини-сочинение по вопросу 3 на с. {end}",
                f"с. {page}–{end}",
                "",
            )
        return f"Прочитать с. {page}–{end}, ответить на вопросы после текста (устно)", f"с. {page}–{end}", ""
    if subject == ENGLISH:
        exercises = f"упр. {rng.randint(2, 7)}, {rng.randint(8, 10)}"
        workbook = 3 + ordinal + rng.randint(0, 2)
        return (
            f"Учебник с. {page}, {exercises} (письменно); выучить новые слова; рабочая тетрадь с. {workbook}",
            f"с. {page}",
            exercises,
        )
    if subject in ("Окружающий мир",):
        return f"Учебник с. {page}–{page + 3}, ответить на вопросы «Проверь себя»; рабочая тетрадь", f"с. {page}", ""
    if subject in ("Физика", "Химия"):
        exercises = f"упр. {paragraph} ({rng.randint(1, 3)}, {rng.randint(4, 5)})"
        return f"§ {paragraph}, {exercises}; выучить формулы", "", exercises
    if subject == "Информатика":
        return f"§ {paragraph}, вопросы 1–5 после параграфа; доделать практическую работу", "", "вопросы 1–5"
    questions = f"вопросы 1–{rng.randint(3, 5)}"
    if rng.random() < 0.25:
        return f"§ {paragraph}, заполнить таблицу в тетради по теме урока", "", ""
    return f"§ {paragraph}, ответить на {questions} после параграфа (устно)", "", questions
