"""ACCEPTANCE (issue 7): the beat schedule's monthly task, run by a real Celery worker on Redis, stores exactly one PDF
and one CSV for each team's last month, however often it is sent; a build that fails leaves no half-written report,
says it failed, and the task's own retry then builds it.

The worker is another process: it reads this test's database (so the test commits, `transaction=True`), keeps its
files in this test's folder, and takes its tasks from a Redis database of its own, so a developer's running worker
cannot take them and nothing is left behind.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.db import transaction

from evolve.accounts.models import Team, User
from evolve.celery import app
from reporting.models import MonthlyReport, ReportBuild
from reporting.services import last_month, report_file_names, report_request
from tests.celery_worker import Worker, celery_worker
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

RETRY_SECONDS = 2  # the first retry's wait: long enough to look at the failed attempt before it runs again


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """The report files of both processes. settings.test puts them in the temporary folder's evolve-test-private-media,
    so the worker, given this test's folder as its temporary folder (TMPDIR), uses this same one."""
    root = tmp_path / "evolve-test-private-media"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


@pytest.fixture
def worker(transactional_db: None, media: Path, tmp_path: Path) -> Iterator[Worker]:
    with celery_worker(tmp_path, env={"REPORT_RETRY_SECONDS": str(RETRY_SECONDS)}) as running:
        yield running


def _files(root: Path, team: Team) -> list[str]:
    folder = root / "reports" / f"team-{team.pk}"
    return sorted(path.relative_to(root).as_posix() for path in folder.rglob("*") if path.is_file())


def test_the_monthly_task_on_a_real_worker_builds_each_teams_report_once_and_a_failed_build_retries(
    worker: Worker, media: Path, team: Team, team_manager: User
) -> None:
    other = TeamFactory.create(name="Another team")
    teams = list(Team.objects.order_by("pk"))
    assert {team, other} <= set(teams)
    month = last_month()  # the worker's is the same: both go by today's date in London
    beat = django_settings.CELERY_BEAT_SCHEDULE["reports-monthly"]
    assert beat["schedule"] == crontab(minute=30, hour=2, day_of_month=1)

    # The beat's task, twice (a restarted beat, a second scheduler): each team's last month is built once.
    app.send_task(str(beat["task"]))
    app.send_task(str(beat["task"]))

    def built() -> bool:
        return MonthlyReport.objects.count() == len(teams) and worker.idle()

    worker.wait_for(built, "every team's report to be built and the worker to be idle")
    builds = list(ReportBuild.objects.select_related("report").order_by("team_id"))
    assert [(b.team_id, b.year, b.month, b.version, b.requested_by_id) for b in builds] == [
        (each.pk, month.year, month.month, 1, None) for each in teams
    ]
    for build in builds:
        assert (build.attempts, build.failed_at) == (1, None)
        assert _files(media, build.team) == sorted(report_file_names(build))
        assert (media / build.report.pdf_name).read_bytes().startswith(b"%PDF-")
        assert (media / build.report.pdf_name).stat().st_size == build.report.pdf_size
        assert (media / build.report.csv_name).stat().st_size == build.report.csv_size
    first = next(build for build in builds if build.team_id == team.pk)

    # The team manager rebuilds the month, and the disk will not take the CSV: a folder is where it should go.
    with transaction.atomic():
        rebuild = report_request(team_id=team.pk, year=month.year, month=month.month, by=team_manager)
        pdf_name, csv_name = report_file_names(rebuild)
        in_the_way = media / csv_name
        in_the_way.mkdir(parents=True)
        (in_the_way / "not-a-report").write_text("A folder where the CSV should be written")
    # Committed: the build task is on its way to the worker.

    def failed() -> ReportBuild | None:
        return ReportBuild.objects.filter(pk=rebuild.pk, failed_at__isnull=False).first()

    attempt = worker.wait_for(failed, "the first attempt to fail")
    assert attempt.failure == "OSError"
    assert not MonthlyReport.objects.filter(build=rebuild).exists()
    assert not (media / pdf_name).exists()  # the attempt's PDF is gone with it
    assert _files(media, team) == sorted([*report_file_names(first), f"{csv_name}/not-a-report"])

    shutil.rmtree(in_the_way)  # the disk is fixed; the task's retry (after RETRY_SECONDS) builds it

    def retried() -> MonthlyReport | None:
        return MonthlyReport.objects.filter(build=rebuild).first()

    report = worker.wait_for(retried, "the retry to build the report")
    rebuild.refresh_from_db()
    assert (rebuild.version, rebuild.failed_at, rebuild.failure) == (2, None, "")
    assert rebuild.attempts >= 2
    assert (report.pdf_name, report.csv_name) == (pdf_name, csv_name)
    assert _files(media, team) == sorted([*report_file_names(first), pdf_name, csv_name])
    assert (media / csv_name).stat().st_size == report.csv_size
    assert "Retry in" in worker.output()
    # The first version stays as it was.
    assert MonthlyReport.objects.filter(build=first).exists()
