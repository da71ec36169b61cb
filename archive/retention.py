"""Retention (issue 6, point 6; R24): journal copies 5 years, summary sheets 25, backups as configured.

Nothing is destroyed by a machine. Once a year :func:`review_create` lists the files whose term is over;
the administrator confirms the list with the number of the destruction act (:func:`review_confirm`); only
then are the listed files removed from both storages. Deleting a file before its term is refused
everywhere (``StoredFile.delete``, the queryset's ``delete``, the admin).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .models import RetentionReview, StoredFile
from .storage import discard


def due_files() -> list[StoredFile]:
    return list(StoredFile.objects.filter(retain_until__lte=timezone.localdate()).order_by("retain_until", "name"))


def review_create() -> RetentionReview:
    """List what may be destroyed now; an empty list is recorded too (the yearly check happened)."""
    return RetentionReview.objects.create(
        files=[
            {"name": f.name, "kind": f.kind, "retain_until": f.retain_until.isoformat(), "size": f.size}
            for f in due_files()
        ]
    )


def review_confirm(review: RetentionReview, *, actor: User, act: str) -> int:
    """Destroy the files of the review that are still due; the number destroyed.

    Refuses a review confirmed before and a confirmation without the act's number (in Russian)."""
    act = act.strip()
    if not act:
        raise ValidationError(_("Give the number and date of the destruction act."))
    with transaction.atomic():
        review = RetentionReview.objects.select_for_update().get(pk=review.pk)
        if review.confirmed_at is not None:
            raise ValidationError(_("This list has already been confirmed."))
        names = [f["name"] for f in review.files]
        destroyed = 0
        for stored in StoredFile.objects.filter(name__in=names, retain_until__lte=timezone.localdate()):
            discard(stored)
            destroyed += 1
        review.confirmed_by = actor
        review.confirmed_at = timezone.now()
        review.act = act
        review.destroyed = destroyed
        review.save()
    return destroyed
