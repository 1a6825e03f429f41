"""Reading meetings. Public: other apps (the case page) read meetings only through these.

Every read goes through the gate (meetings.permissions) and logs the children it shows. `minutes_content` is the
exception: it is what the minutes task renders for the team, with no user, and is never handed to a page directly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from evolve.access import gate
from evolve.accounts.models import User
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from mapping.selectors import entities_named_to
from meetings.models import Action, AgendaItem, AgendaList, Amendment, Attendance, Meeting, MeetingKind, Minutes
from risk.selectors import assessments_latest_for_children

AGENDA_ORDER = [AgendaList.NEW_REFERRALS, AgendaList.STRATEGY_OR_CIN, AgendaList.ALLOCATED_UPDATE, AgendaList.ADDED]


def _meetings() -> QuerySet[Meeting]:
    return Meeting.objects.select_related("chair__agency", "closed_by", "team", "decision").annotate(
        item_count=Count("items", distinct=True), minutes_built=Max("minutes__number")
    )


@dataclass(frozen=True)
class MeetingLists:
    upcoming: list[Meeting]
    past: list[Meeting]


def meetings_for_user(*, user: User, limit: int = 20) -> MeetingLists:
    """The team's open meetings (soonest first) and the latest closed ones. Two queries."""
    visible = gate.visible_to(user, _meetings())
    upcoming = list(visible.filter(closed_at__isnull=True).order_by("starts_at", "id")[:limit])
    past = list(visible.filter(closed_at__isnull=False).order_by("-starts_at", "-id")[:limit])
    return MeetingLists(upcoming=upcoming, past=past)


def meeting_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Meeting:
    return gate.get_visible_or_404(user, _meetings(), public_id=public_id)


def _items(reader: User | None) -> QuerySet[AgendaItem]:
    """Agenda items with what was recorded about each child. The groups and locations flagged for disruption are in
    `flagged_shown`: those `reader` may see (with no reader, for the team's minutes, those not restricted to one
    agency), so a record restricted to one agency is not named to anyone else."""
    return AgendaItem.objects.select_related(
        "child", "meeting__chair", "meeting__team", "assessment", "escalated_to_agency", "escalation_resolved_by"
    ).prefetch_related(
        Prefetch("actions", queryset=Action.objects.select_related("owner__agency").order_by("due_on", "id")),
        "allocations__user",
        Prefetch("amendments", queryset=Amendment.objects.select_related("by").order_by("at", "id")),
        Prefetch("flagged_for_disruption", queryset=entities_named_to(user=reader), to_attr="flagged_shown"),
    )


@dataclass(frozen=True)
class AgendaSection:
    source: str
    label: str
    items: list[AgendaItem]


@dataclass(frozen=True)
class MeetingPage:
    meeting: Meeting
    sections: list[AgendaSection]
    attendance: list[Attendance]
    amendments: list[Amendment]
    latest_minutes: Minutes | None
    restricted_left_out: int = 0  # children on the agenda whose part the full minutes leave out

    @property
    def items(self) -> list[AgendaItem]:
        return [item for section in self.sections for item in section.items]

    @property
    def agencies_present(self) -> list[str]:
        return sorted({row.agency.name for row in self.attendance if row.present})

    @property
    def minutes_pending(self) -> bool:
        built = self.latest_minutes.number if self.latest_minutes else 0
        return self.meeting.minutes_wanted > built


def _sections(items: list[AgendaItem]) -> list[AgendaSection]:
    return [
        AgendaSection(source=source, label=AgendaList(source).label, items=[i for i in items if i.source == source])
        for source in AGENDA_ORDER
        if any(i.source == source for i in items)
    ]


def _page(meeting: Meeting, items: list[AgendaItem]) -> MeetingPage:
    assessments = assessments_latest_for_children(team_id=meeting.team_id, child_ids=[i.child_id for i in items])
    for item in items:
        item.latest_assessment = assessments.get(item.child_id)  # type: ignore[attr-defined]
    return MeetingPage(
        meeting=meeting,
        sections=_sections(items),
        attendance=list(Attendance.objects.filter(meeting=meeting).select_related("agency")),
        amendments=list(Amendment.objects.filter(meeting=meeting).select_related("by", "item__child")),
        latest_minutes=Minutes.objects.filter(meeting=meeting).order_by("-number").first(),
    )


