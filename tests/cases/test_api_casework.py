"""The Evolve API does everything the pages do: escalating a disagreement and deciding it, managing the child's case
(the case holder, the key individual, the review date, closing and re-opening, ending allocations), the child's own
words, the strategy discussion, the sharing ledger and caseloads. The same roles, refusals and access log as the
pages; in the OpenAPI schema, which builds without a warning."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS, reset_generator_stats

from evolve.accounts.models import Agency, User
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.cases.models import (
    AgencyCheck,
    AllocationRole,
    Case,
    CaseStatusChange,
    ChildWords,
    Decision,
    DecisionKind,
    Escalation,
)
from evolve.cases.services import (
    agency_check_request,
    allocation_add,
    case_close,
    case_holder_set,
    decision_escalate,
    decision_view_record,
)
from evolve.chronology.models import ChronologyEntry
from referrals.models import Referral
from referrals.states import State

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
STALE = uuid.UUID("00000000-0000-0000-0000-00000000dead")


@pytest.fixture
def case(waiting: Referral, decide: Callable[..., Case]) -> Case:
    return decide(waiting, DecisionKind.RISK_ASSESSMENT_MEETING)


def _post(client: Client, name: str, args: list[Any], body: dict[str, Any]) -> Any:
    return client.post(reverse(name, args=args), body, content_type="application/json")


def _detail(client: Client, case: Case) -> dict[str, Any]:
    response = client.get(reverse("api-case-detail", args=[case.public_id]))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _case_ids(client: Client) -> list[str]:
    response = client.get(reverse("api-case-list"))
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def _fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def _days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def _disagree(crew: dict[str, User], referral: Referral) -> None:
    decision_view_record(
        referral=referral, by=crew["tm"], kind=DecisionKind.STRATEGY_DISCUSSION, rationale="Police need an ISD."
    )
    decision_view_record(referral=referral, by=crew["ds"], kind=DecisionKind.URGENT_CIN, rationale="CIN first.")


# Escalations --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("resolver", ["di", "csm"])
def test_a_disagreement_is_escalated_and_a_service_manager_of_either_agency_decides_it(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, resolver: str
) -> None:
    _disagree(crew, waiting)
    tm = sign_in(crew["tm"])
    raised = _post(tm, "api-review-escalate", [waiting.public_id], {"note": "We differ on whether police need an ISD."})
    assert raised.status_code == 201
    body = raised.json()
    assert body["note"] == "We differ on whether police need an ISD."
    assert body["referral"] == str(waiting.public_id)
    assert body["child"]["name"] == "Maisie Fenwick"
    assert body["raised_by"]["username"] == "tm"
    assert [(view["seat"], view["kind"], view["by"]["username"]) for view in body["views"]] == [
        ("team_manager", "strategy_discussion", "tm"),
        ("detective_sergeant", "urgent_cin", "ds"),
    ]
    assert body["decision"] is None and body["resolved_at"] is None and body["may_resolve"] is False
    row = tm.get(reverse("api-review-queue")).json()["waiting"][0]
    assert row["escalation_open"] is True

    manager = sign_in(crew[resolver])
    listed = manager.get(reverse("api-escalation-list"))
    assert listed.status_code == 200
    assert [(e["id"], e["raised_by"]["username"]) for e in listed.json()] == [(body["id"], "tm")]
    detail = manager.get(reverse("api-escalation-detail", args=[body["id"]]))
    assert detail.status_code == 200
    assert detail.json()["may_resolve"] is True and detail.json()["child"]["name"] == "Maisie Fenwick"
    escalation = Escalation.objects.get(public_id=body["id"])
    assert AccessLogEntry.objects.filter(
        user=crew[resolver], child=waiting.child, action=AccessAction.VIEWED, what=f"escalation {escalation.pk}"
    ).exists()

    decided = _post(
        manager, "api-escalation-detail", [body["id"]], {"kind": "strategy_discussion", "rationale": "Hold an ISD."}
    )
    assert decided.status_code == 201
    assert decided.json()["kind"] == "strategy_discussion"
    assert decided.json()["case"] == str(Case.objects.get(child=waiting.child).public_id)
    assert manager.get(reverse("api-escalation-list")).json() == [], "a decided escalation leaves the list"
    after = manager.get(reverse("api-escalation-detail", args=[body["id"]])).json()
    assert after["resolved_by"]["username"] == crew[resolver].username and after["resolved_at"] is not None
    assert after["decision"]["kind"] == "strategy_discussion" and after["may_resolve"] is False

    again = _post(manager, "api-escalation-detail", [body["id"]], {"kind": "urgent_cin", "rationale": "Changed."})
    assert again.status_code == 409 and "already been resolved" in again.json()["detail"]
    assert Decision.objects.get(referral=waiting).kind == DecisionKind.STRATEGY_DISCUSSION
    queue = sign_in(crew["ds"]).get(reverse("api-review-queue")).json()
    assert queue["waiting"] == [] and len(queue["strategy_due"]) == 1


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("practitioner", 403),
        ("tm", 403),
        ("ds", 403),
        ("health_manager", 404),
        ("head_of_service", 404),
        ("case_holder", 404),
        ("governance", 404),
    ],
)
def test_only_a_service_manager_of_the_agencies_involved_decides_an_escalation(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, who: str, code: int
) -> None:
    _disagree(crew, waiting)
    escalation = decision_escalate(referral=waiting, by=crew["tm"], note="We differ.")
    client = sign_in(crew[who])

    response = _post(
        client, "api-escalation-detail", [escalation.public_id], {"kind": "urgent_cin", "rationale": "My call."}
    )

    assert response.status_code == code and response.json()["detail"]
    if code == 404:
        assert client.get(reverse("api-escalation-detail", args=[escalation.public_id])).status_code == 404
        listed = client.get(reverse("api-escalation-list"))
        assert listed.json() == [] if listed.status_code == 200 else listed.status_code == 403  # governance: refused
    escalation.refresh_from_db()
    assert escalation.resolved_at is None
    assert not Decision.objects.filter(referral=waiting).exists()
    waiting.refresh_from_db()
    assert waiting.state == State.CO_ALLOCATED


def test_deciding_an_escalation_with_bad_input_is_a_400_and_decides_nothing(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral
) -> None:
    _disagree(crew, waiting)
    escalation = decision_escalate(referral=waiting, by=crew["tm"], note="We differ.")
    di = sign_in(crew["di"])
    args = [escalation.public_id]

    no_kind = _post(di, "api-escalation-detail", args, {"kind": "purple", "rationale": "Because."})
    assert no_kind.status_code == 400 and "kind" in no_kind.json()
    no_reasons = _post(di, "api-escalation-detail", args, {"kind": "urgent_cin", "rationale": " "})
    assert no_reasons.status_code == 400
    assert no_reasons.json()["rationale"] == ["Give the reasons for your decision"]
    no_advice = _post(di, "api-escalation-detail", args, {"kind": "referrer_advice", "rationale": "Below threshold."})
    assert no_advice.status_code == 400 and "letter" in no_advice.json()["advice"][0]

    escalation.refresh_from_db()
    assert escalation.resolved_at is None
    assert not Decision.objects.filter(referral=waiting).exists()


def test_only_a_disagreement_is_escalated_and_only_by_the_team_manager_or_detective_sergeant(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral
) -> None:
    body = {"note": "We differ."}
    decision_view_record(referral=waiting, by=crew["tm"], kind=DecisionKind.URGENT_CIN, rationale="CIN.")
    alone = _post(sign_in(crew["tm"]), "api-review-escalate", [waiting.public_id], body)
    assert alone.status_code == 409 and "Only a disagreement" in alone.json()["detail"]
    assert not Escalation.objects.exists()

    decision_view_record(referral=waiting, by=crew["ds"], kind=DecisionKind.STRATEGY_DISCUSSION, rationale="ISD.")
    for who in ("practitioner", "officer", "case_holder", "di", "csm", "governance"):
        refused = _post(sign_in(crew[who]), "api-review-escalate", [waiting.public_id], body)
        assert refused.status_code == 403, who
    assert not Escalation.objects.exists()

    ds = sign_in(crew["ds"])
    unsaid = _post(ds, "api-review-escalate", [waiting.public_id], {"note": "  "})
    assert unsaid.status_code == 400
    assert unsaid.json()["note"] == ["Say what you disagree about, for the service manager"]
    assert not Escalation.objects.exists()

    assert _post(ds, "api-review-escalate", [waiting.public_id], body).status_code == 201
    twice = _post(sign_in(crew["tm"]), "api-review-escalate", [waiting.public_id], body)
    assert twice.status_code == 409 and "already been escalated" in twice.json()["detail"]
    assert Escalation.objects.count() == 1


# Managing the case --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("manager", ["tm", "ds"])
def test_the_team_manager_and_detective_sergeant_name_the_case_holder_and_the_key_individual(
    sign_in: SignIn, crew: dict[str, User], case: Case, manager: str
) -> None:
    assert _case_ids(sign_in(crew["case_holder"])) == []
    client = sign_in(crew[manager])
    version = _detail(client, case)["version"]

    named = _post(client, "api-case-holder", [case.public_id], {"username": "case-holder", "version": version})

    assert named.status_code == 200
    assert named.json()["case_holder"]["username"] == "case-holder"
    assert named.json()["version"] == version + 1
    assert _case_ids(sign_in(crew["case_holder"])) == [str(case.public_id)], "the case holder now sees the case"
    client = sign_in(crew[manager])
    again = _post(client, "api-case-holder", [case.public_id], {"username": "case-holder", "version": version + 1})
    assert again.status_code == 400 and "already holds the case" in again.json()["username"][0]

    nurse = _post(client, "api-case-key-individual", [case.public_id], {"username": "nurse", "version": version + 1})
    assert nurse.status_code == 200
    assert nurse.json()["key_individual"] == f"{crew['nurse'].display_name}, Trust"
    outside = _post(
        client,
        "api-case-key-individual",
        [case.public_id],
        {"name": "Jo Lee", "organisation": "Youth Justice Service", "version": version + 2},
    )
    assert outside.status_code == 200
    assert outside.json()["key_individual"] == "Jo Lee, Youth Justice Service"
    assert _detail(client, case)["key_individual"] == "Jo Lee, Youth Justice Service"


def test_the_review_date_is_set_and_the_case_is_closed_and_reopened(
    sign_in: SignIn, crew: dict[str, User], case: Case
) -> None:
    allocation_add(
        case=case, by=crew["tm"], user=crew["nurse"], role=AllocationRole.CSE_NURSE, start_on=timezone.localdate()
    )
    tm = sign_in(crew["tm"])
    version = _detail(tm, case)["version"]

    review = _post(tm, "api-case-review-date", [case.public_id], {"next_review_on": _days(14), "version": version})
    assert review.status_code == 200 and review.json()["next_review_on"] == _days(14)

    unsaid = _post(tm, "api-case-close", [case.public_id], {"reason": "", "version": review.json()["version"]})
    assert unsaid.status_code == 400 and unsaid.json()["reason"] == ["Give the reason for closing the case"]
    closed = _post(tm, "api-case-close", [case.public_id], {"reason": "Risk reduced.", "version": version + 1})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"] is not None
    assert closed.json()["allocations"] == [], "current allocations end when the case closes"
    assert _case_ids(tm) == [], "a closed case leaves the list of open cases"
    late = _post(tm, "api-case-notes", [case.public_id], {"text": "A late note."})
    assert late.status_code == 409
    twice = _post(tm, "api-case-close", [case.public_id], {"reason": "Again.", "version": closed.json()["version"]})
    assert twice.status_code == 409 and "closed" in twice.json()["detail"]

    ds = sign_in(crew["ds"])
    reopened = _post(
        ds, "api-case-reopen", [case.public_id], {"reason": "New concern from school.", "version": version + 2}
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert _case_ids(ds) == [str(case.public_id)]
    already = _post(ds, "api-case-reopen", [case.public_id], {"reason": "Again.", "version": version + 3})
    assert already.status_code == 409 and "already open" in already.json()["detail"]
    assert list(CaseStatusChange.objects.filter(case=case).values_list("change", "reason")) == [
        ("opened", "Daily review decision: Refer to the CSE Risk Assessment Meeting"),
        ("closed", "Risk reduced."),
        ("reopened", "New concern from school."),
    ]


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("api-case-holder", {"username": "case-holder"}),
        ("api-case-key-individual", {"name": "Jo Lee", "organisation": "Youth Justice Service"}),
        ("api-case-review-date", {"next_review_on": "in 14 days"}),
        ("api-case-close", {"reason": "Risk reduced."}),
        ("api-case-reopen", {"reason": "New concern."}),
    ],
)
def test_a_change_based_on_an_old_version_is_a_409_with_the_current_version_and_changes_nothing(
    sign_in: SignIn, crew: dict[str, User], case: Case, name: str, body: dict[str, Any]
) -> None:
    if name == "api-case-reopen":
        case_close(case=case, by=crew["ds"], based_on_version=_fresh(case).version, reason="Risk reduced.")
    if "next_review_on" in body:
        body = {**body, "next_review_on": _days(14)}
    tm = sign_in(crew["tm"])
    before = _detail(tm, case)

    stale = _post(tm, name, [case.public_id], {**body, "version": before["version"] - 1})

    assert stale.status_code == 409
    assert stale.json()["version"] == before["version"]
    assert "Someone else changed this case" in stale.json()["detail"]
    assert _detail(tm, case) == before


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("practitioner", 403),
        ("officer", 403),
        ("case_holder", 403),
        ("di", 404),
        ("governance", 404),
        ("other_team_member", 404),
        ("teacher", 404),
    ],
)
def test_only_the_teams_manager_and_detective_sergeant_manage_the_case(
    sign_in: SignIn, crew: dict[str, User], case: Case, who: str, code: int
) -> None:
    case_holder_set(case=case, by=crew["tm"], based_on_version=_fresh(case).version, holder=crew["case_holder"])
    allocation = allocation_add(
        case=case, by=crew["tm"], user=crew["nurse"], role=AllocationRole.CSE_NURSE, start_on=timezone.localdate()
    )
    before = _detail(sign_in(crew["tm"]), case)
    version = before["version"]
    client = sign_in(crew[who])

    for name, args, body in (
        ("api-case-holder", [case.public_id], {"username": "other-case-holder", "version": version}),
        ("api-case-key-individual", [case.public_id], {"name": "Jo Lee", "organisation": "YJS", "version": version}),
        ("api-case-review-date", [case.public_id], {"next_review_on": _days(7), "version": version}),
        ("api-case-close", [case.public_id], {"reason": "Mine to close.", "version": version}),
        ("api-case-reopen", [case.public_id], {"reason": "Mine to reopen.", "version": version}),
        ("api-case-allocation-end", [case.public_id, allocation.public_id], {"end_on": _days(0)}),
        (
            "api-case-strategy-discussion",
            [case.public_id],
            {"decision": str(uuid.uuid4()), "held_at": timezone.now().isoformat(), "note": "Held."},
        ),
    ):
        response = _post(client, name, args, body)
        assert response.status_code == code, name
        assert response.json()["detail"], name

    assert _detail(sign_in(crew["tm"]), case) == before


def test_bad_input_to_the_case_is_a_400_keyed_by_field_and_changes_nothing(
    sign_in: SignIn, crew: dict[str, User], case: Case
) -> None:
    ds = sign_in(crew["ds"])
    before = _detail(ds, case)
    version = before["version"]

    for name, body, field in (
        ("api-case-holder", {"username": "nurse", "version": version}, "username"),
        ("api-case-holder", {"username": "governance", "version": version}, "username"),
        ("api-case-holder", {"username": "case-holder"}, "version"),
        ("api-case-holder", {"username": "case-holder", "version": "latest"}, "version"),
        ("api-case-key-individual", {"version": version}, "name"),
        ("api-case-key-individual", {"name": "Jo Lee", "version": version}, "organisation"),
        ("api-case-key-individual", {"username": "governance", "version": version}, "username"),
        ("api-case-key-individual", {"username": "teacher", "version": version}, "username"),
        (
            "api-case-key-individual",
            {"username": "nurse", "name": "Jo Lee", "organisation": "YJS", "version": version},
            "username",
        ),
        ("api-case-review-date", {"next_review_on": _days(-1), "version": version}, "next_review_on"),
        ("api-case-review-date", {"next_review_on": "soon", "version": version}, "next_review_on"),
        ("api-case-close", {"reason": "   ", "version": version}, "reason"),
    ):
        response = _post(ds, name, [case.public_id], body)
        assert response.status_code == 400, (name, body)
        assert field in response.json(), (name, body, response.json())

    past = _post(ds, "api-case-review-date", [case.public_id], {"next_review_on": _days(-1), "version": version})
    assert past.json()["next_review_on"] == ["The next review date cannot be in the past"]
    assert _detail(ds, case) == before


def test_an_allocation_is_ended_and_with_it_the_sight_it_gave(
    sign_in: SignIn, crew: dict[str, User], case: Case
) -> None:
    allocation = allocation_add(
        case=case,
        by=crew["tm"],
        user=crew["other_case_holder"],
        role=AllocationRole.SOCIAL_WORK_LEAD,
        start_on=timezone.localdate() - timedelta(days=7),
    )
    assert _case_ids(sign_in(crew["other_case_holder"])) == [str(case.public_id)]
    ds = sign_in(crew["ds"])
    args = [case.public_id, allocation.public_id]

    before_start = _post(ds, "api-case-allocation-end", args, {"end_on": _days(-8)})
    assert before_start.status_code == 400
    assert before_start.json()["end_on"] == ["The end date cannot be before the allocation started"]
    future = _post(ds, "api-case-allocation-end", args, {"end_on": _days(1)})
    assert future.status_code == 400 and future.json()["end_on"] == ["The end date cannot be in the future"]
    assert _post(ds, "api-case-allocation-end", args, {}).status_code == 400
    assert _post(ds, "api-case-allocation-end", [case.public_id, STALE], {"end_on": _days(0)}).status_code == 404
    assert [a["user"]["username"] for a in _detail(ds, case)["allocations"]] == ["other-case-holder"]

    ended = _post(ds, "api-case-allocation-end", args, {"end_on": _days(0)})
    assert ended.status_code == 200
    assert ended.json()["id"] == str(allocation.public_id) and ended.json()["end_on"] == _days(0)
    assert _detail(ds, case)["allocations"] == []
    twice = _post(ds, "api-case-allocation-end", args, {"end_on": _days(0)})
    assert twice.status_code == 409 and "already ended" in twice.json()["detail"]
    assert _case_ids(sign_in(crew["other_case_holder"])) == [], "the allocation gave sight of the child; it has ended"


def test_an_allocation_of_another_case_is_not_found_on_this_one(
    sign_in: SignIn,
    crew: dict[str, User],
    case: Case,
    at_stage: Callable[[str], Referral],
    decide: Callable[..., Case],
) -> None:
    other = decide(at_stage("co_allocated"))
    allocation = allocation_add(
        case=other, by=crew["tm"], user=crew["nurse"], role=AllocationRole.CSE_NURSE, start_on=timezone.localdate()
    )
    response = _post(
        sign_in(crew["tm"]), "api-case-allocation-end", [case.public_id, allocation.public_id], {"end_on": _days(0)}
    )
    assert response.status_code == 404
    allocation.refresh_from_db()
    assert allocation.end_on is None


# The child's words --------------------------------------------------------------------------------------------------


def test_the_team_and_the_case_holder_record_the_childs_words_and_everyone_on_the_case_reads_them(
    sign_in: SignIn, crew: dict[str, User], case: Case
) -> None:
    case_holder_set(case=case, by=crew["tm"], based_on_version=_fresh(case).version, holder=crew["case_holder"])
    url = reverse("api-case-child-words", args=[case.public_id])
    assert sign_in(crew["officer"]).get(url).json()["results"] == []

    said = _post(
        sign_in(crew["practitioner"]),
        "api-case-child-words",
        [case.public_id],
        {
            "kind": "wishes",
            "words": "I want to go back to my old school.",
            "said_on": _days(0),
            "context": "At home, to her social worker",
        },
    )
    assert said.status_code == 201
    assert said.json()["kind"] == "wishes" and said.json()["recorded_by"]["username"] == "practitioner"
    worry = _post(
        sign_in(crew["case_holder"]),
        "api-case-child-words",
        [case.public_id],
        {"kind": "worries", "words": "He knows where I live.", "said_on": _days(-2)},
    )
    assert worry.status_code == 201

    listed = sign_in(crew["officer"]).get(url)
    assert listed.status_code == 200
    assert [(e["kind"], e["words"], e["context"]) for e in listed.json()["results"]] == [
        ("wishes", "I want to go back to my old school.", "At home, to her social worker"),
        ("worries", "He knows where I live.", ""),
    ]
    assert listed.json()["results"][0]["id"] == said.json()["id"]
    assert AccessLogEntry.objects.filter(
        user=crew["officer"], child=case.child, action=AccessAction.VIEWED, what=f"case {case.pk}; child's words (API)"
    ).exists()
    assert ChronologyEntry.objects.filter(child_id=case.child_id, kind="case.child_words").count() == 2


@pytest.mark.parametrize(
    ("who", "code"),
    [("other_case_holder", 403), ("di", 404), ("governance", 404), ("other_team_member", 404), ("teacher", 404)],
)
def test_people_who_do_not_write_on_the_case_cannot_record_the_childs_words(
    sign_in: SignIn, crew: dict[str, User], case: Case, who: str, code: int
) -> None:
    allocation_add(  # sees the case, but does not hold it: not theirs to write on
        case=case,
        by=crew["tm"],
        user=crew["other_case_holder"],
        role=AllocationRole.SOCIAL_WORK_LEAD,
        start_on=timezone.localdate(),
    )
    client = sign_in(crew[who])

    response = _post(
        client, "api-case-child-words", [case.public_id], {"kind": "words", "words": "He said.", "said_on": _days(0)}
    )

    assert response.status_code == code and response.json()["detail"]
    if code == 404:
        assert client.get(reverse("api-case-child-words", args=[case.public_id])).status_code == 404
        assert not AccessLogEntry.objects.filter(user=crew[who], child=case.child).exists()
    assert not ChildWords.objects.filter(case=case).exists()


def test_the_childs_words_need_what_they_said_when_and_an_open_case(
    sign_in: SignIn, crew: dict[str, User], case: Case
) -> None:
    client = sign_in(crew["practitioner"])
    good = {"kind": "words", "words": "I don't want to go to his flat.", "said_on": _days(0)}

    for body, field in (
        ({**good, "kind": "shouted"}, "kind"),
        ({**good, "words": "  "}, "words"),
        ({**good, "said_on": _days(1)}, "said_on"),
        ({"kind": "words", "words": "Hi."}, "said_on"),
    ):
        response = _post(client, "api-case-child-words", [case.public_id], body)
        assert response.status_code == 400 and field in response.json(), body
    unsaid = _post(client, "api-case-child-words", [case.public_id], {**good, "words": ""})
    assert unsaid.json()["words"] == ["Write what the child said, in their words"]
    assert not ChildWords.objects.filter(case=case).exists()

    case_close(case=case, by=crew["tm"], based_on_version=_fresh(case).version, reason="Risk reduced.")
    closed = _post(sign_in(crew["practitioner"]), "api-case-child-words", [case.public_id], good)
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]
    assert not ChildWords.objects.filter(case=case).exists()


# The strategy discussion --------------------------------------------------------------------------------------------


def test_the_strategy_discussion_held_is_recorded_and_leaves_the_daily_review(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    case = decide(waiting, DecisionKind.STRATEGY_DISCUSSION)
    decision = Decision.objects.get(referral=waiting)
    held_at = timezone.now()
    body = {
        "decision": str(decision.public_id),
        "held_at": held_at.isoformat(),
        "note": "Police, CS and health attended: s47 agreed.",
    }
    ds = sign_in(crew["ds"])
    assert len(ds.get(reverse("api-review-queue")).json()["strategy_due"]) == 1

    held = _post(ds, "api-case-strategy-discussion", [case.public_id], body)

    assert held.status_code == 200
    assert held.json()["decision"] == str(decision.public_id) and held.json()["case"] == str(case.public_id)
    assert datetime.fromisoformat(held.json()["held_at"]) == held_at
    assert ds.get(reverse("api-review-queue")).json()["strategy_due"] == []
    entry = ChronologyEntry.objects.get(child_id=case.child_id, kind="case.strategy_discussion")
    assert entry.occurred_at == held_at and "s47 agreed" in entry.rationale
    twice = _post(sign_in(crew["tm"]), "api-case-strategy-discussion", [case.public_id], body)
    assert twice.status_code == 409 and "already been recorded" in twice.json()["detail"]
    assert ChronologyEntry.objects.filter(kind="case.strategy_discussion").count() == 1


def test_the_strategy_discussion_needs_its_decision_a_time_with_its_zone_and_a_note(
    sign_in: SignIn, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    case = decide(waiting, DecisionKind.STRATEGY_DISCUSSION)
    decision = Decision.objects.get(referral=waiting)
    now = timezone.now()
    good = {"decision": str(decision.public_id), "held_at": now.isoformat(), "note": "Held."}
    tm = sign_in(crew["tm"])

    for body, field in (
        ({**good, "held_at": now.replace(tzinfo=None).isoformat()}, "held_at"),
        ({**good, "held_at": "this morning"}, "held_at"),
        ({**good, "held_at": (now + timedelta(hours=1)).isoformat()}, "held_at"),
        ({**good, "held_at": (decision.decided_at - timedelta(hours=1)).isoformat()}, "held_at"),
        ({**good, "note": " "}, "note"),
        ({**good, "decision": str(STALE)}, "decision"),
        ({**good, "decision": "not-a-uuid"}, "decision"),
    ):
        response = _post(tm, "api-case-strategy-discussion", [case.public_id], body)
        assert response.status_code == 400 and field in response.json(), (body, response.json())
    naive = _post(tm, "api-case-strategy-discussion", [case.public_id], {**good, "held_at": "2025-03-01T14:30:00"})
    assert "zone" in naive.json()["held_at"][0]

    refused = _post(sign_in(crew["practitioner"]), "api-case-strategy-discussion", [case.public_id], good)
    assert refused.status_code == 403
    assert len(sign_in(crew["tm"]).get(reverse("api-review-queue")).json()["strategy_due"]) == 1
    assert not ChronologyEntry.objects.filter(kind="case.strategy_discussion").exists()


def test_a_decision_that_called_no_strategy_discussion_cannot_record_one(
    sign_in: SignIn, crew: dict[str, User], case: Case
) -> None:
    decision = Decision.objects.get(case=case)
    body = {"decision": str(decision.public_id), "held_at": timezone.now().isoformat(), "note": "Held."}
    response = _post(sign_in(crew["tm"]), "api-case-strategy-discussion", [case.public_id], body)
    assert response.status_code == 400 and "decision" in response.json()
    assert not ChronologyEntry.objects.filter(kind="case.strategy_discussion").exists()


# The sharing ledger -------------------------------------------------------------------------------------------------


def test_the_sharing_ledger_shows_what_was_shared_with_whom_on_what_basis_and_who_decided(
    sign_in: SignIn, crew: dict[str, User], case: Case
) -> None:
    allocation_add(
        case=case,
        by=crew["tm"],
        user=crew["other_case_holder"],
        role=AllocationRole.SOCIAL_WORK_LEAD,
        start_on=timezone.localdate(),
    )
    nurse = sign_in(crew["nurse"])
    note = _post(nurse, "api-case-notes", [case.public_id], {"text": "Clinical.", "restricted": True}).json()
    shared = _post(
        nurse,
        "api-case-note-share",
        [case.public_id, note["id"]],
        {"to_agency": "PPU", "lawful_basis": "safeguarding", "consent": "given"},
    )
    assert shared.status_code == 201

    response = sign_in(crew["practitioner"]).get(reverse("api-case-sharing-ledger", args=[case.public_id]))

    assert response.status_code == 200
    entries = response.json()["results"]
    assert [
        (e["recipient"], e["lawful_basis"], e["consent"], e["reason_without_consent"], e["decided_by"]["username"])
        for e in entries
    ] == [
        ("Police Public Protection Unit", "safeguarding", "given", "", "nurse"),
        (
            f"{crew['other_case_holder'].display_name} (CS)",
            "public_task",
            "not_sought",
            "Access follows the work: they were given a role on the child's case",
            "tm",
        ),
    ]
    assert entries[0]["what"].startswith("Case note of") and entries[0]["to_agency"] == "PPU"
    assert entries[1]["what"] == "The child's record and Evolve case (social work lead)"
    assert entries[1]["to_user"] == "other-case-holder"
    assert all(e["decided_at"] for e in entries)
    assert AccessLogEntry.objects.filter(
        user=crew["practitioner"],
        child=case.child,
        action=AccessAction.VIEWED,
        what=f"case {case.pk}; sharing ledger (API)",
    ).exists()


@pytest.mark.parametrize("who", ["governance", "di", "other_team_member", "teacher", "other_case_holder"])
def test_people_with_no_part_in_the_case_see_no_ledger(
    sign_in: SignIn, crew: dict[str, User], case: Case, who: str
) -> None:
    response = sign_in(crew[who]).get(reverse("api-case-sharing-ledger", args=[case.public_id]))
    assert response.status_code == 404
    assert not AccessLogEntry.objects.filter(user=crew[who], child=case.child).exists()


# Caseloads ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def loads(
    crew: dict[str, User],
    waiting: Referral,
    at_stage: Callable[[str], Referral],
    decide: Callable[..., Case],
    soon: Callable[..., datetime],
    police: Agency,
) -> tuple[Case, Case]:
    """Two open cases; the officer on both and the nurse on one; the case holder holds one, whose review is
    overdue; the officer's agency check is overdue."""
    check = agency_check_request(referral=waiting, by=crew["tm"], agency=police, owner=crew["officer"], due_at=soon(24))
    AgencyCheck.objects.filter(pk=check.pk).update(due_at=timezone.now() - timedelta(hours=1))
    one = decide(waiting)
    two = decide(at_stage("co_allocated"))
    today = timezone.localdate()
    for on, who, role in (
        (one, "officer", AllocationRole.POLICE_INVESTIGATION),
        (two, "officer", AllocationRole.POLICE_INVESTIGATION),
        (one, "nurse", AllocationRole.CSE_NURSE),
    ):
        allocation_add(case=on, by=crew["tm"], user=crew[who], role=role, start_on=today)
    case_holder_set(case=one, by=crew["tm"], based_on_version=_fresh(one).version, holder=crew["case_holder"])
    Case.objects.filter(pk=one.pk).update(next_review_on=today - timedelta(days=3))
    return one, two


