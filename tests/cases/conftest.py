"""The Evolve team at work: a referral co-allocated and waiting for the daily review, and the people around it.

`people` (from the referral tests) gives the front door, the team manager ("tm", children's services), the detective
sergeant ("ds", police) and a practitioner; `crew` adds a CSE nurse (health, in the team), a police officer in the
team, service managers of both services, a case-holding social worker and a practitioner of another team."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import Case, DecisionKind
from evolve.cases.services import decision_view_record
from referrals.models import Referral
from tests.factories import AgencyFactory, TeamFactory, UserFactory
from tests.referrals.conftest import at_stage, eager_celery, people

__all__ = ["at_stage", "eager_celery", "people"]  # the referral tests' fixtures, shared here


@pytest.fixture
def health(team: Team) -> Agency:
    agency = AgencyFactory.create(name="Foundation Trust", short_name="Trust", kind=Agency.Kind.HEALTH)
    team.agencies.add(agency)
    return agency


@pytest.fixture
def crew(
    people: dict[str, User], make_user: Callable[..., User], police: Agency, health: Agency, social_care: Agency
) -> dict[str, User]:
    other_team = TeamFactory.create(name="Another team")
    return {
        **people,
        "nurse": make_user(Role.PRACTITIONER, agency=health, in_team=True, username="nurse"),
        "officer": make_user(Role.PRACTITIONER, agency=police, in_team=True, username="officer"),
        "di": make_user(Role.SERVICE_MANAGER, agency=police, username="di", email="di@police.invalid"),
        "csm": make_user(Role.SERVICE_MANAGER, agency=social_care, username="csm"),
        "health_manager": make_user(Role.SERVICE_MANAGER, agency=health, username="clinical-manager"),
        "other_case_holder": make_user(Role.CASE_HOLDING_SOCIAL_WORKER, username="other-case-holder"),
        "other_team_member": UserFactory.create(
            roles=[Role.PRACTITIONER], agency=social_care, team=other_team, username="elsewhere"
        ),
    }


@pytest.fixture
def waiting(at_stage: Callable[[str], Referral]) -> Referral:
    """A referral co-allocated to Evolve, waiting for the daily review."""
    return at_stage("co_allocated")


@pytest.fixture
def decide(crew: dict[str, User]) -> Callable[[Referral, str], Case]:
    """Both the team manager and the detective sergeant record the same decision: the child's case."""

    def both(referral: Referral, kind: str = DecisionKind.RISK_ASSESSMENT_MEETING) -> Case:
        advice = "Talk to the school nurse." if kind in ("early_help_advice", "referrer_advice") else ""
        decision_view_record(referral=referral, by=crew["tm"], kind=kind, rationale="Agreed at review.", advice=advice)
        outcome = decision_view_record(
            referral=referral, by=crew["ds"], kind=kind, rationale="Police agree.", advice=advice
        )
        assert outcome.decision is not None
        return outcome.decision.case  # type: ignore[return-value]

    return both


@pytest.fixture
def soon() -> Callable[..., datetime]:
    def at(hours: int = 24) -> datetime:
        return timezone.now() + timedelta(hours=hours)

    return at
