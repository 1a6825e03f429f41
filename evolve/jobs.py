"""Queueing a Celery task for work a change has just caused, without letting a broker outage undo the change.

The task is sent only once the transaction commits (a rolled-back change asks for nothing, and the worker never reads
a row that is not there yet). If Redis is down the change still stands: the message is dropped with a warning, and
the beat sweep that belongs to the task (minutes, reports, the notification outbox) finds the work and asks again.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def send_after_commit(task: Task[Any, Any], *args: Any, left_for: str) -> None:
    """Send `task(*args)` after the current transaction commits. `left_for` names what picks the work up if the
    broker is unavailable ("the minutes sweep"); args must be ids, never a child's details (they are logged)."""

    def send() -> None:
        try:
            task.apply_async(args=args, retry=False)
        except Exception:  # the broker is down: the sweep asks again when it is back
            logger.warning("%s%s left for %s: broker unavailable", task.name, args, left_for)

    transaction.on_commit(send)
