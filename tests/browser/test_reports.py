"""Issue 7 in a browser: the team manager builds last month's report again and finds both versions; the governance group
finds the report from the navigation, reads every measure with its chart, and downloads the PDF. The team manager draws
this month's quality assurance sample and opens a child's audit. Every page is scanned with axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import Case, CaseStatusChange
from reporting.measures import MEASURES
from reporting.models import MonthlyReport, ReportBuild, ReportDownload
from reporting.services import last_month, report_build, report_request
from tests.factories import ChildFactory, totp_device


@pytest.mark.browser
def test_governance_reads_and_downloads_the_report_and_the_manager_builds_it_again(
    page_for: Callable[[User], Page],
    transactional_db: None,
    team: Team,
    make_user: Callable[..., User],
    assert_accessible: Callable[[Page, str], None],
) -> None:
    manager = make_user(Role.TEAM_MANAGER, in_team=True, username="manager", first_name="Tess")
    board = make_user(Role.GOVERNANCE, username="board", first_name="Gina")
    totp_device(manager)
    totp_device(board)
    child = _open_case(team, manager, "Ava").child
    month = last_month()
    first = report_request(team_id=team.pk, year=month.year, month=month.month, by=None)
    report_build(build_id=first.pk)

    page = page_for(manager)
    page.goto("/")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("report")
    assert_accessible(page, "the reports list")
    page.get_by_label("Month").fill(str(month.month))
    page.get_by_label("Year").fill(str(month.year))
    page.get_by_role("button", name="Build this month again").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"The {month} report, version 2, is being built"
    )
    assert list(ReportBuild.objects.filter(team=team).order_by("version").values_list("version", flat=True)) == [1, 2]
    # A month that has not ended is refused with a message, and nothing is asked for.
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2999")
    page.get_by_role("button", name="Build this month again").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("has not ended")
    assert_accessible(page, "the reports list with an error")
    assert ReportBuild.objects.filter(team=team).count() == 2

    reader = page_for(board)
    reader.goto("/")
    reader.get_by_role("link", name="Reports", exact=True).click()
    reader.get_by_role("link", name=re.compile(f"View the {month} report, version 1")).click()
    for measure in MEASURES:
        expect(reader.get_by_role("heading", name=measure.title, exact=True)).to_be_visible()
    expect(reader.locator("svg.report-chart")).to_have_count(len(MEASURES))
    expect(reader.get_by_role("heading", name="Data quality")).to_be_visible()
    assert child.last_name not in reader.content()
    assert_accessible(reader, "a monthly report")
    reader.screenshot(path=str(_shot("report-detail")), full_page=True)
    with reader.expect_download() as download:
        reader.get_by_role("link", name=re.compile(r"^PDF")).first.click()
    path = download.value.path()
    assert path is not None
    with Path(path).open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    report = MonthlyReport.objects.get(build=first)
    assert ReportDownload.objects.filter(report=report, user=board, format="pdf").count() == 1
    # The governance group is not shown the team's casework and cannot open it.
    expect(reader.get_by_role("link", name="Cases", exact=True)).to_have_count(0)
    case = Case.objects.get(child=child)
    response = reader.goto(f"/cases/{case.public_id}/")
    assert response is not None and response.status in (403, 404)


@pytest.mark.browser
def test_the_manager_draws_this_months_quality_sample_and_opens_an_audit(
    page_for: Callable[[User], Page],
    transactional_db: None,
    team: Team,
    make_user: Callable[..., User],
    assert_accessible: Callable[[Page, str], None],
) -> None:
    manager = make_user(Role.TEAM_MANAGER, in_team=True, username="manager", first_name="Tess")
    totp_device(manager)
    for name in ("Ava", "Ben", "Cal"):
        _open_case(team, manager, name)

    page = page_for(manager)
    page.goto("/cases/quality/")
    assert_accessible(page, "the quality assurance samples")
    page.get_by_role("button", name="Draw this month's sample").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    assert_accessible(page, "a quality assurance sample")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    page.get_by_role("link", name=re.compile("Testwell")).first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, "a child's audit")


def _open_case(team: Team, manager: User, first_name: str) -> Case:
    child = ChildFactory.create(first_name=first_name, last_name="Testwell", open_to_team=team, created_by=manager)
    case = Case.objects.create(child=child, team=team, opened_at=timezone.now(), opened_by=manager)
    CaseStatusChange.objects.create(case=case, change=CaseStatusChange.Change.OPENED, by=manager)
    return case


def _shot(name: str) -> Path:
    folder = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"
