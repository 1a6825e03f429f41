"""The Evolve API: the daily review (the queue, the decision, agency checks, escalations) and the child's case (reading
it, case notes and sharing them, allocations, the case holder, the key individual, the review date, closing and
re-opening, the child's own words, the strategy discussion, the sharing ledger) and caseloads, through the same gate,
selectors, services and refusals as the pages.

Public UUIDs only. A record that is missing and one the caller may not see are the same 404. A role that may not
take a step is a 403; a step that cannot be taken now (a referral already decided, a closed case, a check already
answered) is a 409, and so is a change based on a version of the case someone else has changed since (the body gives
the current version); bad input is a 400 keyed by field. Nothing is changed by a refused request."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evolve.access import gate
from evolve.access.models import LawfulBasis, ShareConsent
from evolve.access.sharing import ledger_for_child
from evolve.accounts.models import User
from evolve.accounts.selectors import user_get_active_by_username
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.cases.models import (
    AllocationRole,
    Case,
    CaseNote,
    ChildWords,
    DecisionKind,
    DecisionView,
    Escalation,
    RiskLevel,
)
from evolve.cases.permissions import (
    may_answer_check,
    may_decide,
    may_manage_case,
    may_resolve_escalation,
    may_see_caseloads,
    may_share_note,
    may_write_on_case,
)
from evolve.cases.selectors import (
    case_get_for_user,
    case_holders,
    caseloads,
    cases_for_user,
    check_get_for_user,
    children_awaiting_ra_meeting,
    daily_review_queue,
    decision_for_referral,
    decision_views_history,
    escalation_get_for_user,
    escalation_referral,
    escalations_for_user,
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
    allocation_end,
    case_close,
    case_holder_set,
    case_note_add,
    case_note_share,
    case_reopen,
    case_review_date_set,
    child_words_add,
    decision_escalate,
    decision_view_record,
    escalation_resolve,
    key_individual_set,
    strategy_discussion_held,
)
from evolve.clock.models import DeadlineKind
from evolve.ui.api import Pages, invalid, refused, valid_input, with_refusals
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


@extend_schema_field({"type": "string", "enum": list(ChildWords.Kind.values)}, component_name="ChildWordsKindEnum")
class ChildWordsKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ChildWords.Kind.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(DecisionView.Seat.values)}, component_name="DecisionSeatEnum")
class DecisionSeatField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=DecisionView.Seat.choices, **kwargs)


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
    missing_episodes = serializers.IntegerField(
        source="holds.missing.episodes",
        read_only=True,
        allow_null=True,
        help_text="Set when the child went missing often: the missing episodes in the flag's period (null otherwise)",
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


class MissingOftenSerializer(serializers.Serializer):
    """An open case of the team whose child went missing often (three times in 90 days, by default)."""

    case = serializers.UUIDField(source="case.public_id", read_only=True)
    child = CaseChildSerializer(source="case.child", read_only=True)
    missing_episodes = serializers.IntegerField(source="missing.episodes", read_only=True, allow_null=True)
    days = serializers.IntegerField(source="missing.days", read_only=True, allow_null=True)


class ReviewQueueSerializer(serializers.Serializer):
    waiting = ReviewRowSerializer(many=True, read_only=True)
    strategy_due = StrategyDueSerializer(many=True, read_only=True)
    missing_often = MissingOftenSerializer(many=True, read_only=True, help_text="Children going missing often")
    cut_short = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The lists holding more than `limit` rows, of which the first `limit` are given",
    )
    limit = serializers.IntegerField(read_only=True, help_text="The most rows a list gives")


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


class LedgerEntrySerializer(serializers.Serializer):
    """An entry in the child's information-sharing ledger: what was shared, with whom, why, and who decided."""

    what = serializers.CharField(read_only=True)
    recipient = serializers.CharField(read_only=True, help_text="The person (with their agency) or the agency")
    to_user = serializers.CharField(source="to_user.username", read_only=True, allow_null=True)
    to_agency = serializers.CharField(source="to_agency.short_name", read_only=True, allow_null=True)
    lawful_basis = serializers.ChoiceField(choices=LawfulBasis.choices, read_only=True)
    consent = ShareConsentField(read_only=True)
    reason_without_consent = serializers.CharField(read_only=True)
    decided_by = CasePersonSerializer(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True)


