"""The КТП page of a group (R10): the plan with its coverage, its editing, and import/export.

Everybody who may read the group's journal reads the plan and downloads it (class teacher, deputy,
director: read-only); only the group's teacher changes it (``Action.PERIOD_MARKS``). Outsiders get 404
from ``accounts.permissions``; a reader who posts gets 403. Every write goes through journal/plan.py.

The import is two steps and keeps no state on the server: the upload is checked as a dry run and
previewed row by row; the preview's "Import" button sends the same file back (base64 in a hidden field)
and it is checked again before anything is written, so the preview is never trusted.
"""

from __future__ import annotations

import base64
import binascii

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Action, get_group_for, groups_for

from . import plan as ktp
from .models import Lesson, LessonStatus, PlanItem, TeachingGroup

CONTENT_TYPES = {
    ktp.CSV: "text/csv; charset=utf-8",
    ktp.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


class PlanItemForm(forms.Form):
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=500)
    hours = forms.IntegerField(label=gettext_lazy("Hours"), min_value=1, max_value=ktp.MAX_HOURS, initial=1)
    planned_date = forms.DateField(label=gettext_lazy("Planned date"), required=False, input_formats=DATE_FORMATS)
    is_control_work = forms.BooleanField(label=gettext_lazy("Control work"), required=False)


class PlanItemAddForm(PlanItemForm):
    ordinal = forms.IntegerField(label=gettext_lazy("Number"), required=False, min_value=1, max_value=ktp.MAX_ORDINAL)


def _editor_group(request: HttpRequest, pk: int) -> TeachingGroup:
    """The group for a write: 404 outside the user's reading scope, 403 for a reader."""
    get_group_for(request.user, pk, Action.VIEW)
    try:
        return get_group_for(request.user, pk, Action.PERIOD_MARKS)
    except Http404:
        raise PermissionDenied from None


def _item(request: HttpRequest, group: TeachingGroup) -> PlanItem:
    raw = request.POST.get("item", "")
    item = PlanItem.objects.filter(pk=raw if raw.isdigit() else 0, group=group).first()
    if item is None:
        raise Http404
    item.group = group
    return item


def _form_errors(form: forms.Form) -> list[str]:
    return [
        f"{form.fields[name].label}: {message}" if name in form.fields else message
        for name, messages_ in form.errors.items()
        for message in messages_
    ]


def _values(data: dict | None = None, item: PlanItem | None = None) -> dict[str, object]:
    """What an item form shows: the posted values after a refusal, else the item's own."""
    if data is not None:
        return {
            "topic": data.get("topic", ""),
            "hours": data.get("hours", ""),
            "planned_date": data.get("planned_date", ""),
            "is_control_work": bool(data.get("is_control_work")),
            "ordinal": data.get("ordinal", ""),
        }
    if item is not None:
        return {
            "topic": item.topic,
            "hours": item.hours,
            "planned_date": f"{item.planned_date:%Y-%m-%d}" if item.planned_date else "",
            "is_control_work": item.is_control_work,
        }
    return {"topic": "", "hours": 1, "planned_date": "", "is_control_work": False, "ordinal": ""}


