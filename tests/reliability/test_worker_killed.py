"""ACCEPTANCE (issue 10): a real worker killed with SIGKILL in the middle of building a report (the PDF written,
nothing recorded yet) and started again yields exactly one report: the task, unacknowledged, goes back on the queue,
and the build on the second worker replaces the dead one's file rather than leaving it or adding a second.

The pause is put in the worker by a module only the test loads (tests/reliability/pause_storage.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from evolve.accounts.models import Team, User
from reporting.models import MonthlyReport, ReportBuild
from reporting.services import last_month, report_file_names, report_request
from tests.celery_worker import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)

VISIBILITY_SECONDS = 3  # how long an unacknowledged task waits before it goes back on the queue


def _stored(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def test_a_worker_killed_mid_build_and_restarted_yields_exactly_one_report(
    tmp_path: Path, settings: Any, team: Team, team_manager: User
) -> None:
    media = tmp_path / "evolve-test-private-media"
    settings.PRIVATE_MEDIA_ROOT = media
    marker = tmp_path / "paused"
    env = {
        "CELERY_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_SECONDS),
        "EVOLVE_TEST_PAUSE_AFTER_SAVING": ".pdf",
        "EVOLVE_TEST_PAUSE_MARKER": str(marker),
    }
    month = last_month()
    with celery_worker(tmp_path, env=env, start=False) as worker:
        worker.command.append("--include=tests.reliability.pause_storage")
        worker.start()
        with transaction.atomic():
            build = report_request(team_id=team.pk, year=month.year, month=month.month, by=team_manager)
        pdf_name, csv_name = report_file_names(build)

        worker.wait_for(marker.exists, "the build to write its PDF and pause")
        worker.kill()
        assert _stored(media) == [pdf_name]  # the dead build's PDF, and no report recorded
        assert not MonthlyReport.objects.exists()
        assert worker.broker.hlen("unacked") == 1, "the task was taken and never acknowledged"

        del worker.env["EVOLVE_TEST_PAUSE_AFTER_SAVING"]
        worker.start()

        def built() -> bool:
            return MonthlyReport.objects.exists() and worker.idle()

        worker.wait_for(built, "the task to come back and build the report")

    (report,) = MonthlyReport.objects.all()
    build.refresh_from_db()
    assert report.build_id == build.pk and build.attempts == 2
    assert _stored(media) == sorted([pdf_name, csv_name])
    assert hashlib.sha256((media / pdf_name).read_bytes()).hexdigest() == report.pdf_sha256
    assert (media / pdf_name).read_bytes().startswith(b"%PDF-")
    assert ReportBuild.objects.count() == 1