def test_managers_see_each_workers_caseload_and_each_agencys(
    sign_in: SignIn, crew: dict[str, User], loads: tuple[Case, Case]
) -> None:
    response = sign_in(crew["tm"]).get(reverse("api-caseloads"))

    assert response.status_code == 200
    workers = {
        w["username"]: (
            w["agency"],
            w["open_cases"],
            w["roles"],
            w["cases_held"],
            w["overdue_reviews"],
            w["overdue_checks"],
        )
        for w in response.json()["workers"]
    }
    assert workers == {
        "officer": ("PPU", 2, {"police_investigation": 2}, 0, 1, 1),
        "nurse": ("Trust", 1, {"cse_nurse": 1}, 0, 1, 0),
        "case-holder": ("CS", 0, {}, 1, 0, 0),
    }
    officer = next(w for w in response.json()["workers"] if w["username"] == "officer")
    assert officer["name"] == crew["officer"].display_name
    agencies = {
        a["agency"]: (a["workers"], a["open_cases"], a["overdue_reviews"], a["overdue_checks"])
        for a in response.json()["agencies"]
    }
    assert agencies == {"PPU": (1, 2, 1, 1), "Trust": (1, 1, 1, 0), "CS": (1, 0, 0, 0)}

    di = sign_in(crew["di"]).get(reverse("api-caseloads")).json()
    assert [(w["username"], w["open_cases"]) for w in di["workers"]] == [("officer", 2)], "their own agency's only"
    assert [(a["agency"], a["agency_name"]) for a in di["agencies"]] == [("PPU", "Police Public Protection Unit")]


