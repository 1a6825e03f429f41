"""The referrals API: the same gate, state machine and services as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evolve.access import gate
from evolve.accounts.models import User
from evolve.accounts.selectors import teams_all
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.people.selectors import child_list_for_user
from evolve.ui.api import PAGE_REFUSALS, NewestFirst, with_refusals
from referrals.models import Referral, ReferralEvent
from referrals.permissions import sees_referral_in_full
from referrals.selectors import referral_get_for_user, referral_list_for_user
from referrals.services import (
    DRAFT_FIELDS,
    MashDecision,
    ReferralConflict,
    TriageDecision,
    mash_check_record,
    referral_ask_clarification,
    referral_close,
    referral_co_allocate,
    referral_draft_create,
    referral_draft_save,
    referral_log,
    referral_record_clarification,
    referral_screen,
    referral_send_to_mash,
    referral_submit,
)
from referrals.states import TRANSITIONS, TransitionRefused


class ReferralEventSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.display_name")
    agency = serializers.CharField(source="agency.short_name", default=None)

    class Meta:
        model = ReferralEvent
        fields = ["at", "transition", "summary", "rationale", "state_from", "state_to", "user", "agency"]


class ReferralSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    child = serializers.UUIDField(source="child.public_id", default=None, read_only=True, allow_null=True)
    indicators: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    events = ReferralEventSerializer(many=True, read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "form",
            "state",
            "version",
            "child",
            *DRAFT_FIELDS,
            "indicators",
            "submitted_at",
            "threshold",
            "rag_1",
            "rag_1_rationale",
            "rag_2",
            "rag_2_rationale",
            "intervention",
            "co_allocated_at",
            "outcome",
            "outcome_letter",
            "events",
        ]


class ReferrerReferralSerializer(serializers.ModelSerializer):
    """What a referrer sees of their own referral: what they sent, its status and the outcome, not the workings."""

    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Referral
        fields = ["id", "form", "state", "version", *DRAFT_FIELDS, "submitted_at", "outcome", "outcome_letter"]


def _serializer_for(user: User) -> type[serializers.ModelSerializer]:
    return ReferralSerializer if sees_referral_in_full(user) else ReferrerReferralSerializer


def _shown(user: User, referral: Referral) -> dict[str, Any]:
    return _serializer_for(user)(referral).data


def _all_shown(user: User, referrals: list[Referral]) -> list[Any]:
    """A page of referrals in one serializer: its fields are built once, not once a referral (a third of the page's
    time at 25 referrals)."""
    return list(_serializer_for(user)(referrals, many=True).data)


class DraftSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    child_first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    child_last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    child_date_of_birth = serializers.DateField(required=False, allow_null=True)
    child_address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    child_school = serializers.CharField(max_length=200, required=False, allow_blank=True)
    known_to_agencies = serializers.CharField(max_length=300, required=False, allow_blank=True)
    referrer_role = serializers.CharField(max_length=200, required=False, allow_blank=True)
    referrer_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    referrer_email = serializers.EmailField(required=False, allow_blank=True)
    concern = serializers.CharField(required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Referral.Urgency.choices, required=False)
    consent = serializers.ChoiceField(choices=Referral.Consent.choices, required=False)
    consent_reason = serializers.CharField(required=False, allow_blank=True)
    indicator_ids = serializers.ListField(child=serializers.IntegerField(), required=False)


class ActionSerializer(serializers.Serializer):
    """The fields each step takes; send only those of the step you take."""

    version = serializers.IntegerField(required=False)
    question = serializers.CharField(required=False, max_length=10_000)
    answer = serializers.CharField(required=False, max_length=10_000)
    child = serializers.UUIDField(required=False, help_text="For log: the child's record")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    threshold = serializers.ChoiceField(choices=Referral.Threshold.choices, required=False)
    rag = serializers.ChoiceField(choices=Referral.Rag.choices, required=False)
    rationale = serializers.CharField(required=False, max_length=10_000)
    intervention = serializers.ChoiceField(choices=Referral.Intervention.choices, required=False)
    team = serializers.CharField(required=False, max_length=200, help_text="For co_allocate: the team's name")
    outcome = serializers.CharField(required=False, max_length=300)
    letter = serializers.CharField(required=False, max_length=20_000)
    holds_information = serializers.BooleanField(required=False)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


class ReferralListApi(APIView):
    pagination_class = NewestFirst

    @extend_schema(
        parameters=[OpenApiParameter("state", str, description="Only referrals in this state")],
        responses=with_refusals({200: ReferralSerializer(many=True)}, 403, 404, table=PAGE_REFUSALS),
    )
    def get(self, request: Request) -> Response:
        """The referrals you may see, newest first, a page at a time: follow `next` for the next page."""
        gate.refuse_governance(request.user)
        referrals = referral_list_for_user(user=_user(request), state=request.query_params.get("state", ""))
        paginator = self.pagination_class()
        user = _user(request)
        page = paginator.paginate_queryset(referrals, request, view=self) or []
        children = [referral.child for referral in page if referral.child is not None]
        if children:
            record_access(user=user, children=children, action=AccessAction.LISTED, what="API referral list")
        return paginator.get_paginated_response(_all_shown(user, page))

    @extend_schema(request=None, responses={201: ReferralSerializer})
    def post(self, request: Request) -> Response:
        """Start a Multi-Agency Referral Form (a draft), then PATCH it as you go and take the "submit" step."""
        try:
            referral = referral_draft_create(by=_user(request))
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)


def _invalid(error: DjangoValidationError) -> ValidationError:
    """A service's refusal as a 400: keyed by field where it names one."""
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


