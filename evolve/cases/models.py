"""The Evolve case: what the team manager and detective sergeant decide each day, and the child's case from then on.

- A referral co-allocated to Evolve waits in the daily review queue. The team manager asks agencies to check what
  they hold (AgencyCheck); the team manager and the detective sergeant each record their view of the decision
  (DecisionView); when they agree, the Decision is made and its consequences follow. When they do not, the
  disagreement is escalated to the next manager of the relevant service (Escalation), who decides.
- A child open to Evolve has one Case per team: the case-holding social worker from the wider service, the Evolve
  allocations with their roles, the key individual, the review date, case notes (some restricted to one agency) and
  the child's own words. Closing and re-opening are recorded as status changes, so the history stays.
"""

from __future__ import annotations

import uuid

from django.db import models


class DecisionKind(models.TextChoices):
    """The five decisions of the daily review (DESIGN.md, the referral pathway)."""

    STRATEGY_DISCUSSION = "strategy_discussion", "Advice to hold an Immediate Strategy Discussion"
    URGENT_CIN = "urgent_cin", "Urgent Child in Need intervention"
    RISK_ASSESSMENT_MEETING = "risk_assessment_meeting", "Refer to the CSE Risk Assessment Meeting"
    EARLY_HELP_ADVICE = "early_help_advice", "Advice to complete an Early Help Assessment"
    REFERRER_ADVICE = "referrer_advice", "Advice and information to the referrer"


# Decisions that open the child's case to Evolve; the two kinds of advice do not (a letter goes to the referrer).
OPENING_DECISIONS = frozenset(
    {DecisionKind.STRATEGY_DISCUSSION, DecisionKind.URGENT_CIN, DecisionKind.RISK_ASSESSMENT_MEETING}
)
ADVICE_DECISIONS = frozenset({DecisionKind.EARLY_HELP_ADVICE, DecisionKind.REFERRER_ADVICE})


# The clock's subject for deadlines a decision starts (the strategy discussion's 24 hours).
DECISION_SUBJECT = "decision"


class RiskLevel(models.TextChoices):
    NOT_ASSESSED = "", "Not yet assessed"
    NO_APPARENT_RISK = "no_apparent_risk", "No apparent risk"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class AllocationRole(models.TextChoices):
    SOCIAL_WORK_LEAD = "social_work_lead", "Social work lead"
    POLICE_INVESTIGATION = "police_investigation", "Police investigation"
    CSE_NURSE = "cse_nurse", "CSE nurse"
    PACE_PARENT_WORKER = "pace_parent_worker", "PACE parent and carer worker"
    BARNARDOS_PRACTITIONER = "barnardos_practitioner", "Barnardo's practitioner"


class Case(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.TextField(blank=True)
    # The social worker from the wider children's social care service who holds the case (not an Evolve member).
    case_holder = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="cases_held"
    )
    # The one practitioner who keeps the primary relationship with the child: a user, or someone outside the team
    # with no account (named, with their organisation).
    key_individual = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key_individual_name = models.CharField(max_length=200, blank=True)
    key_individual_organisation = models.CharField(max_length=200, blank=True)
    risk_level = models.CharField(max_length=20, choices=RiskLevel.choices, blank=True, default="")
    next_review_on = models.DateField(null=True, blank=True)
    # On the list the weekly CSE Risk Assessment Meeting's agenda is built from, since when.
    awaiting_ra_meeting_since = models.DateTimeField(null=True, blank=True)
    # An urgent Child in Need intervention was decided: flagged to the case-holding social worker.
    urgent_cin_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [models.UniqueConstraint(fields=["child", "team"], name="one_case_per_child_per_team")]
        indexes = [
            models.Index(fields=["team", "closed_at"], name="case_team_open"),
            models.Index(fields=["next_review_on"], name="case_next_review"),
        ]

    def __str__(self) -> str:
        return f"Case {self.public_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def key_individual_label(self) -> str:
        if self.key_individual is not None:
            agency = f", {self.key_individual.agency.short_name}" if self.key_individual.agency else ""
            return f"{self.key_individual.display_name}{agency}"
        if self.key_individual_name:
            where = f", {self.key_individual_organisation}" if self.key_individual_organisation else ""
            return f"{self.key_individual_name}{where}"
        return ""


