"""Logins for accounts the imports create: «ivanova.m», then «ivanova.m2», … — unique, in two queries for a
whole file. Passwords are never set here: the accounts get one-time passwords on printed slips (R17)."""

from __future__ import annotations

import re
import secrets

from accounts.models import User

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
            "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
        ],
        strict=True,
    )
)  # fmt: skip


def latin(value: str) -> str:
    out = "".join(_TRANSLIT.get(c, c) for c in value.lower())
    return re.sub(r"[^a-z0-9]", "", out)


def login_base(last_name: str, first_name: str, fallback: str = "user") -> str:
    return f"{latin(last_name)[:20] or fallback}.{latin(first_name)[:1] or 'x'}"


def free_logins(bases: list[str]) -> list[str]:
    """One new login per base (in order), unused by any account and by each other."""
    candidates = {f"{base}{n if n > 1 else ''}" for base in set(bases) for n in range(1, 10)}
    taken = {
        name.lower()
        for name in User.objects.filter(username__in=candidates).values_list("username", flat=True).iterator()
    }
    result = []
    for base in bases:
        name = next(
            (f"{base}{n if n > 1 else ''}" for n in range(1, 10) if f"{base}{n if n > 1 else ''}" not in taken), None
        )
        if name is None:
            name = f"{base}.{secrets.token_hex(3)}"
        taken.add(name)
        result.append(name)
    return result


def new_user(*, last_name: str, first_name: str, patronymic: str = "", email: str = "", phone: str = "") -> User:
    """An unsaved account without a usable password (the login is given by :func:`assign_logins`)."""
    user = User(
        last_name=last_name, first_name=first_name, patronymic=patronymic, email=email, phone=phone, username=""
    )
    user.set_unusable_password()
    return user


def assign_logins(users: list[User], fallback: str = "user") -> None:
    """Give every unsaved account without a login a free one."""
    todo = [u for u in users if not u.username]
    for user, name in zip(
        todo, free_logins([login_base(u.last_name, u.first_name, fallback) for u in todo]), strict=True
    ):
        user.username = name
