from __future__ import annotations

import logging

from celery import shared_task

from meetings.minutes import minutes_build, minutes_failed
from meetings.selectors import meetings_needing_minutes

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="meetings.minutes_build_task",
    acks_late=True,
    max_retries=6,
    default_retry_delay=30,
)
def minutes_build_task(self, meeting_id: int) -> int | None:  # type: ignore[no-untyped-def]
    """Build a closed meeting's minutes PDF. Idempotent (one file and row per meeting and version); on failure the
    meeting page says so and the task retries with backoff; the beat sweep picks up anything left."""
    try:
        minutes = minutes_build(meeting_id=meeting_id)
    except Exception as error:
        logger.exception("Building the minutes of meeting %s failed", meeting_id)
        minutes_failed(meeting_id=meeting_id)
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 1800)) from error
    return minutes.number if minutes else None


@shared_task(name="meetings.minutes_sweep_task")
def minutes_sweep_task() -> int:
    """Ask again for minutes that were never built (the broker was down, or every retry failed)."""
    waiting = meetings_needing_minutes()
    for meeting_id in waiting:
        minutes_build_task.delay(meeting_id)
    return len(waiting)
