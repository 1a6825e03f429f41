"""The Evolve API: the daily review (the queue, the decision, agency checks) and the child's case (reading it, case
notes and sharing them, allocations), through the same gate, selectors, services and refusals as the pages.

Public UUIDs only. A record that is missing and one the caller may not see are the same 404. A role that may not
take a step is a 403; a step that cannot be taken now (a referral already decided, a closed case, a check already
answered) is a 409; bad input is a 400 keyed by field. Nothing is changed by a refused request."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evolve.access.models import LawfulBasis, ShareConsent
from evolve.accounts.models import User
from evolve.accounts.selectors import user_get_active_by_username
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.cases.models import AllocationRole, Case, CaseNote, DecisionKind, RiskLevel
from evolve.cases.permissions import may_answer_check, may_decide, may_manage_case, may_share_note, may_write_on_case
from evolve.cases.selectors import (
    case_get_for_user,
    cases_for_user,
    check_get_for_user,
    children_awaiting_ra_meeting,
    daily_review_queue,
    notes_for_case,
    people_in_agency,
    people_to_allocate,
)
from evolve.cases.services import (
    CaseConflict,
    CaseRefused,
    agency_check_answer,
    agency_check_request,
    allocation_add,
    case_note_add,
    case_note_share,
    decision_view_record,
)
from evolve.clock.models import DeadlineKind
from referrals.selectors import referral_get_for_user

# Serializer fields whose names other apps' serializers use for other choices ("kind", "consent"): named enum
# components of their own, so the schema's enums never collide.


@extend_schema_field({"type": "string", "enum": list(DecisionKind.values)}, component_name="DecisionKindEnum")
class DecisionKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=DecisionKind.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(DeadlineKind.values)}, component_name="DeadlineKindEnum")
class DeadlineKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=DeadlineKind.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(ShareConsent.values)}, component_name="ShareConsentEnum")
class ShareConsentField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ShareConsent.choices, **kwargs)


# What the API shows ------------------------------------------------------------------------------------------------


class CasePersonSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)


class CaseChildSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)
    date_of_birth = serializers.DateField(read_only=True, allow_null=True)


class ReviewDeadlineSerializer(serializers.Serializer):
    """A referral's or a decision's clock, and where it stands now."""

    kind = DeadlineKindField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    # A field named "label": the stubs take it for Field.label; at run time the metaclass makes it a field.
    label = serializers.CharField(read_only=True, help_text="For example '3 hours left'")  # type: ignore[assignment]
    rag = serializers.CharField(read_only=True, help_text="red, amber or green")
    breached = serializers.BooleanField(read_only=True)
    met = serializers.BooleanField(read_only=True)
    paused = serializers.BooleanField(read_only=True)

    def to_representation(self, instance: Any) -> Any:
        deadline, state = instance
        return super().to_representation(
            {
                "kind": deadline.kind,
                "due_at": state.due_at,
                "label": state.label,
                "rag": state.rag,
                "breached": state.is_breached,
                "met": state.is_met,
                "paused": state.is_paused,
            }
        )


class AgencyCheckSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    agency = serializers.CharField(source="agency.short_name", read_only=True)
    owner = CasePersonSerializer(read_only=True, help_text="The person asked to answer")
    due_at = serializers.DateTimeField(read_only=True)
    question = serializers.CharField(read_only=True)
    answered = serializers.SerializerMethodField()
    answered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    holds_information = serializers.BooleanField(read_only=True, allow_null=True)
    answer = serializers.CharField(read_only=True)

    def get_answered(self, check: Any) -> bool:
        return check.answered_at is not None


class DecisionViewSerializer(serializers.Serializer):
    """What the team manager or the detective sergeant thinks the decision should be (their latest view)."""

    kind = DecisionKindField(read_only=True)
    rationale = serializers.CharField(read_only=True)
    advice = serializers.CharField(read_only=True)
    by = CasePersonSerializer(read_only=True)
    at = serializers.DateTimeField(read_only=True)


class ReviewRowSerializer(serializers.Serializer):
    """A referral co-allocated to Evolve, waiting for the daily review's decision."""

    referral = serializers.UUIDField(source="referral.public_id", read_only=True)
    child = CaseChildSerializer(source="referral.child", read_only=True, allow_null=True)
    urgency = serializers.CharField(source="referral.urgency", read_only=True)
    rag_1 = serializers.CharField(source="referral.rag_1", read_only=True, help_text="The front door's RAG rating")
    rag_2 = serializers.CharField(source="referral.rag_2", read_only=True, help_text="MASH's RAG rating")
    consent = serializers.CharField(source="referral.consent", read_only=True)
    deadlines = ReviewDeadlineSerializer(many=True, read_only=True)
    checks = AgencyCheckSerializer(many=True, read_only=True, help_text="Agencies asked to check what they hold")
    team_manager_view = DecisionViewSerializer(source="views.team_manager", read_only=True, allow_null=True)
    detective_sergeant_view = DecisionViewSerializer(source="views.detective_sergeant", read_only=True, allow_null=True)
    disagreed = serializers.BooleanField(read_only=True, help_text="Both have recorded different decisions")
    escalation_open = serializers.SerializerMethodField(help_text="The disagreement is with the service managers")
    referrals_held = serializers.IntegerField(
        source="holds.referrals", read_only=True, help_text="How many referrals the child has had"
    )
    case = serializers.UUIDField(
        source="holds.case.public_id", read_only=True, allow_null=True, help_text="The team's case for the child"
    )

    def get_escalation_open(self, row: Any) -> bool:
        return row.escalation is not None


