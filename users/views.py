"""Account pages: thin views over users.services and users.forms."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from users import services
from users.forms import (
    EmailChangeForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetForm,
    ShiftFormSet,
)
from users.permissions import can_see_avatar, is_guest, role_required
from users.ratelimit import ratelimit_post

INVALID_LINK = gettext_lazy("The link is invalid, already used or expired. Please start again.")


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@method_decorator(ratelimit_post("login"), name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "users/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form) -> HttpResponse:
        """Say how many attempts are left before the lockout (django-axes counts them)."""
        typed = self.request.POST.get("username", "")
        if typed and self.request.POST.get("password"):
            failures = AxesProxyHandler.get_failures(self.request, {"username": typed})
            remaining = settings.AXES_FAILURE_LIMIT - failures
            if 0 < remaining < settings.AXES_FAILURE_LIMIT:
                messages.warning(
                    self.request,
                    ngettext(
                        "%(count)d attempt left before logging in is blocked for a while.",
                        "%(count)d attempts left before logging in is blocked for a while.",
                        remaining,
                    )
                    % {"count": remaining},
                )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5)."""


@method_decorator(ratelimit_post("password_change"), name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "users/password_change.html"
    success_url = reverse_lazy("users:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "users/password_change_done.html"


@method_decorator(ratelimit_post("password_reset"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Same answer whether or not the address has an account."""

    form_class = ResetForm
    template_name = "users/password_reset.html"
    subject_template_name = "users/email/password_reset_subject.txt"
    email_template_name = "users/email/password_reset_body.txt"
    success_url = reverse_lazy("users:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "users/password_reset_done.html"


@method_decorator(ratelimit_post("password_reset_confirm"), name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "users/password_reset_confirm.html"
    success_url = reverse_lazy("users:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "users/password_reset_complete.html"


@ratelimit_post("register")
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("users:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.register(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            base_url=_base_url(request),
        )
        return redirect("users:register_done")
    return render(request, "users/register.html", {"form": form})


def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "users/register_done.html")


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button (mail scanners prefetch links); POST activates."""
    if request.method == "GET":
        return render(request, "users/activate.html", {"token": token})
    try:
        services.activate(token, base_url=_base_url(request))
    except services.AccountConflict:
        messages.error(
            request, _("This e-mail or username was taken meanwhile. Please sign up again.")
        )
        return redirect("users:register")
    except services.InvalidLink:
        messages.error(request, INVALID_LINK)
        return redirect("users:register")
    messages.success(
        request,
        _("Your e-mail is confirmed. Sign in; an administrator will approve your account."),
    )
    return redirect("users:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where a login lands: guests wait for approval, everyone else goes to the site root
    (the dispatcher console)."""
    if is_guest(request.user):
        return redirect("users:awaiting_approval")
    return redirect("/")


@login_required
def awaiting_approval(request: HttpRequest) -> HttpResponse:
    if not is_guest(request.user):
        return redirect("users:home")
    return render(request, "users/awaiting_approval.html")


@role_required()
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, request.FILES or None, instance=user)
    shifts = ShiftFormSet(request.POST or None, instance=user, prefix="shifts")
    if request.method == "POST":
        if form.is_valid() and shifts.is_valid():
            services.save_profile(form, shifts)
            messages.success(request, _("Profile saved."))
            return redirect("users:profile")
        user.refresh_from_db()
    return render(request, "users/profile.html", {"form": form, "shifts": shifts})


@role_required()
@ratelimit_post("email_change")
@require_http_methods(["GET", "POST"])
def change_email(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_email_change(
            request.user, form.cleaned_data["new_email"], base_url=_base_url(request)
        )
        messages.info(
            request, _("We have sent a confirmation link to the new address. Open it to finish.")
        )
        return redirect("users:profile")
    return render(request, "users/change_email.html", {"form": form})


@role_required()
@require_http_methods(["GET", "POST"])
def confirm_email_change(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "GET":
        return render(request, "users/confirm_email_change.html", {"token": token})
    try:
        services.confirm_email_change(request.user, token)
    except services.AccountConflict:
        messages.error(request, _("This e-mail address is already used by another account."))
    except services.InvalidLink:
        messages.error(request, INVALID_LINK)
    else:
        messages.success(request, _("Your e-mail address has been changed."))
    return redirect("users:profile")


@login_required
def avatar(request: HttpRequest, user_id: int) -> HttpResponse:
    """An avatar (the gateway does not publish media files): see ``can_see_avatar``; any other
    request gets the same 404 as a missing one, so nothing tells whether the account exists."""
    from users.models import User

    owner = get_object_or_404(
        User.objects.only("avatar", "is_active", "is_superuser", "role"), pk=user_id
    )
    if not owner.avatar or not can_see_avatar(request.user, owner):
        raise Http404
    try:
        handle = owner.avatar.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=3600"
    return response
