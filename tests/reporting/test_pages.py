"""The reports pages: the list of kept months, one report on screen, its PDF and CSV, and building a month again.

Readers are the team's manager and detective sergeant and the area's oversight; everyone else is refused (403 for the
list, 404 for a report). Every download is logged before the file is sent; a refused one logs nothing. A rebuild is a
new version and the earlier one stays; bad input or a month not over is refused with a message and nothing made. The
page, the PDF and the CSV name no child."""

from __future__ import annotations

import csv
import io
import itertools
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from reporting.measures import MEASURES
from reporting.models import MonthlyReport, ReportBuild, ReportDownload
from reporting.permissions import may_read_reports
from reporting.services import report_build, report_failed, report_request
from tests.factories import UserFactory
from tests.reporting.conftest import MonthOfWork

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
CHILD_NAMES = ("Testchild", "Maisie", "Fenwick")  # month_of_work's children, and the name its referral forms carry


def _built(team: Team, year: int = 2025, month: int = 2) -> MonthlyReport:
    build = report_request(team_id=team.pk, year=year, month=month, by=None)
    return report_build(build_id=build.pk)


@pytest.fixture
def everyone(crew: dict[str, User], make_user: Callable[..., User]) -> dict[str, User]:
    """Every kind of user, in this team, in another team, or in none."""
    other_team = crew["other_team_member"].team
    return {
        **crew,
        "governance_elsewhere": UserFactory.create(roles=[Role.GOVERNANCE], team=other_team, username="board-b"),
        "other_tm": UserFactory.create(roles=[Role.TEAM_MANAGER], team=other_team, username="other-tm"),
        "administrator": make_user(Role.ADMINISTRATOR, username="admin-user"),
    }


# Who reads what: (list, report page and files, downloads log and rebuild form).
READERS_OF_THIS_TEAM = {"tm", "ds", "governance", "head_of_service", "di", "csm", "health_manager"}
OWNERS = {"tm", "ds"}
READERS_ELSEWHERE = {"governance_elsewhere", "other_tm"}  # read their own team's reports, not this one's
NOT_READERS = {
    "practitioner",
    "officer",
    "nurse",
    "spoc",
    "triage",
    "triage_manager",
    "mash",
    "mash_police",
    "case_holder",
    "other_case_holder",
    "teacher",
    "other_teacher",
    "administrator",
    "other_team_member",
}


