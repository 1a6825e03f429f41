# (DRF's serializer classes take type parameters only in the stubs, not at run time: as for the other API modules.)
"""The meetings API: the weekly CSE team meeting, strategy discussions and CIN meetings (scheduling, the agenda,
attendance, what was said and agreed about each child, actions, roles, escalations, closing, amendments and the
minutes), through the same gate, selectors, services and refusals as the pages.

Public UUIDs only; people by username, agencies by short name. Attendance rows have no public id: the detail gives
each row's `id`, and removing one takes it in the body, never in a URL. A record that is missing and one the caller
may not see are the same 404: the whole meeting is the team's, one child's part of it is also seen by whoever is
granted the child (and by the service managers it was escalated to). A role that may not take a step is a 403; a
step that cannot be taken now (a closed meeting, an action already done) is a 409, and so is a change based on a
version of a child's part someone else has changed since (the body gives the current version); bad input is a 400
keyed by field. Nothing is changed by a refused request."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponseBase
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evolve.access import gate
from evolve.accounts.models import Agency, User
from evolve.accounts.selectors import user_get_active_by_username
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.cases.models import AllocationRole, RiskLevel
from evolve.cases.selectors import agencies_all, decision_get_for_user
from evolve.cases.services import CaseRefused
from evolve.people.selectors import child_get_for_user
from evolve.ui.api import invalid, refused, valid_input, with_refusals
from evolve.uploads.storage import serve_private_file
from mapping.selectors import DISRUPTION_KINDS
from meetings.models import Action, AgendaItem, AgendaList, Amendment, ChairSeat, Meeting, MeetingKind
from meetings.permissions import may_close, may_complete_action, may_resolve_escalation, may_run, may_see_full_minutes
from meetings.selectors import (
    MeetingPage,
    action_get_for_user,
    actions_for_owner,
    attendance_get,
    escalations_for_manager,
    item_get_for_user,
    meeting_get_for_user,
    meeting_page,
    meetings_for_user,
    minutes_content,
    minutes_latest,
)
from meetings.services import (
    MeetingConflict,
    MeetingRefused,
    action_add,
    action_complete,
    agenda_add,
    agenda_refresh,
    agenda_remove,
    amendment_add,
    attendance_add,
    attendance_remove,
    escalation_outcome_record,
    item_record,
    meeting_close,
    meeting_for_decision,
    meeting_schedule,
    role_allocate,
)
from risk.services import AssessmentRefused

NOT_FOUND = "No such record, or not one you may see."
PDF = "application/pdf"

# Enums named for this app, so the schema's enums never collide with other apps' fields of the same name.


@extend_schema_field({"type": "string", "enum": list(MeetingKind.values)}, component_name="MeetingKindEnum")
class MeetingKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=MeetingKind.choices, **kwargs)


CALLED_KINDS = [MeetingKind.STRATEGY_DISCUSSION, MeetingKind.CIN_MEETING]


@extend_schema_field(
    {"type": "string", "enum": [k.value for k in CALLED_KINDS]}, component_name="CalledMeetingKindEnum"
)
class CalledMeetingKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[(k.value, k.label) for k in CALLED_KINDS], **kwargs)


@extend_schema_field({"type": "string", "enum": list(ChairSeat.values)}, component_name="ChairSeatEnum")
class ChairSeatField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ChairSeat.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(AgendaList.values)}, component_name="AgendaListEnum")
class AgendaListField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=AgendaList.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(AllocationRole.values)}, component_name="AllocationRoleEnum")
class AllocationRoleField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=AllocationRole.choices, **kwargs)


# The levels a meeting agrees (the case's levels less "not yet assessed"): the risk assessment's own.
LEVELS = [(value, label) for value, label in RiskLevel.choices if value]


@extend_schema_field({"type": "string", "enum": [v for v, _ in LEVELS]}, component_name="MeetingRiskLevelEnum")
class RiskLevelField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=LEVELS, **kwargs)


AGREED_LEVEL_SCHEMA = {"type": "string", "enum": [v for v, _ in LEVELS], "nullable": True}

FLAGGED_KINDS = [(kind.value, kind.label) for kind in DISRUPTION_KINDS]


@extend_schema_field({"type": "string", "enum": [v for v, _ in FLAGGED_KINDS]}, component_name="MeetingFlaggedKindEnum")
class FlaggedKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=FLAGGED_KINDS, **kwargs)


class ZonedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its zone: a time without one is refused rather than guessed."""

    default_error_messages = {
        "naive": "Give the time with its zone, for example 2025-03-01T14:30:00+00:00.",
    }

    def to_internal_value(self, value: Any) -> Any:
        parsed = super().to_internal_value(value)
        given = parse_datetime(value.strip()) if isinstance(value, str) else value
        if given is None or given.tzinfo is None:
            self.fail("naive")
        return parsed


