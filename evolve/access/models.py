"""Explicit per-object grants (django-guardian), with a real foreign key so scopes join instead of casting ids.

Only evolve.access imports guardian: everything else asks the gate (evolve.access.gate) or the grant services.
"""

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
