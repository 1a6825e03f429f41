"""Running meetings: scheduling, the agenda, attendance, what was said and agreed about each child, closing, and
amending a closed meeting. Public: other apps write meetings only through these.

Every write checks who may make it (meetings.permissions) and refuses a change to a closed meeting: once the chair
closes it, the meeting is the record, and only `amendment_add` adds to it. The risk level a meeting agrees is agreed
on the child's risk assessment and taken by the case (`evolve.cases.services.risk_level_agree`); a role it agrees
becomes an allocation on the case (`allocation_add`); each child's part is filed into the child's chronology when
the meeting closes, in the same transaction. A group or location the meeting passes to the Intelligence Sharing
Meeting is flagged for disruption on its mapping record (`mapping.services`) in the transaction that records the
child's part. The minutes PDF is built afterwards by a Celery task
(`meetings.tasks`), asked for when the transaction commits and swept up by beat if the broker was down.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from evolve.accounts.models import Agency, User
from evolve.accounts.roles import Role
from evolve.accounts.selectors import users_with_role
from evolve.cases.models import DECISION_SUBJECT, AllocationRole, Decision, DecisionKind, RiskLevel
from evolve.cases.selectors import agenda_candidates, case_for_team_child
from evolve.cases.services import allocation_add, risk_level_agree, strategy_discussion_held
from evolve.chronology.services import chronology_record
from evolve.clock.selectors import deadlines_for_subjects
from evolve.jobs import send_after_commit
from evolve.notifications.services import notify
from evolve.people.models import Child
from mapping.selectors import disruption_targets_for_user
from mapping.services import MappingRefused, entity_flag_for_disruption
from meetings.models import (
    Action,
    AgendaItem,
    AgendaList,
    Amendment,
    Attendance,
    ChairSeat,
    Meeting,
    MeetingKind,
    RoleAllocation,
)
from meetings.permissions import may_close, may_complete_action, may_resolve_escalation, may_run
from risk.selectors import assessments_latest_for_children

logger = logging.getLogger(__name__)

MEETING_SOURCE = "meeting_item"  # the chronology's source type for a child's part of a meeting
SEAT_ROLES = {ChairSeat.TEAM_MANAGER: Role.TEAM_MANAGER, ChairSeat.DETECTIVE_SERGEANT: Role.DETECTIVE_SERGEANT}
WEEK = timedelta(days=7)


class MeetingRefused(Exception):
    """The user may not do this to this meeting (a permission, or the meeting's state)."""


class MeetingChanged(MeetingRefused):
    """The meeting was changed since the page the chair closed it from (409, like any refusal; the API says the
    current version)."""

    def __init__(self, current: Meeting) -> None:
        super().__init__(
            "The meeting changed while your page was open (a discussion, an action, a role, the attendance or the"
            " agenda)."
            " Nothing was closed: check it below, then close it"
        )
        self.current = current


class MeetingConflict(Exception):
    """Someone else saved this child's part of the meeting since the form was opened."""

    def __init__(self, current: AgendaItem) -> None:
        super().__init__("This child's part of the meeting was changed by someone else")
        self.current = current


def _url(meeting: Meeting) -> str:
    return reverse("meetings:meeting-detail", args=[meeting.public_id])


def _item_url(item: AgendaItem) -> str:
    return reverse("meetings:item-detail", args=[item.meeting.public_id, item.public_id])


def _title(meeting: Meeting) -> str:
    return f"{meeting.get_kind_display()} on {date_format(timezone.localtime(meeting.starts_at), 'j M Y')}"


def _runner(by: User, meeting: Meeting) -> None:
    if not may_run(by, meeting.team_id):
        raise MeetingRefused("Only the team manager and the detective sergeant record the team's meetings")


def _open_meeting(meeting: Meeting) -> Meeting:
    """The meeting's row, locked, refusing a closed one: every write to an open meeting goes through here."""
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if current.closed_at is not None:
        raise MeetingRefused("The meeting is closed: correct it by recording an amendment")
    return current


def _bump(meeting: Meeting) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(version=F("version") + 1)


def _seat_of(user: User) -> str:
    return ChairSeat.TEAM_MANAGER if user.has_role(Role.TEAM_MANAGER) else ChairSeat.DETECTIVE_SERGEANT


# Scheduling ---------------------------------------------------------------------------------------------------------


def next_chair_seat(*, team_id: int) -> str:
    """The weekly meeting is chaired in turn: the other seat from the team's last weekly meeting (the team manager
    if there has been none)."""
    last = Meeting.objects.filter(team_id=team_id, kind=MeetingKind.WEEKLY).order_by("-starts_at", "-id").first()
    if last is None or last.chair_seat == ChairSeat.DETECTIVE_SERGEANT:
        return ChairSeat.TEAM_MANAGER
    return ChairSeat.DETECTIVE_SERGEANT


def chair_candidates(*, team_id: int, seat: str) -> list[User]:
    return list(
        users_with_role(roles=[SEAT_ROLES[ChairSeat(seat)]], team=None)
        .filter(team_id=team_id)
        .order_by("last_name", "first_name", "id")
    )


@transaction.atomic
def meeting_schedule(*, by: User, starts_at: datetime | None, place: str = "", chair: User | None = None) -> Meeting:
    """Schedule the team's weekly meeting, chaired by the seat whose turn it is, with its agenda built from the
    three lists. The agenda can then be edited and refreshed until the meeting closes."""
    if not may_run(by):
        raise MeetingRefused("Only the team manager and the detective sergeant schedule the weekly meeting")
    assert by.team_id is not None
    if starts_at is None:
        raise ValidationError({"starts_at": "Enter the date and time of the meeting"})
    if starts_at < timezone.now() - timedelta(days=1):
        raise ValidationError({"starts_at": "The meeting cannot be scheduled in the past"})
    seat = next_chair_seat(team_id=by.team_id)
    candidates = chair_candidates(team_id=by.team_id, seat=seat)
    if chair is None:
        if not candidates:
            raise ValidationError({"chair": f"Nobody in the team holds the {ChairSeat(seat).label.lower()}'s role"})
        chair = by if by in candidates else candidates[0]
    elif chair not in candidates:
        raise ValidationError({"chair": f"It is the {ChairSeat(seat).label.lower()}'s turn to chair"})
    meeting = Meeting.objects.create(
        team_id=by.team_id,
        kind=MeetingKind.WEEKLY,
        starts_at=starts_at,
        place=place.strip(),
        chair=chair,
        chair_seat=seat,
        created_by=by,
    )
    _agenda_fill(meeting)
    if chair.pk != by.pk:
        notify(
            users=[chair],
            subject="You are chairing the weekly CSE team meeting",
            body=f"You are chairing the {_title(meeting)}. The agenda is ready to check.",
            url=_url(meeting),
        )
    logger.info("Meeting %s scheduled by user %s", meeting.public_id, by.pk)
    return meeting


@transaction.atomic
def meeting_for_decision(
    *, decision: Decision, by: User, kind: str, starts_at: datetime | None, place: str = ""
) -> Meeting:
    """A strategy discussion or CIN meeting called by a daily review decision, about the decision's child, recorded
    with the same building blocks as the weekly meeting. The person recording it chairs it."""
    case = decision.case
    if case is None or not may_run(by, case.team_id):
        raise MeetingRefused("Only the team manager and the detective sergeant record the team's meetings")
    if kind == MeetingKind.STRATEGY_DISCUSSION and decision.kind != DecisionKind.STRATEGY_DISCUSSION:
        raise ValidationError({"kind": "This decision did not call for a strategy discussion"})
    if kind not in (MeetingKind.STRATEGY_DISCUSSION, MeetingKind.CIN_MEETING):
        raise ValidationError({"kind": "Choose a strategy discussion or a Child in Need meeting"})
    if starts_at is None:
        raise ValidationError({"starts_at": "Enter the date and time of the meeting"})
    if kind == MeetingKind.STRATEGY_DISCUSSION and starts_at < decision.decided_at:
        raise ValidationError({"starts_at": "The strategy discussion was called after that time"})
    meeting = Meeting.objects.create(
        team_id=case.team_id,
        kind=kind,
        starts_at=starts_at,
        place=place.strip(),
        chair=by,
        chair_seat=_seat_of(by),
        decision=decision,
        created_by=by,
    )
    AgendaItem.objects.create(
        meeting=meeting,
        child_id=case.child_id,
        team_id=case.team_id,
        source=AgendaList.STRATEGY_OR_CIN,
        reason=f"Called by the daily review decision: {decision.get_kind_display()}",
    )
    return meeting


# The agenda ---------------------------------------------------------------------------------------------------------


def _agenda_fill(meeting: Meeting) -> int:
    previous = (
        Meeting.objects.filter(team_id=meeting.team_id, kind=MeetingKind.WEEKLY, starts_at__lt=meeting.starts_at)
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    since = previous or meeting.starts_at - WEEK
    candidates = agenda_candidates(
        team_id=meeting.team_id, since=since, on=timezone.localtime(meeting.starts_at).date()
    )
    on_agenda = set(AgendaItem.objects.filter(meeting=meeting).values_list("child_id", flat=True))
    order = AgendaItem.objects.filter(meeting=meeting).aggregate(last=Max("order"))["last"] or 0
    new = []
    for candidate in candidates:
        if candidate.case.child_id in on_agenda:
            continue
        order += 1
        new.append(
            AgendaItem(
                meeting=meeting,
                child_id=candidate.case.child_id,
                team_id=meeting.team_id,
                source=candidate.source,
                reason=candidate.reason,
                order=order,
            )
        )
    AgendaItem.objects.bulk_create(new)
    return len(new)


@transaction.atomic
def agenda_refresh(*, meeting: Meeting, by: User) -> int:
    """Add the children who have come onto the three lists since the agenda was built; nothing is removed."""
    _runner(by, meeting)
    meeting = _open_meeting(meeting)
    if meeting.kind != MeetingKind.WEEKLY:
        raise MeetingRefused("Only the weekly meeting's agenda is built from the lists")
    added = _agenda_fill(meeting)
    if added:
        _bump(meeting)
    return added


@transaction.atomic
def agenda_add(*, meeting: Meeting, by: User, child: Child, reason: str = "") -> AgendaItem:
    _runner(by, meeting)
    meeting = _open_meeting(meeting)
    if case_for_team_child(team_id=meeting.team_id, child_id=child.pk) is None:
        raise ValidationError({"child": "Only children with an open case in the team can be discussed"})
    if AgendaItem.objects.filter(meeting=meeting, child=child).exists():
        raise ValidationError({"child": "That child is already on the agenda"})
    order = AgendaItem.objects.filter(meeting=meeting).aggregate(last=Max("order"))["last"] or 0
    item = AgendaItem.objects.create(
        meeting=meeting,
        child=child,
        team_id=meeting.team_id,
        source=AgendaList.ADDED,
        reason=reason.strip()[:300] or f"Added by {by.display_name}",
        order=order + 1,
    )
    _bump(meeting)
    return item


@transaction.atomic
def agenda_remove(*, item: AgendaItem, by: User) -> None:
    """Take a child off the agenda before anything is recorded about them; after that the record stays."""
    _runner(by, item.meeting)
    _open_meeting(item.meeting)
    if item.discussion or item.agreed_level or item.disagreement or item.actions.exists() or item.allocations.exists():
        raise MeetingRefused("Something is already recorded about this child at this meeting, so they stay on it")
    item.delete()
    _bump(item.meeting)


# Attendance ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def attendance_add(
    *, meeting: Meeting, by: User, agency: Agency | None, name: str, role: str = "", present: bool = True
) -> Attendance:
    _runner(by, meeting)
    meeting = _open_meeting(meeting)
    errors = {}
    if agency is None:
        errors["agency"] = "Choose the agency they came from"
    if not name.strip():
        errors["name"] = "Enter the name of the person attending"
    if errors:
        raise ValidationError(errors)
    assert agency is not None
    row = Attendance.objects.create(
        meeting=meeting, agency=agency, name=name.strip()[:200], role=role.strip()[:200], present=present
    )
    _bump(meeting)
    return row


@transaction.atomic
def attendance_remove(*, attendance: Attendance, by: User) -> None:
    _runner(by, attendance.meeting)
    _open_meeting(attendance.meeting)
    attendance.delete()
    _bump(attendance.meeting)


# A child's part -----------------------------------------------------------------------------------------------------


@transaction.atomic
def item_record(
    *,
    item: AgendaItem,
    by: User,
    based_on_version: int | None,
    discussion: str,
    mapping_items: str = "",
    level: str = "",
    rationale: str = "",
    disagreement: str = "",
    escalate_to: Agency | None = None,
    flag_for_disruption: Iterable[uuid.UUID | str] = (),
) -> AgendaItem:
    """Record what the meeting said and agreed about the child. A level, with its rationale, is agreed on the
    child's latest risk assessment and taken by the case; once agreed here it stands (a new assessment changes
    it). A disagreement the meeting could not settle is escalated to the service managers of an agency.

    `flag_for_disruption`: public ids of the team's groups and locations, which `by` may see, to pass to the
    Intelligence Sharing Meeting: each is flagged for disruption (one already flagged keeps its flag and reason) and
    kept on the item, which only ever adds to those it passed. The reason given never names the child."""
    meeting = item.meeting
    _runner(by, meeting)
    _open_meeting(meeting)
    current = AgendaItem.objects.select_for_update().select_related("meeting", "child").get(pk=item.pk)
    if based_on_version is not None and current.version != based_on_version:
        raise MeetingConflict(current)
    errors: dict[str, str] = {}
    level, rationale = level or "", (rationale or "").strip()
    if level and level not in RiskLevel.values:
        errors["level"] = "Choose the agreed risk level"
    if current.agreed_level and level and level != current.agreed_level:
        errors["level"] = "The level agreed here stands: record a new risk assessment to change it"
    if level and not current.agreed_level and not rationale:
        errors["rationale"] = "Give the rationale for the agreed level: judgement stands over the score, written down"
    if rationale and not level and not current.agreed_level:
        errors["level"] = "Choose the level this rationale is for"
    if escalate_to is not None and not disagreement.strip():
        errors["disagreement"] = "Say what the disagreement is before escalating it"
    if current.escalated_at is not None and not disagreement.strip():
        errors["disagreement"] = "The disagreement has been escalated, so it stays on the record"
    if current.escalated_at and escalate_to is not None and escalate_to.pk != current.escalated_to_agency_id:
        errors["escalate_to"] = "The disagreement has already been escalated"
    assessment = None
    if level and not current.agreed_level and not errors:
        assessment = assessments_latest_for_children(team_id=meeting.team_id, child_ids=[current.child_id]).get(
            current.child_id
        )
        if assessment is None:
            errors["level"] = "Record the child's risk assessment before the meeting agrees a level"
        elif assessment.agreed_level:
            errors["level"] = (
                "The child's latest risk assessment already has an agreed level: record a new assessment to change it"
            )
    targets = _disruption_targets(by, flag_for_disruption, errors)
    if errors:
        raise ValidationError(errors)
    if assessment is not None:
        case = case_for_team_child(team_id=meeting.team_id, child_id=current.child_id)
        if case is None:
            raise MeetingRefused("The child's case is closed: re-open it to agree a level")
        risk_level_agree(
            case=case, assessment=assessment, by=by, level=level, rationale=rationale, where=_title(meeting)
        )
        current.assessment = assessment
        current.agreed_level = level
        current.agreed_rationale = rationale
    current.discussion = discussion.strip()
    current.mapping_items = mapping_items.strip()
    current.disagreement = disagreement.strip()
    _pass_for_disruption(current, by, targets)
    if escalate_to is not None and current.escalated_at is None:
        current.escalated_to_agency = escalate_to
        current.escalated_at = timezone.now()
        managers = users_with_role(roles=[Role.SERVICE_MANAGER]).filter(agency=escalate_to)
        current.version = F("version") + 1
        current.save()
        current.refresh_from_db()
        _bump(meeting)
        notify(
            users=managers,
            subject="A disagreement from the weekly meeting has been escalated to you",
            body="The meeting could not agree about a child and escalated it to your service. Record the outcome.",
            url=_item_url(current),
        )
        return current
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    _bump(meeting)  # the meeting's content changed: a chair about to close it on an older page is told
    return current


FLAG_FIELD = "flag_for_disruption"


def _disruption_targets(by: User, given: Iterable[uuid.UUID | str], errors: dict[str, str]) -> list[Any]:
    """The mapping records (entities) asked for, or an error keyed by the field: every id must be a group or a
    location of the team's mapping that `by` may see (one they may not see is refused like one that is not there)."""
    wanted: set[uuid.UUID] = set()
    for value in given:
        try:
            wanted.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            errors[FLAG_FIELD] = "Choose groups and locations from the team's mapping"
            return []
    if not wanted:
        return []
    found = disruption_targets_for_user(user=by, public_ids=wanted)
    if len(found) != len(wanted):
        errors[FLAG_FIELD] = "Choose groups and locations from the team's mapping that you may see"
    return found


def _without_child_names(text: str, child: Child) -> str:
    """The text with the child's names and aliases replaced by "the child": the reason goes in the Intelligence
    Sharing Meeting's pack, which goes to a wider meeting than the team."""
    parts = {child.first_name, child.last_name, *child.middle_names.split(), *(a.name for a in child.aliases.all())}
    names = sorted({part.strip() for part in parts if len(part.strip()) > 1}, key=len, reverse=True)
    if not names:
        return text
    any_name = "|".join(re.escape(name) for name in names)
    return re.sub(rf"\b(?:{any_name})(?:[\s-]+(?:{any_name}))*\b", "the child", text, flags=re.IGNORECASE)


def _pass_for_disruption(item: AgendaItem, by: User, targets: list[Any]) -> None:
    """Flag each target for disruption (one already flagged keeps its flag and reason) and keep it on the item."""
    if not targets:
        return
    said = _without_child_names(" ".join(item.mapping_items.split()), item.child)
    reason = f"{_title(item.meeting)}: {said or 'raised about a child'}"
    for target in targets:
        if target.flagged_for_disruption:
            continue
        try:
            entity_flag_for_disruption(entity=target, by=by, flagged=True, reason=reason, based_on_version=None)
        except MappingRefused as refusal:
            raise MeetingRefused(str(refusal)) from refusal
    item.flagged_for_disruption.add(*targets)


@transaction.atomic
def escalation_outcome_record(*, item: AgendaItem, by: User, outcome: str) -> AgendaItem:
    """The manager the disagreement was escalated to records how it was resolved (allowed after the meeting closed:
    the outcome is a later event, not an edit of what the meeting said)."""
    current = AgendaItem.objects.select_for_update().select_related("meeting").get(pk=item.pk)
    if not may_resolve_escalation(by, current):
        raise MeetingRefused("Only a service manager of the agency it was escalated to records the outcome")
    if not outcome.strip():
        raise ValidationError({"outcome": "Record the outcome of the escalation"})
    current.escalation_outcome = outcome.strip()
    current.escalation_resolved_at = timezone.now()
    current.escalation_resolved_by = by
    current.save(update_fields=["escalation_outcome", "escalation_resolved_at", "escalation_resolved_by"])
    chronology_record(
        child_id=current.child_id,
        by=by,
        kind="meeting.escalation",
        summary=f"Escalation from the {_title(current.meeting)} resolved",
        rationale=current.escalation_outcome,
        source_type=MEETING_SOURCE,
        source_id=current.pk,
    )
    return current


@transaction.atomic
def action_add(*, item: AgendaItem, by: User, description: str, owner: User | None, due_on: date | None) -> Action:
    meeting = item.meeting
    _runner(by, meeting)
    _open_meeting(meeting)
    errors = {}
    if not description.strip():
        errors["description"] = "Say what is to be done"
    if owner is None or not owner.is_active:
        errors["owner"] = "Choose who will do it"
    elif not (owner.team_id == meeting.team_id or owner.has_role(Role.CASE_HOLDING_SOCIAL_WORKER)):
        errors["owner"] = "Choose a member of the team or a case-holding social worker"
    if due_on is None:
        errors["due_on"] = "Enter the date it is due"
    elif due_on < timezone.localtime(meeting.starts_at).date():
        errors["due_on"] = "The due date cannot be before the meeting"
    if errors:
        raise ValidationError(errors)
    assert owner is not None and due_on is not None
    action = Action.objects.create(
        item=item, description=description.strip(), owner=owner, due_on=due_on, created_by=by
    )
    AgendaItem.objects.filter(pk=item.pk).update(version=F("version") + 1)
    _bump(meeting)  # an action goes into the child's part of the record at close
    if owner.pk != by.pk:
        notify(
            users=[owner],
            subject="You have an action from a meeting",
            body=f"An action was given to you at the {_title(meeting)}, due {date_format(due_on, 'j M Y')}.",
            url=_item_url(item),
        )
    return action


@transaction.atomic
def action_complete(*, action: Action, by: User) -> Action:
    """Mark an action done: its owner or the team's manager or DS, before or after the meeting closed."""
    current = Action.objects.select_for_update().select_related("item").get(pk=action.pk)
    if not may_complete_action(by, current):
        raise MeetingRefused("Only the action's owner, the team manager or the detective sergeant marks it done")
    if current.done_at is not None:
        raise MeetingRefused("This action is already done")
    current.done_at = timezone.now()
    current.save(update_fields=["done_at"])
    return current


@transaction.atomic
def role_allocate(*, item: AgendaItem, by: User, user: User | None, role: str) -> RoleAllocation:
    """The meeting agreed who holds a role: it is made an allocation on the child's case, and kept here too."""
    meeting = item.meeting
    _runner(by, meeting)
    _open_meeting(meeting)
    if user is None:
        raise ValidationError({"user": "Choose who takes the role"})
    case = case_for_team_child(team_id=meeting.team_id, child_id=item.child_id)
    if case is None:
        raise MeetingRefused("The child's case is closed: re-open it to allocate roles")
    allocation_add(case=case, by=by, user=user, role=role, start_on=timezone.localdate())
    row = RoleAllocation.objects.create(item=item, user=user, role=role, role_label=AllocationRole(role).label)
    AgendaItem.objects.filter(pk=item.pk).update(version=F("version") + 1)
    _bump(meeting)  # so does a role agreed
    return row


# Closing and amending -----------------------------------------------------------------------------------------------


def _child_part(item: AgendaItem) -> str:
    lines = [item.discussion]
    if item.agreed_level:
        lines.append(f"Agreed risk level: {RiskLevel(item.agreed_level).label}. {item.agreed_rationale}")
    for allocation in item.allocations.all():
        lines.append(f"Role: {allocation.role_label}: {allocation.user.display_name}")
    for action in item.actions.all():
        lines.append(
            f"Action: {action.description} ({action.owner.display_name}, due {date_format(action.due_on, 'j M Y')})"
        )
    if item.disagreement:
        lines.append(f"Disagreement: {item.disagreement}")
    return "\n".join(line for line in lines if line)


def _ask_for_minutes(meeting_id: int) -> None:
    from meetings.tasks import minutes_build_task

    send_after_commit(minutes_build_task, meeting_id, left_for="the minutes sweep")


def _clock_open(meeting: Meeting) -> bool:
    """Whether the decision's strategy-discussion clock still runs (a reconvened discussion finds it met)."""
    assert meeting.decision_id is not None
    clocks = deadlines_for_subjects(subject_type=DECISION_SUBJECT, subject_ids=[meeting.decision_id])
    return any(d.met_at is None for d in clocks[meeting.decision_id])


@transaction.atomic
def meeting_close(*, meeting: Meeting, by: User, based_on_version: int | None = None) -> Meeting:
    """The chair closes the meeting: it becomes the record. Each child's part goes into the child's chronology now,
    in this transaction; the minutes PDF is built by a task once it commits. `based_on_version` is the meeting's
    version on the chair's page: if anyone has since recorded a discussion, an action, a role, the attendance or the
    agenda, the close is refused (MeetingChanged), so nothing becomes the record that the chair has not seen."""
    if not may_close(by, meeting):
        raise MeetingRefused("Only the chair closes the meeting")
    current = _open_meeting(meeting)
    if based_on_version is not None and current.version != based_on_version:
        raise MeetingChanged(current)
    if not Attendance.objects.filter(meeting=current, present=True).exists():
        raise ValidationError({"attendance": "Record who attended before closing the meeting"})
    items = list(
        AgendaItem.objects.filter(meeting=current)
        .select_related("meeting", "child")
        .prefetch_related("actions__owner", "allocations__user")
    )
    # A child restricted to one agency may be out of the chair's sight: their agency records their part, and the
    # full minutes leave it out, so it does not hold the meeting open.
    silent = [item for item in items if not item.discussion and item.child.restricted_to_agency_id is None]
    if silent:
        raise ValidationError(
            {"items": f"Record the discussion for every child on the agenda, or take them off it ({len(silent)} to do)"}
        )
    now = timezone.now()
    current.closed_at = now
    current.closed_by = by
    current.minutes_wanted = 1
    current.version = F("version") + 1
    current.save(update_fields=["closed_at", "closed_by", "minutes_wanted", "version"])
    current.refresh_from_db()
    title = _title(current)
    for item in items:
        summary = f"Discussed at the {title}"
        if item.agreed_level:
            summary += f": risk level agreed {RiskLevel(item.agreed_level).label.lower()}"
        chronology_record(
            child_id=item.child_id,
            by=by,
            kind="meeting.discussed",
            summary=summary,
            rationale=_child_part(item),
            source_type=MEETING_SOURCE,
            source_id=item.pk,
            occurred_at=min(current.starts_at, now),
        )
    if (
        current.kind == MeetingKind.STRATEGY_DISCUSSION
        and current.decision is not None
        and items
        and _clock_open(current)
    ):
        strategy_discussion_held(
            decision=current.decision, by=by, held_at=min(current.starts_at, now), note=items[0].discussion
        )
    _ask_for_minutes(current.pk)
    logger.info("Meeting %s closed by user %s", current.public_id, by.pk)
    return current


@transaction.atomic
def amendment_add(*, meeting: Meeting, by: User, text: str, item: AgendaItem | None = None) -> Amendment:
    """Correct a closed meeting's record: the amendment is added, never an edit, and new minutes are built."""
    _runner(by, meeting)
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if current.closed_at is None:
        raise MeetingRefused("The meeting is still open: change the record directly")
    if not text.strip():
        raise ValidationError({"text": "Say what is corrected and why"})
    if item is not None and item.meeting_id != current.pk:
        raise ValidationError({"item": "That child was not on this meeting's agenda"})
    amendment = Amendment.objects.create(meeting=current, item=item, text=text.strip(), by=by)
    current.minutes_wanted = F("minutes_wanted") + 1
    current.version = F("version") + 1
    current.save(update_fields=["minutes_wanted", "version"])
    # Only an amendment about one child goes into a chronology: one about the whole meeting may name others.
    for row in [item] if item is not None else []:
        chronology_record(
            child_id=row.child_id,
            by=by,
            kind="meeting.amended",
            summary=f"Minutes of the {_title(current)} amended",
            rationale=amendment.text,
            source_type=MEETING_SOURCE,
            source_id=row.pk,
        )
    _ask_for_minutes(current.pk)
    return amendment
