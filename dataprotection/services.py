"""Every change the data protection officer's work makes: a subject access export made (and each download of it
logged), the nightly retention review list built, a retention decision recorded, a legal hold placed or lifted.

Each checks the person may do it (a manager who can see the child) and says why when refused; nothing is changed by
a refused request. An export is asked for here and built by a Celery task (`dataprotection.tasks`). Nothing here
deletes a child's record: a decision to destroy is recorded, and the destruction is carried out by the owning
agency's records process.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from dataprotection.dates import add_years
from dataprotection.export import FORMAT_VERSION, SCOPE, render_json, render_pdf
from dataprotection.models import (
    LegalHold,
    RetentionDecision,
    RetentionOutcome,
    RetentionReview,
    ReviewStatus,
    SubjectAccessExport,
)
from dataprotection.permissions import may_do_data_protection
from dataprotection.retention import RULES, rule_title
from dataprotection.selectors import (
    active_hold_for_child,
    content_counts,
    held_child_ids,
    latest_decisions,
    open_reviews,
    subject_access_content,
)
from evolve.access import gate
from evolve.accounts.models import User
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.chronology.services import chronology_record
from evolve.jobs import send_after_commit
from evolve.people.models import Child
from evolve.people.services import child_hold
from evolve.uploads.storage import private_storage

logger = logging.getLogger(__name__)

MAX_RETAIN_YEARS = 50
EXPORT_PREFIX = "subject-access"


class DataProtectionRefused(Exception):
    """The request cannot be carried out as things stand (a legal hold, a review already decided). Nothing changed."""


def _check(by: User, child: Child, what: str) -> None:
    if not may_do_data_protection(by) or not gate.can_see(by, child):
        raise PermissionDenied(f"Only a manager who can see the child's record can {what}.")


# Subject access -----------------------------------------------------------------------------------------------------


class ExportBeingBuilt(Exception):
    """Another run is building this export right now (a retry and a second asking can meet); that run finishes it."""


def subject_access_export_request(*, child: Child, by: User, reference: str = "") -> SubjectAccessExport:
    """Ask for an export of everything held about the child: recorded and logged against the child at once, built
    by `subject_access_export_task` once this commits (a child with years of records takes longer than a page
    should wait)."""
    _check(by, child, "make a subject access export")
    reference = " ".join(reference.split())
    if len(reference) > 100:
        raise ValidationError({"reference": "The reference must be 100 characters or fewer"})
    with transaction.atomic():
        export = SubjectAccessExport.objects.create(
            child=child, reference=reference, made_by=by, made_by_agency_id=by.agency_id, made_at=timezone.now()
        )
        record_access(
            user=by, children=[child], action=AccessAction.EXPORTED, what=f"Subject access export {export.pk}"
        )
        _ask_for_build(export.pk)
    return export


def _ask_for_build(export_id: int) -> None:
    from dataprotection.tasks import subject_access_export_task

    send_after_commit(subject_access_export_task, export_id, left_for="the export page's 'try again'")


def subject_access_export_retry(*, export: SubjectAccessExport, by: User) -> None:
    """Ask again for an export that failed or was never built (the broker was down)."""
    _check(by, export.child, "make a subject access export")
    if export.built_at is not None:
        raise DataProtectionRefused("This export has been made already.")
    with transaction.atomic():
        SubjectAccessExport.objects.filter(pk=export.pk).update(failed_at=None)
        _ask_for_build(export.pk)


def subject_access_export_build(*, export_id: int) -> SubjectAccessExport:
    """Build an asked-for export, once: gather everything held about the child, write the PDF and the JSON file to
    private storage under names fixed by the export (a half-written file from a killed run is overwritten), then
    record them on the export. The row stays locked while it builds, so a second run waits for nothing: it is told
    `ExportBeingBuilt`, or finds the export built."""
    with transaction.atomic():
        export = (
            SubjectAccessExport.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("child", "made_by__agency")
            .filter(pk=export_id)
            .first()
        )
        if export is None:
            if SubjectAccessExport.objects.filter(pk=export_id).exists():
                raise ExportBeingBuilt(f"Subject access export {export_id} is being built by another run")
            raise SubjectAccessExport.DoesNotExist(f"No subject access export {export_id}")
        if export.built_at is not None:
            return export
        by = export.made_by
        built_at = timezone.now()
        content = {
            "export": {
                "id": str(export.public_id),
                "format_version": FORMAT_VERSION,
                "asked_for_at": export.made_at,
                "made_at": built_at,
                "made_by": f"{by.display_name} ({by.agency.name})" if by.agency else by.display_name,
                "reference": export.reference,
                "scope": SCOPE,
            },
            **subject_access_content(child_id=export.child_id, export_id=export.pk),
        }
        pdf = render_pdf(content)
        machine_readable = render_json(content)
        storage = private_storage()
        folder = f"{EXPORT_PREFIX}/{export.public_id.hex}"
        stored = {}
        for name, data in (("export.pdf", pdf), ("export.json", machine_readable)):
            path = f"{folder}/{name}"
            if storage.exists(path):  # left by a run that died after writing and before recording it
                storage.delete(path)
            stored[name] = storage.save(path, ContentFile(data))
        export.pdf_name, export.json_name = stored["export.pdf"], stored["export.json"]
        export.pdf_sha256, export.pdf_size = hashlib.sha256(pdf).hexdigest(), len(pdf)
        export.json_sha256 = hashlib.sha256(machine_readable).hexdigest()
        export.json_size = len(machine_readable)
        export.counts = content_counts(content)
        export.built_at, export.failed_at = built_at, None
        export.save()
    logger.info("Subject access export %s built (%s bytes of PDF)", export.public_id, len(pdf))
    return export


def subject_access_export_failed(*, export_id: int) -> None:
    """Show on the export's page that building it failed (the task retries; the manager may ask again)."""
    SubjectAccessExport.objects.filter(pk=export_id, built_at__isnull=True).update(failed_at=timezone.now())


