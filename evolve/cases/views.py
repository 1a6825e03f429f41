"""Pages for the daily review (queue, one referral's decision, agency checks, escalations) and the child's case
(allocations, key individual, notes and sharing, the child's words, closure), caseloads and the list of children
awaiting the next CSE Risk Assessment Meeting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evolve.access import gate
from evolve.accounts.models import User
from evolve.cases import forms as case_forms
from evolve.cases.models import ADVICE_DECISIONS, Case, DecisionKind
from evolve.cases.permissions import (
    decision_seat,
    may_answer_check,
    may_decide,
    may_manage_case,
    may_resolve_escalation,
    may_restrict_note,
    may_see_caseloads,
    may_share_note,
    may_write_on_case,
)
from evolve.cases.selectors import (
    agencies_all,
    case_for_child,
    case_get_for_user,
    case_holders,
    case_page,
    case_rows,
    caseloads,
    cases_for_user,
    check_get_for_user,
    check_referral,
    checks_for_owner,
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
    review_row_for_user,
)
from evolve.cases.services import (
    CaseConflict,
    CaseRefused,
    agency_check_answer,
    agency_check_request,
    agency_checks_request_team,
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
    team_agency_owners,
)
from evolve.people.selectors import child_get_for_user
from evolve.ui.forms import form_run_service, posted_texts, posted_version


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _run(form: forms.Form, action: Callable[[], Any]) -> tuple[bool, str]:
    return form_run_service(form, action, (CaseRefused, CaseConflict))


# The daily review ---------------------------------------------------------------------------------------------------


def _team_member(user: User) -> None:
    if not user.is_team_member:
        raise PermissionDenied("The daily review is the Evolve team's.")


@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _team_member(user)
    queue = daily_review_queue(user=user)
    return render(request, "cases/review_queue.html", {"queue": queue, "may_decide": may_decide(user)})


REVIEW_ACTIONS = ("decide", "ask_team", "ask_agency", "escalate")
CASES_PER_PAGE = 50


def _review_forms(user: User, row: Any, posted: tuple[str, forms.Form] | None = None) -> dict[str, forms.Form]:
    if not may_decide(user) or row.referral.state != "co_allocated" or row.referral.team_id != user.team_id:
        return {}
    built: dict[str, forms.Form] = {}
    if row.escalation is None:
        mine = row.views.get(decision_seat(user))
        built["decide"] = case_forms.DecisionViewForm(
            initial={"kind": mine.kind, "rationale": mine.rationale, "advice": mine.advice} if mine else None
        )
        if team_agency_owners(referral=row.referral):
            built["ask_team"] = case_forms.TeamChecksForm()
        built["ask_agency"] = case_forms.AgencyCheckForm(people=_askable(row))
        if row.disagreed:
            built["escalate"] = case_forms.EscalateForm()
    if posted and posted[0] in built:
        built[posted[0]] = posted[1]
    return built


def _askable(row: Any) -> list[User]:
    asked = {check.agency_id for check in row.checks}
    return [
        person
        for agency in agencies_all()
        if agency.pk not in asked
        for person in people_in_agency(agency_id=agency.pk)
    ]


def _review_page(
    request: HttpRequest,
    user: User,
    row: Any,
    action_forms: dict[str, forms.Form],
    status: int = 200,
    refusal: str = "",
) -> HttpResponse:
    context = {
        "row": row,
        "referral": row.referral,
        "actions": action_forms,
        "decision": decision_for_referral(referral_id=row.referral.pk),
        "history": decision_views_history(referral_id=row.referral.pk),
        "refusal": refusal,
        "advice_kinds": [str(kind) for kind in ADVICE_DECISIONS],
        "now": timezone.now(),
    }
    return render(request, "cases/review_detail.html", context, status=status)


@require_GET
def review_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    _team_member(user)
    row = review_row_for_user(user=user, public_id=public_id)
    return _review_page(request, user, row, _review_forms(user, row))


@require_POST
def review_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    user = _user(request)
    _team_member(user)
    action = action.replace("-", "_")
    if action not in REVIEW_ACTIONS:
        raise Http404("No such step")
    row = review_row_for_user(user=user, public_id=public_id)
    available = _review_forms(user, row)
    if action not in available:
        refusal = "That step is not available to you on this referral now. Nothing was changed."
        return _review_page(request, user, row, available, status=409, refusal=refusal)
    referral = row.referral
    form: forms.Form
    outcome: dict[str, Any] = {}
    if action == "decide":
        form = case_forms.DecisionViewForm(request.POST)

        def act() -> None:
            data = form.cleaned_data
            outcome["result"] = decision_view_record(
                referral=referral, by=user, kind=data["kind"], rationale=data["rationale"], advice=data["advice"]
            )
    elif action == "ask_team":
        form = case_forms.TeamChecksForm(request.POST)

        def act() -> None:
            agency_checks_request_team(referral=referral, by=user, due_at=form.due_at())  # type: ignore[attr-defined]
    elif action == "ask_agency":
        form = case_forms.AgencyCheckForm(request.POST, people=_askable(row))

        def act() -> None:
            owner = form.owner_user()  # type: ignore[attr-defined]
            agency_check_request(
                referral=referral,
                by=user,
                agency=owner.agency,
                owner=owner,
                due_at=form.due_at(),  # type: ignore[attr-defined]
                question=form.cleaned_data["question"],
            )
    else:
        form = case_forms.EscalateForm(request.POST)

        def act() -> None:
            decision_escalate(referral=referral, by=user, note=form.cleaned_data["note"])

    done, refusal = _run(form, act)
    if done:
        result = outcome.get("result")
        if result is not None and result.agreed:
            messages.success(request, f"Decision agreed: {DecisionKind(result.decision.kind).label}")
        elif result is not None and result.disagreed:
            messages.warning(request, "Your decision differs from your colleague's: agree one, or escalate")
        elif result is not None:
            messages.success(request, "Your decision is recorded: it is made when your colleague agrees")
        else:
            messages.success(request, "Saved")
        return redirect("cases:review-detail", public_id=referral.public_id)
    row = review_row_for_user(user=user, public_id=public_id)
    return _review_page(
        request, user, row, _review_forms(user, row, (action, form)), status=409 if refusal else 400, refusal=refusal
    )


@require_GET
def check_list(request: HttpRequest) -> HttpResponse:
    gate.refuse_governance(request.user)
    return render(request, "cases/check_list.html", {"checks": checks_for_owner(user=_user(request))})


def _done_meanwhile(
    request: HttpRequest, *, theirs: bool, still_open: bool, refused: str, done: str
) -> tuple[str, list[str]]:
    """A post answering something done once (an agency check, an escalation): refused outright (403) to someone it
    was never theirs to do; if someone else did it while the page was open, `done` and what was written, given back
    (the caller answers 409). ("", []) otherwise."""
    if request.method != "POST":
        return "", []
    if not theirs:
        raise PermissionDenied(refused)
    if not still_open:
        return done, posted_texts(request)
    return "", []


@require_http_methods(["GET", "POST"])
def check_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    from evolve.audit.auditor import record_access
    from evolve.audit.models import AccessAction

    user = _user(request)
    check = check_get_for_user(user=user, public_id=public_id)
    referral = check_referral(check=check)
    theirs = may_answer_check(user, check)
    may_answer = theirs and check.answered_at is None
    form = case_forms.CheckAnswerForm(request.POST if request.method == "POST" else None)
    status = 200
    stale, kept = _done_meanwhile(
        request,
        theirs=theirs,
        still_open=check.answered_at is None,
        refused="This check is not yours to answer.",
        done="This check was answered while your page was open. Nothing was changed.",
    )
    if stale:
        status = 409
    elif request.method == "POST":
        done, refusal = _run(
            form,
            lambda: agency_check_answer(
                check=check,
                by=user,
                holds_information=form.cleaned_data["holds_information"],
                answer=form.cleaned_data["answer"],
            ),
        )
        if done:
            messages.success(request, "Your agency's answer is recorded")
            return redirect("cases:check-detail", public_id=check.public_id)
        status = 409 if refusal else 400
    if referral.child is not None:
        record_access(user=user, children=[referral.child], action=AccessAction.VIEWED, what=f"agency check {check.pk}")
    context = {
        "check": check,
        "referral": referral,
        "form": form,
        "may_answer": may_answer,
        "refusal": stale,
        "kept": kept,
    }
    return render(request, "cases/check_detail.html", context, status=status)


@require_GET
def escalation_list(request: HttpRequest) -> HttpResponse:
    gate.refuse_governance(request.user)
    return render(request, "cases/escalation_list.html", {"escalations": escalations_for_user(user=_user(request))})


@require_http_methods(["GET", "POST"])
def escalation_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    escalation = escalation_get_for_user(user=user, public_id=public_id)
    referral = escalation_referral(user=user, escalation=escalation)
    theirs = may_resolve_escalation(user, escalation)
    may_resolve = theirs and escalation.resolved_at is None
    form = case_forms.ResolveForm(request.POST if request.method == "POST" else None)
    status = 200
    stale, kept = _done_meanwhile(
        request,
        theirs=theirs,
        still_open=escalation.resolved_at is None,
        refused="Only a service manager of the agencies involved resolves this escalation.",
        done="This escalation was resolved while your page was open. Nothing was changed.",
    )
    if stale:
        status = 409
    elif request.method == "POST":
        done, refusal = _run(
            form,
            lambda: escalation_resolve(
                escalation=escalation,
                by=user,
                kind=form.cleaned_data["kind"],
                rationale=form.cleaned_data["rationale"],
                advice=form.cleaned_data["advice"],
            ),
        )
        if done:
            messages.success(request, "Your decision is recorded")
            return redirect("cases:escalation-detail", public_id=escalation.public_id)
        status = 409 if refusal else 400
    context = {
        "escalation": escalation,
        "referral": referral,
        "history": decision_views_history(referral_id=escalation.referral_id),
        "decision": decision_for_referral(referral_id=escalation.referral_id),
        "form": form,
        "may_resolve": may_resolve,
        "refusal": stale,
        "kept": kept,
    }
    return render(request, "cases/escalation_detail.html", context, status=status)


# The child's case ---------------------------------------------------------------------------------------------------


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    gate.refuse_governance(request.user)
    user = _user(request)
    show_closed = request.GET.get("closed") == "1"
    page = Paginator(cases_for_user(user=user, include_closed=show_closed), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    cases = list(page.object_list)
    if cases:
        from evolve.audit.auditor import record_access
        from evolve.audit.models import AccessAction

        record_access(user=user, children=[c.child for c in cases], action=AccessAction.LISTED, what="case list")
    context = {
        "rows": case_rows(cases=cases),
        "page": page,
        "page_query": "closed=1" if show_closed else "",
        "show_closed": show_closed,
    }
    return render(request, "cases/case_list.html", context)


@require_GET
def child_case(request: HttpRequest, child_id: str) -> HttpResponse:
    """From a child's record to their Evolve case, or why there is none yet."""
    user = _user(request)
    child = child_get_for_user(user=user, public_id=child_id, audit_what=None)
    case = case_for_child(user=user, child_id=child.pk)
    if case is not None:
        return redirect("cases:case-detail", public_id=case.public_id)
    return render(request, "cases/no_case.html", {"child": child}, status=404)


