"""Scheduled work for the Evolve case."""

from __future__ import annotations

import logging

from celery import shared_task

from evolve.cases.quality import quality_samples_schedule

logger = logging.getLogger(__name__)


@shared_task(name="evolve.cases.quality_sample_monthly_task")
def quality_sample_monthly_task() -> list[int]:
    """Early on the 1st: this month's quality assurance sample for every team (seed 003). Safe to run twice: a
    team's month is drawn once. Returns the samples' ids."""
    drawn = quality_samples_schedule()
    logger.info(
        "Quality samples this month: %s (new: %s)",
        [d.sample.pk for d in drawn],
        [d.sample.pk for d in drawn if d.created],
    )
    return [d.sample.pk for d in drawn]
