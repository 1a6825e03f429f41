"""Notifying people: a row each, in the same transaction as the change that causes it. The rows are also the email
outbox: once the transaction commits, a Celery task is asked to send them; if the broker is down at that moment the
change still stands, and the beat sweep (notification_email_sweep_task) sends what is left when it is back."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils import timezone

from evolve.jobs import send_after_commit
from evolve.notifications.models import Notification

if TYPE_CHECKING:
    from evolve.accounts.models import User

logger = logging.getLogger(__name__)


def notify(*, users: Iterable[User], subject: str, body: str, url: str = "", email: bool = True) -> list[Notification]:
    """Subjects and bodies go by email: they must hold no child's name or details, only what to open and where."""
    from evolve.notifications.tasks import notification_email_task

    created = Notification.objects.bulk_create(
        Notification(user=user, subject=subject, body=body, url=url, email_wanted=email)
        for user in {user.pk: user for user in users}.values()
    )
    if email and created:
        ids = [notification.pk for notification in created]
        send_after_commit(notification_email_task, ids, left_for="the notification outbox sweep")
    return created


def notifications_mark_read(*, user: User, ids: list[int]) -> int:
    return Notification.objects.filter(user=user, pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())