def test_every_role_reaches_the_reports_it_may_and_no_other(
    everyone: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    assert set(everyone) == READERS_OF_THIS_TEAM | READERS_ELSEWHERE | NOT_READERS
    report = _built(team)
    public_id = report.build.public_id
    urls = {name: reverse(f"reporting:{name}", args=[public_id]) for name in ("detail", "pdf", "csv")}
    for key, user in everyone.items():
        client = sign_in(user)
        before = ReportDownload.objects.count()
        listing = client.get(reverse("reporting:list"))
        detail = client.get(urls["detail"])
        pdf, csv_file = client.get(urls["pdf"]), client.get(urls["csv"])
        home = client.get(reverse("ui:home")).content.decode()
        assert ('data-testid="reports-link"' in home) == may_read_reports(user), key
        if key in READERS_OF_THIS_TEAM:
            assert listing.status_code == 200, key
            assert urls["detail"] in listing.content.decode(), key
            assert detail.status_code == 200, key
            assert (pdf.status_code, csv_file.status_code) == (200, 200), key
            assert ReportDownload.objects.count() == before + 2, key
            assert (
                'data-testid="downloads"' in detail.content.decode()
                or "Nobody has downloaded" in detail.content.decode()
            ) == (key in OWNERS), key
            assert ('data-testid="rebuild-form"' in listing.content.decode()) == (key in OWNERS), key
        elif key in READERS_ELSEWHERE:
            assert listing.status_code == 200, key
            assert urls["detail"] not in listing.content.decode(), key
            assert (detail.status_code, pdf.status_code, csv_file.status_code) == (404, 404, 404), key
            assert ReportDownload.objects.count() == before, key
        else:
            assert listing.status_code == 403, key
            assert (detail.status_code, pdf.status_code, csv_file.status_code) == (404, 404, 404), key
            assert ReportDownload.objects.count() == before, key


def test_a_download_is_logged_with_who_their_agency_and_the_file_and_sent_privately(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    report = _built(team, 2025, 3)
    tm, governance = crew["tm"], crew["governance"]
    pdf = sign_in(governance).get(reverse("reporting:pdf", args=[report.build.public_id]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="evolve-report-2025-03-v1.pdf"'
    assert pdf["Cache-Control"] == "private, no-store"
    assert pdf["X-Content-Type-Options"] == "nosniff"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    got = sign_in(tm).get(reverse("reporting:csv", args=[report.build.public_id]))
    assert got["Content-Type"] == "text/csv; charset=utf-8"
    assert got["Content-Disposition"] == 'attachment; filename="evolve-report-2025-03-v1.csv"'
    text = b"".join(got.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert next(csv.reader(io.StringIO(text)))[:3] == ["month", "section", "measure"]
    logged = list(ReportDownload.objects.filter(report=report).order_by("at", "id"))
    assert [(d.user, d.agency_id, d.format) for d in logged] == [
        (governance, governance.agency_id, "pdf"),
        (tm, tm.agency_id, "csv"),
    ]
    page = sign_in(tm).get(reverse("reporting:detail", args=[report.build.public_id])).content.decode()
    assert governance.agency is not None
    assert 'id="downloads"' in page and governance.display_name in page and escape(governance.agency.name) in page


def test_a_download_can_only_be_fetched(crew: dict[str, User], team: Team, sign_in: SignIn) -> None:
    report = _built(team)
    response = sign_in(crew["tm"]).post(reverse("reporting:pdf", args=[report.build.public_id]))
    assert response.status_code == 405
    assert not ReportDownload.objects.exists()


def test_a_month_waiting_to_be_built_shows_as_waiting_and_has_no_files(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    build = report_request(team_id=team.pk, year=2025, month=1, by=None)
    client = sign_in(crew["ds"])
    listing = client.get(reverse("reporting:list")).content.decode()
    assert "Waiting to be built" in listing
    assert reverse("reporting:pdf", args=[build.public_id]) not in listing
    page = client.get(reverse("reporting:detail", args=[build.public_id]))
    assert page.status_code == 200 and "Waiting to be built" in page.content.decode()
    assert client.get(reverse("reporting:pdf", args=[build.public_id])).status_code == 404
    assert client.get(reverse("reporting:csv", args=[build.public_id])).status_code == 404
    assert not ReportDownload.objects.exists()


def test_a_failed_build_is_shown_on_the_list_with_a_banner_and_on_its_page(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    report_request(team_id=team.pk, year=2025, month=1, by=None)
    build = report_request(team_id=team.pk, year=2025, month=2, by=None)  # the newest month
    report_failed(build_id=build.pk, error=ConnectionError("the database went away"))
    client = sign_in(crew["governance"])
    listing = client.get(reverse("reporting:list")).content.decode()
    assert 'data-testid="failed-banner"' in listing and "govuk-notification-banner" in listing
    assert "Building failed at" in listing and "it is being tried again" in listing
    assert "ConnectionError" in listing and "the database went away" not in listing
    page = client.get(reverse("reporting:detail", args=[build.public_id])).content.decode()
    assert "Building failed at" in page and "being tried again" in page


def test_an_older_failure_shows_on_its_row_without_the_banner(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    older = report_request(team_id=team.pk, year=2025, month=1, by=None)
    report_request(team_id=team.pk, year=2025, month=2, by=None)
    report_failed(build_id=older.pk, error=RuntimeError())
    listing = sign_in(crew["tm"]).get(reverse("reporting:list")).content.decode()
    assert "Building failed at" in listing
    assert 'data-testid="failed-banner"' not in listing


def test_a_reader_of_several_teams_sees_which_team_each_report_is(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    other_team = crew["other_team_member"].team
    assert other_team is not None
    report_request(team_id=team.pk, year=2025, month=1, by=None)
    report_request(team_id=other_team.pk, year=2025, month=1, by=None)
    listing = sign_in(crew["head_of_service"]).get(reverse("reporting:list")).content.decode()
    assert ">Team<" in listing and "Another team" in listing and ">Evolve<" in listing
    own = sign_in(crew["tm"]).get(reverse("reporting:list")).content.decode()
    assert ">Team<" not in own and "Another team" not in own


def _many_builds(team: Team, count: int, asked_by: User) -> None:
    """`count` versions over several months, every third built (its files are not needed to list it)."""
    for index in range(count):
        month = date(2024, 12 - index % 12, 1)
        build = ReportBuild.objects.create(
            team=team, year=month.year - index // 12, month=month.month, version=1, requested_by=asked_by
        )
        if index % 3 == 0:
            MonthlyReport.objects.create(
                build=build,
                content={},
                pdf_name="x.pdf",
                pdf_sha256="0" * 64,
                pdf_size=1000,
                csv_name="x.csv",
                csv_sha256="0" * 64,
                csv_size=100,
            )
        if index % 5 == 1:
            report_failed(build_id=build.pk, error=RuntimeError())


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("reporting:list")).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_however_many_reports(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    client = sign_in(crew["tm"])
    _many_builds(team, 3, crew["ds"])
    few = _list_queries(client)
    MonthlyReport.objects.all().delete()
    ReportBuild.objects.all().delete()
    _many_builds(team, 30, crew["ds"])
    many = _list_queries(client)
    assert many == few
    page_two = client.get(reverse("reporting:list") + "?page=2").content.decode()
    assert "Page 2 of 2" in page_two and page_two.count(">View<") == 5


# Building a month again -----------------------------------------------------------------------------------------------


def test_the_team_manager_builds_a_month_again_as_a_new_version_and_the_first_is_kept(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    first = _built(team, 2025, 2)
    client = sign_in(crew["tm"])
    response = client.post(reverse("reporting:rebuild"), {"month": "2", "year": "2025"})
    assert response.status_code == 302 and response["Location"] == reverse("reporting:list")
    builds = list(ReportBuild.objects.filter(team=team, year=2025, month=2).order_by("version"))
    assert [(b.version, b.requested_by) for b in builds] == [(1, None), (2, crew["tm"])]
    assert MonthlyReport.objects.get(build=builds[0]) == first
    listing = client.get(reverse("reporting:list")).content.decode()
    assert "The February 2025 report, version 2, is being built." in listing
    assert "earlier versions are kept" in listing
    assert crew["tm"].display_name in listing and "Schedule" in listing
    versions = client.get(reverse("reporting:detail", args=[first.build.public_id])).content.decode()
    assert reverse("reporting:detail", args=[builds[1].public_id]) in versions


def test_the_detective_sergeant_may_build_a_month_again(crew: dict[str, User], team: Team, sign_in: SignIn) -> None:
    response = sign_in(crew["ds"]).post(reverse("reporting:rebuild"), {"month": "12", "year": "2024"})
    assert response.status_code == 302
    assert ReportBuild.objects.get(team=team, year=2024, month=12).requested_by == crew["ds"]


def _next_month() -> tuple[int, int]:
    today = timezone.localdate()
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"month": "13", "year": "2025"}, "Enter the month as a number from 1 to 12"),
        ({"month": "0", "year": "2025"}, "Enter the month as a number from 1 to 12"),
        ({"month": "3", "year": "1999"}, "Enter a year from 2000"),
        ({"month": "3", "year": "25"}, "Enter the year as 4 digits"),
        ({"month": "March", "year": "2025"}, "Enter the month as a number from 1 to 12"),
        ({"month": "", "year": ""}, "Enter the month and year of the report to build again"),
        ({}, "Enter the month and year of the report to build again"),
        ("this month", "has not ended yet"),
        ("next month", "has not ended yet"),
    ],
)
def test_a_month_that_cannot_be_built_is_refused_with_a_message_and_nothing_made(
    crew: dict[str, User], team: Team, sign_in: SignIn, posted: dict[str, str] | str, message: str
) -> None:
    if posted == "this month":
        today = timezone.localdate()
        posted = {"month": str(today.month), "year": str(today.year)}
    elif posted == "next month":
        year, month = _next_month()
        posted = {"month": str(month), "year": str(year)}
    assert isinstance(posted, dict)
    response = sign_in(crew["tm"]).post(reverse("reporting:rebuild"), posted)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and escape(message) in page
    assert "(error) - Evolve</title>" in page
    assert 'value="{}"'.format(escape(posted.get("month", ""))) in page  # what was typed is kept
    assert not ReportBuild.objects.exists()


@pytest.mark.parametrize("key", ["practitioner", "officer", "governance", "head_of_service", "csm", "spoc", "teacher"])
def test_only_the_teams_manager_or_detective_sergeant_may_build_a_month_again(
    crew: dict[str, User], sign_in: SignIn, key: str
) -> None:
    response = sign_in(crew[key]).post(reverse("reporting:rebuild"), {"month": "2", "year": "2025"})
    assert response.status_code == 403
    assert not ReportBuild.objects.exists()


def test_the_rebuild_form_takes_no_get(crew: dict[str, User], sign_in: SignIn) -> None:
    assert sign_in(crew["tm"]).get(reverse("reporting:rebuild")).status_code == 405


# The report on screen ------------------------------------------------------------------------------------------------


def test_the_report_page_shows_every_measure_and_the_data_quality_and_names_no_child(
    month_of_work: MonthOfWork, sign_in: SignIn, tmp_path: Path
) -> None:
    tm = month_of_work.crew["tm"]
    report = _built(month_of_work.team, 2025, 3)
    client = sign_in(tm)
    response = client.get(reverse("reporting:detail", args=[report.build.public_id]))
    assert response.status_code == 200
    page = response.content.decode()
    (tmp_path / "report.html").write_text(page)
    for measure in MEASURES:
        assert escape(measure.title) in page, measure.key
    for row in report.content["data_quality"]:
        assert escape(row["label"]) in page, row["key"]
    assert page.count("<svg") == len(MEASURES)
    assert page.count("How this is counted") == len(MEASURES)
    assert "March 2025" in page and "Version</dt>" in page and "Schedule" in page
    # Known answers from month_of_work: 6 children referred; the positive outcome rate 2 of 5.
    assert 'data-testid="measure-1"' in page and ">6</p>" in page
    assert "2 of 5 (40%)" in page
    # Headings in order: one h1, the three sections as h2 each with its measures as h3, then data quality.
    content = page[page.index("<h1") : page.index("</main>")]
    headings = [line.split(">")[0] for line in content.split("<h")[1:] if line[:1] in "123456"]
    levels = [int(h[0]) for h in headings]
    assert levels.count(1) == 1 and levels.count(2) == 7 and levels.count(3) == len(MEASURES)
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))
    for name in CHILD_NAMES:
        assert name not in page

    pdf = b"".join(client.get(reverse("reporting:pdf", args=[report.build.public_id])).streaming_content)  # type: ignore[attr-defined]
    pdf_file = tmp_path / "report.pdf"
    pdf_file.write_bytes(pdf)
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(pdf_file), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Children referred to the team" in text
    csv_text = b"".join(
        client.get(reverse("reporting:csv", args=[report.build.public_id])).streaming_content  # type: ignore[attr-defined]
    ).decode("utf-8-sig")
    assert "Children referred to the team" in csv_text
    for name in CHILD_NAMES:
        assert name not in text and name not in csv_text
    assert ReportDownload.objects.filter(report=report, user=tm).count() == 2


def test_another_teams_manager_cannot_open_this_teams_report(month_of_work: MonthOfWork, sign_in: SignIn) -> None:
    """The other team's manager has reports of their own, and still gets a 404 for this team's."""
    other_team = month_of_work.other_team
    report = report_request(team_id=month_of_work.team.pk, year=2025, month=3, by=None)
    theirs = report_request(team_id=other_team.pk, year=2025, month=3, by=None)
    other_tm = UserFactory.create(roles=[Role.TEAM_MANAGER], team=other_team, username="other-tm")
    client = sign_in(other_tm)
    assert client.get(reverse("reporting:detail", args=[theirs.public_id])).status_code == 200
    for name in ("detail", "pdf", "csv"):
        assert client.get(reverse(f"reporting:{name}", args=[report.public_id])).status_code == 404
    assert client.post(reverse("reporting:rebuild"), {"month": "3", "year": "2025"}).status_code == 302
    assert ReportBuild.objects.filter(team=month_of_work.team).count() == 1  # their rebuild is of their own team
    assert ReportBuild.objects.filter(team=other_team).count() == 2
