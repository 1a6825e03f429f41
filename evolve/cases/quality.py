"""The monthly quality assurance sample (seed 003): "every month a cohort of approximately 40 young people are
selected for audit and QA checks. A thorough report is completed on each young person and recorded on their file."

- Early on the 1st the schedule draws each team's sample: `settings.QA_SAMPLE_SIZE` of the cases open at that moment
  (all of them if fewer are open), at random, one audit per case. The team manager or the detective sergeant may draw
  it by hand if the schedule has not; drawing again gives the same sample.
- The team manager and the detective sergeant assign audits to members of the team who can see the child.
- The assigned auditor, the team manager or the detective sergeant completes the audit: the checklist of the team's QA
  map, a grade, the findings and the actions. Completing it writes it on the child's chronology.

Who may do what is decided here (the case's own gate still decides who sees each child); the reads are in
`evolve.cases.selectors`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from evolve.access import gate
from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from evolve.accounts.selectors import teams_all
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.cases.models import AUDIT_CHECKS, AuditAnswer, AuditGrade, Case, CaseAudit, QualitySample
from evolve.cases.permissions import DECIDING_ROLES
from evolve.cases.selectors import quality_sample_candidates, quality_sample_for_month
from evolve.chronology.services import chronology_record
from evolve.notifications.services import notify
from evolve.versioning import locked_at_version, saved_with_new_version

logger = logging.getLogger(__name__)

AUDIT_SOURCE = "case_audit"
AUDIT_FIELDS = tuple(name for name, _, _ in AUDIT_CHECKS)


class QualityRefused(Exception):
    """A step this person may not take, or not now. The message says why, for the user; nothing was changed."""


class AuditConflict(Exception):
    """Someone else saved the audit after the version this change was based on."""

    def __init__(self, current: CaseAudit) -> None:
        super().__init__(
            "Someone else saved this audit while you were working on it. What they saved is shown below, and what "
            "you wrote is kept in the form: saving again puts yours in place of theirs"
        )
        self.current = current


# Who may do what ----------------------------------------------------------------------------------------------------


def may_see_quality(user: User, team_id: int) -> bool:
    """The team's samples: every member of the team (each child still only if the case's gate lets them see it)."""
    return user.is_active and user.is_team_member and user.team_id == team_id


def may_run_quality(user: User, team_id: int) -> bool:
    """Drawing the sample and assigning the audits: the team manager and the detective sergeant of the team."""
    return may_see_quality(user, team_id) and user.has_role(*DECIDING_ROLES)


def may_work_on_audit(user: User, audit: CaseAudit) -> bool:
    """The team manager, the detective sergeant, or the member of the team the audit is assigned to. (The caller has
    read the audit through the gate, so the user can see the child.)"""
    if not may_see_quality(user, audit.sample.team_id):
        return False
    return user.has_role(*DECIDING_ROLES) or audit.assigned_to_id == user.pk


def may_complete_audit(user: User, audit: CaseAudit) -> bool:
    """Those who work on the audit, while it is not completed."""
    return audit.completed_at is None and may_work_on_audit(user, audit)


# Drawing the sample -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleDrawn:
    sample: QualitySample
    # False: the month's sample had already been drawn, and this is it.
    created: bool


@transaction.atomic
def quality_sample_draw(
    *, team_id: int, year: int, month: int, by: User | None, size: int | None = None
) -> SampleDrawn:
    """The team's sample for the month: drawn now if it has not been (`by` None is the schedule), otherwise the one
    drawn before. A manager draws only the current month's (London time); the cohort is of the cases open now."""
    if not 1 <= month <= 12 or not 2000 <= year <= 9999:
        raise QualityRefused("Choose a month from 1 to 12 of a year from 2000")
    if by is not None:
        if not may_run_quality(by, team_id):
            raise QualityRefused("Only the team manager and the detective sergeant of the team draw the sample")
        today = timezone.localdate()
        if (year, month) != (today.year, today.month):
            raise QualityRefused("Only this month's sample can be drawn: it is of the cases open now")
    size = settings.QA_SAMPLE_SIZE if size is None else size
    if size < 1:
        raise ValidationError({"size": "The sample must have at least one child in it"})
    # One draw at a time per team: a second (the schedule and a manager at once) waits, then finds the first's.
    Team.objects.select_for_update().get(pk=team_id)
    existing = quality_sample_for_month(team_id=team_id, year=year, month=month)
    if existing is not None:
        return SampleDrawn(sample=existing, created=False)
    now = timezone.now()
    case_ids = quality_sample_candidates(team_id=team_id, at=now, size=size)
    sample = QualitySample.objects.create(
        team_id=team_id, year=year, month=month, size_asked=size, drawn_at=now, drawn_by=by
    )
    CaseAudit.objects.bulk_create(CaseAudit(sample=sample, case_id=case_id) for case_id in case_ids)
    logger.info(
        "Quality sample %s drawn for team %s, %04d-%02d: %s of %s asked (by user %s)",
        sample.pk,
        team_id,
        year,
        month,
        len(case_ids),
        size,
        by.pk if by else "schedule",
    )
    return SampleDrawn(sample=sample, created=True)


def quality_samples_schedule(today: date | None = None) -> list[SampleDrawn]:
    """This month's sample for every team (the beat task on the 1st; safe to run again: it draws each once)."""
    today = today or timezone.localdate()
    return [
        quality_sample_draw(team_id=team_id, year=today.year, month=today.month, by=None)
        for team_id in teams_all().order_by("pk").values_list("pk", flat=True)
    ]


# Assigning the audits -----------------------------------------------------------------------------------------------


