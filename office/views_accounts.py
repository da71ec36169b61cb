"""Pages of accounts (issue 7 point 6, R17) and leaked credentials (point 7, R18).

``/office/accounts/`` — the administrator and the secretary: the school's staff, new staff accounts,
roles, blocking, unlocking, one-time password slips; the administrator also gives a class temporary
student logins. ``/office/accounts/leaks/`` — the administrator records leaks; the deputy voids the
operations made with the leaked credentials. Anybody else gets 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.ratelimits import limit_credentials
from journal.models import School, SchoolClass, Student

from . import accounts as services
from . import leaks
from .forms_accounts import (
    LeakForm,
    StaffCreateForm,
    StaffRolesForm,
    StaffSlipsForm,
    TemporaryEndForm,
    TemporaryLoginsForm,
    VoidForm,
)
from .models import CredentialLeak
from .views import school_of, scope_or_404


def _message(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _url(name: str, school: School, *args: int) -> str:
    return f"{reverse(name, args=args)}?school={school.pk}"


def _classes(school: School) -> QuerySet[SchoolClass]:
    """The classes of the school's running (or coming) years."""
    return SchoolClass.objects.filter(year__school=school, year__end__gte=timezone.localdate()).order_by(
        "year__start", "grade", "letter"
    )


def _staff_school(request: HttpRequest) -> tuple[School, bool]:
    """The school whose staff accounts the user manages (404 otherwise) and whether they are its
    administrator."""
    scope = scope_or_404(request)
    school = school_of(request, scope.staff_accounts)
    return school, school.pk in scope.accounts


def _staff_member(school: School, pk: int) -> User:
    user = services.staff_user_of(school, pk)
    if user is None:
        raise Http404
    return user


def _slips(request: HttpRequest, school: School, slips: list[tuple[User, str, str]]) -> HttpResponse:
    """The printable slips: ``(user, password, caption)``; the passwords appear on this answer only."""
    return render(
        request,
        "office/accounts_slips.html",
        {"school": school, "slips": slips, "site_url": settings.SITE_URL, "back": _url("office_accounts", school)},
    )


# --- staff accounts ----------------------------------------------------------------------------------------


def _page(request: HttpRequest, school: School, administrator: bool, **forms: object) -> HttpResponse:
    roles = services.grantable_roles(request.user, school)
    classes = _classes(school) if administrator else SchoolClass.objects.none()
    context = {
        "school": school,
        "administrator": administrator,
        "rows": services.staff_of(school),
        "create_form": forms.get("create_form") or StaffCreateForm(roles=roles),
        "temporary_form": forms.get("temporary_form") or TemporaryLoginsForm(classes=classes),
        "end_form": TemporaryEndForm(classes=classes),
        "classes": list(classes.select_related("year")) if administrator else [],
        "temporary": (
            list(
                Student.objects.filter(school=school, user__valid_until__gt=timezone.now())
                .select_related("user")
                .order_by("last_name", "first_name", "pk")
            )
            if administrator
            else []
        ),
    }
    return render(request, "office/accounts.html", context)


@never_cache
@login_required
@require_GET
def accounts_page(request: HttpRequest) -> HttpResponse:
    scope = scope_or_404(request)
    if not scope.staff_accounts and scope.correct:  # the deputy's part of accounts is the leaks page
        return redirect(_url("office_leaks", school_of(request, scope.correct)))
    school, administrator = _staff_school(request)
    return _page(request, school, administrator)


