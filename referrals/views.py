"""Referral pages: the MARF (drafted as the referrer goes), the CSE referral form, the SPOC, triage and MASH queues,
and one page per referral with its timeline and the steps the user may take next."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evolve.access import gate
from evolve.accounts.models import User
from evolve.accounts.roles import FRONT_DOOR_ROLES, Role
from evolve.accounts.selectors import teams_all
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.people.selectors import child_duplicate_candidates, child_list_for_user
from evolve.people.services import ChildDetails, child_create
from evolve.ui.forms import form_show_service_errors, posted_texts, posted_version
from evolve.uploads.storage import serve_private_file
from referrals.forms import (
    AnswerForm,
    CloseForm,
    CoAllocateForm,
    ConsentReviewForm,
    LogForm,
    MarfForm,
    MashCheckForm,
    QuestionForm,
    ScreenForm,
    TriageDecisionForm,
)
from referrals.models import Referral
from referrals.permissions import may_start_referral, sees_referral_in_full
from referrals.selectors import referral_deadlines, referral_get_for_user, referral_queue_for_user, referrals_made_by
from referrals.services import (
    CLOCK_ROLES,
    MashDecision,
    ReferralConflict,
    TriageDecision,
    consent_review_open,
    consent_review_record,
    mash_check_record,
    referral_ask_clarification,
    referral_attachment_add,
    referral_clock_breach_reason,
    referral_clock_pause,
    referral_clock_resume,
    referral_close,
    referral_co_allocate,
    referral_draft_create,
    referral_draft_save,
    referral_hold,
    referral_log,
    referral_record_clarification,
    referral_refer_to_evolve,
    referral_screen,
    referral_send_to_mash,
    referral_submit,
)
from referrals.states import State, TransitionRefused, may_take, transitions_from
from risk.selectors import catalogue_current, catalogue_indicators

QUEUE_ROLES = {
    "spoc": (Role.SPOC_WORKER,),
    "triage": (Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER),
    "mash": (Role.MASH_WORKER,),
    "consent": (Role.HEAD_OF_SERVICE,),
}
QUEUE_TITLES = {
    "spoc": "SPOC queue",
    "triage": "Triage queue",
    "mash": "MASH queue",
    "consent": "Referrals made without consent, to review",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@require_GET
def referral_list(request: HttpRequest) -> HttpResponse:
    gate.refuse_governance(request.user)
    user = _user(request)
    context = {
        "referrals": referrals_made_by(user=user)[:100],
        "may_start_marf": may_start_referral(user, Referral.Form.MARF),
        "may_start_cse": may_start_referral(user, Referral.Form.CSE_REFERRAL_FORM),
        "queues": [stage for stage, roles in QUEUE_ROLES.items() if user.has_role(*roles)],
    }
    return render(request, "referrals/referral_list.html", context)


@require_http_methods(["GET", "POST"])
def referral_start(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not may_start_referral(user, Referral.Form.MARF):
        raise PermissionDenied("Your role cannot make referrals.")
    if request.method == "POST":
        referral = referral_draft_create(by=user)
        return redirect("referrals:referral-edit", public_id=referral.public_id)
    return render(request, "referrals/referral_start.html")


class CseStartForm(forms.Form):
    child = forms.ChoiceField(label="Which child are you referring?", widget=forms.RadioSelect)


@require_http_methods(["GET", "POST"])
def referral_start_cse(request: HttpRequest) -> HttpResponse:
    """The CSE Referral Form: for a social worker already allocated to the child, straight to Evolve."""
    user = _user(request)
    if not may_start_referral(user, Referral.Form.CSE_REFERRAL_FORM):
        raise PermissionDenied("Only a social worker allocated to the child uses the CSE Referral Form.")
    children = {str(child.public_id): child for child in child_list_for_user(user=user)[:100]}
    form = CseStartForm(data=request.POST or None)
    form.fields["child"].choices = [(key, child.full_name) for key, child in children.items()]  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        referral = referral_draft_create(
            by=user, form=Referral.Form.CSE_REFERRAL_FORM, child=children[form.cleaned_data["child"]]
        )
        return redirect("referrals:referral-edit", public_id=referral.public_id)
    return render(request, "referrals/referral_start_cse.html", {"form": form})


def _indicator_groups(referral: Referral) -> tuple[Any, list[tuple[str, str]]]:
    categories = catalogue_indicators(version=referral.catalogue_version or catalogue_current())
    choices = [(str(indicator.pk), indicator.text) for category in categories for indicator in category.indicators]
    return categories, choices


@require_http_methods(["GET", "POST"])
def referral_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    """The form itself. Every post saves the draft (whatever is valid), then sends it if asked and complete."""
    user = _user(request)
    referral = referral_get_for_user(user=user, public_id=public_id)
    if referral.referrer_id != user.pk or referral.state != State.DRAFT:
        return redirect("referrals:referral-detail", public_id=referral.public_id)
    categories, choices = _indicator_groups(referral)
    initial = {name: getattr(referral, name) for name in MarfForm.base_fields if hasattr(referral, name)}
    initial["indicators"] = [str(pk) for pk in referral.indicators.values_list("pk", flat=True)]
    form = MarfForm(data=request.POST or None, files=request.FILES or None, initial=initial, indicator_choices=choices)
    if request.method == "POST":
        form.is_valid()
        version = posted_version(request)
        try:
            referral = referral_draft_save(
                referral=referral,
                by=user,
                based_on_version=version,
                fields=form.draft_fields(),
                indicator_ids=form.indicator_ids(),
            )
            upload = form.cleaned_data.get("attachment") if "attachment" not in form.errors else None
            if upload:
                referral_attachment_add(referral=referral, by=user, upload=upload)
            if not form.errors and request.POST.get("action") == "send":
                if referral.form == Referral.Form.CSE_REFERRAL_FORM:
                    # The child's own team if they have one, else the referrer's, else the area's only team.
                    team = (referral.child.open_to_team if referral.child else None) or user.team or teams_all().first()
                    referral_refer_to_evolve(
                        referral=referral,
                        by=user,
                        based_on_version=referral.version,
                        team=team,  # type: ignore[arg-type]
                    )
                    messages.success(request, "Referral sent to Evolve")
                else:
                    referral_submit(referral=referral, by=user, based_on_version=referral.version)
                    messages.success(request, "Referral sent")
                return redirect("referrals:referral-detail", public_id=referral.public_id)
            if not form.errors:
                messages.success(request, "Draft saved")
                return redirect("referrals:referral-edit", public_id=referral.public_id)
        except ValidationError as error:
            form_show_service_errors(form, error)
        except ReferralConflict as conflict:
            referral = conflict.current
            form.add_error(None, "This draft was saved in another window. Check it, then save again")
        except TransitionRefused as refusal:
            form.add_error(None, str(refusal))
    context = {"form": form, "referral": referral, "categories": categories}
    return render(request, "referrals/referral_edit.html", context, status=400 if form.errors else 200)


@require_GET
def referral_queue(request: HttpRequest, stage: str) -> HttpResponse:
    user = _user(request)
    if stage not in QUEUE_ROLES:
        raise Http404("No such queue")
    if not user.has_role(*QUEUE_ROLES[stage]):
        raise PermissionDenied("This queue is for the front door team.")
    urgency = request.GET.get("urgency", "")
    sort = request.GET.get("sort", "oldest")
    queue = referral_queue_for_user(user=user, stage=stage, urgency=urgency, sort=sort, page=request.GET.get("page"))
    context = {
        "rows": queue.rows,
        "page": queue.page,
        "page_query": urlencode({"urgency": urgency, "sort": sort}),
        "stage": stage,
        "title": QUEUE_TITLES[stage],
        "urgency": urgency,
        "sort": sort,
    }
    return render(request, "referrals/referral_queue.html", context)


def _available_steps(user: User, referral: Referral) -> list[str]:
    """The steps this user may take on the referral now, in the order the page shows them."""
    steps = []
    if referral.state == State.WITH_MASH and user.has_role(Role.MASH_WORKER):
        steps.append("mash_check")  # each agency's check comes before the decision
    is_referrer = referral.referrer_id == user.pk
    steps += [
        transition.name
        for transition in transitions_from(referral.state)
        if transition.name not in ("submit", "refer_to_evolve", "evolve_decide")  # own pages
        and may_take(transition=transition, roles=user.roles, is_referrer=is_referrer)
    ]
    if user.has_role(Role.HEAD_OF_SERVICE) and consent_review_open(referral=referral):
        steps.append("consent_review")
    return steps


def _action_forms(
    user: User, referral: Referral, posted: tuple[str, forms.Form] | None = None
) -> dict[str, forms.Form]:
    """The forms for the steps this user may take now, keyed by step name; `posted` is the one the user sent, shown
    again with its errors instead of a blank one (building the log form runs the duplicate check, so only once)."""
    return {
        name: posted[1] if posted and posted[0] == name else _blank_form(name, user, referral)
        for name in _available_steps(user, referral)
    }


def _child_choices(user: User, referral: Referral) -> list[tuple[str, str]]:
    check = child_duplicate_candidates(
        user=user,
        first_name=referral.child_first_name,
        last_name=referral.child_last_name,
        date_of_birth=referral.child_date_of_birth,
    )
    return [
        (
            str(child.public_id),
            f"{child.full_name}, born "
            + (date_format(child.date_of_birth, "j F Y") if child.date_of_birth else "date not known"),
        )
        for child in check.candidates
    ]


def _blank_form(name: str, user: User, referral: Referral, data: Any = None) -> forms.Form:
    if name == "log":
        return LogForm(data=data, child_choices=_child_choices(user, referral))
    if name == "co_allocate":
        return CoAllocateForm(data=data, team_choices=[(str(team.pk), team.name) for team in teams_all()])
    form_class: type[forms.Form] = {
        "ask_clarification": QuestionForm,
        "record_clarification": AnswerForm,
        "screen": ScreenForm,
        "send_to_mash": TriageDecisionForm,
        "close_at_triage": CloseForm,
        "close_at_mash": CloseForm,
        "mash_check": MashCheckForm,
        "consent_review": ConsentReviewForm,
    }[name]
    return form_class(data=data)


def _run_action(name: str, user: User, referral: Referral, form: forms.Form, version: int) -> Any:
    data = form.cleaned_data
    common: dict[str, Any] = {"referral": referral, "by": user, "based_on_version": version}
    actions: dict[str, Callable[[], Any]] = {
        "ask_clarification": lambda: referral_ask_clarification(**common, question=data["question"]),
        "record_clarification": lambda: referral_record_clarification(**common, answer=data["answer"]),
        "log": lambda: referral_log(**common, child=_child_for_log(user, referral, data["child"]), notes=data["notes"]),
        "screen": lambda: referral_screen(**common, notes=data["notes"]),
        "send_to_mash": lambda: referral_send_to_mash(
            **common, decision=TriageDecision(threshold=data["threshold"], rag=data["rag"], rationale=data["rationale"])
        ),
        "close_at_triage": lambda: referral_close(**common, outcome=data["outcome"], letter=data["letter"]),
        "close_at_mash": lambda: referral_close(**common, outcome=data["outcome"], letter=data["letter"]),
        "consent_review": lambda: consent_review_record(
            referral=referral, by=user, agreed=data["agreed"], notes=data["notes"]
        ),
        "mash_check": lambda: mash_check_record(
            referral=referral, by=user, holds_information=data["holds_information"], summary=data["summary"]
        ),
        "co_allocate": lambda: referral_co_allocate(
            **common,
            decision=MashDecision(
                rag=data["rag"],
                intervention=data["intervention"],
                rationale=data["rationale"],
                team=teams_all().get(pk=data["team"]),
            ),
        ),
    }
    return actions[name]()


def _child_for_log(user: User, referral: Referral, choice: str) -> Any:
    if choice != "new":
        return child_list_for_user(user=user).get(public_id=choice)
    return child_create(
        by=user,
        details=ChildDetails(
            first_name=referral.child_first_name,
            last_name=referral.child_last_name,
            date_of_birth=referral.child_date_of_birth,
            school=referral.child_school,
        ),
    )


@require_GET
def referral_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    referral = referral_get_for_user(user=user, public_id=public_id)
    return _detail(request, user, referral, _action_forms(user, referral))


def _detail(
    request: HttpRequest,
    user: User,
    referral: Referral,
    action_forms: dict[str, forms.Form],
    status: int = 200,
    refusal: str = "",
    kept: list[str] | None = None,
) -> HttpResponse:
    context = {
        "deadlines": referral_deadlines(referral=referral),
        "may_pause": user.has_role(*CLOCK_ROLES),
        "refusal": refusal,
        "kept": kept or [],
        "has_errors": bool(refusal) or any(form.errors for form in action_forms.values()),
        "referral": referral,
        "actions": action_forms,
        "is_front_door": user.has_role(*FRONT_DOOR_ROLES),
        "full": sees_referral_in_full(user),
        "may_edit": referral.referrer_id == user.pk and referral.state == State.DRAFT,
    }
    return render(request, "referrals/referral_detail.html", context, status=status)


@require_POST
def referral_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """Any step on a referral. A refused step or a stale page changes nothing and says why; the text is kept."""
    user = _user(request)
    referral = referral_get_for_user(user=user, public_id=public_id, audit=False)
    action = action.replace("-", "_")
    if action not in _available_steps(user, referral):
        # Someone else moved the referral on first, or the step is not this user's: say so, change nothing, and
        # give back what they wrote so it is not lost.
        kept = posted_texts(request)
        refusal = (
            "That step is not available to you on this referral now"
            f" (it is {referral.get_state_display().lower()}). Nothing was changed."
        )
        return _detail(request, user, referral, _action_forms(user, referral), status=409, refusal=refusal, kept=kept)
    form = _blank_form(action, user, referral, data=request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():  # a new child and the step that links it stand or fall together
                # The referral's row first, before a new child's record logs an access: the access log's chain lock,
                # held from then to commit, must never be held while waiting for a row another step holds (that
                # step writes the chronology, which takes the same lock: a deadlock, not a 409).
                referral_hold(referral=referral)
                _run_action(action, user, referral, form, posted_version(request))
        except ValidationError as error:
            form_show_service_errors(form, error)
        except (TransitionRefused, ReferralConflict) as refusal:
            current = refusal.current if isinstance(refusal, ReferralConflict) else referral
            form.add_error(None, _refusal_message(refusal))
            referral = referral_get_for_user(user=user, public_id=current.public_id, audit=False)
            return _detail(request, user, referral, _action_forms(user, referral, (action, form)), status=409)
        else:
            messages.success(request, "Saved")
            return redirect("referrals:referral-detail", public_id=referral.public_id)
    return _detail(request, user, referral, _action_forms(user, referral, (action, form)), status=400)


def _refusal_message(refusal: Exception) -> str:
    if isinstance(refusal, ReferralConflict):
        return "Someone else acted on this referral while you were working on it. Check what they did, then try again"
    return str(refusal)


@require_POST
def referral_clock(request: HttpRequest, public_id: str, deadline_id: int, verb: str) -> HttpResponse:
    """Pause (with a reason) or restart one of the referral's clocks."""
    user = _user(request)
    referral = referral_get_for_user(user=user, public_id=public_id, audit=False)
    if verb not in ("pause", "resume", "breach"):
        raise Http404("No such change to a clock")
    try:
        if verb == "breach":
            referral_clock_breach_reason(
                referral=referral, by=user, deadline_id=deadline_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, "Reason recorded")
        elif verb == "pause":
            referral_clock_pause(
                referral=referral, by=user, deadline_id=deadline_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, "Clock paused")
        else:
            referral_clock_resume(referral=referral, by=user, deadline_id=deadline_id)
            messages.success(request, "Clock restarted")
    except (ValidationError, TransitionRefused) as refusal:
        text = " ".join(refusal.messages) if isinstance(refusal, ValidationError) else str(refusal)
        forms_now = _action_forms(user, referral)
        return _detail(request, user, referral, forms_now, status=409, refusal=text, kept=posted_texts(request))
    return redirect("referrals:referral-detail", public_id=referral.public_id)


@require_GET
def referral_attachment(request: HttpRequest, public_id: str, attachment_id: str) -> HttpResponseBase:
    """Files are never served by the web server: only here, to someone who may see the referral."""
    referral = referral_get_for_user(user=_user(request), public_id=public_id, audit=False)
    attachment = next((a for a in referral.attachments.all() if str(a.public_id) == str(attachment_id)), None)
    if attachment is None:
        raise Http404("No such file")
    if referral.child is not None:
        record_access(
            user=_user(request),
            children=[referral.child],
            action=AccessAction.EXPORTED,
            what=f"referral {referral.pk} file {attachment.pk}",
        )
    return serve_private_file(
        storage_name=attachment.storage_name, download_name=attachment.filename, content_type=attachment.content_type
    )
