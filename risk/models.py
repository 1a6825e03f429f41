"""The screening indicator catalogue: the questions a referrer and a risk-assessment meeting ask about a child.

The catalogue is data, not code, so an area can change its tool (DESIGN.md, "Risk assessment"). It is versioned
because an assessment must keep meaning what it meant on the day: a published version never changes, and a change
to the tool is a new draft version, copied from an old one, edited and then published. The current version is the
published one with the highest number; it is derived, never stored, so there is nothing to keep in step.

A risk assessment (`RiskAssessment`) answers every indicator of the version it used, which it keeps for good: the
answers point at that version's indicators, and a published version never changes, so a later change to the tool
cannot change an old assessment's answers or its suggested level.

Writes go through `risk.services`, reads through `risk.selectors`; other apps import only those two.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
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


class RiskLevel(models.TextChoices):
    NO_APPARENT_RISK = "no_apparent_risk", "No apparent risk"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Answer(models.TextChoices):
    PRESENT = "present", "Present"
    NOT_PRESENT = "not_present", "Not present"
    UNKNOWN = "unknown", "Not known"


class Seen(models.TextChoices):
    """When a present indicator was last seen: a sign from two years ago weighs less than one from last week."""

    CURRENT = "current", "Now (current)"
    WITHIN_SIX_MONTHS = "six_months", "Within the last six months"
    EARLIER = "earlier", "More than six months ago"


class CinFactor(models.TextChoices):
    """Factors identified at the end of assessment, as the Children in Need census codes them (DfE CIN census
    guide, "factors identified at the end of assessment"), so the statutory return reads them without re-keying.
    The ones an exploitation team identifies; the others are recorded by the children's social care assessment."""

    ALCOHOL_CHILD = "1A", "1A Alcohol misuse: concerns about the child"
    DRUGS_CHILD = "2A", "2A Drug misuse: concerns about the child"
    DOMESTIC_ABUSE_CHILD = "3A", "3A Domestic abuse: concerns about the child as a subject"
    MENTAL_HEALTH_CHILD = "4A", "4A Mental health: concerns about the child"
    UNACCOMPANIED_ASYLUM = "9A", "9A Unaccompanied asylum-seeking child"
    MISSING = "10A", "10A Going or being missing"
    CSE = "11A", "11A Child sexual exploitation"
    TRAFFICKING = "12A", "12A Trafficking"
    GANGS = "13A", "13A Gangs"
    SOCIALLY_UNACCEPTABLE = "14A", "14A Socially unacceptable behaviour"
    SELF_HARM = "15A", "15A Self-harm"
    FGM = "22A", "22A Female genital mutilation"
    FAITH = "23A", "23A Abuse linked to faith or belief"
    CCE = "24A", "24A Child criminal exploitation"


class RiskAssessment(models.Model):
    """One multi-agency risk assessment of a child by the team: the screening, the level it suggests, the level a
    meeting agreed with its rationale, the next review, and the team manager's oversight (seed 003)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    catalogue_version = models.ForeignKey(CatalogueVersion, on_delete=models.PROTECT, related_name="+")
    # The assessment this one repeats, for "what changed".
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)
    assessed_on = models.DateField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    summary = models.TextField(blank=True, help_text="The practitioners' analysis: what the indicators mean together")
    # Worked out from the answers when recorded, and kept: the rule may change, what it said on the day may not.
    suggested_level = models.CharField(max_length=20, choices=RiskLevel.choices)
    score = models.PositiveSmallIntegerField(default=0)
    age_at_assessment = models.PositiveSmallIntegerField(null=True, blank=True)
    # Aged 13 or under with any high-risk indicator present: flagged whatever the score.
    young_child_high_risk = models.BooleanField(default=False)
    cin_factors = ArrayField(models.CharField(max_length=4, choices=CinFactor.choices), default=list, blank=True)
    next_review_on = models.DateField()
    agreed_level = models.CharField(max_length=20, choices=RiskLevel.choices, blank=True)
    agreed_rationale = models.TextField(blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    agreed_where = models.CharField(max_length=200, blank=True, help_text="The meeting that agreed the level")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [
            models.Index(fields=["child", "-assessed_on", "-id"], name="risk_child_latest"),
            models.Index(fields=["team"], name="risk_awaiting_review", condition=models.Q(reviewed_at__isnull=True)),
        ]
        constraints = [
            # Professional judgement stands over the score, but it must be written down (DESIGN.md).
            models.CheckConstraint(
                condition=models.Q(agreed_level="") | ~models.Q(agreed_rationale=""),
                name="risk_agreed_level_has_rationale",
            ),
            models.CheckConstraint(
                condition=models.Q(agreed_level="") | models.Q(agreed_at__isnull=False, agreed_by__isnull=False),
                name="risk_agreed_level_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True) | models.Q(reviewed_by__isnull=False),
                name="risk_review_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"Risk assessment {self.public_id}"

    @property
    def level(self) -> str:
        """The level that stands: the agreed one once agreed, until then the suggestion."""
        return self.agreed_level or self.suggested_level


class IndicatorAnswer(models.Model):
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="answers")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=12, choices=Answer.choices)
    seen = models.CharField(max_length=12, choices=Seen.choices, blank=True)
    evidence = models.TextField(blank=True)
    source_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="risk_answer_once_per_indicator"),
            models.CheckConstraint(
                condition=~models.Q(answer="present") | (~models.Q(seen="") & models.Q(source_agency__isnull=False)),
                name="risk_present_answer_has_when_and_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.answer}"
