"""Notifying people: a row each (in-app, in the same transaction as the change that causes it), then an email
each, sent by a Celery task once that transaction has committed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from evolve.notifications.models import Notification

if TYPE_CHECKING:
    from evolve.accounts.models import User


def notify(*, users: Iterable[User], subject: str, body: str, url: str = "", email: bool = True) -> list[Notification]:
    """Subjects and bodies go by email: they must hold no child's name or details, only what to open and where."""
    from evolve.notifications.tasks import notification_email_task

    created = Notification.objects.bulk_create(
        Notification(user=user, subject=subject, body=body, url=url)
        for user in {user.pk: user for user in users}.values()
    )
    if email and created:
        ids = [notification.pk for notification in created]
        transaction.on_commit(lambda: notification_email_task.delay(ids))
    return created


def notifications_mark_read(*, user: User, ids: list[int]) -> int:
    from django.utils import timezone

    return Notification.objects.filter(user=user, pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())