# What the API shows ------------------------------------------------------------------------------------------------


class MeetingChildSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class MeetingSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = MeetingKindField(read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)
    place = serializers.CharField(read_only=True)
    chair = serializers.CharField(source="chair.username", read_only=True)
    chair_name = serializers.CharField(source="chair.display_name", read_only=True)
    chair_seat = ChairSeatField(read_only=True, help_text="The weekly meeting is chaired in turn")
    decision = serializers.UUIDField(
        source="decision.public_id", read_only=True, allow_null=True, help_text="The decision that called it"
    )
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_by = serializers.CharField(source="closed_by.username", read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)


class MeetingListsSerializer(serializers.Serializer):
    upcoming = MeetingSerializer(many=True, read_only=True, help_text="Open meetings, soonest first")
    past = MeetingSerializer(many=True, read_only=True, help_text="Closed meetings, latest first")


class MeetingActionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    description = serializers.CharField(read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True)
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    due_on = serializers.DateField(read_only=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)


class MyMeetingActionSerializer(MeetingActionSerializer):
    meeting = serializers.UUIDField(source="item.meeting.public_id", read_only=True)
    meeting_kind = MeetingKindField(source="item.meeting.kind", read_only=True)
    item = serializers.UUIDField(source="item.public_id", read_only=True)
    child = MeetingChildSerializer(source="item.child", read_only=True)


class RoleAllocationSerializer(serializers.Serializer):
    user = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    role = AllocationRoleField(read_only=True)
    role_label = serializers.CharField(read_only=True)


class MeetingEscalationSerializer(serializers.Serializer):
    agency = serializers.CharField(source="escalated_to_agency.short_name", read_only=True)
    escalated_at = serializers.DateTimeField(read_only=True)
    outcome = serializers.CharField(source="escalation_outcome", read_only=True)
    resolved_at = serializers.DateTimeField(source="escalation_resolved_at", read_only=True, allow_null=True)
    resolved_by = serializers.CharField(source="escalation_resolved_by.username", read_only=True, allow_null=True)


class LatestAssessmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    assessed_on = serializers.DateField(read_only=True)
    suggested_level = RiskLevelField(read_only=True)
    agreed_level = serializers.SerializerMethodField()

    @extend_schema_field(AGREED_LEVEL_SCHEMA)
    def get_agreed_level(self, assessment: Any) -> str | None:
        return assessment.agreed_level or None


class FlaggedRecordSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True, help_text="The mapping record's id")
    kind = FlaggedKindField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field, not Field.label


