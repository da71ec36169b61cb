"""The Russian catalogue (DESIGN.md §6): complete, well-formed, up to date with the code, and in use.

- every entry of ``locale/ru/LC_MESSAGES/django.po`` is translated, none is fuzzy, the placeholders of the
  translation are those of the English text, and the header declares Russian with its three plural forms;
- ``makemessages`` finds no string in the code or templates that the catalogue lacks. It runs on a
  throw-away tree (symlinks to the project's sources next to a copy of the catalogue), so the real
  ``django.po`` is never rewritten by a test;
- the compiled ``django.mo`` matches the ``.po`` (``make test`` compiles it; a stale one means English
  on screen), and with Russian active the UI strings, the models' names and the services' errors are
  Russian.
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

PO_PATH = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
MAKEMESSAGES_COMMAND = (
    ".venv/bin/python manage.py makemessages -l ru --ignore=.venv --ignore=var --ignore=journal/demo "
    "--add-location=never --no-obsolete"
)
# The ignores of MAKEMESSAGES_COMMAND, plus "locale": no directory named locale (the real one behind a
# symlink included) may become a target of the run.
MAKEMESSAGES_IGNORE = [".venv", "var", "journal/demo", "locale", "node_modules", "staticfiles", "test-results"]
RUSSIAN_PLURAL_FORMS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdifr]")


# --- a small .po reader (stdlib only) -----------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        """How gettext keys the entry in a compiled catalogue: ``context\\x04msgid``."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    @property
    def translations(self) -> list[str]:
        return [self.msgstr[i] for i in sorted(self.msgstr)]


def _unquote(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text)


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header fields and the entries of a .po file (obsolete ``#~`` entries are left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if current is not None and current.msgstr:
                finish()
            current = current or Entry()
            current.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"$', line)
        if m:
            keyword, index, text = m.group(1), m.group(2), _unquote(m.group(3))
            if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
                finish()  # a new entry without a blank line before it
            current = current or Entry()
            if keyword == "msgctxt":
                current.msgctxt, target = text, ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid, target = text, ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = text, ("msgid_plural", 0)
            else:
                i = int(index) if index is not None else 0
                current.msgstr[i], target = text, ("msgstr", i)
            continue
        m = re.match(r'^"(.*)"$', line)
        assert m and current is not None and target is not None, f"{path}: cannot read the line {raw!r}"
        text = _unquote(m.group(1))
        name, i = target
        if name == "msgstr":
            current.msgstr[i] += text
        else:
            setattr(current, name, (getattr(current, name) or "") + text)
    finish()

    header_entries = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(header_entries) == 1, f"{path} must have exactly one header entry"
    header = dict(line.split(":", 1) for line in header_entries[0].msgstr.get(0, "").splitlines() if ":" in line)
    header = {k.strip(): v.strip() for k, v in header.items()}
    return header, [e for e in entries if e is not header_entries[0]]


def _describe(entries: list[Entry]) -> str:
    return "\n".join(f"  {e.msgid!r}" + (f" (context {e.msgctxt!r})" if e.msgctxt else "") for e in entries)


# --- (a) the catalogue is complete and well-formed ------------------------------------------------------


def test_catalogue_header_declares_russian_with_three_plural_forms():
    header, _ = read_po(PO_PATH)
    assert header["Language"] == "ru"
    assert header["Project-Id-Version"] == "class-journal"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"].replace(" ", "") == RUSSIAN_PLURAL_FORMS.replace(" ", "")


def test_every_entry_is_translated_and_none_is_fuzzy():
    _, entries = read_po(PO_PATH)
    assert len(entries) > 300, "the catalogue looks truncated"
    fuzzy = [e for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries in {PO_PATH} (check them, then remove the flag):\n{_describe(fuzzy)}"
    empty = [e for e in entries if not e.msgstr or not all(t.strip() for t in e.translations)]
    assert not empty, f"untranslated entries in {PO_PATH}:\n{_describe(empty)}"
    plural_incomplete = [e for e in entries if e.msgid_plural is not None and sorted(e.msgstr) != [0, 1, 2]]
    assert not plural_incomplete, f"plural entries need the three Russian forms:\n{_describe(plural_incomplete)}"
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys)), "duplicate entries in the catalogue"


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def test_translations_keep_the_placeholders_and_are_russian():
    _, entries = read_po(PO_PATH)
    wrong, english = [], []
    for e in entries:
        if e.msgid_plural is None:
            if _placeholders(e.msgstr.get(0, "")) != _placeholders(e.msgid):
                wrong.append(e)
        # Russian form 0 also serves 21, 31, …: every form keeps every placeholder of the plural text.
        elif any(set(_placeholders(t)) != set(_placeholders(e.msgid_plural)) for t in e.translations):
            wrong.append(e)
        # Every translation says something in Russian, except codes that read the same (R2: «4/3»).
        if e.translations[:1] == [e.msgid] and re.search(r"[A-Za-z]{3}", e.msgid):
            english.append(e)
    assert not wrong, f"placeholders differ from the English text:\n{_describe(wrong)}"
    assert not english, f"left in English:\n{_describe(english)}"


def test_msgfmt_accepts_the_catalogue():
    if shutil.which("msgfmt") is None:
        pytest.fail("msgfmt is missing: sudo apt-get install -y gettext", pytrace=False)
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(PO_PATH)],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "fuzzy" not in report and "untranslated" not in report, report
    assert re.search(r"^\d+ translated messages?\.$", report.strip(), re.M), report


