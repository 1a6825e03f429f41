"""The daily review and case pages, as each role meets them: who may open them, who may act, what a refused or
invalid step says, and what each page costs in queries however much data there is."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.audit.models import AccessLogEntry
from evolve.cases import selectors as case_selectors
from evolve.cases import views as case_views
from evolve.cases.models import Case, CaseNote, DecisionKind, DecisionView
from evolve.cases.services import allocation_add, case_note_add, child_words_add
from referrals.models import Referral

pytestmark = pytest.mark.django_db

TEAM_ROLES = ["tm", "ds", "practitioner", "nurse", "officer"]
NOT_TEAM = ["teacher", "spoc", "triage", "mash", "head_of_service", "governance", "case_holder", "di"]


@pytest.mark.parametrize("who", TEAM_ROLES)
def test_team_members_open_the_daily_review(
    who: str, crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    response = sign_in(crew[who]).get(reverse("cases:review-queue"))
    assert response.status_code == 200
    assert "Maisie Fenwick" in response.content.decode()


@pytest.mark.parametrize("who", NOT_TEAM)
def test_no_one_outside_the_team_opens_the_daily_review(
    who: str, crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew[who])
    assert client.get(reverse("cases:review-queue")).status_code == 403
    assert client.get(reverse("cases:review-detail", args=[waiting.public_id])).status_code == 403


def test_a_team_member_of_another_team_does_not_see_the_referral(
    crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew["other_team_member"])
    assert "Maisie" not in client.get(reverse("cases:review-queue")).content.decode()
    assert client.get(reverse("cases:review-detail", args=[waiting.public_id])).status_code == 404


@pytest.mark.parametrize("who", ["practitioner", "nurse", "officer"])
def test_only_the_team_manager_and_the_detective_sergeant_may_decide(
    who: str, crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    client = sign_in(crew[who])
    page = client.get(reverse("cases:review-detail", args=[waiting.public_id])).content.decode()
    assert "Record my decision" not in page
    response = client.post(
        reverse("cases:review-action", args=[waiting.public_id, "decide"]),
        {"kind": DecisionKind.RISK_ASSESSMENT_MEETING, "rationale": "I think so"},
    )
    assert response.status_code == 409
    assert "not available to you" in response.content.decode()
    assert not DecisionView.objects.exists()


def test_a_decision_without_reasons_is_refused_and_the_choice_kept(
    crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    response = sign_in(crew["tm"]).post(
        reverse("cases:review-action", args=[waiting.public_id, "decide"]), {"kind": "urgent_cin", "rationale": " "}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'value="urgent_cin" checked' in page
    assert not DecisionView.objects.exists()


def test_advice_needs_the_words_for_the_letter(
    crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    response = sign_in(crew["ds"]).post(
        reverse("cases:review-action", args=[waiting.public_id, "decide"]),
        {"kind": DecisionKind.REFERRER_ADVICE, "rationale": "Below threshold", "advice": ""},
    )
    assert response.status_code == 400
    assert "goes in the letter" in response.content.decode()


def test_both_agreeing_makes_the_decision_and_a_third_try_is_refused(
    crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    url = reverse("cases:review-action", args=[waiting.public_id, "decide"])
    data = {"kind": DecisionKind.RISK_ASSESSMENT_MEETING, "rationale": "Needs the meeting"}
    assert sign_in(crew["tm"]).post(url, data).status_code == 302
    response = sign_in(crew["ds"]).post(url, data, follow=True)
    assert "Decision agreed: Refer to the CSE Risk Assessment Meeting" in response.content.decode()
    again = sign_in(crew["tm"]).post(url, {**data, "kind": DecisionKind.URGENT_CIN})
    assert again.status_code == 409
    assert DecisionView.objects.count() == 2
    listed = sign_in(crew["tm"]).get(reverse("cases:awaiting-meeting")).content.decode()
    assert "Maisie Fenwick" in listed


def test_disagreeing_offers_escalation_to_the_service_managers(
    crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    url = reverse("cases:review-action", args=[waiting.public_id, "decide"])
    sign_in(crew["tm"]).post(url, {"kind": DecisionKind.URGENT_CIN, "rationale": "CIN now"})
    response = sign_in(crew["ds"]).post(
        url, {"kind": DecisionKind.STRATEGY_DISCUSSION, "rationale": "s47"}, follow=True
    )
    page = response.content.decode()
    assert "differs from your colleague" in page
    assert "Escalate the disagreement" in page
    escalate = reverse("cases:review-action", args=[waiting.public_id, "escalate"])
    assert sign_in(crew["ds"]).post(escalate, {"note": "We cannot agree"}).status_code == 302
    di = sign_in(crew["di"])
    escalations = di.get(reverse("cases:escalation-list")).content.decode()
    assert "Raised by" in escalations
    from evolve.cases.models import Escalation

    escalation = Escalation.objects.get()
    detail = reverse("cases:escalation-detail", args=[escalation.public_id])
    assert sign_in(crew["health_manager"]).get(detail).status_code == 404
    done = sign_in(crew["di"]).post(
        detail, {"kind": DecisionKind.STRATEGY_DISCUSSION, "rationale": "Risk of significant harm"}, follow=True
    )
    assert "Decided on escalation by" in done.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == "decided"


def test_the_case_page_shows_identity_allocations_words_notes_and_the_deadline(
    crew: dict[str, User], waiting: Referral, decide: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    case = decide(waiting, DecisionKind.STRATEGY_DISCUSSION)
    allocation_add(
        case=case, by=crew["tm"], user=crew["officer"], role="police_investigation", start_on=timezone.localdate()
    )
    child_words_add(
        case=case, by=crew["practitioner"], kind="wishes", words="I want my phone back", said_on=timezone.localdate()
    )
    case_note_add(case=case, by=crew["practitioner"], text="Home visit done.")
    page = sign_in(crew["officer"]).get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    for shown in (
        "Maisie Fenwick",
        "Police investigation",
        "I want my phone back",
        "Home visit done.",
        "Strategy discussion",
        "hours left",
    ):
        assert shown in page


def test_the_team_member_writes_a_note_and_a_restricted_one_stays_in_the_agency(
    crew: dict[str, User], waiting: Referral, decide: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    case = decide(waiting)
    url = reverse("cases:case-action", args=[case.public_id, "note"])
    assert (
        sign_in(crew["nurse"]).post(url, {"text": "Clinical: sexual health clinic", "restricted": "on"}).status_code
        == 302
    )
    note = CaseNote.objects.get()
    assert note.restricted_to_agency == crew["nurse"].agency
    officer_page = sign_in(crew["officer"]).get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    assert "sexual health clinic" not in officer_page
    share = reverse("cases:note-share", args=[case.public_id, note.public_id])
    assert sign_in(crew["officer"]).get(share).status_code == 404
    response = sign_in(crew["nurse"]).post(
        share,
        {
            "to": f"user-{crew['officer'].pk}",
            "lawful_basis": "safeguarding",
            "consent": "not_sought",
            "reason_without_consent": "",
        },
    )
    assert response.status_code == 400
    assert "reason for sharing without consent" in response.content.decode()
    sign_in(crew["nurse"]).post(
        share,
        {
            "to": f"user-{crew['officer'].pk}",
            "lawful_basis": "safeguarding",
            "consent": "not_sought",
            "reason_without_consent": "Risk of serious harm tonight",
        },
    )
    officer_page = sign_in(crew["officer"]).get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    assert "sexual health clinic" in officer_page
    assert "Shared with" in officer_page


@pytest.mark.parametrize("who", ["practitioner", "officer", "case_holder", "teacher"])
def test_only_the_tm_and_ds_manage_the_case(
    who: str, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    case = decide(waiting)
    if who == "case_holder":
        allocation_add(
            case=case, by=crew["tm"], user=crew["case_holder"], role="social_work_lead", start_on=timezone.localdate()
        )
    response = sign_in(crew[who]).post(
        reverse("cases:case-action", args=[case.public_id, "close"]), {"reason": "Done", "version": case.version}
    )
    assert response.status_code in (403, 404)
    case.refresh_from_db()
    assert case.closed_at is None


def test_closing_needs_a_reason_and_a_stale_page_is_told(
    crew: dict[str, User], waiting: Referral, decide: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    case = decide(waiting)
    url = reverse("cases:case-action", args=[case.public_id, "close"])
    client = sign_in(crew["tm"])
    assert client.post(url, {"reason": "", "version": case.version}).status_code == 400
    stale = client.post(url, {"reason": "Risk reduced", "version": case.version - 1})
    assert stale.status_code == 409
    assert "Someone else changed this case" in stale.content.decode()
    assert client.post(url, {"reason": "Risk reduced", "version": case.version}).status_code == 302
    case.refresh_from_db()
    assert case.closed_at is not None and case.closure_reason == "Risk reduced"


def test_a_case_holder_outside_the_team_sees_only_their_allocated_children(
    crew: dict[str, User],
    at_stage: Callable[[str], Referral],
    decide: Callable[..., Case],
    sign_in: Callable[[User], Client],
) -> None:
    mine = decide(at_stage("co_allocated"))
    other = decide(at_stage("co_allocated"))
    allocation_add(
        case=mine, by=crew["tm"], user=crew["case_holder"], role="social_work_lead", start_on=timezone.localdate()
    )
    client = sign_in(crew["case_holder"])
    listed = client.get(reverse("cases:case-list")).content.decode()
    assert listed.count(reverse("cases:case-detail", args=[mine.public_id])) == 1
    assert str(other.public_id) not in listed
    assert client.get(reverse("cases:case-detail", args=[mine.public_id])).status_code == 200
    assert client.get(reverse("cases:case-detail", args=[other.public_id])).status_code == 404


def test_the_case_list_says_how_many_cases_and_pages_through_them_all(
    crew: dict[str, User],
    at_stage: Callable[[str], Referral],
    decide: Callable[..., Case],
    sign_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(case_views, "CASES_PER_PAGE", 2)
    cases = [decide(at_stage("co_allocated")) for _ in range(3)]
    client = sign_in(crew["tm"])

    first = client.get(reverse("cases:case-list"), {"closed": "1"}).content.decode()
    second = client.get(reverse("cases:case-list"), {"closed": "1", "page": "2"}).content.decode()

    assert "3 cases" in first and "Showing 1 to 2" in first
    assert 'href="?closed=1&amp;page=2"' in first, "the next page keeps closed cases in"
    shown = [sum(str(case.public_id) in page for case in cases) for page in (first, second)]
    assert shown == [2, 1]


@pytest.mark.parametrize("who", ["governance", "teacher", "spoc", "other_team_member"])
def test_people_with_no_part_in_the_case_cannot_open_it(
    who: str, crew: dict[str, User], waiting: Referral, decide: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    case = decide(waiting)
    assert sign_in(crew[who]).get(reverse("cases:case-detail", args=[case.public_id])).status_code == 404


@pytest.mark.parametrize("who", ["tm", "ds", "di", "head_of_service"])
def test_managers_see_caseloads(who: str, crew: dict[str, User], sign_in: Callable[[User], Client]) -> None:
    assert sign_in(crew[who]).get(reverse("cases:caseloads")).status_code == 200


@pytest.mark.parametrize("who", ["practitioner", "case_holder", "governance", "teacher"])
def test_others_do_not_see_caseloads(who: str, crew: dict[str, User], sign_in: Callable[[User], Client]) -> None:
    assert sign_in(crew[who]).get(reverse("cases:caseloads")).status_code == 403


def test_the_case_page_logs_the_notes_it_showed(
    crew: dict[str, User], waiting: Referral, decide: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    case = decide(waiting)
    note = case_note_add(case=case, by=crew["practitioner"], text="Seen at school.")
    sign_in(crew["officer"]).get(reverse("cases:case-detail", args=[case.public_id]))
    entry = AccessLogEntry.objects.filter(user=crew["officer"], child=case.child).latest("id")
    assert f"notes [{note.pk}]" in entry.what


def test_the_case_notes_come_a_page_at_a_time_newest_first_with_how_many_in_all(
    crew: dict[str, User],
    waiting: Referral,
    decide: Callable[..., Case],
    sign_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A case with years of notes once showed its newest 200 and hid the rest without a word."""
    monkeypatch.setattr(case_selectors, "NOTES_PER_PAGE", 2)
    case = decide(waiting)
    for n in range(1, 4):
        case_note_add(case=case, by=crew["practitioner"], text=f"Visit number {n}.")
    client = sign_in(crew["tm"])
    url = reverse("cases:case-detail", args=[case.public_id])

    def notes_shown(html: str) -> str:  # the notes' list only: the chronology below also tells of each note
        return html[html.index('data-testid="notes"') : html.index('data-testid="chronology"')]

    first = client.get(url).content.decode()
    assert "3 notes; showing 1 to 2, newest first." in first
    shown = notes_shown(first)
    assert shown.index("Visit number 3.") < shown.index("Visit number 2.") and "Visit number 1." not in shown
    case_url = reverse("cases:case-detail", args=[case.public_id])
    assert f'href="{case_url}?page=2"' in first  # the case's own address: the page is also shown after a refused post

    second = client.get(url, {"page": 2}).content.decode()
    assert "showing 3 to 3" in second
    assert "Visit number 1." in notes_shown(second) and "Visit number 3." not in notes_shown(second)

    searched = client.get(url, {"q": "number", "page": "2"}).content.decode()
    assert "3 notes match “number”; showing 3 to 3" in searched
    assert f'href="{case_url}?q=number&amp;page=1"' in searched  # the search is kept from page to page