def subject_access_export_downloaded(*, export: SubjectAccessExport, by: User, format: str) -> None:
    """Log a download of an export's file against the child, before the file is sent."""
    _check(by, export.child, "download a subject access export")
    record_access(
        user=by,
        children=[export.child],
        action=AccessAction.EXPORTED,
        what=f"Subject access export {export.pk} downloaded as {format.upper()}",
    )


# Retention ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRun:
    created: int
    updated: int
    withdrawn: int


def retention_reviews_build(*, today: date | None = None) -> ReviewRun:
    """Put on the review list every child whose records under a rule have reached the end of their period, once per
    child and rule, unless a legal hold covers the child, a decision to destroy stands, or a decision to retain
    still runs. Safe to run twice (an open review is never duplicated: the database holds one per child and rule).
    An open review whose rule no longer applies (a corrected date of birth) is withdrawn, with the reason; one
    whose due date moved is moved with it. A child under a hold is left exactly as they are."""
    today = today or timezone.localdate()
    held = held_child_ids()
    still_open = open_reviews()
    decided = latest_decisions()
    new: list[RetentionReview] = []
    updated = 0
    for code, rule in RULES.items():
        for child_id, due_on in rule.due(today).items():
            if child_id in held:
                continue
            existing = still_open.pop((child_id, code), None)
            if existing is not None:
                if existing.due_on != due_on:
                    RetentionReview.objects.filter(pk=existing.pk, status=ReviewStatus.OPEN).update(due_on=due_on)
                    updated += 1
                continue
            decision = decided.get((child_id, code))
            if decision is not None:
                if decision.outcome == RetentionOutcome.DESTROY:
                    continue  # decided: the owning agency's process carries it out
                if decision.retain_until is not None:
                    if decision.retain_until > today:
                        continue
                    due_on = max(due_on, decision.retain_until)
            new.append(RetentionReview(child_id=child_id, rule=code, due_on=due_on))
    stale = [review.pk for (child_id, _), review in still_open.items() if child_id not in held]
    withdrawn = 0
    if stale:
        withdrawn = RetentionReview.objects.filter(pk__in=stale, status=ReviewStatus.OPEN).update(
            status=ReviewStatus.WITHDRAWN,
            withdrawn_at=timezone.now(),
            withdrawn_reason="The rule no longer applies to the child's records (a date was corrected or changed)",
        )
    created = RetentionReview.objects.bulk_create(new, ignore_conflicts=True)
    logger.info("Retention reviews: %s new, %s moved, %s withdrawn", len(created), updated, withdrawn)
    return ReviewRun(created=len(new), updated=updated, withdrawn=withdrawn)


