"""The monthly report as stored: asked for once by the schedule or again by a manager, built into a PDF and a CSV with
the known answers of tests/reporting/conftest.py, never half-written, retried when a build fails, and downloaded only
by its readers into a log nobody can change."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import time_machine
from django.core.files.base import File
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import Case, CaseAudit, QualitySample
from evolve.people.models import Child
from evolve.uploads.storage import PrivateStorage
from reporting.content import report_content
from reporting.document import CSV_HEADER, render_csv
from reporting.measures import MEASURES, Month
from reporting.models import DownloadFormat, MonthlyReport, ReportBuild, ReportDownload
from reporting.selectors import report_builds_waiting
from reporting.services import (
    BUILD_LOCK_SPACE,
    ReportBeingBuilt,
    ReportRefused,
    last_month,
    report_build,
    report_download_record,
    report_failed,
    report_file_names,
    report_request,
    reports_schedule,
)
from reporting.tasks import report_build_task
from tests.factories import TeamFactory, UserFactory
from tests.reporting.conftest import MARCH_TOTALS, MonthOfWork, london

pytestmark = pytest.mark.django_db

# Known answers for March 2025 and February 2025 (tests/reporting/conftest.py, and test_measures.py for each).
FEBRUARY_TOTALS = {
    "1": 1,  # G reached Evolve on 10 February
    "2": 1,  # G decided on 11 February
    "3": 1,  # G open since February
    "4": 1,  # investigation 4 names G
    "5": 1,  # investigation 4 names P1
    "6": 2,  # prosecutions 4 and 5 charged in February
    "7": 1,  # the licensing review of 15 February
    "8": 0,
    "9": 0,
    "missing": 0,  # G's one episode, at 23:59 on 28 February
    "intelligence": 0,
    "positive_outcomes": 0,
}
MARCH_QUALITY = {
    "undecided_overdue": 1,
    "investigation_no_perpetrator": 1,
    "investigation_no_child": 1,
    "case_unallocated": 1,
}
STATEMENTS_PER_MONTH = 17  # test_measures.py: the twelve measures' statements for one month
DATA_QUALITY_STATEMENTS = 3
QUALITY_ASSURANCE_STATEMENTS = 1


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Each test's report files in a folder of its own."""
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


@pytest.fixture
def other_team() -> Team:
    return TeamFactory.create(name="Another team")


@pytest.fixture
def tm(make_user: Callable[..., User]) -> User:
    return make_user(Role.TEAM_MANAGER, in_team=True, username="tm")


