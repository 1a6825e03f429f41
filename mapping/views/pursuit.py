"""Pursuit pages (investigations, prosecutions, disruptions and their outcomes) and the Intelligence Sharing Meeting
pack (page, PDF, CSV). All of them are the team's: anyone else is turned away (403).

Reads go through `mapping.selectors`, writes through `mapping.services`. A refused save is shown again with what the
user typed: bad input with the error summary (400), a refusal or a stale page with the message and the record as it
is now (409).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from evolve.accounts.models import User
from evolve.accounts.roles import TEAM_ROLES
from evolve.accounts.selectors import users_with_role
from evolve.people.models import Child
from evolve.people.selectors import child_list_for_user, children_shown
from evolve.ui.forms import form_show_service_errors, posted_texts, posted_version
from mapping.models import Disruption, DisruptionOutcome, Investigation, Prosecution, ProsecutionOutcome
from mapping.pack import pack_csv as build_pack_csv
from mapping.pack import pack_pdf as build_pack_pdf
from mapping.pack import pack_sections
from mapping.permissions import may_record_pursuit
from mapping.pursuit_forms import (
    CloseInvestigationForm,
    ConcludeProsecutionForm,
    DisruptionForm,
    DisruptionOutcomeForm,
    InvestigationForm,
    ProsecutionForm,
)
from mapping.selectors import (
    disruption_get_for_user,
    disruptions_for_user,
    entities_for_user,
    intelligence_pack,
    investigation_children,
    investigation_get_for_user,
    investigations_for_user,
    people_of_concern_for_user,
    prosecution_get_for_user,
    prosecutions_for_user,
)
from mapping.services import (
    MappingConflict,
    MappingRefused,
    disruption_outcome_record,
    disruption_record,
    investigation_close,
    investigation_open,
    prosecution_conclude,
    prosecution_record,
)

STALE = (
    "Someone else changed this record since you opened it. It is shown below as it is now; check it before you "
    "try again."
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _team_only(request: HttpRequest) -> User:
    user = _user(request)
    if not may_record_pursuit(user):
        raise PermissionDenied("Investigations, prosecutions, disruptions and the pack are the Evolve team's.")
    return user


def _run(form: forms.Form, action: Callable[[], Any]) -> tuple[Any, str, int]:
    """Run a service for a valid form: (result, refusal, status). Field errors go beside their fields (400); a
    refusal or a stale page is returned for the top of the page (409)."""
    if not form.is_valid():
        return None, "", 400
    try:
        return action(), "", 200
    except ValidationError as error:
        form_show_service_errors(form, error)
        return None, "", 400
    except MappingConflict:
        return None, STALE, 409
    except MappingRefused as refusal:
        return None, str(refusal), 409


def _team_children(user: User) -> list[Child]:
    """The children open to the user's team that the user may see, for choosing (their names are logged)."""
    children = list(child_list_for_user(user=user).filter(open_to_team_id=user.team_id))
    if children:
        children_shown(user=user, children=children, what="pursuit form")
    return children


# The list -----------------------------------------------------------------------------------------------------------


@require_GET
def pursuit_list(request: HttpRequest) -> HttpResponse:
    user = _team_only(request)
    context = {
        "investigations": list(investigations_for_user(user=user, open_only=True)),
        "prosecutions": list(prosecutions_for_user(user=user)),
        "disruptions": list(disruptions_for_user(user=user)),
        "pending": ProsecutionOutcome.PENDING,
        "in_force": DisruptionOutcome.IN_FORCE,
    }
    return render(request, "mapping/pursuit/pursuit_list.html", context)


# Investigations -----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def investigation_new(request: HttpRequest) -> HttpResponse:
    user = _team_only(request)
    posted = request.method == "POST"
    form = InvestigationForm(
        request.POST if posted else None,
        officers=users_with_role(roles=list(TEAM_ROLES), team=user.team)
        .select_related("agency")
        .order_by("last_name", "first_name", "id"),
        children=_team_children(user),
        people=people_of_concern_for_user(user=user),
        initial={"lead_officer": str(user.pk)},
    )
    status, refusal = 200, ""
    if posted:

        def act() -> Investigation:
            return investigation_open(
                by=user,
                reference=form.cleaned_data["reference"],
                summary=form.cleaned_data["summary"],
                opened_on=form.cleaned_data["opened_on"],
                restricted_to_agency_id=form.restricted_to(user),
                **form.chosen(),
            )

        investigation, refusal, status = _run(form, act)
        if investigation is not None:
            messages.success(request, f"Investigation {investigation.reference} recorded")
            return redirect("mapping:investigation-detail", public_id=investigation.public_id)
    context = {"form": form, "refusal": refusal, "has_errors": bool(refusal)}
    return render(request, "mapping/pursuit/investigation_new.html", context, status=status)


