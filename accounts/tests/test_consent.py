"""The consent registry (R16): each record is a dated written consent or a dated refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Consent

pytestmark = pytest.mark.django_db


def test_a_record_without_a_consent_or_refusal_date_is_refused(student):  # R16
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(student=student, given_by="Иванова Мария Петровна")


def test_consent_and_a_refusal_of_the_electronic_diary_are_kept(student, class_teacher):  # R16, R19
    Consent.objects.create(
        student=student, given_by="Иванова Мария Петровна", given_on=dt.date(2026, 8, 28), recorded_by=class_teacher
    )
    Consent.objects.create(
        student=student,
        given_by="Иванов Сергей Петрович",
        refused_on=dt.date(2026, 9, 2),
        electronic_access_refused=True,
        note="Заявление от 02.09.2026",
        recorded_by=class_teacher,
    )
    assert list(student.consents.values_list("electronic_access_refused", flat=True)) == [True, False]
