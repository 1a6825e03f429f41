# (DRF's serializer classes take type parameters only in the stubs, not at run time: as for the other API modules.)
"""The risk assessment API: the screening catalogue, a child's multi-agency risk assessments (recording one, reading
one with what changed since the last), and the team manager's oversight, through the same gate, selectors,
services and refusals as the pages.

Public UUIDs only; people by username, agencies by short name. A record that is missing and one the caller may not
see are the same 404. A role that may not take a step is a 403; a step that cannot be taken now (an assessment
already reviewed) is a 409, and so is a change based on a version someone else has changed since (the body gives the
current version); bad input is a 400 keyed by field. Nothing is changed by a refused request."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evolve.access.grants import child_granted
from evolve.accounts.models import Agency, User
from evolve.accounts.roles import Role
from evolve.accounts.selectors import agencies_by_short_name
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.people.selectors import child_get_for_user
from evolve.ui.api import REFUSALS as COMMON_REFUSALS
from evolve.ui.api import Pages, refused, valid_input, with_refusals
from risk.models import Answer, CinFactor, Indicator, IndicatorAnswer, RiskAssessment, RiskLevel, Seen
from risk.permissions import may_assess, may_review
from risk.scoring import RULE_TEXT
from risk.selectors import (
    NoPublishedCatalogueError,
    assessment_answers,
    assessment_compare,
    assessment_get_for_user,
    assessments_awaiting_review,
    assessments_for_child,
    catalogue_current,
    catalogue_indicators,
)
from risk.services import AnswerInput, AssessmentConflict, AssessmentRefused, assessment_record, assessment_review

NOT_FOUND = "No such record, or not one you may see."

# Enums named for this app, so the schema's enums never collide with other apps' fields of the same name.


@extend_schema_field({"type": "string", "enum": list(RiskLevel.values)}, component_name="AssessmentRiskLevelEnum")
class RiskLevelField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RiskLevel.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(Answer.values)}, component_name="IndicatorAnswerEnum")
class AnswerField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Answer.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(Seen.values)}, component_name="IndicatorSeenEnum")
class SeenField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Seen.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(CinFactor.values)}, component_name="CinFactorEnum")
class CinFactorField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CinFactor.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(Indicator.AppliesTo.values)}, component_name="IndicatorAppliesToEnum"
)
class AppliesToField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Indicator.AppliesTo.choices, **kwargs)


AGREED_LEVEL_SCHEMA = {"type": "string", "enum": list(RiskLevel.values), "nullable": True}


# What the API shows ------------------------------------------------------------------------------------------------


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="Stays the same from version to version")
    text = serializers.CharField(read_only=True)
    guidance = serializers.CharField(read_only=True)
    is_high_risk = serializers.BooleanField(read_only=True)
    applies_to = AppliesToField(read_only=True)


class IndicatorCategorySerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)


class CatalogueSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True, help_text="The version number")
    name = serializers.CharField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True)
    rule = serializers.CharField(read_only=True, help_text="How the suggested level is worked out")
    categories = IndicatorCategorySerializer(many=True, read_only=True)


class AssessmentSummarySerializer(serializers.Serializer):
    """One assessment in a list: what it suggested, what was agreed, whether the team manager has reviewed it."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    child = serializers.UUIDField(source="child.public_id", read_only=True)
    child_name = serializers.CharField(source="child.full_name", read_only=True)
    assessed_on = serializers.DateField(read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    suggested_level = RiskLevelField(read_only=True, help_text="What the screening suggests")
    score = serializers.IntegerField(read_only=True)
    young_child_high_risk = serializers.BooleanField(
        read_only=True, help_text="Aged 13 or under with a high-risk indicator present: flagged whatever the score"
    )
    agreed_level = serializers.SerializerMethodField(help_text="The level a meeting agreed, once agreed")
    level = RiskLevelField(read_only=True, help_text="The level that stands: the agreed one, until then the suggestion")
    next_review_on = serializers.DateField(read_only=True)
    reviewed = serializers.SerializerMethodField(help_text="The team manager has reviewed it")
    version = serializers.IntegerField(read_only=True)

    @extend_schema_field(AGREED_LEVEL_SCHEMA)
    def get_agreed_level(self, assessment: RiskAssessment) -> str | None:
        return assessment.agreed_level or None

    def get_reviewed(self, assessment: RiskAssessment) -> bool:
        return assessment.reviewed_at is not None


class CinFactorSerializer(serializers.Serializer):
    code = CinFactorField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field, not Field.label

    def to_representation(self, instance: Any) -> Any:
        return {"code": instance, "label": CinFactor(instance).label}


class AgreedSerializer(serializers.Serializer):
    level = RiskLevelField(source="agreed_level", read_only=True)
    rationale = serializers.CharField(source="agreed_rationale", read_only=True)
    at = serializers.DateTimeField(source="agreed_at", read_only=True)
    by = serializers.CharField(source="agreed_by.username", read_only=True)
    where = serializers.CharField(source="agreed_where", read_only=True, help_text="The meeting that agreed it")


class ReviewSerializer(serializers.Serializer):
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True)
    reviewed_at = serializers.DateTimeField(read_only=True)
    comment = serializers.CharField(source="review_comment", read_only=True)