@require_http_methods(["GET", "POST"])
def investigation_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _team_only(request)
    investigation = investigation_get_for_user(user=user, public_id=public_id)
    posted = request.method == "POST"
    form = CloseInvestigationForm(request.POST if posted else None)
    status, refusal = 200, ""
    if posted:

        def act() -> Investigation:
            return investigation_close(
                investigation=investigation,
                by=user,
                closed_on=form.cleaned_data["closed_on"],
                based_on_version=posted_version(request),
            )

        closed, refusal, status = _run(form, act)
        if closed is not None:
            messages.success(request, f"Investigation {closed.reference} closed")
            return redirect("mapping:investigation-detail", public_id=investigation.public_id)
        investigation = investigation_get_for_user(user=user, public_id=public_id)  # as it is now
    context = {
        "investigation": investigation,
        "children": investigation_children(user=user, investigation=investigation),
        "perpetrators": list(people_of_concern_for_user(user=user).filter(investigations=investigation)),
        "prosecutions": list(prosecutions_for_user(user=user).filter(investigation=investigation)),
        "form": form if investigation.closed_on is None else None,
        "refusal": refusal,
        "has_errors": bool(refusal),
    }
    return render(request, "mapping/pursuit/investigation_detail.html", context, status=status)


# Prosecutions -------------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def prosecution_new(request: HttpRequest) -> HttpResponse:
    user = _team_only(request)
    posted = request.method == "POST"
    form = ProsecutionForm(
        request.POST if posted else None,
        people=people_of_concern_for_user(user=user),
        investigations=investigations_for_user(user=user, open_only=True),
        # ?perpetrator=<id>&investigation=<id> from a person's record or an investigation's page.
        initial={key: request.GET.get(key, "") for key in ("perpetrator", "investigation")},
    )
    status, refusal = 200, ""
    if posted:

        def act() -> Prosecution:
            return prosecution_record(
                by=user,
                charges=form.cleaned_data["charges"],
                charged_on=form.cleaned_data["charged_on"],
                court=form.cleaned_data["court"],
                restricted_to_agency_id=form.restricted_to(user),
                **form.chosen(),
            )

        prosecution, refusal, status = _run(form, act)
        if prosecution is not None:
            messages.success(request, "Prosecution recorded")
            return redirect("mapping:prosecution-detail", public_id=prosecution.public_id)
    context = {"form": form, "refusal": refusal, "has_errors": bool(refusal)}
    return render(request, "mapping/pursuit/prosecution_new.html", context, status=status)


@require_http_methods(["GET", "POST"])
def prosecution_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _team_only(request)
    prosecution = prosecution_get_for_user(user=user, public_id=public_id)
    posted = request.method == "POST"
    form = ConcludeProsecutionForm(request.POST if posted else None)
    status, refusal = 200, ""
    if posted:

        def act() -> Prosecution:
            return prosecution_conclude(
                prosecution=prosecution,
                by=user,
                outcome=form.cleaned_data["outcome"],
                concluded_on=form.cleaned_data["concluded_on"],
                notes=form.cleaned_data["notes"],
                based_on_version=posted_version(request),
            )

        concluded, refusal, status = _run(form, act)
        if concluded is not None:
            messages.success(request, f"Outcome recorded: {concluded.get_outcome_display().lower()}")
            return redirect("mapping:prosecution-detail", public_id=prosecution.public_id)
        prosecution = prosecution_get_for_user(user=user, public_id=public_id)
    context = {
        "prosecution": prosecution,
        "form": form if prosecution.outcome == ProsecutionOutcome.PENDING else None,
        "refusal": refusal,
        # Concluded by someone else meanwhile: the form is gone, so the notes written come back with the refusal.
        "kept": posted_texts(request, ("notes",))
        if refusal and prosecution.outcome != ProsecutionOutcome.PENDING
        else [],
        "has_errors": bool(refusal),
    }
    return render(request, "mapping/pursuit/prosecution_detail.html", context, status=status)