def _refused(error: Exception, user: User) -> Response:
    if isinstance(error, ReferralConflict):
        return Response(
            {
                "detail": "Someone else acted on this referral first. Nothing was changed.",
                "current": _shown(user, error.current),
            },
            status=status.HTTP_409_CONFLICT,
        )
    return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)


class ReferralDetailApi(APIView):
    @extend_schema(responses=ReferralSerializer)
    def get(self, request: Request, public_id: str) -> Response:
        user = _user(request)
        return Response(_shown(user, referral_get_for_user(user=user, public_id=public_id)))

    @extend_schema(request=DraftSerializer, responses=ReferralSerializer)
    def patch(self, request: Request, public_id: str) -> Response:
        """Save the draft: any of its fields, complete or not."""
        user = _user(request)
        referral = referral_get_for_user(user=user, public_id=public_id, audit=False)
        serializer = DraftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        indicator_ids = data.pop("indicator_ids", None)
        try:
            saved = referral_draft_save(
                referral=referral, by=user, based_on_version=version, fields=data, indicator_ids=indicator_ids
            )
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except (TransitionRefused, ReferralConflict) as error:
            return _refused(error, user)
        return Response(_shown(user, saved))


class ReferralActionApi(APIView):
    @extend_schema(
        request=ActionSerializer,
        responses={200: ReferralSerializer},
        parameters=[
            OpenApiParameter(
                "action",
                str,
                OpenApiParameter.PATH,
                enum=[*(name for name in TRANSITIONS if name != "evolve_decide"), "mash_check"],
            )
        ],
    )
    def post(self, request: Request, public_id: str, action: str) -> Response:
        """Take one step: submit, ask_clarification, record_clarification, log, screen, send_to_mash,
        close_at_triage, close_at_mash, mash_check or co_allocate. A step not allowed from the referral's state or
        for your role is refused with 409 and changes nothing."""
        user = _user(request)
        referral = referral_get_for_user(user=user, public_id=public_id, audit=False)
        serializer = ActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        common: dict[str, Any] = {"referral": referral, "by": user, "based_on_version": data.get("version", -1)}
        try:
            if action == "submit":
                referral_submit(**common)
            elif action == "ask_clarification":
                referral_ask_clarification(**common, question=data.get("question", ""))
            elif action == "record_clarification":
                referral_record_clarification(**common, answer=data.get("answer", ""))
            elif action == "log":
                child = (
                    child_list_for_user(user=user).filter(public_id=data["child"]).first() if "child" in data else None
                )
                if child is None:
                    raise ValidationError({"child": ["Give the id of a child's record you can see."]})
                referral_log(**common, child=child, notes=data.get("notes", ""))
            elif action == "screen":
                referral_screen(**common, notes=data.get("notes", ""))
            elif action == "send_to_mash":
                referral_send_to_mash(
                    **common,
                    decision=TriageDecision(
                        threshold=data.get("threshold", ""),
                        rag=data.get("rag", ""),
                        rationale=data.get("rationale", ""),
                    ),
                )
            elif action in ("close_at_triage", "close_at_mash"):
                referral_close(**common, outcome=data.get("outcome", ""), letter=data.get("letter", ""))
            elif action == "mash_check":
                mash_check_record(
                    referral=referral,
                    by=user,
                    holds_information=data.get("holds_information", False),
                    summary=data.get("summary", ""),
                )
            elif action == "co_allocate":
                team = teams_all().filter(name=data.get("team", "")).first()
                if team is None:
                    raise ValidationError({"team": ["Give the name of the team to co-allocate to."]})
                referral_co_allocate(
                    **common,
                    decision=MashDecision(
                        rag=data.get("rag", ""),
                        intervention=data.get("intervention", ""),
                        rationale=data.get("rationale", ""),
                        team=team,
                    ),
                )
            else:
                return Response({"detail": "No such step."}, status=status.HTTP_404_NOT_FOUND)
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except (TransitionRefused, ReferralConflict) as error:
            return _refused(error, user)
        current = referral_get_for_user(user=user, public_id=public_id)
        return Response(_shown(user, current))
