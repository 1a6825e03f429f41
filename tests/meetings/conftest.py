"""A team with children on the three lists of the weekly meeting's agenda, and a risk assessment to agree.

`crew` (from the case tests) gives the team manager ("tm", children's services), the detective sergeant ("ds",
police), practitioners in the team ("sw", "nurse", "officer"), service managers, a case holder outside the team."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from evolve.accounts.models import User
from evolve.cases.models import Case, DecisionKind
from meetings.models import Meeting
from meetings.services import meeting_schedule
from referrals.models import Referral
from tests.cases.conftest import crew, decide, health, soon, waiting
from tests.referrals.conftest import at_stage, eager_celery, people
from tests.risk.conftest import answers_for, assess

__all__ = [
    "answers_for",
    "assess",
    "at_stage",
    "crew",
    "decide",
    "eager_celery",
    "health",
    "people",
    "soon",
    "waiting",
]


@pytest.fixture
def ra_case(at_stage: Callable[[str], Referral], decide: Callable[[Referral, str], Case]) -> Case:
    """A child the daily review referred to the risk-assessment meeting (list 1)."""
    return decide(at_stage("co_allocated"), DecisionKind.RISK_ASSESSMENT_MEETING)


@pytest.fixture
def weekly(crew: dict[str, User]) -> Callable[..., Meeting]:
    """Schedule the team's weekly meeting (by the team manager, tomorrow unless told)."""

    def schedule(by: User | None = None, days: int = 1) -> Meeting:
        return meeting_schedule(
            by=by or crew["tm"], starts_at=timezone.now() + timedelta(days=days), place="Riverside House"
        )

    return schedule
