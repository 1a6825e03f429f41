"""The one gate every page and API endpoint goes through: a queryset scope and an object check.

Each app registers a Policy for its models in its own `permissions.py`. Selectors call `visible_to` for lists and
`get_visible_or_404` for one record; a record that is missing and one the user may not see give the same 404, so an
id reveals nothing.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404

from evolve.accounts.models import User
from evolve.accounts.roles import Role

M = TypeVar("M", bound=models.Model)


class Policy(Protocol):
    def scope(self, *, user: User, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """The rows of `queryset` that `user` may see."""
        ...


_policies: dict[type[models.Model], Policy] = {}


def register(model: type[models.Model], policy: Policy) -> None:
    _policies[model] = policy


def policy_for(model: type[models.Model]) -> Policy:
    try:
        return _policies[model]
    except KeyError:  # a model with no policy is visible to nobody, never to everybody
        raise LookupError(f"No access policy is registered for {model.__name__}") from None


def visible_to(user: User, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    return policy_for(queryset.model).scope(user=user, queryset=queryset)


def get_visible_or_404(user: User, queryset: models.QuerySet[M], **lookup: Any) -> M:
    try:
        return visible_to(user, queryset).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such record, or not one you may see") from None


def can_see(user: User, obj: models.Model) -> bool:
    return visible_to(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def refuse_governance(user: Any) -> None:
    """The governance group sees aggregates only (DESIGN.md): refuse it a casework page or endpoint outright, rather
    than answering with an empty list, so every casework URL treats it alike (tests/security/matrix.py)."""
    if getattr(user, "is_authenticated", False) and Role.GOVERNANCE.value in (getattr(user, "roles", None) or []):
        raise PermissionDenied("The governance group sees the monthly reports, not casework.")