def _files(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def _march(team: Team, by: User | None = None) -> ReportBuild:
    return report_request(team_id=team.pk, year=2025, month=3, by=by)


def _pdf_text(path: Path) -> str:
    out = subprocess.run(["/usr/bin/pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())  # a title may wrap in its column


def _state(build: ReportBuild) -> tuple[Any, ...]:
    """What the reports page says of a build: when its last attempt failed, how, and how many attempts."""
    return ReportBuild.objects.values_list("failed_at", "failure", "attempts").get(pk=build.pk)


def _csv_lines(root: Path, report: MonthlyReport) -> list[dict[str, str]]:
    text = (root / report.csv_name).read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == CSV_HEADER
    return list(reader)


# Asking for a report -----------------------------------------------------------------------------------------------


def test_the_schedule_asks_for_a_month_once(team: Team, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as sent:
        first = _march(team)
        again = _march(team)
    assert again == first
    assert (first.version, first.requested_by, first.attempts, first.failed_at) == (1, None, 0, None)
    assert ReportBuild.objects.count() == 1
    assert len(sent) == 1  # one build task, sent once the request is committed


def test_a_managers_rebuild_is_a_new_version_and_the_first_stays(
    team: Team, tm: User, make_user: Callable[..., User], media: Path
) -> None:
    first = _march(team)
    first_report = report_build(build_id=first.pk)
    rebuilt = _march(team, by=tm)
    assert (rebuilt.version, rebuilt.requested_by) == (2, tm)
    ds = make_user(Role.DETECTIVE_SERGEANT, in_team=True, username="ds")
    assert _march(team, by=ds).version == 3
    # The schedule asking again finds the first version; it does not ask for a fourth.
    assert _march(team) == first
    second_report = report_build(build_id=rebuilt.pk)
    assert list(ReportBuild.objects.filter(team=team).order_by("version").values_list("version", flat=True)) == [
        1,
        2,
        3,
    ]
    kept = MonthlyReport.objects.get(build=first)
    assert (kept.pdf_sha256, kept.csv_sha256) == (first_report.pdf_sha256, first_report.csv_sha256)
    assert second_report.pdf_name.endswith("2025-03-v2.pdf")
    assert _files(media) == sorted([*report_file_names(first), *report_file_names(rebuilt)])


def test_versions_count_per_team_and_month(team: Team, tm: User, other_team: Team) -> None:
    assert [_march(team).version, _march(team, by=tm).version] == [1, 2]
    february = report_request(team_id=team.pk, year=2025, month=2, by=tm)
    assert february.version == 1
    assert _march(other_team).version == 1
    assert report_request(team_id=team.pk, year=2024, month=3, by=None).version == 1


@pytest.mark.parametrize(
    ("year", "month", "words"),
    [
        (2025, 4, "April 2025 has not ended yet"),  # this month
        (2025, 5, "May 2025 has not ended yet"),  # next month
        (2025, 13, "Choose a month from 1 to 12"),
        (2025, 0, "Choose a month from 1 to 12"),
        (1999, 12, "Reports start in 2000"),
    ],
)
def test_a_month_not_yet_over_or_out_of_range_is_refused(
    team: Team, tm: User, year: int, month: int, words: str
) -> None:
    with time_machine.travel(london(2025, 4, 15), tick=False):
        for by in (None, tm):
            with pytest.raises(ReportRefused, match=words):
                report_request(team_id=team.pk, year=year, month=month, by=by)
    assert not ReportBuild.objects.exists()


def test_a_month_can_be_reported_from_midnight_london_time(team: Team, tm: User) -> None:
    # 23:59 on 31 March 2025 in British Summer Time is 22:59 in UTC: March has not ended.
    with time_machine.travel(london(2025, 3, 31, 23, 59), tick=False):
        with pytest.raises(ReportRefused, match="March 2025 has not ended yet"):
            _march(team, by=tm)
        assert last_month() == Month(2025, 2)
    assert not ReportBuild.objects.exists()
    with time_machine.travel(london(2025, 4, 1, 0, 0), tick=False):
        assert _march(team, by=tm).version == 1
        assert last_month() == Month(2025, 3)


def test_only_the_teams_manager_or_detective_sergeant_may_rebuild(
    team: Team, tm: User, other_team: Team, make_user: Callable[..., User]
) -> None:
    refused = [
        make_user(Role.PRACTITIONER, in_team=True, username="practitioner"),
        make_user(Role.GOVERNANCE, username="board"),
        make_user(Role.GOVERNANCE, in_team=True, username="team-board"),
        make_user(Role.HEAD_OF_SERVICE, username="hos"),
        make_user(Role.SERVICE_MANAGER, username="di"),
        make_user(Role.ADMINISTRATOR, username="admin"),
        make_user(Role.TEAM_MANAGER, username="no-team-tm"),
        make_user(Role.TEAM_MANAGER, in_team=True, username="left", is_active=False),
        UserFactory.create(roles=[Role.TEAM_MANAGER], team=other_team, username="other-tm"),
        UserFactory.create(roles=[Role.DETECTIVE_SERGEANT], team=other_team, username="other-ds"),
    ]
    for user in refused:
        with pytest.raises(ReportRefused, match="Only the team's manager or detective sergeant"):
            _march(team, by=user)
    assert not ReportBuild.objects.exists()
    ds = make_user(Role.DETECTIVE_SERGEANT, in_team=True, username="ds")
    assert [(b.version, b.requested_by) for b in (_march(team, by=tm), _march(team, by=ds))] == [(1, tm), (2, ds)]


def test_the_schedule_asks_for_last_month_for_every_team_and_only_once(
    team: Team, other_team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as sent:
        builds = reports_schedule(today=date(2025, 4, 1))
    assert sorted((b.team_id, b.year, b.month, b.version, b.requested_by) for b in builds) == [
        (team.pk, 2025, 3, 1, None),
        (other_team.pk, 2025, 3, 1, None),
    ]
    assert len(sent) == 2
    with django_capture_on_commit_callbacks(execute=False) as sent_again:
        again = reports_schedule(today=date(2025, 4, 1))
    assert again == builds and ReportBuild.objects.count() == 2
    assert sent_again == []
    # January's schedule asks for December of the year before.
    assert {(b.year, b.month) for b in reports_schedule(today=date(2025, 1, 1))} == {(2024, 12)}


def test_the_schedule_just_after_midnight_on_the_first_asks_for_the_month_just_ended(team: Team) -> None:
    # 00:30 on 1 April in London is still 31 March in UTC.
    with time_machine.travel(london(2025, 4, 1, 0, 30), tick=False):
        (build,) = reports_schedule()
    assert (build.year, build.month) == (2025, 3)


# Building it -------------------------------------------------------------------------------------------------------


def test_a_build_stores_a_pdf_and_a_csv_then_records_them_and_runs_only_once(
    month_of_work: MonthOfWork, media: Path
) -> None:
    team = month_of_work.team
    build = _march(team)
    report = report_build(build_id=build.pk)
    pdf_name, csv_name = report_file_names(build)
    assert (report.pdf_name, report.csv_name) == (pdf_name, csv_name)
    assert pdf_name == f"reports/team-{team.pk}/2025-03-v1.pdf"
    assert _files(media) == [csv_name, pdf_name]
    pdf, csv_bytes = (media / pdf_name).read_bytes(), (media / csv_name).read_bytes()
    assert pdf.startswith(b"%PDF-") and csv_bytes.startswith(b"\xef\xbb\xbf")  # Excel reads the byte-order mark
    assert (hashlib.sha256(pdf).hexdigest(), len(pdf)) == (report.pdf_sha256, report.pdf_size)
    assert (hashlib.sha256(csv_bytes).hexdigest(), len(csv_bytes)) == (report.csv_sha256, report.csv_size)
    written = {name: (media / name).stat().st_mtime_ns for name in (pdf_name, csv_name)}

    again = report_build(build_id=build.pk)
    assert again == report and MonthlyReport.objects.count() == 1
    assert {name: (media / name).stat().st_mtime_ns for name in (pdf_name, csv_name)} == written
    build.refresh_from_db()
    assert (build.attempts, build.failed_at, build.failure) == (1, None, "")


def test_the_report_says_what_the_known_answers_say(month_of_work: MonthOfWork) -> None:
    report = report_build(build_id=_march(month_of_work.team).pk)
    content = MonthlyReport.objects.get(pk=report.pk).content  # as stored
    assert (content["team"], content["month"], content["month_label"]) == ("Evolve", "2025-03", "March 2025")
    measures = {m["key"]: m for m in content["measures"]}
    assert list(measures) == [measure.key for measure in MEASURES]
    assert {key: m["total"] for key, m in measures.items()} == MARCH_TOTALS
    for key, measure in measures.items():
        trend = measure["trend"]
        assert [p["month"] for p in trend] == [f"2024-{m:02d}" for m in range(3, 13)] + [
            "2025-01",
            "2025-02",
            "2025-03",
        ]
        assert trend[-1]["total"] == MARCH_TOTALS[key] and trend[-2]["total"] == FEBRUARY_TOTALS[key], key
        assert all(point["total"] == 0 for point in trend[:-2]), key  # nothing before February
        assert (trend[-1]["label"], trend[-2]["name"]) == ("Mar 2025", "February 2025")

    # Breakdowns, with the agencies', decisions' and outcomes' own names.
    rows = {key: {row["key"]: row["count"] for row in m["rows"]} for key, m in measures.items()}
    labelled = {key: {row["label"]: row["count"] for row in m["rows"]} for key, m in measures.items()}
    assert labelled["1"] == {"Children's Services": 1, "Hilltop School": 6}
    assert rows["2"] == {
        "strategy_discussion": 1,
        "urgent_cin": 1,
        "risk_assessment_meeting": 2,
        "early_help_advice": 0,
        "referrer_advice": 1,
    }
    assert measures["2"]["related"] == [
        {"key": "awaiting", "label": "Awaiting a decision at the month end", "count": 2, "denominator": None}
    ]
    assert labelled["3"] == {"Children's Services": 1, "Foundation Trust": 1, "Police Public Protection Unit": 1}
    assert {row["key"]: row["count"] for row in measures["4"]["related"]} == {"investigations": 2, "children": 2}
    assert {k: n for k, n in rows["7"].items() if n} == {"cawn": 2, "sro": 1}
    assert rows["8"] == {"convicted": 1, "acquitted": 1, "discontinued": 0, "no_further_action": 0, "other": 0}
    assert rows["9"] == {"cawn/complied": 1, "cawn/breached": 1, "licensing/revoked": 1}
    assert labelled["intelligence"] == {"Foundation Trust": 2, "Police Public Protection Unit": 2}

    # The rate shows both its parts, and each part its own.
    rate = measures["positive_outcomes"]
    assert (rate["is_rate"], rate["numerator"], rate["denominator"]) == (True, 2, 5)
    assert [(r["key"], r["count"], r["denominator"]) for r in rate["rows"]] == [
        ("prosecutions", 1, 2),
        ("disruptions", 1, 3),
    ]
    assert (rate["trend"][-2]["numerator"], rate["trend"][-2]["denominator"]) == (0, 0)

    # Direction of travel, against February and the average of the twelve months before.
    assert measures["1"]["direction"] == {
        "way": "up",
        "words": "Up 5 on February 2025; the average of the previous 12 months was 0.1.",
    }
    assert (
        measures["3"]["direction"]["words"] == "Up 2 on February 2025; the average of the previous 12 months was 0.1."
    )
    assert measures["6"]["direction"] == {
        "way": "same",
        "words": "The same as February 2025; the average of the previous 12 months was 0.2.",
    }
    # February had no rate (nothing concluded), so there is nothing to compare March's with.
    assert rate["direction"] == {"way": "none", "words": "No figure for the month before to compare with."}

    assert {row["key"]: row["count"] for row in content["data_quality"]} == MARCH_QUALITY
    assert all(row["label"] and row["denominator"] is None for row in content["data_quality"])


def test_the_month_after_goes_down_and_a_rate_moves_in_percentage_points(month_of_work: MonthOfWork) -> None:
    april = report_content(team_id=month_of_work.team.pk, team_name="Evolve", year=2025, month=4)
    measures = {m["key"]: m for m in april["measures"]}
    # The average of the twelve months before is 3/12 = 0.25, rounded half up as a spreadsheet does.
    assert measures["9"]["direction"] == {
        "way": "down",
        "words": "Down 3 on March 2025; the average of the previous 12 months was 0.3.",
    }
    # 0 of 1 (0%) in April against 2 of 5 (40%) in March, the only earlier month with a rate.
    assert measures["positive_outcomes"]["direction"] == {
        "way": "down",
        "words": "Down 40 percentage points on March 2025.",
    }


def test_the_csv_has_every_figure_of_the_report(month_of_work: MonthOfWork, media: Path) -> None:
    report = report_build(build_id=_march(month_of_work.team).pk)
    lines = _csv_lines(media, report)
    by_measure: dict[str, list[dict[str, str]]] = {}
    for line in lines:
        by_measure.setdefault(line["measure"], []).append(line)
    assert list(by_measure) == [measure.key for measure in MEASURES] + ["data_quality", "quality_assurance"]
    # No sample was drawn for March: none drawn, none audited, and a line per grade at zero.
    assurance = by_measure["quality_assurance"]
    assert [(line["line"], line["count"], line["denominator"]) for line in assurance] == [
        ("completed", "0", "0"),
        ("grade:good", "0", "0"),
        ("grade:requires_improvement", "0", "0"),
        ("grade:inadequate", "0", "0"),
    ]

    for measure in MEASURES:
        own = by_measure[measure.key]
        (total,) = [line for line in own if line["line"] == "total"]
        assert (total["month"], total["measure_title"], total["label"]) == ("2025-03", measure.title, measure.title)
        assert total["section"] == measure.section.value
        assert int(total["count"]) == MARCH_TOTALS[measure.key]
        trend = [line for line in own if line["line"] == "trend"]
        assert [line["month"] for line in trend] == [f"2024-{m:02d}" for m in range(3, 13)] + ["2025-01", "2025-02"]
        assert int(trend[-1]["count"]) == FEBRUARY_TOTALS[measure.key], measure.key
        stored = next(m for m in report.content["measures"] if m["key"] == measure.key)
        assert len(own) == 1 + len(stored["rows"]) + len(stored["related"]) + 12

    one = {line["line"]: line for line in by_measure["1"]}
    assert one[f"breakdown:agency-{month_of_work.school.pk}"]["label"] == "Hilltop School"
    assert one[f"breakdown:agency-{month_of_work.school.pk}"]["count"] == "6"
    two = {line["line"]: line["count"] for line in by_measure["2"]}
    assert (two["breakdown:risk_assessment_meeting"], two["related:awaiting"]) == ("2", "2")
    rate = {line["line"]: line for line in by_measure["positive_outcomes"]}
    assert [rate["total"][k] for k in ("count", "denominator", "percent")] == ["2", "5", "40%"]
    assert [rate["breakdown:prosecutions"][k] for k in ("count", "denominator", "percent")] == ["1", "2", "50%"]
    february_rate = [line for line in by_measure["positive_outcomes"] if line["month"] == "2025-02"]
    assert [(line["count"], line["denominator"], line["percent"]) for line in february_rate] == [("0", "0", "")]

    quality = {line["line"]: int(line["count"]) for line in by_measure["data_quality"]}
    assert quality == MARCH_QUALITY
    assert {line["section"] for line in by_measure["data_quality"]} == {"Data quality"}


def test_the_csv_quotes_text_a_spreadsheet_would_run_as_a_formula() -> None:
    def row(key: str, label: str) -> dict[str, Any]:
        return {"key": key, "label": label, "count": 1, "denominator": None}

    def point(month: str) -> dict[str, Any]:
        return {"month": month, "label": month, "name": month, "total": 1, "numerator": None, "denominator": None}

    dangerous = ['=HYPERLINK("https://example.invalid","Click")', "+44 123", "-1+1", "@SUM(A1:A9)", "\tTab"]
    content = {
        "team": "=Team",
        "month": "2025-03",
        "month_label": "March 2025",
        "measures": [
            {
                "key": "1",
                "title": "Children referred to the team",
                "section_title": "How much did we do?",
                "is_rate": False,
                "total": 5,
                "numerator": None,
                "denominator": None,
                "rows": [row(f"agency-{n}", label) for n, label in enumerate([*dangerous, "Hilltop School"])],
                "related": [],
                "trend": [point("2025-02"), point("2025-03")],
            }
        ],
        "data_quality": [row("case_unallocated", "=1+1")],
    }
    lines = list(csv.DictReader(io.StringIO(render_csv(content=content))))
    labels = [line["label"] for line in lines if line["line"].startswith("breakdown:")]
    assert labels == [f"'{label}" for label in dangerous] + ["Hilltop School"]
    assert [line["label"] for line in lines if line["measure"] == "data_quality"] == ["'=1+1"]
    assert [line["count"] for line in lines if line["line"] == "trend"] == ["1"]  # the month itself is the total


def test_the_pdf_shows_every_measure_and_no_child(month_of_work: MonthOfWork, media: Path) -> None:
    report = report_build(build_id=_march(month_of_work.team).pk)
    text = _pdf_text(media / report.pdf_name)
    assert "Monthly report: March 2025" in text and "Version 1" in text
    for section in ("How much did we do?", "How well did we do it?", "Is anyone better off?"):
        assert section in text
    for measure in MEASURES:
        assert measure.title in text, measure.title
    assert "Up 5 on February 2025" in text
    assert "2 of 5 (40%)" in text
    assert "Data quality" in text
    assert "Investigations opened in the month naming no person of concern" in text
    # No child is named: not the children of this month's work, nor any other child on record.
    assert "Testchild" not in text
    children = list(Child.objects.all())
    assert len(children) >= 9
    for child in children:
        assert child.full_name not in text


def test_the_team_is_named_as_written_on_every_page(media: Path) -> None:
    team = TeamFactory.create(name="St Mary's & Riverside")
    report = report_build(build_id=_march(team).pk)
    out = subprocess.run(
        ["/usr/bin/pdftotext", str(media / report.pdf_name), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = out.split("\f")[:-1]  # pdftotext ends each page with a form feed
    assert len(pages) > 1
    for page in pages:
        assert "St Mary's & Riverside, monthly report March 2025, version 1" in page
    assert "&#x27;" not in out and "&amp;" not in out


# When a build fails ------------------------------------------------------------------------------------------------


def _failing_csv_save(
    monkeypatch: pytest.MonkeyPatch,
    *,
    times: int,
    saved: list[str] | None = None,
    before: Callable[[], None] = lambda: None,
) -> None:
    """The disk fills up as the CSV is written, `times` times; the names stored before are added to `saved`."""
    real_save = PrivateStorage.save
    failures = [0]

    def save(self: PrivateStorage, name: str, content: File[Any], max_length: int | None = None) -> str:
        if name.endswith(".csv"):
            before()
            if failures[0] < times:
                failures[0] += 1
                raise OSError(28, "No space left on device")
        stored = real_save(self, name, content, max_length=max_length)
        if saved is not None:
            saved.append(stored)
        return stored

    monkeypatch.setattr(PrivateStorage, "save", save)


def test_a_failed_build_leaves_no_report_and_no_file_and_the_failure_shows(
    team: Team, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _march(team)
    pdf_name, csv_name = report_file_names(build)
    saved: list[str] = []
    with monkeypatch.context() as broken:
        _failing_csv_save(broken, times=1, saved=saved)
        with pytest.raises(OSError, match="No space left on device") as failed:
            report_build(build_id=build.pk)
    assert saved == [pdf_name]  # the PDF was written in that attempt...
    assert _files(media) == []  # ...and removed
    assert not MonthlyReport.objects.exists()
    report_failed(build_id=build.pk, error=failed.value)
    failed_at, failure, attempts = _state(build)
    assert failed_at is not None and (failure, attempts) == ("OSError", 1)

    report = report_build(build_id=build.pk)
    assert _state(build) == (None, "", 2)
    assert _files(media) == [csv_name, pdf_name] and report.build == build
    # Once built, a late failure report of an earlier attempt does not mark it failed.
    report_failed(build_id=build.pk, error=OSError())
    assert _state(build) == (None, "", 2)


def test_a_file_that_appears_under_the_reports_name_mid_build_is_not_left_behind(
    team: Team, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another run writes the CSV between this run clearing the name and saving its own: the storage then keeps this
    run's file under another name. The build fails, and removes what it wrote, that file included."""
    build = _march(team)
    _, csv_name = report_file_names(build)
    (media / csv_name).parent.mkdir(parents=True)
    (media / csv_name).write_text("left by a run that died")
    real_delete = PrivateStorage.delete
    raced: list[str] = []

    def delete(self: PrivateStorage, name: str) -> None:
        real_delete(self, name)
        if name == csv_name and not raced:
            raced.append(name)
            Path(self.path(name)).write_text("another run's")

    monkeypatch.setattr(PrivateStorage, "delete", delete)
    with pytest.raises(RuntimeError, match="could not be stored under its own name"):
        report_build(build_id=build.pk)
    assert raced == [csv_name]
    assert _files(media) == [csv_name] and (media / csv_name).read_text() == "another run's"
    assert not MonthlyReport.objects.exists()


def test_the_task_retries_a_failed_build_and_the_failure_shows_until_it_succeeds(
    team: Team, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _march(team)
    seen: list[tuple[Any, ...]] = []

    def look() -> None:
        seen.append(ReportBuild.objects.values_list("attempts", "failure").get(pk=build.pk))

    _failing_csv_save(monkeypatch, times=1, before=look)
    result = report_build_task.apply(args=(build.pk,))
    assert result.state == "SUCCESS"
    report = MonthlyReport.objects.get(build=build)
    assert result.result == report.pk
    assert seen == [(1, ""), (2, "OSError")]  # the retry ran while the page said the first attempt failed
    build.refresh_from_db()
    assert (build.attempts, build.failed_at, build.failure) == (2, None, "")
    assert _files(media) == sorted(report_file_names(build))


def test_a_build_that_keeps_failing_gives_up_after_its_retries_and_stays_marked_failed(
    team: Team, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _march(team)
    _failing_csv_save(monkeypatch, times=100)
    result = report_build_task.apply(args=(build.pk,))
    assert result.state == "FAILURE" and isinstance(result.result, OSError)
    build.refresh_from_db()
    assert report_build_task.max_retries == 6
    assert build.attempts == 7  # the first and six retries
    assert build.failed_at is not None and build.failure == "OSError"
    assert not MonthlyReport.objects.exists() and _files(media) == []
    # The hourly sweep leaves it while a retry of the task could still be coming, then asks for it again.
    assert report_builds_waiting(older_than=timedelta(0)) == []
    with time_machine.travel(timezone.now() + timedelta(minutes=66)):
        assert report_builds_waiting(older_than=timedelta(0)) == [build.pk]


def test_a_build_already_running_elsewhere_is_left_to_that_run(team: Team, media: Path) -> None:
    """A retry and the sweep's second asking can meet: the second run neither writes nor marks anything failed."""
    build = _march(team)
    other = psycopg.connect(dbname=connection.settings_dict["NAME"], host="127.0.0.1", user="postgres", autocommit=True)
    try:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [BUILD_LOCK_SPACE, build.pk])
        with pytest.raises(ReportBeingBuilt):
            report_build(build_id=build.pk)
        result = report_build_task.apply(args=(build.pk,))
        assert result.state == "SUCCESS" and result.result is None
        build.refresh_from_db()
        assert (build.attempts, build.failed_at) == (0, None)
        assert not MonthlyReport.objects.exists() and _files(media) == []
    finally:
        # Released before closing: a closed session's locks go only when its server process has finished, which
        # under load can be after the next line.
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [BUILD_LOCK_SPACE, build.pk])
        other.close()
    assert report_build(build_id=build.pk).build_id == build.pk
    assert _files(media) == sorted(report_file_names(build))


# Cost ----------------------------------------------------------------------------------------------------------------


def test_the_report_costs_the_same_statements_for_a_busy_team_as_for_an_empty_one(month_of_work: MonthOfWork) -> None:
    quiet = TeamFactory.create(name="Quiet team")

    def statements(team: Team) -> int:
        with CaptureQueriesContext(connection) as queries:
            report_content(team_id=team.pk, team_name=team.name, year=2025, month=3)
        return len(queries)

    statements(quiet)  # anything cached on first use
    assert (
        statements(month_of_work.team)
        == statements(quiet)
        == (13 * STATEMENTS_PER_MONTH + DATA_QUALITY_STATEMENTS + QUALITY_ASSURANCE_STATEMENTS)
    )


# Downloads ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def report(team: Team) -> MonthlyReport:
    return report_build(build_id=_march(team).pk)


def test_a_readers_download_is_logged_and_anyone_else_is_refused(
    report: MonthlyReport, team: Team, other_team: Team, make_user: Callable[..., User]
) -> None:
    readers = [
        make_user(Role.GOVERNANCE, username="board"),  # no team: every team's reports
        make_user(Role.GOVERNANCE, in_team=True, username="team-board"),
        make_user(Role.HEAD_OF_SERVICE, username="hos"),
        make_user(Role.SERVICE_MANAGER, username="di"),
        make_user(Role.TEAM_MANAGER, in_team=True, username="tm"),
        make_user(Role.DETECTIVE_SERGEANT, in_team=True, username="ds"),
    ]
    for number, user in enumerate(readers):
        kind = DownloadFormat.PDF if number % 2 else DownloadFormat.CSV
        download = report_download_record(user=user, report=report, format=kind)
        assert (download.report, download.user, download.agency, download.format) == (report, user, user.agency, kind)
    refused = [
        make_user(Role.PRACTITIONER, in_team=True, username="practitioner"),
        make_user(Role.REFERRER, username="teacher"),
        make_user(Role.ADMINISTRATOR, username="admin"),
        make_user(Role.TEAM_MANAGER, username="no-team-tm"),
        make_user(Role.GOVERNANCE, username="left", is_active=False),
        UserFactory.create(roles=[Role.TEAM_MANAGER], team=other_team, username="other-tm"),
        UserFactory.create(roles=[Role.GOVERNANCE], team=other_team, username="other-board"),
    ]
    for user in refused:
        with pytest.raises(ReportRefused, match="cannot see this team's reports"):
            report_download_record(user=user, report=report, format=DownloadFormat.PDF)
    assert ReportDownload.objects.count() == len(readers)
    assert set(ReportDownload.objects.values_list("user", flat=True)) == {user.pk for user in readers}


def test_the_download_log_cannot_be_changed_or_deleted(report: MonthlyReport, governance: User) -> None:
    download = report_download_record(user=governance, report=report, format=DownloadFormat.CSV)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ReportDownload.objects.filter(pk=download.pk).update(format=DownloadFormat.PDF)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        download.delete()
    assert list(ReportDownload.objects.values_list("pk", "format")) == [(download.pk, "csv")]


def test_the_report_counts_the_months_quality_assurance_audits_by_grade_and_names_no_child(
    month_of_work: MonthOfWork,
) -> None:
    tm = month_of_work.crew["tm"]
    sample = QualitySample.objects.create(
        team=month_of_work.team, year=2025, month=3, size_asked=40, drawn_at=london(2025, 3, 1, 2, 45)
    )
    cases = list(Case.objects.filter(team=month_of_work.team)[:3])
    assert len(cases) == 3
    for case, grade in zip(cases, ["good", "inadequate", ""], strict=True):
        CaseAudit.objects.create(
            sample=sample,
            case=case,
            grade=grade,
            findings="Thorough findings." if grade else "",
            completed_at=london(2025, 3, 20) if grade else None,
            completed_by=tm if grade else None,
        )
    content = report_content(team_id=month_of_work.team.pk, team_name="Evolve", year=2025, month=3)
    assurance = content["quality_assurance"]
    assert (assurance["drawn"], assurance["completed"]) == (3, 2)
    assert {row["key"]: (row["count"], row["denominator"]) for row in assurance["rows"]} == {
        "good": (1, 2),
        "requires_improvement": (0, 2),
        "inadequate": (1, 2),
    }
    assert "Testchild" not in str(content)
    # April has no sample.
    april = report_content(team_id=month_of_work.team.pk, team_name="Evolve", year=2025, month=4)
    assert (april["quality_assurance"]["drawn"], april["quality_assurance"]["completed"]) == (0, 0)


def test_the_sweep_does_not_build_a_failed_version_once_a_later_one_is_built(team: Team, media: Path) -> None:
    """Built late, the failed version would count later data than the version that replaced it."""
    failed = _march(team)
    report_failed(build_id=failed.pk, error=OSError())
    tm = UserFactory.create(roles=[Role.TEAM_MANAGER], team=team)
    later = _march(team, by=tm)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert report_builds_waiting() == [failed.pk, later.pk]
        report_build(build_id=later.pk)
        assert report_builds_waiting() == []