class IndicatorAnswerSerializer(serializers.Serializer):
    code = serializers.CharField(source="indicator.code", read_only=True)
    text = serializers.CharField(source="indicator.text", read_only=True)
    is_high_risk = serializers.BooleanField(source="indicator.is_high_risk", read_only=True)
    answer = AnswerField(read_only=True)
    seen = serializers.SerializerMethodField(help_text="When a present indicator was last seen")
    evidence = serializers.CharField(read_only=True)
    source_agency = serializers.CharField(source="source_agency.short_name", read_only=True, allow_null=True)

    @extend_schema_field({"type": "string", "enum": list(Seen.values), "nullable": True})
    def get_seen(self, answer: IndicatorAnswer) -> str | None:
        return answer.seen or None


class AnswerGroupSerializer(serializers.Serializer):
    code = serializers.CharField(source="category.code", read_only=True)
    name = serializers.CharField(source="category.name", read_only=True)
    present = serializers.IntegerField(read_only=True, help_text="How many of these are present")
    answers = IndicatorAnswerSerializer(many=True, read_only=True)


class AnswerStateSerializer(serializers.Serializer):
    answer = AnswerField(read_only=True)
    seen = serializers.CharField(read_only=True)


class IndicatorChangeSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True)
    what = serializers.CharField(read_only=True, help_text="For example 'Not present → Present'")
    before = AnswerStateSerializer(read_only=True, allow_null=True)
    after = AnswerStateSerializer(read_only=True, allow_null=True)


class ChangesSerializer(serializers.Serializer):
    previous = serializers.UUIDField(source="previous.public_id", read_only=True)
    level_before = RiskLevelField(read_only=True)
    level_after = RiskLevelField(read_only=True)
    changes = IndicatorChangeSerializer(many=True, read_only=True)


class AssessmentSerializer(AssessmentSummarySerializer):
    """The whole assessment: the screening, the suggestion, the agreed level, the oversight, and what changed."""

    catalogue_version = serializers.IntegerField(source="catalogue_version.number", read_only=True)
    age_at_assessment = serializers.IntegerField(read_only=True, allow_null=True)
    summary = serializers.CharField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)
    cin_factors = CinFactorSerializer(many=True, read_only=True)
    agreed = serializers.SerializerMethodField(help_text="The level a meeting agreed, with its rationale")
    review = serializers.SerializerMethodField(help_text="The team manager's oversight")
    answers = serializers.SerializerMethodField(help_text="Every answer, under its category, in catalogue order")
    changes_since_previous = serializers.SerializerMethodField(
        help_text="What changed since the child's previous assessment by the team (null for the first)"
    )

    @extend_schema_field(AgreedSerializer(allow_null=True))
    def get_agreed(self, assessment: RiskAssessment) -> Any:
        return AgreedSerializer(assessment).data if assessment.agreed_level else None

    @extend_schema_field(ReviewSerializer(allow_null=True))
    def get_review(self, assessment: RiskAssessment) -> Any:
        return ReviewSerializer(assessment).data if assessment.reviewed_at else None

    @extend_schema_field(AnswerGroupSerializer(many=True))
    def get_answers(self, assessment: RiskAssessment) -> Any:
        return AnswerGroupSerializer(assessment_answers(assessment=assessment), many=True).data

    @extend_schema_field(ChangesSerializer(allow_null=True))
    def get_changes_since_previous(self, assessment: RiskAssessment) -> Any:
        comparison = assessment_compare(assessment=assessment)
        return ChangesSerializer(comparison).data if comparison.previous is not None else None


class AssessmentConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="The assessment's current version: check, retry")


