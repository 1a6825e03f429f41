"""The daily review in a browser (issue 4's acceptance): the detective sergeant and the team manager each open the
queue and decide "refer to the CSE Risk Assessment Meeting", and the child is listed as awaiting the next meeting; a
second referral decided "Immediate Strategy Discussion" shows its 24-hour clock on the queue and on the child's case
page. Each in a browser of their own; every page scanned with axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from evolve.accounts.models import Team, User
from evolve.cases.models import Case
from referrals.models import Referral
from referrals.services import (
    MashDecision,
    TriageDecision,
    mash_check_record,
    referral_co_allocate,
    referral_draft_create,
    referral_draft_save,
    referral_log,
    referral_screen,
    referral_send_to_mash,
    referral_submit,
)
from risk.models import Indicator
from tests.factories import ChildFactory

UUID = r"[0-9a-f-]{36}"


def co_allocated(people: dict[str, User], team: Team, first: str, last: str, urgency: str) -> Referral:
    """A referral the front door has already brought to Evolve (the pathway's own browser test drives these pages)."""
    referral = referral_draft_create(by=people["teacher"])
    referral = referral_draft_save(
        referral=referral,
        by=people["teacher"],
        based_on_version=referral.version,
        fields={
            "child_first_name": first,
            "child_last_name": last,
            "concern": "Seen with older men in cars after school.",
            "urgency": urgency,
            "consent": "given",
        },
        indicator_ids=[],
    )
    referral = referral_submit(referral=referral, by=people["teacher"], based_on_version=referral.version)
    child = ChildFactory.create(first_name=first, last_name=last, date_of_birth=date(2011, 3, 4))
    referral = referral_log(referral=referral, by=people["spoc"], based_on_version=referral.version, child=child)
    referral = referral_screen(referral=referral, by=people["triage"], based_on_version=referral.version, notes="CSE.")
    referral = referral_send_to_mash(
        referral=referral,
        by=people["triage_manager"],
        based_on_version=referral.version,
        decision=TriageDecision(threshold="child_protection", rag="amber", rationale="Indicators."),
    )
    mash_check_record(referral=referral, by=people["mash_police"], holds_information=False, summary="")
    return referral_co_allocate(
        referral=referral,
        by=people["mash"],
        based_on_version=referral.version,
        decision=MashDecision(rag="red", intervention="section_47", rationale="Serious.", team=team),
    )


def decide(page: Page, child: str, decision: str, reasons: str) -> None:
    """From the daily review queue, open the child's referral and record a decision."""
    page.goto("/")
    page.get_by_role("link", name="Daily review").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Daily review")
    page.get_by_test_id("review-queue").get_by_role("link", name=child).click()
    expect(page).to_have_url(re.compile(rf"/cases/review/{UUID}/$"))
    page.get_by_label(decision).check()
    page.get_by_label("Your reasons").fill(reasons)
    page.get_by_role("button", name="Record my decision").click()


@pytest.mark.browser
def test_the_ds_and_tm_refer_a_child_to_the_risk_assessment_meeting_and_call_a_strategy_discussion(
    page_for: Callable[[User], Page],
    front_door: dict[str, User],
    catalogue: list[Indicator],
    assert_accessible: Callable[[Page, str], None],
) -> None:
    tm, ds = front_door["tm"], front_door["ds"]
    assert tm.team is not None
    co_allocated(front_door, tm.team, "Ellie", "Marsden", "routine")
    co_allocated(front_door, tm.team, "Kian", "Lomax", "urgent")

    ds_page = page_for(ds)
    ds_page.goto("/cases/review/")
    rows = ds_page.get_by_test_id("review-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Kian Lomax")  # urgent first
    expect(rows.first).to_contain_text("Urgent")
    assert_accessible(ds_page, "the daily review queue")

    decide(ds_page, "Ellie Marsden", "Refer to the CSE Risk Assessment Meeting", "Several indicators; needs a plan.")
    expect(ds_page.get_by_role("alert")).to_contain_text("it is made when your colleague agrees")
    assert_accessible(ds_page, "a referral in the daily review")

    tm_page = page_for(tm)
    decide(tm_page, "Ellie Marsden", "Refer to the CSE Risk Assessment Meeting", "Agree: discuss at the meeting.")
    expect(tm_page.get_by_role("alert")).to_contain_text("Decision agreed: Refer to the CSE Risk Assessment Meeting")
    expect(tm_page.get_by_test_id("decision")).to_contain_text("Tom Mercer (team manager) and Dana Sykes")

    tm_page.goto("/")
    tm_page.get_by_role("link", name="Children awaiting the next CSE Risk Assessment Meeting").click()
    listed = tm_page.get_by_test_id("awaiting-meeting")
    expect(listed.get_by_role("link")).to_have_text(["Ellie Marsden"])
    assert_accessible(tm_page, "the children awaiting the risk assessment meeting")

    decide(tm_page, "Kian Lomax", "Advice to hold an Immediate Strategy Discussion", "Significant harm likely.")
    decide(ds_page, "Kian Lomax", "Advice to hold an Immediate Strategy Discussion", "Agreed: tonight.")
    expect(ds_page.get_by_role("alert")).to_contain_text("Decision agreed")

    ds_page.goto("/cases/review/")
    expect(ds_page.get_by_test_id("review-empty")).to_be_visible()
    due = ds_page.get_by_test_id("strategy-due")
    expect(due).to_contain_text("Kian Lomax")
    expect(due).to_contain_text(re.compile(r"(23|24) hours? left"))

    due.get_by_role("link", name="Kian Lomax").click()
    expect(ds_page.get_by_role("heading", level=1)).to_have_text("Kian Lomax")
    clocks = ds_page.get_by_test_id("case-deadlines")
    expect(clocks).to_contain_text("Strategy discussion")
    expect(clocks).to_contain_text(re.compile(r"(23|24) hours? left"))
    assert_accessible(ds_page, "the child's case page")
    assert Case.objects.filter(child__first_name="Kian", awaiting_ra_meeting_since__isnull=True).exists()
