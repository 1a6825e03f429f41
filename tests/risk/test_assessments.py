"""Recording, agreeing, reviewing and comparing multi-agency risk assessments (issue 5), against the real database.

Acceptance: changing the catalogue does not change an old assessment's indicators or level; a level cannot be
agreed without a rationale (the service refuses it and so does the database); every assessment is reviewed by the
team manager, and only by the team manager."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from evolve.access import gate
from evolve.accounts.models import Agency, User
from evolve.cases.models import Case
from evolve.cases.services import case_holder_set
from evolve.chronology.models import ChronologyEntry
from evolve.notifications.models import Notification
from evolve.people.models import Child
from risk.models import Answer, CatalogueVersion, Indicator, IndicatorAnswer, RiskAssessment, RiskLevel, Seen
from risk.permissions import may_agree, may_assess, may_review
from risk.scoring import RULE_TEXT, ScreenedAnswer, suggest
from risk.selectors import (
    assessment_answers,
    assessment_compare,
    assessment_latest,
    assessments_awaiting_review,
    assessments_for_child,
    catalogue_current,
)
from risk.services import (
    AnswerInput,
    AssessmentConflict,
    AssessmentRefused,
    assessment_agree,
    assessment_record,
    assessment_review,
    catalogue_draft_from,
    catalogue_publish,
    indicator_add,
    indicator_remove,
    indicator_update,
)
from tests.cases.conftest import crew, decide, health
from tests.meetings.conftest import ra_case
from tests.referrals.conftest import at_stage, people

__all__ = ["at_stage", "crew", "decide", "health", "people", "ra_case"]  # shared fixtures, used here

pytestmark = pytest.mark.django_db

HIGH = "missing-repeatedly"  # high-risk in version 1
OLDER_PARTNER = "older-partner"  # high-risk, sexual exploitation
GIFTS = "unexplained-gifts"
MONEY = "unexplained-money"
PHONES = "multiple-phones"
SELF_HARM = "self-harm"

Assess = Callable[..., RiskAssessment]
AnswersFor = Callable[..., list[AnswerInput]]


def _later(days: int = 42) -> date:
    return timezone.localdate() + timedelta(days=days)


def _row_count() -> tuple[int, int, int]:
    return RiskAssessment.objects.count(), IndicatorAnswer.objects.count(), ChronologyEntry.objects.count()


# The level a screening suggests ------------------------------------------------------------------------------------


def _screened(*pairs: tuple[str, bool], unknown: int = 0) -> list[ScreenedAnswer]:
    answers = [ScreenedAnswer(answer=Answer.PRESENT, seen=seen, is_high_risk=high) for seen, high in pairs]
    answers += [ScreenedAnswer(answer=Answer.UNKNOWN, seen="", is_high_risk=False) for _ in range(unknown)]
    return [*answers, ScreenedAnswer(answer=Answer.NOT_PRESENT, seen="", is_high_risk=True)]


@pytest.mark.parametrize(
    ("present", "level", "score"),
    [
        ([], RiskLevel.NO_APPARENT_RISK, 0),
        ([(Seen.EARLIER, False)], RiskLevel.LOW, 0),
        ([(Seen.CURRENT, False), (Seen.CURRENT, False)], RiskLevel.LOW, 4),
        ([(Seen.CURRENT, False)] * 2 + [(Seen.WITHIN_SIX_MONTHS, False)], RiskLevel.MEDIUM, 5),
        ([(Seen.CURRENT, False)] * 5, RiskLevel.HIGH, 10),
        ([(Seen.WITHIN_SIX_MONTHS, True)], RiskLevel.HIGH, 2),  # a recent high-risk sign on its own
        ([(Seen.CURRENT, True)], RiskLevel.HIGH, 3),
        ([(Seen.EARLIER, True)], RiskLevel.LOW, 1),  # long ago: scored, not high on its own
    ],
)
def test_the_screening_suggests_a_level_by_the_rule_shown_to_practitioners(
    present: list[tuple[str, bool]], level: str, score: int
) -> None:
    suggestion = suggest(_screened(*present, unknown=2), age=15)

    assert (suggestion.level, suggestion.score, suggestion.unknown) == (level, score, 2)
    assert not suggestion.young_child_high_risk
    assert "10 or more suggests high, 5 or more medium" in RULE_TEXT


@pytest.mark.parametrize(
    ("age", "present", "flagged"),
    [
        (13, [(Seen.EARLIER, True)], True),  # however long ago
        (12, [(Seen.CURRENT, True)], True),
        (14, [(Seen.CURRENT, True)], False),
        (13, [(Seen.CURRENT, False)], False),
        (None, [(Seen.CURRENT, True)], False),  # age not known: not flagged by age
    ],
)
def test_a_child_aged_13_or_under_with_a_high_risk_indicator_is_flagged_whatever_the_score(
    age: int | None, present: list[tuple[str, bool]], flagged: bool
) -> None:
    assert suggest(_screened(*present), age=age).young_child_high_risk is flagged


# Recording ---------------------------------------------------------------------------------------------------------


def test_a_team_member_records_an_assessment_of_every_indicator(
    ra_case: Case, crew: dict[str, User], answers_for: AnswersFor, police: Agency
) -> None:
    child = ra_case.child
    answers = answers_for({HIGH: Seen.CURRENT, GIFTS: Seen.EARLIER}, unknown=(PHONES,))

    assessment = assessment_record(
        child=child,
        by=crew["nurse"],
        answers=answers,
        next_review_on=_later(),
        summary="  Screened with the school and police.  ",
        cin_factors=["11A", "10A", "11A"],
    )

    assert assessment.catalogue_version == catalogue_current()
    assert assessment.team == crew["nurse"].team and assessment.recorded_by == crew["nurse"]
    assert (assessment.suggested_level, assessment.score) == (RiskLevel.HIGH, 3)
    assert assessment.assessed_on == timezone.localdate() and assessment.previous is None
    assert assessment.age_at_assessment == child.age_on(timezone.localdate())
    assert assessment.summary == "Screened with the school and police."
    assert assessment.cin_factors == ["11A", "10A"]  # each once, in the order given
    assert assessment.agreed_level == "" and assessment.reviewed_at is None and assessment.level == RiskLevel.HIGH
    stored = {row.indicator.code: row for row in IndicatorAnswer.objects.filter(assessment=assessment)}
    assert len(stored) == Indicator.objects.filter(category__version=catalogue_current()).count()
    assert stored[HIGH].answer == Answer.PRESENT and stored[HIGH].source_agency == police
    assert stored[PHONES].answer == Answer.UNKNOWN and stored[SELF_HARM].answer == Answer.NOT_PRESENT
    entry = ChronologyEntry.objects.get(child_id=child.pk, kind="risk.assessment")
    assert "suggests high risk" in entry.summary
    notified = Notification.objects.filter(subject="A risk assessment is waiting for your review")
    assert {n.user for n in notified} == {crew["tm"]}


def test_a_repeat_assessment_keeps_the_previous_one_as_its_baseline(
    ra_case: Case, crew: dict[str, User], assess: Assess
) -> None:
    first = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.CURRENT})
    second = assess(ra_case.child, crew["officer"], present={GIFTS: Seen.CURRENT, HIGH: Seen.CURRENT})

    assert first.previous is None and second.previous == first
    assert assessments_for_child(user=crew["tm"], child_id=ra_case.child_id) == [second, first]
    assert assessment_latest(user=crew["tm"], child_id=ra_case.child_id) == second


def test_a_child_aged_13_or_under_with_a_high_risk_indicator_present_is_flagged(
    ra_case: Case, crew: dict[str, User], assess: Assess
) -> None:
    today = timezone.localdate()
    Child.objects.filter(pk=ra_case.child_id).update(date_of_birth=today.replace(year=today.year - 13))
    child = Child.objects.get(pk=ra_case.child_id)

    flagged = assess(child, crew["practitioner"], present={OLDER_PARTNER: Seen.EARLIER})

    assert flagged.young_child_high_risk and flagged.age_at_assessment == 13
    assert flagged.suggested_level == RiskLevel.LOW  # the score alone would not say so: hence the flag
    assert "aged 13 or under" in ChronologyEntry.objects.get(kind="risk.assessment").summary


@pytest.mark.parametrize("who", ["case_holder", "governance", "di", "teacher", "spoc"])
def test_only_team_members_record_an_assessment(
    ra_case: Case, crew: dict[str, User], answers_for: AnswersFor, who: str
) -> None:
    if who == "case_holder":  # sees the child, holds the case, but is not in the team
        case_holder_set(case=ra_case, by=crew["tm"], based_on_version=ra_case.version, holder=crew[who])
    before = _row_count()

    assert not may_assess(crew[who])
    with pytest.raises(AssessmentRefused):
        assessment_record(child=ra_case.child, by=crew[who], answers=answers_for(), next_review_on=_later())

    assert _row_count() == before


@pytest.mark.parametrize("who", ["tm", "ds", "practitioner", "nurse", "officer"])
def test_every_team_member_may_record_an_assessment(
    ra_case: Case, crew: dict[str, User], assess: Assess, who: str
) -> None:
    assert may_assess(crew[who])
    assert assess(ra_case.child, crew[who]).recorded_by == crew[who]


def test_a_present_indicator_needs_when_evidence_and_source_and_every_indicator_an_answer(
    ra_case: Case, crew: dict[str, User], answers_for: AnswersFor
) -> None:
    answers = [a for a in answers_for() if a.code != SELF_HARM]
    answers = [AnswerInput(code=HIGH, answer=Answer.PRESENT, evidence="  ") if a.code == HIGH else a for a in answers]
    answers = [AnswerInput(code=GIFTS, answer="maybe") if a.code == GIFTS else a for a in answers]
    before = _row_count()

    with pytest.raises(ValidationError) as refused:
        assessment_record(
            child=ra_case.child,
            by=crew["practitioner"],
            answers=answers,
            next_review_on=None,
            assessed_on=timezone.localdate() + timedelta(days=1),
            cin_factors=["11A", "99Z"],
        )

    errors = refused.value.message_dict
    assert set(errors) == {
        f"seen-{HIGH}",
        f"evidence-{HIGH}",
        f"source-{HIGH}",
        f"answer-{GIFTS}",
        "indicators",
        "cin_factors",
        "assessed_on",
        "next_review_on",
    }
    assert "1 not answered" in errors["indicators"][0]
    assert _row_count() == before


def test_an_indicator_not_in_the_current_catalogue_is_refused(
    ra_case: Case, crew: dict[str, User], answers_for: AnswersFor
) -> None:
    answers = [*answers_for(), AnswerInput(code="not-a-code", answer=Answer.NOT_PRESENT)]

    with pytest.raises(ValidationError) as refused:
        assessment_record(child=ra_case.child, by=crew["practitioner"], answers=answers, next_review_on=_later())

    assert "not-a-code" in refused.value.message_dict["indicators"][0]


@pytest.mark.parametrize("days", [0, -1])
def test_the_next_review_is_after_today(
    ra_case: Case, crew: dict[str, User], answers_for: AnswersFor, days: int
) -> None:
    with pytest.raises(ValidationError) as refused:
        assessment_record(
            child=ra_case.child, by=crew["practitioner"], answers=answers_for(), next_review_on=_later(days)
        )

    assert refused.value.message_dict == {"next_review_on": ["The next review must be after today"]}


# Agreeing the level -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["tm", "ds"])
def test_the_team_manager_or_detective_sergeant_agrees_the_level_with_its_rationale(
    ra_case: Case, crew: dict[str, User], assess: Assess, who: str
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.CURRENT})

    agreed = assessment_agree(
        assessment=assessment,
        by=crew[who],
        level=RiskLevel.MEDIUM,
        rationale=" Older associates seen twice this week. ",
        where="CSE Risk Assessment Meeting",
        based_on_version=assessment.version,
    )

    assert (agreed.agreed_level, agreed.level, agreed.suggested_level) == ("medium", "medium", "low")
    assert agreed.agreed_rationale == "Older associates seen twice this week."
    assert agreed.agreed_by == crew[who] and agreed.agreed_at is not None and agreed.version == 2
    entry = ChronologyEntry.objects.get(kind="risk.agreed")
    assert entry.summary == "Risk level agreed: medium (the screening suggested low)"


@pytest.mark.parametrize("who", ["practitioner", "nurse", "officer", "case_holder", "di", "other_team_member"])
def test_no_one_else_agrees_a_level(ra_case: Case, crew: dict[str, User], assess: Assess, who: str) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])

    assert not may_agree(crew[who], assessment)
    with pytest.raises(AssessmentRefused):
        assessment_agree(assessment=assessment, by=crew[who], level="high", rationale="Because.", where="")

    assessment.refresh_from_db()
    assert assessment.agreed_level == ""


@pytest.mark.parametrize("rationale", ["", "   "])
def test_a_risk_level_cannot_be_agreed_without_a_rationale(
    ra_case: Case, crew: dict[str, User], assess: Assess, rationale: str
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])

    with pytest.raises(ValidationError) as refused:
        assessment_agree(assessment=assessment, by=crew["tm"], level="high", rationale=rationale, where="Meeting")

    assert set(refused.value.message_dict) == {"rationale"}
    # Nor by going round the service: the database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskAssessment.objects.filter(pk=assessment.pk).update(
            agreed_level="high", agreed_rationale="", agreed_at=timezone.now(), agreed_by=crew["tm"]
        )
    assessment.refresh_from_db()
    assert assessment.agreed_level == "" and assessment.version == 1


def test_an_agreed_level_stands_and_only_the_latest_assessment_is_agreed(
    ra_case: Case, crew: dict[str, User], assess: Assess
) -> None:
    first = assess(ra_case.child, crew["practitioner"])
    second = assess(ra_case.child, crew["practitioner"])

    with pytest.raises(AssessmentRefused, match="newer assessment"):
        assessment_agree(assessment=first, by=crew["tm"], level="low", rationale="Because.", where="")
    assessment_agree(assessment=second, by=crew["tm"], level="low", rationale="Because.", where="")
    with pytest.raises(AssessmentRefused, match="already agreed"):
        assessment_agree(assessment=second, by=crew["ds"], level="high", rationale="No.", where="")

    second.refresh_from_db()
    assert second.agreed_level == "low"


def test_agreeing_on_a_stale_page_is_a_conflict(ra_case: Case, crew: dict[str, User], assess: Assess) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    assessment_review(assessment=assessment, by=crew["tm"], comment="Checked.", based_on_version=1)

    with pytest.raises(AssessmentConflict) as conflict:
        assessment_agree(
            assessment=assessment, by=crew["ds"], level="low", rationale="Because.", where="", based_on_version=1
        )

    assert conflict.value.current.version == 2 and conflict.value.current.agreed_level == ""


# The team manager's oversight --------------------------------------------------------------------------------------


def test_the_team_manager_reviews_every_assessment(ra_case: Case, crew: dict[str, User], assess: Assess) -> None:
    first = assess(ra_case.child, crew["practitioner"])
    second = assess(ra_case.child, crew["nurse"])
    assert assessments_awaiting_review(user=crew["tm"]) == [first, second]  # oldest first

    reviewed = assessment_review(
        assessment=first, by=crew["tm"], comment=" Analysis sound; chase the school. ", based_on_version=1
    )

    assert reviewed.reviewed_by == crew["tm"] and reviewed.reviewed_at is not None
    assert reviewed.review_comment == "Analysis sound; chase the school." and reviewed.version == 2
    assert assessments_awaiting_review(user=crew["tm"]) == [second]
    assert ChronologyEntry.objects.filter(kind="risk.reviewed", source_id=first.pk).count() == 1
    with pytest.raises(AssessmentRefused, match="already been reviewed"):
        assessment_review(assessment=first, by=crew["tm"], comment="Again.")


@pytest.mark.parametrize("who", ["ds", "practitioner", "nurse", "officer", "case_holder", "csm", "other_team_member"])
def test_only_the_team_manager_reviews(ra_case: Case, crew: dict[str, User], assess: Assess, who: str) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])

    assert not may_review(crew[who], assessment)
    assert assessments_awaiting_review(user=crew[who]) == []
    with pytest.raises(AssessmentRefused):
        assessment_review(assessment=assessment, by=crew[who], comment="Looks fine.")

    assessment.refresh_from_db()
    assert assessment.reviewed_at is None


def test_a_review_needs_a_comment_and_a_current_page(ra_case: Case, crew: dict[str, User], assess: Assess) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])

    with pytest.raises(ValidationError) as refused:
        assessment_review(assessment=assessment, by=crew["tm"], comment="  ")
    assert set(refused.value.message_dict) == {"comment"}
    with pytest.raises(AssessmentConflict):
        assessment_review(assessment=assessment, by=crew["tm"], comment="Checked.", based_on_version=7)

    assessment.refresh_from_db()
    assert assessment.reviewed_at is None and assessment.version == 1


# What changed -------------------------------------------------------------------------------------------------------


def test_the_comparison_lists_each_changed_indicator_and_the_level(
    ra_case: Case, crew: dict[str, User], assess: Assess
) -> None:
    first = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.CURRENT, MONEY: Seen.CURRENT})
    second = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.WITHIN_SIX_MONTHS, HIGH: Seen.CURRENT})

    assert assessment_compare(assessment=first).previous is None
    comparison = assessment_compare(assessment=second)

    assert comparison.previous == first
    assert (comparison.level_before, comparison.level_after) == (RiskLevel.LOW, RiskLevel.HIGH)
    changed = {change.code: change.what for change in comparison.changes}
    assert changed == {
        HIGH: "Not present → Present",
        GIFTS: "Last seen: Now (current) → Within the last six months",
        MONEY: "Present → Not present",
    }


def test_answers_are_grouped_under_their_categories_in_catalogue_order(
    ra_case: Case, crew: dict[str, User], assess: Assess
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.CURRENT, MONEY: Seen.EARLIER})

    groups = assessment_answers(assessment=assessment)

    assert [group.category.code for group in groups][:3] == ["missing", "education", "relationships"]
    money = next(group for group in groups if group.category.code == "money")
    assert money.present == 2
    assert [a.indicator.code for a in money.answers] == [GIFTS, MONEY, PHONES, "travel-and-food-paid-for"]


# Changing the catalogue (acceptance) -------------------------------------------------------------------------------


def test_changing_the_catalogue_does_not_change_an_old_assessments_indicators_or_level(
    ra_case: Case, crew: dict[str, User], assess: Assess
) -> None:
    version_1 = catalogue_current()
    old = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.CURRENT, PHONES: Seen.CURRENT})
    old_answers = {
        row.indicator.code: (row.indicator_id, row.indicator.text, row.indicator.is_high_risk, row.answer)
        for row in IndicatorAnswer.objects.filter(assessment=old).select_related("indicator")
    }
    assert old.suggested_level == RiskLevel.LOW

    draft = catalogue_draft_from(version=version_1, by_name="Area administrator")
    gifts = Indicator.objects.get(category__version=draft, code=GIFTS)
    indicator_update(
        indicator=gifts, changes={"text": "Has gifts, clothes or jewellery they cannot explain", "is_high_risk": True}
    )
    indicator_remove(indicator=Indicator.objects.get(category__version=draft, code=PHONES))
    indicator_add(
        category=gifts.category,
        code="crypto-wallet",
        text="Has a cryptocurrency wallet or gaming credit they cannot explain",
        guidance="",
        is_high_risk=False,
        applies_to=Indicator.AppliesTo.BOTH,
    )
    version_2 = catalogue_publish(version=draft)

    old.refresh_from_db()
    assert old.catalogue_version == version_1 and old.suggested_level == RiskLevel.LOW and old.score == 4
    assert {
        row.indicator.code: (row.indicator_id, row.indicator.text, row.indicator.is_high_risk, row.answer)
        for row in IndicatorAnswer.objects.filter(assessment=old).select_related("indicator")
    } == old_answers
    assert CatalogueVersion.objects.get(pk=version_1.pk).published_at is not None

    new = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.CURRENT})
    assert catalogue_current() == version_2 and new.catalogue_version == version_2
    codes = set(IndicatorAnswer.objects.filter(assessment=new).values_list("indicator__code", flat=True))
    assert PHONES not in codes and "crypto-wallet" in codes
    assert new.suggested_level == RiskLevel.HIGH  # gifts are high-risk in version 2, not in version 1

    changes = {change.code: change for change in assessment_compare(assessment=new).changes}
    assert changes[PHONES].what == "No longer in the screening tool" and changes[PHONES].after is None
    assert changes["crypto-wallet"].what == "New in this version of the screening tool"
    assert GIFTS not in changes  # same answer, same recency: the wording changed, the answer did not


# Who sees assessments ----------------------------------------------------------------------------------------------


def test_a_case_holder_granted_the_child_sees_its_assessments_and_others_outside_the_team_do_not(
    ra_case: Case, crew: dict[str, User], assess: Assess
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    case_holder_set(case=ra_case, by=crew["tm"], based_on_version=ra_case.version, holder=crew["case_holder"])

    assert assessments_for_child(user=crew["case_holder"], child_id=ra_case.child_id) == [assessment]
    for who in ("governance", "other_team_member", "other_case_holder", "teacher", "di"):
        assert assessments_for_child(user=crew[who], child_id=ra_case.child_id) == [], who


def test_a_team_member_may_not_record_an_assessment_of_a_child_restricted_to_another_agency(
    ra_case: Case, crew: dict[str, User], answers_for: AnswersFor, police: Agency
) -> None:
    Child.objects.filter(pk=ra_case.child_id).update(restricted_to_agency=police)
    child = Child.objects.get(pk=ra_case.child_id)
    assert not gate.can_see(crew["practitioner"], child)  # children's services, not police

    with pytest.raises((AssessmentRefused, Http404)):
        assessment_record(child=child, by=crew["practitioner"], answers=answers_for(), next_review_on=_later())
