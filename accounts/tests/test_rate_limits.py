"""Rate limits (issue 8, Security): failed logins per client address, new one-time passwords and password
change attempts per user. Over the limit: a Russian page with status 429 that does not say whether the
account exists, and nothing is done. The counters are in the test Redis (each test has its own prefix,
conftest.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Kv8#tree-lamp"
SCHOOL_NAT = "203.0.113.5"
ELSEWHERE = "198.51.100.7"
LOGIN_REFUSED = "Слишком много неудачных входов из вашей сети"
TOO_OFTEN = "Это сделано слишком много раз за короткое время"


def _with_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _login(address: str, username: str, password: str, **headers: str):
    client = Client(REMOTE_ADDR=address)
    return client, client.post("/accounts/login/", {"username": username, "password": password}, headers=headers)


def _notice(response) -> str:
    """The text of the 429 page's notice (the rest of the page carries a per-request CSRF token)."""
    found = re.search(r'data-testid="rate-limited">(.*?)</section>', response.content.decode(), re.S)
    assert found, response.content.decode()[:500]
    return found.group(1)


def test_failed_logins_from_one_address_are_stopped_and_other_addresses_are_not(settings, teacher, secretary):
    settings.LOGIN_RATE_LIMIT = "3/m"
    _with_password(teacher)
    _with_password(secretary)
    # Three wrong passwords, each for another login (django-axes alone would lock none of them) …
    for username in ("teacher", "nobody-at-all", "secretary"):
        assert _login(SCHOOL_NAT, username, "wrong")[1].status_code == 200
    # … and the fourth attempt from that address is refused before the password is even checked.
    client, refused = _login(SCHOOL_NAT, "teacher", PASSWORD)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert LOGIN_REFUSED in refused.content.decode()
    assert client.get("/").status_code == 302  # not logged in
    # The same page whether the login exists or not.
    assert _notice(_login(SCHOOL_NAT, "no-such-login", "wrong")[1]) == _notice(refused)
    # Another address is not affected.
    client, answer = _login(ELSEWHERE, "teacher", PASSWORD)
    assert answer.status_code == 302 and client.get("/").status_code == 200


def test_a_school_behind_one_address_logs_in_all_at_once(settings, teacher):
    """Only failures count: a whole class signing in from the school's one NAT address is not an attack."""
    settings.LOGIN_RATE_LIMIT = "3/m"
    _with_password(teacher)
    for _attempt in range(6):
        assert _login(SCHOOL_NAT, "teacher", PASSWORD)[1].status_code == 302


def test_behind_the_proxy_the_address_comes_from_its_header(settings, teacher):
    settings.LOGIN_RATE_LIMIT = "2/m"
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    _with_password(teacher)
    for _attempt in range(2):
        _login("127.0.0.1", "teacher-typo", "wrong", **{"X-Real-IP": SCHOOL_NAT})
    assert _login("127.0.0.1", "teacher", PASSWORD, **{"X-Real-IP": SCHOOL_NAT})[1].status_code == 429
    assert _login("127.0.0.1", "teacher", PASSWORD, **{"X-Real-IP": ELSEWHERE})[1].status_code == 302


def _password_of(response) -> str:
    found = re.findall(r'data-testid="slip-password">([^<]+)<', response.content.decode())
    assert len(found) == 1, found
    return found[0]


def test_password_resets_beyond_the_limit_issue_no_new_password(
    settings, client, class_teacher, school_class, parent, student_user, administrator
):
    settings.CREDENTIALS_RATE_LIMIT = "2/h"
    client.force_login(class_teacher)
    reset = reverse("class_password_reset", args=[school_class.pk, parent.pk])
    assert client.post(reset).status_code == 200
    assert client.post(reverse("class_slips", args=[school_class.pk]), {"users": [student_user.pk]}).status_code == 200
    parent.refresh_from_db()
    student_user.refresh_from_db()
    before = parent.password, student_user.password

    refused = client.post(reset)
    assert refused.status_code == 429 and TOO_OFTEN in refused.content.decode()
    again = client.post(reverse("class_slips", args=[school_class.pk]), {"users": [student_user.pk]})
    assert again.status_code == 429
    parent.refresh_from_db()
    student_user.refresh_from_db()
    assert (parent.password, student_user.password) == before
    assert client.get(reverse("class_slips", args=[school_class.pk])).status_code == 200  # the page still opens

    # The limit is the class teacher's own: the administrator still issues a password.
    other = Client()
    other.force_login(administrator)
    assert other.post(reset).status_code == 200


def test_office_slips_beyond_the_limit_issue_no_new_password(settings, client, school, administrator, teacher):
    settings.CREDENTIALS_RATE_LIMIT = "1/h"
    client.force_login(administrator)
    url = f"/office/accounts/slips/?school={school.pk}"
    teacher.refresh_from_db()
    first = _password_of(client.post(url, {"users": [teacher.pk]}))
    refused = client.post(url, {"users": [teacher.pk]})
    assert refused.status_code == 429 and TOO_OFTEN in refused.content.decode()
    teacher.refresh_from_db()
    assert teacher.check_password(first)


def test_password_change_attempts_are_limited_per_user(settings, client, teacher):
    settings.PASSWORD_CHANGE_RATE_LIMIT = "2/h"
    _with_password(teacher)
    client.force_login(teacher)
    new = {"new_password1": "Ql3#river-stone", "new_password2": "Ql3#river-stone"}
    for guess in ("guess-one", "guess-two"):
        assert client.post("/accounts/password/", {"old_password": guess, **new}).status_code == 200
    refused = client.post("/accounts/password/", {"old_password": PASSWORD, **new})
    assert refused.status_code == 429 and TOO_OFTEN in refused.content.decode()
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)
