"""Who sees and does what with a meeting (DESIGN.md, "Meetings" and "Information sharing and access").

- The whole meeting, and its full minutes, are for the team: every member of the team that held it (each agency in
  the team attended; that is what the team is).
- One child's part of a meeting is the team's work about that child: also seen by anyone granted the child's record
  (the case-holding social worker, an allocated worker outside the team), and by the service managers of the
  agency a disagreement about the child was escalated to. A child restricted to another agency is hidden from the
  rest of the team, as everywhere else.
- The team manager and the detective sergeant, who chair in turn, schedule meetings and record them; only the
  chair closes a meeting; after that only a recorded amendment changes it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from evolve.access import gate
from evolve.access.grants import team_work_scope
from evolve.accounts.models import User
from evolve.accounts.roles import Role
from meetings.models import Action, AgendaItem, Meeting

RUNNING_ROLES = (Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT)


def _item_scope(user: User, prefix: str = "") -> Q:
    allowed = team_work_scope(user=user, prefix=prefix)
    if user.has_role(Role.SERVICE_MANAGER) and user.agency_id is not None:
        allowed |= Q(**{f"{prefix}escalated_to_agency_id": user.agency_id})
    return allowed


class MeetingPolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not user.is_team_member:
            return queryset.none()
        return queryset.filter(team_id=user.team_id)


class AgendaItemPolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(_item_scope(user))


class ActionPolicy:
    """An action is seen by whoever sees the child's part of the meeting, and by its owner."""

    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if user.has_role(Role.GOVERNANCE):
            return queryset.none()
        return queryset.filter(_item_scope(user, "item__") | Q(owner_id=user.pk))


gate.register(Meeting, MeetingPolicy())
gate.register(AgendaItem, AgendaItemPolicy())
gate.register(Action, ActionPolicy())


def may_run(user: User, team_id: int | None = None) -> bool:
    """Schedules meetings, builds agendas, records what was said and agreed: the team manager and the DS."""
    return user.is_team_member and user.has_role(*RUNNING_ROLES) and (team_id is None or user.team_id == team_id)


def may_close(user: User, meeting: Meeting) -> bool:
    return meeting.chair_id == user.pk and may_run(user, meeting.team_id)


def may_see_full_minutes(user: User, meeting: Meeting) -> bool:
    return user.is_team_member and user.team_id == meeting.team_id


def escalation_manager(user: User, item: AgendaItem) -> bool:
    """A service manager of the agency the item was escalated to: the one whose step the outcome is."""
    return user.has_role(Role.SERVICE_MANAGER) and user.agency_id == item.escalated_to_agency_id


def may_resolve_escalation(user: User, item: AgendaItem) -> bool:
    return item.escalated_at is not None and item.escalation_resolved_at is None and escalation_manager(user, item)


def may_complete_action(user: User, action: Action) -> bool:
    return action.owner_id == user.pk or may_run(user, action.item.team_id)
