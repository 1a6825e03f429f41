from __future__ import annotations

from django.db.models import QuerySet

from evolve.accounts.models import User
from evolve.notifications.models import Notification


def notifications_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