def _page(
    request: HttpRequest,
    group: TeachingGroup,
    *,
    can_edit: bool,
    failed_item: int | None = None,
    failed_errors: list[str] | None = None,
    add_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The plan with each item's coverage: two queries (the items, and the lessons that used them)."""
    today = timezone.localdate()
    items = list(
        PlanItem.objects.filter(group=group)
        .order_by("ordinal")
        .prefetch_related(
            Prefetch(
                "lessons",
                queryset=Lesson.objects.only("id", "date", "number", "status", "plan_item_id").order_by(
                    "date", "number"
                ),
                to_attr="used_by",
            )
        )
    )
    rows = []
    for item in items:
        held = [lesson for lesson in item.used_by if lesson.status == LessonStatus.HELD]
        coming = [lesson for lesson in item.used_by if lesson.status == LessonStatus.PLANNED]
        failed = failed_item == item.pk
        rows.append(
            {
                "item": item,
                "held": held,
                "coming": coming,
                "used": bool(item.used_by),  # also by a cancelled lesson: the service refuses to delete it
                "behind": not held and item.planned_date is not None and item.planned_date < today,
                "values": _values(request.POST if failed else None, item),
                "errors": failed_errors if failed else [],
            }
        )
    context = {
        "group": group,
        "rows": rows,
        "can_edit": can_edit,
        "covered": sum(1 for row in rows if row["held"]),
        "hours": sum(item.hours for item in items),
        "has_gaps": any(item.ordinal != n for n, item in enumerate(items, start=1)),
        "add_values": _values(request.POST if add_errors else None),
        "add_errors": add_errors or [],
        "max_hours": ktp.MAX_HOURS,
        "year": group.year,
    }
    return render(request, "journal/plan.html", context, status=status)


def _back(group: TeachingGroup, item_id: int | None = None) -> HttpResponse:
    return redirect(reverse("plan", args=[group.pk]) + (f"#item-{item_id}" if item_id else ""))


@login_required
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the group's КТП with coverage. POST (the group's teacher): ``action`` = add / edit / delete /
    move / renumber. Refused input comes back in its form with the message; nothing else changes."""
    if request.method == "GET":
        group = get_group_for(request.user, pk, Action.VIEW)
        can_edit = groups_for(request.user, Action.PERIOD_MARKS).filter(pk=group.pk).exists()
        return _page(request, group, can_edit=can_edit)
    group = _editor_group(request, pk)
    action = request.POST.get("action", "")
    if action == "add":
        form = PlanItemAddForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_form_errors(form))
            item = ktp.plan_item_add(actor=request.user, group=group, **form.cleaned_data)
        except ValidationError as exc:
            return _page(request, group, can_edit=True, add_errors=exc.messages, status=422)
        messages.success(request, _("Item %(n)d is added.") % {"n": item.ordinal})
        return _back(group, item.pk)
    if action == "edit":
        item = _item(request, group)
        form = PlanItemForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_form_errors(form))
            ktp.plan_item_update(actor=request.user, item=item, **form.cleaned_data)
        except ValidationError as exc:
            return _page(request, group, can_edit=True, failed_item=item.pk, failed_errors=exc.messages, status=422)
        messages.success(request, _("Item %(n)d is saved.") % {"n": item.ordinal})
        return _back(group, item.pk)
    if action == "delete":
        item = _item(request, group)
        try:
            ktp.plan_item_delete(actor=request.user, item=item)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _back(group, item.pk)
        messages.success(request, _("Item %(n)d «%(topic)s» is deleted.") % {"n": item.ordinal, "topic": item.topic})
        return _back(group)
    if action == "move":
        item = _item(request, group)
        try:
            ktp.plan_item_move(actor=request.user, item=item, direction=request.POST.get("direction", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return _back(group, item.pk)
    if action == "renumber":
        changed = ktp.plan_renumber(actor=request.user, group=group)
        messages.success(request, _("Items renumbered: %(n)d.") % {"n": changed})
        return _back(group)
    return HttpResponse(_("Unknown action."), status=400)


# --- import and export -----------------------------------------------------------------------------------


def _import_page(request: HttpRequest, group: TeachingGroup, **context: object) -> HttpResponse:
    base = {"group": group, "columns": ktp.COLUMNS, "year": group.year, "max_rows": ktp.MAX_IMPORT_ROWS}
    return render(request, "journal/plan_import.html", {**base, **context})


@login_required
@require_http_methods(["GET", "POST"])
def plan_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a CSV/XLSX КТП: the upload is previewed (a dry run listing every row and its errors); the
    preview's confirmation sends the same file back and only then, if every row is valid, it is written."""
    group = _editor_group(request, pk)
    if request.method == "GET":
        return _import_page(request, group)
    confirm = "content" in request.POST
    if confirm:
        name = request.POST.get("name", "")
        try:
            content = base64.b64decode(request.POST["content"], validate=True)
        except (binascii.Error, ValueError):
            return _import_page(request, group, file_errors=[_("Upload the file again.")])
    else:
        upload = request.FILES.get("file")
        if upload is None:
            return _import_page(request, group, file_errors=[_("Choose a CSV or XLSX file.")])
        name, content = upload.name or "", upload.read(ktp.MAX_IMPORT_BYTES + 1)
    try:
        fmt = ktp.detect_format(name, content)
        result = ktp.plan_import(actor=request.user, group=group, file=content, format=fmt, dry_run=not confirm)
    except ValidationError as exc:
        return _import_page(request, group, file_errors=exc.messages, name=name)
    if result.written:
        messages.success(
            request,
            _("The plan is imported: %(new)d new, %(update)d changed, %(same)d unchanged.")
            % {"new": result.count("new"), "update": result.count("update"), "same": result.count("unchanged")},
        )
        return _back(group)
    return _import_page(
        request,
        group,
        result=result,
        name=name,
        content="" if result.has_errors else base64.b64encode(content).decode("ascii"),
    )


@login_required
@require_GET
def plan_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The КТП as ``?format=csv`` (UTF-8 with a BOM, «;») or ``?format=xlsx``; the import reads it back."""
    group = get_group_for(request.user, pk, Action.VIEW)
    fmt = request.GET.get("format", ktp.CSV)
    if fmt not in ktp.FORMATS:
        raise Http404
    response = HttpResponse(ktp.plan_export(group=group, format=fmt), content_type=CONTENT_TYPES[fmt])
    stamp = f"{timezone.localdate():%Y-%m-%d}"
    response["Content-Disposition"] = content_disposition_header(True, f"КТП {group.name} {stamp}.{fmt}")
    return response
