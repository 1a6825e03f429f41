"""The meetings API: scheduling, the agenda, attendance, what is recorded about each child, actions, roles,
escalations, closing, amendments and the minutes, with the same roles, refusals and access log as the pages, in the
OpenAPI schema."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.cases.models import Allocation, Case, Decision, DecisionKind
from evolve.cases.services import case_holder_set
from evolve.people.models import Child
from meetings.minutes import minutes_build
from meetings.models import Action, AgendaItem, Amendment, Attendance, Meeting, MeetingKind, RoleAllocation
from meetings.services import action_add, attendance_add, item_record, meeting_close
from referrals.models import Referral
from risk.models import RiskAssessment

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
Crew = dict[str, User]
Weekly = Callable[..., Meeting]
Assess = Callable[..., RiskAssessment]
STALE = uuid.UUID("00000000-0000-0000-0000-00000000dead")
HIGH_SIGNS = {"missing-repeatedly": "current"}
TEAM = ["tm", "ds", "practitioner", "nurse", "officer"]


def _post(client: Client, name: str, args: list[Any], body: dict[str, Any] | None = None) -> Any:
    return client.post(reverse(name, args=args), body or {}, content_type="application/json")


def _patch(client: Client, item: AgendaItem, body: dict[str, Any]) -> Any:
    url = reverse("api-meeting-item", args=[item.meeting.public_id, item.public_id])
    return client.patch(url, body, content_type="application/json")


def _item(meeting: Meeting, case: Case) -> AgendaItem:
    return AgendaItem.objects.select_related("meeting").get(meeting=meeting, child_id=case.child_id)


def _detail(client: Client, meeting: Meeting) -> Any:
    return client.get(reverse("api-meeting-detail", args=[meeting.public_id]))


def _item_url(item: AgendaItem, name: str = "api-meeting-item") -> str:
    return reverse(name, args=[item.meeting.public_id, item.public_id])


def _tomorrow() -> str:
    return (timezone.now() + timedelta(days=1)).isoformat()


def _hold(case: Case, crew: Crew) -> None:
    """The case-holding social worker from the wider service is named: they are granted the child."""
    case_holder_set(case=case, by=crew["tm"], based_on_version=case.version, holder=crew["case_holder"])


def _ready_to_close(meeting: Meeting, item: AgendaItem, crew: Crew, police: Agency) -> None:
    attendance_add(meeting=meeting, by=crew["tm"], agency=police, name="DS Example", role="Detective sergeant")
    item_record(item=item, by=crew["tm"], based_on_version=None, discussion="Discussed with the school.")


@pytest.fixture
def new_case(at_stage: Callable[[str], Referral], decide: Callable[[Referral, str], Case]) -> Callable[..., Case]:
    def make(kind: str = DecisionKind.RISK_ASSESSMENT_MEETING) -> Case:
        return decide(at_stage("co_allocated"), kind)

    return make


# Running a weekly meeting -------------------------------------------------------------------------------------------


def test_the_team_runs_a_weekly_meeting_from_scheduling_to_amended_minutes(
    sign_in: SignIn, crew: Crew, ra_case: Case, assess: Assess
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"], present=HIGH_SIGNS)
    client = sign_in(crew["tm"])
    scheduled = _post(client, "api-meeting-list", [], {"starts_at": _tomorrow(), "place": "Riverside House"})
    assert scheduled.status_code == 201, scheduled.json()
    body = scheduled.json()
    meeting = Meeting.objects.get(public_id=body["id"])
    assert (body["kind"], body["chair"], body["chair_seat"], body["place"]) == (
        "weekly",
        "tm",
        "team_manager",
        "Riverside House",
    )
    assert body["closed_at"] is None and body["may_record"] is True and body["may_close"] is True
    [section] = body["sections"]
    assert section["source"] == "new_referrals"
    [row] = section["items"]
    assert row["child"] == {"id": str(ra_case.child.public_id), "name": ra_case.child.full_name}
    assert row["latest_assessment"]["id"] == str(assessment.public_id)
    assert row["latest_assessment"]["suggested_level"] == "high" and row["agreed_level"] is None
    item = _item(meeting, ra_case)
    assert row["id"] == str(item.public_id) and row["version"] == item.version

    attended = _post(
        client,
        "api-meeting-attendance",
        [meeting.public_id],
        {"agency": "PPU", "name": "DS Example", "role": "Detective sergeant"},
    )
    assert attended.status_code == 201
    assert attended.json()["agency"] == "PPU" and isinstance(attended.json()["id"], int)

    recorded = _patch(
        client,
        item,
        {
            "version": item.version,
            "discussion": "Missing three times; seen with older men.",
            "level": "high",
            "rationale": "Repeated missing episodes and exploitative adults.",
            "mapping_items": "Silver hatchback seen at the school gates.",
        },
    )
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["agreed_level"] == "high"
    assert recorded.json()["assessment"] == str(assessment.public_id)
    assessment.refresh_from_db()
    ra_case.refresh_from_db()
    assert assessment.agreed_level == "high" and ra_case.risk_level == "high"

    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    action = _post(
        client,
        "api-meeting-item-actions",
        [meeting.public_id, item.public_id],
        {"description": "Visit the school", "owner": "practitioner", "due_on": due},
    )
    assert action.status_code == 201 and action.json()["owner"] == "practitioner"
    allocated = _post(
        client,
        "api-meeting-item-allocations",
        [meeting.public_id, item.public_id],
        {"user": "officer", "role": "police_investigation"},
    )
    assert allocated.status_code == 201 and allocated.json()["role_label"] == "Police investigation"
    assert Allocation.objects.filter(case=ra_case, user=crew["officer"], end_on__isnull=True).exists()

    detail = _detail(client, meeting).json()
    [row] = detail["sections"][0]["items"]
    assert row["mapping_items"] == "Silver hatchback seen at the school gates."
    assert [a["description"] for a in row["actions"]] == ["Visit the school"]
    assert [a["user"] for a in row["allocations"]] == ["officer"]
    assert [a["name"] for a in detail["attendance"]] == ["DS Example"]

    version = _detail(client, meeting).json()["version"]
    closed = _post(client, "api-meeting-close", [meeting.public_id], {"version": version})
    assert closed.status_code == 200, closed.json()
    assert closed.json()["closed_at"] and closed.json()["closed_by"] == "tm" and closed.json()["may_record"] is False

    item.refresh_from_db()
    after_close = _patch(client, item, {"version": item.version, "discussion": "Changed afterwards."})
    assert after_close.status_code == 409 and "amendment" in after_close.json()["detail"]
    item.refresh_from_db()
    assert item.discussion == "Missing three times; seen with older men."

    amended = _post(
        client,
        "api-meeting-amendments",
        [meeting.public_id],
        {"text": "The car was blue, not silver.", "item": str(item.public_id)},
    )
    assert amended.status_code == 201
    assert amended.json()["item"] == str(item.public_id) and amended.json()["by"] == "tm"
    assert Amendment.objects.filter(meeting=meeting).count() == 1

    not_yet = client.get(reverse("api-meeting-minutes", args=[meeting.public_id]))
    assert not_yet.status_code == 404 and "not been built" in not_yet.json()["detail"]
    minutes_build(meeting_id=meeting.pk)
    assert _detail(client, meeting).json()["minutes"]["number"] == 2
    download = sign_in(crew["nurse"]).get(_detail(sign_in(crew["nurse"]), meeting).json()["minutes"]["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf" and "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert AccessLogEntry.objects.filter(user=crew["nurse"], child=ra_case.child, action=AccessAction.EXPORTED).exists()


def test_a_time_without_its_zone_or_in_the_past_is_refused_and_nothing_is_scheduled(
    sign_in: SignIn, crew: Crew, ra_case: Case
) -> None:
    client = sign_in(crew["ds"])
    naive = _post(client, "api-meeting-list", [], {"starts_at": "2030-03-01T14:30:00"})
    assert naive.status_code == 400 and "zone" in naive.json()["starts_at"][0]
    past = (timezone.now() - timedelta(days=3)).isoformat()
    assert "starts_at" in _post(client, "api-meeting-list", [], {"starts_at": past}).json()
    wrong_chair = _post(client, "api-meeting-list", [], {"starts_at": _tomorrow(), "chair": "ds"})
    assert wrong_chair.status_code == 400 and "turn" in wrong_chair.json()["chair"][0]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("who", ["practitioner", "nurse", "case_holder", "di", "governance", "other_team_member"])
def test_only_the_team_manager_and_the_detective_sergeant_schedule(
    sign_in: SignIn, crew: Crew, ra_case: Case, who: str
) -> None:
    response = _post(sign_in(crew[who]), "api-meeting-list", [], {"starts_at": _tomorrow()})
    assert response.status_code == 403
    assert not Meeting.objects.exists()


def test_the_meeting_list_is_the_teams(sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    meeting = weekly()
    listed = sign_in(crew["practitioner"]).get(reverse("api-meeting-list")).json()
    assert [m["id"] for m in listed["upcoming"]] == [str(meeting.public_id)] and listed["past"] == []
    # Outside the team the list is refused, as the meetings page is (and another team's member sees only theirs).
    assert sign_in(crew["other_team_member"]).get(reverse("api-meeting-list")).json() == {"upcoming": [], "past": []}
    for who in ("governance", "case_holder", "di"):
        assert sign_in(crew[who]).get(reverse("api-meeting-list")).status_code == 403


# Who sees what ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", TEAM)
def test_the_team_sees_the_whole_meeting(sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case, who: str) -> None:
    meeting = weekly()
    response = _detail(sign_in(crew[who]), meeting)
    assert response.status_code == 200
    assert [i["child"]["id"] for s in response.json()["sections"] for i in s["items"]] == [str(ra_case.child.public_id)]
    assert AccessLogEntry.objects.filter(user=crew[who], child=ra_case.child, action=AccessAction.LISTED).exists()


def test_the_case_holder_sees_their_childs_part_but_not_the_meeting(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case
) -> None:
    _hold(ra_case, crew)
    meeting = weekly()
    item = _item(meeting, ra_case)
    client = sign_in(crew["case_holder"])
    assert _detail(client, meeting).status_code == 404
    part = client.get(_item_url(item))
    assert part.status_code == 200
    assert part.json()["child"]["id"] == str(ra_case.child.public_id) and part.json()["version"] == item.version
    assert AccessLogEntry.objects.filter(
        user=crew["case_holder"], child=ra_case.child, action=AccessAction.VIEWED, what="meeting record"
    ).exists()
    assert client.get(reverse("api-meeting-minutes", args=[meeting.public_id])).status_code == 404


@pytest.mark.parametrize("who", ["governance", "other_team_member", "other_case_holder", "di", "csm", "teacher"])
def test_nobody_else_sees_the_meeting_or_a_childs_part(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case, who: str
) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    client = sign_in(crew[who])
    missing = _detail(client, meeting)
    assert missing.status_code == 404 and missing.json()["detail"] == "No such record, or not one you may see."
    assert client.get(_item_url(item)).status_code == 404
    assert _patch(client, item, {"version": item.version, "discussion": "Seen."}).status_code == 404
    assert _post(client, "api-meeting-close", [meeting.public_id], {"version": 1}).status_code == 404
    assert client.get(reverse("api-meeting-minutes", args=[meeting.public_id])).status_code == 404
    item.refresh_from_db()
    assert item.discussion == "" and item.version == 1
    assert not AccessLogEntry.objects.filter(user=crew[who], child=ra_case.child).exists()


def test_a_child_restricted_to_another_agency_is_hidden_and_left_out_of_the_full_minutes(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case, police: Agency, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    Child.objects.filter(pk=ra_case.child_id).update(restricted_to_agency=police)
    meeting = weekly()
    item = _item(meeting, ra_case)
    _ready_to_close(meeting, item, crew, police)
    meeting_close(meeting=meeting, by=crew["tm"])
    minutes = minutes_build(meeting_id=meeting.pk)
    assert minutes is not None
    url = reverse("api-meeting-minutes", args=[meeting.public_id])

    social_worker = sign_in(crew["practitioner"])
    assert _detail(social_worker, meeting).json()["sections"] == [], "hidden from the rest of the team"
    assert social_worker.get(_item_url(item)).status_code == 404
    downloaded = social_worker.get(url)
    assert downloaded.status_code == 200
    text = subprocess.run(
        ["/usr/bin/pdftotext", str(tmp_path / minutes.storage_name), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert ra_case.child.last_name not in text and "restricted to one agency" in text
    assert not AccessLogEntry.objects.filter(user=crew["practitioner"], child=ra_case.child).exists()

    officer = sign_in(crew["officer"])  # the police, whom the record is restricted to, have her part
    extract = officer.get(reverse("meetings:item-extract", args=[meeting.public_id, item.public_id]))
    assert extract.status_code == 200 and extract["Content-Type"] == "application/pdf"


def test_a_missing_meeting_or_item_is_a_404(sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    meeting = weekly()
    client = sign_in(crew["tm"])
    assert client.get(reverse("api-meeting-detail", args=[STALE])).status_code == 404
    assert client.get(reverse("api-meeting-item", args=[meeting.public_id, STALE])).status_code == 404
    assert client.get(reverse("api-meeting-item", args=[STALE, _item(meeting, ra_case).public_id])).status_code == 404
    assert _post(client, "api-meeting-action-done", [STALE]).status_code == 404


# Recording a child's part -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["practitioner", "nurse", "officer", "case_holder"])
def test_only_the_team_manager_and_the_detective_sergeant_record(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case, police: Agency, who: str
) -> None:
    _hold(ra_case, crew)
    meeting = weekly()
    item = _item(meeting, ra_case)
    client = sign_in(crew[who])
    assert _patch(client, item, {"version": item.version, "discussion": "Seen."}).status_code == 403
    assert client.delete(_item_url(item)).status_code == 403
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    action = {"description": "Visit", "owner": who, "due_on": due}
    assert _post(client, "api-meeting-item-actions", [meeting.public_id, item.public_id], action).status_code == 403
    role = {"user": "officer", "role": "police_investigation"}
    assert _post(client, "api-meeting-item-allocations", [meeting.public_id, item.public_id], role).status_code == 403
    if who != "case_holder":  # the meeting itself is not theirs to see
        attend = {"agency": "PPU", "name": "Someone"}
        assert _post(client, "api-meeting-attendance", [meeting.public_id], attend).status_code == 403
        assert _post(client, "api-meeting-agenda-refresh", [meeting.public_id]).status_code == 403
        assert _post(client, "api-meeting-close", [meeting.public_id]).status_code == 403
    item.refresh_from_db()
    assert (item.discussion, item.version) == ("", 1)
    assert not Action.objects.exists() and not RoleAllocation.objects.exists() and not Attendance.objects.exists()
    assert AgendaItem.objects.filter(pk=item.pk).exists()


def test_a_level_without_its_rationale_is_a_400_and_changes_nothing(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case, assess: Assess
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"], present=HIGH_SIGNS)
    meeting = weekly()
    item = _item(meeting, ra_case)
    client = sign_in(crew["ds"])
    response = _patch(client, item, {"version": item.version, "discussion": "Talked.", "level": "high"})
    assert response.status_code == 400
    assert "rationale" in response.json()
    bad_level = _patch(client, item, {"version": item.version, "level": "purple", "rationale": "Because."})
    assert bad_level.status_code == 400 and "level" in bad_level.json()
    item.refresh_from_db()
    assessment.refresh_from_db()
    ra_case.refresh_from_db()
    assert (item.discussion, item.agreed_level, item.version) == ("", "", 1)
    assert assessment.agreed_level == "" and ra_case.risk_level == ""


def test_a_change_based_on_a_stale_version_is_a_409_with_the_current_version(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case
) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    tm, ds = sign_in(crew["tm"]), None
    first = _patch(tm, item, {"version": 1, "discussion": "The team manager's note."})
    assert first.status_code == 200 and first.json()["version"] == 2
    ds = sign_in(crew["ds"])
    stale = _patch(ds, item, {"version": 1, "discussion": "The DS's note, from an old page."})
    assert stale.status_code == 409
    assert stale.json()["version"] == 2 and stale.json()["detail"]
    item.refresh_from_db()
    assert (item.discussion, item.version) == ("The team manager's note.", 2)


def test_a_patch_keeps_what_it_leaves_out(sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    client = sign_in(crew["tm"])
    _patch(client, item, {"version": 1, "discussion": "Talked.", "mapping_items": "Blue van."})
    kept = _patch(client, item, {"version": 2, "disagreement": "Police and social care differ on the level."})
    assert kept.status_code == 200
    body = kept.json()
    assert (body["discussion"], body["mapping_items"]) == ("Talked.", "Blue van.")
    assert body["disagreement"] == "Police and social care differ on the level."


def test_an_escalated_disagreement_goes_to_that_agencys_service_manager(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case, police: Agency
) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    tm = sign_in(crew["tm"])
    unsaid = _patch(tm, item, {"version": 1, "discussion": "Talked.", "escalate_to": "PPU"})
    assert unsaid.status_code == 400 and "disagreement" in unsaid.json()
    nowhere = _patch(tm, item, {"version": 1, "disagreement": "Differ.", "escalate_to": "Nowhere"})
    assert nowhere.status_code == 400 and "escalate_to" in nowhere.json()
    escalated = _patch(
        tm, item, {"version": 1, "discussion": "Talked.", "disagreement": "Differ on the level.", "escalate_to": "PPU"}
    )
    assert escalated.status_code == 200
    assert escalated.json()["escalation"]["agency"] == "PPU"
    assert (
        _post(tm, "api-meeting-item-escalation", [meeting.public_id, item.public_id], {"outcome": "No."}).status_code
        == 403
    )

    assert sign_in(crew["csm"]).get(_item_url(item)).status_code == 404, "escalated to the police, not social care"
    di = sign_in(crew["di"])
    assert _detail(di, meeting).status_code == 404, "the service manager sees the child's part, not the meeting"
    assert di.get(_item_url(item)).status_code == 200
    assert [row["id"] for row in di.get(reverse("api-meeting-escalations")).json()] == [str(item.public_id)]
    assert _patch(di, item, {"version": 2, "discussion": "Edited."}).status_code == 403
    blank = _post(di, "api-meeting-item-escalation", [meeting.public_id, item.public_id], {"outcome": " "})
    assert blank.status_code == 400 and "outcome" in blank.json()
    outcome = {"outcome": "High: the police view stands."}
    resolved = _post(di, "api-meeting-item-escalation", [meeting.public_id, item.public_id], outcome)
    assert resolved.status_code == 200
    assert resolved.json()["escalation"]["outcome"] == "High: the police view stands."
    assert resolved.json()["escalation"]["resolved_by"] == "di"
    again = _post(di, "api-meeting-item-escalation", [meeting.public_id, item.public_id], {"outcome": "Changed."})
    assert again.status_code == 409
    item.refresh_from_db()
    assert item.escalation_outcome == "High: the police view stands."


# The agenda and attendance ------------------------------------------------------------------------------------------


def test_the_agenda_is_added_to_refreshed_and_trimmed(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case, new_case: Callable[..., Case]
) -> None:
    meeting = weekly()
    client = sign_in(crew["ds"])
    later = new_case()
    refreshed = _post(client, "api-meeting-agenda-refresh", [meeting.public_id])
    assert refreshed.status_code == 200 and refreshed.json() == {"added": 1}
    assert _post(client, "api-meeting-agenda-refresh", [meeting.public_id]).json() == {"added": 0}
    item = _item(meeting, later)

    already = _post(client, "api-meeting-agenda", [meeting.public_id], {"child": str(later.child.public_id)})
    assert already.status_code == 400 and "already on the agenda" in already.json()["child"][0]
    unknown = _post(client, "api-meeting-agenda", [meeting.public_id], {"child": str(STALE)})
    assert unknown.status_code == 400 and "child" in unknown.json()

    removed = client.delete(_item_url(item))
    assert removed.status_code == 204
    assert not AgendaItem.objects.filter(pk=item.pk).exists()
    added = _post(
        client, "api-meeting-agenda", [meeting.public_id], {"child": str(later.child.public_id), "reason": "Back on."}
    )
    assert added.status_code == 201
    assert added.json()["source"] == "added" and added.json()["reason"] == "Back on."

    discussed = _item(meeting, ra_case)
    _patch(client, discussed, {"version": discussed.version, "discussion": "Talked."})
    kept = client.delete(_item_url(discussed))
    assert kept.status_code == 409 and "stay" in kept.json()["detail"]
    assert AgendaItem.objects.filter(pk=discussed.pk).exists()


def test_attendance_is_added_and_removed_by_its_id(sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    meeting = weekly()
    client = sign_in(crew["tm"])
    unnamed = _post(client, "api-meeting-attendance", [meeting.public_id], {"agency": "PPU", "name": " "})
    assert unnamed.status_code == 400 and "name" in unnamed.json()
    nowhere = _post(client, "api-meeting-attendance", [meeting.public_id], {"agency": "Nowhere", "name": "Jo"})
    assert nowhere.status_code == 400 and "agency" in nowhere.json()
    apologies = _post(
        client, "api-meeting-attendance", [meeting.public_id], {"agency": "Hilltop", "name": "Jo", "present": False}
    )
    assert apologies.status_code == 201 and apologies.json()["present"] is False
    row_id = apologies.json()["id"]
    assert [row["id"] for row in _detail(client, meeting).json()["attendance"]] == [row_id]

    assert _post(client, "api-meeting-attendance-remove", [meeting.public_id], {"id": row_id + 999}).status_code == 400
    assert (
        _post(sign_in(crew["nurse"]), "api-meeting-attendance-remove", [meeting.public_id], {"id": row_id}).status_code
        == 403
    )
    assert Attendance.objects.filter(pk=row_id).exists()
    client = sign_in(crew["tm"])
    assert _post(client, "api-meeting-attendance-remove", [meeting.public_id], {"id": row_id}).status_code == 204
    assert not Attendance.objects.filter(pk=row_id).exists()


# Closing ------------------------------------------------------------------------------------------------------------


def test_only_the_chair_closes_and_only_a_complete_record(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case, police: Agency
) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    tm = sign_in(crew["tm"])
    no_version = _post(tm, "api-meeting-close", [meeting.public_id])
    assert no_version.status_code == 400 and "version" in no_version.json()
    seen = _detail(tm, meeting).json()["version"]
    unfinished = _post(tm, "api-meeting-close", [meeting.public_id], {"version": seen})
    assert unfinished.status_code == 400 and "attendance" in unfinished.json()
    _ready_to_close(meeting, item, crew, police)  # the attendance and the discussion, recorded after the chair looked
    stale = _post(tm, "api-meeting-close", [meeting.public_id], {"version": seen})
    current = _detail(tm, meeting).json()["version"]
    assert stale.status_code == 409 and stale.json()["version"] == current > seen
    assert _post(sign_in(crew["ds"]), "api-meeting-close", [meeting.public_id], {"version": current}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.closed_at is None
    tm = sign_in(crew["tm"])
    assert _post(tm, "api-meeting-close", [meeting.public_id], {"version": current}).status_code == 200
    again = _post(tm, "api-meeting-close", [meeting.public_id], {"version": current})
    assert again.status_code == 409
    attend = _post(tm, "api-meeting-attendance", [meeting.public_id], {"agency": "PPU", "name": "Late"})
    assert attend.status_code == 409
    assert Attendance.objects.filter(meeting=meeting).count() == 1


def test_an_amendment_is_for_a_closed_meeting_only(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case, police: Agency
) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    client = sign_in(crew["ds"])
    early = _post(client, "api-meeting-amendments", [meeting.public_id], {"text": "Too soon."})
    assert early.status_code == 409
    _ready_to_close(meeting, item, crew, police)
    meeting_close(meeting=meeting, by=crew["tm"])
    blank = _post(client, "api-meeting-amendments", [meeting.public_id], {"text": ""})
    assert blank.status_code == 400 and "text" in blank.json()
    wrong = _post(client, "api-meeting-amendments", [meeting.public_id], {"text": "Fix.", "item": str(STALE)})
    assert wrong.status_code == 400 and "item" in wrong.json()
    refused = _post(sign_in(crew["practitioner"]), "api-meeting-amendments", [meeting.public_id], {"text": "Fix."})
    assert refused.status_code == 403
    assert not Amendment.objects.exists()
    client = sign_in(crew["ds"])
    whole = _post(client, "api-meeting-amendments", [meeting.public_id], {"text": "Add the apologies."})
    assert whole.status_code == 201 and whole.json()["item"] is None
    meeting.refresh_from_db()
    assert meeting.minutes_wanted == 2


# Actions ------------------------------------------------------------------------------------------------------------


def test_the_owner_sees_and_completes_their_action(sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    action = action_add(
        item=item,
        by=crew["tm"],
        description="Visit the school",
        owner=crew["practitioner"],
        due_on=timezone.localdate() + timedelta(days=5),
    )
    owner = sign_in(crew["practitioner"])
    [mine] = owner.get(reverse("api-meeting-my-actions")).json()
    assert mine["id"] == str(action.public_id) and mine["child"]["id"] == str(ra_case.child.public_id)
    assert mine["meeting"] == str(meeting.public_id) and mine["item"] == str(item.public_id)
    assert sign_in(crew["nurse"]).get(reverse("api-meeting-my-actions")).json() == []

    assert _post(sign_in(crew["nurse"]), "api-meeting-action-done", [action.public_id]).status_code == 403
    assert _post(sign_in(crew["governance"]), "api-meeting-action-done", [action.public_id]).status_code == 404
    action.refresh_from_db()
    assert action.done_at is None

    owner = sign_in(crew["practitioner"])
    done = _post(owner, "api-meeting-action-done", [action.public_id])
    assert done.status_code == 200 and done.json()["done_at"]
    assert _post(owner, "api-meeting-action-done", [action.public_id]).status_code == 409
    assert owner.get(reverse("api-meeting-my-actions")).json() == []


def test_an_action_needs_an_owner_and_a_due_date_after_the_meeting(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case
) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    client = sign_in(crew["tm"])
    args = [meeting.public_id, item.public_id]
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    nobody = _post(client, "api-meeting-item-actions", args, {"description": "Visit", "owner": "ghost", "due_on": due})
    assert nobody.status_code == 400 and "owner" in nobody.json()
    outsider = _post(
        client, "api-meeting-item-actions", args, {"description": "Visit", "owner": "teacher", "due_on": due}
    )
    assert outsider.status_code == 400 and "owner" in outsider.json()
    early = (timezone.localdate() - timedelta(days=5)).isoformat()
    before = _post(
        client, "api-meeting-item-actions", args, {"description": "Visit", "owner": "nurse", "due_on": early}
    )
    assert before.status_code == 400 and "due_on" in before.json()
    role = _post(client, "api-meeting-item-allocations", args, {"user": "teacher", "role": "cse_nurse"})
    assert role.status_code == 400 and "user" in role.json()
    assert not Action.objects.exists() and not RoleAllocation.objects.exists()


# Strategy discussions and CIN meetings ------------------------------------------------------------------------------


def test_a_strategy_discussion_is_recorded_for_the_decision_that_called_it(
    sign_in: SignIn, crew: Crew, new_case: Callable[..., Case]
) -> None:
    case = new_case(DecisionKind.STRATEGY_DISCUSSION)
    decision = Decision.objects.get(case=case)
    body = {"decision": str(decision.public_id), "kind": "strategy_discussion", "starts_at": _tomorrow()}
    assert _post(sign_in(crew["practitioner"]), "api-meeting-for-decision", [], body).status_code == 403
    assert _post(sign_in(crew["governance"]), "api-meeting-for-decision", [], body).status_code == 404
    assert _post(sign_in(crew["ds"]), "api-meeting-for-decision", [], {**body, "kind": "weekly"}).status_code == 400
    assert not Meeting.objects.exists()

    response = _post(sign_in(crew["ds"]), "api-meeting-for-decision", [], body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["kind"], created["chair"], created["decision"]) == (
        MeetingKind.STRATEGY_DISCUSSION,
        "ds",
        str(decision.public_id),
    )
    [section] = created["sections"]
    assert [i["child"]["id"] for i in section["items"]] == [str(case.child.public_id)]


# Cost and schema ----------------------------------------------------------------------------------------------------


def _queries(client: Client, meeting: Meeting) -> int:
    with CaptureQueriesContext(connection) as context:
        assert _detail(client, meeting).status_code == 200
    return len(context.captured_queries)


def test_the_meeting_detail_costs_the_same_for_one_child_or_three(
    sign_in: SignIn,
    crew: Crew,
    weekly: Weekly,
    ra_case: Case,
    assess: Assess,
    police: Agency,
    new_case: Callable[..., Case],
) -> None:
    def fill(meeting: Meeting) -> None:
        attendance_add(meeting=meeting, by=crew["tm"], agency=police, name="DS Example")
        for item in AgendaItem.objects.filter(meeting=meeting).select_related("meeting"):
            assess(item.child, crew["practitioner"])
            item = item_record(
                item=item,
                by=crew["tm"],
                based_on_version=None,
                discussion="Talked.",
                disagreement="Differ.",
                escalate_to=police,
            )
            action_add(
                item=item,
                by=crew["tm"],
                description="Visit",
                owner=crew["nurse"],
                due_on=timezone.localdate() + timedelta(days=30),
            )

    one = weekly()
    fill(one)
    client = sign_in(crew["tm"])
    alone = _queries(client, one)
    new_case()
    new_case()
    three = weekly(days=8)
    fill(three)
    assert len([i for s in _detail(client, three).json()["sections"] for i in s["items"]]) == 3
    assert _queries(client, three) == alone


def test_the_meeting_list_and_my_actions_cost_the_same_for_one_meeting_or_three(
    sign_in: SignIn, crew: Crew, weekly: Weekly, ra_case: Case
) -> None:
    def meeting_with_an_action(days: int) -> None:
        meeting = weekly(days=days)
        for item in AgendaItem.objects.filter(meeting=meeting).select_related("meeting"):
            action_add(
                item=item,
                by=crew["tm"],
                description="Visit",
                owner=crew["tm"],
                due_on=timezone.localdate() + timedelta(days=30),
            )

    def cost(client: Client, name: str) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse(name)).status_code == 200
        return len(context.captured_queries)

    meeting_with_an_action(1)
    client = sign_in(crew["tm"])
    meetings, actions = cost(client, "api-meeting-list"), cost(client, "api-meeting-my-actions")
    meeting_with_an_action(8)
    meeting_with_an_action(15)
    assert len(client.get(reverse("api-meeting-list")).json()["upcoming"]) == 3
    assert len(client.get(reverse("api-meeting-my-actions")).json()) == 3
    assert (cost(client, "api-meeting-list"), cost(client, "api-meeting-my-actions")) == (meetings, actions)


def test_the_meeting_endpoints_are_in_the_openapi_schema(sign_in: SignIn, crew: Crew) -> None:
    schema = sign_in(crew["tm"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/meetings/",
        "/api/meetings/for-decision/",
        "/api/meetings/actions/",
        "/api/meetings/actions/{public_id}/done/",
        "/api/meetings/{public_id}/",
        "/api/meetings/{public_id}/agenda/",
        "/api/meetings/{public_id}/agenda/refresh/",
        "/api/meetings/{public_id}/attendance/",
        "/api/meetings/{public_id}/attendance/remove/",
        "/api/meetings/{public_id}/close/",
        "/api/meetings/{public_id}/amendments/",
        "/api/meetings/{public_id}/minutes/",
        "/api/meetings/{public_id}/items/{item_id}/",
        "/api/meetings/{public_id}/items/{item_id}/actions/",
        "/api/meetings/{public_id}/items/{item_id}/allocations/",
        "/api/meetings/{public_id}/items/{item_id}/escalation/",
    ):
        assert path in schema["paths"], path
    record = schema["paths"]["/api/meetings/{public_id}/items/{item_id}/"]["patch"]
    assert {"200", "400", "403", "404", "409"} <= set(record["responses"])
    assert (
        "application/pdf" in schema["paths"]["/api/meetings/{public_id}/minutes/"]["get"]["responses"]["200"]["content"]
    )
    assert schema["components"]["schemas"]["MeetingKindEnum"]["enum"] == list(MeetingKind.values)
    assert all("{pk}" not in path and "{id}" not in path for path in schema["paths"]), "public UUIDs only"