@login_required
@require_POST
def account_create(request: HttpRequest) -> HttpResponse:
    school, administrator = _staff_school(request)
    form = StaffCreateForm(request.POST, roles=services.grantable_roles(request.user, school))
    if form.is_valid():
        try:
            user = services.staff_account_create(actor=request.user, school=school, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(
                request,
                _("Account %(login)s created. Print a slip with a one-time password for it.")
                % {"login": user.username},
            )
            return redirect(_url("office_account", school, user.pk))
    return _page(request, school, administrator, create_form=form)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """One staff member: roles and position (POST), with the block / unlock / slip buttons."""
    school, administrator = _staff_school(request)
    user = _staff_member(school, pk)
    roles = services.grantable_roles(request.user, school)
    held = list(user.staff_roles.filter(school=school).order_by("role"))
    initial = {"roles": [r.role for r in held], "position": next((r.position for r in held if r.position), "")}
    form = StaffRolesForm(request.POST or None, roles=roles, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_roles_set(actor=request.user, school=school, user=user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, _("Roles saved."))
            return redirect(_url("office_account", school, user.pk))
    context = {
        "school": school,
        "person": user,
        "held": held,
        "other_roles": [r for r in held if r.role not in roles],
        "form": form,
        "locked": user.username in services.locked_usernames([user.username]),
    }
    return render(request, "office/accounts_edit.html", context)


def _account_action(request: HttpRequest, pk: int, action) -> HttpResponse:  # noqa: ANN001
    school, _administrator = _staff_school(request)
    user = _staff_member(school, pk)
    try:
        text = action(school, user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, text)
    return redirect(_url("office_account", school, user.pk))


@login_required
@require_POST
def account_block(request: HttpRequest, pk: int) -> HttpResponse:
    active = request.POST.get("active") == "1"

    def act(school: School, user: User) -> str:
        services.staff_account_block(actor=request.user, school=school, user=user, active=active)
        return _("The account is unblocked.") if active else _("The account is blocked: the person cannot log in.")

    return _account_action(request, pk, act)


@login_required
@require_POST
def account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    def act(school: School, user: User) -> str:
        services.login_unlock(actor=request.user, school=school, user=user)
        return _("The login is unlocked: the person may try the password again.")

    return _account_action(request, pk, act)


@never_cache
@login_required
@require_POST
@limit_credentials
def account_slips(request: HttpRequest) -> HttpResponse:
    """New one-time passwords for the chosen staff, printed on slips."""
    school, _administrator = _staff_school(request)
    rows = services.staff_of(school)
    form = StaffSlipsForm(request.POST, user_ids=[r.user.pk for r in rows])
    if not form.is_valid():
        messages.error(request, _("Choose at least one person."))
        return redirect(_url("office_accounts", school))
    chosen = [r for r in rows if r.user.pk in set(form.cleaned_data["users"])]
    try:
        issued = services.staff_slips_issue(actor=request.user, school=school, users=[r.user for r in chosen])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
        return redirect(_url("office_accounts", school))
    captions = {r.user.pk: r.role_names for r in chosen}
    return _slips(request, school, [(user, password, captions[user.pk]) for user, password in issued])


# --- temporary student logins (R17) ------------------------------------------------------------------------


def _administrator_school(request: HttpRequest) -> School:
    scope = scope_or_404(request)
    return school_of(request, scope.accounts)


@never_cache
@login_required
@require_POST
@limit_credentials
def temporary_issue(request: HttpRequest) -> HttpResponse:
    school = _administrator_school(request)
    form = TemporaryLoginsForm(request.POST, classes=_classes(school))
    if form.is_valid():
        school_class = form.cleaned_data["school_class"]
        try:
            issued = services.temporary_logins_issue(
                actor=request.user, school_class=school_class, until=form.cleaned_data["until"]
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _message(exc))
        else:
            until = f"{timezone.localtime(issued[0].user.valid_until):%d.%m.%Y %H:%M}"
            caption = _("class %(cls)s, temporary login valid until %(until)s") % {
                "cls": school_class.name,
                "until": until,
            }
            return _slips(request, school, [(t.user, t.password, caption) for t in issued])
    return _page(request, school, True, temporary_form=form)


@login_required
@require_POST
def temporary_end(request: HttpRequest) -> HttpResponse:
    school = _administrator_school(request)
    form = TemporaryEndForm(request.POST, classes=_classes(school))
    if not form.is_valid():
        messages.error(request, _("Choose the class."))
    else:
        try:
            count = services.temporary_logins_end(actor=request.user, school_class=form.cleaned_data["school_class"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("Temporary logins ended: %(count)d.") % {"count": count})
    return redirect(_url("office_accounts", school))


# --- leaked credentials (R18) ------------------------------------------------------------------------------


def _leaks_school(request: HttpRequest) -> tuple[School, bool, bool]:
    scope = scope_or_404(request)
    school = school_of(request, scope.accounts | scope.correct)
    return school, school.pk in scope.accounts, school.pk in scope.correct


def _leak(school: School, pk: int) -> CredentialLeak:
    leak = leaks.leaks_of(school).filter(pk=pk).first()
    if leak is None:
        raise Http404
    return leak


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def leaks_page(request: HttpRequest) -> HttpResponse:
    school, may_record, may_void = _leaks_school(request)
    form = LeakForm(request.POST or None)
    if request.method == "POST":
        if not may_record:
            raise Http404
        if form.is_valid():
            user = leaks.school_users(school).filter(username=form.cleaned_data["username"].strip()).first()
            if user is None:
                form.add_error("username", _("This person has no account in the school."))
            else:
                try:
                    leak = leaks.leak_record(
                        actor=request.user,
                        school=school,
                        user=user,
                        reported_at=form.cleaned_data["reported_at"],
                        note=form.cleaned_data["note"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    form.add_error(None, _message(exc))
                else:
                    messages.success(
                        request,
                        _("The account %(login)s is blocked; sessions ended: %(count)d.")
                        % {"login": user.username, "count": leak.sessions_ended},
                    )
                    return redirect(_url("office_leak", school, leak.pk))
    context = {"school": school, "may_record": may_record, "may_void": may_void, "form": form}
    context["leaks"] = list(leaks.leaks_of(school)[:200])
    return render(request, "office/leaks.html", context)


@never_cache
@login_required
@require_GET
def leak_detail(request: HttpRequest, pk: int) -> HttpResponse:
    school, _may_record, may_void = _leaks_school(request)
    leak = _leak(school, pk)
    events = list(leaks.leak_events(leak))
    rows = [
        {
            "event": e,
            "old": leaks.describe(e.object_type, e.old),
            "new": leaks.describe(e.object_type, e.new),
            "voidable": e.object_type in leaks.VOIDABLE,
            "voided": getattr(e, "voided_by", None),
        }
        for e in events
    ]
    context = {
        "school": school,
        "leak": leak,
        "rows": rows,
        "may_void": may_void,
        "pending": sum(1 for r in rows if r["voidable"] and r["voided"] is None),
    }
    return render(request, "office/leaks_detail.html", context)


@login_required
@require_POST
def leak_void(request: HttpRequest, pk: int) -> HttpResponse:
    school, _may_record, may_void = _leaks_school(request)
    if not may_void:
        raise Http404
    leak = _leak(school, pk)
    form = VoidForm(request.POST)
    back = _url("office_leak", school, leak.pk)
    if not form.is_valid():
        messages.error(request, _("Choose the operation to void."))
        return redirect(back)
    try:
        if form.cleaned_data["all"]:
            results = leaks.operations_void_all(actor=request.user, leak=leak)
        else:
            results = [leaks.operation_void(actor=request.user, leak=leak, event_id=form.cleaned_data["event"])]
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
        return redirect(back)
    voided = [r for r in results if r.outcome == leaks.Outcome.VOIDED]
    if voided:
        messages.success(request, _("Operations voided: %(count)d.") % {"count": len(voided)})
    for result in results:
        event = result.event
        where = f"{timezone.localtime(event.at):%d.%m.%Y %H:%M}, {event.group.name}"
        if result.outcome == leaks.Outcome.CHANGED_LATER:
            messages.warning(request, f"{where}: " + _("changed later — not voided"))
        elif result.outcome == leaks.Outcome.NOT_VOIDABLE and not form.cleaned_data["all"]:
            messages.warning(request, f"{where}: " + _("nothing to restore — correct it by hand if needed"))
        elif result.outcome == leaks.Outcome.ALREADY:
            messages.info(request, f"{where}: " + _("already voided"))
    return redirect(back)
