"""The archive in Django's admin (platform superusers): every registry page opens, nothing can be changed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from archive.models import ArchiveCopy, ArchiveRun, IntegrityCheck, RetentionReview, StoredFile
from archive.production import archive_class, run_request
from archive.retention import review_create
from archive.storage import verify_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today", "archive")]


def test_every_archive_page_of_the_admin_opens_read_only(client, superuser, school, school_class, journal, deputy):
    run_request(actor=deputy, school=school, period=journal["period"], school_class=school_class)
    archive_class(school_class, journal["period"], actor=deputy)
    review_create()
    verify_all()
    client.force_login(superuser)
    for model in (ArchiveCopy, ArchiveRun, RetentionReview, StoredFile, IntegrityCheck):
        meta = model._meta
        assert client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).status_code == 200
        obj = model.objects.first()
        change = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
        assert change.status_code == 200
        assert 'name="_save"' not in change.content.decode()  # read-only: no save button