@require_GET
def awaiting_meeting(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _team_member(user)
    rows = case_rows(cases=children_awaiting_ra_meeting(user=user))
    return render(request, "cases/awaiting_meeting.html", {"rows": rows})


@require_GET
def caseload_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not may_see_caseloads(user):
        raise PermissionDenied("Caseloads are for managers.")
    workers, agencies = caseloads(user=user)
    return render(request, "cases/caseloads.html", {"workers": workers, "agencies": agencies})


CASE_ACTIONS = (
    "note",
    "child_words",
    "allocate",
    "case_holder",
    "key_individual",
    "review_date",
    "close",
    "reopen",
    "strategy_held",
)
MANAGING = ("allocate", "case_holder", "key_individual", "review_date", "close", "reopen", "strategy_held")


def _case_forms(user: User, case: Case, posted: tuple[str, forms.Form] | None = None) -> dict[str, forms.Form]:
    built: dict[str, forms.Form] = {}
    if case.is_open and may_write_on_case(user, case):
        built["note"] = case_forms.NoteForm()
        if not may_restrict_note(user):
            del built["note"].fields["restricted"]
        built["child_words"] = case_forms.ChildWordsForm()
    if may_manage_case(user, case):
        if case.is_open:
            people = list(people_to_allocate(case=case))
            built["allocate"] = case_forms.AllocationForm(people=people)
            built["case_holder"] = case_forms.CaseHolderForm(people=list(case_holders()))
            built["key_individual"] = case_forms.KeyIndividualForm(people=people)
            built["review_date"] = case_forms.ReviewDateForm(initial={"next_review_on": case.next_review_on})
            built["strategy_held"] = case_forms.StrategyHeldForm()
            built["close"] = case_forms.ReasonForm()
        else:
            built["reopen"] = case_forms.ReasonForm()
    if posted and posted[0] in built:
        built[posted[0]] = posted[1]
    return built


WRITING_ACTIONS = frozenset({"note", "child_words"})  # any team member's on an open case; the rest are managers'


def _case_response(
    request: HttpRequest,
    user: User,
    case: Case,
    action_forms: dict[str, forms.Form],
    status: int = 200,
    refusal: str = "",
    kept: list[str] | None = None,
) -> HttpResponse:
    search = request.GET.get("q", "")
    page = case_page(user=user, case=case, search=search, notes_page=request.GET.get("page"))
    context = {
        "page": page,
        "case": case,
        "child": case.child,
        "actions": action_forms,
        "search": search,
        "may_manage": may_manage_case(user, case),
        "shareable": {note.pk for note in page.notes if may_share_note(user, note)},
        "has_errors": any(form.errors for form in action_forms.values()),
        "meeting_kinds": (DecisionKind.STRATEGY_DISCUSSION, DecisionKind.URGENT_CIN),
        "refusal": refusal,
        "kept": kept or [],
    }
    return render(request, "cases/case_detail.html", context, status=status)


@require_GET
def case_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    case = case_get_for_user(user=user, public_id=public_id)
    return _case_response(request, user, case, _case_forms(user, case))


def _strategy_decision(case: Case, request: HttpRequest) -> Any:
    from evolve.cases.models import Decision

    found = [d for d in case.decisions.all() if str(d.public_id) == request.POST.get("decision", "")]
    if not found or found[0].kind != DecisionKind.STRATEGY_DISCUSSION:
        raise ValidationError({"note": "Choose the decision that called the strategy discussion"})
    decision: Decision = found[0]
    decision.case = case
    return decision


@require_POST
def case_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    user = _user(request)
    case = case_get_for_user(user=user, public_id=public_id)
    action = action.replace("-", "_")
    if action not in CASE_ACTIONS:
        raise Http404("No such step")
    available = _case_forms(user, case)
    if action not in available:
        theirs = may_write_on_case(user, case) if action in WRITING_ACTIONS else may_manage_case(user, case)
        if not theirs:
            raise PermissionDenied("That change is not yours to make on this case.")
        # Someone else closed or re-opened the case while this page was open: say so, change nothing, and give
        # back what was written.
        refusal = (
            f"That change is not available on this case now: it is {'open' if case.is_open else 'closed'}, changed"
            " since your page was shown. Nothing was changed."
        )
        return _case_response(request, user, case, available, status=409, refusal=refusal, kept=posted_texts(request))
    blank = available[action]
    # The same form, bound to what was posted, offering the same people as the page did.
    kwargs: dict[str, Any] = {"people": list(blank.people.values())} if hasattr(blank, "people") else {}
    form: Any = type(blank)(request.POST, **kwargs)
    if action == "note" and "restricted" not in blank.fields:
        del form.fields["restricted"]
    version = posted_version(request)

    def act() -> None:
        data = form.cleaned_data
        if action == "note":
            case_note_add(case=case, by=user, text=data["text"], restricted=data.get("restricted", False))
        elif action == "child_words":
            child_words_add(
                case=case,
                by=user,
                kind=data["kind"],
                words=data["words"],
                said_on=data["said_on"],
                context=data["context"],
            )
        elif action == "allocate":
            allocation_add(
                case=case,
                by=user,
                user=form.user_chosen(),
                role=data["role"],
                start_on=data["start_on"],
            )
        elif action == "case_holder":
            case_holder_set(case=case, by=user, based_on_version=version, holder=form.holder_user())
        elif action == "key_individual":
            key_individual_set(
                case=case,
                by=user,
                based_on_version=version,
                user=form.user_chosen(),
                name=data["name"],
                organisation=data["organisation"],
            )
        elif action == "review_date":
            case_review_date_set(case=case, by=user, based_on_version=version, next_review_on=data["next_review_on"])
        elif action == "close":
            case_close(case=case, by=user, based_on_version=version, reason=data["reason"])
        elif action == "reopen":
            case_reopen(case=case, by=user, based_on_version=version, reason=data["reason"])
        else:
            strategy_discussion_held(
                decision=_strategy_decision(case, request),
                by=user,
                held_at=form.held_at(),
                note=data["note"],
            )

    done, refusal = _run(form, act)
    if done:
        messages.success(request, "Saved")
        return redirect("cases:case-detail", public_id=case.public_id)
    case = case_get_for_user(user=user, public_id=public_id)
    return _case_response(request, user, case, _case_forms(user, case, (action, form)), status=409 if refusal else 400)


@require_POST
def allocation_end_view(request: HttpRequest, public_id: str, allocation_id: str) -> HttpResponse:
    user = _user(request)
    case = case_get_for_user(user=user, public_id=public_id)
    allocation = next((a for a in case.allocations.all() if str(a.public_id) == str(allocation_id)), None)
    if allocation is None:
        raise Http404("No such allocation")
    form = case_forms.EndAllocationForm(request.POST)
    done, refusal = _run(
        form, lambda: allocation_end(allocation=allocation, by=user, end_on=form.cleaned_data["end_on"])
    )
    if done:
        messages.success(request, "Allocation ended")
    else:
        errors = [str(e) for errs in form.errors.values() for e in errs] or [refusal]
        messages.error(request, "The allocation was not ended: " + " ".join(errors))
    return redirect("cases:case-detail", public_id=case.public_id)


@require_http_methods(["GET", "POST"])
def note_share(request: HttpRequest, public_id: str, note_id: str) -> HttpResponse:
    user = _user(request)
    case = case_get_for_user(user=user, public_id=public_id)
    note = notes_for_case(user=user, case=case).filter(public_id=note_id).first()
    if note is None:
        raise Http404("No such note, or not one you may see")
    if not may_share_note(user, note):
        raise PermissionDenied("Only the agency a note is restricted to can share it.")
    people = [p for p in people_to_allocate(case=case) if p.agency_id != note.restricted_to_agency_id]
    agencies = [a for a in case.team.agencies.order_by("name") if a.pk != note.restricted_to_agency_id]
    form = case_forms.ShareForm(request.POST or None, people=people, agencies=agencies)
    status = 200
    if request.method == "POST":
        note.case = case

        def act() -> None:
            to_user, to_agency = form.recipient()
            case_note_share(
                note=note,
                by=user,
                to_user=to_user,
                to_agency=to_agency,
                lawful_basis=form.cleaned_data["lawful_basis"],
                consent=form.cleaned_data["consent"],
                reason_without_consent=form.cleaned_data["reason_without_consent"],
            )

        done, refusal = _run(form, act)
        if done:
            messages.success(request, "Shared, and recorded in the information-sharing ledger")
            return redirect("cases:case-detail", public_id=case.public_id)
        status = 409 if refusal else 400
    return render(request, "cases/note_share.html", {"case": case, "note": note, "form": form}, status=status)
