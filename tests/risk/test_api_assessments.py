"""The risk assessment API: the screening catalogue, recording and reading a child's assessments, and the team
manager's oversight, with the same roles, refusals and access log as the pages, in the OpenAPI schema."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import User
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.cases.models import Case
from evolve.cases.services import case_holder_set
from risk.models import Indicator, RiskAssessment
from risk.selectors import catalogue_current
from risk.services import AnswerInput
from tests.meetings.conftest import (
    at_stage,
    crew,
    decide,
    eager_celery,
    health,
    people,
    ra_case,
)

# The fixtures these tests share with the case and meeting tests.
__all__ = ["at_stage", "crew", "decide", "eager_celery", "health", "people", "ra_case"]

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
Crew = dict[str, User]
Assess = Callable[..., RiskAssessment]
Answers = Callable[..., list[AnswerInput]]
STALE = uuid.UUID("00000000-0000-0000-0000-00000000dead")
HIGH_SIGNS = {"missing-repeatedly": "current"}


def _answers(answers: list[AnswerInput]) -> list[dict[str, Any]]:
    return [
        {
            "code": a.code,
            "answer": a.answer,
            "seen": a.seen,
            "evidence": a.evidence,
            "source_agency": "PPU" if a.source_agency_id else "",
        }
        for a in answers
    ]


def _body(case: Case, answers: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "child": str(case.child.public_id),
        "next_review_on": (timezone.localdate() + timedelta(days=42)).isoformat(),
        "summary": "Missing three times this month; seen with older men.",
        "cin_factors": ["10A", "11A"],
        "answers": answers,
        **fields,
    }


def _record(client: Client, body: dict[str, Any]) -> Any:
    return client.post(reverse("api-risk-assessment-list"), body, content_type="application/json")


def _list(client: Client, case: Case) -> Any:
    return client.get(reverse("api-risk-assessment-list"), {"child": str(case.child.public_id)})


def _detail(client: Client, assessment: RiskAssessment) -> Any:
    return client.get(reverse("api-risk-assessment-detail", args=[assessment.public_id]))


def _review(client: Client, assessment: RiskAssessment, **body: Any) -> Any:
    return client.post(
        reverse("api-risk-assessment-review", args=[assessment.public_id]), body, content_type="application/json"
    )


def _hold(case: Case, crew: Crew) -> None:
    """The case-holding social worker from the wider service is named: they are granted the child."""
    case_holder_set(case=case, by=crew["tm"], based_on_version=case.version, holder=crew["case_holder"])


# The catalogue ------------------------------------------------------------------------------------------------------


def test_the_catalogue_is_the_current_published_version_in_order(sign_in: SignIn, crew: Crew) -> None:
    response = sign_in(crew["practitioner"]).get(reverse("api-risk-catalogue"))
    assert response.status_code == 200
    body = response.json()
    version = catalogue_current()
    assert body["number"] == version.number and body["rule"]
    indicators = [i for category in body["categories"] for i in category["indicators"]]
    assert len(indicators) == Indicator.objects.filter(category__version=version).count()
    [repeated] = [i for i in indicators if i["code"] == "missing-repeatedly"]
    assert repeated["is_high_risk"] is True and repeated["applies_to"] == "both"
    assert repeated["text"] and repeated["guidance"]
    assert body["categories"][0]["code"] == "missing"

    narrowed = sign_in(crew["practitioner"]).get(reverse("api-risk-catalogue"), {"concern": "cse"}).json()
    applies = {i["applies_to"] for category in narrowed["categories"] for i in category["indicators"]}
    assert "cce" not in applies


def test_a_stranger_is_refused_the_risk_endpoints(client: Client, ra_case: Case) -> None:
    assert client.get(reverse("api-risk-catalogue")).status_code in (401, 403)
    assert _list(client, ra_case).status_code in (401, 403)
    assert client.get(reverse("api-risk-oversight")).status_code in (401, 403)
    assert _record(client, {"child": str(ra_case.child.public_id)}).status_code in (401, 403)
    assert not RiskAssessment.objects.exists()


# Recording ----------------------------------------------------------------------------------------------------------


def test_a_team_member_records_an_assessment_and_reads_it_back(
    sign_in: SignIn, crew: Crew, ra_case: Case, answers_for: Answers
) -> None:
    client = sign_in(crew["nurse"])
    response = _record(client, _body(ra_case, _answers(answers_for(HIGH_SIGNS))))
    assert response.status_code == 201, response.json()
    body = response.json()
    assessment = RiskAssessment.objects.get(child=ra_case.child)
    assert body["id"] == str(assessment.public_id)
    assert body["child"] == str(ra_case.child.public_id)
    assert body["suggested_level"] == "high" and body["level"] == "high"
    assert body["agreed_level"] is None and body["agreed"] is None and body["review"] is None
    assert body["recorded_by"] == "nurse" and body["version"] == 1
    assert body["catalogue_version"] == catalogue_current().number
    assert body["cin_factors"] == [
        {"code": "10A", "label": "10A Going or being missing"},
        {"code": "11A", "label": "11A Child sexual exploitation"},
    ]
    assert body["changes_since_previous"] is None, "the child's first assessment"
    answers = {a["code"]: a for group in body["answers"] for a in group["answers"]}
    assert len(answers) == Indicator.objects.filter(category__version=catalogue_current()).count()
    present = answers["missing-repeatedly"]
    assert (present["answer"], present["seen"], present["source_agency"]) == ("present", "current", "PPU")
    assert present["evidence"] and present["text"]
    assert answers["returns-unexplained"]["answer"] == "not_present" and answers["returns-unexplained"]["seen"] is None
    assert body["answers"][0]["present"] == 1
    assert "pk" not in body

    listed = _list(sign_in(crew["tm"]), ra_case)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [str(assessment.public_id)]
    assert AccessLogEntry.objects.filter(
        user=crew["tm"], child=ra_case.child, action=AccessAction.LISTED, what="risk assessments (API)"
    ).exists()


def test_a_repeat_assessment_says_what_changed_and_the_list_is_latest_first(
    sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess
) -> None:
    first = assess(ra_case.child, crew["practitioner"])
    second = assess(ra_case.child, crew["practitioner"], present=HIGH_SIGNS)
    client = sign_in(crew["ds"])
    changes = _detail(client, second).json()["changes_since_previous"]
    assert changes["previous"] == str(first.public_id)
    assert (changes["level_before"], changes["level_after"]) == ("no_apparent_risk", "high")
    [change] = changes["changes"]
    assert change["code"] == "missing-repeatedly"
    assert change["before"]["answer"] == "not_present" and change["after"]["answer"] == "present"
    assert change["what"] == "Not present → Present"
    assert [row["id"] for row in _list(client, ra_case).json()["results"]] == [
        str(second.public_id),
        str(first.public_id),
    ]
    assert AccessLogEntry.objects.filter(user=crew["ds"], child=ra_case.child, action=AccessAction.VIEWED).exists()


def test_bad_input_is_a_400_keyed_by_field_and_records_nothing(
    sign_in: SignIn, crew: Crew, ra_case: Case, answers_for: Answers
) -> None:
    client = sign_in(crew["practitioner"])
    answers = _answers(answers_for(HIGH_SIGNS))

    no_evidence = [dict(a, evidence="") if a["code"] == "missing-repeatedly" else a for a in answers]
    response = _record(client, _body(ra_case, no_evidence))
    assert response.status_code == 400
    assert response.json()["answers.missing-repeatedly.evidence"] == [
        "Give the evidence: what was seen or heard, and by whom"
    ]

    no_source = [dict(a, source_agency="") if a["code"] == "missing-repeatedly" else a for a in answers]
    assert "answers.missing-repeatedly.source_agency" in _record(client, _body(ra_case, no_source)).json()

    unknown_agency = [dict(a, source_agency="Nowhere") if a["code"] == "missing-repeatedly" else a for a in answers]
    response = _record(client, _body(ra_case, unknown_agency))
    assert response.status_code == 400 and "answers.missing-repeatedly.source_agency" in response.json()

    response = _record(client, _body(ra_case, answers[1:]))
    assert response.status_code == 400 and "Answer every indicator" in response.json()["answers"][0]

    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = _record(client, _body(ra_case, answers, next_review_on=past))
    assert response.status_code == 400 and response.json()["next_review_on"] == ["The next review must be after today"]

    response = _record(client, _body(ra_case, answers, cin_factors=["99Z"]))
    assert response.status_code == 400 and "cin_factors" in response.json()

    response = _record(client, _body(ra_case, answers, child=str(STALE)))
    assert response.status_code == 400 and "child" in response.json()

    assert not RiskAssessment.objects.exists()


@pytest.mark.parametrize("who", ["case_holder", "governance", "di", "other_case_holder", "teacher", "head_of_service"])
def test_only_members_of_the_team_record_an_assessment(
    sign_in: SignIn, crew: Crew, ra_case: Case, answers_for: Answers, who: str
) -> None:
    _hold(ra_case, crew)
    response = _record(sign_in(crew[who]), _body(ra_case, _answers(answers_for())))
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not RiskAssessment.objects.exists()


def test_another_teams_member_cannot_assess_a_child_they_may_not_see(
    sign_in: SignIn, crew: Crew, ra_case: Case, answers_for: Answers
) -> None:
    response = _record(sign_in(crew["other_team_member"]), _body(ra_case, _answers(answers_for())))
    assert response.status_code == 400 and "child" in response.json()
    assert not RiskAssessment.objects.exists()


# Who sees them ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["tm", "ds", "practitioner", "nurse", "officer", "case_holder"])
def test_the_team_and_the_case_holder_see_the_assessment(
    sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess, who: str
) -> None:
    _hold(ra_case, crew)
    assessment = assess(ra_case.child, crew["practitioner"])
    client = sign_in(crew[who])
    assert _detail(client, assessment).status_code == 200
    assert [row["id"] for row in _list(client, ra_case).json()["results"]] == [str(assessment.public_id)]


@pytest.mark.parametrize("who", ["governance", "other_team_member", "other_case_holder", "di", "csm", "teacher"])
def test_nobody_else_sees_the_assessment(sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess, who: str) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    client = sign_in(crew[who])
    missing = _detail(client, assessment)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No such record, or not one you may see."
    listed = _list(client, ra_case)
    assert listed.status_code == 404 or listed.json()["results"] == []
    assert client.get(reverse("api-risk-oversight")).status_code == 403
    assert not AccessLogEntry.objects.filter(user=crew[who], child=ra_case.child).exists()


def test_a_missing_assessment_or_child_is_a_404_and_a_list_needs_a_child(sign_in: SignIn, crew: Crew) -> None:
    client = sign_in(crew["tm"])
    assert client.get(reverse("api-risk-assessment-detail", args=[STALE])).status_code == 404
    assert client.get(reverse("api-risk-assessment-list"), {"child": str(STALE)}).status_code == 404
    assert client.get(reverse("api-risk-assessment-list")).json() == {"child": ["Give the child's public id."]}


# Oversight ----------------------------------------------------------------------------------------------------------


def test_the_team_manager_reviews_an_assessment_once(
    sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    client = sign_in(crew["tm"])
    waiting = client.get(reverse("api-risk-oversight"))
    assert waiting.status_code == 200
    assert [row["id"] for row in waiting.json()] == [str(assessment.public_id)]

    response = _review(client, assessment, comment="Checked the police missing records.", version=1)
    assert response.status_code == 200
    review = response.json()["review"]
    assert review["reviewed_by"] == "tm" and review["comment"] == "Checked the police missing records."
    assert review["reviewed_at"] and response.json()["version"] == 2
    assert client.get(reverse("api-risk-oversight")).json() == []

    again = _review(client, assessment, comment="Again.", version=2)
    assert again.status_code == 409 and "already been reviewed" in again.json()["detail"]
    unversioned = _review(client, assessment, comment="Again, without saying what I saw.")
    assert unversioned.status_code == 400 and "version" in unversioned.json()
    assessment.refresh_from_db()
    assert assessment.review_comment == "Checked the police missing records." and assessment.version == 2


def test_a_review_without_a_comment_or_on_a_stale_version_changes_nothing(
    sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    client = sign_in(crew["tm"])
    blank = _review(client, assessment, comment="  ", version=1)
    assert blank.status_code == 400 and "comment" in blank.json()
    stale = _review(client, assessment, comment="Checked.", version=7)
    assert stale.status_code == 409 and stale.json()["version"] == 1
    assessment.refresh_from_db()
    assert assessment.reviewed_at is None and assessment.version == 1


@pytest.mark.parametrize("who", ["ds", "practitioner", "nurse", "case_holder"])
def test_only_the_team_manager_reviews(sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess, who: str) -> None:
    _hold(ra_case, crew)
    assessment = assess(ra_case.child, crew["practitioner"])
    client = sign_in(crew[who])
    assert _review(client, assessment, comment="Looks fine.").status_code == 403
    assert client.get(reverse("api-risk-oversight")).status_code == 403
    assessment.refresh_from_db()
    assert assessment.reviewed_at is None and assessment.version == 1


@pytest.mark.parametrize("who", ["governance", "other_team_member"])
def test_a_review_of_an_assessment_you_may_not_see_is_a_404(
    sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess, who: str
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    assert _review(sign_in(crew[who]), assessment, comment="Looks fine.").status_code == 404
    assessment.refresh_from_db()
    assert assessment.reviewed_at is None


# Cost and schema ----------------------------------------------------------------------------------------------------


def _queries(client: Client, read: Callable[[Client], Any]) -> int:
    with CaptureQueriesContext(connection) as context:
        assert read(client).status_code == 200
    return len(context.captured_queries)


def test_the_assessment_list_costs_the_same_for_one_assessment_or_three(
    sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess
) -> None:
    assess(ra_case.child, crew["practitioner"])
    client = sign_in(crew["tm"])
    one = _queries(client, lambda c: _list(c, ra_case))
    assess(ra_case.child, crew["nurse"], present=HIGH_SIGNS)
    assess(ra_case.child, crew["officer"])
    three = _queries(client, lambda c: _list(c, ra_case))
    assert three == one
    assert len(_list(client, ra_case).json()["results"]) == 3


def test_the_assessment_detail_and_oversight_cost_a_fixed_number_of_queries(
    sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess, django_assert_max_num_queries: Any
) -> None:
    assess(ra_case.child, crew["practitioner"])
    latest = assess(ra_case.child, crew["nurse"], present=HIGH_SIGNS)
    client = sign_in(crew["tm"])
    with django_assert_max_num_queries(12):
        assert _detail(client, latest).status_code == 200
    one = _queries(client, lambda c: c.get(reverse("api-risk-oversight")))
    assess(ra_case.child, crew["officer"])
    assert _queries(client, lambda c: c.get(reverse("api-risk-oversight"))) == one


def test_the_risk_endpoints_are_in_the_openapi_schema(sign_in: SignIn, crew: Crew) -> None:
    schema = sign_in(crew["tm"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/risk/catalogue/",
        "/api/risk/assessments/",
        "/api/risk/assessments/{public_id}/",
        "/api/risk/assessments/{public_id}/review/",
        "/api/risk/oversight/",
    ):
        assert path in schema["paths"], path
    record = schema["paths"]["/api/risk/assessments/"]["post"]
    assert {"201", "400", "403", "409"} <= set(record["responses"])
    review = schema["paths"]["/api/risk/assessments/{public_id}/review/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(review["responses"])
    assert schema["components"]["schemas"]["IndicatorAnswerEnum"]["enum"] == ["present", "not_present", "unknown"]
