"""Pages for the weekly CSE team meeting, strategy discussions and CIN meetings: the list, scheduling, the meeting
(agenda from the three lists, attendance, closing, amendments, minutes), one child's part (discussion, agreed risk
level, roles, actions, mapping items and the groups and locations flagged for the Intelligence Sharing Meeting,
disagreement), a reader's extract of one child's part, my actions, and escalated disagreements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evolve.access import gate
from evolve.accounts.models import User
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.cases.selectors import (
    agencies_all,
    case_for_team_child,
    cases_for_user,
    decision_get_for_user,
    people_to_allocate,
)
from evolve.ui.forms import form_run_service, posted_texts, posted_version
from evolve.uploads.storage import serve_private_file
from mapping.selectors import disruption_candidates_for_child
from meetings import forms as meeting_forms
from meetings.minutes import render_pdf
from meetings.models import AgendaItem, Meeting, MeetingKind
from meetings.permissions import (
    escalation_manager,
    may_close,
    may_complete_action,
    may_resolve_escalation,
    may_run,
    may_see_full_minutes,
)
from meetings.selectors import (
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
    chair_candidates,
    escalation_outcome_record,
    item_record,
    meeting_close,
    meeting_schedule,
    next_chair_seat,
    role_allocate,
)
from meetings.services import (
    meeting_for_decision as meeting_for_decision_create,
)
from risk.selectors import assessment_latest


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _run(form: forms.Form, action: Callable[[], Any]) -> tuple[bool, str]:
    return form_run_service(form, action, (MeetingRefused, MeetingConflict))


def _team_member(user: User) -> None:
    if not user.is_team_member:
        raise PermissionDenied("Meetings are the Evolve team's.")


# The list and scheduling --------------------------------------------------------------------------------------------


@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _team_member(user)
    lists = meetings_for_user(user=user)
    return render(request, "meetings/meeting_list.html", {"lists": lists, "may_run": may_run(user)})


@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not may_run(user):
        raise PermissionDenied("The team manager and the detective sergeant schedule the weekly meeting.")
    assert user.team_id is not None
    seat = next_chair_seat(team_id=user.team_id)
    chairs = chair_candidates(team_id=user.team_id, seat=seat)
    initial_chair = str(user.pk) if user in chairs else (str(chairs[0].pk) if chairs else "")
    form = meeting_forms.ScheduleForm(request.POST or None, chairs=chairs, initial={"chair": initial_chair})
    if request.method == "POST":
        created: list[Meeting] = []

        def act() -> None:
            created.append(
                meeting_schedule(
                    by=user, starts_at=form.starts_at(), place=form.cleaned_data["place"], chair=form.chair_chosen()
                )
            )

        done, _refusal = _run(form, act)
        if done:
            messages.success(request, f"Meeting scheduled: {len(created[0].items.all())} children on the agenda")
            return redirect("meetings:meeting-detail", public_id=created[0].public_id)
    seat_label = "team manager" if seat == "team_manager" else "detective sergeant"
    context = {"form": form, "seat_label": seat_label, "title": "Schedule the weekly CSE team meeting"}
    return render(request, "meetings/meeting_new.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def meeting_for_decision(request: HttpRequest, decision_id: str) -> HttpResponse:
    user = _user(request)
    decision = decision_get_for_user(user=user, public_id=decision_id)
    assert decision.case is not None
    if not may_run(user, decision.case.team_id):
        raise PermissionDenied("The team manager and the detective sergeant record the team's meetings.")
    initial = {
        "kind": MeetingKind.STRATEGY_DISCUSSION if decision.kind == "strategy_discussion" else MeetingKind.CIN_MEETING
    }
    form = meeting_forms.DecisionMeetingForm(request.POST or None, initial=initial)
    if request.method == "POST":
        created: list[Meeting] = []

        def act() -> None:
            created.append(
                meeting_for_decision_create(
                    decision=decision,
                    by=user,
                    kind=form.cleaned_data["kind"],
                    starts_at=form.starts_at(),
                    place=form.cleaned_data["place"],
                )
            )

        done, _refusal = _run(form, act)
        if done:
            messages.success(request, "Meeting started: record what was said and agreed, then close it")
            return redirect("meetings:meeting-detail", public_id=created[0].public_id)
    context = {
        "form": form,
        "decision": decision,
        "child": decision.case.child,
        "title": "Record a strategy discussion or CIN meeting",
    }
    return render(request, "meetings/meeting_new.html", context, status=400 if form.errors else 200)


# The meeting --------------------------------------------------------------------------------------------------------

MEETING_ACTIONS = ("refresh", "add-child", "attendance", "attendance-remove", "close", "amend")


def _meeting_forms(
    user: User, meeting: Meeting, items: list[AgendaItem], posted: tuple[str, forms.Form] | None = None
) -> dict[str, forms.Form]:
    built: dict[str, forms.Form] = {}
    if may_run(user, meeting.team_id):
        if not meeting.is_closed:
            built["attendance"] = meeting_forms.AttendanceForm(agencies=list(agencies_all()))
            if meeting.kind == MeetingKind.WEEKLY:
                on_agenda = {item.child_id for item in items}
                children = [
                    case.child
                    for case in cases_for_user(user=user)
                    if case.team_id == meeting.team_id and case.child_id not in on_agenda
                ]
                built["add_child"] = meeting_forms.AddChildForm(children=children)
        else:
            built["amend"] = meeting_forms.AmendmentForm(items=items)
    if posted and posted[0] in built:
        built[posted[0]] = posted[1]
    return built


def _meeting_response(
    request: HttpRequest,
    user: User,
    meeting: Meeting,
    posted: tuple[str, forms.Form] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    page = meeting_page(user=user, meeting=meeting)
    action_forms = _meeting_forms(user, meeting, page.items, posted)
    context = {
        "page": page,
        "meeting": meeting,
        "actions": action_forms,
        "may_run": may_run(user, meeting.team_id),
        "may_close": may_close(user, meeting) and not meeting.is_closed,
        "may_download": may_see_full_minutes(user, meeting),
        "refusal": refusal,
    }
    return render(request, "meetings/meeting_detail.html", context, status=status)


@require_GET
def meeting_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    return _meeting_response(request, user, meeting_get_for_user(user=user, public_id=public_id))


@require_POST
def meeting_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    user = _user(request)
    meeting = meeting_get_for_user(user=user, public_id=public_id)
    if action not in MEETING_ACTIONS:
        raise Http404("No such step")
    action = action.replace("-", "_")
    if not may_run(user, meeting.team_id):
        raise PermissionDenied("The team manager and the detective sergeant record the team's meetings.")
    if action in ("refresh", "close", "attendance_remove"):
        form: Any = meeting_forms.ConfirmForm(request.POST)
    else:
        available = _meeting_forms(user, meeting, list(meeting.items.all()))
        if action not in available:
            raise PermissionDenied("That change cannot be made to this meeting now.")
        blank: Any = available[action]
        if action == "attendance":
            form = meeting_forms.AttendanceForm(request.POST, agencies=list(blank.agencies.values()))
        elif action == "add_child":
            form = meeting_forms.AddChildForm(request.POST, children=list(blank.children.values()))
        else:
            form = meeting_forms.AmendmentForm(request.POST, items=list(blank.items.values()))
    note: list[str] = []

    def act() -> None:
        data = form.cleaned_data
        if action == "refresh":
            added = agenda_refresh(meeting=meeting, by=user)
            note.append(f"{added} more children added from the lists" if added else "No more children on the lists")
        elif action == "add_child":
            agenda_add(meeting=meeting, by=user, child=form.children[data["child"]], reason=data["reason"])
        elif action == "attendance":
            attendance_add(
                meeting=meeting,
                by=user,
                agency=form.agency_chosen(),
                name=data["name"],
                role=data["role"],
                present=data["present"] == "yes",
            )
        elif action == "attendance_remove":
            row = attendance_get(meeting=meeting, pk=_int(request.POST.get("attendance")))
            if row is None:
                raise MeetingRefused("That person is not on this meeting's attendance list")
            attendance_remove(attendance=row, by=user)
        elif action == "close":
            meeting_close(meeting=meeting, by=user, based_on_version=posted_version(request))
            note.append("Meeting closed. The minutes are being built and will be ready to download shortly")
        else:
            amendment_add(meeting=meeting, by=user, text=data["text"], item=form.item_chosen())
            note.append("Amendment recorded. New minutes are being built")

    done, refusal = _run(form, act)
    if done:
        messages.success(request, note[0] if note else "Saved")
        return redirect("meetings:meeting-detail", public_id=meeting.public_id)
    if not refusal and form.non_field_errors():
        refusal = " ".join(form.non_field_errors())
    meeting = meeting_get_for_user(user=user, public_id=public_id)
    posted = (action, form) if action in ("attendance", "add_child", "amend") else None
    return _meeting_response(request, user, meeting, posted, refusal, status=409 if refusal else 400)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1


@require_GET
def minutes_download(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """The full minutes: for the members of the team that held the meeting (every agency in it attended)."""
    user = _user(request)
    meeting = meeting_get_for_user(user=user, public_id=public_id)
    if not may_see_full_minutes(user, meeting):
        raise PermissionDenied("The full minutes are for the members of the team.")
    minutes = minutes_latest(meeting=meeting)
    if minutes is None:
        raise Http404("The minutes are not ready yet")
    page = minutes_content(meeting_id=meeting.pk)  # what the file holds: restricted children are not in it
    record_access(user=user, children=[i.child for i in page.items], action=AccessAction.EXPORTED, what="minutes")
    when = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d")
    return serve_private_file(
        storage_name=minutes.storage_name,
        download_name=f"minutes-{slugify(meeting.get_kind_display())}-{when}-v{minutes.number}.pdf",
        content_type="application/pdf",
    )


# One child's part ---------------------------------------------------------------------------------------------------

ITEM_ACTIONS = ("record", "action", "allocate", "remove", "outcome")


def _item_forms(user: User, item: AgendaItem, posted: tuple[str, forms.Form] | None = None) -> dict[str, forms.Form]:
    meeting = item.meeting
    built: dict[str, forms.Form] = {}
    if may_run(user, meeting.team_id) and not meeting.is_closed:
        agencies = list(agencies_all())
        # Passed from this child's part and still on the list: not offered again (taken off it since: offered).
        passed = {e.pk for e in item.flagged_shown if e.flagged_for_disruption}  # type: ignore[attr-defined]
        targets = [
            entity
            for entity in disruption_candidates_for_child(user=user, child_id=item.child_id)
            if entity.pk not in passed
        ]
        built["record"] = meeting_forms.ItemForm(
            agencies=agencies,
            targets=targets,
            initial={
                "discussion": item.discussion,
                "level": item.agreed_level,
                "rationale": item.agreed_rationale,
                "mapping_items": item.mapping_items,
                "disagreement": item.disagreement,
                "escalate_to": str(item.escalated_to_agency_id or ""),
            },
        )
        if item.agreed_level:  # it stands: shown, not offered again
            del built["record"].fields["level"]
            del built["record"].fields["rationale"]
        case = case_for_team_child(team_id=meeting.team_id, child_id=item.child_id)
        if case is not None:
            people = list(people_to_allocate(case=case))
            built["action"] = meeting_forms.ActionForm(people=people)
            built["allocate"] = meeting_forms.AllocateForm(people=people)
    if may_resolve_escalation(user, item):
        built["outcome"] = meeting_forms.OutcomeForm()
    if posted and posted[0] in built:
        built[posted[0]] = posted[1]
    return built


def _item_response(
    request: HttpRequest,
    user: User,
    item: AgendaItem,
    posted: tuple[str, forms.Form] | None = None,
    refusal: str = "",
    status: int = 200,
    kept: list[str] | None = None,
) -> HttpResponse:
    context = {
        "kept": kept or [],
        "item": item,
        "meeting": item.meeting,
        "child": item.child,
        "assessment": assessment_latest(user=user, child_id=item.child_id),
        "actions": _item_forms(user, item, posted),
        "may_run": may_run(user, item.meeting.team_id),
        "refusal": refusal,
        "version": item.version,
    }
    return render(request, "meetings/item_detail.html", context, status=status)


@require_GET
def item_detail(request: HttpRequest, public_id: str, item_id: str) -> HttpResponse:
    user = _user(request)
    item = item_get_for_user(user=user, meeting_public_id=public_id, item_public_id=item_id)
    return _item_response(request, user, item)


@require_POST
def item_action(request: HttpRequest, public_id: str, item_id: str, action: str) -> HttpResponse:
    user = _user(request)
    item = item_get_for_user(user=user, meeting_public_id=public_id, item_public_id=item_id, audit=False)
    if action not in ITEM_ACTIONS:
        raise Http404("No such step")
    if action == "remove":
        if not may_run(user, item.meeting.team_id):
            raise PermissionDenied("The team manager and the detective sergeant record the team's meetings.")
        try:
            agenda_remove(item=item, by=user)
        except MeetingRefused as refused:
            return _item_response(request, user, item, refusal=str(refused), status=409)
        messages.success(request, f"{item.child.full_name} taken off the agenda")
        return redirect("meetings:meeting-detail", public_id=item.meeting.public_id)
    available = _item_forms(user, item)
    if action not in available:
        # The outcome is the escalated-to agency's service managers' step (usually outside the team); the rest run it.
        theirs = escalation_manager(user, item) if action == "outcome" else may_run(user, item.meeting.team_id)
        if not theirs:
            raise PermissionDenied("That change to this meeting is not yours to make.")
        # The meeting was closed (or the step taken) while this page was open: say so, and give the text back.
        refusal = "That change cannot be made to this meeting now: it changed since your page was shown."
        if action == "outcome":
            refusal = "The escalation's outcome was recorded while your page was open. Nothing was changed."
        elif item.meeting.is_closed:
            refusal = (
                "The meeting was closed while your page was open. Nothing was changed: add what you wrote to the"
                " meeting as an amendment."
            )
        return _item_response(request, user, item, refusal=refusal, status=409, kept=posted_texts(request))
    blank: Any = available[action]
    if action == "record":
        form: Any = meeting_forms.ItemForm(
            request.POST, agencies=list(blank.agencies.values()), targets=list(blank.targets.values())
        )
        if "level" not in blank.fields:
            del form.fields["level"]
            del form.fields["rationale"]
    elif action in ("action", "allocate"):
        form = type(blank)(request.POST, people=list(blank.people.values()))
    else:
        form = meeting_forms.OutcomeForm(request.POST)
    version = posted_version(request)

    def act() -> None:
        data = form.cleaned_data
        if action == "record":
            item_record(
                item=item,
                by=user,
                based_on_version=version,
                discussion=data["discussion"],
                mapping_items=data["mapping_items"],
                level=data.get("level", ""),
                rationale=data.get("rationale", ""),
                disagreement=data["disagreement"],
                escalate_to=form.escalate_chosen(),
                flag_for_disruption=data.get("flag_for_disruption", []),
            )
        elif action == "action":
            action_add(
                item=item, by=user, description=data["description"], owner=form.owner_chosen(), due_on=data["due_on"]
            )
        elif action == "allocate":
            role_allocate(item=item, by=user, user=form.user_chosen(), role=data["role"])
        else:
            escalation_outcome_record(item=item, by=user, outcome=data["outcome"])

    done, refusal = _run(form, act)
    if done:
        messages.success(request, "Saved")
        return redirect("meetings:item-detail", public_id=item.meeting.public_id, item_id=item.public_id)
    item = item_get_for_user(user=user, meeting_public_id=public_id, item_public_id=item_id, audit=False)
    return _item_response(request, user, item, (action, form), refusal, status=409 if refusal else 400)


@require_GET
def item_extract(request: HttpRequest, public_id: str, item_id: str) -> HttpResponse:
    """One child's part of a closed meeting as a PDF, for anyone who may see that child's part in the app (the
    case-holding social worker, an allocated worker outside the team): nothing about any other child."""
    user = _user(request)
    item = item_get_for_user(user=user, meeting_public_id=public_id, item_public_id=item_id, audit=False)
    if not item.meeting.is_closed:
        raise Http404("The meeting is not closed yet")
    content = minutes_content(meeting_id=item.meeting_id, extract_item_id=item.pk, reader=user)
    pdf = render_pdf(page=content, extract=content.items[0])
    record_access(user=user, children=[item.child], action=AccessAction.EXPORTED, what="meeting extract")
    response = HttpResponse(pdf, content_type="application/pdf")
    when = timezone.localtime(item.meeting.starts_at).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="meeting-extract-{when}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Actions and escalations --------------------------------------------------------------------------------------------


@require_GET
def my_actions(request: HttpRequest) -> HttpResponse:
    gate.refuse_governance(request.user)
    user = _user(request)
    context = {"rows": actions_for_owner(user=user), "today": timezone.localdate()}
    return render(request, "meetings/my_actions.html", context)


@require_POST
def action_done(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    action = action_get_for_user(user=user, public_id=public_id)
    if not may_complete_action(user, action):
        raise PermissionDenied("Only the action's owner, the team manager or the detective sergeant marks it done.")
    try:
        action_complete(action=action, by=user)
        messages.success(request, "Action marked done")
    except MeetingRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("meetings:my-actions")


@require_GET
def escalations(request: HttpRequest) -> HttpResponse:
    gate.refuse_governance(request.user)
    user = _user(request)
    return render(request, "meetings/escalations.html", {"rows": escalations_for_manager(user=user)})
