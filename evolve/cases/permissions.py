"""Who sees and does what on an Evolve case (DESIGN.md, "Information sharing and access"; seed 000 20-23, 28-34).

- Team members see the cases of their team, except a child whose record is restricted to another agency.
- Anyone else (the case-holding social worker from the wider service, a key individual outside the team) sees a case
  only when the child's record is granted to them, which allocation does through the permission framework.
- A case note restricted to an agency (police intelligence, health clinical notes) is seen by that agency, and by a
  person or agency it was shared with by a recorded entry in the information-sharing ledger.
- Only the team manager and the detective sergeant record the daily review's decision; a disagreement is resolved
  by a service manager of the team manager's or detective sergeant's agency.
- The governance group sees no case.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from evolve.access import gate
from evolve.access.grants import team_work_scope
from evolve.access.sharing import shared_with
from evolve.accounts.models import User
from evolve.accounts.roles import Role
from evolve.cases.models import AgencyCheck, Case, CaseNote, ChildWords, Escalation

NOTE_SOURCE = "case_note"
DECIDING_ROLES = frozenset({Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT})
CASELOAD_ROLES = frozenset({Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT, Role.SERVICE_MANAGER, Role.HEAD_OF_SERVICE})


def _case_scope(user: User, prefix: str = "") -> Q:
    return team_work_scope(user=user, prefix=prefix)


class CasePolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(_case_scope(user))


class CaseNotePolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if user.has_role(Role.GOVERNANCE):
            return queryset.none()
        readable = Q(restricted_to_agency__isnull=True) | Q(
            pk__in=shared_with(user=user, source_type=NOTE_SOURCE).values("source_id")
        )
        if user.agency_id is not None:
            readable |= Q(restricted_to_agency_id=user.agency_id)
        return queryset.filter(_case_scope(user, "case__"), readable)


class ChildWordsPolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(_case_scope(user, "case__"))


class AgencyCheckPolicy:
    """The team that asked, and the person asked to answer (who may be outside the team)."""

    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if user.has_role(Role.GOVERNANCE):
            return queryset.none()
        allowed = Q(owner_id=user.pk)
        if user.is_team_member:
            allowed |= Q(referral__team_id=user.team_id)
        return queryset.filter(allowed)


class EscalationPolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if user.has_role(Role.GOVERNANCE):
            return queryset.none()
        allowed = Q(pk__in=[])
        if user.is_team_member:
            allowed |= Q(referral__team_id=user.team_id)
        if user.has_role(Role.SERVICE_MANAGER) and user.agency_id is not None:
            allowed |= Q(agencies=user.agency_id)
        return queryset.filter(allowed).distinct()


gate.register(Case, CasePolicy())
gate.register(CaseNote, CaseNotePolicy())
gate.register(ChildWords, ChildWordsPolicy())
gate.register(AgencyCheck, AgencyCheckPolicy())
gate.register(Escalation, EscalationPolicy())


def may_decide(user: User) -> bool:
    """Records a view on the daily review's decision: the team manager and the detective sergeant only."""
    return user.is_team_member and user.has_role(*DECIDING_ROLES)


def decision_seat(user: User) -> str:
    return "team_manager" if user.has_role(Role.TEAM_MANAGER) else "detective_sergeant"


def may_manage_case(user: User, case: Case) -> bool:
    """Allocations, the case holder, the key individual, review dates, closure: the team's manager and DS."""
    return may_decide(user) and user.team_id == case.team_id


def may_write_on_case(user: User, case: Case) -> bool:
    """Case notes and the child's words: any team member on the case's team, and the case-holding social worker."""
    return (user.is_team_member and user.team_id == case.team_id) or case.case_holder_id == user.pk


def may_restrict_note(user: User) -> bool:
    return user.agency_id is not None and user.is_team_member


def may_share_note(user: User, note: CaseNote) -> bool:
    """The agency that owns a restricted note decides whether to share it."""
    return note.restricted_to_agency_id is not None and note.restricted_to_agency_id == user.agency_id


def may_answer_check(user: User, check: AgencyCheck) -> bool:
    """The person asked, or a member of the same team from the agency asked."""
    if check.owner_id == user.pk:
        return True
    return user.is_team_member and user.agency_id == check.agency_id and user.team_id == check.referral.team_id


def may_resolve_escalation(user: User, escalation: Escalation) -> bool:
    return user.has_role(Role.SERVICE_MANAGER) and any(
        agency.pk == user.agency_id for agency in escalation.agencies.all()
    )


def may_see_caseloads(user: User) -> bool:
    return user.has_role(*CASELOAD_ROLES)
