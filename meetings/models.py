"""The weekly CSE team meeting, strategy discussions and Child in Need meetings (DESIGN.md, "Meetings"; seed 000
paragraphs 38-45).

All three are a `Meeting` with the same building blocks: an agenda of children (`AgendaItem`), attendance by agency,
and per child the discussion, the agreed risk level (which is agreed on the child's risk assessment), role
allocations (which become allocations on the child's case), actions with owners and due dates, mapping items for the
Intelligence Sharing Meeting (free text, and the team's groups and locations flagged for disruption), and any
disagreement escalated to a manager.

Once the chair closes a meeting it is the record: nothing in it changes except by an `Amendment`, which says what
was corrected, by whom and when. The minutes are built from it as PDFs (`Minutes`), one per version: the first on
closing, another after each amendment, each kept.

Writes go through `meetings.services`, reads through `meetings.selectors`.
"""

from __future__ import annotations

import uuid

from django.db import models


class MeetingKind(models.TextChoices):
    WEEKLY = "weekly", "Weekly CSE team meeting"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
    CIN_MEETING = "cin_meeting", "Child in Need meeting"


class ChairSeat(models.TextChoices):
    """The weekly meeting is chaired in turn by the detective sergeant and the team manager."""

    TEAM_MANAGER = "team_manager", "Team manager"
    DETECTIVE_SERGEANT = "detective_sergeant", "Detective sergeant"


class AgendaList(models.TextChoices):
    """The three lists the weekly agenda is built from (DESIGN.md), and children added by hand."""

    NEW_REFERRALS = "new_referrals", "Referred since the last meeting: risk-assessment discussion"
    STRATEGY_OR_CIN = "strategy_or_cin", "Strategy discussion or CIN intervention: update and agree roles"
    ALLOCATED_UPDATE = "allocated_update", "Already allocated: update due"
    ADDED = "added", "Added to the agenda"


class Meeting(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=MeetingKind.choices, default=MeetingKind.WEEKLY)
    starts_at = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True)
    chair = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    chair_seat = models.CharField(max_length=20, choices=ChairSeat.choices)
    # A strategy discussion or CIN meeting records the daily review decision that called it.
    decision = models.ForeignKey("cases.Decision", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The minutes version the record wants (1 on closing, one more per amendment); a task builds it.
    minutes_wanted = models.PositiveSmallIntegerField(default=0)
    minutes_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["team", "kind", "-starts_at"], name="meeting_team_latest"),
            models.Index(
                fields=["minutes_wanted"], name="meeting_minutes_wanted", condition=models.Q(minutes_wanted__gt=0)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | models.Q(closed_by__isnull=False),
                name="meeting_closed_has_who",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="weekly") | models.Q(decision__isnull=False) | models.Q(kind="cin_meeting"),
                name="meeting_strategy_discussion_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class AgendaItem(models.Model):
    """One child on the agenda, and what the meeting recorded about them."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    # Denormalised from the meeting so the access scope (team work about a child) is one filter.
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20, choices=AgendaList.choices)
    reason = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    discussion = models.TextField(blank=True)
    # The level agreed here is agreed on the child's latest risk assessment (which keeps it); it is kept here too
    # so the minutes say what this meeting agreed.
    assessment = models.ForeignKey(
        "risk.RiskAssessment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreed_level = models.CharField(max_length=20, blank=True)
    agreed_rationale = models.TextField(blank=True)
    mapping_items = models.TextField(
        blank=True, help_text="People, places, vehicles or groups to pass to the Intelligence Sharing Meeting"
    )
    # The team's groups and locations this meeting flagged for disruption from this child's part (each one flagged on
    # its mapping record at the same time). Read through `meetings.selectors`, which shows only those the reader
    # may see: a record restricted to one agency is not named to the rest of the team.
    flagged_for_disruption = models.ManyToManyField("mapping.Entity", blank=True, related_name="+")
    disagreement = models.TextField(blank=True)
    escalated_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_outcome = models.TextField(blank=True)
    escalation_resolved_at = models.DateTimeField(null=True, blank=True)
    escalation_resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "child"], name="meeting_child_once"),
            models.CheckConstraint(
                condition=models.Q(agreed_level="") | ~models.Q(agreed_rationale=""),
                name="meeting_agreed_level_has_rationale",
            ),
            models.CheckConstraint(
                condition=models.Q(escalated_at__isnull=True) | ~models.Q(disagreement=""),
                name="meeting_escalation_says_what",
            ),
        ]

    def __str__(self) -> str:
        return f"Agenda item {self.public_id}"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    present = models.BooleanField(default=True, help_text="False: sent apologies")

    class Meta:
        ordering = ["agency__name", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Action(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="meeting_actions")
    due_on = models.DateField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "due_on"], name="meeting_action_owner")]

    def __str__(self) -> str:
        return f"Action {self.public_id}"


class RoleAllocation(models.Model):
    """A role the meeting agreed; it is made an allocation on the child's case at the same time."""

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="allocations")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=30)
    role_label = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.role_label


class Amendment(models.Model):
    """The only change to a closed meeting: what was corrected, by whom, when. Each one makes new minutes."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="amendments")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, null=True, blank=True, related_name="amendments")
    text = models.TextField()
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Amendment {self.pk}"


class Minutes(models.Model):
    """One built PDF of a meeting's minutes. Written only once the file is stored, so a row means a whole file."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="minutes")
    number = models.PositiveSmallIntegerField()
    storage_name = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    built_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name_plural = "minutes"
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="meeting_minutes_version_once")]

    def __str__(self) -> str:
        return f"Minutes v{self.number}"
