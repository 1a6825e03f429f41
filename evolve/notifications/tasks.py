from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from evolve.notifications.models import Notification


@shared_task(name="evolve.notifications.notification_email_sweep_task")
def notification_email_sweep_task() -> int:
    """Send every notification email still waiting in the outbox (the broker was down when it was made)."""
    waiting = Notification.objects.filter(
        email_wanted=True,
        emailed_at__isnull=True,
        # Fresh rows are left to the task their own commit queued.
        created_at__lt=timezone.now() - timedelta(seconds=settings.NOTIFICATION_OUTBOX_GRACE_SECONDS),
    ).values_list("pk", flat=True)[:500]
    ids = list(waiting)
    return notification_email_task(ids) if ids else 0


@shared_task(
    name="evolve.notifications.notification_email_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def notification_email_task(notification_ids: list[int]) -> int:
    """Email each notification not yet emailed. Safe to run twice: a sent one is marked and skipped."""
    sent = 0
    for notification_id in notification_ids:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update()
                .select_related("user")
                .filter(pk=notification_id, email_wanted=True, emailed_at__isnull=True)
                .first()
            )
            if notification is None or not notification.user.email:
                continue
            link = f"{settings.SITE_URL}{notification.url}" if notification.url else settings.SITE_URL
            send_mail(
                subject=f"Evolve: {notification.subject}",
                message=f"{notification.body}\n\nOpen Evolve to see it: {link}\n",
                from_email=None,
                recipient_list=[notification.user.email],
            )
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    return sent
