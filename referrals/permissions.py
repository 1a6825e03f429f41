"""Who sees which referral.

- A referrer sees the referrals they wrote (drafts included) and what happened to them, never anyone else's.
- The front door (SPOC, triage, MASH) sees every submitted referral.
- Evolve team members see referrals co-allocated to Evolve.
- The Head of Service sees every referral made with the child's consent dispensed with, to review it.
- The governance group sees none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from evolve.access import gate
from evolve.accounts.models import User
from evolve.accounts.roles import FRONT_DOOR_ROLES, Role
from referrals.models import Referral
from referrals.states import State

EVOLVE_STATES = (State.CO_ALLOCATED, State.DECIDED)


class ReferralPolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if user.has_role(Role.GOVERNANCE):
            return queryset.none()
        allowed = Q(referrer_id=user.pk)
        # A referral about a child whose record is restricted to an agency follows the child's record.
        child_visible = (
            Q(child__isnull=True)
            | Q(child__restricted_to_agency__isnull=True)
            | Q(child__restricted_to_agency_id=user.agency_id)
        )
        if user.has_role(*FRONT_DOOR_ROLES):
            allowed |= ~Q(state=State.DRAFT) & child_visible
        if user.is_team_member:
            allowed |= Q(state__in=EVOLVE_STATES, team_id=user.team_id) & child_visible
        if user.has_role(Role.HEAD_OF_SERVICE):
            # Every referral made without the child's consent is reviewed by the Head of Service.
            allowed |= Q(consent=Referral.Consent.DISPENSED_WITH) & ~Q(state=State.DRAFT) & child_visible
        return queryset.filter(allowed)


gate.register(Referral, ReferralPolicy())

# Who may start each kind of referral: anyone signed in with a role may refer on a MARF (schools, GPs, police,
# charities...) except the governance group; only a social worker already allocated to the child uses the CSE
# Referral Form.
CSE_FORM_ROLES = frozenset({Role.CASE_HOLDING_SOCIAL_WORKER})


def sees_referral_in_full(user: User) -> bool:
    """The front door, the team and the Head of Service see a referral's workings (checks, ratings, reasons); a
    referrer sees what they sent, its status, questions for them and the outcome letter, nothing else."""
    return user.is_team_member or user.has_role(*FRONT_DOOR_ROLES, Role.HEAD_OF_SERVICE)


def may_start_referral(user: User, form: str) -> bool:
    if user.has_role(Role.GOVERNANCE) or not user.roles:
        return False
    if form == Referral.Form.CSE_REFERRAL_FORM:
        return user.has_role(*CSE_FORM_ROLES)
    return True
