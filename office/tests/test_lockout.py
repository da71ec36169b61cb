"""django-axes lock-out after repeated wrong passwords, through the real login form, and the
administrator's «unlock» on the accounts page (issue 7 point 6, R17)."""

from __future__ import annotations

import pytest
from django.test import Client

from office.models import ChangeRecord

pytestmark = pytest.mark.django_db

PASSWORD = "Kv8#tree-lamp"


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.fixture
def with_passwords(teacher, secretary):
    for user in (teacher, secretary):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


@pytest.mark.usefixtures("with_passwords")
def test_five_wrong_passwords_lock_the_login_until_the_administrator_unlocks_it(
    client, settings, school, teacher, secretary, administrator
):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(4):
        assert _login(Client(), "teacher", "wrong").status_code == 200  # the form again, with its error
    locked = _login(Client(), "teacher", "wrong")
    assert locked.status_code == 429
    assert "Вход заблокирован" in locked.content.decode()
    # now even the right password is refused …
    assert _login(Client(), "teacher", PASSWORD).status_code == 429
    # … but other logins are not affected (the lock is per login, not per address)
    assert _login(Client(), "secretary", PASSWORD).status_code == 302

    client.force_login(administrator)
    page = client.get(f"/office/accounts/?school={school.pk}").content.decode()
    assert 'data-testid="locked"' in page
    assert 'data-testid="unlock"' in client.get(f"/office/accounts/{teacher.pk}/?school={school.pk}").content.decode()
    client.post(f"/office/accounts/{teacher.pk}/unlock/?school={school.pk}")
    assert ChangeRecord.objects.filter(school=school, object_type="account", object_id=str(teacher.pk)).exists()
    assert 'data-testid="locked"' not in client.get(f"/office/accounts/?school={school.pk}").content.decode()

    person = Client()
    assert _login(person, "teacher", PASSWORD).status_code == 302
    assert person.get("/").status_code == 200


@pytest.mark.usefixtures("with_passwords")
def test_the_secretary_cannot_unlock_the_administrator(client, school, secretary, administrator):
    administrator.set_password(PASSWORD)
    administrator.save(update_fields=["password"])
    for _attempt in range(5):
        _login(Client(), "admin", "wrong")
    client.force_login(secretary)
    client.post(f"/office/accounts/{administrator.pk}/unlock/?school={school.pk}")
    assert _login(Client(), "admin", PASSWORD).status_code == 429
