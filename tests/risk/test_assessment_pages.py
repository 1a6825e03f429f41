"""The risk assessment pages: a child's assessments, recording one, one assessment and what changed, and the team
manager's oversight. Every role, allowed and refused; refused saves change nothing and keep what was typed; the
pages cost the same number of queries whatever the number of answers or assessments."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from evolve.accounts.models import Agency, User
from evolve.audit.models import AccessLogEntry
from evolve.cases.models import Case
from evolve.cases.services import case_holder_set
from evolve.people.models import Child
from risk.forms import AssessmentForm
from risk.models import Answer, Indicator, IndicatorAnswer, RiskAssessment, RiskLevel, Seen
from risk.scoring import RULE_TEXT
from risk.selectors import catalogue_current
from risk.services import (
    assessment_agree,
    assessment_review,
    catalogue_draft_from,
    catalogue_publish,
    indicator_add,
)
from tests.cases.conftest import crew, decide, health
from tests.conftest import kept_text
from tests.meetings.conftest import ra_case
from tests.referrals.conftest import at_stage, people

__all__ = ["at_stage", "crew", "decide", "health", "people", "ra_case"]  # shared fixtures, used here

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
Assess = Callable[..., RiskAssessment]
HIGH = "missing-repeatedly"
GIFTS = "unexplained-gifts"
PHONES = "multiple-phones"
TEAM = ("tm", "ds", "practitioner", "nurse", "officer")


def _codes() -> list[str]:
    return list(Indicator.objects.filter(category__version=catalogue_current()).values_list("code", flat=True))


def _date(name: str, value: date) -> dict[str, str]:
    return {f"{name}_0": str(value.day), f"{name}_1": str(value.month), f"{name}_2": str(value.year)}


def _posted(present: dict[str, dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    """A filled-in form: every indicator not present except `present` (code -> its details)."""
    data: dict[str, Any] = {f"answer-{code}": Answer.NOT_PRESENT for code in _codes()}
    for code, details in (present or {}).items():
        data[f"answer-{code}"] = Answer.PRESENT
        data.update({f"{field}-{code}": value for field, value in details.items()})
    data.update(_date("assessed_on", timezone.localdate()))
    data.update(_date("next_review_on", timezone.localdate() + timedelta(days=42)))
    data["summary"] = "Seen with older men in cars; school worried."
    data.update(extra)
    return data


def _grant_case_holder(ra_case: Case, crew: dict[str, User]) -> None:
    case_holder_set(case=ra_case, by=crew["tm"], based_on_version=ra_case.version, holder=crew["case_holder"])


def _text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


# A child's assessments ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", TEAM)
def test_team_members_see_the_childs_assessments_and_may_record_one(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn, who: str
) -> None:
    first = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.CURRENT})
    second = assess(ra_case.child, crew["nurse"], present={HIGH: Seen.CURRENT})
    assessment_agree(assessment=second, by=crew["ds"], level="high", rationale="Agreed.", where="Meeting")
    assessment_review(assessment=first, by=crew["tm"], comment="Fine.")

    response = sign_in(crew[who]).get(reverse("risk:child-assessments", args=[ra_case.child.public_id]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Record a risk assessment" in html and reverse("risk:assessment-new", args=[ra_case.child.public_id]) in html
    rows = html.split('data-testid="assessment-row"')[1:]
    assert len(rows) == 2
    assert reverse("risk:assessment-detail", args=[second.public_id]) in rows[0]  # latest first
    assert "High" in rows[0] and "Awaiting review" in rows[0] and "Not yet agreed" not in rows[0]
    assert "Low" in rows[1] and "Not yet agreed" in rows[1] and "Reviewed by" in rows[1]
    assert "Review overdue" not in html
    assert AccessLogEntry.objects.filter(user=crew[who], child=ra_case.child, what="risk assessments").exists()


def test_a_case_holder_granted_the_child_sees_the_assessments_but_may_not_record(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    _grant_case_holder(ra_case, crew)
    client = sign_in(crew["case_holder"])

    listing = client.get(reverse("risk:child-assessments", args=[ra_case.child.public_id]))
    detail = client.get(reverse("risk:assessment-detail", args=[assessment.public_id]))
    form = client.get(reverse("risk:assessment-new", args=[ra_case.child.public_id]))
    before = RiskAssessment.objects.count()
    post = client.post(reverse("risk:assessment-new", args=[ra_case.child.public_id]), _posted())

    assert listing.status_code == 200 and b"Record a risk assessment" not in listing.content
    assert detail.status_code == 200 and b'data-testid="review-form"' not in detail.content
    assert form.status_code == 403 and post.status_code == 403
    assert RiskAssessment.objects.count() == before


@pytest.mark.parametrize("who", ["governance", "other_team_member", "other_case_holder", "teacher", "csm"])
def test_people_outside_the_team_without_a_grant_get_not_found(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn, who: str
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    client = sign_in(crew[who])
    before = RiskAssessment.objects.count()

    for url in (
        reverse("risk:child-assessments", args=[ra_case.child.public_id]),
        reverse("risk:assessment-new", args=[ra_case.child.public_id]),
        reverse("risk:assessment-detail", args=[assessment.public_id]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("risk:assessment-new", args=[ra_case.child.public_id]), _posted()).status_code == 404
    review = client.post(reverse("risk:assessment-review", args=[assessment.public_id]), {"comment": "x", "version": 1})
    assert review.status_code == 404
    assert RiskAssessment.objects.count() == before


def test_a_child_with_no_assessment_says_so(ra_case: Case, crew: dict[str, User], sign_in: SignIn) -> None:
    response = sign_in(crew["practitioner"]).get(reverse("risk:child-assessments", args=[ra_case.child.public_id]))

    assert b'data-testid="no-assessments"' in response.content


def test_the_latest_assessment_past_its_review_date_is_overdue(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    old = assess(ra_case.child, crew["practitioner"])
    latest = assess(ra_case.child, crew["practitioner"])
    yesterday = timezone.localdate() - timedelta(days=1)
    RiskAssessment.objects.filter(pk__in=[old.pk, latest.pk]).update(next_review_on=yesterday)
    client = sign_in(crew["practitioner"])

    listing = client.get(reverse("risk:child-assessments", args=[ra_case.child.public_id])).content.decode()
    rows = listing.split('data-testid="assessment-row"')[1:]
    assert "Review overdue" in rows[0] and "Review overdue" not in rows[1]
    assert b"Review overdue" in client.get(reverse("risk:assessment-detail", args=[latest.public_id])).content
    assert b"Review overdue" not in client.get(reverse("risk:assessment-detail", args=[old.public_id])).content


# Recording one ------------------------------------------------------------------------------------------------------


def test_the_form_asks_every_indicator_under_its_category_with_not_known_chosen(
    ra_case: Case, crew: dict[str, User], sign_in: SignIn, police: Agency, school: Agency
) -> None:
    response = sign_in(crew["officer"]).get(reverse("risk:assessment-new", args=[ra_case.child.public_id]))

    assert response.status_code == 200
    html = response.content.decode()
    codes = _codes()
    assert html.count('data-testid="indicator"') == len(codes)
    assert html.count("<legend") >= len(codes) * 2  # each indicator, and when it was last seen
    for code in codes:
        assert f'id="id_answer-{code}_2" name="answer-{code}" type="radio" value="unknown" checked' in html, code
        assert f'<textarea class="govuk-textarea" id="id_evidence-{code}" name="evidence-{code}"' in html
        assert f'<label class="govuk-label" for="id_source-{code}">Source agency</label>' in html
    # Each indicator's details for "present" are in a closed details element (none present yet); no ARIA on radios.
    assert html.count('<details class="govuk-details govuk-!-margin-top-3 govuk-!-margin-bottom-0">') == len(codes)
    assert "aria-controls" not in html.split("<main", 1)[1]
    high = Indicator.objects.filter(category__version=catalogue_current(), is_high_risk=True).count()
    assert html.count('data-testid="high-risk"') == high
    first = Indicator.objects.filter(category__version=catalogue_current()).order_by("category__order", "order")[0]
    assert f'<div id="id_answer-{first.code}-hint" class="govuk-hint">{first.guidance}</div>' in html
    assert '<h2 class="govuk-heading-m govuk-!-margin-top-8" id="category-missing">Missing and absence</h2>' in html
    assert '<optgroup label="Agencies in the team">' in html and '<optgroup label="Other agencies">' in html
    assert html.index(police.name) < html.index("Other agencies") < html.index(school.name)
    assert 'name="cin_factors" type="checkbox" value="11A"' in html
    today = timezone.localdate()
    assert f'name="assessed_on_2" type="text" inputmode="numeric" value="{today.year}"' in html
    assert "<script>" not in html and " style=" not in html


def test_a_team_member_records_an_assessment_and_sees_it(
    ra_case: Case, crew: dict[str, User], sign_in: SignIn, police: Agency
) -> None:
    client = sign_in(crew["nurse"])
    details = {"seen": Seen.CURRENT, "evidence": "Police found her in a car at 2am.", "source": str(police.pk)}
    data = _posted({HIGH: details}, cin_factors=["11A", "10A"])
    # Details left under an answer changed to "not present" were hidden from the user: they are not an answer.
    data.update({f"evidence-{GIFTS}": "typed, then changed my mind", f"seen-{GIFTS}": Seen.CURRENT})

    response = client.post(reverse("risk:assessment-new", args=[ra_case.child.public_id]), data)

    assessment = RiskAssessment.objects.get(child=ra_case.child)
    assert response.status_code == 302
    assert response["Location"] == reverse("risk:assessment-detail", args=[assessment.public_id])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Risk assessment recorded: the screening suggests high risk"
    ]
    assert assessment.recorded_by == crew["nurse"] and assessment.cin_factors == ["11A", "10A"]
    assert assessment.summary == "Seen with older men in cars; school worried."
    present = IndicatorAnswer.objects.get(assessment=assessment, indicator__code=HIGH)
    assert (present.seen, present.evidence, present.source_agency) == (Seen.CURRENT, details["evidence"], police)
    gifts = IndicatorAnswer.objects.get(assessment=assessment, indicator__code=GIFTS)
    assert (gifts.answer, gifts.seen, gifts.evidence) == (Answer.NOT_PRESENT, "", "")
    page = client.get(response["Location"])
    assert b"Risk assessment recorded: the screening suggests high risk" in page.content
    assert b"Police found her in a car at 2am." in page.content


def test_a_refused_save_shows_each_error_by_its_field_and_keeps_what_was_typed(
    ra_case: Case, crew: dict[str, User], sign_in: SignIn
) -> None:
    data = _posted(
        {HIGH: {"evidence": "Seen at the hotel with two men <b>twice</b>", "seen": Seen.WITHIN_SIX_MONTHS}},
        summary="My careful analysis, which must not be lost.",
        cin_factors=["11A"],
    )
    del data[f"answer-{PHONES}"]  # not answered
    data.update(_date("next_review_on", timezone.localdate()))

    response = sign_in(crew["practitioner"]).post(reverse("risk:assessment-new", args=[ra_case.child.public_id]), data)

    assert response.status_code == 400 and not RiskAssessment.objects.exists()
    html = response.content.decode()
    assert "(error) - " in html and 'class="govuk-error-summary"' in html
    high, phones = (Indicator.objects.get(category__version=catalogue_current(), code=c).text for c in (HIGH, PHONES))
    for href, message in [
        (f"#id_source-{HIGH}", f"{high}: choose the agency the information came from"),
        (f"#id_answer-{PHONES}_0", f"{phones}: say whether this is present, not present or not known"),
        ("#id_next_review_on_0", "The next review must be after today"),
    ]:
        assert f'<a href="{href}">{escape(message)}</a>' in html
    assert f'<p id="id_source-{HIGH}-error" class="govuk-error-message">' in html
    assert "Choose the agency the information came from</p>" in html  # beside the field, as the service said it
    assert f'<p id="id_answer-{PHONES}-error" class="govuk-error-message">' in html
    # What was typed is all there: the evidence (escaped), when seen, the analysis, the factor, the other answers.
    assert "Seen at the hotel with two men &lt;b&gt;twice&lt;/b&gt;</textarea>" in html
    assert f'name="seen-{HIGH}" type="radio" value="six_months" checked' in html
    assert f'name="answer-{HIGH}" type="radio" value="present" checked>' in html
    # Its details are open again, with the error beside the field; the others' stay closed.
    assert html.count('<details class="govuk-details govuk-!-margin-top-3 govuk-!-margin-bottom-0" open>') == 1
    assert "My careful analysis, which must not be lost.</textarea>" in html
    assert 'value="11A" checked' in html
    assert f'name="answer-{GIFTS}" type="radio" value="not_present" checked' in html
    assert f'name="answer-{PHONES}" type="radio" value="unknown" checked' not in html  # left unanswered, as posted


def test_a_malformed_date_is_refused_by_the_form_and_nothing_is_saved(
    ra_case: Case, crew: dict[str, User], sign_in: SignIn
) -> None:
    data = _posted(assessed_on_0="31", assessed_on_1="2", summary="Kept")

    response = sign_in(crew["practitioner"]).post(reverse("risk:assessment-new", args=[ra_case.child.public_id]), data)

    assert response.status_code == 400 and not RiskAssessment.objects.exists()
    assert b'<a href="#id_assessed_on_0">Date of the assessment must be a real date</a>' in response.content
    assert b"Kept</textarea>" in response.content


# One assessment -----------------------------------------------------------------------------------------------------


def test_the_assessment_page_shows_the_suggestion_the_answers_and_what_is_not_known(
    ra_case: Case, crew: dict[str, User], assess: Assess, answers_for: Callable[..., Any], sign_in: SignIn
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"], present={HIGH: Seen.CURRENT}, cin_factors=("11A",))
    IndicatorAnswer.objects.filter(assessment=assessment, indicator__code__in=[PHONES, GIFTS]).update(
        answer=Answer.UNKNOWN
    )

    response = sign_in(crew["officer"]).get(reverse("risk:assessment-detail", args=[assessment.public_id]))

    assert response.status_code == 200
    html = response.content.decode()
    text = _text(response.content)
    assert "Screening tool version 1" in text and RULE_TEXT in text and "Score 3" in text
    assert "Not yet agreed: the next meeting agrees the level" in text
    assert "1 present; 2 not known" in text
    assert "11A Child sexual exploitation" in text
    assert html.count('data-testid="present-answer"') == 1
    assert "Seen by the team (missing-repeatedly)" in text and "Source: Police Public Protection Unit" in text
    assert "3 not present, 0 not known" in text  # "Missing and absence": four indicators, one present
    assert "2 not present, 2 not known" in text  # "Money, gifts and possessions": four, two not known
    assert 'data-testid="young-child-warning"' not in html
    assert 'data-testid="first-assessment"' in html
    assert reverse("people:child-detail", args=[ra_case.child.public_id]) in html
    assert reverse("risk:child-assessments", args=[ra_case.child.public_id]) in html
    assert 'data-testid="review-form"' not in html and 'data-testid="awaiting-review"' in html
    assert AccessLogEntry.objects.filter(user=crew["officer"], what="risk assessment").count() == 1


def test_a_young_child_with_a_high_risk_indicator_is_flagged_as_a_warning(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    Child.objects.filter(pk=ra_case.child_id).update(date_of_birth=timezone.localdate().replace(year=2014))
    assessment = assess(Child.objects.get(pk=ra_case.child_id), crew["practitioner"], present={HIGH: Seen.EARLIER})
    client = sign_in(crew["tm"])

    detail = client.get(reverse("risk:assessment-detail", args=[assessment.public_id]))
    listing = client.get(reverse("risk:child-assessments", args=[ra_case.child.public_id]))

    assert assessment.young_child_high_risk
    assert '<div class="govuk-warning-text" data-testid="young-child-warning">' in detail.content.decode()
    assert "Aged 13 or under with a high-risk indicator present: treat as high risk whatever the score" in _text(
        detail.content
    )
    assert b'data-testid="young-child-flag"' in listing.content


def test_the_assessment_page_shows_the_agreed_level_and_what_changed(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    first = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.CURRENT, PHONES: Seen.CURRENT})
    second = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.EARLIER, HIGH: Seen.CURRENT})
    assessment_agree(
        assessment=second,
        by=crew["ds"],
        level=RiskLevel.MEDIUM,
        rationale="Judgement: safety plan holding.",
        where="CSE Risk Assessment Meeting",
    )

    response = sign_in(crew["practitioner"]).get(reverse("risk:assessment-detail", args=[second.public_id]))

    text = _text(response.content)
    html = response.content.decode()
    assert "Judgement: safety plan holding." in text
    assert f"Agreed by {crew['ds'].display_name} at CSE Risk Assessment Meeting" in text
    assert reverse("risk:assessment-detail", args=[first.public_id]) in html
    assert "Level: Low → Medium" in text
    assert html.count('data-testid="change"') == 3
    assert "Not present → Present" in text and "Present → Not present" in text
    assert "Last seen: Now (current) → More than six months ago" in text


# The team manager's oversight ---------------------------------------------------------------------------------------


def test_the_team_manager_records_their_oversight_on_the_page(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    client = sign_in(crew["tm"])
    page = client.get(reverse("risk:assessment-detail", args=[assessment.public_id])).content.decode()
    assert 'data-testid="review-form"' in page and '<input type="hidden" name="version" value="1">' in page
    assert '<label class="govuk-label" for="id_comment">Your oversight</label>' in page

    response = client.post(
        reverse("risk:assessment-review", args=[assessment.public_id]),
        {"comment": "Analysis sound. Chase the school for attendance.", "version": "1"},
    )

    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.reviewed_by == crew["tm"] and assessment.review_comment.startswith("Analysis sound")
    after = client.get(response["Location"]).content.decode()
    assert "Your oversight is recorded" in after and 'data-testid="review-form"' not in after
    assert f"Reviewed by {crew['tm'].display_name}" in after and "Chase the school for attendance." in after


@pytest.mark.parametrize("who", ["ds", "practitioner", "nurse", "officer"])
def test_no_one_but_the_team_manager_records_oversight(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn, who: str
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    client = sign_in(crew[who])

    page = client.get(reverse("risk:assessment-detail", args=[assessment.public_id]))
    response = client.post(
        reverse("risk:assessment-review", args=[assessment.public_id]), {"comment": "Fine.", "version": "1"}
    )

    assert b'data-testid="review-form"' not in page.content
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.reviewed_at is None


def test_oversight_on_a_stale_page_is_refused_and_keeps_the_comment(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    assessment_agree(assessment=assessment, by=crew["ds"], level="low", rationale="Agreed.", where="Meeting")

    response = sign_in(crew["tm"]).post(
        reverse("risk:assessment-review", args=[assessment.public_id]),
        {"comment": "My long oversight note.", "version": "1"},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="refusal"' in html and "changed by someone else" in html
    assert "My long oversight note.</textarea>" in html
    assert '<input type="hidden" name="version" value="2">' in html  # saving again is based on the page as it is now
    assessment.refresh_from_db()
    assert assessment.reviewed_at is None


def test_oversight_written_while_someone_else_reviewed_is_given_back(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    """Once reviewed, the page no longer offers the form: the comment comes back above it, as the refusal says."""
    from risk.services import assessment_review

    assessment = assess(ra_case.child, crew["practitioner"])
    assessment_review(assessment=assessment, by=crew["tm"], comment="Reviewed first.", based_on_version=1)

    response = sign_in(crew["tm"]).post(
        reverse("risk:assessment-review", args=[assessment.public_id]),
        {"comment": "My long oversight note, written in the other window.", "version": "1"},
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert 'data-testid="review-form"' not in html
    assert "My long oversight note, written in the other window." in kept_text(html)
    assessment.refresh_from_db()
    assert assessment.review_comment == "Reviewed first."


def test_an_empty_oversight_is_refused_beside_the_field(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])

    response = sign_in(crew["tm"]).post(
        reverse("risk:assessment-review", args=[assessment.public_id]), {"comment": "  ", "version": "1"}
    )

    assert response.status_code == 400
    assert b'<a href="#id_comment">Record your oversight: what you checked and anything to follow up</a>' in (
        response.content
    )
    assert b'<p id="id_comment-error" class="govuk-error-message">' in response.content


def test_the_oversight_queue_lists_the_teams_assessments_awaiting_review_oldest_first(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    first = assess(ra_case.child, crew["practitioner"])
    second = assess(ra_case.child, crew["nurse"], present={HIGH: Seen.CURRENT})
    reviewed = assess(ra_case.child, crew["officer"])
    assessment_review(assessment=reviewed, by=crew["tm"], comment="Done.")

    response = sign_in(crew["tm"]).get(reverse("risk:oversight"))

    assert response.status_code == 200
    html = response.content.decode()
    rows = html.split('data-testid="oversight-row"')[1:]
    assert len(rows) == 2
    assert reverse("risk:assessment-detail", args=[first.public_id]) in rows[0]
    assert reverse("risk:assessment-detail", args=[second.public_id]) in rows[1]
    assert ra_case.child.full_name in rows[0] and crew["nurse"].display_name in rows[1] and "High" in rows[1]
    assert reverse("risk:assessment-detail", args=[reviewed.public_id]) not in html


def test_the_oversight_queue_says_when_nothing_is_waiting(crew: dict[str, User], sign_in: SignIn) -> None:
    response = sign_in(crew["tm"]).get(reverse("risk:oversight"))

    assert b'data-testid="nothing-awaiting"' in response.content


@pytest.mark.parametrize("who", ["ds", "practitioner", "nurse", "officer", "case_holder", "governance", "csm", "di"])
def test_the_oversight_queue_is_the_team_managers(crew: dict[str, User], sign_in: SignIn, who: str) -> None:
    assert sign_in(crew[who]).get(reverse("risk:oversight")).status_code == 403


def test_the_pages_need_a_signed_in_user(ra_case: Case, crew: dict[str, User], assess: Assess, client: Client) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])

    for url in (
        reverse("risk:oversight"),
        reverse("risk:child-assessments", args=[ra_case.child.public_id]),
        reverse("risk:assessment-new", args=[ra_case.child.public_id]),
        reverse("risk:assessment-detail", args=[assessment.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


# Query counts -------------------------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_the_pages_cost_the_same_whatever_the_number_of_assessments_and_answers(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn
) -> None:
    client = sign_in(crew["tm"])
    child_url = reverse("risk:child-assessments", args=[ra_case.child.public_id])

    def detail(assessment: RiskAssessment) -> int:
        return _queries(client, reverse("risk:assessment-detail", args=[assessment.public_id]))

    first = assess(ra_case.child, crew["practitioner"], present={GIFTS: Seen.CURRENT})
    one = {"list": _queries(client, child_url), "oversight": _queries(client, reverse("risk:oversight"))}
    first_alone = detail(first)
    second = assess(ra_case.child, crew["nurse"], present={GIFTS: Seen.CURRENT, HIGH: Seen.CURRENT})
    second_of_two = detail(second)
    third = assess(
        ra_case.child,
        crew["officer"],
        present={GIFTS: Seen.EARLIER, HIGH: Seen.CURRENT, PHONES: Seen.CURRENT, "self-harm": Seen.CURRENT},
    )
    assessment_agree(assessment=third, by=crew["ds"], level="high", rationale="Agreed.", where="Meeting")
    assessment_review(assessment=second, by=crew["tm"], comment="Checked.")
    three = {"list": _queries(client, child_url), "oversight": _queries(client, reverse("risk:oversight"))}

    assert three == one
    # The comparison reads the previous assessment's answers and its own: two queries, however many there are.
    assert detail(third) == second_of_two == first_alone + 2
    assert detail(second) == second_of_two  # reviewed now, still the same
    assert second_of_two <= 16


def test_the_form_costs_a_fixed_number_of_queries(
    ra_case: Case, crew: dict[str, User], sign_in: SignIn, django_assert_max_num_queries: Any
) -> None:
    client = sign_in(crew["practitioner"])
    url = reverse("risk:assessment-new", args=[ra_case.child.public_id])
    client.get(url)  # the session and the like, warmed

    # The session, the user and their second factor, the child, the access log, the catalogue, its indicators, the
    # agencies, the header's notifications: the same for a catalogue of any size.
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200
    data = {**_posted(summary="x"), **_date("next_review_on", timezone.localdate())}
    # Shown again with its errors: the same, with the service's reads (may the user see the child, catalogue,
    # indicators, agencies).
    with django_assert_max_num_queries(22):
        refused = client.post(url, data)
    assert refused.status_code == 400


def test_a_child_restricted_to_an_agency_is_seen_only_by_that_agency_in_the_team(
    ra_case: Case, crew: dict[str, User], assess: Assess, sign_in: SignIn, police: Agency
) -> None:
    assessment = assess(ra_case.child, crew["officer"])
    Child.objects.filter(pk=ra_case.child_id).update(restricted_to_agency=police)

    for who, status in (("officer", 200), ("ds", 200), ("practitioner", 404), ("nurse", 404), ("tm", 404)):
        client = sign_in(crew[who])
        assert client.get(reverse("risk:assessment-detail", args=[assessment.public_id])).status_code == status, who
        listing = client.get(reverse("risk:child-assessments", args=[ra_case.child.public_id]))
        assert listing.status_code == status, who


def test_govuk_field_renders_a_multiple_choice_as_checkboxes() -> None:
    form = AssessmentForm(groups=[], agencies=[])

    html = Template("{% load govuk %}{% govuk_field form.cin_factors %}").render(Context({"form": form}))

    assert 'type="checkbox"' in html and 'type="radio"' not in html


def test_a_catalogue_published_while_the_form_was_open_asks_for_the_new_indicator_and_keeps_the_rest(
    ra_case: Case, crew: dict[str, User], sign_in: SignIn
) -> None:
    data = _posted(summary="Typed before the new version came out.")
    draft = catalogue_draft_from(version=catalogue_current())
    gifts = Indicator.objects.get(category__version=draft, code=GIFTS)
    indicator_add(
        category=gifts.category,
        code="crypto-wallet",
        text="Has a cryptocurrency wallet they cannot explain",
        guidance="",
        is_high_risk=False,
        applies_to=Indicator.AppliesTo.BOTH,
    )
    catalogue_publish(version=draft)

    response = sign_in(crew["practitioner"]).post(reverse("risk:assessment-new", args=[ra_case.child.public_id]), data)

    assert response.status_code == 400 and not RiskAssessment.objects.exists()
    html = response.content.decode()
    assert '<a href="#id_answer-crypto-wallet_0">Has a cryptocurrency wallet they cannot explain: say whether' in html
    assert "Typed before the new version came out.</textarea>" in html
    assert f'name="answer-{GIFTS}" type="radio" value="not_present" checked' in html
