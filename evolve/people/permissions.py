"""Who may see and change a child's record (DESIGN.md, "Information sharing and access").

- Team members see the children open to their team, except records restricted to another agency.
- A restricted record is seen by its agency's team members, and by people given an explicit grant.
- Everyone else (referrers, case-holding social workers outside the team, other agencies) sees only what is granted.
- The front door (SPOC, triage, MASH) sees every record not restricted to an agency: matching a contact to the
  child already known, and showing what is held about them, is its job (docs/adr/0006-front-door-sight.md).
- The governance group never sees a child's record, grant or not; administration gives no sight of case content.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from evolve.access import gate
from evolve.access.grants import granted_child_ids, granted_children
from evolve.accounts.models import User
from evolve.accounts.roles import CHILD_RECORDING_ROLES, FRONT_DOOR_ROLES, Role
from evolve.people.models import Child


class ChildPolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if user.has_role(Role.GOVERNANCE):
            return queryset.none()
        if user.has_role(*FRONT_DOOR_ROLES):
            # The front door sees nearly every record: a filter on the table itself beats a list of ids.
            allowed = granted_children(user=user) | Q(restricted_to_agency__isnull=True)
            if user.is_team_member:
                allowed |= Q(open_to_team_id=user.team_id, restricted_to_agency_id=user.agency_id)
            return queryset.filter(allowed)
        team = None
        if user.is_team_member:
            team = (
                Child.objects.filter(open_to_team_id=user.team_id)
                .filter(Q(restricted_to_agency__isnull=True) | Q(restricted_to_agency_id=user.agency_id))
                .values("pk")
            )
        return queryset.filter(pk__in=granted_child_ids(user=user, also=team))


gate.register(Child, ChildPolicy())


def child_row_rule(user: User, prefix: str = "") -> Q:
    """`ChildPolicy`'s rule as a condition on each row's child, reached through `prefix` ("child__" from a mapping
    entity), for a query already narrowed to a handful of rows: the scope's subquery would first build every child
    the user may see. Tested to agree with the gate for every role (tests/mapping/test_permissions.py)."""
    if not user.is_active or user.has_role(Role.GOVERNANCE):  # as the gate refuses an inactive user outright
        return Q(pk__in=[])
    allowed = Q(**{f"{prefix}pk__in": granted_child_ids(user=user)})
    if user.has_role(*FRONT_DOOR_ROLES):
        allowed |= Q(**{f"{prefix}restricted_to_agency__isnull": True})
        if user.is_team_member:
            mine = {f"{prefix}open_to_team_id": user.team_id, f"{prefix}restricted_to_agency_id": user.agency_id}
            allowed |= Q(**mine)
    elif user.is_team_member:
        allowed |= Q(**{f"{prefix}open_to_team_id": user.team_id}) & (
            Q(**{f"{prefix}restricted_to_agency__isnull": True})
            | Q(**{f"{prefix}restricted_to_agency_id": user.agency_id})
        )
    return allowed


def may_record_child(user: User) -> bool:
    return user.is_authenticated and user.has_role(*CHILD_RECORDING_ROLES)


def may_change_child(user: User, child: Child) -> bool:
    """Assumes the child came through the gate; changing needs a recording role as well as sight."""
    return may_record_child(user)


def may_read_access_report(user: User, child: Child) -> bool:
    """Managers who can see the child may see who else has."""
    return user.is_manager


def may_restrict_to_agency(user: User) -> bool:
    return user.agency_id is not None and user.has_role(*CHILD_RECORDING_ROLES)