# What the API takes ------------------------------------------------------------------------------------------------

TEXT = 20_000


class AnswerInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=80, help_text="The indicator's code in the current catalogue")
    answer = AnswerField()
    seen = SeenField(required=False, allow_blank=True, default="", help_text="For a present indicator")
    evidence = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT, help_text="For a present indicator"
    )
    source_agency = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=30,
        help_text="For a present indicator: the short name of the agency the information came from",
    )


class AssessmentInputSerializer(serializers.Serializer):
    child = serializers.UUIDField(help_text="The child's public id")
    assessed_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Today if not given")
    next_review_on = serializers.DateField()
    summary = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT, help_text="What the indicators mean together"
    )
    cin_factors = serializers.ListField(child=CinFactorField(), required=False, default=list)
    answers = AnswerInputSerializer(many=True, help_text="Every indicator of the current catalogue, answered")


class ReviewInputSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, max_length=TEXT, help_text="What you checked, what to follow up")
    version = serializers.IntegerField(
        min_value=1,
        help_text="The assessment's version this is based on (required): a 409 if someone has changed it since",
    )


# Shared -------------------------------------------------------------------------------------------------------------


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


ANSWER_FIELDS = {"answer": "answer", "seen": "seen", "evidence": "evidence", "source": "source_agency"}


def _invalid(error: DjangoValidationError) -> ValidationError:
    """A service's refusal as a 400 keyed by field. An answer's field is keyed `answers.<code>.<field>`; a problem
    with the answers as a whole (an indicator not answered, a code not in the catalogue) is keyed `answers`."""
    if not hasattr(error, "error_dict"):
        return ValidationError({"detail": error.messages})
    keyed: dict[str, list[str]] = {}
    for key, messages in error.message_dict.items():
        field, _, code = key.partition("-")
        if code and field in ANSWER_FIELDS:
            key = f"answers.{code}.{ANSWER_FIELDS[field]}"
        elif key == "indicators":
            key = "answers"
        keyed.setdefault(key, []).extend(messages)
    return ValidationError(keyed)


def _agencies(user: User, short_names: Iterable[str]) -> dict[str, Agency]:
    """The agencies named, by short name: any agency may be the source of an indicator (a school, a GP)."""
    return agencies_by_short_name(short_names=[name for name in short_names if name])


def _may_oversee(user: User) -> bool:
    return user.is_team_member and user.has_role(Role.TEAM_MANAGER)


# The refusals every API gives, with the 409's body: a stale version says the current one.
REFUSALS = {
    **COMMON_REFUSALS,
    409: OpenApiResponse(
        response=AssessmentConflictSerializer,
        description="The step cannot be taken now (the reason is given), or someone else changed the assessment "
        "after the version this change was based on (the current version is given). Nothing was changed.",
    ),
}


# The catalogue ------------------------------------------------------------------------------------------------------


class CatalogueApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "concern", str, enum=["cse", "cce"], description="Only the indicators for this exploitation (and both)"
            )
        ],
        responses=with_refusals({200: CatalogueSerializer}, 404, table=REFUSALS),
    )
    def get(self, request: Request) -> Response:
        """The screening catalogue new assessments use: the published version with the highest number, its
        categories and indicators in order."""
        try:
            version = catalogue_current()
        except NoPublishedCatalogueError as error:
            raise NotFound(str(error)) from None
        concern = request.query_params.get("concern") or None
        categories = catalogue_indicators(version=version, concern=concern)
        return Response(
            CatalogueSerializer(
                {
                    "number": version.number,
                    "name": version.name,
                    "published_at": version.published_at,
                    "rule": RULE_TEXT,
                    "categories": categories,
                }
            ).data
        )


# Risk assessments ---------------------------------------------------------------------------------------------------


