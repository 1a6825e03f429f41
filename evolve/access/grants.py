"""Explicit, recorded grants of access to one record. The only module that talks to django-guardian."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from guardian.shortcuts import assign_perm, remove_perm

from evolve.access.models import ChildUserObjectPermission
from evolve.accounts.models import User

VIEW_CHILD = "people.view_child_record"


def granted_child_ids(*, user: User) -> models.QuerySet[ChildUserObjectPermission, dict[str, Any]]:
    """A subquery of the ids of children granted to `user`, for use inside a scope."""
    return ChildUserObjectPermission.objects.filter(user=user, permission__codename="view_child_record").values(
        "content_object_id"
    )


def child_access_grant(*, child: models.Model, user: User) -> None:
    """Grant `user` sight of `child`. Callers record why (see evolve.people.services.child_access_grant)."""
    with transaction.atomic():
        assign_perm(VIEW_CHILD, user, child)


def child_access_revoke(*, child: models.Model, user: User) -> None:
    with transaction.atomic():
        remove_perm(VIEW_CHILD, user, child)
