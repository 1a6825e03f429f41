"""Referrals: the MARF and the CSE referral form, and everything the front door records about them."""

from __future__ import annotations

import uuid

from django.db import models

from referrals.states import State


class Referral(models.Model):
    class Form(models.TextChoices):
        MARF = "marf", "Multi-Agency Referral Form"
        CSE_REFERRAL_FORM = "cse", "CSE Referral Form"

    class Urgency(models.TextChoices):
        URGENT = "urgent", "Urgent: the child may be at immediate risk"
        ROUTINE = "routine", "Not urgent"

    class Consent(models.TextChoices):
        GIVEN = "given", "Sought and given"
        REFUSED = "refused", "Sought and refused"
        DISPENSED_WITH = "dispensed_with", "Dispensed with"
        NOT_SOUGHT = "not_sought", "Not yet sought"

    class Rag(models.TextChoices):
        RED = "red", "Red"
        AMBER = "amber", "Amber"
        GREEN = "green", "Green"

    class Threshold(models.TextChoices):
        NOT_MET = "not_met", "Threshold not met"
        EARLY_HELP = "early_help", "Early help"
        CHILD_IN_NEED = "child_in_need", "Child in need"
        CHILD_PROTECTION = "child_protection", "Child protection"

    class Intervention(models.TextChoices):
        EARLY_HELP = "early_help", "Early help"
        SECTION_17 = "section_17", "Section 17 (child in need)"
        SECTION_47 = "section_47", "Section 47 (child protection enquiry)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    form = models.CharField(max_length=10, choices=Form.choices, default=Form.MARF)
    state = models.CharField(max_length=30, choices=State.choices, default=State.DRAFT, db_index=True)
    version = models.PositiveIntegerField(default=1)

    # The child, once linked to a record (by the SPOC worker, or picked by a referrer who can see children).
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The child as the referrer described them.
    child_first_name = models.CharField(max_length=100, blank=True)
    child_last_name = models.CharField(max_length=100, blank=True)
    child_date_of_birth = models.DateField(null=True, blank=True)
    child_address = models.CharField(max_length=300, blank=True)
    child_school = models.CharField(max_length=200, blank=True)
    known_to_agencies = models.CharField(max_length=300, blank=True, help_text="Agencies already involved")

    referrer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="referrals_made")
    referrer_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+")
    referrer_role = models.CharField(max_length=200, blank=True)
    referrer_phone = models.CharField(max_length=40, blank=True)
    referrer_email = models.EmailField(blank=True)

    concern = models.TextField(blank=True)
    # No default: the referrer must answer (a skipped question must not quietly mean "not urgent").
    urgency = models.CharField(max_length=10, choices=Urgency.choices, blank=True)
    consent = models.CharField(max_length=20, choices=Consent.choices, blank=True)
    consent_reason = models.TextField(blank=True)
    catalogue_version = models.ForeignKey(
        "risk.CatalogueVersion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    indicators = models.ManyToManyField("risk.Indicator", blank=True, related_name="+")

    submitted_at = models.DateTimeField(null=True, blank=True)
    screening_notes = models.TextField(blank=True)
    threshold = models.CharField(max_length=20, choices=Threshold.choices, blank=True)
    rag_1 = models.CharField("first RAG rating", max_length=5, choices=Rag.choices, blank=True)
    rag_1_rationale = models.TextField(blank=True)
    rag_2 = models.CharField("second RAG rating", max_length=5, choices=Rag.choices, blank=True)
    rag_2_rationale = models.TextField(blank=True)
    intervention = models.CharField(max_length=20, choices=Intervention.choices, blank=True)
    co_allocated_at = models.DateTimeField(null=True, blank=True)
    # The team the referral was co-allocated to: only that team's members see it.
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=300, blank=True)
    outcome_letter = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "urgency", "submitted_at"], name="referral_queue"),
            models.Index(fields=["referrer", "-created_at"], name="referral_by_referrer"),
            # The API's list, newest first, a page at a time (evolve.ui.api.NewestFirst).
            models.Index(fields=["-created_at", "-id"], name="referral_newest_first"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.public_id}"

    @property
    def child_described(self) -> str:
        return " ".join(part for part in (self.child_first_name, self.child_last_name) if part) or "Child not named"


class ReferralEvent(models.Model):
    """The referral's own timeline: every step, with who, which agency, when and why. Append-only."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+")
    transition = models.CharField(max_length=40)
    summary = models.CharField(max_length=300)
    rationale = models.TextField(blank=True)
    state_from = models.CharField(max_length=30, choices=State.choices)
    state_to = models.CharField(max_length=30, choices=State.choices)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Event {self.pk} on referral {self.referral_id}: {self.transition}"


class Clarification(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="clarifications")
    question = models.TextField()
    asked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]

    def __str__(self) -> str:
        return f"Clarification {self.pk} on referral {self.referral_id}"


class MashCheck(models.Model):
    """One MASH agency's check of what it holds about the child (or that it holds nothing)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="mash_checks")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    holds_information = models.BooleanField()
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["referral", "agency"], name="one_mash_check_per_agency")]

    def __str__(self) -> str:
        return f"MASH check {self.pk} on referral {self.referral_id}"


class ReferralAttachment(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    storage_name = models.CharField(max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"Attachment {self.pk} on referral {self.referral_id}"
