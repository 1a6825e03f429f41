from __future__ import annotations

import logging

from celery import shared_task

from dataprotection.selectors import exports_waiting
from dataprotection.services import (
    ExportBeingBuilt,
    retention_reviews_build,
    subject_access_export_build,
    subject_access_export_failed,
)

logger = logging.getLogger(__name__)


@shared_task(name="dataprotection.retention_review_task")
def retention_review_task() -> int:
    """Nightly: put the children whose records have reached the end of a retention period on the review list. Safe
    to run twice (one open review per child and rule); nothing is ever deleted. Returns how many reviews it added."""
    return retention_reviews_build().created


@shared_task(bind=True, name="dataprotection.subject_access_export_task", acks_late=True, max_retries=4)
def subject_access_export_task(self, export_id: int) -> int | None:  # type: ignore[no-untyped-def]
    """Build one asked-for subject access export. Idempotent (built once); on failure the export's page says so and
    the task retries with backoff; the manager can ask again from the page."""
    try:
        export = subject_access_export_build(export_id=export_id)
    except ExportBeingBuilt:
        logger.info("Subject access export %s left to the run already building it", export_id)
        return None
    except Exception as error:
        logger.exception("Building subject access export %s failed", export_id)
        subject_access_export_failed(export_id=export_id)
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 1800)) from error
    return export.pk


@shared_task(name="dataprotection.subject_access_exports_sweep_task")
def subject_access_exports_sweep_task() -> int:
    """Ask again for exports asked for a while ago and never built (the broker was down, or every retry failed)."""
    waiting = exports_waiting()
    for export_id in waiting:
        subject_access_export_task.delay(export_id)
    return len(waiting)