class AssessmentListApi(APIView):
    pagination_class = Pages

    @extend_schema(
        parameters=[OpenApiParameter("child", uuid.UUID, required=True, description="The child's public id")],
        responses=with_refusals({200: AssessmentSummarySerializer(many=True)}, 400, 404, table=REFUSALS),
    )
    def get(self, request: Request) -> Response:
        """The child's risk assessments you may see, latest first: the team's, or those of a child you have been
        given (allocated, holding the case)."""
        user = _user(request)
        try:
            child_id = uuid.UUID(request.query_params.get("child", ""))
        except ValueError:
            raise ValidationError({"child": ["Give the child's public id."]}) from None
        child = child_get_for_user(user=user, public_id=child_id, audit_what=None)
        if not (user.is_team_member or child_granted(child=child, user=user)):
            raise NotFound("No such child, or not one you may see.")
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(assessments_for_child(user=user, child_id=child.pk), request, self) or []
        if rows:
            record_access(user=user, children=[child], action=AccessAction.LISTED, what="risk assessments (API)")
        return paginator.get_paginated_response(AssessmentSummarySerializer(rows, many=True).data)

    @extend_schema(
        request=AssessmentInputSerializer,
        responses=with_refusals({201: AssessmentSerializer}, 400, 403, 409, table=REFUSALS),
    )
    def post(self, request: Request) -> Response:
        """Record a risk assessment of a child: every indicator of the current catalogue answered (a present one
        with when it was last seen, the evidence and the agency it came from). Members of the team. The suggested
        level is worked out now and kept; the team manager is asked to review it."""
        user = _user(request)
        if not may_assess(user):
            raise PermissionDenied("Only members of the Evolve team record a risk assessment.")
        data = valid_input(AssessmentInputSerializer, request)
        try:
            child = child_get_for_user(user=user, public_id=data["child"], audit_what=None)
        except Http404:
            raise ValidationError({"child": ["Give the public id of a child you may see."]}) from None
        agencies = _agencies(user, (answer["source_agency"].strip() for answer in data["answers"]))
        errors: dict[str, list[str]] = {}
        answers = []
        for given in data["answers"]:
            short_name = given["source_agency"].strip()
            if short_name and short_name not in agencies:
                errors[f"answers.{given['code']}.source_agency"] = ["Give the short name of an agency of the team."]
            answers.append(
                AnswerInput(
                    code=given["code"].strip(),
                    answer=given["answer"],
                    seen=given["seen"],
                    evidence=given["evidence"],
                    source_agency_id=agencies[short_name].pk if short_name in agencies else None,
                )
            )
        if errors:
            raise ValidationError(errors)
        try:
            assessment = assessment_record(
                child=child,
                by=user,
                answers=answers,
                next_review_on=data["next_review_on"],
                assessed_on=data["assessed_on"],
                summary=data["summary"],
                cin_factors=data["cin_factors"],
            )
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except AssessmentRefused as error:
            return refused(error)
        except NoPublishedCatalogueError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        shown = assessment_get_for_user(user=user, public_id=assessment.public_id)
        return Response(AssessmentSerializer(shown).data, status=status.HTTP_201_CREATED)


class AssessmentDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: AssessmentSerializer}, 404, table=REFUSALS))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """A risk assessment: the screening under its categories, the suggested level and score, the level a meeting
        agreed with its rationale, the team manager's oversight, and what changed since the previous assessment."""
        assessment = assessment_get_for_user(user=_user(request), public_id=public_id)
        return Response(AssessmentSerializer(assessment).data)


class AssessmentReviewApi(APIView):
    @extend_schema(
        request=ReviewInputSerializer,
        responses=with_refusals({200: AssessmentSerializer}, 400, 403, 404, 409, table=REFUSALS),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """The team manager's oversight of an assessment: what they checked and anything to follow up. Once per
        assessment (a 409 after that)."""
        user = _user(request)
        assessment = assessment_get_for_user(user=user, public_id=public_id)
        if not may_review(user, assessment):
            raise PermissionDenied("Only the team's manager reviews a risk assessment.")
        data = valid_input(ReviewInputSerializer, request)
        try:
            reviewed = assessment_review(
                assessment=assessment, by=user, comment=data["comment"], based_on_version=data["version"]
            )
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except (AssessmentRefused, AssessmentConflict) as error:
            return refused(error)
        assessment.version, assessment.reviewed_at = reviewed.version, reviewed.reviewed_at
        assessment.reviewed_by, assessment.review_comment = reviewed.reviewed_by, reviewed.review_comment
        return Response(AssessmentSerializer(assessment).data)


class OversightApi(APIView):
    @extend_schema(responses=with_refusals({200: AssessmentSummarySerializer(many=True)}, 403, table=REFUSALS))
    def get(self, request: Request) -> Response:
        """The team manager's oversight queue: the team's assessments nobody has reviewed yet, oldest first."""
        user = _user(request)
        if not _may_oversee(user):
            raise PermissionDenied("The oversight queue is the team manager's.")
        return Response(AssessmentSummarySerializer(assessments_awaiting_review(user=user), many=True).data)
