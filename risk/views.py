"""Risk assessment pages: a child's assessments, recording one (the screening of every indicator of the current
catalogue), one assessment with what changed since the previous one, and the team manager's oversight (seed 003).

Reads go through `risk.selectors` and the child through `evolve.people.selectors`; writes through `risk.services`,
whose refusals are shown on the form with everything the user typed."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evolve.access.grants import child_granted
from evolve.accounts.models import User
from evolve.accounts.roles import Role
from evolve.accounts.selectors import source_agencies
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.people.selectors import child_get_for_user
from evolve.ui.forms import form_show_service_errors, posted_texts, posted_version
from risk.forms import AssessmentForm, ReviewForm
from risk.models import Answer, CinFactor, IndicatorAnswer, IndicatorCategory, RiskAssessment, RiskLevel
from risk.permissions import may_assess, may_review
from risk.scoring import RULE_TEXT
from risk.selectors import (
    assessment_answers,
    assessment_compare,
    assessment_get_for_user,
    assessment_latest,
    assessments_awaiting_review,
    assessments_for_child,
    catalogue_current,
    catalogue_indicators,
)
from risk.services import AssessmentConflict, AssessmentRefused, assessment_record
from risk.services import assessment_review as assessment_review_record


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _level(value: str) -> str:
    return RiskLevel(value).label if value else ""


# A child's assessments ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def child_assessments(request: HttpRequest, child_id: str) -> HttpResponse:
    user = _user(request)
    child = child_get_for_user(user=user, public_id=child_id, audit_what=None)
    if not (user.is_team_member or child_granted(child=child, user=user)):
        raise Http404("Risk assessments are the team's, and those given the child's case")
    record_access(user=user, children=[child], action=AccessAction.VIEWED, what="risk assessments")
    assessments = assessments_for_child(user=user, child_id=child.pk)
    latest = assessments[0] if assessments else None
    context = {
        "child": child,
        "assessments": assessments,
        "overdue": latest is not None and latest.next_review_on < timezone.localdate(),
        "may_assess": may_assess(user),
    }
    return render(request, "risk/child_assessments.html", context)


# Recording one ------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest, child_id: str) -> HttpResponse:
    user = _user(request)
    posted = request.method == "POST"
    # The form's first showing logs the read; showing it again after a refused save has nothing new to log.
    child = child_get_for_user(user=user, public_id=child_id, audit_what=None if posted else "risk assessment form")
    if not may_assess(user):
        raise PermissionDenied("Only members of the Evolve team record a risk assessment.")
    version = catalogue_current()
    form = AssessmentForm(
        request.POST if posted else None,
        groups=catalogue_indicators(version=version),
        agencies=source_agencies(team_id=user.team_id),
    )
    status, refusal = 200, ""
    if posted:
        if form.is_valid():
            data = form.cleaned_data
            try:
                assessment = assessment_record(
                    child=child,
                    by=user,
                    answers=form.answer_inputs(),
                    next_review_on=form.next_review(),
                    assessed_on=data["assessed_on"],
                    summary=data["summary"],
                    cin_factors=data["cin_factors"],
                )
            except ValidationError as error:
                form_show_service_errors(form, error)
            except AssessmentRefused as error:
                refusal = str(error)
            else:
                level = RiskLevel(assessment.suggested_level).label.lower()
                messages.success(request, f"Risk assessment recorded: the screening suggests {level} risk")
                return redirect("risk:assessment-detail", public_id=assessment.public_id)
        status = 409 if refusal else 400
    context = {"child": child, "form": form, "version": version, "refusal": refusal, "has_errors": bool(refusal)}
    return render(request, "risk/assessment_new.html", context, status=status)


# One assessment -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswersUnder:
    """One category's answers as the page shows them: the present ones in full, the others counted and listed."""

    category: IndicatorCategory
    present: list[IndicatorAnswer]
    not_present: list[IndicatorAnswer]
    unknown: list[IndicatorAnswer]


