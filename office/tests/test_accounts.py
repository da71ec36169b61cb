"""Staff accounts, roles, one-time password slips and temporary student logins (issue 7 point 6, R17).

The administrator grants every role; the secretary creates and manages teachers and secretaries only.
A slip carries a new one-time password and the site's address; the first login with it is forced to
change the password. A temporary student login stops working after its end. Nobody else gets in (404).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from accounts.models import StaffRole, User
from accounts.permissions import groups_for, office_scope
from accounts.services import teacher_assign
from journal.services import enrollment_admit
from journal.tests.factories import StudentFactory
from office.models import ChangeRecord

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
NEW_TEACHER = {
    "last_name": "Соколова",
    "first_name": "Анна",
    "patronymic": "Игоревна",
    "username": "sokolova",
    "email": "sokolova@school.example",
    "phone": "+7 900 000-00-00",
    "roles": ["teacher"],
    "position": "учитель математики",
}


def _post(client, url, school, data=None):
    return client.post(f"{url}?school={school.pk}", data or {})


def _password_on(response) -> str:
    found = re.findall(r'data-testid="slip-password">([^<]+)<', response.content.decode())
    assert len(found) == 1, found
    return found[0]


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


# --- staff accounts ----------------------------------------------------------------------------------------


def test_the_administrator_creates_a_teacher_who_sees_nothing_until_assigned(client, school, group, administrator):
    """R17: staff get their accounts from the administrator; a role alone opens no journal."""
    client.force_login(administrator)
    response = _post(client, "/office/accounts/new/", school, NEW_TEACHER)
    assert response.status_code == 302
    user = User.objects.get(username="sokolova")
    assert (user.full_name, user.email, user.phone) == (
        "Соколова Анна Игоревна",
        NEW_TEACHER["email"],
        "+7 900 000-00-00",
    )
    assert not user.has_usable_password()  # the password comes on a slip
    assert list(StaffRole.objects.filter(user=user).values_list("school_id", "role", "position")) == [
        (school.pk, "teacher", "учитель математики")
    ]
    assert ChangeRecord.objects.filter(school=school, object_type="account", actor=administrator).exists()
    assert not groups_for(user).exists()
    teacher_assign(actor=administrator, group=group, teacher=user, start=group.year.start)
    assert list(groups_for(user)) == [group]
    page = client.get(f"/office/accounts/?school={school.pk}").content.decode()
    assert f'data-testid="staff-{user.pk}"' in page and "Соколова Анна Игоревна" in page


def test_a_taken_login_is_refused_and_nothing_is_created(client, school, administrator, teacher):
    client.force_login(administrator)
    response = _post(client, "/office/accounts/new/", school, {**NEW_TEACHER, "username": "TEACHER"})
    assert response.status_code == 200
    assert "TEACHER" in response.content.decode()  # the message names the login
    assert not User.objects.filter(last_name="Соколова").exists()


def test_the_secretary_creates_teachers_but_not_administrators(client, school, secretary):
    client.force_login(secretary)
    _post(client, "/office/accounts/new/", school, {**NEW_TEACHER, "roles": ["administrator"]})
    assert not User.objects.filter(username="sokolova").exists()
    _post(client, "/office/accounts/new/", school, NEW_TEACHER)
    assert User.objects.get(username="sokolova").staff_roles.get().role == "teacher"


def test_the_administrator_changes_roles_and_the_access_follows(client, school, administrator, teacher):
    client.force_login(administrator)
    url = f"/office/accounts/{teacher.pk}/"
    _post(client, url, school, {"roles": ["teacher", "deputy"], "position": "завуч"})
    assert school.pk in office_scope(teacher).correct  # the deputy's rights came with the role
    assert set(StaffRole.objects.filter(user=teacher).values_list("role", "position")) == {
        ("teacher", "завуч"),
        ("deputy", "завуч"),
    }
    _post(client, url, school, {"roles": ["teacher"], "position": "учитель"})
    assert school.pk not in office_scope(teacher).correct
    assert ChangeRecord.objects.filter(object_type="account", object_id=str(teacher.pk)).count() == 2


def test_nobody_is_left_without_a_role_and_the_administrator_keeps_their_own(client, school, administrator, teacher):
    client.force_login(administrator)
    _post(client, f"/office/accounts/{teacher.pk}/", school, {"roles": []})
    assert teacher.staff_roles.filter(role="teacher").exists()
    _post(client, f"/office/accounts/{administrator.pk}/", school, {"roles": ["teacher"]})
    assert administrator.staff_roles.filter(role="administrator").exists()


def test_the_secretary_cannot_touch_the_directors_account(client, school, secretary, director):
    client.force_login(secretary)
    before = User.objects.get(pk=director.pk).password
    _post(client, "/office/accounts/slips/", school, {"users": [director.pk]})
    _post(client, f"/office/accounts/{director.pk}/block/", school, {"active": "0"})
    _post(client, f"/office/accounts/{director.pk}/", school, {"roles": []})
    director.refresh_from_db()
    assert (director.password, director.is_active, director.must_change_password) == (before, True, False)
    assert director.staff_roles.filter(role="director").exists()


def test_the_secretary_may_add_the_teacher_role_but_not_the_deputys(client, school, secretary, teacher):
    client.force_login(secretary)
    _post(client, f"/office/accounts/{teacher.pk}/", school, {"roles": ["teacher", "deputy"]})
    assert not teacher.staff_roles.filter(role="deputy").exists()
    _post(client, f"/office/accounts/{teacher.pk}/", school, {"roles": ["teacher", "secretary"]})
    assert teacher.staff_roles.filter(role="secretary").exists()


def test_blocking_an_account_logs_the_person_out_and_unblocking_lets_them_in(client, school, administrator, teacher):
    other = Client()
    other.force_login(teacher)
    assert other.get("/").status_code == 200
    client.force_login(administrator)
    _post(client, f"/office/accounts/{teacher.pk}/block/", school, {"active": "0"})
    teacher.refresh_from_db()
    assert not teacher.is_active
    assert other.get("/").status_code == 302  # back to the login page
    assert 'data-testid="blocked"' in client.get(f"/office/accounts/?school={school.pk}").content.decode()
    _post(client, f"/office/accounts/{teacher.pk}/block/", school, {"active": "1"})
    teacher.refresh_from_db()
    assert teacher.is_active
    # nobody blocks themselves
    _post(client, f"/office/accounts/{administrator.pk}/block/", school, {"active": "0"})
    administrator.refresh_from_db()
    assert administrator.is_active


def test_a_slip_gives_a_one_time_password_and_the_first_login_must_change_it(client, school, administrator, teacher):
    """R17: one-time passwords on printable slips; forced password change on first login."""
    client.force_login(administrator)
    response = _post(client, "/office/accounts/slips/", school, {"users": [teacher.pk]})
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "Одноразовый пароль" in html and settings.SITE_URL in html
    assert 'data-testid="slip-login">teacher<' in html
    password = _password_on(response)
    teacher.refresh_from_db()
    assert teacher.must_change_password and teacher.check_password(password)

    person = Client()
    answer = _login(person, "teacher", password)
    assert answer.status_code == 302 and answer["Location"] == "/accounts/password/"
    assert person.get("/").url == "/accounts/password/"  # nothing else before the change
    person.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "Kv8#tree-lamp", "new_password2": "Kv8#tree-lamp"},
    )
    teacher.refresh_from_db()
    assert not teacher.must_change_password
    assert person.get("/").status_code == 200

    again = _password_on(_post(client, "/office/accounts/slips/", school, {"users": [teacher.pk]}))
    teacher.refresh_from_db()
    assert again != password and teacher.check_password(again) and teacher.must_change_password


def test_slips_for_nobody_are_refused(client, school, administrator):
    client.force_login(administrator)
    response = _post(client, "/office/accounts/slips/", school, {})
    assert response.status_code == 302
    assert "Выберите хотя бы одного человека." in client.get(response.url).content.decode()


# --- temporary student logins ----------------------------------------------------------------------------


@pytest.fixture
def newcomer(school, school_class):
    """A student of 5А without a login of their own."""
    child = StudentFactory(school=school, last_name="Ёлкина", first_name="Юлия", patronymic="Петровна", sex="f")
    enrollment_admit(actor=None, student=child, school_class=school_class, start=school_class.year.start)
    return child


def test_temporary_logins_for_a_class_work_until_their_end(
    client, school, school_class, administrator, student_user, newcomer
):
    """R17: temporary student logins while the state login is unavailable; refused after the end."""
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, 0, tzinfo=MSK), tick=False):
        client.force_login(administrator)
        response = _post(client, "/office/accounts/temporary/", school, {"school_class": school_class.pk})
        html = response.content.decode()
        assert response.status_code == 200 and html.count('data-testid="slip"') == 2
        newcomer.refresh_from_db()
        login = newcomer.user
        assert login.username == "elkina.y"
        assert login.must_change_password
        assert login.valid_until == dt.datetime(2026, 12, 8, 0, 0, tzinfo=MSK)  # through 07.12 (+14 days)
        student_user.refresh_from_db()
        assert student_user.valid_until == login.valid_until  # the existing login is kept, now temporary
        passwords = dict(re.findall(r'slip-login">([^<]+)<.*?slip-password">([^<]+)<', html, re.S))
        assert set(passwords) == {"elkina.y", "student"}
        assert ChangeRecord.objects.filter(school=school, object_type="temporary_login").exists()
    with time_machine.travel(dt.datetime(2026, 12, 7, 23, 0, tzinfo=MSK), tick=False):
        assert _login(Client(), "elkina.y", passwords["elkina.y"]).status_code == 302
    with time_machine.travel(dt.datetime(2026, 12, 8, 0, 1, tzinfo=MSK), tick=False):
        refused = _login(Client(), "elkina.y", passwords["elkina.y"])
        assert refused.status_code == 200 and 'name="password"' in refused.content.decode()


def test_temporary_logins_can_be_ended_early(client, school, school_class, administrator, newcomer):
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, 0, tzinfo=MSK), tick=False):
        client.force_login(administrator)
        response = _post(
            client, "/office/accounts/temporary/", school, {"school_class": school_class.pk, "until": "2026-11-30"}
        )
        password = _password_on(response)
        student_client = Client()
        assert _login(student_client, "elkina.y", password).status_code == 302
        _post(client, "/office/accounts/temporary/end/", school, {"school_class": school_class.pk})
        assert student_client.get("/").status_code == 302  # logged out
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, 5, tzinfo=MSK), tick=False):
        assert _login(Client(), "elkina.y", password).status_code == 200  # refused


@pytest.mark.usefixtures("_today")
def test_a_temporary_login_end_in_the_past_is_refused(client, school, school_class, administrator, newcomer):
    client.force_login(administrator)
    response = _post(
        client, "/office/accounts/temporary/", school, {"school_class": school_class.pk, "until": "2026-11-01"}
    )
    assert response.status_code == 200 and 'data-testid="slip"' not in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.user_id is None  # nothing written


def test_only_the_administrator_gives_temporary_logins(client, school, school_class, secretary, newcomer):
    client.force_login(secretary)
    response = _post(client, "/office/accounts/temporary/", school, {"school_class": school_class.pk})
    assert response.status_code == 404
    newcomer.refresh_from_db()
    assert newcomer.user_id is None


# --- who gets in ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stranger", ["teacher", "class_teacher", "parent", "student_user", "outsider", "deputy"])
def test_others_get_404_even_with_this_schools_ids(client, request, school, school_class, teacher, stranger):
    client.force_login(request.getfixturevalue(stranger))
    page = client.get(f"/office/accounts/?school={school.pk}")
    if stranger in ("deputy", "outsider"):  # deputies are sent to the leaks page of their own school
        assert page.status_code == 302 and page.url.startswith("/office/accounts/leaks/")
    else:
        assert page.status_code == 404
    assert client.get(f"/office/accounts/{teacher.pk}/?school={school.pk}").status_code == 404
    for url, data in [
        ("/office/accounts/new/", NEW_TEACHER),
        ("/office/accounts/slips/", {"users": [teacher.pk]}),
        (f"/office/accounts/{teacher.pk}/", {"roles": ["teacher", "administrator"]}),
        (f"/office/accounts/{teacher.pk}/block/", {"active": "0"}),
        (f"/office/accounts/{teacher.pk}/unlock/", {}),
        ("/office/accounts/temporary/", {"school_class": school_class.pk}),
        ("/office/accounts/temporary/end/", {"school_class": school_class.pk}),
    ]:
        assert _post(client, url, school, data).status_code == 404, url
    teacher.refresh_from_db()
    assert teacher.is_active and not teacher.must_change_password
    assert not User.objects.filter(username="sokolova").exists()


def test_the_outsider_cannot_reach_this_schools_staff_through_their_own_school(client, school, teacher, outsider):
    client.force_login(outsider)
    assert client.get(f"/office/accounts/{teacher.pk}/").status_code == 404


def test_posts_need_the_csrf_token(school, administrator, teacher):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)
    assert _post(client, "/office/accounts/new/", school, NEW_TEACHER).status_code == 403
    assert _post(client, "/office/accounts/slips/", school, {"users": [teacher.pk]}).status_code == 403
    assert _post(client, f"/office/accounts/{teacher.pk}/block/", school, {"active": "0"}).status_code == 403
    teacher.refresh_from_db()
    assert teacher.is_active


@pytest.mark.usefixtures("_today")
def test_the_accounts_page_takes_a_fixed_number_of_queries(
    client, school, school_class, administrator, everyone, django_assert_max_num_queries
):
    from accounts.services import staff_role_grant
    from accounts.tests.factories import UserFactory

    for n in range(15):
        staff_role_grant(actor=None, user=UserFactory(username=f"t{n}"), school=school, role="teacher")
    client.force_login(administrator)
    with django_assert_max_num_queries(16):
        response = client.get(f"/office/accounts/?school={school.pk}")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="staff-') >= 20
