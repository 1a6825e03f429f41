"""Explicit per-object grants (django-guardian), with a real foreign key so scopes join instead of casting ids.

Only evolve.access imports guardian: everything else asks the gate (evolve.access.gate) or the grant services.
"""

import uuid

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class ChildUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("people.Child", on_delete=models.CASCADE, related_name="user_grants")


class ChildGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("people.Child", on_delete=models.CASCADE, related_name="group_grants")


class LawfulBasis(models.TextChoices):
    """The grounds on which one agency shares what it holds with another (UK GDPR and DPA 2018, Children Acts)."""

    CONSENT = "consent", "Consent of the child or a person with parental responsibility"
    SAFEGUARDING = "safeguarding", "Safeguarding of children at risk (DPA 2018 Schedule 8 paragraph 4)"
    SECTION_47 = "section_47", "Child protection enquiry (Children Act 1989 section 47)"
    SECTION_17 = "section_17", "Child in need (Children Act 1989 section 17)"
    CRIME_AND_DISORDER = "crime_and_disorder", "Prevention or detection of crime (Crime and Disorder Act 1998 s115)"
    PUBLIC_TASK = "public_task", "Public task: working together on the child's case (UK GDPR Article 6(1)(e))"


class ShareConsent(models.TextChoices):
    GIVEN = "given", "Consent given"
    REFUSED = "refused", "Consent refused: shared without it"
    NOT_SOUGHT = "not_sought", "Not sought: shared without it"


class InformationShare(models.Model):
    """One entry in the information-sharing ledger: what was shared about a child, with whom, on what lawful basis,
    with consent or the reason for sharing without it, and who decided. Append-only (a database trigger refuses
    UPDATE and DELETE); ending a share is a new decision, not an edit.

    `source_type` and `source_id` name the record shared (e.g. ("case_note", 12)), so this kernel app never imports
    the app that owns it; a share with no source is a grant of the child's whole record."""

    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=300)
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    to_user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    consent = models.CharField(max_length=20, choices=ShareConsent.choices)
    reason_without_consent = models.TextField(blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decided_by_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["child", "-decided_at"], name="share_child_at"),
            models.Index(fields=["source_type", "source_id"], name="share_source"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(to_user__isnull=False) | models.Q(to_agency__isnull=False),
                name="share_has_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"Share {self.pk} about child {self.child_id}"

    @property
    def recipient(self) -> str:
        if self.to_user is not None:
            agency = f" ({self.to_user.agency.short_name})" if self.to_user.agency else ""
            return f"{self.to_user.display_name}{agency}"
        return self.to_agency.name if self.to_agency else ""


class BreakGlassOutcome(models.TextChoices):
    APPROPRIATE = "appropriate", "Appropriate: the emergency justified opening the record"
    NOT_APPROPRIATE = "not_appropriate", "Not appropriate: the record should not have been opened"


class BreakGlassAccess(models.Model):
    """An emergency opening of a record restricted to another agency ("break-glass"): who, why, until when, and the
    owning agency's manager's review of it. While `expires_at` is in the future the child counts as granted to `user`
    (evolve.access.grants.granted_children); after it the record closes again by itself.

    The opening cannot be changed or deleted, and a review is recorded once (a database trigger, migration 0004)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+", help_text="The opener's agency"
    )
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    owning_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The agency the record was restricted to when it was opened: its managers review the opening",
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    review_outcome = models.CharField(max_length=20, choices=BreakGlassOutcome.choices, blank=True)
    review_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = "break-glass opening"
        indexes = [
            models.Index(fields=["user", "expires_at"], name="break_glass_user_expires"),
            models.Index(fields=["owning_agency", "reviewed_at"], name="break_glass_review_queue"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("opened_at")), name="break_glass_ends"),
            models.CheckConstraint(
                condition=(
                    models.Q(reviewed_at__isnull=True, reviewed_by__isnull=True, review_outcome="")
                    | models.Q(reviewed_at__isnull=False, reviewed_by__isnull=False) & ~models.Q(review_outcome="")
                ),
                name="break_glass_review_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Break-glass {self.pk}: user {self.user_id} child {self.child_id}"

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None
