"""Who sees and does what with a risk assessment (DESIGN.md, "Risk assessment"; seed 003).

- An assessment is the team's work about a child: the team sees it (unless the child's record is restricted to
  another agency), and so does anyone granted the child's record (allocated, holding the case). Governance: none.
- Any member of the team records one; the team manager and the detective sergeant, who chair the meetings, agree
  its level; the team manager reviews every assessment (oversight recorded).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from evolve.access import gate
from evolve.access.grants import team_work_scope
from evolve.accounts.models import User
from evolve.accounts.roles import Role
from risk.models import RiskAssessment


class RiskAssessmentPolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(team_work_scope(user=user))


gate.register(RiskAssessment, RiskAssessmentPolicy())


def may_assess(user: User) -> bool:
    return user.is_team_member


def may_agree(user: User, assessment: RiskAssessment) -> bool:
    return (
        user.is_team_member
        and user.team_id == assessment.team_id
        and user.has_role(Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT)
    )


def may_review(user: User, assessment: RiskAssessment) -> bool:
    return user.is_team_member and user.team_id == assessment.team_id and user.has_role(Role.TEAM_MANAGER)