def _sample_url(sample: QualitySample) -> str:
    return reverse("cases:quality-sample", args=[sample.public_id])


@transaction.atomic
def case_audit_assign(*, sample: QualitySample, audits: Sequence[CaseAudit], by: User, to: User) -> int:
    """Ask `to` (a member of the team who can see each child) to complete these audits of the sample. Reassigning
    moves each audit's version on, so someone else's unsaved page is told. Returns how many were assigned."""
    if not may_run_quality(by, sample.team_id):
        raise QualityRefused("Only the team manager and the detective sergeant of the team assign the audits")
    if not audits:
        raise ValidationError({"audits": "Choose at least one child whose audit to assign"})
    if any(audit.sample_id != sample.pk for audit in audits):
        raise QualityRefused("Those audits are not all in this sample")
    if not to.is_active or not to.is_team_member or to.team_id != sample.team_id or to.has_role(Role.GOVERNANCE):
        raise ValidationError({"auditor": "Choose a member of the team"})
    ids = [audit.pk for audit in audits]
    locked = list(CaseAudit.objects.select_related(None).select_for_update().filter(pk__in=ids).order_by("pk"))
    if any(audit.completed_at is not None for audit in locked):
        raise ValidationError({"audits": "An audit that is complete cannot be assigned again: leave it out"})
    case_ids = {audit.case_id for audit in locked}
    seen = set(gate.visible_to(to, Case.objects.filter(pk__in=case_ids)).values_list("pk", flat=True))
    unseen = len(case_ids - seen)
    if unseen:
        raise ValidationError(
            {
                "auditor": f"{to.display_name} cannot see {unseen} of the children chosen (a record restricted to "
                "another agency): choose someone else for them"
            }
        )
    assigned = CaseAudit.objects.filter(pk__in=ids).update(assigned_to=to, version=F("version") + 1)
    if to.pk != by.pk:
        notify(
            users=[to],
            subject="You have been asked to complete quality assurance audits",
            body=f"You have been asked to audit {assigned} child{'ren' if assigned != 1 else ''}'s case"
            f"{'s' if assigned != 1 else ''} in the {sample.month_label} quality assurance sample.",
            url=_sample_url(sample),
        )
    logger.info("Quality audits %s of sample %s assigned to user %s by user %s", ids, sample.pk, to.pk, by.pk)
    return assigned


# Completing an audit ------------------------------------------------------------------------------------------------


def _audit_errors(
    *, answers: Mapping[str, str], grade: str, findings: str, actions: str, complete: bool
) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, _, about in AUDIT_CHECKS:
        answer = answers.get(name, "")
        if answer and answer not in AuditAnswer.values:
            errors[name] = f"Select yes, no or not applicable for {about}"
        elif complete and not answer:
            errors[name] = f"Select yes, no or not applicable for {about} to complete the audit"
    if grade and grade not in AuditGrade.values:
        errors["grade"] = "Select the grade"
    elif complete and not grade:
        errors["grade"] = "Select the grade to complete the audit"
    if complete and not findings:
        errors["findings"] = "Write the findings to complete the audit"
    if complete and grade and grade != AuditGrade.GOOD and not actions:
        errors["actions"] = "Write the actions that must follow: the grade is not good"
    return errors


@transaction.atomic
def case_audit_complete(
    *,
    audit: CaseAudit,
    by: User,
    based_on_version: int | None,
    answers: Mapping[str, str],
    grade: str,
    findings: str,
    actions: str,
    complete: bool = True,
) -> CaseAudit:
    """Save the audit, and with `complete` finish it: every question answered, the grade, the findings (and the
    actions unless the grade is good), recorded on the child's chronology. `complete=False` keeps a draft. A version
    other than `based_on_version` is refused with `AuditConflict` (the page keeps the user's text); nothing changes
    on any refusal."""
    current = locked_at_version(
        CaseAudit.objects.select_related(None),
        pk=audit.pk,
        based_on_version=based_on_version,
        conflict=AuditConflict,
    )
    current.sample = QualitySample.objects.get(pk=current.sample_id)
    case = Case.objects.select_related("child").get(pk=current.case_id)
    if current.completed_at is not None:
        raise QualityRefused("This audit has been completed: it cannot be changed")
    if not may_complete_audit(by, current) or not gate.can_see(by, case):
        raise QualityRefused(
            "Only the member of the team it is assigned to, the team manager and the detective sergeant complete "
            "this audit"
        )
    findings, actions = (findings or "").strip(), (actions or "").strip()
    grade = grade or ""
    errors = _audit_errors(answers=answers, grade=grade, findings=findings, actions=actions, complete=complete)
    if errors:
        raise ValidationError(errors)
    for name in AUDIT_FIELDS:
        setattr(current, name, answers.get(name, ""))
    current.grade, current.findings, current.actions = grade, findings, actions
    fields = [*AUDIT_FIELDS, "grade", "findings", "actions"]
    if complete:
        current.completed_at, current.completed_by = timezone.now(), by
        fields += ["completed_at", "completed_by"]
    saved_with_new_version(current, *fields)
    if complete:
        label = AuditGrade(grade).label
        chronology_record(
            child_id=case.child_id,
            by=by,
            kind="case.quality_audit",
            summary=f"Quality assurance audit completed: {label}",
            rationale=f"Findings: {findings}" + (f"\n\nActions: {actions}" if actions else ""),
            source_type=AUDIT_SOURCE,
            source_id=current.pk,
        )
    record_access(
        user=by,
        children=[case.child],
        action=AccessAction.UPDATED,
        what=f"quality assurance audit {current.pk}{' completed' if complete else ' saved'}",
    )
    current.case = case
    return current
