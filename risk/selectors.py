"""Reading the screening catalogue and risk assessments. Public: other apps (the referral form, the case, meetings)
import only these and `risk.services`.

The catalogue is reference data, not a child's record, so these reads are neither gated nor audited. A form or an
assessment should hold on to the version it used (a foreign key to `CatalogueVersion`) and read that version's
indicators through `catalogue_indicators`, never "the current ones": a later version may word, add or drop them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from evolve.access import gate
from evolve.accounts.models import User
from evolve.accounts.roles import Role
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from risk.models import Answer, CatalogueVersion, Indicator, IndicatorAnswer, IndicatorCategory, RiskAssessment


class NoPublishedCatalogueError(LookupError):
    """No version of the screening catalogue has been published, so there is nothing to screen against."""


@dataclass(frozen=True)
class IndicatorCategoryWithIndicators:
    """One heading of a screening form and its questions, in order."""

    category: IndicatorCategory
    indicators: tuple[Indicator, ...]

    @property
    def code(self) -> str:
        return self.category.code

    @property
    def name(self) -> str:
        return self.category.name


def catalogue_current() -> CatalogueVersion:
    """The version new referrals and assessments use: the published one with the highest number."""
    version = CatalogueVersion.objects.filter(published_at__isnull=False).order_by("-number").first()
    if version is None:
        raise NoPublishedCatalogueError(
            "No version of the screening catalogue is published. An administrator must publish one "
            "(the default catalogue is loaded by the risk app's migrations)."
        )
    return version


def catalogue_indicators(
    *, version: CatalogueVersion, concern: str | None = None
) -> list[IndicatorCategoryWithIndicators]:
    """A version's indicators grouped under their categories, both in order: what a form renders as grouped
    checkboxes. One query whatever the size of the catalogue. A category with no indicators (only possible in a
    draft) is left out.

    `concern` narrows it to the indicators for sexual (`cse`) or criminal (`cce`) exploitation, each with the
    indicators that apply to both; without it (or with `both`), every indicator."""
    indicators = Indicator.objects.filter(category__version=version).select_related("category")
    if concern in (Indicator.AppliesTo.CSE, Indicator.AppliesTo.CCE):
        indicators = indicators.filter(applies_to__in=[concern, Indicator.AppliesTo.BOTH])
    groups: dict[int, list[Indicator]] = {}
    for indicator in indicators.order_by("category__order", "category_id", "order", "id"):
        groups.setdefault(indicator.category_id, []).append(indicator)
    return [
        IndicatorCategoryWithIndicators(category=members[0].category, indicators=tuple(members))
        for members in groups.values()
    ]


def indicators_by_codes(*, version: CatalogueVersion, codes: Iterable[str]) -> list[Indicator]:
    """The indicators of `version` with these codes, in catalogue order, each with its category. One query.

    A code the version does not have is refused (ValidationError keyed "indicators") rather than dropped: a
    screening that silently lost an answer would understate the risk to the child."""
    if isinstance(codes, str):
        raise TypeError("codes is a collection of indicator codes, not one code")
    wanted = set(codes)
    if not wanted:
        return []
    found = list(
        Indicator.objects.filter(category__version=version, code__in=wanted)
        .select_related("category")
        .order_by("category__order", "category_id", "order", "id")
    )
    missing = wanted - {indicator.code for indicator in found}
    if missing:
        raise ValidationError(
            {"indicators": f"Not in version {version.number} of the screening catalogue: {', '.join(sorted(missing))}"}
        )
    return found


# Risk assessments ---------------------------------------------------------------------------------------------------


def _assessments() -> QuerySet[RiskAssessment]:
    return RiskAssessment.objects.select_related(
        "child", "team", "catalogue_version", "recorded_by__agency", "agreed_by", "reviewed_by", "previous"
    )


def assessment_get_for_user(*, user: User, public_id: uuid.UUID | str) -> RiskAssessment:
    """One assessment, or 404 whether missing or not one the user may see. The read is logged against the child."""
    assessment = gate.get_visible_or_404(user, _assessments(), public_id=public_id)
    record_access(user=user, children=[assessment.child], action=AccessAction.VIEWED, what="risk assessment")
    return assessment


def assessments_for_child(*, user: User, child_id: int) -> list[RiskAssessment]:
    """The child's assessments the user may see, latest first. One query."""
    return list(gate.visible_to(user, _assessments().filter(child_id=child_id)).order_by("-assessed_on", "-id"))


def assessment_latest(*, user: User, child_id: int) -> RiskAssessment | None:
    return gate.visible_to(user, _assessments().filter(child_id=child_id)).order_by("-assessed_on", "-id").first()


def assessments_latest_for_children(*, team_id: int, child_ids: Iterable[int]) -> dict[int, RiskAssessment]:
    """Each child's latest assessment by the team, for a list of children (a meeting's agenda). One query. The
    caller has already checked the user may see the team's work on these children."""
    rows = (
        RiskAssessment.objects.filter(team_id=team_id, child_id__in=list(child_ids))
        .order_by("child_id", "-assessed_on", "-id")
        .distinct("child_id")
    )
    return {row.child_id: row for row in rows}


def assessments_awaiting_review(*, user: User) -> list[RiskAssessment]:
    """The team manager's oversight queue: their team's assessments nobody has reviewed yet, oldest first."""
    if not (user.is_team_member and user.has_role(Role.TEAM_MANAGER)):
        return []
    queryset = _assessments().filter(team=user.team, reviewed_at__isnull=True).order_by("recorded_at", "id")
    rows = list(gate.visible_to(user, queryset))
    record_access(user=user, children=[row.child for row in rows], action=AccessAction.LISTED, what="risk oversight")
    return rows