def test_the_daily_review_says_when_a_list_holds_more_than_it_shows(
    crew: dict[str, User],
    at_stage: Callable[[str], Referral],
    sign_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(case_selectors, "QUEUE_LIMIT", 2)
    first, second = at_stage("co_allocated"), at_stage("co_allocated")
    client = sign_in(crew["tm"])
    page = client.get(reverse("cases:review-queue")).content.decode()
    assert 'data-testid="cut-short"' not in page
    assert client.get(reverse("api-review-queue")).json()["cut_short"] == []

    third = at_stage("co_allocated")
    page = client.get(reverse("cases:review-queue")).content.decode()
    assert "More than 2 referrals are waiting, urgent first and then oldest" in page
    assert page.count('data-testid="review-row"') == 2
    assert str(third.public_id) not in page and str(first.public_id) in page and str(second.public_id) in page
    body = client.get(reverse("api-review-queue")).json()
    assert (body["cut_short"], body["limit"], len(body["waiting"])) == (["waiting"], 2, 2)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_daily_review_costs_the_same_with_six_referrals_as_with_one(
    crew: dict[str, User], at_stage: Callable[[str], Referral], sign_in: Callable[[User], Client]
) -> None:
    at_stage("co_allocated")
    client = sign_in(crew["tm"])
    url = reverse("cases:review-queue")
    one = _queries(client, url)
    for _ in range(5):
        at_stage("co_allocated")
    assert _queries(client, url) == one


def test_the_case_page_costs_the_same_however_many_notes_and_allocations(
    crew: dict[str, User], waiting: Referral, decide: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    case = decide(waiting, DecisionKind.STRATEGY_DISCUSSION)
    case_note_add(case=case, by=crew["practitioner"], text="First note")
    client = sign_in(crew["tm"])
    url = reverse("cases:case-detail", args=[case.public_id])
    few = _queries(client, url)
    for n in range(5):
        case_note_add(case=case, by=crew["nurse"], text=f"Note {n}", restricted=n % 2 == 0)
        child_words_add(
            case=case, by=crew["practitioner"], kind="words", words=f"Said {n}", said_on=timezone.localdate()
        )
    for who, role in (
        ("officer", "police_investigation"),
        ("nurse", "cse_nurse"),
        ("practitioner", "social_work_lead"),
    ):
        allocation_add(case=case, by=crew["tm"], user=crew[who], role=role, start_on=timezone.localdate())
    assert _queries(client, url) == few


def test_the_queue_says_when_other_children_known_to_the_team_live_at_the_same_address(
    crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    from evolve.people.services import NewAddress, child_address_add
    from tests.factories import ChildFactory

    assert waiting.child is not None and waiting.team is not None
    sibling = ChildFactory.create(first_name="Ruby", last_name="Fenwick", open_to_team=waiting.team)
    stranger = ChildFactory.create(first_name="Leah", last_name="Oakes")  # not known to the team
    child_address_add(
        child=waiting.child, by=crew["spoc"], address=NewAddress(line_1="4 Mill Lane", postcode="S60 1AA")
    )
    child_address_add(child=sibling, by=crew["spoc"], address=NewAddress(line_1="4  mill lane", postcode="s601aa"))
    child_address_add(child=stranger, by=crew["spoc"], address=NewAddress(line_1="4 Mill Lane", postcode="S60 1AA"))
    page = sign_in(crew["tm"]).get(reverse("cases:review-queue")).content.decode()
    assert "1 other child at the same address" in page


def test_a_note_written_while_someone_else_closed_the_case_is_refused_and_given_back(
    crew: dict[str, User], waiting: Referral, decide: Callable[..., Case], sign_in: Callable[[User], Client]
) -> None:
    from evolve.cases.services import case_close

    case = decide(waiting)
    writer = sign_in(crew["practitioner"])
    assert 'action="/cases/' in writer.get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    case_close(case=case, by=crew["tm"], based_on_version=case.version, reason="Risk reduced")

    response = writer.post(
        reverse("cases:case-action", args=[case.public_id, "note"]), {"text": "Saw her at the bus station at 11pm."}
    )

    page = response.content.decode()
    assert response.status_code == 409
    assert "it is closed, changed since your page was shown. Nothing was changed." in page
    assert 'data-testid="kept-text"' in page and "Saw her at the bus station at 11pm." in page
    assert not CaseNote.objects.filter(case=case).exists()
    outsider = sign_in(crew["other_team_member"]).post(
        reverse("cases:case-action", args=[case.public_id, "note"]), {"text": "Not mine to write."}
    )
    assert outsider.status_code in (403, 404), "someone the step was never theirs gets a refusal, not the text back"


def test_an_escalation_resolved_while_the_other_manager_wrote_gives_the_rationale_back(
    crew: dict[str, User], waiting: Referral, sign_in: Callable[[User], Client]
) -> None:
    from evolve.cases.models import Escalation
    from evolve.cases.services import decision_escalate, decision_view_record, escalation_resolve

    decision_view_record(referral=waiting, by=crew["tm"], kind=DecisionKind.STRATEGY_DISCUSSION, rationale="ISD.")
    decision_view_record(referral=waiting, by=crew["ds"], kind=DecisionKind.URGENT_CIN, rationale="CIN first.")
    decision_escalate(referral=waiting, by=crew["tm"], note="We differ.")
    escalation = Escalation.objects.get(referral=waiting)
    police_manager = sign_in(crew["di"])
    url = reverse("cases:escalation-detail", args=[escalation.public_id])
    assert police_manager.get(url).status_code == 200
    escalation_resolve(escalation=escalation, by=crew["csm"], kind=DecisionKind.URGENT_CIN, rationale="CIN first.")

    response = police_manager.post(url, {"kind": "strategy_discussion", "rationale": "Police must be in the room."})

    page = response.content.decode()
    assert response.status_code == 409
    assert "This escalation was resolved while your page was open. Nothing was changed." in page
    assert "Police must be in the room." in page
    escalation.refresh_from_db()
    assert escalation.resolved_by == crew["csm"]


def test_a_check_answered_by_a_colleague_meanwhile_gives_the_answer_back(
    crew: dict[str, User], waiting: Referral, police: Agency, sign_in: Callable[[User], Client]
) -> None:
    """The detective sergeant answers for the police while the officer asked is still typing."""
    from datetime import timedelta

    from evolve.cases.models import AgencyCheck
    from evolve.cases.services import agency_check_answer, agency_check_request

    check = agency_check_request(
        referral=waiting, by=crew["tm"], agency=police, owner=crew["officer"], due_at=timezone.now() + timedelta(1)
    )
    agency_check_answer(check=check, by=crew["ds"], holds_information=False, answer="Nothing held.")
    url = reverse("cases:check-detail", args=[check.public_id])

    response = sign_in(crew["officer"]).post(
        url, {"holds_information": "True", "answer": "Stopped in a car with two older males in May."}
    )

    page = response.content.decode()
    assert response.status_code == 409
    assert "This check was answered while your page was open. Nothing was changed." in page
    assert "Stopped in a car with two older males in May." in page
    assert AgencyCheck.objects.get(pk=check.pk).answer == "Nothing held."
    assert sign_in(crew["nurse"]).post(url, {"holds_information": "False", "answer": "x"}).status_code in (403, 404)
