"""Pages of the monthly quality assurance sample: the team's samples (and drawing this month's), one sample with its
children and auditors, and one child's audit."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from evolve.accounts.models import User
from evolve.cases.quality import (
    AuditConflict,
    QualityRefused,
    case_audit_assign,
    case_audit_complete,
    may_complete_audit,
    may_run_quality,
    may_work_on_audit,
    quality_sample_draw,
)
from evolve.cases.quality_forms import AssignForm, AuditForm
from evolve.cases.selectors import (
    case_audit_get_for_user,
    case_audit_viewed,
    quality_audits_assigned_to,
    quality_sample_get_for_user,
    quality_sample_page,
    quality_samples_for_user,
)
from evolve.ui.forms import form_run_service, form_show_service_errors, posted_version


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@require_http_methods(["GET", "POST"])
def quality_samples(request: HttpRequest) -> HttpResponse:
    """The team's samples, newest first; the team manager and the detective sergeant draw this month's (POST)."""
    user = _user(request)
    if not user.is_team_member or user.team_id is None:
        raise PermissionDenied("Quality assurance audits are the Evolve team's.")
    may_draw = may_run_quality(user, user.team_id)
    today = timezone.localdate()
    refusal = ""
    if request.method == "POST":
        if not may_draw:
            raise PermissionDenied("Only the team manager and the detective sergeant draw the sample.")
        try:
            drawn = quality_sample_draw(team_id=user.team_id, year=today.year, month=today.month, by=user)
        except (QualityRefused, ValidationError) as error:
            refusal = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        else:
            if drawn.created:
                messages.success(request, f"This month's sample is drawn: {drawn.sample.audits.count()} children")
            else:
                messages.info(request, "This month's sample had already been drawn: here it is")
            return redirect("cases:quality-sample", public_id=drawn.sample.public_id)
    rows = quality_samples_for_user(user=user)
    this_month = next((row for row in rows if (row.sample.year, row.sample.month) == (today.year, today.month)), None)
    context = {
        "rows": rows,
        "this_month": this_month,
        "month_label": today.strftime("%B %Y"),
        "may_draw": may_draw,
        "assigned": quality_audits_assigned_to(user=user),
        "refusal": refusal,
    }
    return render(request, "cases/quality_samples.html", context, status=409 if refusal else 200)


@require_http_methods(["GET", "POST"])
def quality_sample(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One month's sample: each child with their auditor, grade and whether done; the managers assign (POST)."""
    user = _user(request)
    sample = quality_sample_get_for_user(user=user, public_id=public_id)
    may_assign = may_run_quality(user, sample.team_id)
    if request.method == "POST" and not may_assign:
        raise PermissionDenied("Only the team manager and the detective sergeant assign the audits.")
    page = quality_sample_page(user=user, sample=sample)
    assignable = [row.audit for row in page.rows if row.visible and row.audit.completed_at is None]
    form = AssignForm(request.POST if request.method == "POST" else None, audits=assignable, auditors=page.auditors)
    status = 200
    if request.method == "POST":

        def assign() -> int:
            return case_audit_assign(sample=sample, audits=form.chosen_audits(), by=user, to=form.chosen_auditor())

        done, refusal = form_run_service(form, assign, (QualityRefused,))
        if done:
            messages.success(request, f"Assigned to {form.chosen_auditor().display_name}")
            return redirect("cases:quality-sample", public_id=sample.public_id)
        status = 409 if refusal else 400
    context = {"page": page, "sample": sample, "form": form if may_assign and assignable else None}
    return render(request, "cases/quality_sample.html", context, status=status)


@require_http_methods(["GET", "POST"])
def case_audit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One child's audit: the form for whoever may complete it, what was found for everyone else in the team."""
    user = _user(request)
    audit = case_audit_get_for_user(user=user, public_id=public_id)
    posted = request.method == "POST"
    # Someone no longer allowed (the audit was given to another auditor while they wrote) is refused, but shown what
    # they wrote so that nothing is lost; an audit completed meanwhile is the service's conflict (text kept too).
    forbidden = posted and not may_work_on_audit(user, audit)
    form = AuditForm(request.POST if posted else None, initial=AuditForm.initial_for(audit))
    version, refusal, theirs = audit.version, "", None
    if forbidden:
        holder = audit.assigned_to.display_name if audit.assigned_to else "someone else"
        refusal = (
            f"This audit is no longer yours to complete (it is assigned to {holder}). Nothing was saved: what you "
            "wrote is below, to copy."
        )
    elif posted:
        version = posted_version(request)
        completing = "complete" in request.POST
        if form.is_valid():
            try:
                audit = case_audit_complete(
                    audit=audit,
                    by=user,
                    based_on_version=version,
                    answers=form.answers(),
                    grade=form.cleaned_data["grade"],
                    findings=form.cleaned_data["findings"],
                    actions=form.cleaned_data["actions"],
                    complete=completing,
                )
            except ValidationError as error:
                form_show_service_errors(form, error)
            except AuditConflict as conflict:
                refusal = str(conflict)
                # The audit as it is now, to show beside what the user wrote; saving again is based on it.
                audit = theirs = case_audit_get_for_user(user=user, public_id=public_id)
                version = audit.version
            except QualityRefused as error:
                refusal = str(error)
            else:
                if completing:
                    messages.success(request, "The audit is complete, and recorded on the child's chronology")
                    return redirect("cases:quality-sample", public_id=audit.sample.public_id)
                messages.success(request, "Your draft of the audit is saved")
                return redirect("cases:case-audit", public_id=audit.public_id)
    case_audit_viewed(user=user, audit=audit)
    context = {
        "audit": audit,
        "sample": audit.sample,
        "case": audit.case,
        "child": audit.case.child,
        "form": form,
        "version": version,
        "may_complete": may_complete_audit(user, audit),
        "refusal": refusal,
        "theirs": theirs,
        # Keep what the user wrote on the page even when they may no longer save it (someone completed it).
        "show_form": may_complete_audit(user, audit) or posted,
    }
    status = 403 if forbidden else (409 if refusal else (400 if posted else 200))
    return render(request, "cases/quality_audit.html", context, status=status)
