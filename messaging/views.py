"""Pages of internal mail and announcements (/messages/). Thin: scope through accounts.permissions and
the selectors (a thread is only its participants' — 404 for anybody else), bind a form, call a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import announcement_classes_for, announcement_schools_for, message_recipients_for
from journal.downloads import file_download

from . import selectors, services
from .forms import AnnouncementForm, NewThreadForm, PreferenceForm, ReplyForm

THREADS_PER_PAGE = 30


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's conversations, newest first, with the number of unread messages in each."""
    page = Paginator(selectors.inbox(request.user), THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "messaging/inbox.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request: HttpRequest) -> HttpResponse:
    """Write to somebody the user may write to (``message_recipients_for``); ``?to=<id>`` preselects."""
    recipients = message_recipients_for(request.user).order_by("last_name", "first_name", "patronymic")
    if request.method == "POST":
        form = NewThreadForm(request.POST, recipients=recipients)
        if form.is_valid():
            data = form.cleaned_data
            try:
                thread = services.thread_start(
                    actor=request.user,
                    recipients=[data["recipient"]],
                    subject=data["subject"],
                    body=data["body"],
                    uploads=request.FILES.getlist("files"),
                )
            except ValidationError as exc:
                form.add_error(None, _message(exc))
            else:
                messages.success(request, _("The message is sent."))
                return redirect("messages_thread", thread.pk)
        return render(request, "messaging/new.html", {"form": form}, status=422)
    form = NewThreadForm(initial={"recipient": request.GET.get("to")}, recipients=recipients)
    return render(request, "messaging/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A conversation and the reply form; opening it marks it read."""
    participation = selectors.get_participation(request.user, pk)
    thread = participation.thread
    form = ReplyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.message_send(
                    actor=request.user,
                    thread=thread,
                    body=form.cleaned_data["body"],
                    uploads=request.FILES.getlist("files"),
                )
            except ValidationError as exc:
                form.add_error(None, _message(exc))
            else:
                messages.success(request, _("The message is sent."))
                return redirect("messages_thread", thread.pk)
        status = 422
    read_before = participation.last_read_id
    services.thread_mark_read(actor=request.user, thread=thread)
    context = {
        "thread": thread,
        "thread_messages": selectors.thread_messages(thread.pk),
        "participants": selectors.thread_participants(thread.pk),
        "read_before": read_before,
        "form": form,
    }
    return render(request, "messaging/thread.html", context, status=status)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A file of a message, only to the thread's participants, always as a download."""
    attachment = selectors.get_attachment_for(request.user, pk)
    return file_download(attachment.file, attachment.original_name)


@login_required
@require_http_methods(["GET", "POST"])
def announcements(request: HttpRequest) -> HttpResponse:
    """Announcements for the user; the class teacher and the administration publish them here."""
    schools = announcement_schools_for(request.user)
    classes = announcement_classes_for(request.user)
    form = None
    status = 200
    if schools.exists() or classes.exists():
        form = AnnouncementForm(request.POST or None, schools=schools, classes=classes)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    services.announcement_publish(
                        actor=request.user,
                        audience=data["audience"],
                        title=data["title"],
                        text=data["text"],
                        school=data["school"],
                        school_class=data["school_class"],
                    )
            except ValidationError as exc:
                form.add_error(None, _message(exc))
            else:
                messages.success(request, _("The announcement is published."))
                return redirect("messages_announcements")
        status = 422
    items = Paginator(selectors.announcements_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "messaging/announcements.html", {"page": items, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """The user's e-mail choices: new messages (on by default) and the daily digest (off by default)."""
    preference = services.preference_of(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.preference_set(actor=request.user, **form.cleaned_data)
            messages.success(request, _("The settings are saved."))
            return redirect("messages_settings")
    else:
        form = PreferenceForm(
            initial={"email_messages": preference.email_messages, "daily_digest": preference.daily_digest}
        )
    return render(request, "messaging/settings.html", {"form": form, "has_email": bool(request.user.email)})
