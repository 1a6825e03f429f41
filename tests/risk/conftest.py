"""Recording risk assessments in tests: every indicator of the current catalogue answered, some present."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.people.models import Child
from risk.models import Answer, Indicator, RiskAssessment
from risk.selectors import catalogue_current
from risk.services import AnswerInput, assessment_record


@pytest.fixture
def answers_for(police: Agency) -> Callable[..., list[AnswerInput]]:
    """Answers to every indicator of the current catalogue: `present` maps codes to when seen; the rest not present
    (or `unknown` codes not known)."""

    def make(present: dict[str, str] | None = None, unknown: tuple[str, ...] = ()) -> list[AnswerInput]:
        present = present or {}
        codes = Indicator.objects.filter(category__version=catalogue_current()).values_list("code", flat=True)
        answers = []
        for code in codes:
            if code in present:
                answers.append(
                    AnswerInput(
                        code=code,
                        answer=Answer.PRESENT,
                        seen=present[code],
                        evidence=f"Seen by the team ({code})",
                        source_agency_id=police.pk,
                    )
                )
            else:
                answers.append(AnswerInput(code=code, answer=Answer.UNKNOWN if code in unknown else Answer.NOT_PRESENT))
        return answers

    return make


@pytest.fixture
def assess(answers_for: Callable[..., list[AnswerInput]]) -> Callable[..., RiskAssessment]:
    """Record an assessment of `child` by `by` with these indicators present."""

    def record(
        child: Child,
        by: User,
        present: dict[str, str] | None = None,
        next_review_on: date | None = None,
        cin_factors: tuple[str, ...] = (),
    ) -> RiskAssessment:
        return assessment_record(
            child=child,
            by=by,
            answers=answers_for(present),
            next_review_on=next_review_on or timezone.localdate() + timedelta(days=42),
            summary="Screened with the school and police.",
            cin_factors=cin_factors,
        )

    return record