class StrategyDueSerializer(serializers.Serializer):
    """A decision that called an Immediate Strategy Discussion not yet recorded as held."""

    decision = serializers.UUIDField(source="decision.public_id", read_only=True)
    case = serializers.UUIDField(source="decision.case.public_id", read_only=True)
    child = CaseChildSerializer(source="decision.case.child", read_only=True)
    due_at = serializers.DateTimeField(source="status.due_at", read_only=True)
    label = serializers.CharField(source="status.label", read_only=True)  # type: ignore[assignment]  # as above
    breached = serializers.BooleanField(source="status.is_breached", read_only=True)


class ReviewQueueSerializer(serializers.Serializer):
    waiting = ReviewRowSerializer(many=True, read_only=True)
    strategy_due = StrategyDueSerializer(many=True, read_only=True)


class DecisionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = DecisionKindField(read_only=True)
    case = serializers.UUIDField(
        source="case.public_id", read_only=True, allow_null=True, help_text="The case it opened, if it opens one"
    )
    rationale = serializers.CharField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True)
    letter = serializers.CharField(read_only=True, help_text="For the two kinds of advice: the letter to the referrer")


class DecisionOutcomeSerializer(serializers.Serializer):
    agreed = serializers.BooleanField(read_only=True, help_text="Both agree: the decision is made")
    disagreed = serializers.BooleanField(read_only=True, help_text="Both have recorded different decisions")
    decision = DecisionSerializer(read_only=True, allow_null=True)


class AllocationSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    user = CasePersonSerializer(read_only=True)
    role = serializers.ChoiceField(choices=AllocationRole.choices, read_only=True)
    start_on = serializers.DateField(read_only=True)
    end_on = serializers.DateField(read_only=True, allow_null=True)


class CaseSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    child = CaseChildSerializer(read_only=True)
    status = serializers.SerializerMethodField()
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, read_only=True)
    next_review_on = serializers.DateField(read_only=True, allow_null=True)
    case_holder = CasePersonSerializer(
        read_only=True, allow_null=True, help_text="The social worker from the wider service who holds the case"
    )
    key_individual = serializers.CharField(
        source="key_individual_label", read_only=True, help_text="Who keeps the primary relationship with the child"
    )
    allocations = serializers.SerializerMethodField(help_text="The current allocations")
    opened_at = serializers.DateTimeField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    awaiting_ra_meeting_since = serializers.DateTimeField(read_only=True, allow_null=True)
    urgent_cin_since = serializers.DateTimeField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)

    @extend_schema_field({"type": "string", "enum": ["open", "closed"]})
    def get_status(self, case: Case) -> str:
        return "open" if case.is_open else "closed"

    @extend_schema_field(AllocationSerializer(many=True))
    def get_allocations(self, case: Case) -> Any:
        # cases_for_user prefetches only the current ones; other selectors give them all.
        return AllocationSerializer([a for a in case.allocations.all() if a.end_on is None], many=True).data


class CaseNoteSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    written_at = serializers.DateTimeField(read_only=True)
    author = CasePersonSerializer(read_only=True)
    agency = serializers.CharField(source="agency.short_name", read_only=True, allow_null=True)
    text = serializers.CharField(read_only=True)
    restricted_to = serializers.CharField(
        source="restricted_to_agency.short_name",
        read_only=True,
        allow_null=True,
        help_text="The agency the note is restricted to (police intelligence, health clinical notes)",
    )
    may_share = serializers.SerializerMethodField(help_text="You may share this restricted note")

    def get_may_share(self, note: CaseNote) -> bool:
        return may_share_note(self.context["user"], note)


class ShareSerializer(serializers.Serializer):
    """An entry in the information-sharing ledger."""

    to_user = serializers.CharField(source="to_user.username", read_only=True, allow_null=True)
    to_agency = serializers.CharField(source="to_agency.short_name", read_only=True, allow_null=True)
    lawful_basis = serializers.ChoiceField(choices=LawfulBasis.choices, read_only=True)
    consent = ShareConsentField(read_only=True)
    reason_without_consent = serializers.CharField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True)


# What the API takes ------------------------------------------------------------------------------------------------

TEXT = 20_000


class DecisionViewInputSerializer(serializers.Serializer):
    kind = DecisionKindField()
    rationale = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT)
    advice = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=TEXT,
        help_text="For the two kinds of advice: what the referrer should be told (it goes in the letter)",
    )


class AgencyCheckInputSerializer(serializers.Serializer):
    agency_owner = serializers.CharField(
        max_length=150, help_text="The username of the person to ask: their agency is asked to check what it holds"
    )
    due_hours = serializers.IntegerField(min_value=1, max_value=24 * 14, help_text="Answer needed within (hours)")
    question = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT)


class CheckAnswerInputSerializer(serializers.Serializer):
    holds_information = serializers.BooleanField(help_text="Does your agency hold information about this child?")
    answer = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT)


class NoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT)
    restricted = serializers.BooleanField(
        default=False, help_text="Restrict to your agency (police intelligence, health clinical notes)"
    )


class ShareInputSerializer(serializers.Serializer):
    to_username = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=150, help_text="Share with this person..."
    )
    to_agency = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=50,
        help_text="...or with this agency of the team (its short name)",
    )
    lawful_basis = serializers.ChoiceField(choices=LawfulBasis.choices)
    consent = ShareConsentField()
    reason_without_consent = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT)


class AllocationInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="A member of the team or a case-holding social worker")
    role = serializers.ChoiceField(choices=AllocationRole.choices)
    start_on = serializers.DateField()


# Shared -------------------------------------------------------------------------------------------------------------


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _invalid(error: DjangoValidationError) -> ValidationError:
    """A service's refusal as a 400: keyed by field where it names one."""
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


def _refused(error: CaseRefused | CaseConflict) -> Response:
    """A step that cannot be taken now: a 409 with the reason. Nothing was changed."""
    return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _team_member(user: User) -> None:
    if not user.is_team_member:
        raise PermissionDenied("The daily review is the Evolve team's.")


def _decider(user: User) -> None:
    _team_member(user)
    if not may_decide(user):
        raise PermissionDenied("Only the team manager and the detective sergeant of the team can do this.")


REFUSALS = {
    400: OpenApiResponse(description="Bad input: the reasons, keyed by field. Nothing was changed."),
    403: OpenApiResponse(description="Your role may not take this step. Nothing was changed."),
    404: OpenApiResponse(description="No such record, or not one you may see."),
    409: OpenApiResponse(description="The step cannot be taken now (the reason is given). Nothing was changed."),
}


def _with_refusals(responses: dict[int, Any], *codes: int) -> dict[int, Any]:
    return {**responses, **{code: REFUSALS[code] for code in codes}}


# The daily review ---------------------------------------------------------------------------------------------------


class ReviewQueueApi(APIView):
    @extend_schema(responses=_with_refusals({200: ReviewQueueSerializer}, 403))
    def get(self, request: Request) -> Response:
        """The daily review: referrals co-allocated to your team waiting for a decision (urgent first, then oldest),
        and the strategy discussions due from decisions made. For members of the team."""
        user = _user(request)
        _team_member(user)
        return Response(ReviewQueueSerializer(daily_review_queue(user=user)).data)


