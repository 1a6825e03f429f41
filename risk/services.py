"""Writing the screening catalogue and risk assessments. Public: other apps (and the admin) write only through these.

A published version is fixed: assessments and referrals point at its indicators and must keep meaning what they
meant on the day. Every write here locks the version's row first, so a change and a publication of the same
version cannot interleave, and refuses with a ValidationError (keyed by field where there is one) if the version is
published. To change the tool, copy a version into a draft (`catalogue_draft_from`), edit the draft, publish it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from evolve.access import gate
from evolve.accounts.models import Agency, User
from evolve.accounts.roles import Role
from evolve.accounts.selectors import users_with_role
from evolve.chronology.services import chronology_record
from evolve.notifications.services import notify
from evolve.people.models import Child
from evolve.versioning import locked_at_version, saved_with_new_version
from risk.models import (
    Answer,
    CatalogueVersion,
    CinFactor,
    Indicator,
    IndicatorAnswer,
    IndicatorCategory,
    RiskAssessment,
    RiskLevel,
    Seen,
)
from risk.permissions import may_agree, may_assess, may_review
from risk.scoring import ScreenedAnswer, suggest
from risk.selectors import catalogue_current

CATEGORY_FIELDS = ("code", "name", "order")
INDICATOR_FIELDS = ("category", "code", "text", "guidance", "is_high_risk", "applies_to", "order")
VERSION_FIELDS = ("name", "notes")


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _after_last(siblings: QuerySet[Any]) -> int:
    return (siblings.aggregate(last=Max("order"))["last"] or 0) + 1


def _draft_locked(*, version_id: int) -> CatalogueVersion:
    """The version, locked until the transaction ends, or a refusal if it is published."""
    version = CatalogueVersion.objects.select_for_update().get(pk=version_id)
    if version.is_published:
        raise ValidationError(
            f"Version {version.number} of the screening catalogue is published and cannot be changed. "
            "Make a new draft from it and change that instead."
        )
    return version


def _code_errors(code: str) -> str | None:
    if not code:
        return "Enter a code"
    try:
        validate_slug(code)
    except ValidationError:
        return "A code is lower-case letters, numbers and hyphens only, such as missing-episodes"
    return None


# Versions ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def catalogue_draft_from(*, version: CatalogueVersion, by_name: str = "") -> CatalogueVersion:
    """A new, unpublished copy of `version` (its categories and indicators, codes and order kept) with the next
    number. The copy shares nothing with the original, so editing it leaves the original exactly as it was.

    The highest-numbered row is locked before the next number is worked out, so two administrators drafting at
    once get consecutive numbers instead of one of them failing on the unique number."""
    list(CatalogueVersion.objects.select_for_update().order_by("-number").values_list("pk", flat=True)[:1])
    # A new statement after the lock: in READ COMMITTED it sees a number another transaction has just committed.
    highest = CatalogueVersion.objects.aggregate(highest=Max("number"))["highest"] or 0
    draft = CatalogueVersion.objects.create(
        number=highest + 1,
        name=version.name,
        created_by_name=_one_line(by_name),
        based_on=version,
        notes=f"Drafted from version {version.number}.",
    )
    originals = list(IndicatorCategory.objects.filter(version=version).order_by("order", "id"))
    copies = IndicatorCategory.objects.bulk_create(
        IndicatorCategory(version=draft, code=category.code, name=category.name, order=category.order)
        for category in originals
    )
    copy_of = {original.pk: copy for original, copy in zip(originals, copies, strict=True)}
    Indicator.objects.bulk_create(
        Indicator(
            category=copy_of[indicator.category_id],
            code=indicator.code,
            text=indicator.text,
            guidance=indicator.guidance,
            is_high_risk=indicator.is_high_risk,
            applies_to=indicator.applies_to,
            order=indicator.order,
        )
        for indicator in Indicator.objects.filter(category__version=version).order_by("order", "id")
    )
    return draft


@transaction.atomic
def catalogue_publish(*, version: CatalogueVersion) -> CatalogueVersion:
    """Fix a draft and make it the current catalogue. Earlier versions stay exactly as they were, for the
    assessments that used them.

    Refused if the version is already published, has no indicators, has a category with no indicators (an empty
    heading on a form), or is older than a version already published (it would never become current)."""
    locked = CatalogueVersion.objects.select_for_update().get(pk=version.pk)
    if locked.published_at is not None:
        raise ValidationError(
            f"Version {locked.number} of the screening catalogue was already published on "
            f"{timezone.localtime(locked.published_at):%d %B %Y}."
        )
    newer = CatalogueVersion.objects.filter(published_at__isnull=False, number__gt=locked.number).order_by("-number")
    newest = newer.first()
    if newest is not None:
        raise ValidationError(
            f"Version {locked.number} is older than version {newest.number}, which is already published. "
            f"Make a new draft from version {newest.number} instead."
        )
    categories = list(
        IndicatorCategory.objects.filter(version=locked).annotate(size=Count("indicators")).order_by("order", "id")
    )
    if not any(category.size for category in categories):
        raise ValidationError(f"Version {locked.number} has no indicators. Add at least one before publishing it.")
    empty = [category.name for category in categories if not category.size]
    if empty:
        raise ValidationError(
            f"Version {locked.number} has categories with no indicators: {', '.join(empty)}. "
            "Add indicators to them or remove them before publishing."
        )
    locked.published_at = timezone.now()
    locked.save(update_fields=["published_at"])
    return locked


@transaction.atomic
def catalogue_draft_update(*, version: CatalogueVersion, changes: dict[str, Any]) -> CatalogueVersion:
    """Rename a draft or change its notes. Refused once published."""
    unknown = set(changes) - set(VERSION_FIELDS)
    if unknown:
        raise ValueError(f"Not changeable on a catalogue version: {sorted(unknown)}")
    locked = _draft_locked(version_id=version.pk)
    if "name" in changes:
        name = _one_line(changes["name"])
        if not name:
            raise ValidationError({"name": "Enter a name for the version"})
        locked.name = name
    if "notes" in changes:
        locked.notes = (changes["notes"] or "").strip()
    locked.save(update_fields=["name", "notes"])
    return locked


@transaction.atomic
def catalogue_draft_delete(*, version: CatalogueVersion) -> None:
    """Throw a draft away. A published version is never deleted: assessments may point at it."""
    _draft_locked(version_id=version.pk).delete()


# Categories --------------------------------------------------------------------------------------------------------


def indicator_category_validate(
    *, version: CatalogueVersion, code: str, name: str, exclude_id: int | None = None
) -> None:
    """The rules for a category, shared by the services and the admin form. Raises ValidationError keyed by field."""
    errors: dict[str, str] = {}  # `exclude_id or 0` below: no row has the primary key 0
    code_error = _code_errors(code)
    if code_error:
        errors["code"] = code_error
    elif IndicatorCategory.objects.filter(version=version, code=code).exclude(pk=exclude_id or 0).exists():
        errors["code"] = f"Version {version.number} already has a category with the code {code}"
    if not _one_line(name):
        errors["name"] = "Enter the category's name"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def indicator_category_add(
    *, version: CatalogueVersion, code: str, name: str, order: int | None = None
) -> IndicatorCategory:
    """A new heading at the end of a draft (or at `order`). Refused on a published version."""
    locked = _draft_locked(version_id=version.pk)
    code = code.strip()
    indicator_category_validate(version=locked, code=code, name=name)
    if order is None:
        order = _after_last(IndicatorCategory.objects.filter(version=locked))
    return IndicatorCategory.objects.create(version=locked, code=code, name=_one_line(name), order=order)


@transaction.atomic
def indicator_category_update(*, category: IndicatorCategory, changes: dict[str, Any]) -> IndicatorCategory:
    unknown = set(changes) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValueError(f"Not changeable on a category: {sorted(unknown)}")
    locked = _draft_locked(version_id=category.version_id)
    current = IndicatorCategory.objects.get(pk=category.pk)
    merged = {name: changes.get(name, getattr(current, name)) for name in CATEGORY_FIELDS}
    merged["code"] = (merged["code"] or "").strip()
    indicator_category_validate(version=locked, code=merged["code"], name=merged["name"], exclude_id=current.pk)
    if merged["order"] is None:
        merged["order"] = _after_last(IndicatorCategory.objects.filter(version=locked))
    current.code = merged["code"]
    current.name = _one_line(merged["name"])
    current.order = merged["order"]
    current.save(update_fields=list(CATEGORY_FIELDS))
    return current


@transaction.atomic
def indicator_category_remove(*, category: IndicatorCategory) -> None:
    """Remove a heading and its indicators from a draft. Refused on a published version."""
    _draft_locked(version_id=category.version_id)
    IndicatorCategory.objects.filter(pk=category.pk).delete()


# Indicators --------------------------------------------------------------------------------------------------------


def indicator_validate(
    *, version: CatalogueVersion, code: str, text: str, applies_to: str, exclude_id: int | None = None
) -> None:
    """The rules for an indicator, shared by the services and the admin form. Codes are unique across the whole
    version, not just the category: referrals and assessments name indicators by code. Raises ValidationError
    keyed by field."""
    errors: dict[str, str] = {}  # `exclude_id or 0` below: no row has the primary key 0
    code_error = _code_errors(code)
    if code_error:
        errors["code"] = code_error
    elif Indicator.objects.filter(category__version=version, code=code).exclude(pk=exclude_id or 0).exists():
        errors["code"] = f"Version {version.number} already has an indicator with the code {code}"
    if not _one_line(text):
        errors["text"] = "Enter the question as a practitioner will read it"
    if applies_to not in Indicator.AppliesTo.values:
        errors["applies_to"] = "Choose whether it applies to sexual exploitation, criminal exploitation or both"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def indicator_add(
    *,
    category: IndicatorCategory,
    code: str,
    text: str,
    guidance: str,
    is_high_risk: bool,
    applies_to: str,
    order: int | None = None,
) -> Indicator:
    """A new indicator at the end of its category (or at `order`). Refused on a published version."""
    locked = _draft_locked(version_id=category.version_id)
    code = code.strip()
    indicator_validate(version=locked, code=code, text=text, applies_to=applies_to)
    if order is None:
        order = _after_last(Indicator.objects.filter(category=category))
    return Indicator.objects.create(
        category=category,
        code=code,
        text=_one_line(text),
        guidance=(guidance or "").strip(),
        is_high_risk=is_high_risk,
        applies_to=applies_to,
        order=order,
    )


@transaction.atomic
def indicator_update(*, indicator: Indicator, changes: dict[str, Any]) -> Indicator:
    """Reword, reclassify, reorder or move an indicator within its draft. Refused on a published version."""
    unknown = set(changes) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValueError(f"Not changeable on an indicator: {sorted(unknown)}")
    version_id = Indicator.objects.filter(pk=indicator.pk).values_list("category__version_id", flat=True).get()
    locked = _draft_locked(version_id=version_id)
    # Read under the version's lock: what another change saved meanwhile is kept for the fields this one leaves alone.
    current = Indicator.objects.select_related("category").get(pk=indicator.pk)
    merged = {name: changes.get(name, getattr(current, name)) for name in INDICATOR_FIELDS}
    merged["code"] = (merged["code"] or "").strip()
    if merged["category"].version_id != locked.pk:
        raise ValidationError({"category": "An indicator can only move to a category of the same version"})
    indicator_validate(
        version=locked, code=merged["code"], text=merged["text"], applies_to=merged["applies_to"], exclude_id=current.pk
    )
    if merged["order"] is None:
        merged["order"] = _after_last(Indicator.objects.filter(category=merged["category"]))
    current.category = merged["category"]
    current.code = merged["code"]
    current.text = _one_line(merged["text"])
    current.guidance = (merged["guidance"] or "").strip()
    current.is_high_risk = bool(merged["is_high_risk"])
    current.applies_to = merged["applies_to"]
    current.order = merged["order"]
    current.save(update_fields=list(INDICATOR_FIELDS))
    return current


@transaction.atomic
def indicator_remove(*, indicator: Indicator) -> None:
    """Take an indicator out of a draft. Refused on a published version."""
    current = Indicator.objects.select_related("category").get(pk=indicator.pk)
    _draft_locked(version_id=current.category.version_id)
    current.delete()


# Risk assessments ---------------------------------------------------------------------------------------------------

ASSESSMENT_SOURCE = "risk_assessment"  # the chronology's source type for an assessment


class AssessmentRefused(Exception):
    """The user may not do this to this assessment (a permission, or the assessment's state)."""


class AssessmentConflict(Exception):
    """Someone else changed the assessment since the form was opened."""

    def __init__(self, current: RiskAssessment) -> None:
        super().__init__("The risk assessment was changed by someone else")
        self.current = current


@dataclass(frozen=True)
class AnswerInput:
    """One indicator's answer as a form or the API gives it, keyed by the indicator's code."""

    code: str
    answer: str
    seen: str = ""
    evidence: str = ""
    source_agency_id: int | None = None


def _answer_errors(given: AnswerInput, agencies: set[int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    code = given.code
    if given.answer not in Answer.values:
        errors[f"answer-{code}"] = "Say whether this is present, not present or not known"
    elif given.answer == Answer.PRESENT:
        if given.seen not in Seen.values:
            errors[f"seen-{code}"] = "Say when it was last seen"
        if not given.evidence.strip():
            errors[f"evidence-{code}"] = "Give the evidence: what was seen or heard, and by whom"
        if given.source_agency_id not in agencies:
            errors[f"source-{code}"] = "Choose the agency the information came from"
    return errors


def _url(assessment: RiskAssessment) -> str:
    return reverse("risk:assessment-detail", args=[assessment.public_id])


@transaction.atomic
def assessment_record(
    *,
    child: Child,
    by: User,
    answers: Sequence[AnswerInput],
    next_review_on: date | None,
    assessed_on: date | None = None,
    summary: str = "",
    cin_factors: Iterable[str] = (),
) -> RiskAssessment:
    """Record a screening of every indicator in the current catalogue, all or nothing. The suggested level, the
    young-child flag and the comparison baseline (the child's previous assessment by the team) are fixed now."""
    if not may_assess(by):
        raise AssessmentRefused("Only members of the Evolve team record a risk assessment")
    if not gate.can_see(by, child):
        raise AssessmentRefused("That child's record is not one you may see")
    version = catalogue_current()
    indicators = {i.code: i for i in Indicator.objects.filter(category__version=version)}
    agencies = set(Agency.objects.values_list("pk", flat=True))
    today = timezone.localdate()
    assessed_on = assessed_on or today
    errors: dict[str, str] = {}
    given: dict[str, AnswerInput] = {}
    for answer in answers:
        if answer.code not in indicators:
            errors["indicators"] = f"Not in version {version.number} of the screening catalogue: {answer.code}"
            continue
        given[answer.code] = answer
        errors.update(_answer_errors(answer, agencies))
    unanswered = [code for code in indicators if code not in given]
    if unanswered:
        errors["indicators"] = (
            f"Answer every indicator: present, not present or not known ({len(unanswered)} not answered)"
        )
    factors = list(dict.fromkeys(cin_factors))
    if any(factor not in CinFactor.values for factor in factors):
        errors["cin_factors"] = "Choose the census factors from the list"
    if assessed_on > today:
        errors["assessed_on"] = "The assessment date cannot be in the future"
    if next_review_on is None:
        errors["next_review_on"] = "Enter the date of the next review"
    elif next_review_on <= today:
        errors["next_review_on"] = "The next review must be after today"
    if errors:
        raise ValidationError(errors)
    assert next_review_on is not None
    age = child.age_on(assessed_on)
    suggestion = suggest(
        (
            ScreenedAnswer(answer=a.answer, seen=a.seen, is_high_risk=indicators[code].is_high_risk)
            for code, a in given.items()
        ),
        age=age,
    )
    team = by.team
    assert team is not None
    previous = (
        RiskAssessment.objects.filter(child=child, team=team, assessed_on__lte=assessed_on)
        .order_by("-assessed_on", "-id")
        .first()
    )
    assessment = RiskAssessment.objects.create(
        child=child,
        team=team,
        catalogue_version=version,
        previous=previous,
        assessed_on=assessed_on,
        recorded_by=by,
        summary=summary.strip(),
        suggested_level=suggestion.level,
        score=suggestion.score,
        age_at_assessment=age,
        young_child_high_risk=suggestion.young_child_high_risk,
        cin_factors=factors,
        next_review_on=next_review_on,
    )
    IndicatorAnswer.objects.bulk_create(
        IndicatorAnswer(
            assessment=assessment,
            indicator=indicators[code],
            answer=a.answer,
            seen=a.seen if a.answer == Answer.PRESENT else "",
            evidence=a.evidence.strip(),
            source_agency_id=a.source_agency_id if a.answer == Answer.PRESENT else None,
        )
        for code, a in given.items()
    )
    label = RiskLevel(suggestion.level).label.lower()
    flag = "; aged 13 or under with a high-risk indicator" if suggestion.young_child_high_risk else ""
    chronology_record(
        child_id=child.pk,
        by=by,
        kind="risk.assessment",
        summary=f"Risk assessment recorded: the screening suggests {label} risk{flag}",
        rationale=assessment.summary,
        source_type=ASSESSMENT_SOURCE,
        source_id=assessment.pk,
    )
    notify(
        users=users_with_role(roles=[Role.TEAM_MANAGER], team=team),
        subject="A risk assessment is waiting for your review",
        body="A team member recorded a risk assessment. Every assessment is reviewed by the team manager.",
        url=_url(assessment),
    )
    return assessment


def _locked(assessment: RiskAssessment, based_on_version: int | None) -> RiskAssessment:
    return locked_at_version(
        RiskAssessment.objects.all(),
        pk=assessment.pk,
        based_on_version=based_on_version,
        conflict=AssessmentConflict,
    )


@transaction.atomic
def assessment_agree(
    *,
    assessment: RiskAssessment,
    by: User,
    level: str,
    rationale: str,
    where: str,
    based_on_version: int | None = None,
) -> RiskAssessment:
    """A meeting agrees the child's risk level on the latest assessment, with the rationale for it. Once agreed
    it stands: a changed level needs a new assessment (a repeat), so the record shows what changed and why."""
    if not may_agree(by, assessment):
        raise AssessmentRefused("Only the team manager and the detective sergeant agree a risk level")
    current = _locked(assessment, based_on_version)
    errors: dict[str, str] = {}
    if level not in RiskLevel.values:
        errors["level"] = "Choose the agreed risk level"
    if not (rationale or "").strip():
        errors["rationale"] = "Give the rationale for the agreed level: judgement stands over the score, written down"
    if errors:
        raise ValidationError(errors)
    if current.agreed_level:
        raise AssessmentRefused(
            "A level was already agreed on this assessment. To change it, record a new assessment and agree that."
        )
    newer = RiskAssessment.objects.filter(child_id=current.child_id, team_id=current.team_id).order_by(
        "-assessed_on", "-id"
    )[:1]
    if newer and newer[0].pk != current.pk:
        raise AssessmentRefused("A newer assessment of this child has been recorded: agree the level on that one")
    current.agreed_level = level
    current.agreed_rationale = rationale.strip()
    current.agreed_at = timezone.now()
    current.agreed_by = by
    current.agreed_where = where[:200]
    saved_with_new_version(current, "agreed_level", "agreed_rationale", "agreed_at", "agreed_by", "agreed_where")
    suggested = RiskLevel(current.suggested_level).label.lower()
    chronology_record(
        child_id=current.child_id,
        by=by,
        kind="risk.agreed",
        summary=f"Risk level agreed: {RiskLevel(level).label.lower()} (the screening suggested {suggested})",
        rationale=current.agreed_rationale,
        source_type=ASSESSMENT_SOURCE,
        source_id=current.pk,
    )
    return current


@transaction.atomic
def assessment_review(
    *, assessment: RiskAssessment, by: User, comment: str, based_on_version: int | None = None
) -> RiskAssessment:
    """The team manager's oversight of an assessment (seed 003): who, when and what they said."""
    if not may_review(by, assessment):
        raise AssessmentRefused("Only the team's manager reviews a risk assessment")
    current = _locked(assessment, based_on_version)
    if current.reviewed_at is not None:
        raise AssessmentRefused("This assessment has already been reviewed")
    if not (comment or "").strip():
        raise ValidationError({"comment": "Record your oversight: what you checked and anything to follow up"})
    current.reviewed_at = timezone.now()
    current.reviewed_by = by
    current.review_comment = comment.strip()
    saved_with_new_version(current, "reviewed_at", "reviewed_by", "review_comment")
    chronology_record(
        child_id=current.child_id,
        by=by,
        kind="risk.reviewed",
        summary="Risk assessment reviewed by the team manager",
        rationale=current.review_comment,
        source_type=ASSESSMENT_SOURCE,
        source_id=current.pk,
    )
    return current