def _answers_under(assessment: RiskAssessment) -> list[AnswersUnder]:
    shown = []
    for group in assessment_answers(assessment=assessment):
        by_answer: dict[str, list[IndicatorAnswer]] = {value: [] for value in Answer.values}
        for answer in group.answers:
            by_answer[answer.answer].append(answer)
        shown.append(
            AnswersUnder(
                category=group.category,
                present=by_answer[Answer.PRESENT],
                not_present=by_answer[Answer.NOT_PRESENT],
                unknown=by_answer[Answer.UNKNOWN],
            )
        )
    return shown


def _detail_page(
    request: HttpRequest,
    user: User,
    assessment: RiskAssessment,
    review_form: ReviewForm | None,
    status: int = 200,
    refusal: str = "",
    kept: list[str] | None = None,
) -> HttpResponse:
    groups = _answers_under(assessment)
    comparison = assessment_compare(assessment=assessment)
    latest = assessment_latest(user=user, child_id=assessment.child_id)
    is_latest = latest is not None and latest.pk == assessment.pk
    context = {
        "assessment": assessment,
        "child": assessment.child,
        "groups": groups,
        "present_total": sum(len(group.present) for group in groups),
        "unknown_total": sum(len(group.unknown) for group in groups),
        "rule_text": RULE_TEXT,
        "cin_factors": [CinFactor(code).label for code in assessment.cin_factors],
        "comparison": comparison,
        "level_before": _level(comparison.level_before),
        "level_after": _level(comparison.level_after),
        "is_latest": is_latest,
        "overdue": is_latest and assessment.next_review_on < timezone.localdate(),
        "review_form": review_form,
        "refusal": refusal,
        "kept": kept or [],
        "has_errors": bool(refusal or (review_form is not None and review_form.errors)),
    }
    return render(request, "risk/assessment_detail.html", context, status=status)


def _review_form(user: User, assessment: RiskAssessment) -> ReviewForm | None:
    if assessment.reviewed_at is None and may_review(user, assessment):
        return ReviewForm()
    return None


@login_required
@require_GET
def assessment_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    assessment = assessment_get_for_user(user=user, public_id=public_id)
    return _detail_page(request, user, assessment, _review_form(user, assessment))


@login_required
@require_POST
def assessment_review(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    assessment = assessment_get_for_user(user=user, public_id=public_id)
    if not may_review(user, assessment):
        raise PermissionDenied("Only the team's manager reviews a risk assessment.")
    form = ReviewForm(request.POST)
    refusal = ""
    if form.is_valid():
        try:
            assessment_review_record(
                assessment=assessment,
                by=user,
                comment=form.cleaned_data["comment"],
                based_on_version=posted_version(request),
            )
        except ValidationError as error:
            form_show_service_errors(form, error)
        except AssessmentConflict as conflict:
            refusal = (
                f"{conflict}: it was reviewed or its level agreed while you were writing. Check the page as it is "
                "now; what you wrote is below."
            )
        except AssessmentRefused as error:
            refusal = str(error)
        else:
            messages.success(request, "Your oversight is recorded")
            return redirect("risk:assessment-detail", public_id=assessment.public_id)
    # Shown again as it is now, with what they wrote kept, even if someone else reviewed it meanwhile.
    assessment = assessment_get_for_user(user=user, public_id=public_id)
    # The form is not offered on an assessment already reviewed, so the comment is given back above the page.
    kept = posted_texts(request, ("comment",)) if refusal else []
    return _detail_page(request, user, assessment, form, status=409 if refusal else 400, refusal=refusal, kept=kept)


# The team manager's oversight ---------------------------------------------------------------------------------------


@login_required
@require_GET
def oversight(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not (user.is_team_member and user.has_role(Role.TEAM_MANAGER)):
        raise PermissionDenied("The oversight of risk assessments is the team manager's.")
    awaiting = assessments_awaiting_review(user=user)
    return render(request, "risk/oversight.html", {"assessments": awaiting, "today": timezone.localdate()})
