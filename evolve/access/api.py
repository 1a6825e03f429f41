"""What every API endpoint shares: who may call it at all, and how refusals look."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404
from rest_framework import exceptions, permissions

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings: no import cycle at run time
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView


class IsVerifiedUser(permissions.BasePermission):
    """Signed in, active and, for a browser session, past the second factor. API tokens are issued only to
    verified sessions (and by administrators), so a token stands for a verified user."""

    message = "Sign in with your second factor to use the API."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.auth is not None:  # token authentication
            return True
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())


class TooManyRequests(exceptions.Throttled):
    """Over the API's rate limit (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES, counted in the cache): a 429 whose
    Retry-After header and detail say when to try again."""

    default_detail = "Too many requests."
    extra_detail_singular = "Try again in {wait} second."
    extra_detail_plural = "Try again in {wait} seconds."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound("No such record, or not one you may see.")
    elif isinstance(exc, exceptions.Throttled) and not isinstance(exc, TooManyRequests):
        exc = TooManyRequests(wait=getattr(exc, "wait", None))
    return drf_exception_handler(exc, context)