class AgendaItemSerializer(serializers.Serializer):
    """One child's part of a meeting: why they are on the agenda and what the meeting said and agreed."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    meeting = serializers.UUIDField(source="meeting.public_id", read_only=True)
    child = MeetingChildSerializer(read_only=True)
    # A field named "source": the stubs take it for Field.source; at run time the metaclass makes it a field.
    source = AgendaListField(  # type: ignore[assignment]
        read_only=True, help_text="The list that brought the child onto the agenda"
    )
    reason = serializers.CharField(read_only=True)
    discussion = serializers.CharField(read_only=True)
    agreed_level = serializers.SerializerMethodField(help_text="The risk level agreed here, once agreed")
    agreed_rationale = serializers.CharField(read_only=True)
    assessment = serializers.UUIDField(
        source="assessment.public_id",
        read_only=True,
        allow_null=True,
        help_text="The risk assessment the level was agreed on",
    )
    mapping_items = serializers.CharField(
        read_only=True, help_text="People, places, vehicles or groups for the Intelligence Sharing Meeting"
    )
    flagged_for_disruption = FlaggedRecordSerializer(
        source="flagged_shown",
        many=True,
        read_only=True,
        help_text="The team's groups and locations this meeting flagged for disruption from the child's part (those "
        "you may see)",
    )
    disagreement = serializers.CharField(read_only=True)
    escalation = serializers.SerializerMethodField(help_text="Where the disagreement was escalated, and the outcome")
    actions = MeetingActionSerializer(many=True, read_only=True)
    allocations = RoleAllocationSerializer(many=True, read_only=True, help_text="Roles the meeting agreed")
    version = serializers.IntegerField(
        read_only=True, help_text="Give it back when recording: a 409 if someone has changed it since"
    )

    @extend_schema_field(AGREED_LEVEL_SCHEMA)
    def get_agreed_level(self, item: AgendaItem) -> str | None:
        return item.agreed_level or None

    @extend_schema_field(MeetingEscalationSerializer(allow_null=True))
    def get_escalation(self, item: AgendaItem) -> Any:
        return MeetingEscalationSerializer(item).data if item.escalated_at is not None else None


class MeetingItemSerializer(AgendaItemSerializer):
    latest_assessment = serializers.SerializerMethodField(
        help_text="The child's latest risk assessment by the team, if any"
    )

    @extend_schema_field(LatestAssessmentSerializer(allow_null=True))
    def get_latest_assessment(self, item: AgendaItem) -> Any:
        assessment = getattr(item, "latest_assessment", None)  # set by the meeting page selector
        return LatestAssessmentSerializer(assessment).data if assessment is not None else None


class AgendaSectionSerializer(serializers.Serializer):
    source = AgendaListField(read_only=True)  # type: ignore[assignment]  # as in AgendaItemSerializer
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field, not Field.label
    items = MeetingItemSerializer(many=True, read_only=True)


class AttendanceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="To remove the row: not a public id, never in a URL")
    agency = serializers.CharField(source="agency.short_name", read_only=True)
    name = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    present = serializers.BooleanField(read_only=True, help_text="False: sent apologies")


class AmendmentSerializer(serializers.Serializer):
    text = serializers.CharField(read_only=True)
    by = serializers.CharField(source="by.username", read_only=True)
    at = serializers.DateTimeField(read_only=True)
    item = serializers.UUIDField(source="item.public_id", read_only=True, allow_null=True)
    child = MeetingChildSerializer(source="item.child", read_only=True, allow_null=True)


class MinutesSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True, allow_null=True, help_text="The latest version built")
    download_url = serializers.CharField(read_only=True, allow_null=True)
    pending = serializers.BooleanField(read_only=True, help_text="A newer version is being built")
    failed_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Building them last failed")


class MeetingDetailSerializer(MeetingSerializer):
    sections = AgendaSectionSerializer(many=True, read_only=True, help_text="The agenda, list by list")
    attendance = AttendanceSerializer(many=True, read_only=True)
    amendments = AmendmentSerializer(many=True, read_only=True)
    minutes = MinutesSerializer(read_only=True)
    may_record = serializers.BooleanField(read_only=True, help_text="You may record this meeting")
    may_close = serializers.BooleanField(read_only=True, help_text="You may close it (the chair)")


class AgendaRefreshSerializer(serializers.Serializer):
    added = serializers.IntegerField(read_only=True, help_text="Children added from the three lists")


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="The current version: check it, then retry")


# What the API takes ------------------------------------------------------------------------------------------------

TEXT = 20_000


def _text(help_text: str = "", max_length: int = TEXT) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length, help_text=help_text or None
    )


class ScheduleInputSerializer(serializers.Serializer):
    starts_at = ZonedDateTimeField(help_text="An ISO 8601 date and time with its zone")
    place = _text(max_length=200)
    chair = _text("The chair's username (whose seat's turn it is); you or a colleague in that seat if not given", 150)


class ForDecisionInputSerializer(serializers.Serializer):
    decision = serializers.UUIDField(help_text="The daily review decision that called the meeting")
    kind = CalledMeetingKindField()
    starts_at = ZonedDateTimeField(help_text="An ISO 8601 date and time with its zone")
    place = _text(max_length=200)


class AgendaAddInputSerializer(serializers.Serializer):
    child = serializers.UUIDField(help_text="The child's public id: a child with an open case in the team")
    reason = _text(max_length=300)


class ItemRecordInputSerializer(serializers.Serializer):
    """What the meeting said and agreed about the child. A text left out keeps what is recorded."""

    version = serializers.IntegerField(
        min_value=1, help_text="The version of the child's part this is based on: a 409 if changed since"
    )
    discussion = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    mapping_items = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    level = RiskLevelField(
        required=False, allow_blank=True, default="", help_text="The risk level agreed, with its rationale"
    )
    rationale = _text("Why that level: judgement stands over the score, written down")
    disagreement = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    escalate_to = _text("Escalate the disagreement to the service managers of this agency (its short name)", 30)
    flag_for_disruption = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        default=list,
        max_length=100,
        help_text="Ids of the team's groups and locations (mapping records you may see) to flag for disruption for "
        "the Intelligence Sharing Meeting, with the mapping items as the reason (the child is not named). One "
        "already flagged stays flagged; those flagged from this child's part before stay on it",
    )


class AttendanceInputSerializer(serializers.Serializer):
    agency = serializers.CharField(max_length=30, help_text="The short name of the agency they came from")
    name = serializers.CharField(allow_blank=True, max_length=200)
    role = _text(max_length=200)
    present = serializers.BooleanField(default=True, help_text="False: sent apologies")


class AttendanceRemoveInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, help_text="The attendance row's id, as the meeting detail gives it")


class ActionInputSerializer(serializers.Serializer):
    description = serializers.CharField(allow_blank=True, max_length=TEXT)
    owner = serializers.CharField(
        max_length=150, help_text="The username of who will do it: a team member or a case-holding social worker"
    )
    due_on = serializers.DateField()


class RoleAllocationInputSerializer(serializers.Serializer):
    user = serializers.CharField(
        max_length=150, help_text="The username of a team member or a case-holding social worker"
    )
    role = AllocationRoleField()


class EscalationOutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.CharField(allow_blank=True, max_length=TEXT, help_text="How the disagreement was resolved")


class AmendmentInputSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=TEXT, help_text="What is corrected and why")
    item = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="The child's part it corrects, if about one child"
    )


# Shared -------------------------------------------------------------------------------------------------------------


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


REFUSED = (MeetingRefused, CaseRefused, AssessmentRefused)


def _runner(user: User, team_id: int) -> None:
    if not may_run(user, team_id):
        raise PermissionDenied("Only the team manager and the detective sergeant record the team's meetings.")


def _agency(short_name: str) -> Agency | None:
    return agencies_all().filter(short_name=short_name.strip()).first() if short_name.strip() else None


def _person(username: str) -> User | None:
    return user_get_active_by_username(username=username) if username.strip() else None


def _detail(user: User, meeting: Meeting) -> Any:
    page: MeetingPage = meeting_page(user=user, meeting=meeting)
    latest = page.latest_minutes
    minutes = {
        "number": latest.number if latest else None,
        "download_url": reverse("api-meeting-minutes", args=[meeting.public_id])
        if latest and may_see_full_minutes(user, meeting)
        else None,
        "pending": page.minutes_pending,
        "failed_at": meeting.minutes_failed_at,
    }
    data = {
        "public_id": meeting.public_id,
        "kind": meeting.kind,
        "starts_at": meeting.starts_at,
        "place": meeting.place,
        "chair": meeting.chair,
        "chair_seat": meeting.chair_seat,
        "decision": meeting.decision,
        "closed_at": meeting.closed_at,
        "closed_by": meeting.closed_by,
        "version": meeting.version,
        "sections": page.sections,
        "attendance": page.attendance,
        "amendments": page.amendments,
        "minutes": minutes,
        "may_record": may_run(user, meeting.team_id) and not meeting.is_closed,
        "may_close": may_close(user, meeting) and not meeting.is_closed,
    }
    return MeetingDetailSerializer(data).data


def _item(user: User, meeting_id: uuid.UUID, item_id: uuid.UUID) -> Any:
    """A child's part, read again after a change (already logged when first read)."""
    return AgendaItemSerializer(
        item_get_for_user(user=user, meeting_public_id=meeting_id, item_public_id=item_id, audit=False)
    ).data