@pytest.mark.parametrize("who", ["practitioner", "officer", "case_holder", "governance", "teacher"])
def test_caseloads_are_for_managers(sign_in: SignIn, crew: dict[str, User], loads: tuple[Case, Case], who: str) -> None:
    response = sign_in(crew[who]).get(reverse("api-caseloads"))
    assert response.status_code == 403 and response.json()["detail"]


# Every new endpoint ------------------------------------------------------------------------------------------------


def test_unknown_or_stale_ids_are_a_404_on_every_new_endpoint(
    sign_in: SignIn, crew: dict[str, User], case: Case
) -> None:
    tm = sign_in(crew["tm"])
    version = _detail(tm, case)["version"]
    assert tm.get(reverse("api-escalation-detail", args=[STALE])).status_code == 404
    assert _post(tm, "api-escalation-detail", [STALE], {"kind": "urgent_cin", "rationale": "x"}).status_code == 404
    assert _post(tm, "api-review-escalate", [STALE], {"note": "x"}).status_code == 404
    for name, body in (
        ("api-case-holder", {"username": "case-holder", "version": version}),
        ("api-case-key-individual", {"name": "Jo Lee", "organisation": "YJS", "version": version}),
        ("api-case-review-date", {"next_review_on": _days(7), "version": version}),
        ("api-case-close", {"reason": "x", "version": version}),
        ("api-case-reopen", {"reason": "x", "version": version}),
        ("api-case-child-words", {"kind": "words", "words": "x", "said_on": _days(0)}),
        ("api-case-strategy-discussion", {"decision": str(STALE), "held_at": timezone.now().isoformat(), "note": "x"}),
    ):
        response = _post(tm, name, [STALE], body)
        assert response.status_code == 404, name
        assert response.json()["detail"] == "No such record, or not one you may see."
    assert _post(tm, "api-case-allocation-end", [STALE, STALE], {"end_on": _days(0)}).status_code == 404
    assert tm.get(reverse("api-case-child-words", args=[STALE])).status_code == 404
    assert tm.get(reverse("api-case-sharing-ledger", args=[STALE])).status_code == 404
    assert _detail(tm, case)["version"] == version