def meeting_page(*, user: User, meeting: Meeting) -> MeetingPage:
    """Everything the meeting page shows, in a fixed number of queries whatever the size of the agenda. Children
    restricted to another agency are left off for readers outside it, as everywhere else."""
    items = list(gate.visible_to(user, _items(user).filter(meeting=meeting)).order_by("order", "id"))
    if items:
        record_access(user=user, children=[i.child for i in items], action=AccessAction.LISTED, what="meeting agenda")
    return _page(meeting, items)


def minutes_content(*, meeting_id: int, extract_item_id: int | None = None, reader: User | None = None) -> MeetingPage:
    """The record the minutes are built from (not for a page). The full minutes, for the whole team, leave out any
    child whose record is restricted to one agency (the rest of the team may not see it anywhere else either; the
    page says how many), and any mapping record restricted to one agency; an extract holds the one child asked for,
    restricted or not, for a `reader` the caller has already checked may see that child's part, and names only the
    mapping records that reader may see."""
    meeting = _meetings().get(pk=meeting_id)
    items = _items(reader).filter(meeting=meeting).order_by("order", "id")
    if extract_item_id is not None:
        return _page(meeting, list(items.filter(pk=extract_item_id)))
    page = _page(meeting, list(items.filter(child__restricted_to_agency__isnull=True)))
    return replace(page, restricted_left_out=items.filter(child__restricted_to_agency__isnull=False).count())


def item_get_for_user(
    *, user: User, meeting_public_id: uuid.UUID | str, item_public_id: uuid.UUID | str, audit: bool = True
) -> AgendaItem:
    item = gate.get_visible_or_404(user, _items(user), public_id=item_public_id, meeting__public_id=meeting_public_id)
    if audit:
        record_access(user=user, children=[item.child], action=AccessAction.VIEWED, what="meeting record")
    return item


def attendance_get(*, meeting: Meeting, pk: int) -> Attendance | None:
    return Attendance.objects.filter(meeting=meeting, pk=pk).select_related("meeting").first()


def items_for_child(*, user: User, child_id: int) -> list[AgendaItem]:
    """The meetings that discussed a child, latest first, for the child's case page. One query."""
    return list(
        gate.visible_to(user, AgendaItem.objects.filter(child_id=child_id))
        .select_related("meeting")
        .order_by("-meeting__starts_at", "-id")
    )


def actions_for_owner(*, user: User) -> list[Action]:
    """The meeting actions the user owns that are not done, soonest due first."""
    rows = list(
        gate.visible_to(user, Action.objects.filter(owner=user, done_at__isnull=True))
        .select_related("item__child", "item__meeting")
        .order_by("due_on", "id")
    )
    if rows:
        record_access(user=user, children=[a.item.child for a in rows], action=AccessAction.LISTED, what="actions")
    return rows


def action_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Action:
    return gate.get_visible_or_404(user, Action.objects.select_related("item__meeting"), public_id=public_id)


def escalations_for_manager(*, user: User) -> list[AgendaItem]:
    """Disagreements escalated to the user's agency that wait for an outcome."""
    if user.agency_id is None:
        return []
    rows = list(
        gate.visible_to(
            user,
            _items(user).filter(escalated_to_agency_id=user.agency_id, escalation_resolved_at__isnull=True),
        ).order_by("escalated_at")
    )
    if rows:
        record_access(user=user, children=[i.child for i in rows], action=AccessAction.LISTED, what="escalations")
    return rows


def minutes_latest(*, meeting: Meeting) -> Minutes | None:
    return Minutes.objects.filter(meeting=meeting).order_by("-number").first()


def meetings_needing_minutes() -> list[int]:
    """Closed meetings whose wanted minutes are not built yet: what the beat sweep asks the task for."""
    return list(
        Meeting.objects.filter(closed_at__lt=timezone.now() - timedelta(minutes=2), minutes_wanted__gt=0)
        .annotate(built=Max("minutes__number"))
        .filter(Q(built__isnull=True) | Q(built__lt=F("minutes_wanted")))
        .values_list("pk", flat=True)[:100]
    )


def decision_meetings(*, user: User, decision_id: int) -> list[Meeting]:
    return list(gate.visible_to(user, _meetings().filter(decision_id=decision_id)).order_by("starts_at"))


