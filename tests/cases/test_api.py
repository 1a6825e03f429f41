"""The Evolve API: the daily review and the child's case, with the same roles, refusals and access log as the pages,
in the OpenAPI schema."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evolve.access.models import InformationShare
from evolve.accounts.models import User
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.cases.models import AgencyCheck, Allocation, Case, CaseNote, Decision, DecisionKind, DecisionView
from evolve.cases.services import allocation_add, allocation_end
from referrals.models import Referral
from referrals.states import State

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
STALE = uuid.UUID("00000000-0000-0000-0000-00000000dead")


def _post(client: Client, name: str, args: list[Any], body: dict[str, Any]) -> Any:
    return client.post(reverse(name, args=args), body, content_type="application/json")


def _decide(client: Client, referral: Referral, kind: str = DecisionKind.RISK_ASSESSMENT_MEETING, **body: Any) -> Any:
    return _post(
        client, "api-review-decision", [referral.public_id], {"kind": kind, "rationale": "Seen at review.", **body}
    )


def _notes(client: Client, case: Case, search: str = "") -> list[str]:
    response = client.get(reverse("api-case-notes", args=[case.public_id]), {"search": search} if search else {})
    assert response.status_code == 200
    return [note["text"] for note in response.json()["results"]]


def _case_ids(client: Client) -> list[str]:
    response = client.get(reverse("api-case-list"))
    assert response.status_code == 200
    return [case["id"] for case in response.json()["results"]]


# The daily review ---------------------------------------------------------------------------------------------------


def test_the_team_manager_and_the_detective_sergeant_agree_a_decision_and_the_case_opens(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral
) -> None:
    first = _decide(sign_in(crew["tm"]), waiting)
    assert first.status_code == 201
    assert first.json() == {"agreed": False, "disagreed": False, "decision": None}, "made when the DS agrees"

    second = _decide(sign_in(crew["ds"]), waiting, rationale="Police intelligence supports it.")
    assert second.status_code == 201
    body = second.json()
    assert body["agreed"] is True and body["disagreed"] is False
    assert body["decision"]["kind"] == "risk_assessment_meeting"
    case = Case.objects.get(child=waiting.child)
    assert body["decision"]["case"] == str(case.public_id)
    assert "Police intelligence supports it." in body["decision"]["rationale"]

    today = timezone.localdate()
    ended = allocation_add(case=case, by=crew["tm"], user=crew["nurse"], role="cse_nurse", start_on=today)
    allocation_end(allocation=ended, by=crew["tm"], end_on=today)
    allocation_add(case=case, by=crew["tm"], user=crew["officer"], role="police_investigation", start_on=today)
    client = sign_in(crew["tm"])
    queue = client.get(reverse("api-review-queue")).json()
    assert queue["waiting"] == [], "a decided referral leaves the queue"
    awaiting = client.get(reverse("api-awaiting-meeting")).json()
    assert [row["id"] for row in awaiting] == [str(case.public_id)]
    assert awaiting[0]["awaiting_ra_meeting_since"] is not None
    assert [a["user"]["username"] for a in awaiting[0]["allocations"]] == ["officer"], "current allocations only"

    again = _decide(client, waiting, DecisionKind.URGENT_CIN)
    assert again.status_code == 409
    assert "decided" in again.json()["detail"]
    assert Decision.objects.get(referral=waiting).kind == DecisionKind.RISK_ASSESSMENT_MEETING


def test_different_views_are_shown_as_a_disagreement_and_nothing_is_decided(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral
) -> None:
    _decide(sign_in(crew["tm"]), waiting, DecisionKind.STRATEGY_DISCUSSION)
    differ = _decide(sign_in(crew["ds"]), waiting, DecisionKind.URGENT_CIN)
    assert differ.status_code == 201
    assert differ.json() == {"agreed": False, "disagreed": True, "decision": None}

    row = sign_in(crew["practitioner"]).get(reverse("api-review-queue")).json()["waiting"][0]
    assert row["disagreed"] is True and row["escalation_open"] is False
    assert row["team_manager_view"]["kind"] == "strategy_discussion"
    assert row["detective_sergeant_view"]["kind"] == "urgent_cin"
    assert row["detective_sergeant_view"]["by"]["username"] == "ds"
    assert not Decision.objects.filter(referral=waiting).exists()


@pytest.mark.parametrize(
    "who", ["practitioner", "officer", "case_holder", "csm", "di", "head_of_service", "governance", "teacher"]
)
def test_only_the_team_manager_and_the_detective_sergeant_record_the_decision(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, who: str
) -> None:
    response = _decide(sign_in(crew[who]), waiting)
    assert response.status_code == 403
    assert response.json()["detail"]
    waiting.refresh_from_db()
    assert waiting.state == State.CO_ALLOCATED
    assert not DecisionView.objects.filter(referral=waiting).exists()


def test_a_decision_with_bad_input_is_a_400_and_records_nothing(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral
) -> None:
    client = sign_in(crew["tm"])
    no_kind = _decide(client, waiting, "purple")
    assert no_kind.status_code == 400 and "kind" in no_kind.json()
    no_reasons = _decide(client, waiting, rationale="  ")
    assert no_reasons.status_code == 400
    assert no_reasons.json()["rationale"] == ["Give the reasons for the decision"]
    no_advice = _decide(client, waiting, DecisionKind.EARLY_HELP_ADVICE)
    assert no_advice.status_code == 400 and "letter" in no_advice.json()["advice"][0]
    assert not DecisionView.objects.filter(referral=waiting).exists()


def test_the_review_queue_shows_the_team_what_it_needs_to_decide(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral
) -> None:
    asked = _post(
        sign_in(crew["tm"]),
        "api-review-checks",
        [waiting.public_id],
        {"agency_owner": "nurse", "due_hours": 24, "question": "Any sexual health contact?"},
    )
    assert asked.status_code == 201

    response = sign_in(crew["practitioner"]).get(reverse("api-review-queue"))
    assert response.status_code == 200, "every member of the team sees the daily review"
    [row] = response.json()["waiting"]
    assert row["referral"] == str(waiting.public_id)
    assert row["child"]["name"] == "Maisie Fenwick"
    assert row["child"]["id"] == str(waiting.child.public_id)  # type: ignore[union-attr]
    assert (row["urgency"], row["rag_1"], row["rag_2"], row["consent"]) == ("routine", "amber", "red", "given")
    assert {deadline["kind"] for deadline in row["deadlines"]} >= {"rag_response"}
    assert all({"due_at", "label", "breached"} <= set(deadline) for deadline in row["deadlines"])
    [check] = row["checks"]
    assert check["agency"] == "Trust" and check["owner"]["username"] == "nurse" and check["answered"] is False
    assert row["team_manager_view"] is None and row["detective_sergeant_view"] is None
    assert row["referrals_held"] == 1 and row["case"] is None
    assert "id" not in row and "pk" not in row, "public UUIDs only"
    assert AccessLogEntry.objects.filter(
        user=crew["practitioner"], child=waiting.child, action=AccessAction.LISTED, what="daily review queue"
    ).exists()


@pytest.mark.parametrize("who", ["case_holder", "csm", "governance", "teacher", "other_case_holder"])
def test_the_daily_review_is_the_teams_only(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, who: str
) -> None:
    client = sign_in(crew[who])
    assert client.get(reverse("api-review-queue")).status_code == 403
    assert client.get(reverse("api-awaiting-meeting")).status_code == 403


def test_a_strategy_discussion_decided_is_due_in_the_queue(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    case = decide(waiting, DecisionKind.STRATEGY_DISCUSSION)
    queue = sign_in(crew["ds"]).get(reverse("api-review-queue")).json()
    assert queue["waiting"] == []
    [due] = queue["strategy_due"]
    assert due["case"] == str(case.public_id)
    assert due["decision"] == str(Decision.objects.get(referral=waiting).public_id)
    assert due["label"].endswith("left") and due["breached"] is False


def test_an_agency_is_asked_to_check_and_answers(sign_in: SignIn, crew: dict[str, User], waiting: Referral) -> None:
    asked = _post(
        sign_in(crew["tm"]), "api-review-checks", [waiting.public_id], {"agency_owner": "nurse", "due_hours": 4}
    )
    assert asked.status_code == 201
    check_id = asked.json()["id"]

    assert (
        _post(sign_in(crew["officer"]), "api-check-answer", [check_id], {"holds_information": False}).status_code == 403
    )
    assert (
        _post(sign_in(crew["governance"]), "api-check-answer", [check_id], {"holds_information": False}).status_code
        == 404
    )

    client = sign_in(crew["nurse"])
    unsaid = _post(client, "api-check-answer", [check_id], {"holds_information": True, "answer": ""})
    assert unsaid.status_code == 400 and unsaid.json()["answer"] == ["Say what your agency holds"]
    answered = _post(client, "api-check-answer", [check_id], {"holds_information": True, "answer": "Seen at clinic."})
    assert answered.status_code == 200
    assert answered.json()["answered"] is True and answered.json()["answer"] == "Seen at clinic."
    twice = _post(client, "api-check-answer", [check_id], {"holds_information": False})
    assert twice.status_code == 409 and "already been answered" in twice.json()["detail"]
    assert AgencyCheck.objects.get(public_id=check_id).answer == "Seen at clinic."

    row = sign_in(crew["tm"]).get(reverse("api-review-queue")).json()["waiting"][0]
    assert row["checks"][0]["answered"] is True and row["checks"][0]["holds_information"] is True


def test_asking_an_agency_is_for_the_team_manager_and_detective_sergeant_and_bad_input_changes_nothing(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral
) -> None:
    body = {"agency_owner": "nurse", "due_hours": 24}
    assert _post(sign_in(crew["practitioner"]), "api-review-checks", [waiting.public_id], body).status_code == 403
    assert _post(sign_in(crew["csm"]), "api-review-checks", [waiting.public_id], body).status_code == 403

    client = sign_in(crew["ds"])
    nobody = _post(client, "api-review-checks", [waiting.public_id], {"agency_owner": "nobody", "due_hours": 24})
    assert nobody.status_code == 400 and "agency_owner" in nobody.json()
    board = _post(client, "api-review-checks", [waiting.public_id], {"agency_owner": "governance", "due_hours": 24})
    assert board.status_code == 400 and "agency_owner" in board.json()
    never = _post(client, "api-review-checks", [waiting.public_id], {"agency_owner": "nurse", "due_hours": 0})
    assert never.status_code == 400 and "due_hours" in never.json()
    assert not AgencyCheck.objects.filter(referral=waiting).exists()

    assert _post(client, "api-review-checks", [waiting.public_id], body).status_code == 201
    same_agency = _post(
        client, "api-review-checks", [waiting.public_id], {"agency_owner": "clinical-manager", "due_hours": 24}
    )
    assert same_agency.status_code == 400 and "already been asked" in same_agency.json()["agency"][0]
    assert AgencyCheck.objects.filter(referral=waiting).count() == 1


# The child's case ---------------------------------------------------------------------------------------------------


def test_a_restricted_note_is_hidden_until_its_agency_shares_it_and_every_read_is_logged(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    case = decide(waiting)
    written = _post(sign_in(crew["tm"]), "api-case-notes", [case.public_id], {"text": "Met Maisie at school."})
    assert written.status_code == 201 and written.json()["restricted_to"] is None
    clinical = _post(
        sign_in(crew["nurse"]),
        "api-case-notes",
        [case.public_id],
        {"text": "Clinical: STI screen booked.", "restricted": True},
    )
    assert clinical.status_code == 201
    assert clinical.json()["restricted_to"] == "Trust" and clinical.json()["may_share"] is True
    open_note = CaseNote.objects.get(public_id=written.json()["id"])
    restricted = CaseNote.objects.get(public_id=clinical.json()["id"])

    officer = sign_in(crew["officer"])
    assert _notes(officer, case) == ["Met Maisie at school."]
    assert _notes(officer, case, search="STI") == []
    refused = _post(
        officer,
        "api-case-note-share",
        [case.public_id, restricted.public_id],
        {"to_username": "officer", "lawful_basis": "safeguarding", "consent": "given"},
    )
    assert refused.status_code == 404, "a note the officer may not see is not there to share"
    read = AccessLogEntry.objects.filter(user=crew["officer"], child=case.child, action=AccessAction.VIEWED)
    assert set(read.values_list("what", flat=True)) == {
        f"case {case.pk}; notes [{open_note.pk}]",
        f"case {case.pk}; notes []",
    }

    shared = _post(
        sign_in(crew["nurse"]),
        "api-case-note-share",
        [case.public_id, restricted.public_id],
        {
            "to_username": "officer",
            "lawful_basis": "safeguarding",
            "consent": "not_sought",
            "reason_without_consent": "Risk of significant harm.",
        },
    )
    assert shared.status_code == 201
    assert shared.json()["to_user"] == "officer" and shared.json()["lawful_basis"] == "safeguarding"

    officer = sign_in(crew["officer"])
    assert _notes(officer, case) == ["Clinical: STI screen booked.", "Met Maisie at school."]
    assert _notes(officer, case, search="STI") == ["Clinical: STI screen booked."]
    after = f"case {case.pk}; notes [{restricted.pk},{open_note.pk}]"
    assert AccessLogEntry.objects.filter(
        user=crew["officer"], child=case.child, action=AccessAction.VIEWED, what=after
    ).exists()
    assert AccessLogEntry.objects.filter(
        user=crew["officer"], child=case.child, what=f"case {case.pk}; notes [{restricted.pk}]"
    ).exists(), "the search is logged with the note it showed"
    assert _notes(sign_in(crew["ds"]), case) == ["Met Maisie at school."], "shared with the officer, not all police"


def test_a_note_shared_with_an_agency_reaches_its_team_members(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    case = decide(waiting)
    nurse = sign_in(crew["nurse"])
    note_id = _post(nurse, "api-case-notes", [case.public_id], {"text": "Clinical.", "restricted": True}).json()["id"]
    url_args = [case.public_id, note_id]
    share = {"lawful_basis": "safeguarding", "consent": "given"}

    both = _post(nurse, "api-case-note-share", url_args, {**share, "to_username": "officer", "to_agency": "PPU"})
    assert both.status_code == 400 and "to" in both.json()
    unknown = _post(nurse, "api-case-note-share", url_args, {**share, "to_agency": "Nowhere"})
    assert unknown.status_code == 400 and "to_agency" in unknown.json()
    no_reason = _post(nurse, "api-case-note-share", url_args, {**share, "to_agency": "PPU", "consent": "refused"})
    assert no_reason.status_code == 400
    assert no_reason.json()["reason_without_consent"] == ["Give the reason for sharing without consent"]
    assert not InformationShare.objects.filter(source_type="case_note").exists()
    assert _notes(sign_in(crew["ds"]), case) == []

    assert _post(sign_in(crew["tm"]), "api-case-note-share", url_args, {**share, "to_agency": "PPU"}).status_code == 404
    done = _post(sign_in(crew["nurse"]), "api-case-note-share", url_args, {**share, "to_agency": "PPU"})
    assert done.status_code == 201 and done.json()["to_agency"] == "PPU"
    assert _notes(sign_in(crew["ds"]), case) == ["Clinical."]


def test_who_writes_case_notes(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    case = decide(waiting)
    assert (
        _post(sign_in(crew["practitioner"]), "api-case-notes", [case.public_id], {"text": "Visit."}).status_code == 201
    )
    assert _post(sign_in(crew["governance"]), "api-case-notes", [case.public_id], {"text": "x"}).status_code == 404
    assert _post(sign_in(crew["teacher"]), "api-case-notes", [case.public_id], {"text": "x"}).status_code == 404
    empty = _post(sign_in(crew["tm"]), "api-case-notes", [case.public_id], {"text": "   "})
    assert empty.status_code == 400 and empty.json()["text"] == ["Write the note"]
    assert list(CaseNote.objects.filter(case=case).values_list("text", flat=True)) == ["Visit."]


def test_a_case_holder_outside_the_team_sees_only_the_cases_they_work_on(
    sign_in: SignIn,
    crew: dict[str, User],
    waiting: Referral,
    decide: Callable[..., Case],
    at_stage: Callable[[str], Referral],
) -> None:
    mine = decide(waiting)
    other = decide(at_stage("co_allocated"))
    tm = sign_in(crew["tm"])
    assert sorted(_case_ids(tm)) == sorted([str(mine.public_id), str(other.public_id)])
    allocated = _post(
        tm,
        "api-case-allocations",
        [mine.public_id],
        {"username": "case-holder", "role": "social_work_lead", "start_on": timezone.localdate().isoformat()},
    )
    assert allocated.status_code == 201
    assert allocated.json()["user"]["username"] == "case-holder" and allocated.json()["end_on"] is None

    holder = sign_in(crew["case_holder"])
    assert _case_ids(holder) == [str(mine.public_id)]
    assert holder.get(reverse("api-case-detail", args=[other.public_id])).status_code == 404
    assert holder.get(reverse("api-case-notes", args=[other.public_id])).status_code == 404
    detail = holder.get(reverse("api-case-detail", args=[mine.public_id]))
    assert detail.status_code == 200
    body = detail.json()
    assert body["child"] == {"id": str(mine.child.public_id), "name": "Maisie Fenwick", "date_of_birth": "2011-06-02"}
    assert body["status"] == "open" and body["version"] == mine.version + 1
    assert [(a["user"]["username"], a["role"]) for a in body["allocations"]] == [("case-holder", "social_work_lead")]
    assert body["awaiting_ra_meeting_since"] is not None
    assert AccessLogEntry.objects.filter(
        user=crew["case_holder"], child=mine.child, action=AccessAction.VIEWED, what=f"case {mine.pk} (API)"
    ).exists()
    assert not AccessLogEntry.objects.filter(user=crew["case_holder"], child=other.child).exists()
    note = _post(holder, "api-case-notes", [mine.public_id], {"text": "x"})
    assert note.status_code == 403, "allocated is not holding the case: only the case holder writes on it"


@pytest.mark.parametrize("who", ["governance", "csm", "teacher", "other_case_holder", "other_team_member"])
def test_people_with_no_part_in_the_case_see_nothing_of_it(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case], who: str
) -> None:
    case = decide(waiting)
    client = sign_in(crew[who])
    if who == "governance":  # aggregates only: the list itself is refused
        assert client.get(reverse("api-case-list")).status_code == 403
    else:
        assert _case_ids(client) == []
    assert client.get(reverse("api-case-detail", args=[case.public_id])).status_code == 404
    assert client.get(reverse("api-case-notes", args=[case.public_id])).status_code == 404
    assert not AccessLogEntry.objects.filter(user=crew[who], child=case.child).exists()


def test_allocation_is_for_the_team_manager_and_detective_sergeant_and_bad_input_changes_nothing(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    case = decide(waiting)
    today = timezone.localdate()
    body = {"username": "nurse", "role": "cse_nurse", "start_on": today.isoformat()}
    assert _post(sign_in(crew["practitioner"]), "api-case-allocations", [case.public_id], body).status_code == 403
    assert _post(sign_in(crew["governance"]), "api-case-allocations", [case.public_id], body).status_code == 404

    ds = sign_in(crew["ds"])
    board = _post(ds, "api-case-allocations", [case.public_id], {**body, "username": "governance"})
    assert board.status_code == 400 and "username" in board.json()
    teacher = _post(ds, "api-case-allocations", [case.public_id], {**body, "username": "teacher"})
    assert teacher.status_code == 400, "a referrer is not allocated to the child's case"
    bad_role = _post(ds, "api-case-allocations", [case.public_id], {**body, "role": "chief"})
    assert bad_role.status_code == 400 and "role" in bad_role.json()
    future = _post(
        ds, "api-case-allocations", [case.public_id], {**body, "start_on": (today + timedelta(days=3)).isoformat()}
    )
    assert future.status_code == 400 and future.json()["start_on"] == ["The start date cannot be in the future"]
    assert not Allocation.objects.filter(case=case).exists()

    assert _post(ds, "api-case-allocations", [case.public_id], body).status_code == 201
    twice = _post(ds, "api-case-allocations", [case.public_id], body)
    assert twice.status_code == 400 and "already holds that role" in twice.json()["user"][0]
    assert Allocation.objects.filter(case=case).count() == 1


def test_stale_or_unknown_ids_are_a_404(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    case = decide(waiting)
    tm = sign_in(crew["tm"])
    assert tm.get(reverse("api-case-detail", args=[STALE])).status_code == 404
    assert tm.get(reverse("api-case-notes", args=[STALE])).status_code == 404
    assert _post(tm, "api-case-notes", [STALE], {"text": "x"}).status_code == 404
    assert _decide(tm, Referral(public_id=STALE)).status_code == 404
    assert _post(tm, "api-review-checks", [STALE], {"agency_owner": "nurse", "due_hours": 4}).status_code == 404
    assert _post(tm, "api-check-answer", [STALE], {"holds_information": False}).status_code == 404
    body = {"username": "nurse", "role": "cse_nurse", "start_on": timezone.localdate().isoformat()}
    assert _post(tm, "api-case-allocations", [STALE], body).status_code == 404
    share = {"to_agency": "PPU", "lawful_basis": "safeguarding", "consent": "given"}
    assert _post(tm, "api-case-note-share", [case.public_id, STALE], share).status_code == 404
    assert _post(tm, "api-case-note-share", [STALE, STALE], share).status_code == 404
    missing = tm.get(reverse("api-case-detail", args=[STALE])).json()
    assert missing["detail"] == "No such record, or not one you may see."
    assert "/cases/" in reverse("api-case-detail", args=[STALE])


def test_a_stranger_is_refused_every_case_endpoint(client: Client, crew: dict[str, User], waiting: Referral) -> None:
    assert client.get(reverse("api-case-list")).status_code in (302, 401, 403)
    assert client.get(reverse("api-review-queue")).status_code in (302, 401, 403)
    assert _decide(client, waiting).status_code in (302, 401, 403)
    assert not DecisionView.objects.filter(referral=waiting).exists()


def test_the_case_endpoints_are_in_the_openapi_schema(sign_in: SignIn, crew: dict[str, User]) -> None:
    schema = sign_in(crew["tm"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/cases/",
        "/api/cases/review/",
        "/api/cases/review/{public_id}/decision/",
        "/api/cases/review/{public_id}/checks/",
        "/api/cases/checks/{public_id}/answer/",
        "/api/cases/awaiting-meeting/",
        "/api/cases/{public_id}/",
        "/api/cases/{public_id}/notes/",
        "/api/cases/{public_id}/notes/{note_id}/share/",
        "/api/cases/{public_id}/allocations/",
    ):
        assert path in schema["paths"], path
    decision = schema["paths"]["/api/cases/review/{public_id}/decision/"]["post"]
    assert {"201", "400", "403", "404", "409"} <= set(decision["responses"])
    assert schema["components"]["schemas"]["DecisionKindEnum"]["enum"] == list(DecisionKind.values)