# Disruptions --------------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def disruption_new(request: HttpRequest) -> HttpResponse:
    user = _team_only(request)
    posted = request.method == "POST"
    form = DisruptionForm(
        request.POST if posted else None,
        targets=entities_for_user(user=user),
        children=_team_children(user),
        initial={"target": request.GET.get("target", "")},  # ?target=<id> from a record's page
    )
    status, refusal = 200, ""
    if posted:

        def act() -> Disruption:
            return disruption_record(
                by=user,
                kind=form.cleaned_data["kind"],
                taken_on=form.cleaned_data["taken_on"],
                expires_on=form.cleaned_data["expires_on"],
                details=form.cleaned_data["details"],
                restricted_to_agency_id=form.restricted_to(user),
                **form.chosen(),
            )

        disruption, refusal, status = _run(form, act)
        if disruption is not None:
            messages.success(request, f"{disruption.get_kind_display()} recorded")
            return redirect("mapping:disruption-detail", public_id=disruption.public_id)
    context = {"form": form, "refusal": refusal, "has_errors": bool(refusal)}
    return render(request, "mapping/pursuit/disruption_new.html", context, status=status)


def _protected_child(user: User, disruption: Disruption) -> Child | None:
    """The child a notice protects, if the user may see them (logged); None otherwise."""
    if disruption.child_id is None:
        return None
    child = child_list_for_user(user=user).filter(pk=disruption.child_id).first()
    if child is not None:
        children_shown(user=user, children=[child], what="disruption")
    return child


@require_http_methods(["GET", "POST"])
def disruption_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _team_only(request)
    disruption = disruption_get_for_user(user=user, public_id=public_id)
    posted = request.method == "POST"
    form = DisruptionOutcomeForm(request.POST if posted else None)
    status, refusal = 200, ""
    if posted:

        def act() -> Disruption:
            return disruption_outcome_record(
                disruption=disruption,
                by=user,
                outcome=form.cleaned_data["outcome"],
                outcome_on=form.cleaned_data["outcome_on"],
                notes=form.cleaned_data["notes"],
                based_on_version=posted_version(request),
            )

        recorded, refusal, status = _run(form, act)
        if recorded is not None:
            messages.success(request, f"Outcome recorded: {recorded.get_outcome_display().lower()}")
            return redirect("mapping:disruption-detail", public_id=disruption.public_id)
        disruption = disruption_get_for_user(user=user, public_id=public_id)
    context = {
        "disruption": disruption,
        "child": _protected_child(user, disruption),
        "form": form if disruption.outcome == DisruptionOutcome.IN_FORCE else None,
        "refusal": refusal,
        "kept": posted_texts(request, ("notes",))
        if refusal and disruption.outcome != DisruptionOutcome.IN_FORCE
        else [],
        "has_errors": bool(refusal),
    }
    return render(request, "mapping/pursuit/disruption_detail.html", context, status=status)


# The Intelligence Sharing Meeting pack ------------------------------------------------------------------------------


@require_GET
def pack_page(request: HttpRequest) -> HttpResponse:
    user = _team_only(request)
    sections = pack_sections(intelligence_pack(user=user))
    return render(request, "mapping/pack/pack.html", {"sections": sections})


def _download(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def pack_pdf(request: HttpRequest) -> HttpResponse:
    user = _team_only(request)
    sections = pack_sections(intelligence_pack(user=user))
    team = user.team.name if user.team else ""
    pdf = build_pack_pdf(sections=sections, team_name=team, generated_at=timezone.now())
    name = f"intelligence-pack-{timezone.localdate():%Y-%m-%d}.pdf"
    return _download(HttpResponse(pdf, content_type="application/pdf"), name)


@require_GET
def pack_csv(request: HttpRequest) -> HttpResponse:
    user = _team_only(request)
    text = build_pack_csv(sections=pack_sections(intelligence_pack(user=user)))
    name = f"intelligence-pack-{timezone.localdate():%Y-%m-%d}.csv"
    return _download(HttpResponse(text, content_type="text/csv; charset=utf-8"), name)