STALE_VERSION = OpenApiResponse(
    response=ConflictSerializer,
    description="The step cannot be taken now (the reason is given), or someone else changed the child's part of "
    "the meeting after the version this change was based on (the current version is given). Nothing was changed.",
)


# Meetings -----------------------------------------------------------------------------------------------------------


class MeetingListApi(APIView):
    @extend_schema(operation_id="meetings_list", responses=with_refusals({200: MeetingListsSerializer}, 403))
    def get(self, request: Request) -> Response:
        """Your team's meetings: the open ones, soonest first, and the latest closed ones (for the team's members)."""
        user = _user(request)
        if not user.is_team_member:
            raise PermissionDenied("Meetings are the Evolve team's: only its members see them.")
        return Response(MeetingListsSerializer(meetings_for_user(user=user)).data)

    @extend_schema(
        request=ScheduleInputSerializer,
        responses=with_refusals({201: MeetingDetailSerializer}, 400, 403),
    )
    def post(self, request: Request) -> Response:
        """Schedule the team's weekly meeting (team manager and detective sergeant), chaired by the seat whose turn
        it is, with its agenda built from the three lists."""
        user = _user(request)
        if not may_run(user):
            raise PermissionDenied("Only the team manager and the detective sergeant schedule the weekly meeting.")
        data = valid_input(ScheduleInputSerializer, request)
        chair = _person(data["chair"])
        if data["chair"].strip() and chair is None:
            raise ValidationError({"chair": ["Give the username of someone in the team."]})
        try:
            meeting = meeting_schedule(by=user, starts_at=data["starts_at"], place=data["place"], chair=chair)
        except DjangoValidationError as error:
            raise invalid(error) from None
        except REFUSED as error:
            return refused(error)
        meeting = meeting_get_for_user(user=user, public_id=meeting.public_id)
        return Response(_detail(user, meeting), status=status.HTTP_201_CREATED)


