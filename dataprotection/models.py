"""What the data protection officer keeps: subject access exports made, retention reviews and the decisions on them,
and legal holds (issue 8, "Subject access and retention").

- A `SubjectAccessExport` is one export of everything held about one child, asked for by a manager acting for the
  data controller: a PDF and a JSON file built by a task from one snapshot and kept privately, so what was disclosed
  can be shown later exactly as it was sent.
- A `RetentionReview` puts one child's records under one retention rule (`dataprotection.retention`) on the review
  list once the rule's period has run out. It is open until a manager records a `RetentionDecision` on it (retain for
  N more years, or destroy), or until the rule no longer applies (a corrected date of birth: withdrawn).
- A `RetentionDecision` is written once and never changed (a database trigger refuses UPDATE and DELETE): a later
  review brings a new decision, so the history of decisions stays. The product records a decision to destroy; the
  destruction itself is carried out by the owning agency's records process. Nothing is deleted here.
- A `LegalHold` stops every retention action on a child's records while an inquiry or proceedings need them: the
  child is on no review list, and a retention decision on them is refused. Lifting a hold keeps the hold, with who
  lifted it, when and why.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class SubjectAccessExport(models.Model):
    """Asked for by a manager (`made_at`, `made_by`), then built by a Celery task from one snapshot of the records
    (`built_at`): a child with years of records has thousands of access-log rows, more than a page request should
    wait for. The file fields are empty until it is built; `failed_at` says the last attempt failed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    # The data protection officer's own reference for the request (a case number in their system), if they give one.
    reference = models.CharField(max_length=100, blank=True)
    made_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    made_by_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+")
    made_at = models.DateTimeField()
    built_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    pdf_name = models.CharField(max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_size = models.PositiveIntegerField(default=0)
    json_name = models.CharField(max_length=300, blank=True)
    json_sha256 = models.CharField(max_length=64, blank=True)
    json_size = models.PositiveIntegerField(default=0)
    # How many records of each type the export holds ({"referrals": 2, ...}), for the page that lists exports.
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        indexes = [
            models.Index(fields=["child", "-made_at"], name="dp_export_child_at"),
            models.Index(fields=["made_at"], name="dp_export_unbuilt", condition=Q(built_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(built_at__isnull=True) | (~Q(pdf_name="") & ~Q(json_name="")),
                name="dp_export_built_has_files",
            ),
        ]

    def __str__(self) -> str:
        return f"Subject access export {self.public_id}"

    @property
    def is_built(self) -> bool:
        return self.built_at is not None


class LegalHold(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    inquiry = models.CharField(max_length=200, help_text="The inquiry, review or proceedings that need the records")
    reason = models.TextField()
    placed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    lifted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["child"], name="dp_hold_active", condition=Q(lifted_at__isnull=True))]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | (Q(lifted_at__isnull=False, lifted_by__isnull=False) & ~Q(lift_reason="")),
                name="dp_hold_lifted_says_who_and_why",
            ),
        ]

    def __str__(self) -> str:
        return f"Legal hold {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Waiting for a decision"
    DECIDED = "decided", "Decided"
    WITHDRAWN = "withdrawn", "No longer due"


class RetentionReview(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    # A code of `dataprotection.retention.RULES` (not choices: the rules are code, and a rule's wording may change).
    rule = models.CharField(max_length=40)
    due_on = models.DateField(help_text="When the rule's retention period ran out")
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the rule stopped applying before anyone decided (the task says why in `withdrawn_reason`).
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on", "id"], name="dp_review_open", condition=Q(status="open"))]
        constraints = [
            # One open review per child and rule, however often the task runs.
            models.UniqueConstraint(fields=["child", "rule"], condition=Q(status="open"), name="dp_review_open_once"),
        ]

    def __str__(self) -> str:
        return f"Retention review {self.public_id}"


class RetentionOutcome(models.TextChoices):
    RETAIN = "retain", "Retain for longer"
    DESTROY = "destroy", "Destroy"


class RetentionDecision(models.Model):
    """Append-only (migration 0002): a decision is never edited or removed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.OneToOneField(RetentionReview, on_delete=models.PROTECT, related_name="decision")
    # Denormalised from the review, so a child's history of decisions under a rule is one indexed filter.
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(max_length=40)
    outcome = models.CharField(max_length=10, choices=RetentionOutcome.choices)
    retain_years = models.PositiveSmallIntegerField(null=True, blank=True)
    retain_until = models.DateField(null=True, blank=True)
    reason = models.TextField()
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decided_by_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["child", "rule", "-decided_at"], name="dp_decision_child_rule")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome="retain") & Q(retain_years__gte=1) & Q(retain_until__isnull=False))
                | (Q(outcome="destroy") & Q(retain_years__isnull=True) & Q(retain_until__isnull=True)),
                name="dp_decision_retain_says_how_long",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="dp_decision_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Retention decision {self.public_id}"