def retention_decision_record(
    *, review: RetentionReview, by: User, outcome: str, reason: str, retain_years: int | None = None
) -> RetentionDecision:
    """Record the decision on an open review: retain for `retain_years` more years, or destroy. Refused while a
    legal hold covers the child, and once the review is decided or withdrawn. The decision is filed on the child's
    chronology and logged against the child."""
    child = review.child
    _check(by, child, "record a retention decision")
    errors: dict[str, str] = {}
    reason = reason.strip()
    if outcome not in RetentionOutcome.values:
        errors["outcome"] = "Select whether to retain or destroy the records"
    elif outcome == RetentionOutcome.RETAIN:
        if retain_years is None:
            errors["retain_years"] = "Enter how many more years to retain the records"
        elif not 1 <= retain_years <= MAX_RETAIN_YEARS:
            errors["retain_years"] = f"Enter a number of years from 1 to {MAX_RETAIN_YEARS}"
    if not reason:
        errors["reason"] = "Give the reason for the decision"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        child_hold(child_id=child.pk)
        current = RetentionReview.objects.select_for_update().get(pk=review.pk)
        if current.status != ReviewStatus.OPEN:
            raise DataProtectionRefused(
                "This review has already been closed: no further decision can be recorded on it."
            )
        hold = active_hold_for_child(child_id=child.pk)
        if hold is not None:
            raise DataProtectionRefused(
                f"The child's records are under a legal hold for {hold.inquiry}. No retention decision can be "
                "recorded until the hold is lifted."
            )
        now = timezone.now()
        retain = outcome == RetentionOutcome.RETAIN
        decision = RetentionDecision.objects.create(
            review=current,
            child_id=child.pk,
            rule=current.rule,
            outcome=outcome,
            retain_years=retain_years if retain else None,
            retain_until=add_years(timezone.localdate(now), retain_years) if retain and retain_years else None,
            reason=reason,
            decided_by=by,
            decided_by_agency_id=by.agency_id,
            decided_at=now,
        )
        current.status = ReviewStatus.DECIDED
        current.save(update_fields=["status"])
        what = (
            f"retain for {retain_years} more year{'s' if retain_years != 1 else ''}"
            if retain
            else "destroy (carried out by the owning agency's records process)"
        )
        chronology_record(
            child_id=child.pk,
            by=by,
            kind="retention_decision",
            summary=f"Retention review of {rule_title(current.rule).lower()}: {what}",
            rationale=reason,
            source_type="retention_decision",
            source_id=decision.pk,
            occurred_at=now,
        )
        record_access(user=by, children=[child], action=AccessAction.UPDATED, what=f"retention decision {decision.pk}")
    return decision


# Legal holds --------------------------------------------------------------------------------------------------------


def legal_hold_place(*, child: Child, by: User, inquiry: str, reason: str) -> LegalHold:
    """Stop every retention action on the child's records while an inquiry needs them."""
    _check(by, child, "place a legal hold")
    inquiry = " ".join(inquiry.split())
    reason = reason.strip()
    errors: dict[str, str] = {}
    if not inquiry:
        errors["inquiry"] = "Enter the inquiry, review or proceedings that need the records"
    elif len(inquiry) > 200:
        errors["inquiry"] = "The inquiry's name must be 200 characters or fewer"
    if not reason:
        errors["reason"] = "Give the reason for the hold"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        child_hold(child_id=child.pk)
        hold = LegalHold.objects.create(
            child=child, inquiry=inquiry, reason=reason, placed_by=by, placed_at=timezone.now()
        )
        chronology_record(
            child_id=child.pk,
            by=by,
            kind="legal_hold",
            summary=f"Legal hold placed on the records: {inquiry}",
            rationale=reason,
            source_type="legal_hold",
            source_id=hold.pk,
            occurred_at=hold.placed_at,
        )
        record_access(user=by, children=[child], action=AccessAction.UPDATED, what=f"legal hold {hold.pk} placed")
    return hold


def legal_hold_lift(*, hold: LegalHold, by: User, reason: str) -> LegalHold:
    """End a hold, keeping it with who lifted it, when and why. The child's records go back under the retention
    rules at the next nightly run (unless another hold is in force)."""
    child = hold.child
    _check(by, child, "lift a legal hold")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for lifting the hold"})
    with transaction.atomic():
        child_hold(child_id=child.pk)
        current = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if current.lifted_at is not None:
            raise DataProtectionRefused("This hold has already been lifted.")
        current.lifted_at = timezone.now()
        current.lifted_by = by
        current.lift_reason = reason
        current.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        chronology_record(
            child_id=child.pk,
            by=by,
            kind="legal_hold",
            summary=f"Legal hold lifted: {current.inquiry}",
            rationale=reason,
            source_type="legal_hold",
            source_id=current.pk,
            occurred_at=current.lifted_at,
        )
        record_access(user=by, children=[child], action=AccessAction.UPDATED, what=f"legal hold {current.pk} lifted")
    return current