class MeetingForDecisionApi(APIView):
    @extend_schema(
        request=ForDecisionInputSerializer,
        responses=with_refusals({201: MeetingDetailSerializer}, 400, 403, 404),
    )
    def post(self, request: Request) -> Response:
        """Record a strategy discussion or a CIN meeting called by a daily review decision, about the decision's
        child (team manager and detective sergeant of the team). The person recording it chairs it."""
        user = _user(request)
        data = valid_input(ForDecisionInputSerializer, request)
        decision = decision_get_for_user(user=user, public_id=data["decision"])
        assert decision.case is not None  # decision_get_for_user gives only decisions on a case
        _runner(user, decision.case.team_id)
        try:
            meeting = meeting_for_decision(
                decision=decision, by=user, kind=data["kind"], starts_at=data["starts_at"], place=data["place"]
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except REFUSED as error:
            return refused(error)
        meeting = meeting_get_for_user(user=user, public_id=meeting.public_id)
        return Response(_detail(user, meeting), status=status.HTTP_201_CREATED)


class MeetingDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: MeetingDetailSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """The whole meeting, for the team: the agenda list by list with what was recorded about each child (a
        child restricted to another agency is left off for readers outside it), attendance, amendments and the
        latest minutes."""
        user = _user(request)
        return Response(_detail(user, meeting_get_for_user(user=user, public_id=public_id)))


def _meeting_to_run(request: Request, public_id: uuid.UUID) -> tuple[User, Meeting]:
    user = _user(request)
    meeting = meeting_get_for_user(user=user, public_id=public_id)
    _runner(user, meeting.team_id)
    return user, meeting


class AgendaAddApi(APIView):
    @extend_schema(
        request=AgendaAddInputSerializer,
        responses=with_refusals({201: AgendaItemSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Add a child with an open case in the team to the agenda (team manager and detective sergeant)."""
        user, meeting = _meeting_to_run(request, public_id)
        data = valid_input(AgendaAddInputSerializer, request)
        try:
            child = child_get_for_user(user=user, public_id=data["child"], audit_what=None)
        except Http404:
            raise ValidationError({"child": ["Give the public id of a child you may see."]}) from None
        try:
            item = agenda_add(meeting=meeting, by=user, child=child, reason=data["reason"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except REFUSED as error:
            return refused(error)
        return Response(_item(user, meeting.public_id, item.public_id), status=status.HTTP_201_CREATED)


class AgendaRefreshApi(APIView):
    @extend_schema(request=None, responses=with_refusals({200: AgendaRefreshSerializer}, 403, 404, 409))
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Add the children who have come onto the weekly meeting's three lists since its agenda was built; nobody
        is taken off."""
        user, meeting = _meeting_to_run(request, public_id)
        try:
            added = agenda_refresh(meeting=meeting, by=user)
        except REFUSED as error:
            return refused(error)
        return Response(AgendaRefreshSerializer({"added": added}).data)


class AttendanceApi(APIView):
    @extend_schema(
        request=AttendanceInputSerializer,
        responses=with_refusals({201: AttendanceSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Record who attended, or sent apologies, and the agency they came from."""
        user, meeting = _meeting_to_run(request, public_id)
        data = valid_input(AttendanceInputSerializer, request)
        agency = _agency(data["agency"])
        if agency is None:
            raise ValidationError({"agency": ["Give the short name of an agency."]})
        try:
            row = attendance_add(
                meeting=meeting,
                by=user,
                agency=agency,
                name=data["name"],
                role=data["role"],
                present=data["present"],
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except REFUSED as error:
            return refused(error)
        return Response(AttendanceSerializer(row).data, status=status.HTTP_201_CREATED)


class AttendanceRemoveApi(APIView):
    @extend_schema(
        request=AttendanceRemoveInputSerializer,
        responses=with_refusals({204: None}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Take a row off the attendance, by the `id` the meeting detail gives it."""
        user, meeting = _meeting_to_run(request, public_id)
        data = valid_input(AttendanceRemoveInputSerializer, request)
        row = attendance_get(meeting=meeting, pk=data["id"])
        if row is None:
            raise ValidationError({"id": ["Give the id of a row of this meeting's attendance."]})
        try:
            attendance_remove(attendance=row, by=user)
        except REFUSED as error:
            return refused(error)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeetingCloseInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        help_text="The meeting's version you checked before closing it (the meeting detail gives it). If anyone has "
        "since recorded a discussion, an action, a role, the attendance or the agenda, the close is refused (409, "
        "with the current version)."
    )


class MeetingCloseApi(APIView):
    @extend_schema(
        request=MeetingCloseInputSerializer,
        responses=with_refusals({200: MeetingDetailSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Close the meeting (the chair): it becomes the record. Each child's part goes into the child's chronology;
        the minutes are built shortly after. After this only an amendment changes it."""
        user = _user(request)
        meeting = meeting_get_for_user(user=user, public_id=public_id)
        if not may_close(user, meeting):
            raise PermissionDenied("Only the chair closes the meeting.")
        data = valid_input(MeetingCloseInputSerializer, request)
        try:
            meeting_close(meeting=meeting, by=user, based_on_version=data["version"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except REFUSED as error:
            return refused(error)
        return Response(_detail(user, meeting_get_for_user(user=user, public_id=public_id)))


class AmendmentApi(APIView):
    @extend_schema(
        request=AmendmentInputSerializer,
        responses=with_refusals({201: AmendmentSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Correct a closed meeting's record (team manager and detective sergeant): the amendment is added, never
        an edit, and new minutes are built. One about one child's part goes into that child's chronology."""
        user, meeting = _meeting_to_run(request, public_id)
        data = valid_input(AmendmentInputSerializer, request)
        item = None
        if data["item"] is not None:
            try:
                item = item_get_for_user(
                    user=user, meeting_public_id=public_id, item_public_id=data["item"], audit=False
                )
            except Http404:
                raise ValidationError({"item": ["Give the id of a child's part of this meeting."]}) from None
        try:
            amendment: Amendment = amendment_add(meeting=meeting, by=user, text=data["text"], item=item)
        except DjangoValidationError as error:
            raise invalid(error) from None
        except REFUSED as error:
            return refused(error)
        amendment.item = item
        return Response(AmendmentSerializer(amendment).data, status=status.HTTP_201_CREATED)


class MinutesApi(APIView):
    @extend_schema(
        responses=with_refusals(
            {(200, PDF): OpenApiResponse(response=OpenApiTypes.BINARY, description="The latest minutes, as a PDF")},
            403,
            404,
        )
    )
    def get(self, request: Request, public_id: uuid.UUID) -> HttpResponseBase:
        """Download the latest minutes of a closed meeting: the whole record, for the team (children whose record is
        restricted to one agency are left out of them). A 404 until they are
        built (shortly after closing, and again after each amendment). The download is logged against every child
        in them."""
        user = _user(request)
        meeting = meeting_get_for_user(user=user, public_id=public_id)
        if not may_see_full_minutes(user, meeting):
            raise PermissionDenied("The full minutes are for the team.")
        minutes = minutes_latest(meeting=meeting)
        if minutes is None:
            raise NotFound("The minutes have not been built yet: they are built shortly after the meeting closes.")
        # The full minutes leave out any child whose record is restricted to one agency (minutes_content), so every
        # member of the team may have them; the download is logged against the children they hold.
        children = [item.child for item in minutes_content(meeting_id=meeting.pk).items]
        record_access(
            user=user, children=children, action=AccessAction.EXPORTED, what=f"meeting minutes v{minutes.number}"
        )
        return serve_private_file(
            storage_name=minutes.storage_name,
            download_name=f"minutes-{meeting.starts_at:%Y-%m-%d}-v{minutes.number}.pdf",
            content_type=PDF,
        )


# A child's part -----------------------------------------------------------------------------------------------------


class ItemApi(APIView):
    @extend_schema(responses=with_refusals({200: AgendaItemSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID, item_id: uuid.UUID) -> Response:
        """One child's part of a meeting: for the team, for whoever is granted the child (the case-holding social
        worker), and for the service managers a disagreement about the child was escalated to."""
        user = _user(request)
        item = item_get_for_user(user=user, meeting_public_id=public_id, item_public_id=item_id)
        return Response(AgendaItemSerializer(item).data)

    @extend_schema(
        request=ItemRecordInputSerializer,
        responses=with_refusals({200: AgendaItemSerializer, 409: STALE_VERSION}, 400, 403, 404),
    )
    def patch(self, request: Request, public_id: uuid.UUID, item_id: uuid.UUID) -> Response:
        """Record what the meeting said and agreed about the child (team manager and detective sergeant). A level,
        with its rationale, is agreed on the child's latest risk assessment and taken by the case; once agreed it
        stands. A disagreement can be escalated to the service managers of an agency. Groups and locations given
        in `flag_for_disruption` are flagged for the Intelligence Sharing Meeting in the same change (a 400 naming
        the field, and nothing changed, if one is not a group or location of the team's mapping you may see)."""
        user = _user(request)
        item = item_get_for_user(user=user, meeting_public_id=public_id, item_public_id=item_id, audit=False)
        _runner(user, item.team_id)
        data = valid_input(ItemRecordInputSerializer, request)
        escalate_to = None
        if data["escalate_to"].strip():
            escalate_to = _agency(data["escalate_to"])
            if escalate_to is None:
                raise ValidationError({"escalate_to": ["Give the short name of an agency."]})
        try:
            item_record(
                item=item,
                by=user,
                based_on_version=data["version"],
                discussion=data.get("discussion", item.discussion),
                mapping_items=data.get("mapping_items", item.mapping_items),
                level=data["level"],
                rationale=data["rationale"],
                disagreement=data.get("disagreement", item.disagreement),
                escalate_to=escalate_to,
                flag_for_disruption=data["flag_for_disruption"],
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (*REFUSED, MeetingConflict) as error:
            return refused(error)
        return Response(_item(user, public_id, item_id))

    @extend_schema(responses=with_refusals({204: None}, 403, 404, 409))
    def delete(self, request: Request, public_id: uuid.UUID, item_id: uuid.UUID) -> Response:
        """Take the child off the agenda, before anything is recorded about them (a 409 after that)."""
        user = _user(request)
        item = item_get_for_user(user=user, meeting_public_id=public_id, item_public_id=item_id, audit=False)
        _runner(user, item.team_id)
        try:
            agenda_remove(item=item, by=user)
        except REFUSED as error:
            return refused(error)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _item_to_run(request: Request, public_id: uuid.UUID, item_id: uuid.UUID) -> tuple[User, AgendaItem]:
    user = _user(request)
    item = item_get_for_user(user=user, meeting_public_id=public_id, item_public_id=item_id, audit=False)
    _runner(user, item.team_id)
    return user, item


class ItemActionsApi(APIView):
    @extend_schema(
        request=ActionInputSerializer,
        responses=with_refusals({201: MeetingActionSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID, item_id: uuid.UUID) -> Response:
        """Give someone an action about the child, with a due date (team manager and detective sergeant)."""
        user, item = _item_to_run(request, public_id, item_id)
        data = valid_input(ActionInputSerializer, request)
        try:
            action = action_add(
                item=item, by=user, description=data["description"], owner=_person(data["owner"]), due_on=data["due_on"]
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except REFUSED as error:
            return refused(error)
        return Response(MeetingActionSerializer(action).data, status=status.HTTP_201_CREATED)


class ItemAllocationsApi(APIView):
    @extend_schema(
        request=RoleAllocationInputSerializer,
        responses=with_refusals({201: RoleAllocationSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID, item_id: uuid.UUID) -> Response:
        """The meeting agreed who takes a role for the child: it is made an allocation on the child's case too."""
        user, item = _item_to_run(request, public_id, item_id)
        data = valid_input(RoleAllocationInputSerializer, request)
        person = _person(data["user"])
        try:
            allocation = role_allocate(item=item, by=user, user=person, role=data["role"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except REFUSED as error:
            return refused(error)
        return Response(RoleAllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)


class ItemEscalationApi(APIView):
    @extend_schema(
        request=EscalationOutcomeInputSerializer,
        responses=with_refusals({200: AgendaItemSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID, item_id: uuid.UUID) -> Response:
        """Record the outcome of a disagreement escalated to your agency (its service managers), also after the
        meeting closed. A 409 once an outcome is recorded."""
        user = _user(request)
        item = item_get_for_user(user=user, meeting_public_id=public_id, item_public_id=item_id, audit=False)
        if not may_resolve_escalation(user, item):
            if item.escalation_resolved_at is not None and user.agency_id == item.escalated_to_agency_id:
                return refused(MeetingRefused("The outcome of this escalation is already recorded"))
            raise PermissionDenied("Only a service manager of the agency it was escalated to records the outcome.")
        data = valid_input(EscalationOutcomeInputSerializer, request)
        try:
            escalation_outcome_record(item=item, by=user, outcome=data["outcome"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except REFUSED as error:
            return refused(error)
        return Response(_item(user, public_id, item_id))


# Actions and escalations --------------------------------------------------------------------------------------------


class MyActionsApi(APIView):
    @extend_schema(responses=with_refusals({200: MyMeetingActionSerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """The meeting actions you own that are not done, soonest due first."""
        gate.refuse_governance(request.user)
        user = _user(request)
        actions = actions_for_owner(user=user)
        for action in actions:
            action.owner = user  # every one is the caller's: no query per row for it
        return Response(MyMeetingActionSerializer(actions, many=True).data)


class ActionDoneApi(APIView):
    @extend_schema(request=None, responses=with_refusals({200: MeetingActionSerializer}, 403, 404, 409))
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Mark an action done: its owner, or the team manager or detective sergeant of the team, before or after
        the meeting closed. A 409 if it is already done."""
        user = _user(request)
        action: Action = action_get_for_user(user=user, public_id=public_id)
        if not may_complete_action(user, action):
            raise PermissionDenied("Only the action's owner, the team manager or the detective sergeant marks it done.")
        try:
            done = action_complete(action=action, by=user)
        except REFUSED as error:
            return refused(error)
        action.done_at = done.done_at
        return Response(MeetingActionSerializer(action).data)


class EscalationListApi(APIView):
    @extend_schema(responses=with_refusals({200: AgendaItemSerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """Disagreements from meetings escalated to your agency that wait for an outcome (service managers)."""
        gate.refuse_governance(request.user)
        return Response(AgendaItemSerializer(escalations_for_manager(user=_user(request)), many=True).data)