class CaseStatusChange(models.Model):
    class Change(models.TextChoices):
        OPENED = "opened", "Opened"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Re-opened"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="status_changes")
    change = models.CharField(max_length=10, choices=Change.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Case {self.case_id} {self.change}"


class Allocation(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="allocations")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="allocations")
    role = models.CharField(max_length=30, choices=AllocationRole.choices)
    start_on = models.DateField()
    end_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_on", "id"]
        indexes = [models.Index(fields=["user", "end_on"], name="allocation_user_current")]

    def __str__(self) -> str:
        return f"Allocation {self.pk} on case {self.case_id}"

    @property
    def is_current(self) -> bool:
        return self.end_on is None


class AgencyCheck(models.Model):
    """The team manager's request to one agency to check and supplement what it holds about the referred child."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="agency_checks")
    due_at = models.DateTimeField()
    question = models.TextField(blank=True)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    holds_information = models.BooleanField(null=True)
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [models.UniqueConstraint(fields=["referral", "agency"], name="one_check_per_agency")]
        indexes = [models.Index(fields=["owner", "answered_at"], name="agency_check_owner_open")]

    def __str__(self) -> str:
        return f"Agency check {self.pk} on referral {self.referral_id}"


class DecisionView(models.Model):
    """What the team manager or the detective sergeant thinks the decision should be. Append-only: a change of
    mind is a new view, and the latest view of each counts."""

    class Seat(models.TextChoices):
        TEAM_MANAGER = "team_manager", "Team manager"
        DETECTIVE_SERGEANT = "detective_sergeant", "Detective sergeant"

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="+")
    seat = models.CharField(max_length=20, choices=Seat.choices)
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=30, choices=DecisionKind.choices)
    rationale = models.TextField()
    # For the two kinds of advice: what the referrer should be told (it goes in the letter; the rationale does not).
    advice = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "seat", "-at"], name="decision_view_latest")]

    def __str__(self) -> str:
        return f"Decision view {self.pk} on referral {self.referral_id}"


class Escalation(models.Model):
    """The team manager and the detective sergeant disagree: the next manager of the relevant service decides."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    # The agencies whose managers may resolve it: those of the team manager and the detective sergeant.
    agencies = models.ManyToManyField("accounts.Agency", related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["raised_at"]

    def __str__(self) -> str:
        return f"Escalation {self.pk} on referral {self.referral_id}"


class Decision(models.Model):
    """The decision on a referral, agreed by the team manager and the detective sergeant (both views shown) or made
    by the manager an escalation went to."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.OneToOneField("referrals.Referral", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions")
    kind = models.CharField(max_length=30, choices=DecisionKind.choices)
    rationale = models.TextField()
    team_manager_view = models.ForeignKey(
        DecisionView, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detective_sergeant_view = models.ForeignKey(
        DecisionView, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalation = models.OneToOneField(
        Escalation, on_delete=models.PROTECT, null=True, blank=True, related_name="decision"
    )
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # For the two kinds of advice: the letter sent to the referrer.
    letter = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"Decision {self.pk} on referral {self.referral_id}"


class CaseNote(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField()
    # Police intelligence, health clinical notes: seen by that agency, and by those a recorded share names.
    restricted_to_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-written_at", "-id"]
        indexes = [models.Index(fields=["case", "-written_at"], name="case_note_case_at")]

    def __str__(self) -> str:
        return f"Note {self.pk} on case {self.case_id}"


class ChildWords(models.Model):
    """The child's own words and wishes, as the child said them: their own place on the case page."""

    class Kind(models.TextChoices):
        WORDS = "words", "What the child said"
        WISHES = "wishes", "What the child wants to happen"
        WORRIES = "worries", "What worries the child"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="child_words")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WORDS)
    words = models.TextField()
    said_on = models.DateField()
    context = models.CharField(max_length=300, blank=True, help_text="Where, to whom, in what setting")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-said_on", "-id"]
        verbose_name_plural = "child's words"

    def __str__(self) -> str:
        return f"Child's words {self.pk} on case {self.case_id}"


# The monthly quality assurance sample (seed 003) ---------------------------------------------------------------------
# "Every month a cohort of approximately 40 young people are selected for audit and QA checks. A thorough report is
# completed on each young person and recorded on their file." The checklist follows the team's QA map: team manager
# oversight of every risk assessment, monthly case supervision, and the records a file should hold.