@dataclass(frozen=True)
class AnswerGroup:
    category: IndicatorCategory
    answers: tuple[IndicatorAnswer, ...]

    @property
    def present(self) -> int:
        return sum(1 for answer in self.answers if answer.answer == Answer.PRESENT)


def assessment_answers(*, assessment: RiskAssessment) -> list[AnswerGroup]:
    """The answers under their categories, in the order of the version the assessment used. One query."""
    rows = (
        IndicatorAnswer.objects.filter(assessment=assessment)
        .select_related("indicator__category", "source_agency")
        .order_by("indicator__category__order", "indicator__category_id", "indicator__order", "indicator_id")
    )
    groups: dict[int, list[IndicatorAnswer]] = {}
    for row in rows:
        groups.setdefault(row.indicator.category_id, []).append(row)
    return [AnswerGroup(category=members[0].indicator.category, answers=tuple(members)) for members in groups.values()]


@dataclass(frozen=True)
class IndicatorChange:
    code: str
    text: str
    before: IndicatorAnswer | None
    after: IndicatorAnswer | None

    @property
    def what(self) -> str:
        if self.before is None:
            return "New in this version of the screening tool"
        if self.after is None:
            return "No longer in the screening tool"
        if self.before.answer != self.after.answer:
            return f"{self.before.get_answer_display()} → {self.after.get_answer_display()}"
        return f"Last seen: {self.before.get_seen_display()} → {self.after.get_seen_display()}"


@dataclass(frozen=True)
class Comparison:
    previous: RiskAssessment | None
    changes: list[IndicatorChange] = field(default_factory=list)
    level_before: str = ""
    level_after: str = ""


def assessment_compare(*, assessment: RiskAssessment) -> Comparison:
    """What changed since the child's previous assessment: each indicator (matched by code, so across versions
    of the tool) whose answer or recency changed, and the level. Two queries."""
    previous = assessment.previous
    if previous is None:
        return Comparison(previous=None)

    def answers_of(row: RiskAssessment) -> dict[str, IndicatorAnswer]:
        found = IndicatorAnswer.objects.filter(assessment=row).select_related("indicator").order_by("indicator_id")
        return {answer.indicator.code: answer for answer in found}

    before, after = answers_of(previous), answers_of(assessment)
    changes = []
    for code in [*after, *(code for code in before if code not in after)]:
        old, new = before.get(code), after.get(code)
        if old and new and (old.answer, old.seen) == (new.answer, new.seen):
            continue
        text = (new or old).indicator.text  # type: ignore[union-attr]
        changes.append(IndicatorChange(code=code, text=text, before=old, after=new))
    return Comparison(previous=previous, changes=changes, level_before=previous.level, level_after=assessment.level)


# Subject access (dataprotection) ------------------------------------------------------------------------------------
# Every risk assessment of one child, as plain data, for the data protection officer's export. Not read through a
# user's gate: the export is the data controller's, and `dataprotection` calls this only after checking the manager
# asking may see the child. An assessment is about one child, so no other child is named here.

from typing import Any  # noqa: E402

from django.db.models import Prefetch  # noqa: E402

from risk.models import CinFactor  # noqa: E402


def _subject_access_who(user: User | None) -> str:
    if user is None:
        return ""
    agency = getattr(user, "agency", None)
    return f"{user.display_name} ({agency.short_name})" if agency else user.display_name


def subject_access_risk_assessments(*, child_id: int) -> list[dict[str, Any]]:
    """The child's assessments, oldest first, each with every answer in the order of the version it used. Two
    queries."""
    answers = IndicatorAnswer.objects.select_related("indicator__category", "source_agency").order_by(
        "indicator__category__order", "indicator__category_id", "indicator__order", "indicator_id"
    )
    assessments = (
        RiskAssessment.objects.filter(child_id=child_id)
        .select_related(
            "team", "catalogue_version", "recorded_by__agency", "agreed_by__agency", "reviewed_by__agency", "previous"
        )
        .prefetch_related(Prefetch("answers", queryset=answers))
        .order_by("assessed_on", "id")
    )
    factors = dict(CinFactor.choices)
    return [
        {
            "id": str(assessment.public_id),
            "team": assessment.team.name,
            "assessed_on": assessment.assessed_on,
            "recorded_at": assessment.recorded_at,
            "recorded_by": _subject_access_who(assessment.recorded_by),
            "screening_catalogue_version": assessment.catalogue_version.number,
            "repeats_assessment": str(assessment.previous.public_id) if assessment.previous else None,
            "summary": assessment.summary,
            "suggested_level": assessment.get_suggested_level_display(),
            "score": assessment.score,
            "age_at_assessment": assessment.age_at_assessment,
            "aged_13_or_under_with_a_high_risk_indicator": assessment.young_child_high_risk,
            "factors_identified": [factors.get(code, code) for code in assessment.cin_factors],
            "next_review_on": assessment.next_review_on,
            "agreed_level": assessment.get_agreed_level_display(),
            "agreed_rationale": assessment.agreed_rationale,
            "agreed_at": assessment.agreed_at,
            "agreed_by": _subject_access_who(assessment.agreed_by),
            "agreed_where": assessment.agreed_where,
            "reviewed_at": assessment.reviewed_at,
            "reviewed_by": _subject_access_who(assessment.reviewed_by),
            "review_comment": assessment.review_comment,
            "answers": [
                {
                    "category": answer.indicator.category.name,
                    "indicator": answer.indicator.text,
                    "answer": answer.get_answer_display(),
                    "last_seen": answer.get_seen_display(),
                    "evidence": answer.evidence,
                    "source_agency": answer.source_agency.name if answer.source_agency else "",
                }
                for answer in assessment.answers.all()
            ],
        }
        for assessment in assessments
    ]
