"""An adversarial review of the monthly report (issue 7): the rebuild form's input, the failure banner, two rebuilds
at once, names that carry markup, and what a report's page costs as its versions and downloads grow. Each test names
the property it checks."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evolve.accounts.models import Team, User
from reporting.document import render_pdf
from reporting.models import DownloadFormat, MonthlyReport, ReportBuild
from reporting.services import report_build, report_download_record, report_failed, report_request

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
MARKUP = '<script>alert("x")</script><b>Bold</b>'


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


def _built(team: Team, year: int = 2025, month: int = 2) -> MonthlyReport:
    return report_build(build_id=report_request(team_id=team.pk, year=year, month=month, by=None).pk)


# Defects ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "posted",
    [
        {"month": "\u00b2", "year": "2025"},  # a superscript two: str.isdigit() says yes, int() says no
        {"month": "3", "year": "\u00b2\u00b2\u00b2\u00b2"},
    ],
)
def test_the_rebuild_form_refuses_digits_int_cannot_read_with_a_message(
    crew: dict[str, User], sign_in: SignIn, posted: dict[str, str]
) -> None:
    response = sign_in(crew["tm"]).post(reverse("reporting:rebuild"), posted)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not ReportBuild.objects.exists()


@pytest.mark.parametrize("year", ["9999", "0000"])
def test_the_rebuild_form_blames_the_year_not_the_month_for_a_year_out_of_range(
    crew: dict[str, User], sign_in: SignIn, year: str
) -> None:
    """Month 3 is a real month: the refusal must be about the year (and link to the year box)."""
    response = sign_in(crew["tm"]).post(reverse("reporting:rebuild"), {"month": "3", "year": year})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose a month from 1 to 12" not in page
    assert 'href="#rebuild-year"' in page
    assert not ReportBuild.objects.exists()


def test_the_failed_banner_goes_once_a_later_version_of_that_month_is_built(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    """The schedule's version of February failed; the manager built February again and it worked. The list must not
    keep saying "The latest report could not be built yet" above a built latest report (the failed version's row
    still says it failed)."""
    first = report_request(team_id=team.pk, year=2025, month=2, by=None)
    report_failed(build_id=first.pk, error=OSError())
    again = report_request(team_id=team.pk, year=2025, month=2, by=crew["tm"])
    report_build(build_id=again.pk)
    listing = sign_in(crew["tm"]).get(reverse("reporting:list")).content.decode()
    assert "Building failed at" in listing  # version 1's row
    assert 'data-testid="failed-banner"' not in listing


# What holds ---------------------------------------------------------------------------------------------------------


def test_markup_in_a_team_or_agency_name_is_shown_as_text_on_the_page_and_in_the_pdf(
    crew: dict[str, User], team: Team, sign_in: SignIn, tmp_path: Path
) -> None:
    report = _built(team)
    content = report.content
    content["team"] = MARKUP
    referred = next(measure for measure in content["measures"] if measure["key"] == "1")
    referred["rows"] = [{"key": "agency-9", "label": MARKUP, "count": 1, "denominator": None}]
    MonthlyReport.objects.filter(pk=report.pk).update(content=content)
    Team.objects.filter(pk=team.pk).update(name=MARKUP)
    page = sign_in(crew["governance"]).get(reverse("reporting:detail", args=[report.build.public_id])).content.decode()
    assert "<script>alert" not in page and "<b>Bold</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;Bold&lt;/b&gt;" in page
    listing = sign_in(crew["governance"]).get(reverse("reporting:list")).content.decode()
    assert "<script>alert" not in listing
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(content=content, version=1, built_at=report.built_at))
    text = subprocess.run(["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert MARKUP in text  # drawn as the characters typed, not as markup


def test_the_download_file_name_carries_the_team_and_month_only(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    Team.objects.filter(pk=team.pk).update(name='Evolve "North"/../East')
    report = _built(team)
    response = sign_in(crew["tm"]).get(reverse("reporting:csv", args=[report.build.public_id]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="evolve-northeast-report-2025-02-v1.csv"'


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_reports_page_costs_the_same_however_many_versions_and_downloads(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    report = _built(team)
    report_download_record(user=crew["tm"], report=report, format=DownloadFormat.PDF)
    client = sign_in(crew["tm"])
    url = reverse("reporting:detail", args=[report.build.public_id])
    few = _queries(client, url)
    for _ in range(4):
        report_request(team_id=team.pk, year=2025, month=2, by=crew["ds"])
    for reader in (crew["ds"], crew["governance"], crew["head_of_service"], crew["di"]):
        report_download_record(user=reader, report=report, format=DownloadFormat.CSV)
    assert _queries(client, url) == few


@pytest.mark.django_db(transaction=True)
def test_three_rebuilds_of_a_month_at_once_get_three_versions(
    crew: dict[str, User], team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manager and the detective sergeant build February again at the same moment (twice over): each gets a
    version of its own, 1 to 3, with no error. (The build is not dispatched: this is about the versions.)"""
    monkeypatch.setattr("reporting.services._ask_for_build", lambda build_id: None)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def rebuild(by: User) -> None:
        try:
            start.wait()
            report_request(team_id=team.pk, year=2025, month=2, by=by)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=rebuild, args=(by,)) for by in (crew["tm"], crew["ds"], crew["tm"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(ReportBuild.objects.values_list("version", flat=True)) == [1, 2, 3]
