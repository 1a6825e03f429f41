from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from reporting.selectors import report_builds_waiting
from reporting.services import ReportBeingBuilt, report_build, report_failed, reports_schedule

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="reporting.report_build_task", acks_late=True, max_retries=6)
def report_build_task(self, build_id: int) -> int | None:  # type: ignore[no-untyped-def]
    """Build one asked-for monthly report. Idempotent (one report per version); on failure the reports page says so
    and the task retries with backoff; the hourly sweep picks up anything left."""
    try:
        report = report_build(build_id=build_id)
    except ReportBeingBuilt:
        logger.info("Report build %s left to the run already building it", build_id)
        return None
    except Exception as error:
        logger.exception("Building report %s failed", build_id)
        report_failed(build_id=build_id, error=error)
        delay = settings.REPORT_RETRY_SECONDS * 2**self.request.retries
        raise self.retry(exc=error, countdown=min(delay, 3600)) from error
    return report.pk


@shared_task(name="reporting.reports_monthly_task")
def reports_monthly_task() -> int:
    """Early on the 1st: ask for last month's report for every team (the build runs in report_build_task)."""
    return len(reports_schedule())


@shared_task(name="reporting.reports_sweep_task")
def reports_sweep_task() -> int:
    """Hourly: ask again for reports that were never built, and for last month's if the 1st's run was missed."""
    reports_schedule()
    waiting = report_builds_waiting()
    for build_id in waiting:
        report_build_task.delay(build_id)
    return len(waiting)