class ChildWordsSerializer(serializers.Serializer):
    """The child's own words and wishes, as the child said them."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = ChildWordsKindField(read_only=True)
    words = serializers.CharField(read_only=True)
    said_on = serializers.DateField(read_only=True)
    # A field named "context": the stubs take it for Field.context; at run time the metaclass makes it a field.
    context = serializers.CharField(read_only=True, help_text="Where, to whom, in what setting")  # type: ignore[assignment]
    recorded_by = CasePersonSerializer(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)


class StrategyHeldSerializer(serializers.Serializer):
    decision = serializers.UUIDField(source="decision.public_id", read_only=True)
    case = serializers.UUIDField(source="decision.case.public_id", read_only=True)
    held_at = serializers.DateTimeField(read_only=True, help_text="Its 24-hour clock is met at this time")
    note = serializers.CharField(read_only=True)


class EscalationSerializer(serializers.Serializer):
    """A disagreement between the team manager and the detective sergeant, waiting for a service manager."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    raised_by = CasePersonSerializer(read_only=True)
    raised_at = serializers.DateTimeField(read_only=True)


class DecisionViewHistorySerializer(DecisionViewSerializer):
    seat = DecisionSeatField(read_only=True)


class EscalationDetailSerializer(serializers.Serializer):
    """An escalated disagreement: the child, what the team manager and the detective sergeant each recorded, the
    note, and the decision once a service manager has made it."""

    id = serializers.UUIDField(source="escalation.public_id", read_only=True)
    referral = serializers.UUIDField(source="referral.public_id", read_only=True)
    child = CaseChildSerializer(source="referral.child", read_only=True, allow_null=True)
    raised_by = CasePersonSerializer(source="escalation.raised_by", read_only=True)
    raised_at = serializers.DateTimeField(source="escalation.raised_at", read_only=True)
    note = serializers.CharField(source="escalation.note", read_only=True, help_text="What they disagree about")
    views = DecisionViewHistorySerializer(
        many=True, read_only=True, help_text="Every view recorded on the referral, oldest first"
    )
    resolved_at = serializers.DateTimeField(source="escalation.resolved_at", read_only=True, allow_null=True)
    resolved_by = CasePersonSerializer(source="escalation.resolved_by", read_only=True, allow_null=True)
    decision = DecisionSerializer(read_only=True, allow_null=True)
    may_resolve = serializers.BooleanField(read_only=True, help_text="You may decide it now")


class WorkerLoadSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    agency = serializers.CharField(source="user.agency.short_name", read_only=True, allow_null=True)
    open_cases = serializers.IntegerField(read_only=True, help_text="Open children allocated to them")
    roles = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Current allocations on open cases, per role"
    )
    cases_held = serializers.IntegerField(read_only=True, help_text="Open cases they hold as the social worker")
    overdue_reviews = serializers.IntegerField(read_only=True)
    overdue_checks = serializers.IntegerField(read_only=True, help_text="Agency checks past due and not answered")


class AgencyLoadSerializer(serializers.Serializer):
    agency = serializers.CharField(source="agency.short_name", read_only=True, allow_null=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True, allow_null=True)
    workers = serializers.IntegerField(read_only=True)
    open_cases = serializers.IntegerField(read_only=True, help_text="Each child counted once")
    overdue_reviews = serializers.IntegerField(read_only=True)
    overdue_checks = serializers.IntegerField(read_only=True)


class CaseloadsSerializer(serializers.Serializer):
    workers = WorkerLoadSerializer(many=True, read_only=True)
    agencies = AgencyLoadSerializer(many=True, read_only=True)


class CaseConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="The case's current version: check it, then retry")


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


class EndAllocationInputSerializer(serializers.Serializer):
    end_on = serializers.DateField()


class EscalateInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=TEXT,
        help_text="What you disagree about, for the service manager",
    )


def _version_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, help_text="The case's version this change is based on: a 409 if someone has changed it since"
    )


class CaseHolderInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="A case-holding social worker from the wider service")
    version = _version_field()


class KeyIndividualInputSerializer(serializers.Serializer):
    username = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=150,
        help_text="A practitioner with an Evolve account (a team member or a case-holding social worker)...",
    )
    name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="...or someone outside the team"
    )
    organisation = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Their organisation"
    )
    version = _version_field()


class ReviewDateInputSerializer(serializers.Serializer):
    next_review_on = serializers.DateField()
    version = _version_field()


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT)
    version = _version_field()


class ChildWordsInputSerializer(serializers.Serializer):
    kind = ChildWordsKindField()
    words = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT, help_text="As the child said them"
    )
    said_on = serializers.DateField()
    context = serializers.CharField(  # type: ignore[assignment]  # as in ChildWordsSerializer
        required=False, allow_blank=True, default="", max_length=300, help_text="Where, to whom, in what setting"
    )


class StrategyHeldInputSerializer(serializers.Serializer):
    decision = serializers.UUIDField(help_text="The decision on this case that called the strategy discussion")
    held_at = ZonedDateTimeField(help_text="When it started: an ISO 8601 date and time with its zone")
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=TEXT,
        help_text="Who attended and what was agreed",
    )


# Shared -------------------------------------------------------------------------------------------------------------


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _team_member(user: User) -> None:
    if not user.is_team_member:
        raise PermissionDenied("The daily review is the Evolve team's.")


def _decider(user: User) -> None:
    _team_member(user)
    if not may_decide(user):
        raise PermissionDenied("Only the team manager and the detective sergeant of the team can do this.")


STALE_VERSION = OpenApiResponse(
    response=CaseConflictSerializer,
    description="The step cannot be taken now (the reason is given), or someone else changed the case after the "
    "version this change was based on (the current version is given). Nothing was changed.",
)


def _manager(user: User, case: Case) -> None:
    if not may_manage_case(user, case):
        raise PermissionDenied("Only the team manager and the detective sergeant of the team can change this.")


# The daily review ---------------------------------------------------------------------------------------------------


class ReviewQueueApi(APIView):
    @extend_schema(responses=with_refusals({200: ReviewQueueSerializer}, 403))
    def get(self, request: Request) -> Response:
        """The daily review: referrals co-allocated to your team waiting for a decision (urgent first, then oldest),
        the strategy discussions due from decisions made, and the team's open cases whose child went missing often.
        For members of the team."""
        user = _user(request)
        _team_member(user)
        return Response(ReviewQueueSerializer(daily_review_queue(user=user)).data)


