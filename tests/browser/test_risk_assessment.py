"""A practitioner records a risk assessment in a browser: the details of a present indicator open under it, a refused
save keeps what was typed and says what is missing, and the team manager records their oversight. Every page is
scanned with axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from evolve.accounts.models import Agency, User
from evolve.accounts.roles import Role
from evolve.cases.models import DecisionKind
from risk.models import Indicator, RiskAssessment
from tests.browser.test_weekly_meeting import decided
from tests.factories import totp_device


@pytest.mark.browser
def test_a_practitioner_records_an_assessment_and_the_team_manager_reviews_it(
    page_for: Callable[[User], Page],
    front_door: dict[str, User],
    catalogue: list[Indicator],
    police: Agency,
    make_user: Callable[..., User],
    assert_accessible: Callable[[Page, str], None],
) -> None:
    tm = front_door["tm"]
    assert tm.team is not None
    worker = make_user(Role.PRACTITIONER, in_team=True, username="worker", first_name="Priya", last_name="Nandra")
    totp_device(worker)
    case = decided(front_door, tm.team, "Ellie", "Marsden", DecisionKind.RISK_ASSESSMENT_MEETING)

    page = page_for(worker)
    page.goto(f"/cases/{case.public_id}/")
    page.get_by_test_id("risk-level").get_by_role("link", name="Risk assessments").click()
    page.get_by_role("button", name="Record a risk assessment").or_(
        page.get_by_role("link", name="Record a risk assessment")
    ).click()
    first = catalogue[0]
    group = page.get_by_role("group", name=first.text)
    group.get_by_label("Present", exact=True).check()
    group.get_by_text("If present: when, the evidence and its source").click()
    expect(group.get_by_label("Evidence")).to_be_visible()
    assert_accessible(page, "the risk assessment form with an indicator's details open")
    review = timezone.localdate() + timedelta(days=28)
    page.locator("input[name='next_review_on_0']").fill(str(review.day))
    page.locator("input[name='next_review_on_1']").fill(str(review.month))
    page.locator("input[name='next_review_on_2']").fill(str(review.year))
    page.get_by_role("button", name=re.compile("Save|Record")).last.click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("say when it was last seen")
    assert not RiskAssessment.objects.exists()
    assert_accessible(page, "a refused risk assessment")
    group = page.get_by_role("group", name=first.text)
    group.get_by_label("Now (current)").check()
    group.get_by_label("Evidence").fill("Missing twice this month; found in town.")
    group.get_by_label("Source agency").select_option(label=police.name)
    page.get_by_role("button", name=re.compile("Save|Record")).last.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Risk assessment")
    expect(page.get_by_text("Missing twice this month; found in town.")).to_be_visible()
    assert_accessible(page, "a risk assessment")

    manager = page_for(tm)
    manager.goto("/risk/oversight/")
    manager.get_by_role("link", name=re.compile("Ellie Marsden")).first.click()
    manager.get_by_label(re.compile("oversight|comment", re.I)).first.fill("Checked the evidence with the school.")
    manager.get_by_role("button", name=re.compile("oversight|review", re.I)).click()
    expect(manager.get_by_text("Checked the evidence with the school.")).to_be_visible()
    assert RiskAssessment.objects.get().reviewed_by == tm
