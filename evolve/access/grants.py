"""Explicit, recorded grants of access to one record. The only module that talks to django-guardian."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from evolve.access.models import BreakGlassAccess, ChildGroupObjectPermission, ChildUserObjectPermission
from evolve.accounts.models import User
from evolve.accounts.roles import Role

VIEW_CHILD = "people.view_child_record"


def granted_children(*, user: User) -> models.Q:
    """A filter for the children granted to `user`, directly or through a group, or opened by `user` in an emergency
    (break-glass) until the opening expires, for use inside a scope. Subqueries only: one query whatever the rows."""
    return models.Q(pk__in=granted_child_ids(user=user))


def granted_child_ids(*, user: User, also: models.QuerySet[Any] | None = None) -> models.QuerySet[Any]:
    """The ids of the children granted to `user` (directly, through a group, or opened in an emergency until the
    opening expires), with the ids of `also` (a one-column `values()` queryset), as one UNION ALL subquery.

    One `id IN (a UNION ALL b ...)` instead of `id IN a OR id IN b OR ...`: PostgreSQL cannot use an index under an OR
    of subqueries and reads the whole table, while each arm of a union uses its own index (a team's children by
    `open_to_team_id`), so a scope's cost follows what the user may see, not the size of the area's records.
    """
    arms: list[models.QuerySet[Any]] = [
        *_granted_ids(user=user),
        BreakGlassAccess.objects.filter(user=user, expires_at__gt=timezone.now()).values("child_id").order_by(),
    ]
    if also is not None:
        arms.append(also.order_by())
    return arms[0].union(*arms[1:], all=True)


def child_grantees(*, child: models.Model) -> models.QuerySet[User]:
    """The people given sight of `child` by a direct grant."""
    return User.objects.filter(
        childuserobjectpermission__content_object_id=child.pk,
        childuserobjectpermission__permission__codename="view_child_record",
    ).select_related("agency")


def child_access_grant(*, child: models.Model, user: User) -> None:
    """Grant `user` sight of `child`. Callers record why (see evolve.people.services.child_access_grant)."""
    with transaction.atomic():
        assign_perm(VIEW_CHILD, user, child)


def child_access_revoke(*, child: models.Model, user: User) -> None:
    with transaction.atomic():
        remove_perm(VIEW_CHILD, user, child)


def granted_child_filter(*, user: User, field: str = "child_id") -> models.Q:
    """The children granted to `user` directly or through a group (not break-glass), for a model that points at a
    child through `field`."""
    direct, through_groups = _granted_ids(user=user)
    return models.Q(**{f"{field}__in": direct}) | models.Q(**{f"{field}__in": through_groups})


def _granted_ids(*, user: User) -> tuple[models.QuerySet[Any], models.QuerySet[Any]]:
    """The ids of the children granted to `user` directly, and through a group: the two grant subqueries."""
    direct = ChildUserObjectPermission.objects.filter(user=user, permission__codename="view_child_record")
    through_groups = ChildGroupObjectPermission.objects.filter(
        group__user=user, permission__codename="view_child_record"
    )
    return direct.values("content_object_id").order_by(), through_groups.values("content_object_id").order_by()


def child_access_granted_directly(*, child: models.Model, user: User) -> bool:
    return ChildUserObjectPermission.objects.filter(
        content_object_id=child.pk, user=user, permission__codename="view_child_record"
    ).exists()


def team_work_scope(*, user: User, prefix: str = "") -> models.Q:
    """Who sees a team's work about a child (a case, a risk assessment, a meeting's part about the child): the
    team's members, unless the child's record is restricted to another agency; anyone else only by a grant of the
    child (allocation, case holding). The governance group sees none. `prefix` reaches the row's `team` and `child`
    ("case__" for a note on a case)."""
    if user.has_role(Role.GOVERNANCE):
        return models.Q(pk__in=[])
    allowed = granted_child_filter(user=user, field=f"{prefix}child_id")
    if user.is_team_member:
        # "No restriction of the child to another agency" as NOT EXISTS rather than a condition on a joined child:
        # the join made PostgreSQL read all of an area's children for a team's list of cases, where an anti-join
        # looks each row's child up (or hashes the few restricted children when the rows are many).
        restricted_elsewhere = (
            apps.get_model("people", "Child")
            .objects.filter(pk=models.OuterRef(f"{prefix}child_id"), restricted_to_agency__isnull=False)
            .exclude(restricted_to_agency_id=user.agency_id)
        )
        allowed |= models.Q(~models.Exists(restricted_elsewhere), **{f"{prefix}team_id": user.team_id})
    return allowed


def child_granted(*, child: models.Model, user: User) -> bool:
    """Whether `user` holds a grant of `child` (direct, through a group, or an emergency opening): the sight a
    non-member of the team has of a child's casework."""
    return type(child)._default_manager.filter(pk=child.pk).filter(granted_children(user=user)).exists()