class AuditAnswer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class AuditGrade(models.TextChoices):
    """The grading UK children's services audits use (after Ofsted's judgements)."""

    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"


# The checklist, in the order the form asks it: (field on CaseAudit, the question, what it is about).
AUDIT_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("risk_assessment", "Is a risk assessment on file, reviewed by its review date?", "the risk assessment"),
    ("plan", "Is the plan in place, with its actions up to date?", "the plan"),
    ("chronology", "Is the chronology up to date?", "the chronology"),
    ("child_voice", "Is the child's voice recorded?", "the child's voice"),
    (
        "management_oversight",
        "Is the team manager's oversight recorded on the risk assessment?",
        "the team manager's oversight",
    ),
    ("supervision", "Is this month's case supervision recorded?", "case supervision"),
    ("information_sharing", "Is information shared with the partner agencies that need it?", "information sharing"),
)


class QualitySample(models.Model):
    """One team's cohort for one month: drawn at random from the cases open when it was drawn."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    # The cohort size asked for when drawn (settings.QA_SAMPLE_SIZE then); fewer are drawn if fewer cases were open.
    size_asked = models.PositiveSmallIntegerField()
    drawn_at = models.DateTimeField()
    # None: drawn by the monthly schedule.
    drawn_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-year", "-month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "year", "month"], name="one_quality_sample_per_team_month"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="quality_sample_month_valid"),
        ]

    def __str__(self) -> str:
        return f"Quality sample {self.public_id}"

    @property
    def month_label(self) -> str:
        """ "March 2025": the month the sample is for."""
        from calendar import month_name  # here: this section is appended to the module

        return f"{month_name[self.month]} {self.year}"


class CaseAuditManager(models.Manager["CaseAudit"]):
    """With what every list of audits shows (the month, who completed it), so `case.quality_audits.all` on the case
    page is one query however many audits the child has had."""

    def get_queryset(self) -> models.QuerySet[CaseAudit]:
        return super().get_queryset().select_related("sample", "assigned_to", "completed_by")


class CaseAudit(models.Model):
    """The audit of one child's file in a month's sample: the checklist, a grade, the findings (the thorough report)
    and the actions that must follow. Completing it records it on the child's chronology."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sample = models.ForeignKey(QualitySample, on_delete=models.PROTECT, related_name="audits")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="quality_audits")
    assigned_to = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    risk_assessment = models.CharField(max_length=20, choices=AuditAnswer.choices, blank=True)
    plan = models.CharField(max_length=20, choices=AuditAnswer.choices, blank=True)
    chronology = models.CharField(max_length=20, choices=AuditAnswer.choices, blank=True)
    child_voice = models.CharField(max_length=20, choices=AuditAnswer.choices, blank=True)
    management_oversight = models.CharField(max_length=20, choices=AuditAnswer.choices, blank=True)
    supervision = models.CharField(max_length=20, choices=AuditAnswer.choices, blank=True)
    information_sharing = models.CharField(max_length=20, choices=AuditAnswer.choices, blank=True)
    grade = models.CharField(max_length=25, choices=AuditGrade.choices, blank=True)
    findings = models.TextField(blank=True)
    actions = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    objects = CaseAuditManager()

    class Meta:
        ordering = ["-sample__year", "-sample__month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "case"], name="one_audit_per_case_per_sample"),
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True)
                | (~models.Q(grade="") & models.Q(completed_by__isnull=False)),
                name="completed_audit_has_grade",
            ),
        ]

    def __str__(self) -> str:
        return f"Case audit {self.public_id}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    @property
    def answers(self) -> list[tuple[str, str, str]]:
        """The checklist as (field, question, answer label), in the form's order."""
        return [(name, question, self._answer_label(getattr(self, name))) for name, question, _ in AUDIT_CHECKS]

    @property
    def grade_tag(self) -> str:
        """The GOV.UK tag colour for the grade (the tag also says the grade in words)."""
        tags = {AuditGrade.GOOD.value: "green", AuditGrade.REQUIRES_IMPROVEMENT.value: "yellow"}
        return tags.get(self.grade, "red")

    @staticmethod
    def _answer_label(value: str) -> str:
        return AuditAnswer(value).label if value else "Not answered"
