"""Signing in (password, then a second factor), signing out, staying signed in, and resetting a forgotten password."""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from axes.helpers import get_client_ip_address
from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.views import (
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
)
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from evolve.accounts.forms import NewPasswordForm, PasswordResetRequestForm, SecondFactorForm, SignInForm
from evolve.accounts.models import User
from evolve.accounts.password_reset import (
    RESET_LINK_SECONDS,
    password_reset_link_forget,
    password_reset_link_user,
    password_reset_request,
)
from evolve.accounts.services import (
    authenticator_confirm,
    authenticator_pending_get_or_create,
    second_factor_match,
    user_has_second_factor,
)


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("ui:home")


def _with_next(url: str, request: HttpRequest) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode({'next': _next_url(request)})}"


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert form.user is not None
        login(request, form.user, backend="evolve.accounts.backends.UserBackend")
        step = "accounts:two-factor" if user_has_second_factor(user=form.user) else "accounts:two-factor-setup"
        return HttpResponseRedirect(_with_next(reverse(step), request))
    return render(request, "accounts/sign_in.html", {"form": form, "next": _next_url(request)})


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not user_has_second_factor(user=user):
        return HttpResponseRedirect(_with_next(reverse("accounts:two-factor-setup"), request))
    form = SecondFactorForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor_match(user=user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", "The security code is not right, or has been used. Check it and try again")
    return render(request, "accounts/two_factor.html", {"form": form, "next": _next_url(request)})


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user_has_second_factor(user=user):
        return HttpResponseRedirect(_with_next(reverse("accounts:two-factor"), request))
    device = authenticator_pending_get_or_create(user=user)
    form = SecondFactorForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = authenticator_confirm(device=device, code=form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next_url(request)})
        form.add_error("code", "The security code is not right. Check the time on your phone and try again")
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": _next_url(request),
        # The SVG is made here from our own data, never from user input.
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "accounts/two_factor_setup.html", context)


class PasswordChange(PasswordChangeView):
    """Changing your own password: the current one, then a new one that passes the password rules in settings."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("ui:home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed")
        return response


class PasswordReset(PasswordResetView):
    """Forgotten password: an email address, then the same answer whatever happens (see password_reset.py)."""

    template_name = "accounts/password_reset.html"
    form_class = PasswordResetRequestForm  # type: ignore[assignment]
    success_url = reverse_lazy("accounts:password-reset-sent")

    def form_valid(self, form: PasswordResetRequestForm) -> HttpResponse:  # type: ignore[override]
        # The address the request came from, as django-axes reads it (behind a proxy, the client's address).
        address = get_client_ip_address(self.request) or ""
        password_reset_request(email=form.cleaned_data["email"], address=address)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetSent(PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"
    extra_context = {"minutes": RESET_LINK_SECONDS // 60}


class PasswordResetConfirm(PasswordResetConfirmView):
    """The link from the email: a new password, twice. It signs nobody in; the sign-in page still asks for the
    second factor. The URL's `uidb64` is the link's random key (password_reset.py), not a user id."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def get_user(self, uidb64: str) -> User | None:
        return password_reset_link_user(key=uidb64)

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        password_reset_link_forget(key=self.kwargs["uidb64"])
        # Failed sign-ins counted against the old password no longer matter: a locked account is unlocked.
        axes_reset(username=form.user.get_username())
        messages.success(self.request, "Your password has been reset. Sign in with it and your security code")
        return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@never_cache
@require_http_methods(["GET", "POST"])
def signed_out(request: HttpRequest) -> HttpResponse:
    """Where the timeout warning sends someone whose time ran out (a POST, so no link can sign anyone out); the
    page they were on comes back after they sign in again."""
    if request.method == "POST":
        logout(request)
        return HttpResponseRedirect(_with_next(reverse("accounts:signed-out"), request))
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request))
    return render(request, "accounts/signed_out.html", {"next": _next_url(request)})


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in": any request refreshes the session (SESSION_SAVE_EVERY_REQUEST); this one does nothing else."""
    return HttpResponse(status=204)
