"""Secure by default: every URL needs a signed-in user who has passed the second factor, except the few below."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# Reachable before signing in.
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/accounts/signed-out/",
    "/accounts/password/reset/",
    "/accessibility/",
    "/healthz",
    "/static/",
)
# Reachable after the password, before the second factor.
PARTLY_SIGNED_IN_PREFIXES = ("/accounts/two-factor/", "/accounts/logout/")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(PUBLIC_PREFIXES) or path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        if path.startswith("/api/") and not path.startswith("/api/docs/"):
            # The API answers for itself (401/403 in JSON; token clients have no session to redirect).
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
        if not user.is_verified():  # type: ignore[attr-defined]  # set by django_otp's OTPMiddleware
            if path.startswith(PARTLY_SIGNED_IN_PREFIXES):
                return self.get_response(request)
            return HttpResponseRedirect(
                f"{reverse('accounts:two-factor')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)