def test_a_stranger_is_refused_every_new_endpoint(client: Client, crew: dict[str, User], case: Case) -> None:
    version = _fresh(case).version
    assert client.get(reverse("api-escalation-list")).status_code in (401, 403)
    assert client.get(reverse("api-caseloads")).status_code in (401, 403)
    assert client.get(reverse("api-case-sharing-ledger", args=[case.public_id])).status_code in (401, 403)
    assert client.get(reverse("api-case-child-words", args=[case.public_id])).status_code in (401, 403)
    closing = _post(client, "api-case-close", [case.public_id], {"reason": "x", "version": version})
    assert closing.status_code in (401, 403)
    assert _fresh(case).closed_at is None and _fresh(case).version == version


def test_the_new_endpoints_are_in_the_openapi_schema_which_builds_without_warnings(
    sign_in: SignIn, crew: dict[str, User]
) -> None:
    schema = sign_in(crew["tm"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    expected = {
        "/api/cases/escalations/": {"get"},
        "/api/cases/escalations/{public_id}/": {"get", "post"},
        "/api/cases/review/{public_id}/escalate/": {"post"},
        "/api/cases/{public_id}/case-holder/": {"post"},
        "/api/cases/{public_id}/key-individual/": {"post"},
        "/api/cases/{public_id}/review-date/": {"post"},
        "/api/cases/{public_id}/close/": {"post"},
        "/api/cases/{public_id}/reopen/": {"post"},
        "/api/cases/{public_id}/allocations/{allocation_id}/end/": {"post"},
        "/api/cases/{public_id}/child-words/": {"get", "post"},
        "/api/cases/{public_id}/strategy-discussion/": {"post"},
        "/api/cases/{public_id}/sharing-ledger/": {"get"},
        "/api/cases/caseloads/": {"get"},
    }
    for path, methods in expected.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
        for method in methods:
            assert "requestBody" in schema["paths"][path][method] or method == "get", (path, method)
    close = schema["paths"]["/api/cases/{public_id}/close/"]["post"]["responses"]
    assert {"200", "400", "403", "404", "409"} <= set(close)
    assert close["409"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/CaseConflict"
    resolve = schema["paths"]["/api/cases/escalations/{public_id}/"]["post"]["responses"]
    assert {"201", "400", "403", "404", "409"} <= set(resolve)
    assert schema["components"]["schemas"]["ChildWordsKindEnum"]["enum"] == list(ChildWords.Kind.values)

    reset_generator_stats()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())  # raises on a warning
    assert not GENERATOR_STATS, "the schema builds without warnings or errors"