class ReviewDecisionApi(APIView):
    @extend_schema(
        request=DecisionViewInputSerializer,
        responses=with_refusals({201: DecisionOutcomeSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Record your view of the decision (team manager or detective sergeant). When both have recorded the same
        decision it is made, and `decision` says what it opened; when they differ, `disagreed` is true."""
        user = _user(request)
        _decider(user)
        referral = referral_get_for_user(user=user, public_id=public_id, audit=False)
        data = valid_input(DecisionViewInputSerializer, request)
        try:
            outcome = decision_view_record(
                referral=referral, by=user, kind=data["kind"], rationale=data["rationale"], advice=data["advice"]
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except CaseRefused as error:
            return refused(error)
        return Response(DecisionOutcomeSerializer(outcome).data, status=status.HTTP_201_CREATED)


class ReviewChecksApi(APIView):
    @extend_schema(
        request=AgencyCheckInputSerializer,
        responses=with_refusals({201: AgencyCheckSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Ask one agency, in the team or outside it, to check what it holds about the referred child."""
        user = _user(request)
        _decider(user)
        referral = referral_get_for_user(user=user, public_id=public_id, audit=False)
        data = valid_input(AgencyCheckInputSerializer, request)
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
            raise invalid(error) from None
        except CaseRefused as error:
            return refused(error)
        return Response(AgencyCheckSerializer(check).data, status=status.HTTP_201_CREATED)


class CheckAnswerApi(APIView):
    @extend_schema(
        request=CheckAnswerInputSerializer,
        responses=with_refusals({200: AgencyCheckSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Answer an agency check: whether your agency holds information about the child, and what."""
        user = _user(request)
        check = check_get_for_user(user=user, public_id=public_id)
        if not may_answer_check(user, check):
            raise PermissionDenied("Only the person asked, or a team member of that agency, can answer this check.")
        data = valid_input(CheckAnswerInputSerializer, request)
        try:
            answered = agency_check_answer(
                check=check, by=user, holds_information=data["holds_information"], answer=data["answer"]
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except CaseRefused as error:
            return refused(error)
        return Response(AgencyCheckSerializer(answered).data)


def _escalation_detail(user: User, escalation: Escalation) -> dict[str, Any]:
    """What the escalation page shows: the referral's child, every view recorded, the note, the decision if made."""
    return {
        "escalation": escalation,
        "referral": escalation_referral(user=user, escalation=escalation),  # logs the read
        "views": decision_views_history(referral_id=escalation.referral_id),
        "decision": decision_for_referral(referral_id=escalation.referral_id),
        "may_resolve": may_resolve_escalation(user, escalation) and escalation.resolved_at is None,
    }


class ReviewEscalateApi(APIView):
    @extend_schema(
        request=EscalateInputSerializer,
        responses=with_refusals({201: EscalationDetailSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Escalate a disagreement (team manager or detective sergeant): when both have recorded different decisions,
        the service managers of their agencies decide. A 409 when there is no disagreement, or it is escalated."""
        user = _user(request)
        _decider(user)
        referral = referral_get_for_user(user=user, public_id=public_id, audit=False)
        data = valid_input(EscalateInputSerializer, request)
        try:
            escalation = decision_escalate(referral=referral, by=user, note=data["note"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except CaseRefused as error:
            return refused(error)
        escalation = escalation_get_for_user(user=user, public_id=escalation.public_id)
        detail = _escalation_detail(user, escalation)
        return Response(EscalationDetailSerializer(detail).data, status=status.HTTP_201_CREATED)


class EscalationListApi(APIView):
    @extend_schema(responses=with_refusals({200: EscalationSerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """The escalated disagreements waiting for a decision, oldest first: your team's, or for a service manager
        those of their agency."""
        gate.refuse_governance(request.user)
        return Response(EscalationSerializer(escalations_for_user(user=_user(request)), many=True).data)


class EscalationDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: EscalationDetailSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """An escalated disagreement: the child, the views recorded, the note, and the decision once made."""
        user = _user(request)
        escalation = escalation_get_for_user(user=user, public_id=public_id)
        return Response(EscalationDetailSerializer(_escalation_detail(user, escalation)).data)

    @extend_schema(
        request=DecisionViewInputSerializer,
        responses=with_refusals({201: DecisionSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Decide an escalated disagreement (a service manager of the team manager's or the detective sergeant's
        agency). The decision is made, with its consequences, as if both had agreed it."""
        user = _user(request)
        escalation = escalation_get_for_user(user=user, public_id=public_id)
        if not may_resolve_escalation(user, escalation):
            raise PermissionDenied("Only a service manager of the agencies involved resolves this escalation.")
        data = valid_input(DecisionViewInputSerializer, request)
        try:
            decision = escalation_resolve(
                escalation=escalation, by=user, kind=data["kind"], rationale=data["rationale"], advice=data["advice"]
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except CaseRefused as error:
            return refused(error)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


# The child's case ---------------------------------------------------------------------------------------------------


class CaseListApi(APIView):
    pagination_class = Pages

    @extend_schema(
        parameters=[OpenApiParameter("include_closed", bool, description="Closed cases too")],
        responses=with_refusals({200: CaseSerializer(many=True)}, 403),
    )
    def get(self, request: Request) -> Response:
        """The cases you may see: your team's, or for someone outside the team only those they work on."""
        gate.refuse_governance(request.user)
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
    @extend_schema(responses=with_refusals({200: CaseSerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """The children referred to the CSE Risk Assessment Meeting, oldest first: its agenda is built from this."""
        user = _user(request)
        _team_member(user)
        return Response(CaseSerializer(children_awaiting_ra_meeting(user=user), many=True).data)


class CaseDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: CaseSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        user = _user(request)
        case = cases_for_user(user=user, include_closed=True).filter(public_id=public_id).first()
        if case is None:
            raise NotFound("No such record, or not one you may see.")
        record_access(user=user, children=[case.child], action=AccessAction.VIEWED, what=f"case {case.pk} (API)")
        return Response(CaseSerializer(case).data)


class CaseNotesApi(APIView):
    pagination_class = Pages

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="Only notes containing these words")],
        responses=with_refusals({200: CaseNoteSerializer(many=True)}, 404),
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

    @extend_schema(request=NoteInputSerializer, responses=with_refusals({201: CaseNoteSerializer}, 400, 403, 404, 409))
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Write a case note: team members of the case's team and the case-holding social worker."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        if not may_write_on_case(user, case):
            raise PermissionDenied("Only members of the team and the case-holding social worker write on this case.")
        data = valid_input(NoteInputSerializer, request)
        if not case.is_open:
            return refused(CaseRefused("The case is closed: re-open it first"))
        try:
            note = case_note_add(case=case, by=user, text=data["text"], restricted=data["restricted"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except CaseRefused as error:
            return refused(error)
        return Response(CaseNoteSerializer(note, context={"user": user}).data, status=status.HTTP_201_CREATED)


class NoteShareApi(APIView):
    @extend_schema(request=ShareInputSerializer, responses=with_refusals({201: ShareSerializer}, 400, 403, 404))
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
        data = valid_input(ShareInputSerializer, request)
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
            raise invalid(error) from None
        except CaseRefused as error:
            return refused(error)
        return Response(ShareSerializer(share).data, status=status.HTTP_201_CREATED)


class CaseAllocationsApi(APIView):
    @extend_schema(
        request=AllocationInputSerializer,
        responses=with_refusals({201: AllocationSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Allocate someone to the case with a role (team manager and detective sergeant of the team). They are
        given access to the child's record, recorded in the information-sharing ledger."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        if not may_manage_case(user, case):
            raise PermissionDenied("Only the team manager and the detective sergeant of the team can change this.")
        data = valid_input(AllocationInputSerializer, request)
        person = people_to_allocate(case=case).filter(username=data["username"].strip()).first()
        if person is None:
            raise ValidationError({"username": ["Give the username of a team member or a case-holding social worker."]})
        try:
            allocation = allocation_add(case=case, by=user, user=person, role=data["role"], start_on=data["start_on"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (CaseRefused, CaseConflict) as error:
            return refused(error)
        return Response(AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)


class AllocationEndApi(APIView):
    @extend_schema(
        request=EndAllocationInputSerializer,
        responses=with_refusals({200: AllocationSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID, allocation_id: uuid.UUID) -> Response:
        """End an allocation (team manager and detective sergeant of the team). The sight of the child it gave ends
        too, unless the person still works on the case. A 409 if it has already ended."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        allocation = case.allocations.select_related("user").filter(public_id=allocation_id).first()
        if allocation is None:
            raise NotFound("No such record, or not one you may see.")
        _manager(user, case)
        data = valid_input(EndAllocationInputSerializer, request)
        allocation.case = case
        try:
            ended = allocation_end(allocation=allocation, by=user, end_on=data["end_on"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (CaseRefused, CaseConflict) as error:
            return refused(error)
        return Response(AllocationSerializer(ended).data)


def _case_change(
    user: User, request: Request, public_id: uuid.UUID, serializer_class: type[serializers.Serializer]
) -> tuple[Case, dict[str, Any]]:
    """The case, if the caller may see it (404) and manage it (403), and the change asked for, if valid (400)."""
    case = case_get_for_user(user=user, public_id=public_id)
    _manager(user, case)
    return case, valid_input(serializer_class, request)


CASE_CHANGED = with_refusals({200: CaseSerializer, 409: STALE_VERSION}, 400, 403, 404)


class CaseHolderApi(APIView):
    @extend_schema(request=CaseHolderInputSerializer, responses=CASE_CHANGED)
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Name the case-holding social worker from the wider service (team manager and detective sergeant of the
        team). They are given sight of the child's record; the one they replace loses it unless still working on
        the case."""
        user = _user(request)
        case, data = _case_change(user, request, public_id, CaseHolderInputSerializer)
        holder = case_holders().filter(username=data["username"].strip()).first()
        if holder is None:
            raise ValidationError({"username": ["Give the username of a case-holding social worker."]})
        try:
            changed = case_holder_set(case=case, by=user, based_on_version=data["version"], holder=holder)
        except DjangoValidationError as error:
            raise invalid(error, {"holder": "username"}) from None
        except (CaseRefused, CaseConflict) as error:
            return refused(error)
        return Response(CaseSerializer(changed).data)


class KeyIndividualApi(APIView):
    @extend_schema(request=KeyIndividualInputSerializer, responses=CASE_CHANGED)
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Name the key individual, who keeps the primary relationship with the child: someone with an Evolve account
        (`username`), or someone outside the team (`name` and `organisation`)."""
        user = _user(request)
        case, data = _case_change(user, request, public_id, KeyIndividualInputSerializer)
        username = data["username"].strip()
        person = None
        if username and (data["name"].strip() or data["organisation"].strip()):
            raise ValidationError({"username": ["Give a username, or a name and organisation: not both."]})
        if username:
            person = people_to_allocate(case=case).filter(username=username).first()
            if person is None:
                raise ValidationError(
                    {"username": ["Give the username of a team member or a case-holding social worker."]}
                )
        try:
            changed = key_individual_set(
                case=case,
                by=user,
                based_on_version=data["version"],
                user=person,
                name=data["name"],
                organisation=data["organisation"],
            )
        except DjangoValidationError as error:
            raise invalid(error, {"user": "username"}) from None
        except (CaseRefused, CaseConflict) as error:
            return refused(error)
        return Response(CaseSerializer(changed).data)


class ReviewDateApi(APIView):
    @extend_schema(request=ReviewDateInputSerializer, responses=CASE_CHANGED)
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Set the date of the case's next review (team manager and detective sergeant of the team)."""
        user = _user(request)
        case, data = _case_change(user, request, public_id, ReviewDateInputSerializer)
        try:
            changed = case_review_date_set(
                case=case, by=user, based_on_version=data["version"], next_review_on=data["next_review_on"]
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (CaseRefused, CaseConflict) as error:
            return refused(error)
        return Response(CaseSerializer(changed).data)


class CaseCloseApi(APIView):
    @extend_schema(request=ReasonInputSerializer, responses=CASE_CHANGED)
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Close the case when risk is reduced, with the reason (team manager and detective sergeant of the team).
        Current allocations end today; the history stays."""
        user = _user(request)
        case, data = _case_change(user, request, public_id, ReasonInputSerializer)
        try:
            changed = case_close(case=case, by=user, based_on_version=data["version"], reason=data["reason"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (CaseRefused, CaseConflict) as error:
            return refused(error)
        return Response(CaseSerializer(changed).data)


class CaseReopenApi(APIView):
    @extend_schema(request=ReasonInputSerializer, responses=CASE_CHANGED)
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Re-open a closed case, with the reason (team manager and detective sergeant of the team)."""
        user = _user(request)
        case, data = _case_change(user, request, public_id, ReasonInputSerializer)
        try:
            changed = case_reopen(case=case, by=user, based_on_version=data["version"], reason=data["reason"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except (CaseRefused, CaseConflict) as error:
            return refused(error)
        return Response(CaseSerializer(changed).data)


class ChildWordsApi(APIView):
    pagination_class = Pages

    @extend_schema(responses=with_refusals({200: ChildWordsSerializer(many=True)}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """The child's own words and wishes, as the child said them, latest first."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        paginator = self.pagination_class()
        entries = case.child_words.select_related("recorded_by").order_by("-said_on", "-id")
        page = paginator.paginate_queryset(entries, request, self) or []
        record_access(
            user=user, children=[case.child], action=AccessAction.VIEWED, what=f"case {case.pk}; child's words (API)"
        )
        return paginator.get_paginated_response(ChildWordsSerializer(page, many=True).data)

    @extend_schema(
        request=ChildWordsInputSerializer, responses=with_refusals({201: ChildWordsSerializer}, 400, 403, 404, 409)
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Record the child's words, wishes or worries, as the child said them: team members of the case's team and
        the case-holding social worker."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        if not may_write_on_case(user, case):
            raise PermissionDenied("Only members of the team and the case-holding social worker write on this case.")
        data = valid_input(ChildWordsInputSerializer, request)
        try:
            entry = child_words_add(
                case=case,
                by=user,
                kind=data["kind"],
                words=data["words"],
                said_on=data["said_on"],
                context=data["context"],
            )
        except DjangoValidationError as error:
            raise invalid(error) from None
        except CaseRefused as error:
            return refused(error)
        return Response(ChildWordsSerializer(entry).data, status=status.HTTP_201_CREATED)


class StrategyDiscussionApi(APIView):
    @extend_schema(
        request=StrategyHeldInputSerializer,
        responses=with_refusals({200: StrategyHeldSerializer}, 400, 403, 404, 409),
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        """Record that the Immediate Strategy Discussion a decision called for was held (team manager and detective
        sergeant of the team): its 24-hour clock is met at the time it was held. A 409 if already recorded."""
        user = _user(request)
        case, data = _case_change(user, request, public_id, StrategyHeldInputSerializer)
        decision = case.decisions.filter(public_id=data["decision"], kind=DecisionKind.STRATEGY_DISCUSSION).first()
        if decision is None:
            raise ValidationError({"decision": ["Give the decision on this case that called the strategy discussion."]})
        decision.case = case
        try:
            held = strategy_discussion_held(decision=decision, by=user, held_at=data["held_at"], note=data["note"])
        except DjangoValidationError as error:
            raise invalid(error) from None
        except CaseRefused as error:
            return refused(error)
        return Response(
            StrategyHeldSerializer({"decision": held, "held_at": data["held_at"], "note": data["note"]}).data
        )


class SharingLedgerApi(APIView):
    pagination_class = Pages

    @extend_schema(responses=with_refusals({200: LedgerEntrySerializer(many=True)}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """The child's information-sharing ledger, newest first: every share of the child's record or of a restricted
        note, with its lawful basis, consent or the reason for sharing without it, and who decided."""
        user = _user(request)
        case = case_get_for_user(user=user, public_id=public_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(ledger_for_child(child_id=case.child_id), request, self) or []
        record_access(
            user=user, children=[case.child], action=AccessAction.VIEWED, what=f"case {case.pk}; sharing ledger (API)"
        )
        return paginator.get_paginated_response(LedgerEntrySerializer(page, many=True).data)


# Caseloads ---------------------------------------------------------------------------------------------------------


class CaseloadsApi(APIView):
    @extend_schema(responses=with_refusals({200: CaseloadsSerializer}, 403))
    def get(self, request: Request) -> Response:
        """Caseloads per worker and per agency: open children, roles held, cases held, overdue reviews and overdue
        agency checks. For managers: the team manager and detective sergeant see their team, other managers their
        own agency's workers."""
        user = _user(request)
        if not may_see_caseloads(user):
            raise PermissionDenied("Caseloads are for managers.")
        workers, agencies = caseloads(user=user)
        return Response(CaseloadsSerializer({"workers": workers, "agencies": agencies}).data)
