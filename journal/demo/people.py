"""Realistic Russian people for the demo: full names with the right surname form and patronymic for
the sex, fathers whose first name matches the child's patronymic, phones and home addresses.

Only a seeded ``random.Random`` is used, so the same seed always gives the same people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from journal.models import Sex

from .refdata import names

# The reference list has two misspelt patronymics; the demo must show correct ones.
_PATRONYMIC_FIXES = {
    "Павелович": "Павлович",
    "Павеловна": "Павловна",
    "Михаилович": "Михайлович",
    "Михаиловна": "Михайловна",
}
# Fathers' first names that a suffix rule cannot derive from the patronymic.
_FATHER_EXCEPTIONS = {"Игоревич": "Игорь", "Михайлович": "Михаил", "Павлович": "Павел", "Петрович": "Пётр"}

TOWN = "г. Зареченск"
STREETS = (
    "ул. Ленина",
    "ул. Гагарина",
    "ул. Советская",
    "ул. Мира",
    "ул. Школьная",
    "пр-т Победы",
    "ул. Садовая",
    "ул. Молодёжная",
    "ул. Лесная",
    "ул. Пушкина",
    "ул. Строителей",
    "ул. Речная",
    "ул. Королёва",
    "ул. Чкалова",
    "бул. Энтузиастов",
)


@dataclass(frozen=True)
class FullName:
    last: str
    first: str
    patronymic: str
    sex: str

    @property
    def full(self) -> str:
        return f"{self.last} {self.first} {self.patronymic}"


def fix_patronymic(value: str) -> str:
    return _PATRONYMIC_FIXES.get(value, value)


def father_first_name(patronymic_male: str) -> str:
    """The father's first name that gives this patronymic: «Сергеевич» → «Сергей»."""
    if patronymic_male in _FATHER_EXCEPTIONS:
        return _FATHER_EXCEPTIONS[patronymic_male]
    for suffix, ending in (("ьевич", "ий"), ("иевич", "ий"), ("еевич", "ей"), ("аевич", "ай"), ("ович", "")):
        if patronymic_male.endswith(suffix):
            return patronymic_male[: -len(suffix)] + ending
    return patronymic_male


class NameMaker:
    """Draws people from the reference name lists with a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        data = names()
        self.surnames = data.surnames
        self.male_first = data.male_first
        self.female_first = data.female_first
        self.patronymics = tuple((fix_patronymic(m), fix_patronymic(f)) for m, f in data.patronymics)

    def sex(self, female_share: float = 0.5) -> str:
        return Sex.FEMALE if self.rng.random() < female_share else Sex.MALE

    def surname_pair(self) -> tuple[str, str]:
        return self.rng.choice(self.surnames)

    def patronymic_pair(self) -> tuple[str, str]:
        return self.rng.choice(self.patronymics)

    def person(self, sex: str, surname: tuple[str, str] | None = None) -> FullName:
        """A person of ``sex``; ``surname`` is a (male, female) pair when the family is known."""
        male_surname, female_surname = surname or self.surname_pair()
        patronymic_m, patronymic_f = self.patronymic_pair()
        if sex == Sex.MALE:
            return FullName(male_surname, self.rng.choice(self.male_first), patronymic_m, Sex.MALE)
        return FullName(female_surname, self.rng.choice(self.female_first), patronymic_f, Sex.FEMALE)

    def child(self, sex: str) -> tuple[FullName, tuple[str, str], tuple[str, str]]:
        """A child and the (surname, patronymic) pairs their parents are made from."""
        surname = self.surname_pair()
        patronymic = self.patronymic_pair()
        first = self.rng.choice(self.male_first if sex == Sex.MALE else self.female_first)
        if sex == Sex.MALE:
            name = FullName(surname[0], first, patronymic[0], Sex.MALE)
        else:
            name = FullName(surname[1], first, patronymic[1], Sex.FEMALE)
        return name, surname, patronymic

    def father_of(self, surname: tuple[str, str], child_patronymic: tuple[str, str]) -> FullName:
        """The father: the family's male surname and the first name the child's patronymic comes from."""
        return FullName(surname[0], father_first_name(child_patronymic[0]), self.patronymic_pair()[0], Sex.MALE)

    def mother_of(self, surname: tuple[str, str]) -> FullName:
        return FullName(surname[1], self.rng.choice(self.female_first), self.patronymic_pair()[1], Sex.FEMALE)

    def phone(self) -> str:
        code = self.rng.choice((903, 905, 910, 915, 916, 917, 921, 925, 926, 950, 960, 977, 985, 999))
        number = self.rng.randrange(10**7)
        return f"+7 {code} {number // 10000:03d}-{number // 100 % 100:02d}-{number % 100:02d}"

    def address(self) -> str:
        house = self.rng.randint(1, 120)
        flat = self.rng.randint(1, 180)
        return f"{TOWN}, {self.rng.choice(STREETS)}, д. {house}, кв. {flat}"


# The fixed demo people of school 1 (and the outsider of school 2): login → (name, role note).
DEMO_PASSWORD = "demo12345"
DEMO_DIRECTOR = FullName("Соколова", "Елена", "Викторовна", Sex.FEMALE)
DEMO_DEPUTY = FullName("Морозова", "Ольга", "Николаевна", Sex.FEMALE)
DEMO_ADMIN = FullName("Захаров", "Дмитрий", "Игоревич", Sex.MALE)
DEMO_SECRETARY = FullName("Павлова", "Наталья", "Сергеевна", Sex.FEMALE)
DEMO_CLASS_TEACHER = FullName("Смирнова", "Анна", "Петровна", Sex.FEMALE)
DEMO_TEACHER = FullName("Кузнецов", "Андрей", "Владимирович", Sex.MALE)
DEMO_CHILD = FullName("Волков", "Михаил", "Алексеевич", Sex.MALE)
DEMO_CHILD_FAMILY = (("Волков", "Волкова"), ("Алексеевич", "Алексеевна"))
DEMO_PARENT = FullName("Волкова", "Татьяна", "Сергеевна", Sex.FEMALE)
DEMO_OUTSIDER = FullName("Лебедева", "Марина", "Александровна", Sex.FEMALE)