# --- (b) the code has no string that the catalogue lacks ------------------------------------------------


def _shadow_project(root: Path) -> Path:
    """A tree under ``root`` that looks like the project to ``makemessages``: a symlink to every top-level
    entry of BASE_DIR except ``locale``, which is a real directory holding a copy of the catalogue."""
    base = Path(settings.BASE_DIR)
    for child in base.iterdir():
        if child.name != "locale":
            (root / child.name).symlink_to(child, target_is_directory=child.is_dir())
    copy = root / "locale" / "ru" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    shutil.copy2(PO_PATH, copy)
    return copy


def test_makemessages_finds_nothing_new(tmp_path, monkeypatch):
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: sudo apt-get install -y gettext", pytrace=False)
    before = PO_PATH.read_bytes()
    copy = _shadow_project(tmp_path)
    _, known = read_po(copy)
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command(
            "makemessages",
            locale=["ru"],
            ignore_patterns=list(MAKEMESSAGES_IGNORE),
            add_location="never",
            no_obsolete=True,
            symlinks=True,
            verbosity=0,
        )
    assert PO_PATH.read_bytes() == before, "the test must not touch the real catalogue"
    _, extracted = read_po(copy)
    known_keys = {e.key for e in known}
    assert len(extracted) > 300, "makemessages extracted too little: did it see the sources?"
    new = [e for e in extracted if e.key not in known_keys]
    assert not new, (
        "strings in the code or templates that locale/ru/LC_MESSAGES/django.po lacks; run\n"
        f"  {MAKEMESSAGES_COMMAND}\nand translate them:\n{_describe(new)}"
    )
    changed = [e for e in extracted if "fuzzy" in e.flags or not all(t.strip() for t in e.translations or [""])]
    assert not changed, f"entries that need a (new) translation:\n{_describe(changed)}"


# --- (c) the compiled catalogue is current and Russian is what users see ---------------------------------


def test_compiled_catalogue_matches_the_po():
    assert MO_PATH.exists(), "locale/ru/LC_MESSAGES/django.mo is missing: run `make messages`"
    with MO_PATH.open("rb") as fp:
        compiled = gettext_module.GNUTranslations(fp)
    catalog = compiled._catalog  # noqa: SLF001 - the stdlib keeps the messages there
    _, entries = read_po(PO_PATH)
    stale = []
    for e in entries:
        if e.msgid_plural is None:
            if catalog.get(e.key) != e.msgstr.get(0):
                stale.append(e)
        elif any(catalog.get((e.key, i)) != text for i, text in e.msgstr.items()):
            stale.append(e)
    assert not stale, f"django.mo is older than django.po — run `make messages`:\n{_describe(stale)}"


def test_russian_is_the_default_language():
    assert settings.LANGUAGE_CODE == "ru"
    assert Path(settings.LOCALE_PATHS[0]) == PO_PATH.parents[2]


@pytest.mark.parametrize(
    ("english", "russian"),
    [
        ("Log in", "Войти"),
        ("Sign in to the journal", "Вход в журнал"),
        ("Login", "Логин"),
        ("Password", "Пароль"),
        ("Change password", "Сменить пароль"),
        ("Log out", "Выйти"),
        ("Electronic journal", "Электронный журнал"),
        ("My lessons", "Мои уроки"),
        ("substitution", "замещение"),
        ("Absences without a reason, last 2 weeks", "Отсутствия без причины за 2 недели"),
        ("Latest marks", "Последние отметки"),
        ("Classes", "Классы"),
        ("Students", "Ученики"),
        ("Today", "Сегодня"),
        (
            "Your account has no role in a school yet. Ask the school administrator to give you access.",
            "У вашей учётной записи пока нет роли в школе. Обратитесь к администратору школы, чтобы получить доступ.",
        ),
    ],
)
def test_interface_strings_are_russian(english, russian):
    with translation.override("ru"):
        assert translation.gettext(english) == russian


def test_placeholders_are_filled_in_russian():
    with translation.override("ru"):
        assert translation.gettext("My class %(name)s") % {"name": "5А"} == "Мой класс 5А"


def test_model_names_and_choices_are_russian():
    from grading.models import MarkColumn, WorkType
    from journal.models import LessonStatus, PeriodKind, SchoolClass, Student, StudyPeriod

    with translation.override("ru"):
        assert str(Student._meta.verbose_name) == "ученик"
        assert str(Student._meta.verbose_name_plural) == "ученики"
        assert str(SchoolClass._meta.get_field("class_teacher").verbose_name) == "классный руководитель"
        assert str(StudyPeriod._meta.verbose_name) == "учебный период"
        assert str(WorkType._meta.get_field("weight").verbose_name) == "вес"
        assert str(MarkColumn._meta.verbose_name) == "столбец отметок"
        assert [str(label) for label in LessonStatus.labels] == ["запланирован", "проведён", "отменён"]
        assert str(PeriodKind.QUARTER.label) == "четверть"
        assert str(StudyPeriod(kind=PeriodKind.QUARTER, number=2)) == "2 четверть"


@pytest.mark.django_db
def test_service_errors_speak_russian():
    from journal.models import Enrollment
    from journal.services import enrollment_end

    enrollment = Enrollment(start=dt.date(2026, 9, 1))
    with translation.override("ru"), pytest.raises(ValidationError) as error:
        enrollment_end(actor=None, enrollment=enrollment, end=dt.date(2026, 8, 31), reason="left")
    assert error.value.messages == ["Последний день раньше дня зачисления. Проверьте даты."]
