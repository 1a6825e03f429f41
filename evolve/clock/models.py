"""Deadlines: every statutory and local timescale, on one clock.

A deadline belongs to a subject in another app (a referral, a case) named by `subject_type` and `subject_id`, so
this kernel app never imports the apps that use it. The services in evolve.clock.services are the only writers.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class DeadlineKind(models.TextChoices):
    NOTIFICATION = "notification", "Notification"
    RAG_RESPONSE = "rag_response", "Response to the RAG rating"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
    REVIEW = "review", "Review"


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", "Hours"
    WORKING_DAYS = "working_days", "Working days"


class Deadline(models.Model):
    """One clock. `due_at` is always the current due time: a resumed pause has already moved it on.

    A deadline is breached when it is overdue and not met, or was met after it was due; `deadline_status` works that
    out at any moment. `breached_at` (the due time that was missed) is stamped once the clock knows: when it is met
    late, when a reason is recorded, or by the periodic sweep, so reports can count breaches from an index."""

    kind = models.CharField(max_length=40, choices=DeadlineKind.choices)
    unit = models.CharField(max_length=20, choices=DeadlineUnit.choices)
    amount = models.PositiveIntegerField(help_text="How many hours or working days the timescale allows")
    subject_type = models.CharField(max_length=50, help_text='What the deadline is for, e.g. "referral"')
    subject_id = models.BigIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.TextField(blank=True, help_text="Why the clock is paused now; every pause is kept apart")
    paused_for = models.DurationField(default=timedelta(0), help_text="Real time paused, over the ended pauses")
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    breach_reason = models.TextField(blank=True)
    breach_reason_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    breach_reason_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="deadline_subject"),
            # Queues and the breach sweep look only at the clocks still running.
            models.Index(fields=["due_at"], condition=Q(met_at__isnull=True), name="deadline_open_due"),
            models.Index(fields=["breached_at"], condition=Q(breached_at__isnull=False), name="deadline_breached"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deadline_amount_positive"),
            models.CheckConstraint(condition=Q(due_at__gte=F("started_at")), name="deadline_due_after_start"),
            models.CheckConstraint(
                condition=Q(paused_at__isnull=True) | ~Q(pause_reason=""), name="deadline_pause_has_reason"
            ),
            models.CheckConstraint(condition=Q(unit__in=DeadlineUnit.values), name="deadline_unit_known"),
        ]

    def __str__(self) -> str:
        return f"Deadline {self.pk}: {self.kind} for {self.subject_type} {self.subject_id}"


class DeadlinePause(models.Model):
    """One pause of one deadline, kept after it ends: who stopped the clock, why, and for how long."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="pauses")
    paused_at = models.DateTimeField()
    resumed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["paused_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deadline"], condition=Q(resumed_at__isnull=True), name="deadline_pause_one_open"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="deadline_pause_reason_given"),
        ]

    def __str__(self) -> str:
        return f"Pause {self.pk} of deadline {self.deadline_id}"