def open_weekly_meeting(*, user: User) -> Meeting | None:
    return (
        gate.visible_to(user, Meeting.objects.filter(kind=MeetingKind.WEEKLY, closed_at__isnull=True))
        .filter(starts_at__gte=timezone.now() - timedelta(days=1))
        .order_by("starts_at")
        .first()
    )


# Subject access (dataprotection) ------------------------------------------------------------------------------------
# One child's part of every meeting that discussed them, as plain data, for the data protection officer's export: the
# meeting's details and attendance, and that child's agenda item only (never another child's item, nor an amendment
# to another child's part or to the meeting as a whole, which may name other children). Not read through a user's
# gate: the export is the data controller's, and `dataprotection` calls this only after checking the manager asking
# may see the child.

from typing import Any  # noqa: E402


def _subject_access_who(user: User | None) -> str:
    if user is None:
        return ""
    agency = getattr(user, "agency", None)
    return f"{user.display_name} ({agency.short_name})" if agency else user.display_name


def subject_access_meeting_extracts(*, child_id: int) -> list[dict[str, Any]]:
    """The child's agenda items, oldest meeting first, each with its meeting. Seven queries."""
    items = (
        AgendaItem.objects.filter(child_id=child_id)
        .select_related(
            "meeting__team",
            "meeting__chair__agency",
            "meeting__closed_by__agency",
            "assessment",
            "escalated_to_agency",
            "escalation_resolved_by__agency",
        )
        .prefetch_related(
            Prefetch("meeting__attendance", queryset=Attendance.objects.select_related("agency")),
            Prefetch(
                "actions",
                queryset=Action.objects.select_related("owner__agency", "created_by__agency").order_by("due_on", "id"),
            ),
            "allocations__user__agency",
            Prefetch("amendments", queryset=Amendment.objects.select_related("by__agency").order_by("at", "id")),
            "flagged_for_disruption",
        )
        .order_by("meeting__starts_at", "id")
    )
    extracts = []
    for item in items:
        meeting = item.meeting
        extracts.append(
            {
                "meeting": {
                    "id": str(meeting.public_id),
                    "kind": meeting.get_kind_display(),
                    "starts_at": meeting.starts_at,
                    "place": meeting.place,
                    "team": meeting.team.name,
                    "chair": _subject_access_who(meeting.chair),
                    "closed_at": meeting.closed_at,
                },
                "attendance": [
                    {
                        "agency": row.agency.name,
                        "name": row.name,
                        "role": row.role,
                        "attended": "Present" if row.present else "Apologies",
                    }
                    for row in meeting.attendance.all()
                ],
                "on_the_agenda": item.get_source_display(),
                "reason": item.reason,
                "discussion": item.discussion,
                "agreed_level": item.agreed_level.replace("_", " ").capitalize(),
                "agreed_rationale": item.agreed_rationale,
                "risk_assessment": str(item.assessment.public_id) if item.assessment else None,
                "roles_agreed": [
                    {"role": allocation.role_label, "who": _subject_access_who(allocation.user)}
                    for allocation in item.allocations.all()
                ],
                "actions": [
                    {
                        "action": action.description,
                        "owner": _subject_access_who(action.owner),
                        "due_on": action.due_on,
                        "done_at": action.done_at,
                    }
                    for action in item.actions.all()
                ],
                "for_the_intelligence_sharing_meeting": item.mapping_items,
                # Only groups and locations are flagged; a child's node never is, and would not be named if it were.
                "flagged_for_disruption": [
                    f"{entity.label} ({entity.get_kind_display().lower()})"
                    for entity in item.flagged_for_disruption.all()
                    if entity.child_id is None
                ],
                "disagreement": item.disagreement,
                "escalated_to": item.escalated_to_agency.name if item.escalated_to_agency else "",
                "escalated_at": item.escalated_at,
                "escalation_outcome": item.escalation_outcome,
                "escalation_resolved_at": item.escalation_resolved_at,
                "escalation_resolved_by": _subject_access_who(item.escalation_resolved_by),
                "amendments": [
                    {"at": amendment.at, "by": _subject_access_who(amendment.by), "text": amendment.text}
                    for amendment in item.amendments.all()
                ],
            }
        )
    return extracts
