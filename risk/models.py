"""The screening indicator catalogue: the questions a referrer and a risk-assessment meeting ask about a child.

The catalogue is data, not code, so an area can change its tool (DESIGN.md, "Risk assessment"). It is versioned
because an assessment must keep meaning what it meant on the day: a published version never changes, and a change
to the tool is a new draft version, copied from an old one, edited and then published. The current version is the
published one with the highest number; it is derived, never stored, so there is nothing to keep in step.

Writes go through `risk.services`, reads through `risk.selectors`; other apps import only those two.
"""

from __future__ import annotations

from django.db import models


class CatalogueVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    # Null while a draft. Once set, the version and everything in it is fixed (the services refuse changes).
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who made the draft, as they were named then: a version outlives the account of the person who made it.
    created_by_name = models.CharField(max_length=200, blank=True)
    # The version this draft was copied from, so an administrator can see what changed between the two.
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="drafts", editable=False
    )
    notes = models.TextField(blank=True, help_text="What changed in this version and why")

    class Meta:
        ordering = ["-number"]
        verbose_name = "screening catalogue version"
        constraints = [
            models.CheckConstraint(condition=models.Q(number__gte=1), name="risk_catalogue_number_positive"),
        ]

    def __str__(self) -> str:
        state = "published" if self.is_published else "draft"
        return f"Version {self.number}: {self.name} ({state})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class IndicatorCategory(models.Model):
    """A heading the indicators are grouped under on a form ("Missing and absence")."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="categories")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "indicator category"
        verbose_name_plural = "indicator categories"
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="risk_category_code_unique_in_version"),
        ]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One screening question. `code` stays the same from version to version while the wording may change, so
    answers can be compared across versions; within one version it is unique (the services keep it so)."""

    class AppliesTo(models.TextChoices):
        CSE = "cse", "Child sexual exploitation"
        CCE = "cce", "Child criminal exploitation"
        BOTH = "both", "Sexual and criminal exploitation"

    category = models.ForeignKey(IndicatorCategory, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(max_length=80)
    text = models.CharField(max_length=300, help_text="The question as a practitioner reads it")
    guidance = models.TextField(blank=True, help_text="What to look for and what counts")
    # A child aged 13 or under with any high-risk indicator present is flagged, whatever the rest of the screening.
    is_high_risk = models.BooleanField(default=False)
    applies_to = models.CharField(max_length=4, choices=AppliesTo.choices, default=AppliesTo.BOTH)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="risk_indicator_code_unique_in_category"),
        ]

    def __str__(self) -> str:
        return self.text
