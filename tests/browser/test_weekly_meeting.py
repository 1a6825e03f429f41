"""The weekly CSE team meeting in a browser (issue 5's acceptance): the team manager schedules it and its agenda holds
the right children from the three lists (and not a child on none of them); attendance is recorded; the chair agrees
a high risk level with its rationale and gives an action; a level without a rationale is refused and changes
nothing; the chair closes the meeting, the minutes PDF is built by the Celery task and downloaded; turned to text
(pdftotext) it holds the child's agreed risk and the action, and turned to an image (pdftoppm) it is a legible page.
After closing, the meeting offers no edit, only a recorded amendment. Every page is scanned with axe-core."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import Case, DecisionKind
from evolve.cases.services import allocation_add, case_review_date_set, decision_view_record
from evolve.chronology.models import ChronologyEntry
from meetings.models import Meeting, Minutes
from risk.models import Answer, Indicator, RiskAssessment, Seen
from risk.services import AnswerInput, assessment_record
from tests.browser.test_daily_review import co_allocated

UUID = r"[0-9a-f-]{36}"


def decided(people: dict[str, User], team: Team, first: str, last: str, kind: str) -> Case:
    referral = co_allocated(people, team, first, last, "routine")
    for who in ("tm", "ds"):
        outcome = decision_view_record(referral=referral, by=people[who], kind=kind, rationale="Agreed at review.")
    assert outcome.decision is not None and outcome.decision.case is not None
    return outcome.decision.case


def fill_date(page: Page, name: str, when: Any) -> None:
    page.locator(f"input[name='{name}_0']").fill(str(when.day))
    page.locator(f"input[name='{name}_1']").fill(str(when.month))
    page.locator(f"input[name='{name}_2']").fill(str(when.year))


@pytest.mark.browser
def test_the_chair_runs_the_weekly_meeting_and_the_minutes_pdf_holds_the_agreed_risk_and_action(
    page_for: Callable[[User], Page],
    front_door: dict[str, User],
    catalogue: list[Indicator],
    police: Agency,
    make_user: Callable[..., User],
    eager_email: list[Any],
    assert_accessible: Callable[[Page, str], None],
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    tm = front_door["tm"]
    assert tm.team is not None
    practitioner = make_user(Role.PRACTITIONER, in_team=True, username="worker", first_name="Priya", last_name="Nandra")
    # List 1: referred to the meeting by the daily review, with a risk assessment done before the meeting.
    ellie = decided(front_door, tm.team, "Ellie", "Marsden", DecisionKind.RISK_ASSESSMENT_MEETING)
    answers = [AnswerInput(code=i.code, answer=Answer.NOT_PRESENT) for i in catalogue[1:]] + [
        AnswerInput(
            code=catalogue[0].code,
            answer=Answer.PRESENT,
            seen=Seen.CURRENT,
            evidence="Missing twice this month",
            source_agency_id=police.pk,
        )
    ]
    assessment = assessment_record(
        child=ellie.child,
        by=practitioner,
        answers=answers,
        next_review_on=timezone.localdate() + timedelta(days=28),
    )
    assert assessment.suggested_level == "low"
    # List 2: an Immediate Strategy Discussion since the last meeting.
    kian = decided(front_door, tm.team, "Kian", "Lomax", DecisionKind.STRATEGY_DISCUSSION)
    # List 3: already allocated, review due.
    noah = decided(front_door, tm.team, "Noah", "Pryce", DecisionKind.RISK_ASSESSMENT_MEETING)
    Case.objects.filter(pk=noah.pk).update(awaiting_ra_meeting_since=None)
    allocation_add(case=noah, by=tm, user=practitioner, role="social_work_lead", start_on=timezone.localdate())
    noah.refresh_from_db()
    case_review_date_set(case=noah, by=tm, based_on_version=noah.version, next_review_on=timezone.localdate())
    # On no list: referred and not allocated, its review weeks away, discussed already.
    quiet = decided(front_door, tm.team, "Ruby", "Quayle", DecisionKind.RISK_ASSESSMENT_MEETING)
    Case.objects.filter(pk=quiet.pk).update(awaiting_ra_meeting_since=None)

    page = page_for(tm)
    page.goto("/")
    page.get_by_role("link", name=re.compile("^Meetings: the weekly")).click()
    page.get_by_role("link", name="Schedule the weekly meeting").click()
    expect(page.get_by_text("It is the team manager's turn to chair")).to_be_visible()
    assert_accessible(page, "scheduling the weekly meeting")
    fill_date(page, "on", timezone.localdate())
    page.get_by_label("Time it starts").fill("10:00")
    page.get_by_label("Where (optional)").fill("Riverside House, room 2")
    page.get_by_role("button", name="Schedule the meeting").click()
    expect(page).to_have_url(re.compile(rf"/meetings/{UUID}/$"))
    expect(page.get_by_role("alert")).to_contain_text("3 children on the agenda")
    expect(page.get_by_test_id("agenda-new_referrals").get_by_role("link")).to_have_text(["Ellie Marsden"])
    expect(page.get_by_test_id("agenda-strategy_or_cin").get_by_role("link")).to_have_text(["Kian Lomax"])
    expect(page.get_by_test_id("agenda-allocated_update").get_by_role("link")).to_have_text(["Noah Pryce"])
    expect(page.get_by_role("link", name="Ruby Quayle")).to_have_count(0)  # on no list (she can be added by hand)
    expect(page.get_by_test_id("chair")).to_contain_text("Tom Mercer (team manager)")
    assert_accessible(page, "the meeting and its agenda")

    for agency, name in (("Children's Services", "Tom Mercer"), (police.name, "Dana Sykes")):
        page.get_by_text("Record someone attending").click()
        page.get_by_label("Agency").select_option(label=agency)
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_role("button", name="Add to attendance").click()
        expect(page.get_by_test_id("attendance")).to_contain_text(name)

    page.get_by_test_id("agenda-new_referrals").get_by_role("link", name="Ellie Marsden").click()
    expect(page.get_by_test_id("latest-assessment")).to_contain_text("suggests low risk")
    assert_accessible(page, "a child's part of the meeting")
    page.get_by_label("Discussion").fill("School and police report two missing episodes and an older boyfriend.")
    page.get_by_label("High").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Give the rationale for the agreed level")
    expect(page.get_by_label("Discussion")).to_have_value(
        "School and police report two missing episodes and an older boyfriend."
    )
    assert_accessible(page, "a refused risk level")
    assessment.refresh_from_db()
    assert assessment.agreed_level == ""  # the refusal changed nothing
    page.get_by_label("Rationale for the agreed level").fill("Escalating missing episodes; professional judgement.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("agreed-level")).to_contain_text("High")

    page.get_by_text("Add an action").click()
    page.get_by_label("Action", exact=True).fill("Return home interview after every missing episode")
    page.get_by_label("Owner").select_option(label="Priya Nandra, CS")
    fill_date(page, "due_on", timezone.localdate() + timedelta(days=7))
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_test_id("actions")).to_contain_text("Return home interview after every missing episode")

    for child in ("Kian Lomax", "Noah Pryce"):
        page.get_by_role("link", name="Back").click()
        page.get_by_role("link", name=child).click()
        page.get_by_label("Discussion").fill(f"Update on {child.split()[0]}: plan in place, no change.")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("item-record")).to_contain_text("plan in place")

    page.get_by_role("link", name="Back").click()
    page.get_by_role("button", name="Close the meeting").click()
    expect(page.get_by_role("alert")).to_contain_text("Meeting closed")
    expect(page.get_by_test_id("meeting-status")).to_contain_text("Closed")
    expect(page.get_by_role("button", name="Close the meeting")).to_have_count(0)
    expect(page.get_by_text("Record someone attending")).to_have_count(0)  # no edits once closed...
    expect(page.get_by_text("Record an amendment")).to_be_visible()  # ...only a recorded amendment
    assert_accessible(page, "the closed meeting")

    meeting = Meeting.objects.get()
    assert Minutes.objects.filter(meeting=meeting).count() == 1  # built by the task when the close committed
    with page.expect_download() as download_info:
        page.get_by_test_id("minutes-link").click()
    pdf = tmp_path / "minutes.pdf"
    download_info.value.save_as(pdf)
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Ellie Marsden" in text
    assert re.search(r"Agreed risk level:\s+High", text)
    assert "Return home interview after every missing episode" in text
    assert "Priya Nandra" in text
    subprocess.run(
        ["/usr/bin/pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True
    )
    image = next(tmp_path.glob("page*.png"))
    assert image.stat().st_size > 10_000  # a page with text on it, not a blank one

    # The agreed level reached the assessment and the case; the child's part is in her chronology.
    assessment.refresh_from_db()
    ellie.refresh_from_db()
    assert (assessment.agreed_level, ellie.risk_level, ellie.awaiting_ra_meeting_since) == ("high", "high", None)
    filed = ChronologyEntry.objects.get(child=ellie.child, kind="meeting.discussed")
    assert "Return home interview" in filed.rationale
    assert not RiskAssessment.objects.filter(child=kian.child).exists()

    # A closed meeting is changed only by a recorded amendment, which builds a second version of the minutes.
    page.get_by_text("Record an amendment").click()
    page.get_by_label("About", exact=True).select_option(label="Ellie Marsden")
    page.get_by_label("What is corrected, and why").fill("The second missing episode was on the 3rd, not the 4th.")
    page.get_by_role("button", name="Record the amendment").click()
    expect(page.get_by_test_id("amendments")).to_contain_text("not the 4th")
    assert sorted(Minutes.objects.filter(meeting=meeting).values_list("number", flat=True)) == [1, 2]