class ReviewDecisionApi(APIView):
    @extend_schema(
        request=DecisionViewInputSerializer,
        responses=_with_refusals({201: DecisionOutcomeSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Record your view of the decision (team manager or detective sergeant). When both have recorded the same
        decision it is made, and `decision` says what it opened; when they differ, `disagreed` is true."""
        user = _user(request)
        _decider(user)
        referral = referral_get_for_user(user=user, public_id=public_id, audit=False)
        data = _valid(DecisionViewInputSerializer, request)
        try:
            outcome = decision_view_record(
                referral=referral, by=user, kind=data["kind"], rationale=data["rationale"], advice=data["advice"]
            )
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except CaseRefused as error:
            return _refused(error)
        return Response(DecisionOutcomeSerializer(outcome).data, status=status.HTTP_201_CREATED)


class ReviewChecksApi(APIView):
    @extend_schema(
        request=AgencyCheckInputSerializer,
        responses=_with_refusals({201: AgencyCheckSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Ask one agency, in the team or outside it, to check what it holds about the referred child."""
        user = _user(request)
        _decider(user)
        referral = referral_get_for_user(user=user, public_id=public_id, audit=False)
        data = _valid(AgencyCheckInputSerializer, request)
        owner = user_get_active_by_username(username=data["agency_owner"])
        agency = owner.agency if owner is not None else None
        if owner is None or agency is None or not people_in_agency(agency_id=agency.pk).filter(pk=owner.pk).exists():
            raise ValidationError({"agency_owner": ["Give the username of someone in the agency to ask."]})
        try:
            check = agency_check_request(
                referral=referral,
                by=user,
                agency=agency,
                owner=owner,
                due_at=timezone.now() + timedelta(hours=data["due_hours"]),
                question=data["question"],
            )
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except CaseRefused as error:
            return _refused(error)
        return Response(AgencyCheckSerializer(check).data, status=status.HTTP_201_CREATED)


class CheckAnswerApi(APIView):
    @extend_schema(
        request=CheckAnswerInputSerializer,
        responses=_with_refusals({200: AgencyCheckSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Answer an agency check: whether your agency holds information about the child, and what."""
        user = _user(request)
        check = check_get_for_user(user=user, public_id=public_id)
        if not may_answer_check(user, check):
            raise PermissionDenied("Only the person asked, or a team member of that agency, can answer this check.")
        data = _valid(CheckAnswerInputSerializer, request)
        try:
            answered = agency_check_answer(
                check=check, by=user, holds_information=data["holds_information"], answer=data["answer"]
            )
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except CaseRefused as error:
            return _refused(error)
        return Response(AgencyCheckSerializer(answered).data)


# The child's case ---------------------------------------------------------------------------------------------------


class CaseListApi(APIView):
    pagination_class = LimitOffsetPagination

    @extend_schema(
        parameters=[OpenApiParameter("include_closed", bool, description="Closed cases too")],
        responses=CaseSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """The cases you may see: your team's, or for someone outside the team only those they work on."""
        user = _user(request)
        include_closed = request.query_params.get("include_closed", "").lower() in ("1", "true", "yes")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(cases_for_user(user=user, include_closed=include_closed), request, self)
        cases = page or []
        if cases:
            record_access(
                user=user, children=[c.child for c in cases], action=AccessAction.LISTED, what="API case list"
            )
        return paginator.get_paginated_response(CaseSerializer(cases, many=True).data)


class AwaitingMeetingApi(APIView):
    @extend_schema(responses=_with_refusals({200: CaseSerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """The children referred to the CSE Risk Assessment Meeting, oldest first: its agenda is built from this."""
        user = _user(request)
        _team_member(user)
        return Response(CaseSerializer(children_awaiting_ra_meeting(user=user), many=True).data)


class CaseDetailApi(APIView):
    @extend_schema(responses=_with_refusals({200: CaseSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        user = _user(request)
        case = cases_for_user(user=user, include_closed=True).filter(public_id=public_id).first()
        if case is None:
            raise NotFound("No such record, or not one you may see.")
        record_access(user=user, children=[case.child], action=AccessAction.VIEWED, what=f"case {case.pk} (API)")
        return Response(CaseSerializer(case).data)


class CaseNotesApi(APIView):
    pagination_class = LimitOffsetPagination

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="Only notes containing these words")],
        responses=_with_refusals({200: CaseNoteSerializer(many=True)}, 404),
    )
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """The case notes you may see, newest first: a note restricted to another agency only once it is shared with
        you or your agency."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        search = request.query_params.get("search", "").strip()[:200]
        paginator = self.pagination_class()
        notes = paginator.paginate_queryset(notes_for_case(user=user, case=case, search=search), request, self) or []
        shown = ",".join(str(note.pk) for note in notes)
        record_access(
            user=user, children=[case.child], action=AccessAction.VIEWED, what=f"case {case.pk}; notes [{shown}]"
        )
        return paginator.get_paginated_response(CaseNoteSerializer(notes, many=True, context={"user": user}).data)

    @extend_schema(request=NoteInputSerializer, responses=_with_refusals({201: CaseNoteSerializer}, 400, 403, 404, 409))
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Write a case note: team members of the case's team and the case-holding social worker."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        if not may_write_on_case(user, case):
            raise PermissionDenied("Only members of the team and the case-holding social worker write on this case.")
        data = _valid(NoteInputSerializer, request)
        if not case.is_open:
            return _refused(CaseRefused("The case is closed: re-open it first"))
        try:
            note = case_note_add(case=case, by=user, text=data["text"], restricted=data["restricted"])
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except CaseRefused as error:
            return _refused(error)
        return Response(CaseNoteSerializer(note, context={"user": user}).data, status=status.HTTP_201_CREATED)


class NoteShareApi(APIView):
    @extend_schema(request=ShareInputSerializer, responses=_with_refusals({201: ShareSerializer}, 400, 403, 404))
    def post(self, request: Request, public_id: uuid.UUID, note_id: uuid.UUID) -> Response:
        """Share a note restricted to your agency with one person on the case or one agency of the team: a recorded
        decision in the information-sharing ledger, with its lawful basis and consent."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        note = notes_for_case(user=user, case=case).filter(public_id=note_id).first()
        if note is None:
            raise NotFound("No such record, or not one you may see.")
        if not may_share_note(user, note):
            raise PermissionDenied("Only the agency a note is restricted to can share it.")
        data = _valid(ShareInputSerializer, request)
        to_user = to_agency = None
        if data["to_username"] and data["to_agency"]:
            raise ValidationError({"to": ["Share with one person or one agency, not both."]})
        if data["to_username"]:
            to_user = people_to_allocate(case=case).filter(username=data["to_username"].strip()).first()
            if to_user is None:
                raise ValidationError({"to_username": ["Give the username of someone working on the child's case."]})
        elif data["to_agency"]:
            to_agency = case.team.agencies.filter(short_name=data["to_agency"].strip()).first()
            if to_agency is None:
                raise ValidationError({"to_agency": ["Give the short name of an agency of the team."]})
        note.case = case
        try:
            share = case_note_share(
                note=note,
                by=user,
                to_user=to_user,
                to_agency=to_agency,
                lawful_basis=data["lawful_basis"],
                consent=data["consent"],
                reason_without_consent=data["reason_without_consent"],
            )
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except CaseRefused as error:
            return _refused(error)
        return Response(ShareSerializer(share).data, status=status.HTTP_201_CREATED)


class CaseAllocationsApi(APIView):
    @extend_schema(
        request=AllocationInputSerializer,
        responses=_with_refusals({201: AllocationSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Allocate someone to the case with a role (team manager and detective sergeant of the team). They are
        given access to the child's record, recorded in the information-sharing ledger."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        if not may_manage_case(user, case):
            raise PermissionDenied("Only the team manager and the detective sergeant of the team can change this.")
        data = _valid(AllocationInputSerializer, request)
        person = people_to_allocate(case=case).filter(username=data["username"].strip()).first()
        if person is None:
            raise ValidationError({"username": ["Give the username of a team member or a case-holding social worker."]})
        try:
            allocation = allocation_add(case=case, by=user, user=person, role=data["role"], start_on=data["start_on"])
        except DjangoValidationError as error:
            raise _invalid(error) from None
        except (CaseRefused, CaseConflict) as error:
            return _refused(error)
        return Response(AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)
